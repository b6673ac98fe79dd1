"""PARs end to end against the emulator: parallel verified downloads, uploads, bucket writes under
a prefix, revocation (403 after close) and expiry (docs/par.md §4 and §5)."""

from __future__ import annotations

import hashlib
import os
import time
import warnings
from pathlib import Path
from typing import Optional
from urllib.parse import urlsplit

import pytest

from cassdk_like.bucket import Bucket, BucketAPI, NoSuchKey
from cassdk_like.emulator import Emulator
from cassdk_like.engine import TransferConfig
from cassdk_like.par import (
    PAR,
    BucketReader,
    BucketWriter,
    ObjectReader,
    ObjectWriter,
    PARError,
    PARKeyPair,
    PARNotRevocableWarning,
    PARPermissionsError,
    PARReadError,
    PARTamperedError,
    PARTimeoutError,
    PARWriteError,
    Passphrase,
    create_par,
)
from cassdk_like.par.par import open_grant
from tests.helpers.peer_process import loopback_session
from tests.integration.bucket.conftest import make_client

MiB = 1024 * 1024
#: small pieces, so a few MiB make many parallel ranged GETs
PARALLEL = TransferConfig(max_workers=4, piece_size=MiB, max_request_size=MiB)


def test_a_read_par_downloads_byte_identical_in_parallel(
    bucket: Bucket, pair: PARKeyPair, connect: Optional[str], tmp_path: Path, emu: Emulator
) -> None:
    data = os.urandom(6 * MiB + 123)
    source = tmp_path / "source.bin"
    source.write_bytes(data)
    bucket.upload_file(str(source), "share/big.bin")
    par = create_par(bucket, "share/big.bin", readable=True, duration=600, encrypt_key=pair.public_pem())
    received = PAR.from_data(par.to_json())
    events = []
    target = tmp_path / "got.bin"
    result = ObjectReader(received, pair, connect_url=connect, config=PARALLEL).get_object_as_file(
        target, progress=events.append
    )
    assert target.read_bytes() == data
    assert result.verified
    assert result.integrity == "sha256"
    assert result.requests >= 6  # one ranged GET per MiB piece at least
    assert events
    assert events[-1].done == len(data)
    assert not (tmp_path / "got.bin.cassdk-partial").exists()


def test_a_write_par_uploads_and_a_read_write_par_reads_it_back(
    bucket: Bucket, pair: PARKeyPair, connect: Optional[str], tmp_path: Path
) -> None:
    data = os.urandom(300_000)
    (tmp_path / "up.bin").write_bytes(data)
    par = create_par(bucket, "in/up.bin", readable=True, writeable=True, duration=600, encrypt_key=pair)
    writer = ObjectWriter(par, pair, connect_url=connect)
    stored = writer.set_object_from_file(tmp_path / "up.bin")
    assert stored.etag == hashlib.md5(data).hexdigest()
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert bucket.get_bytes("in/up.bin") == data
    writer.get_object_as_file(tmp_path / "back.bin")
    assert (tmp_path / "back.bin").read_bytes() == data


def test_permissions_are_checked_before_sending(
    bucket: Bucket, pair: PARKeyPair, connect: Optional[str], tmp_path: Path
) -> None:
    (tmp_path / "f").write_bytes(b"x")
    write_only = create_par(bucket, "k", writeable=True, duration=600, encrypt_key=pair)
    with pytest.raises(PARPermissionsError, match="not read"):
        ObjectReader(write_only, pair, connect_url=connect).get_object_as_file(tmp_path / "out")
    read_only = create_par(bucket, "k", readable=True, duration=600, encrypt_key=pair)
    with pytest.raises(PARPermissionsError, match="not write"):
        ObjectWriter(read_only, pair, connect_url=connect).set_object_from_file(tmp_path / "f")
    with pytest.raises(PARPermissionsError, match="whole bucket"):
        create_par(bucket, readable=True, duration=600, encrypt_key=pair)
    assert not (tmp_path / "out").exists()


