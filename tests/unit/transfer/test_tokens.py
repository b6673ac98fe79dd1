"""Shared tokens without a server: the token string's format, bad input to every token command
(a typed error and no state change), the holder's checks before anything is sent, the secrets kept
out of reprs, and the schema migration that adds the token table (docs/transfer.md §8)."""

from __future__ import annotations

import base64
import sqlite3
import zlib
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, Tuple, Type

import pytest

from cassdk_like.core.exceptions import CASError, LocalFileError
from cassdk_like.transfer import (
    InvalidSharedTokenError,
    InvalidTransferArgumentError,
    SendInterface,
    SharedTokenInfo,
    SharedTokenPasswordError,
    SharedTokenUnavailableError,
    TransferManager,
    TransferNotFoundError,
    redeem_shared_token,
)
from cassdk_like.transfer.store import DB_NAME, SCHEMA_VERSION, SharedTokenRecord, Store
from cassdk_like.transfer.tokens import TOKEN_PREFIX, _Token, token_id_of
from tests.unit.transfer.test_send_interface_inputs import _dump

URL = "https://photos.s3.example.com/share/.cassdk-shared-tokens/tok-1?X-Amz-Signature=abc"


def _text(payload: bytes) -> str:
    return TOKEN_PREFIX + base64.urlsafe_b64encode(payload).rstrip(b"=").decode()


def test_a_token_string_round_trips_and_names_its_token_by_a_hash() -> None:
    secret = bytes(range(16))
    for password, service in ((False, "s3"), (True, "cos")):
        token = _Token(secret, password, service, URL)
        text = token.text()
        assert text.startswith("cst1-")
        assert not set(text) & set("=/+")  # base64url, no padding
        parsed = _Token.parse(text, "test")
        assert (parsed.secret, parsed.password, parsed.service, parsed.url) == (
            secret,
            password,
            service,
            URL,
        )
        assert parsed.id == token_id_of(secret)
        assert secret.hex() not in parsed.id
    assert len(token_id_of(secret)) == 36
    assert token_id_of(secret).startswith("tok-")
    assert token_id_of(secret) != token_id_of(bytes(16))


def test_a_token_string_does_not_grow_with_the_url_query_alone() -> None:
    """The string holds the secret, the flags and one URL: its length is the URL's, compressed."""
    long_url = URL + "&X-Amz-Credential=" + "A" * 400
    assert (
        len(_Token(bytes(16), False, "s3", long_url).text())
        < len(TOKEN_PREFIX) + 4 * (17 + len(long_url)) // 3
    )


@pytest.mark.parametrize(
    "text",
    [
        None,
        42,
        "",
        "cst2-AAAA",
        "tok",
        TOKEN_PREFIX + "!!!not base64!!!",
        _text(b"short"),
        _text(bytes(16) + b"\x04" + zlib.compress(URL.encode())),  # an unknown flag
        _text(bytes(16) + b"\x00" + b"not zlib"),
        _text(bytes(16) + b"\x00" + zlib.compress(b"ftp://host/doc")),
    ],
)
def test_a_malformed_token_string_is_refused(text: Any) -> None:
    with pytest.raises(InvalidSharedTokenError, match="not a shared token") as refused:
        _Token.parse(text, "redeem_shared_token")
    assert refused.value.operation == "redeem_shared_token"


def test_the_holder_checks_the_token_and_password_before_sending(tmp_path: Path) -> None:
    """The URL points nowhere reachable: each refusal must come before any request."""
    nowhere = "http://127.0.0.1:9/doc?X-Amz-Signature=x"
    needs = _Token(bytes(16), True, "s3", nowhere).text()
    plain = _Token(bytes(16), False, "s3", nowhere).text()
    with pytest.raises(InvalidSharedTokenError):
        redeem_shared_token("cst1-garbage", tmp_path / "a")
    with pytest.raises(SharedTokenPasswordError, match="needs a password"):
        redeem_shared_token(needs, tmp_path / "a")
    with pytest.raises(SharedTokenPasswordError, match="takes no password"):
        redeem_shared_token(plain, tmp_path / "a", "a password")
    (tmp_path / "file").write_bytes(b"x")
    with pytest.raises(LocalFileError, match="not a folder"):
        redeem_shared_token(plain, tmp_path / "file")
    assert not (tmp_path / "a").exists()


def test_reprs_hold_no_secret() -> None:
    secret = b"\x11" * 16
    token = _Token(secret, False, "s3", URL)
    assert "abc" not in repr(token)
    assert secret.hex() not in repr(token)
    assert token.text() not in repr(token)
    info = SharedTokenInfo(
        id=token.id, token=token.text(), manifest_id="man-1", transfer_id=1, destination_id="dst-1",
        password_required=False, download_limit=None, downloads_started=None, time_limit_seconds=60,
        expires=0.0, created=0.0, updated=0.0, description=None, file_count=0, total_size=0,
        enforced={}, user_data={},
    )  # fmt: skip
    assert token.text() not in repr(info)
    record = SharedTokenRecord(token.id, 1, "man-1", 1, "dst-1", {"proof": "feedface" * 8}, 0.0, 0.0)
    assert "feedface" not in repr(record)


