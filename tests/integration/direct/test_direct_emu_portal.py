"""The emulator's DirectIO portal over plain HTTP: routes, statuses, both schemas, block URLs,
revocation and expiry, publishing through the admin endpoint, and our own reader on its blocks."""

from __future__ import annotations

import base64
import os
from typing import Any, Dict

import pytest
import requests

from cassdk_like.core.auth.sigv4 import UNSIGNED_PAYLOAD, SigV4Signer
from cassdk_like.core.blockfile import BlockDecryptError, BlockFormat, FileFormat
from cassdk_like.emulator import Emulator
from cassdk_like.emulator.direct import BLOCKS_BUCKET, GRANT_PARAM, AccessKey
from tests.integration.direct.conftest import ShiftableClock

BLOCK = 4096
CONTENT = os.urandom(BLOCK * 2) + b"tail" * 500


def put_s3_object(emu: Emulator, bucket: str, key: str, data: bytes) -> None:
    """Create the bucket (if needed) and the object through the S3 service, with presigned URLs."""
    signer = SigV4Signer(
        emu.secret_id,
        emu.secret_key,
        region=emu.s3_service.region,
        service="s3",
        normalize_path=False,
        double_encode=False,
    )
    base = emu.endpoints["s3"]
    made = requests.put(
        signer.presign_url("PUT", f"{base}/{bucket}", payload_hash=UNSIGNED_PAYLOAD), timeout=30
    )
    assert made.status_code in (200, 409), made.text
    url = signer.presign_url("PUT", f"{base}/{bucket}/{key}", payload_hash=UNSIGNED_PAYLOAD)
    stored = requests.put(url, data=data, timeout=30)
    assert stored.status_code == 200, stored.text


def _get(emu: Emulator, file_id: Any, token: str = "", **headers: str) -> requests.Response:
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.get(f"{emu.endpoints['direct']}/directio/{file_id}", headers=headers, timeout=30)


def _doc(emu: Emulator, file_id: int, key: AccessKey) -> Dict[str, Any]:
    answer = _get(emu, file_id, key.access_key_id)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "application/json"
    doc: Dict[str, Any] = answer.json()
    return doc


def test_metadata_serves_the_union_of_both_schemas(direct_emulator: Emulator) -> None:
    direct = direct_emulator.direct
    key = direct.default_credentials
    file_id = direct.publish_file(CONTENT, block_size=BLOCK, codec="gzip")
    doc = _doc(direct_emulator, file_id, key)
    assert doc["encrypt_info"]["data_encrypted"] is True
    assert doc["encrypt_info"]["wrapped_key"] == doc["wrapped_key"]
    assert doc["compression_type"] == "GZIP"
    assert [c["len"] for c in doc["chunks"]] == [BLOCK, BLOCK, 2000]
    for chunk in doc["chunks"]:
        assert chunk["url"].startswith(direct_emulator.endpoints["s3"] + f"/{BLOCKS_BUCKET}/")
        assert "X-Amz-Signature=" in chunk["url"]
        assert f"{GRANT_PARAM}=" in chunk["url"]
    plain = direct.publish_file(CONTENT, block_size=BLOCK, codec="none", encrypted=False)
    doc = _doc(direct_emulator, plain, key)
    assert doc["encrypt_info"] == {"data_encrypted": False}
    assert doc["compression_type"] == "NONE"
    assert "wrapped_key" not in doc


def test_block_urls_need_no_authorization_header(direct_emulator: Emulator) -> None:
    direct = direct_emulator.direct
    key = direct.default_credentials
    file_id = direct.publish_file(CONTENT, block_size=BLOCK, codec="none", encrypted=False)
    doc = _doc(direct_emulator, file_id, key)
    got = b"".join(requests.get(c["url"], timeout=30).content for c in doc["chunks"])
    assert got == CONTENT
    assert direct.block_object(file_id, 1) == CONTENT[:BLOCK]


