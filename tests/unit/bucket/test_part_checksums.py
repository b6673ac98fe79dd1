"""The checksum of S3 multipart parts on the wire: CRC-32 by default, SHA-256 on request, resume by
the upload's own algorithm, and mistakes refused before any request."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import struct
import zlib
from pathlib import Path
from typing import Dict, List, Optional, Tuple
from urllib.parse import parse_qsl, urlsplit
from xml.etree import ElementTree

import pytest
import responses

from cassdk_like.bucket import Bucket, BucketAPI, COSClient, S3Client
from cassdk_like.core.exceptions import InvalidArgumentError, UploadArchiveError
from cassdk_like.engine import TransferConfig

from ._wire import ANY_URL, APPID, AWS_ID, AWS_KEY, AWS_NOW

MiB = 1024 * 1024
NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
#: 11 MiB in parts of 5 MiB: 5, 5 and 1 MiB
PART = 5 * MiB
ONE_WORKER = TransferConfig(max_workers=1, part_size=PART)


def _crc32_b64(data: bytes) -> str:
    """S3's x-amz-checksum-crc32: base64 of the big-endian CRC-32 (computed here, not by the SDK)."""
    return base64.b64encode(struct.pack(">I", zlib.crc32(data) & 0xFFFFFFFF)).decode()


def _sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


@pytest.fixture
def data(tmp_path: Path) -> Tuple[Path, bytes]:
    payload = os.urandom(11 * MiB)
    path = tmp_path / "big.bin"
    path.write_bytes(payload)
    return path, payload


def _pieces(payload: bytes) -> List[bytes]:
    return [payload[i : i + PART] for i in range(0, len(payload), PART)]


def _query(request: responses.PreparedRequest) -> Dict[str, str]:
    return dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))


def _body(request: responses.PreparedRequest) -> bytes:
    body = request.body
    if body is None:
        return b""
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode()
    return b"".join(iter(lambda: body.read(MiB), b""))  # type: ignore[union-attr]


class FakeS3:
    """Answers Create, Upload Part, List Parts, Complete, Head (``stored_sha256`` in the metadata,
    ``stored_size`` as the length) and Copy; keeps what each part and copy request sent."""

    def __init__(
        self,
        mock: responses.RequestsMock,
        listing: Optional[bytes] = None,
        stored_sha256: str = "",
        stored_size: int = 11 * MiB,
        head_status: int = 200,
    ) -> None:
        self.parts: Dict[int, Tuple[Dict[str, str], bytes]] = {}
        self.copies: List[Dict[str, str]] = []
        self.requests: List[Tuple[str, Dict[str, str]]] = []
        self.listing = listing
        self.stored = (stored_sha256, stored_size)
        self.head_status = head_status
        for method in (responses.POST, responses.PUT, responses.GET, responses.HEAD):
            mock.add_callback(method, ANY_URL, callback=self._answer)

    def _answer(self, request: responses.PreparedRequest) -> Tuple[int, Dict[str, str], bytes]:
        query = _query(request)
        self.requests.append((request.method or "", query))
        if request.method == "HEAD" and self.head_status != 200:
            return self.head_status, {}, b""
        if request.method == "HEAD":
            sha256, size = self.stored
            return 200, {"ETag": '"x-3"', "Content-Length": str(size), "x-amz-meta-sha256": sha256}, b""
        if request.method == "PUT" and "x-amz-copy-source" in request.headers:
            self.copies.append(dict(request.headers))
            return 200, {}, b'<CopyObjectResult><ETag>"copied"</ETag></CopyObjectResult>'
        if request.method == "POST" and "uploads" in query:
            return (
                200,
                {},
                b"<InitiateMultipartUploadResult><UploadId>UP</UploadId></InitiateMultipartUploadResult>",
            )
        if request.method == "PUT":
            number = int(query["partNumber"])
            self.parts[number] = (dict(request.headers), _body(request))
            return 200, {"ETag": f'"etag{number}"'}, b""
        if request.method == "GET":
            assert self.listing is not None, "List Parts was not expected"
            return 200, {}, self.listing
        return 200, {}, b'<CompleteMultipartUploadResult><ETag>"x-3"</ETag></CompleteMultipartUploadResult>'

    def create(self, calls: responses.CallList) -> responses.PreparedRequest:
        return next(c.request for c in calls if c.request.method == "POST" and "uploads" in _query(c.request))

    def complete(self, calls: responses.CallList) -> List[Tuple[str, str, Optional[str], Optional[str]]]:
        request = next(
            c.request for c in calls if c.request.method == "POST" and "uploadId" in _query(c.request)
        )
        root = ElementTree.fromstring(_body(request))
        return [
            (
                p.findtext(f"{NS}PartNumber") or "",
                p.findtext(f"{NS}ETag") or "",
                p.findtext(f"{NS}ChecksumCRC32"),
                p.findtext(f"{NS}ChecksumSHA256"),
            )
            for p in root.iter(f"{NS}Part")
        ]