def test_a_bucket_par_writes_under_its_prefix_only(
    bucket: Bucket, pair: PARKeyPair, connect: Optional[str], tmp_path: Path
) -> None:
    (tmp_path / "note.txt").write_bytes(b"hello prefix")
    par = create_par(bucket, key_prefix="inbox/", writeable=True, duration=600, encrypt_key=pair)
    writer = BucketWriter(PAR.from_data(par.to_data()), pair, connect_url=connect)
    stored = writer.set_object_from_file("a/note.txt", tmp_path / "note.txt")
    assert stored.key == "inbox/a/note.txt"
    assert bucket.get_bytes("inbox/a/note.txt") == b"hello prefix"
    for bad in ("../escape.txt", "/abs", "a//b", "a/./b"):
        with pytest.raises(ValueError, match=r"segment|absolute"):
            writer.set_object_from_file(bad, tmp_path / "note.txt")
    with pytest.raises(NoSuchKey):
        bucket.head("escape.txt")
    with pytest.raises(PARPermissionsError, match="cannot grant read"):
        BucketReader(par, pair).get_object_as_file("a/note.txt", tmp_path / "x")


def test_the_prefix_condition_is_enforced_by_the_service(
    bucket: Bucket, pair: PARKeyPair, connect: Optional[str], tmp_path: Path
) -> None:
    """A PAR whose JSON was edited to another prefix is refused when opened; a form sent by hand
    for another key is refused by the service's policy check."""
    (tmp_path / "f").write_bytes(b"x")
    par = create_par(bucket, key_prefix="inbox/", writeable=True, duration=600, encrypt_key=pair)
    data = par.to_data()
    data["key_prefix"] = ""
    forged = PAR.from_data(data)
    with pytest.raises(PARTamperedError, match="changed"):
        BucketWriter(forged, pair, connect_url=connect).set_object_from_file("outside", tmp_path / "f")
    form = open_grant(par, pair, "test").post
    assert form is not None
    url, headers = form.url, {}
    if connect is not None:
        headers["Host"] = urlsplit(url).netloc
        url = connect + urlsplit(url).path
    with loopback_session() as http:
        fields = dict(form.fields, key="outside")
        sent = http.post(url, data=fields, files={"file": ("f", b"x")}, headers=headers, timeout=10)
    assert sent.status_code == 403
    with pytest.raises(NoSuchKey):
        bucket.head("outside")


def test_close_revokes_at_the_registry_and_the_urls_answer_403(
    bucket: Bucket, pair: PARKeyPair, connect: Optional[str], registry: str, tmp_path: Path
) -> None:
    bucket.put("doc", b"secret bytes")
    par = create_par(bucket, "doc", readable=True, duration=600, encrypt_key=pair, registry=registry)
    copy = PAR.from_data(par.to_data())
    ObjectReader(par, pair, connect_url=connect).get_object_as_file(tmp_path / "before")
    assert (tmp_path / "before").read_bytes() == b"secret bytes"
    result = par.close(pair)
    assert result.revoked
    with pytest.raises(PARReadError) as denied:
        ObjectReader(copy, pair, connect_url=connect).get_object_as_file(tmp_path / "after")
    assert denied.value.status == 403
    assert not (tmp_path / "after").exists()


def test_a_revoked_bucket_par_cannot_post(
    bucket: Bucket, pair: PARKeyPair, connect: Optional[str], registry: str, tmp_path: Path
) -> None:
    (tmp_path / "f").write_bytes(b"form")
    par = create_par(
        bucket, key_prefix="drop/", writeable=True, duration=600, encrypt_key=pair, registry=registry
    )
    copy = PAR.from_data(par.to_data())
    par.close(pair)
    with pytest.raises(PARWriteError) as denied:
        BucketWriter(copy, pair, connect_url=connect).set_object_from_file("f", tmp_path / "f")
    assert denied.value.status == 403