@pytest.mark.parametrize("block_format", [1, 2])
@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "snappy-raw"])
def test_our_reader_decodes_the_emulators_blocks(
    direct_emulator: Emulator, codec: str, block_format: int
) -> None:
    direct = direct_emulator.direct
    key = direct.default_credentials
    file_id = direct.publish_file(CONTENT, block_size=BLOCK, codec=codec, block_format=block_format)
    doc = _doc(direct_emulator, file_id, key)
    fmt = FileFormat.from_metadata(doc)
    assert fmt.block_format is BlockFormat(block_format)
    data_key = fmt.unwrap(key.secret_access_key)
    got = b"".join(
        fmt.decode_block(
            requests.get(c["url"], timeout=30).content,
            key=data_key,
            expected_length=c["len"],
            file_id=file_id,
            number=n,
        )
        for n, c in enumerate(doc["chunks"], 1)
    )
    assert got == CONTENT


def test_swapped_v2_blocks_are_refused_by_our_reader(direct_emulator: Emulator) -> None:
    direct = direct_emulator.direct
    key = direct.default_credentials
    file_id = direct.publish_file(CONTENT[: 2 * BLOCK], block_size=BLOCK, block_format=2)
    first, second = direct.block_object(file_id, 1), direct.block_object(file_id, 2)
    direct.replace_block_object(file_id, 1, second)
    direct.replace_block_object(file_id, 2, first)
    doc = _doc(direct_emulator, file_id, key)
    fmt = FileFormat.from_metadata(doc)
    data_key = fmt.unwrap(key.secret_access_key)
    stored = requests.get(doc["chunks"][0]["url"], timeout=30).content
    with pytest.raises(BlockDecryptError):
        fmt.decode_block(stored, key=data_key, expected_length=BLOCK, file_id=file_id, number=1)


# --- statuses (docs/directio-protocol.md §3) ---------------------------------------------------


def test_statuses(direct_emulator: Emulator) -> None:
    direct = direct_emulator.direct
    key = direct.default_credentials
    file_id = direct.publish_file(b"status" * 10, block_size=16)
    other = direct.create_access_key()
    assert _get(direct_emulator, file_id).status_code == 401
    assert _get(direct_emulator, file_id, "NOSUCHKEY").status_code == 401
    assert _get(direct_emulator, file_id, Authorization=f"Basic {key.access_key_id}").status_code == 401
    assert _get(direct_emulator, 123_456_789, key.access_key_id).status_code == 400
    assert _get(direct_emulator, "abc", key.access_key_id).status_code == 400
    assert _get(direct_emulator, "-1", key.access_key_id).status_code == 400
    assert _get(direct_emulator, file_id, other.access_key_id).status_code == 403
    assert _get(direct_emulator, 123_456_789).status_code == 401  # the token is checked first
    not_direct = direct.publish_file(b"x", block_size=16)
    direct.set_unsupported_storage(not_direct)
    assert _get(direct_emulator, not_direct, key.access_key_id).status_code == 422
    direct.set_unsupported_storage(not_direct, False)
    assert _get(direct_emulator, not_direct, key.access_key_id).status_code == 200
    base = direct_emulator.endpoints["direct"]
    assert requests.get(f"{base}/elsewhere/1", timeout=30).status_code == 404
    put = requests.put(f"{base}/directio/{file_id}", headers={"Authorization": f"Bearer {key.access_key_id}"})
    assert put.status_code == 405
    answer = _get(direct_emulator, file_id, "NOSUCHKEY")
    assert answer.json()["code"] == "Unauthorized"