def test_parts_carry_crc32_by_default_and_go_unsigned_over_https(
    s3: S3Client, mock: responses.RequestsMock, data: Tuple[Path, bytes]
) -> None:
    path, payload = data
    fake = FakeS3(mock)
    done = Bucket(BucketAPI(s3), "bkt").upload_file(path, "big", threshold=0, config=ONE_WORKER)
    assert done.multipart
    assert done.parts_uploaded == 3
    create = fake.create(mock.calls)
    assert create.headers["x-amz-checksum-algorithm"] == "CRC32"
    assert create.headers["x-amz-meta-sha256"] == hashlib.sha256(payload).hexdigest()  # end to end
    pieces = _pieces(payload)
    assert sorted(fake.parts) == [1, 2, 3]
    for number, piece in enumerate(pieces, 1):
        headers, sent = fake.parts[number]
        assert sent == piece
        assert headers["x-amz-checksum-crc32"] == _crc32_b64(piece)
        assert "x-amz-checksum-sha256" not in headers
        assert headers["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD"  # TLS and the CRC guard it
        assert "x-amz-content-sha256" in headers["Authorization"]
    assert fake.complete(mock.calls) == [
        (str(n), f'"etag{n}"', _crc32_b64(piece), None) for n, piece in enumerate(pieces, 1)
    ]


@pytest.mark.parametrize(
    ("asked", "algorithm", "header", "expected", "absent"),
    [
        (None, "SHA256", "x-amz-checksum-sha256", "sha256", "x-amz-checksum-crc32"),
        ("crc32", "CRC32", "x-amz-checksum-crc32", "crc32", "x-amz-checksum-sha256"),
    ],
    ids=["default-is-the-sha256-the-signature-needs-anyway", "crc32-payload-still-signed"],
)
def test_over_plain_http_every_part_payload_is_signed(
    s3_path: S3Client,
    mock: responses.RequestsMock,
    data: Tuple[Path, bytes],
    asked: Optional[str],
    algorithm: str,
    header: str,
    expected: str,
    absent: str,
) -> None:
    path, payload = data
    fake = FakeS3(mock)
    Bucket(BucketAPI(s3_path), "bkt").upload_file(
        path, "big", threshold=0, config=ONE_WORKER, part_checksum=asked
    )
    assert fake.create(mock.calls).headers["x-amz-checksum-algorithm"] == algorithm
    checksum_of = _sha256_b64 if expected == "sha256" else _crc32_b64
    for number, piece in enumerate(_pieces(payload), 1):
        headers, _sent = fake.parts[number]
        assert headers[header] == checksum_of(piece)
        assert headers["x-amz-content-sha256"] == hashlib.sha256(piece).hexdigest()
        assert absent not in headers


def test_sha256_parts_on_request(
    s3: S3Client, mock: responses.RequestsMock, data: Tuple[Path, bytes]
) -> None:
    path, payload = data
    fake = FakeS3(mock)
    Bucket(BucketAPI(s3), "bkt").upload_file(
        path, "big", threshold=0, config=ONE_WORKER, part_checksum="sha256"
    )
    assert fake.create(mock.calls).headers["x-amz-checksum-algorithm"] == "SHA256"
    pieces = _pieces(payload)
    for number, piece in enumerate(pieces, 1):
        headers, _sent = fake.parts[number]
        assert headers["x-amz-checksum-sha256"] == _sha256_b64(piece)
        assert headers["x-amz-content-sha256"] == hashlib.sha256(piece).hexdigest()
        assert "x-amz-checksum-crc32" not in headers
    assert fake.complete(mock.calls) == [
        (str(n), f'"etag{n}"', None, _sha256_b64(piece)) for n, piece in enumerate(pieces, 1)
    ]


@pytest.mark.parametrize("value", ["md5", "crc32c", "sha1", "", 32])
def test_a_part_checksum_s3_does_not_take_is_refused_before_any_request(
    s3: S3Client, mock: responses.RequestsMock, data: Tuple[Path, bytes], value: object
) -> None:
    path, _payload = data
    with pytest.raises(InvalidArgumentError, match="part_checksum must be one of 'crc32', 'sha256'") as info:
        Bucket(BucketAPI(s3), "bkt").upload_file(path, "big", threshold=0, part_checksum=value)  # type: ignore[arg-type]
    assert info.value.operation == "upload_file"
    assert info.value.resource == "object 'big' in bucket 'bkt'"
    assert len(mock.calls) == 0


def test_cos_takes_only_md5_parts(
    cos: COSClient, mock: responses.RequestsMock, data: Tuple[Path, bytes]
) -> None:
    path, _payload = data
    with pytest.raises(InvalidArgumentError, match="one of 'md5' on cos"):
        Bucket(BucketAPI(cos), f"b-{APPID}").upload_file(path, "big", threshold=0, part_checksum="crc32")
    assert len(mock.calls) == 0


def _listing(algorithm: Optional[str], parts: List[Tuple[int, int, str, str]]) -> bytes:
    """A ListPartsResult: (number, size, checksum element, value) per part."""
    head = f"<ChecksumAlgorithm>{algorithm}</ChecksumAlgorithm>" if algorithm else ""
    items = "".join(
        f'<Part><PartNumber>{n}</PartNumber><Size>{size}</Size><ETag>"etag{n}"</ETag><{tag}>{value}</{tag}></Part>'
        for n, size, tag, value in parts
    )
    return f"<ListPartsResult><IsTruncated>false</IsTruncated>{head}{items}</ListPartsResult>".encode()


def test_resume_compares_the_stored_crc32_tokens_and_sends_only_the_others(
    s3: S3Client, mock: responses.RequestsMock, data: Tuple[Path, bytes]
) -> None:
    path, payload = data
    one, two, _three = _pieces(payload)
    listing = _listing(
        "CRC32",
        [(1, PART, "ChecksumCRC32", _crc32_b64(one)), (2, PART, "ChecksumCRC32", _crc32_b64(b"not it"))],
    )
    fake = FakeS3(mock, listing, stored_sha256=hashlib.sha256(payload).hexdigest())
    done = Bucket(BucketAPI(s3), "bkt").upload_file(
        path, "big", upload_id="UP", config=TransferConfig(max_workers=1)
    )
    assert (done.part_size, done.parts_skipped, done.parts_uploaded) == (PART, 1, 2)
    assert sorted(fake.parts) == [2, 3]  # part 1 matched its CRC-32; part 2 did not
    assert fake.parts[2][0]["x-amz-checksum-crc32"] == _crc32_b64(two)
    assert not any(m == "POST" and "uploads" in q for m, q in fake.requests)  # no new upload
    first = next(q for m, q in fake.requests if m == "GET")
    assert first["max-parts"] == "1"  # part size and algorithm from one short listing
    assert [row[2] for row in fake.complete(mock.calls)] == [_crc32_b64(p) for p in _pieces(payload)]
    assert fake.copies == []  # the digest stored at Create is the file's


def _first_part_stored(payload: bytes) -> bytes:
    """A CRC-32 upload's listing with its first part stored."""
    return _listing("CRC32", [(1, PART, "ChecksumCRC32", _crc32_b64(_pieces(payload)[0]))])


def test_a_resume_of_a_changed_file_replaces_the_stale_digest_by_a_copy_onto_itself(
    s3: S3Client, mock: responses.RequestsMock, data: Tuple[Path, bytes]
) -> None:
    path, payload = data
    fake = FakeS3(mock, _first_part_stored(payload), stored_sha256="ab" * 32)  # Create saw other bytes
    done = Bucket(BucketAPI(s3), "bkt").upload_file(
        path, "big", upload_id="UP", config=TransferConfig(max_workers=1), metadata={"owner": "ops"}
    )
    (copy,) = fake.copies
    assert copy["x-amz-copy-source"] == "/bkt/big"
    assert copy["x-amz-copy-source-if-match"] == '"x-3"'  # only the object just completed
    assert copy["x-amz-metadata-directive"] == "REPLACE"
    assert copy["x-amz-meta-sha256"] == hashlib.sha256(payload).hexdigest() == done.sha256
    assert copy["x-amz-meta-owner"] == "ops"
    assert done.etag == "copied"


def test_a_stale_digest_on_an_object_too_large_to_copy_is_reported_as_such(
    s3: S3Client, mock: responses.RequestsMock, data: Tuple[Path, bytes]
) -> None:
    path, payload = data
    fake = FakeS3(mock, _first_part_stored(payload), stored_sha256="ab" * 32, stored_size=6 * 1024 * MiB)
    with pytest.raises(UploadArchiveError, match=r"written with the file's current bytes.*over 5 GiB"):
        Bucket(BucketAPI(s3), "bkt").upload_file(
            path, "big", upload_id="UP", config=TransferConfig(max_workers=1)
        )
    assert fake.copies == []


def test_resume_keeps_the_algorithm_the_upload_was_created_with(
    s3: S3Client, mock: responses.RequestsMock, data: Tuple[Path, bytes], caplog: pytest.LogCaptureFixture
) -> None:
    """An upload created with SHA-256 (before CRC-32 was the default) goes on with SHA-256, even
    against an explicit ``part_checksum="crc32"``: S3 refuses parts of another algorithm."""
    path, payload = data
    one, two, three = _pieces(payload)
    fake = FakeS3(
        mock,
        _listing("SHA256", [(1, PART, "ChecksumSHA256", _sha256_b64(one))]),
        stored_sha256=hashlib.sha256(payload).hexdigest(),
    )
    with caplog.at_level(logging.DEBUG, logger="cassdk_like.bucket"):
        Bucket(BucketAPI(s3), "bkt").upload_file(
            path, "big", upload_id="UP", config=TransferConfig(max_workers=1), part_checksum="crc32"
        )
    assert sorted(fake.parts) == [2, 3]
    assert fake.parts[2][0]["x-amz-checksum-sha256"] == _sha256_b64(two)
    assert "x-amz-checksum-crc32" not in fake.parts[3][0]
    assert [row[3] for row in fake.complete(mock.calls)] == [_sha256_b64(p) for p in (one, two, three)]
    assert re.search(r"created with sha256 part checksums: sending those, not crc32", caplog.text)


def test_resume_learns_the_algorithm_from_the_parts_when_the_listing_names_none(
    s3: S3Client, mock: responses.RequestsMock, data: Tuple[Path, bytes]
) -> None:
    path, payload = data
    one = _pieces(payload)[0]
    fake = FakeS3(
        mock,
        _listing(None, [(1, PART, "ChecksumSHA256", _sha256_b64(one))]),
        stored_sha256=hashlib.sha256(payload).hexdigest(),
    )
    Bucket(BucketAPI(s3), "bkt").upload_file(
        path, "big", upload_id="UP", config=TransferConfig(max_workers=1)
    )
    assert sorted(fake.parts) == [2, 3]
    assert "x-amz-checksum-sha256" in fake.parts[2][0]


def test_resume_of_an_upload_with_an_algorithm_this_sdk_does_not_send_is_refused(
    s3: S3Client, mock: responses.RequestsMock, data: Tuple[Path, bytes]
) -> None:
    path, _payload = data
    fake = FakeS3(mock, _listing("CRC32C", []))
    with pytest.raises(InvalidArgumentError, match="created with CRC32C part checksums"):
        Bucket(BucketAPI(s3), "bkt").upload_file(path, "big", upload_id="UP")
    assert [m for m, _q in fake.requests] == ["GET"]  # nothing sent, nothing aborted


def test_low_level_upload_part_and_complete_with_crc32(
    s3_path: S3Client, mock: responses.RequestsMock
) -> None:
    mock.add(responses.PUT, ANY_URL, status=200, headers={"ETag": '"e2"'})
    mock.add(responses.POST, ANY_URL, status=200)
    body = b"part-two"
    crc = struct.pack(">I", zlib.crc32(body)).hex()
    s3_path.upload_part("bkt", "big", "UP1", 2, body, crc32=crc.upper())
    s3_path.complete_multipart_upload(
        "bkt", "big", "UP1", [(1, "e1", None, "0000abcd"), (2, "e2", None, crc)]
    )
    part, complete = mock.calls
    assert part.request.headers["x-amz-checksum-crc32"] == _crc32_b64(body)
    assert part.request.headers["x-amz-content-sha256"] == hashlib.sha256(body).hexdigest()  # plain HTTP
    assert "x-amz-checksum-sha256" not in part.request.headers
    root = ElementTree.fromstring(complete.request.body)
    assert [p.findtext(f"{NS}ChecksumCRC32") for p in root.iter(f"{NS}Part")] == [
        "AACrzQ==",
        _crc32_b64(body),
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"crc32": "0000abcd", "sha256": "ab" * 32}, "instead of sha256"),
        ({"crc32": "abc"}, "crc32 must be 8 hexadecimal digits"),
    ],
)
def test_low_level_crc32_mistakes_are_refused_before_sending(
    s3_path: S3Client, mock: responses.RequestsMock, options: Dict[str, str], message: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        s3_path.upload_part("bkt", "big", "UP1", 1, b"x", **options)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="both a SHA-256 and a CRC-32"):
        s3_path.complete_multipart_upload("bkt", "big", "UP1", [(1, "e1", "ab" * 32, "0000abcd")])
    assert len(mock.calls) == 0


