"""The glue between buckets and the engine: part rules, what a download is checked against, and
how a multipart target names its parts (tokens a resumed upload compares)."""

from __future__ import annotations

import base64
import hashlib
import struct
import zlib

import pytest
import responses

from cassdk_like.bucket import COS, S3, BucketAPI, BucketObject, COSClient, InvalidObjectKeyError, S3Client
from cassdk_like.bucket.highlevel.adapters import (
    S3_PART_SIZER,
    ObjectUploadTarget,
    integrity_of,
    part_checksum_of,
    part_sizer_for,
)
from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.checksums import CRC32
from cassdk_like.core.exceptions import InvalidArgumentError, InvalidPartSizeError
from cassdk_like.engine.parts import hash_parts_with, witness_of

from ._wire import ANY_URL, APPID

MiB = 1024 * 1024
GiB = 1024 * MiB


@pytest.mark.parametrize(
    ("size", "minimum", "expected"),
    [
        (100, 16 * MiB, 16 * MiB),
        (10 * GiB, 5 * MiB, 5 * MiB),
        (100 * GiB, 5 * MiB, 11 * MiB),
        (4 * GiB, 1, 5 * MiB),
    ],
)
def test_default_part_sizes_fit_10000_parts(size: int, minimum: int, expected: int) -> None:
    part = S3_PART_SIZER.part_size(size, requested=None, minimum=minimum)
    assert part == expected
    assert -(-size // part) <= 10_000


@pytest.mark.parametrize(
    ("size", "requested"), [(20 * MiB, 4 * MiB), (20 * MiB, 5 * GiB + 1), (60 * GiB, 5 * MiB), (10, True)]
)
def test_requested_part_sizes_outside_the_rules_are_refused(size: int, requested: int) -> None:
    with pytest.raises(InvalidPartSizeError):
        S3_PART_SIZER.part_size(size, requested=requested, minimum=1)


def test_a_single_small_part_and_the_cos_floor_are_allowed() -> None:
    assert S3_PART_SIZER.part_size(3 * MiB, requested=3 * MiB, minimum=1) == 3 * MiB
    assert part_sizer_for(COS).part_size(20 * MiB, requested=2 * MiB, minimum=1) == 2 * MiB
    assert part_sizer_for(S3) is S3_PART_SIZER
    with pytest.raises(InvalidArgumentError, match="does not fit"):
        S3_PART_SIZER.part_size(60 * 1024 * GiB, requested=None, minimum=1)


def _obj(**fields: object) -> BucketObject:
    base = {"bucket": "b", "key": "k", "size": 3, "etag": "0" * 32}
    base.update(fields)
    return BucketObject(**base)  # type: ignore[arg-type]


def test_what_a_download_is_checked_against() -> None:
    sha = "ab" * 32
    assert integrity_of(_obj(metadata={"sha256": sha.upper()}))[1] == sha
    assert integrity_of(_obj())[0].name == "md5"
    assert integrity_of(_obj(etag="0" * 32 + "-2"))[1] is None
    assert integrity_of(_obj(encryption="aws:kms"))[1] is None
    assert integrity_of(_obj(metadata={"sha256": "not-hex"}))[0].name == "md5"


def test_s3_parts_are_named_by_their_sha256(s3_path: S3Client, mock: responses.RequestsMock) -> None:
    sha = hashlib.sha256(b"part one").digest()
    listing = (
        "<ListPartsResult><IsTruncated>false</IsTruncated>"
        f'<Part><PartNumber>1</PartNumber><Size>5242880</Size><ETag>"e1"</ETag><ChecksumSHA256>{base64.b64encode(sha).decode()}</ChecksumSHA256></Part>'
        '<Part><PartNumber>2</PartNumber><Size>7</Size><ETag>"e2"</ETag></Part></ListPartsResult>'
    )
    mock.add(responses.GET, ANY_URL, body=listing.encode())
    mock.add(
        responses.POST,
        ANY_URL,
        body=b'<CompleteMultipartUploadResult><ETag>"x-2"</ETag></CompleteMultipartUploadResult>',
    )
    target = ObjectUploadTarget(BucketAPI(s3_path), "bkt", "k", "UP", part_size=5 * MiB, checksum="sha256")
    assert list(target.list_parts()) == [
        (1, ByteRange(0, 5 * MiB - 1), sha.hex()),
        (2, ByteRange(5 * MiB, 5 * MiB + 6), ""),  # no checksum listed: resume sends it again
    ]
    assert target.token_for(1, {"sha256": sha.hex()}) == sha.hex()
    done = target.complete([(1, sha.hex()), (2, "cd" * 32)], 5 * MiB + 7)
    assert done.object_id == "x-2"
    assert b'<ETag>"e1"</ETag>' in mock.calls[-1].request.body
    assert f"<ChecksumSHA256>{base64.b64encode(sha).decode()}</ChecksumSHA256>".encode() in (
        mock.calls[-1].request.body
    )


def test_s3_parts_are_named_by_their_crc32_by_default(
    s3_path: S3Client, mock: responses.RequestsMock
) -> None:
    crc = struct.pack(">I", zlib.crc32(b"part one"))  # S3's form: the big-endian 4 bytes, base64
    sha = base64.b64encode(hashlib.sha256(b"part one").digest()).decode()
    listing = (
        "<ListPartsResult><IsTruncated>false</IsTruncated><ChecksumAlgorithm>CRC32</ChecksumAlgorithm>"
        f'<Part><PartNumber>1</PartNumber><Size>5242880</Size><ETag>"e1"</ETag><ChecksumCRC32>{base64.b64encode(crc).decode()}</ChecksumCRC32></Part>'
        f'<Part><PartNumber>2</PartNumber><Size>7</Size><ETag>"e2"</ETag><ChecksumSHA256>{sha}</ChecksumSHA256></Part>'
        "</ListPartsResult>"
    )
    mock.add(responses.GET, ANY_URL, body=listing.encode())
    mock.add(
        responses.POST,
        ANY_URL,
        body=b'<CompleteMultipartUploadResult><ETag>"x-2"</ETag></CompleteMultipartUploadResult>',
    )
    target = ObjectUploadTarget(BucketAPI(s3_path), "bkt", "k", "UP", part_size=5 * MiB)
    assert target.part_checksums == (CRC32,)
    # the part checksum is the witness too: no second CRC-32 of a re-read part
    assert hash_parts_with(target.part_checksums, rereads=True) == [CRC32]
    assert witness_of(target.part_checksums) is CRC32
    assert list(target.list_parts()) == [
        (1, ByteRange(0, 5 * MiB - 1), crc.hex()),
        (2, ByteRange(5 * MiB, 5 * MiB + 6), ""),  # a SHA-256 is no CRC-32 token: sent again
    ]
    assert target.token_for(1, {"crc32": crc.hex(), "sha256": "ab" * 32}) == crc.hex()
    target.complete([(1, crc.hex()), (2, "0000abcd")], 5 * MiB + 7)
    body = mock.calls[-1].request.body
    assert f"<ChecksumCRC32>{base64.b64encode(crc).decode()}</ChecksumCRC32>".encode() in body
    assert b"<ChecksumCRC32>AACrzQ==</ChecksumCRC32>" in body
    assert b"ChecksumSHA256" not in body


@pytest.mark.parametrize(
    ("dialect", "requested", "expected"),
    [(S3, None, "crc32"), (S3, "SHA256", "sha256"), (S3, "crc32", "crc32"), (COS, None, "md5")],
)
def test_the_part_checksum_asked_for_or_the_dialects(
    dialect: object, requested: object, expected: str
) -> None:
    assert part_checksum_of(dialect, requested, resource="r") == expected  # type: ignore[arg-type]


def test_a_payload_hashed_for_its_signature_makes_that_hash_the_default() -> None:
    assert part_checksum_of(S3, None, resource="r", hashed_payload=True) == "sha256"
    assert part_checksum_of(S3, "crc32", resource="r", hashed_payload=True) == "crc32"
    assert part_checksum_of(COS, None, resource="r", hashed_payload=True) == "md5"


def test_only_plain_http_hashes_every_payload(s3: S3Client, s3_path: S3Client, cos: COSClient) -> None:
    assert (s3.hashes_payload("bkt"), s3_path.hashes_payload("bkt")) == (False, True)
    assert cos.hashes_payload(f"b-{APPID}") is False


@pytest.mark.parametrize(
    ("dialect", "requested"), [(S3, "md5"), (S3, "crc32c"), (COS, "crc32"), (COS, "sha256"), (S3, 32)]
)
def test_a_part_checksum_the_service_does_not_verify_is_refused(dialect: object, requested: object) -> None:
    with pytest.raises(InvalidArgumentError, match="part_checksum must be one of") as info:
        part_checksum_of(dialect, requested, resource="object 'k' in bucket 'b'")  # type: ignore[arg-type]
    assert info.value.operation == "upload_file"
    assert info.value.resource == "object 'k' in bucket 'b'"


def test_cos_parts_are_named_by_their_md5_etag(cos: COSClient, mock: responses.RequestsMock) -> None:
    md5 = hashlib.md5(b"x").hexdigest()
    listing = (
        "<ListPartsResult><Part><PartNumber>1</PartNumber><Size>9</Size>"
        f"<ETag>&quot;{md5}&quot;</ETag></Part></ListPartsResult>"
    )
    mock.add(responses.GET, ANY_URL, body=listing.encode())
    target = ObjectUploadTarget(BucketAPI(cos), f"b-{APPID}", "k", "UP", part_size=MiB)
    assert list(target.list_parts()) == [(1, ByteRange(0, 8), md5)]
    assert target.part_checksums[0].name == "md5"
    assert target.part_sizer.min_size == MiB


def test_cos_keys_are_at_most_850_bytes(cos: COSClient) -> None:
    with pytest.raises(InvalidObjectKeyError, match="at most 850"):
        cos.head_object(f"b-{APPID}", "k" * 851)