def test_access_keys_are_checked(direct_emulator: Emulator) -> None:
    direct = direct_emulator.direct
    with pytest.raises(ValueError, match="32 bytes"):
        direct.create_access_key(secret_access_key=base64.b64encode(os.urandom(16)).decode())
    with pytest.raises(ValueError, match="base64"):
        direct.create_access_key(secret_access_key="not base64!")
    made = direct.create_access_key("DIO-CHOSEN-ID")
    assert len(base64.b64decode(made.secret_access_key)) == 32
    assert made.secret_access_key not in repr(made)
    with pytest.raises(ValueError, match="already exists"):
        direct.create_access_key("DIO-CHOSEN-ID")
    with pytest.raises(KeyError):
        direct.revoke_access_key("NOSUCHKEY")


def test_revoked_access_key_gets_401(direct_emulator: Emulator) -> None:
    direct = direct_emulator.direct
    short_lived = direct.create_access_key()
    file_id = direct.publish_file(b"k" * 100, block_size=50, access_key_id=short_lived.access_key_id)
    assert _get(direct_emulator, file_id, short_lived.access_key_id).status_code == 200
    direct.revoke_access_key(short_lived.access_key_id)
    assert _get(direct_emulator, file_id, short_lived.access_key_id).status_code == 401


def test_revoke_and_rotate(direct_emulator: Emulator) -> None:
    direct = direct_emulator.direct
    key = direct.default_credentials
    file_id = direct.publish_file(CONTENT, block_size=BLOCK)
    old = _doc(direct_emulator, file_id, key)["chunks"][0]["url"]
    assert requests.get(old, timeout=30).status_code == 200
    direct.rotate_urls(file_id)
    refused = requests.get(old, timeout=30)
    assert refused.status_code == 403
    assert "<Code>AccessDenied</Code>" in refused.text
    fresh = _doc(direct_emulator, file_id, key)["chunks"][0]["url"]
    assert requests.get(fresh, timeout=30).status_code == 200
    direct.revoke_file(file_id)
    assert requests.get(fresh, timeout=30).status_code == 403
    assert _get(direct_emulator, file_id, key.access_key_id).status_code == 404


def test_urls_expire_after_their_ttl(direct_emulator: Emulator, direct_clock: ShiftableClock) -> None:
    direct = direct_emulator.direct
    key = direct.default_credentials
    file_id = direct.publish_file(CONTENT, block_size=BLOCK, url_ttl=30)
    url = _doc(direct_emulator, file_id, key)["chunks"][0]["url"]
    assert "X-Amz-Expires=30" in url
    direct_clock.shift(31)
    try:
        expired = requests.get(url, timeout=30)
    finally:
        direct_clock.shift(-31)
    assert expired.status_code == 403
    assert "Request has expired" in expired.text


def test_guard_leaves_other_presigned_urls_alone(direct_emulator: Emulator) -> None:
    put_s3_object(direct_emulator, "dio-plain", "obj", b"plain object")
    signer = SigV4Signer(
        direct_emulator.secret_id,
        direct_emulator.secret_key,
        region=direct_emulator.s3_service.region,
        service="s3",
        normalize_path=False,
        double_encode=False,
    )
    url = signer.presign_url(
        "GET", f"{direct_emulator.endpoints['s3']}/dio-plain/obj", payload_hash=UNSIGNED_PAYLOAD
    )
    assert requests.get(url, timeout=30).content == b"plain object"
    forged = signer.presign_url(
        "GET",
        f"{direct_emulator.endpoints['s3']}/dio-plain/obj?{GRANT_PARAM}=not-a-grant",
        payload_hash=UNSIGNED_PAYLOAD,
    )
    assert requests.get(forged, timeout=30).status_code == 403


# --- publishing ---------------------------------------------------------------------------------