def test_cos_parts_take_no_crc32(cos: COSClient, mock: responses.RequestsMock) -> None:
    with pytest.raises(InvalidArgumentError, match="crc32"):
        cos.upload_part(f"b-{APPID}", "big", "UP1", 1, b"x", crc32="0000abcd")
    assert len(mock.calls) == 0


def test_over_https_a_crc32_part_is_signed_with_the_unsigned_payload_line(
    s3: S3Client, mock: responses.RequestsMock
) -> None:
    """The signature's payload line is UNSIGNED-PAYLOAD, not the body's SHA-256 (none is computed)."""
    from cassdk_like.core.auth.sigv4 import SigV4Signer

    mock.add(responses.PUT, ANY_URL, status=200)
    body = b"part-one"
    s3.upload_part("examplebucket", "big", "UP1", 1, body, crc32=struct.pack(">I", zlib.crc32(body)).hex())
    request = mock.calls[0].request
    assert request.headers["x-amz-checksum-crc32"] == _crc32_b64(body)
    names = re.search(r"SignedHeaders=([^,]+)", request.headers["Authorization"]).group(1).split(";")  # type: ignore[union-attr]
    assert "x-amz-checksum-crc32" in names
    signer = SigV4Signer(
        AWS_ID,
        AWS_KEY,
        region="us-east-1",
        service="s3",
        clock=lambda: AWS_NOW,
        normalize_path=False,
        double_encode=False,
    )
    signed = {k: v for k, v in request.headers.items() if k.lower() in names}
    query = [("partNumber", "1"), ("uploadId", "UP1")]
    expected = signer.sign("PUT", "/big", query, signed, "UNSIGNED-PAYLOAD")
    assert request.headers["Authorization"] == expected["Authorization"]


def test_a_digest_that_cannot_be_checked_after_a_resume_is_reported_as_written_but_unchecked(
    s3: S3Client, mock: responses.RequestsMock, data: Tuple[Path, bytes]
) -> None:
    path, payload = data
    fake = FakeS3(mock, _first_part_stored(payload), head_status=403)
    with pytest.raises(UploadArchiveError, match=r"the object was written, but whether its stored SHA-256"):
        Bucket(BucketAPI(s3), "bkt").upload_file(
            path, "big", upload_id="UP", config=TransferConfig(max_workers=1)
        )
    assert fake.copies == []
    assert fake.complete(mock.calls)  # Complete went out: the object exists
