"""S3 multipart parts checksummed with CRC-32 over real HTTP against the emulator: the service
refuses a part whose CRC-32 is wrong, lists the CRC-32s a resume compares, builds the composite
checksum from them, and the object downloads verified against its whole-object SHA-256."""

from __future__ import annotations

import base64
import hashlib
import io
import struct
import uuid
import zlib
from pathlib import Path
from typing import Callable, Iterator, Optional

import pytest

from cassdk_like.bucket import BadDigest, Bucket, BucketAPI, BucketClient, CompletedPart, InvalidPart
from cassdk_like.core.exceptions import CASServerError, LocalFileError
from cassdk_like.emulator import Emulator
from cassdk_like.engine import TransferConfig
from tests.helpers.failing_reads import interrupted_upload

MiB = 1024 * 1024
CONFIG = TransferConfig(max_workers=2, piece_size=MiB, min_part_size=5 * MiB)


@pytest.fixture
def s3(emu: Emulator, client_for: Callable[..., BucketClient]) -> Iterator[BucketClient]:
    with client_for(emu, "s3") as made:
        yield made


@pytest.fixture
def s3_bucket(s3: BucketClient) -> Bucket:
    return Bucket.create(BucketAPI(s3), f"crc-{uuid.uuid4().hex[:12]}")


def _crc32_hex(data: bytes) -> str:
    return struct.pack(">I", zlib.crc32(data)).hex()


def _crc32_b64(data: bytes) -> str:
    return base64.b64encode(struct.pack(">I", zlib.crc32(data))).decode()


def _data(size: int, seed: int) -> bytes:
    block = hashlib.sha256(str(seed).encode()).digest() * 4096
    return (block * (size // len(block) + 1))[:size]


def test_a_part_with_a_wrong_crc32_is_refused_and_the_right_ones_make_a_composite(
    s3: BucketClient, s3_bucket: Bucket
) -> None:
    api = BucketAPI(s3)
    name = s3_bucket.name
    upload_id = api.create_multipart_upload(name, "k", checksum_algorithm="CRC32")
    one, two = _data(5 * MiB, 1), b"the last part"
    with pytest.raises(BadDigest) as refused:
        api.upload_part(name, "k", upload_id, 1, one, crc32=_crc32_hex(one + b"x"))
    assert refused.value.status == 400
    with pytest.raises(CASServerError, match="Checksum Type mismatch"):
        api.upload_part(name, "k", upload_id, 1, one, sha256=hashlib.sha256(one).hexdigest())
    first = api.upload_part(name, "k", upload_id, 1, one, crc32=_crc32_hex(one))
    second = api.upload_part(name, "k", upload_id, 2, two, crc32=_crc32_hex(two))
    page = api.list_parts(name, "k", upload_id)
    assert page.checksum_algorithm == "crc32"
    assert [(p.number, p.checksum_crc32) for p in page.parts] == [(1, _crc32_b64(one)), (2, _crc32_b64(two))]
    with pytest.raises(InvalidPart):
        api.complete_multipart_upload(
            name, "k", upload_id, [CompletedPart(1, first.etag, crc32=_crc32_hex(two)), (2, second.etag)]
        )
    api.complete_multipart_upload(
        name,
        "k",
        upload_id,
        [
            CompletedPart(1, first.etag, crc32=_crc32_hex(one)),
            CompletedPart(2, second.etag, crc32=_crc32_hex(two)),
        ],
    )
    stored = s3.head_object(name, "k", checksum_mode=True).headers["x-amz-checksum-crc32"]
    composite = struct.pack(
        ">I", zlib.crc32(struct.pack(">I", zlib.crc32(one)) + struct.pack(">I", zlib.crc32(two)))
    )
    assert stored == f"{base64.b64encode(composite).decode()}-2"
    assert api.get_object(name, "k").body == one + two


def test_a_crc32_upload_resumes_by_its_listed_crcs_and_downloads_verified(
    s3: BucketClient, s3_bucket: Bucket, tmp_path: Path
) -> None:
    api = BucketAPI(s3)
    data = _data(16 * MiB + 3, seed=7)
    # over plain HTTP the default is the SHA-256 the signature needs
    failed = interrupted_upload(s3_bucket, data, "big", 10 * MiB, part_checksum="crc32")
    assert isinstance(failed.__cause__, LocalFileError)
    upload_id = failed.upload_id
    assert upload_id is not None
    page = api.list_parts(s3_bucket.name, "big", upload_id)
    assert page.checksum_algorithm == "crc32"  # declared at Create
    assert [p.checksum_crc32 for p in page.parts] == [
        _crc32_b64(data[: 5 * MiB]),
        _crc32_b64(data[5 * MiB : 10 * MiB]),
    ]
    # no part_checksum: the resume learns CRC-32 from the listing (the default here is SHA-256)
    done = s3_bucket.upload_file(io.BytesIO(data), "big", upload_id=upload_id, config=CONFIG)
    assert (done.parts_skipped, done.parts_uploaded) == (2, 2)
    stored = s3.head_object(s3_bucket.name, "big", checksum_mode=True).headers["x-amz-checksum-crc32"]
    assert stored.endswith("-4")
    out = tmp_path / "out.bin"
    result = s3_bucket.download_file("big", out, config=CONFIG)
    assert (result.verified, result.integrity) == (True, "sha256")
    assert out.read_bytes() == data


@pytest.mark.parametrize("requested", ["sha256", None])
def test_sha256_parts_on_request_and_by_default_over_plain_http(
    s3: BucketClient, s3_bucket: Bucket, tmp_path: Path, requested: Optional[str]
) -> None:
    data = _data(11 * MiB, seed=8)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    s3_bucket.upload_file(
        src, "sha", threshold=5 * MiB, part_size=5 * MiB, config=CONFIG, part_checksum=requested
    )
    headers = s3.head_object(s3_bucket.name, "sha", checksum_mode=True).headers
    assert headers["x-amz-checksum-sha256"].endswith("-3")
    assert "x-amz-checksum-crc32" not in headers
    assert s3_bucket.get_bytes("sha") == data