def test_publish_checks_its_arguments(direct_emulator: Emulator, tmp_path: Any) -> None:
    direct = direct_emulator.direct
    with pytest.raises(ValueError, match="block_size"):
        direct.publish_file(b"x", block_size=0)
    with pytest.raises(ValueError, match="codec"):
        direct.publish_file(b"x", codec="lz4")
    with pytest.raises(ValueError, match="always encrypted"):
        direct.publish_file(b"x", encrypted=False, block_format=2)
    with pytest.raises(ValueError, match="block_format"):
        direct.publish_file(b"x", block_format=3)
    with pytest.raises(ValueError, match="url_ttl"):
        direct.publish_file(b"x", url_ttl=0)
    with pytest.raises(KeyError):
        direct.publish_file(b"x", access_key_id="NOSUCHKEY")
    with pytest.raises(KeyError):
        direct.publish_object("no-such-bucket", "k")
    with pytest.raises(FileNotFoundError):
        direct.publish_file(tmp_path / "missing.bin")
    with pytest.raises(KeyError):
        direct.revoke_file(987_654)


def test_publish_a_local_file_and_an_empty_one(direct_emulator: Emulator, tmp_path: Any) -> None:
    direct = direct_emulator.direct
    key = direct.default_credentials
    path = tmp_path / "local.bin"
    path.write_bytes(CONTENT)
    file_id = direct.publish_file(path, block_size=BLOCK)
    assert [c["len"] for c in _doc(direct_emulator, file_id, key)["chunks"]] == [BLOCK, BLOCK, 2000]
    empty = direct.publish_file(b"")
    assert _doc(direct_emulator, empty, key)["chunks"] == []


def test_admin_endpoints(direct_emulator: Emulator) -> None:
    direct = direct_emulator.direct
    key = direct.default_credentials
    admin = f"{direct_emulator.endpoints['direct']}/_emulator/direct"
    creds = requests.get(f"{admin}/credentials", timeout=30).json()
    assert creds == {"access_key_id": key.access_key_id, "secret_access_key": key.secret_access_key}
    assert len(base64.b64decode(creds["secret_access_key"])) == 32
    put_s3_object(direct_emulator, "dio-admin", "src.bin", CONTENT)
    made = requests.post(
        f"{admin}/files",
        json={
            "bucket": "dio-admin",
            "key": "src.bin",
            "block_size": BLOCK,
            "codec": "gzip",
            "block_format": 2,
        },
        timeout=30,
    )
    assert made.status_code == 201, made.text
    file_id = made.json()["file_id"]
    assert made.json()["blocks"] == 3
    doc = _doc(direct_emulator, file_id, key)
    assert doc["encrypt_info"]["block_format"] == 2
    missing = requests.post(f"{admin}/files", json={"bucket": "dio-admin", "key": "nope"}, timeout=30)
    assert missing.status_code == 404
    url = doc["chunks"][0]["url"]
    assert requests.post(f"{admin}/files/{file_id}/rotate", timeout=30).status_code == 204
    assert requests.get(url, timeout=30).status_code == 403
    assert requests.post(f"{admin}/files/{file_id}/revoke", timeout=30).status_code == 204
    assert _get(direct_emulator, file_id, key.access_key_id).status_code == 404
    assert requests.post(f"{admin}/files/999999/revoke", timeout=30).status_code == 404
    info = requests.get(f"{direct_emulator.endpoints['direct']}/_emulator/info", timeout=30).json()
    assert info["services"]["direct"]["default_access_key_id"] == key.access_key_id
    assert key.secret_access_key not in str(info)
    assert repr(key).count(key.secret_access_key) == 0


def test_state_survives_a_restart(tmp_path: Any) -> None:
    with Emulator(data_dir=tmp_path / "d", job_delay_scale=0) as emu:
        key = emu.direct.default_credentials
        file_id = emu.direct.publish_file(CONTENT, block_size=BLOCK)
    with Emulator(data_dir=tmp_path / "d", job_delay_scale=0) as emu:
        assert emu.direct.default_credentials == key
        doc = _doc(emu, file_id, key)
        fmt = FileFormat.from_metadata(doc)
        data_key = fmt.unwrap(key.secret_access_key)
        stored = requests.get(doc["chunks"][2]["url"], timeout=30).content
        assert (
            fmt.decode_block(stored, key=data_key, expected_length=2000, file_id=file_id, number=3)
            == CONTENT[-2000:]
        )