World = Tuple[SendInterface, Dict[str, Any], Path]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.bin").write_bytes(b"a" * 100)
    manager = TransferManager(tmp_path / "state", max_workers=1)
    send = SendInterface(manager)
    manifest = send.createManifest(mappings={"/d": str(src)})
    send.waitForManifest(manifest)
    idle = send.createManifest(mappings={"/e": str(src)})
    send.waitForManifest(idle)
    folder = send.createDestination(f"file://{tmp_path / 'out'}")
    assert send.waitForTransfer(send.createTransfer(folder, manifest))["status"] == "complete"
    yield send, {"manifest": manifest, "idle": idle}, tmp_path
    manager.close()


Call = Callable[[SendInterface, Dict[str, Any]], Any]
UNKNOWN = _Token(bytes(16), False, "s3", URL).text()
CREATE = "createSharedToken"
BAD = InvalidTransferArgumentError


def create(**options: Any) -> Call:
    return lambda s, w: s.createSharedToken(w["manifest"], **options)


CASES = [
    ("unknown manifest", lambda s, w: s.createSharedToken("man-0"), TransferNotFoundError, CREATE),
    ("no transfer", lambda s, w: s.createSharedToken(w["idle"]), SharedTokenUnavailableError, CREATE),
    ("folder only", create(), SharedTokenUnavailableError, CREATE),
    ("limit 0", create(downloadLimit=0), BAD, CREATE),
    ("limit -1", create(downloadLimit=-1), BAD, CREATE),
    ("limit bool", create(downloadLimit=True), BAD, CREATE),
    ("time 0", create(timeLimitSeconds=0), BAD, CREATE),
    ("time -5", create(timeLimitSeconds=-5), BAD, CREATE),
    ("time > 7 days", create(timeLimitSeconds=7 * 86400 + 1), BAD, CREATE),
    ("time float", create(timeLimitSeconds=1.5), BAD, CREATE),
    ("empty password", create(password=""), BAD, CREATE),
    ("description int", create(description=5), BAD, CREATE),
    ("get unknown id", lambda s, w: s.getSharedToken("tok-0"), TransferNotFoundError, "getSharedToken"),
    ("get unknown token", lambda s, w: s.getSharedToken(UNKNOWN), TransferNotFoundError, "getSharedToken"),
    ("get garbage", lambda s, w: s.getSharedToken("nonsense"), InvalidSharedTokenError, "getSharedToken"),
    ("get none", lambda s, w: s.getSharedToken(None), InvalidSharedTokenError, "getSharedToken"),
    ("list -1", lambda s, w: s.getSharedTokens(-1), BAD, "getSharedTokens"),
    ("update unknown", lambda s, w: s.updateSharedToken(UNKNOWN, timeLimitSeconds=60), TransferNotFoundError,
     "updateSharedToken"),
    ("update structure", lambda s, w: s.updateSharedToken({"tokenId": "tok-0"}), TransferNotFoundError,
     "updateSharedToken"),
    ("delete unknown", lambda s, w: s.deleteSharedToken(UNKNOWN), TransferNotFoundError, "deleteSharedToken"),
    ("user data unknown token", lambda s, w: s.updateObjectUserData("tok-0", "k", "v"), TransferNotFoundError,
     "updateObjectUserData"),
    ("user data token structure", lambda s, w: s.deleteObjectUserData({"tokenId": UNKNOWN}, "k"),
     TransferNotFoundError, "deleteObjectUserData"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "call", "error", "operation"), CASES, ids=[case[0] for case in CASES])
def test_bad_token_input_is_refused_and_changes_nothing(
    world: World, name: str, call: Call, error: Type[CASError], operation: str
) -> None:
    send, w, tmp_path = world
    before = _dump(tmp_path / "state")
    with pytest.raises(error) as refused:
        call(send, w)
    assert refused.value.operation == operation
    assert _dump(tmp_path / "state") == before
    assert send.getSharedTokens() == []


def test_a_folder_only_delivery_says_why_it_cannot_be_shared(world: World) -> None:
    send, w, _tmp = world
    with pytest.raises(SharedTokenUnavailableError, match="local folder"):
        send.createSharedToken(w["manifest"])
    with pytest.raises(SharedTokenUnavailableError, match="no transfer of it to an S3 or COS destination"):
        send.createSharedToken(w["idle"])


def test_a_version_1_state_database_gains_the_token_table(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.set_user_data("man-1", {"k": "v"})
    store.close()
    conn = sqlite3.connect(str(tmp_path / DB_NAME))
    conn.execute("DROP TABLE shared_tokens")
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    reopened = Store(tmp_path)
    try:
        assert reopened.schema_version == SCHEMA_VERSION == 3
        assert reopened.shared_tokens() == []
        assert reopened.user_data("man-1") == {"k": "v"}
        record = SharedTokenRecord(
            "tok-1", reopened.next_seq("shared_tokens"), "man-1", 1, "dst-1", {}, 1.0, 1.0
        )
        reopened.add_shared_token(record)
        assert reopened.shared_token("tok-1") == record
    finally:
        reopened.close()
