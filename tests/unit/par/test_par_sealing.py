"""Sealing a PAR's grant (docs/par.md §2 and §3): round trips, bound header fields, wrong keys and
passphrases, expiry checked before every request, refused keys, and nothing secret in messages.
Nothing here is sent: the bucket client points at a closed port and PARs are made offline."""

from __future__ import annotations

import copy
from typing import Any, Callable, Dict, List

import pytest

from cassdk_like.bucket import Bucket
from cassdk_like.core.exceptions import CASClientError
from cassdk_like.par import (
    PAR,
    ObjectReader,
    PARError,
    PARKeyError,
    PARKeyPair,
    PARPassphraseError,
    PARTamperedError,
    PARTimeoutError,
    Passphrase,
    check_par_key,
    create_par,
    has_hpke,
)
from cassdk_like.par.par import open_grant

NOW = 1_700_000_000
SECRET = "correct horse battery staple"


@pytest.fixture
def pair() -> PARKeyPair:
    return PARKeyPair.generate()


def _make(bucket: Bucket, key: Any, **options: Any) -> PAR:
    return create_par(
        bucket, "dir/a.bin", readable=True, duration=900, encrypt_key=key, clock=lambda: NOW, **options
    )


def _no_secret(text: str, par: PAR, decrypt_key: Any) -> None:
    grant = open_grant(par, decrypt_key, "test", check_time=False)
    assert grant.get is not None
    signature = grant.get.rsplit("X-Amz-Signature=", 1)[-1]
    leaked = grant.get in text or signature in text or SECRET in text
    assert not leaked


@pytest.mark.parametrize("hpke", [False, True] if has_hpke() else [False])
def test_a_key_sealed_par_round_trips(bucket: Bucket, pair: PARKeyPair, hpke: bool) -> None:
    par = _make(bucket, pair.public_pem(), use_hpke=hpke)
    loaded = PAR.from_data(par.to_json(), clock=lambda: NOW)
    loaded.verify(pair)
    assert open_grant(loaded, pair, "t", check_time=False) == open_grant(par, pair, "t", check_time=False)
    assert loaded.to_data()["seal"]["suite"].startswith("HPKE" if hpke else "X25519")


def test_a_passphrase_sealed_par_round_trips(bucket: Bucket) -> None:
    par = _make(bucket, Passphrase(SECRET))
    loaded = PAR.from_data(par.to_json(), clock=lambda: NOW)
    loaded.verify(Passphrase(SECRET))
    assert open_grant(loaded, SECRET, "t", check_time=False).get is not None


def test_a_par_saved_under_a_passphrase_round_trips(bucket: Bucket, pair: PARKeyPair) -> None:
    data = _make(bucket, pair).to_data(SECRET)
    assert "wrap" in data
    PAR.from_data(data, SECRET, clock=lambda: NOW).verify(pair)
    with pytest.raises(PARPassphraseError) as refused:
        PAR.from_data(data, "not the right passphrase at all", clock=lambda: NOW)
    assert SECRET not in str(refused.value)


EDITS: Dict[str, Callable[[Dict[str, Any]], None]] = {
    "uid": lambda d: d.update(uid="00000000-0000-4000-8000-000000000000"),
    "kind": lambda d: d.update(kind="bucket", key=None, key_prefix="dir/"),
    "key": lambda d: d.update(key="dir/b.bin"),
    "permissions": lambda d: d.update(perms=["read", "write"]),
    "expiry": lambda d: d.update(expires_at="2099-01-01T00:00:00Z"),
    "version": lambda d: d.update(v=2),
}


@pytest.mark.parametrize("field", sorted(EDITS))
@pytest.mark.parametrize("sealed_to", ["key", "passphrase"])
def test_editing_a_bound_field_breaks_the_seal(
    bucket: Bucket, pair: PARKeyPair, field: str, sealed_to: str
) -> None:
    secret: Any = pair if sealed_to == "key" else Passphrase(SECRET)
    par = _make(bucket, secret)
    data = copy.deepcopy(par.to_data())
    EDITS[field](data)
    if field == "version":  # refused on reading, naming both versions (docs/par.md §2)
        with pytest.raises(PARError) as refused:
            PAR.from_data(data, clock=lambda: NOW)
        assert "version 2" in str(refused.value)
        assert "reads 1" in str(refused.value)
    else:
        with pytest.raises(PARTamperedError) as refused:
            PAR.from_data(data, clock=lambda: NOW).verify(secret)
    _no_secret(str(refused.value) + repr(refused.value), par, secret)


def test_a_changed_ciphertext_is_tampering(bucket: Bucket, pair: PARKeyPair) -> None:
    data = _make(bucket, pair).to_data()
    ct = data["seal"]["ct"]
    data["seal"]["ct"] = ("A" if ct[0] != "A" else "B") + ct[1:]
    with pytest.raises(PARTamperedError):
        PAR.from_data(data, clock=lambda: NOW).verify(pair)


def test_the_wrong_key_and_the_wrong_passphrase_are_typed(bucket: Bucket, pair: PARKeyPair) -> None:
    by_key = _make(bucket, pair)
    with pytest.raises(PARKeyError) as other_key:
        by_key.verify(PARKeyPair.generate())
    _no_secret(str(other_key.value), by_key, pair)
    by_passphrase = _make(bucket, Passphrase(SECRET))
    wrong = "a different passphrase entirely"
    with pytest.raises(PARPassphraseError) as other_passphrase:
        by_passphrase.verify(Passphrase(wrong))
    message = str(other_passphrase.value) + repr(other_passphrase.value)
    assert wrong not in message
    _no_secret(message, by_passphrase, Passphrase(SECRET))
    assert SECRET not in repr(Passphrase(SECRET))


def test_expiry_is_checked_again_before_each_request(bucket: Bucket, pair: PARKeyPair, tmp_path: Any) -> None:
    now: List[float] = [float(NOW)]
    par = PAR.from_data(_make(bucket, pair).to_data(), clock=lambda: now[0])
    reader = ObjectReader(par, pair)  # built while the PAR is usable
    par.check_usable("t", buffer=30)
    now[0] = NOW + 900 - 20  # 20 s left: inside a 30 s buffer, outside a 10 s one
    par.check_usable("t", buffer=10)
    with pytest.raises(PARTimeoutError) as late:
        par.check_usable("t", buffer=30)
    assert "30 s" in str(late.value)
    with pytest.raises(PARTimeoutError):  # refused before any request (nothing listens on port 9)
        reader.get_object_as_file(tmp_path / "x")
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("key", ["../etc/passwd", "a/../b", "/abs/key", "a//b", "a/./b", "", "a\\..\\b"])
def test_keys_that_escape_or_are_empty_are_refused_before_sending(
    bucket: Bucket, pair: PARKeyPair, key: str
) -> None:
    with pytest.raises(CASClientError) as refused:
        check_par_key(key, "create_par")
    assert "create_par" in str(refused.value)
    with pytest.raises(CASClientError):
        create_par(bucket, key, readable=True, duration=900, encrypt_key=pair, clock=lambda: NOW)


def test_reprs_and_messages_hold_no_url_or_signature(bucket: Bucket, pair: PARKeyPair) -> None:
    par = _make(bucket, pair)
    grant = open_grant(par, pair, "t", check_time=False)
    texts = [repr(par), str(par), par.to_json(), repr(grant), repr(pair)]
    for text in texts:
        _no_secret(text, par, pair)
    assert "http://127.0.0.1:9" not in repr(par) + par.to_json()