def test_close_without_a_registry_says_it_cannot_revoke(
    bucket: Bucket, pair: PARKeyPair, connect: Optional[str], tmp_path: Path
) -> None:
    bucket.put("doc", b"still here")
    par = create_par(bucket, "doc", readable=True, duration=600, encrypt_key=pair)
    copy = PAR.from_data(par.to_data())
    with pytest.warns(PARNotRevocableWarning, match="cannot be revoked"):
        result = par.close(pair)
    assert not result.revoked
    assert par.expires_at is not None
    assert par.to_data()["expires_at"] in result.detail
    with pytest.raises(PARError, match="closed"):
        ObjectReader(par, pair, connect_url=connect).get_object_as_file(tmp_path / "x")
    # honest: the URL itself still works until it expires
    ObjectReader(copy, pair, connect_url=connect).get_object_as_file(tmp_path / "y")
    assert (tmp_path / "y").read_bytes() == b"still here"


def test_expiry_is_checked_before_every_request(
    bucket: Bucket, pair: PARKeyPair, connect: Optional[str], tmp_path: Path
) -> None:
    """The PAR's clock passes the buffer in the middle of a download: the next range is refused
    here, before it is sent, and the partial file is kept for nothing to be at the path."""
    data = os.urandom(4 * MiB)
    bucket.put("big", data)
    now = [1_000_000_000.0]
    par = create_par(bucket, "big", readable=True, duration=600, encrypt_key=pair)
    timed = PAR.from_data(par.to_data(), clock=lambda: now[0])
    now[0] = par.expires_at.timestamp() - 100  # type: ignore[union-attr]
    calls = []

    def late(event: object) -> None:
        calls.append(event)
        now[0] = par.expires_at.timestamp() - 10  # type: ignore[union-attr]

    one_at_a_time = TransferConfig(max_workers=1, piece_size=MiB, max_request_size=MiB, progress_interval=0.0)
    reader = ObjectReader(timed, pair, connect_url=connect, config=one_at_a_time)
    with pytest.raises(PARTimeoutError):
        reader.get_object_as_file(tmp_path / "big", progress=late)
    assert not (tmp_path / "big").exists()
    with pytest.raises(PARTimeoutError):
        reader.get_object_as_file(tmp_path / "big")


def test_the_service_enforces_the_urls_own_expiry(dialect: str, pair: PARKeyPair, tmp_path: Path) -> None:
    """The emulator's clock moves past the expiry while the PAR's clock is told nothing of it."""
    now = [time.time()]
    with Emulator(clock=lambda: now[0], region="ap-guangzhou") as emu, make_client(emu, dialect) as client:
        bucket = Bucket.create(BucketAPI(client), "expiry")
        bucket.put("k", b"x")
        par = create_par(bucket, "k", readable=True, duration=120, encrypt_key=pair)
        stale = PAR.from_data(par.to_data(), clock=lambda: par.expires_at.timestamp() - 1000)  # type: ignore[union-attr]
        connect = None if dialect == "s3" else emu.endpoints["cos"]
        now[0] += 10_000
        with pytest.raises(PARReadError) as refused:
            ObjectReader(stale, pair, connect_url=connect).get_object_as_file(tmp_path / "k")
        assert refused.value.status == 403


def test_a_passphrase_sealed_par_round_trips(bucket: Bucket, connect: Optional[str], tmp_path: Path) -> None:
    bucket.put("p", b"by passphrase")
    secret = "correct horse battery staple"
    par = create_par(bucket, "p", readable=True, duration=600, encrypt_key=Passphrase(secret))
    saved = par.to_json(passphrase="another long passphrase")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opened = PAR.from_data(saved, "another long passphrase")
    ObjectReader(opened, secret, connect_url=connect).get_object_as_file(tmp_path / "p")
    assert (tmp_path / "p").read_bytes() == b"by passphrase"
