"""The S3 dialect on the wire: paths, queries, headers, XML bodies, and AWS's own signature examples."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qsl, urlsplit
from xml.etree import ElementTree

import pytest
import responses

from cassdk_like.bucket import S3Client
from cassdk_like.core.http.retry import RetryPolicy

from ._wire import ANY_URL, AWS_ID, AWS_KEY, AWS_NOW

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def _sent(mock: responses.RequestsMock, index: int = -1) -> responses.Call:
    return mock.calls[index]


def _query(call: responses.Call) -> list:  # type: ignore[type-arg]
    return parse_qsl(urlsplit(call.request.url).query, keep_blank_values=True)


def test_get_object_with_a_range_matches_awss_worked_example(
    s3: S3Client, mock: responses.RequestsMock
) -> None:
    """AWS's "GET Object" example: examplebucket/test.txt, Range bytes=0-9, 2013-05-24."""
    mock.add(responses.GET, ANY_URL, body=b"0123456789", status=206)
    response = s3.get_object("examplebucket", "test.txt", byte_range="0-9")
    assert response.status == 206
    request = _sent(mock).request
    assert request.url == "https://examplebucket.s3.amazonaws.com/test.txt"
    assert request.headers["Range"] == "bytes=0-9"
    assert request.headers["x-amz-content-sha256"] == hashlib.sha256(b"").hexdigest()
    assert request.headers["Authorization"] == (
        f"AWS4-HMAC-SHA256 Credential={AWS_ID}/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )


def test_presigned_get_matches_awss_worked_example(s3: S3Client) -> None:
    """AWS's query-string example: GET test.txt, 86400 s."""
    url = s3.presigned_get_url("examplebucket", "test.txt", 86400)
    assert str(url).startswith(
        "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    )
    params = dict(parse_qsl(urlsplit(url).query))
    assert params["X-Amz-Signature"] == "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    assert params["X-Amz-Expires"] == "86400"
    assert "aeeed9bb" not in repr(url)


def test_path_style_puts_the_bucket_in_the_path(s3_path: S3Client, mock: responses.RequestsMock) -> None:
    mock.add(responses.PUT, ANY_URL, status=200)
    s3_path.put_object(
        "my.bucket", "dir/a b+c%.txt", b"hello", metadata={"Owner": "me"}, content_type="text/plain"
    )
    request = _sent(mock).request
    assert request.url == "http://127.0.0.1:9000/my.bucket/dir/a%20b%2Bc%25.txt"
    assert request.headers["Host"] == "127.0.0.1:9000"
    assert request.headers["x-amz-meta-owner"] == "me"
    assert request.headers["Content-Type"] == "text/plain"
    digest = hashlib.sha256(b"hello").digest()
    assert request.headers["x-amz-checksum-sha256"] == base64.b64encode(digest).decode()
    assert request.headers["x-amz-content-sha256"] == digest.hex()
    assert "Content-MD5" not in request.headers
    assert "/eu-west-1/s3/aws4_request" in request.headers["Authorization"]
    assert request.body == b"hello"


def test_keys_are_encoded_once_in_the_signature(s3_path: S3Client, mock: responses.RequestsMock) -> None:
    """S3 canonicalises the path as sent (encoded once, never normalised), unlike other services."""
    from cassdk_like.core.auth.sigv4 import SigV4Signer

    mock.add(responses.GET, ANY_URL, status=200)
    s3_path.get_object("bkt", "a b//c.txt")
    request = _sent(mock).request
    assert request.path_url == "/bkt/a%20b//c.txt"
    signer = SigV4Signer(
        AWS_ID,
        AWS_KEY,
        region="eu-west-1",
        service="s3",
        clock=lambda: AWS_NOW,
        normalize_path=False,
        double_encode=False,
    )
    signed = {k: v for k, v in request.headers.items() if k.lower() in ("host", "x-amz-content-sha256")}
    expected = signer.sign("GET", "/bkt/a%20b//c.txt", [], signed, hashlib.sha256(b"").hexdigest())
    assert request.headers["Authorization"] == expected["Authorization"]


@pytest.mark.parametrize("checksum", [True, False], ids=["with-checksum", "signer-hashes-it"])
def test_a_file_object_is_streamed_whole_and_signed(
    s3_path: S3Client, mock: responses.RequestsMock, tmp_path, checksum: bool
) -> None:  # type: ignore[no-untyped-def]
    """Without a checksum the signer reads the body to hash it: it is rewound after signing."""
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 10 + b"payload")
    mock.add(responses.PUT, ANY_URL, status=200)
    with open(path, "rb") as fileobj:
        fileobj.seek(10)
        s3_path.put_object("bkt", "k", fileobj, size=7, checksum=checksum)
    request = _sent(mock).request
    assert request.headers["Content-Length"] == "7"
    assert request.headers["x-amz-content-sha256"] == hashlib.sha256(b"payload").hexdigest()
    assert ("x-amz-checksum-sha256" in request.headers) is checksum
    body = request.body if isinstance(request.body, bytes) else b"".join(request.body)
    assert body == b"payload"


def test_create_bucket_outside_us_east_1_sends_a_location(
    s3_path: S3Client, mock: responses.RequestsMock
) -> None:
    mock.add(responses.PUT, ANY_URL, status=200)
    s3_path.create_bucket("new-bucket", location="eu-west-1")
    request = _sent(mock).request
    assert request.url == "http://127.0.0.1:9000/new-bucket"
    root = ElementTree.fromstring(request.body)
    assert root.tag == f"{NS}CreateBucketConfiguration"
    assert root.find(f"{NS}LocationConstraint").text == "eu-west-1"  # type: ignore[union-attr]
    assert request.headers["Content-MD5"] == base64.b64encode(hashlib.md5(request.body).digest()).decode()


def test_bucket_operations_use_the_documented_requests(
    s3_path: S3Client, mock: responses.RequestsMock
) -> None:
    for method in (responses.GET, responses.HEAD, responses.DELETE):
        mock.add(method, ANY_URL, status=200)
    s3_path.list_buckets()
    s3_path.head_bucket("bkt")
    s3_path.get_bucket_location("bkt")
    s3_path.delete_bucket("bkt")
    seen = [(call.request.method, call.request.url) for call in mock.calls]
    assert seen == [
        ("GET", "http://127.0.0.1:9000/"),
        ("HEAD", "http://127.0.0.1:9000/bkt"),
        ("GET", "http://127.0.0.1:9000/bkt?location="),
        ("DELETE", "http://127.0.0.1:9000/bkt"),
    ]


def test_list_objects_v2_query(s3_path: S3Client, mock: responses.RequestsMock) -> None:
    mock.add(responses.GET, ANY_URL, status=200)
    s3_path.list_objects(
        "bkt", prefix="a/", delimiter="/", start_after="a/b", continuation_token="tok/=", max_keys=5
    )
    assert sorted(_query(_sent(mock))) == sorted(
        [
            ("list-type", "2"),
            ("continuation-token", "tok/="),
            ("start-after", "a/b"),
            ("prefix", "a/"),
            ("delimiter", "/"),
            ("max-keys", "5"),
            ("encoding-type", "url"),
        ]
    )


def test_get_object_conditions_and_part_number(s3_path: S3Client, mock: responses.RequestsMock) -> None:
    mock.add(responses.GET, ANY_URL, status=200)
    s3_path.get_object("bkt", "k", if_match='"abc"', if_none_match='"def"', part_number=3, checksum_mode=True)
    call = _sent(mock)
    assert _query(call) == [("partNumber", "3")]
    assert call.request.headers["If-Match"] == '"abc"'
    assert call.request.headers["If-None-Match"] == '"def"'
    assert call.request.headers["x-amz-checksum-mode"] == "ENABLED"


@pytest.mark.parametrize(
    ("given", "header"),
    [
        ("0-9", "bytes=0-9"),
        ("100-", "bytes=100-"),
        ("-10", "bytes=-10"),
        ((5, 6), "bytes=5-6"),
        ("bytes=-3", "bytes=-3"),
    ],
)
def test_range_forms(s3_path: S3Client, mock: responses.RequestsMock, given: object, header: str) -> None:
    mock.add(responses.GET, ANY_URL, status=206)
    s3_path.get_object("bkt", "k", byte_range=given)
    assert _sent(mock).request.headers["Range"] == header


def test_delete_objects_sends_an_escaped_document_with_its_md5(
    s3_path: S3Client, mock: responses.RequestsMock
) -> None:
    mock.add(responses.POST, ANY_URL, status=200)
    s3_path.delete_objects("bkt", ["a<b&c", "d"], quiet=True)
    call = _sent(mock)
    assert _query(call) == [("delete", "")]
    root = ElementTree.fromstring(call.request.body)
    assert [node.text for node in root.iter(f"{NS}Key")] == ["a<b&c", "d"]
    assert root.find(f"{NS}Quiet").text == "true"  # type: ignore[union-attr]
    assert (
        call.request.headers["Content-MD5"]
        == base64.b64encode(hashlib.md5(call.request.body).digest()).decode()
    )


def test_copy_object_names_the_source_and_the_directive(
    s3_path: S3Client, mock: responses.RequestsMock
) -> None:
    mock.add(responses.PUT, ANY_URL, status=200)
    s3_path.copy_object("dst", "new key", "src", "old key+1", metadata={"a": "1"}, source_if_match='"e"')
    headers = _sent(mock).request.headers
    assert headers["x-amz-copy-source"] == "/src/old%20key%2B1"
    assert headers["x-amz-metadata-directive"] == "REPLACE"
    assert headers["x-amz-copy-source-if-match"] == '"e"'
    assert headers["x-amz-meta-a"] == "1"


def test_multipart_requests(s3_path: S3Client, mock: responses.RequestsMock) -> None:
    for method in (responses.POST, responses.PUT, responses.GET, responses.DELETE):
        mock.add(method, ANY_URL, status=200)
    s3_path.create_multipart_upload("bkt", "big", metadata={"sha256": "ab"}, checksum_algorithm="SHA256")
    s3_path.upload_part("bkt", "big", "UP1", 2, b"part-two")
    s3_path.list_parts("bkt", "big", "UP1", part_number_marker=1, max_parts=100)
    sha = hashlib.sha256(b"part-two").hexdigest()
    s3_path.complete_multipart_upload("bkt", "big", "UP1", [(1, "etag1", sha), (2, '"etag2"')])
    s3_path.abort_multipart_upload("bkt", "big", "UP1")
    s3_path.list_multipart_uploads("bkt", prefix="b", key_marker="a", upload_id_marker="u", max_uploads=7)
    create, part, parts, complete, abort, uploads = mock.calls
    assert _query(create) == [("uploads", "")]
    assert create.request.headers["x-amz-checksum-algorithm"] == "SHA256"
    assert create.request.headers["x-amz-meta-sha256"] == "ab"
    assert _query(part) == [("partNumber", "2"), ("uploadId", "UP1")]
    assert part.request.headers["x-amz-checksum-sha256"] == base64.b64encode(bytes.fromhex(sha)).decode()
    assert _query(parts) == [("uploadId", "UP1"), ("max-parts", "100"), ("part-number-marker", "1")]
    root = ElementTree.fromstring(complete.request.body)
    listed = [
        (
            p.find(f"{NS}PartNumber").text,
            p.find(f"{NS}ETag").text,
            getattr(p.find(f"{NS}ChecksumSHA256"), "text", None),
        )  # type: ignore[union-attr]
        for p in root.iter(f"{NS}Part")
    ]
    assert listed == [("1", '"etag1"', base64.b64encode(bytes.fromhex(sha)).decode()), ("2", '"etag2"', None)]
    assert (abort.request.method, _query(abort)) == ("DELETE", [("uploadId", "UP1")])
    assert sorted(_query(uploads)) == sorted(
        [
            ("uploads", ""),
            ("prefix", "b"),
            ("key-marker", "a"),
            ("upload-id-marker", "u"),
            ("max-uploads", "7"),
        ]
    )


def test_object_tagging(s3_path: S3Client, mock: responses.RequestsMock) -> None:
    for method in (responses.PUT, responses.GET, responses.DELETE):
        mock.add(method, ANY_URL, status=200)
    s3_path.put_object_tagging("bkt", "k", {"env": "prod", "a+b": "x @y"})
    s3_path.get_object_tagging("bkt", "k")
    s3_path.delete_object_tagging("bkt", "k")
    put, get, delete = mock.calls
    tags = {
        t.find(f"{NS}Key").text: t.find(f"{NS}Value").text  # type: ignore[union-attr]
        for t in ElementTree.fromstring(put.request.body).iter(f"{NS}Tag")
    }
    assert tags == {"env": "prod", "a+b": "x @y"}
    assert [_query(c) for c in (put, get, delete)] == [[("tagging", "")]] * 3


def test_session_token_is_signed(mock: responses.RequestsMock) -> None:
    client = S3Client(
        "http://127.0.0.1:9000",
        AWS_ID,
        AWS_KEY,
        session_token="TOKEN",
        clock=lambda: AWS_NOW,
        retry_policy=RetryPolicy.never(),
    )
    mock.add(responses.GET, ANY_URL, status=200)
    client.list_buckets()
    headers = _sent(mock).request.headers
    assert headers["X-Amz-Security-Token"] == "TOKEN"
    assert "x-amz-security-token" in headers["Authorization"]
    assert "TOKEN" not in repr(client)
