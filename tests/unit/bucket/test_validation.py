"""Bad input is refused before anything is sent, with an error naming the operation and the resource."""

from __future__ import annotations

from typing import Any

import pytest
import responses

from cassdk_like.bucket import COSClient, InvalidBucketNameError, InvalidObjectKeyError, S3Client
from cassdk_like.core.exceptions import InvalidArgumentError, InvalidByteRangeError

from ._wire import APPID

GOOD_S3 = ["abc", "my.bucket-1", "a" * 63, "1bucket"]
BAD_S3 = [
    "ab",
    "a" * 64,
    "Upper",
    "-start",
    "end-",
    "a..b",
    "a.-b",
    "192.168.1.1",
    "xn--abc",
    "x-s3alias",
    "a_b",
    "",
]


@pytest.mark.parametrize("name", GOOD_S3)
def test_good_s3_bucket_names_pass(s3_path: S3Client, mock: responses.RequestsMock, name: str) -> None:
    mock.add(responses.HEAD, "http://127.0.0.1:9000/" + name, status=200)
    assert s3_path.head_bucket(name).status == 200


@pytest.mark.parametrize("name", [*BAD_S3, None, 7])
def test_bad_s3_bucket_names_fail_before_sending(
    s3_path: S3Client, mock: responses.RequestsMock, name: Any
) -> None:
    with pytest.raises(InvalidBucketNameError) as caught:
        s3_path.head_bucket(name)
    assert caught.value.operation == "head_bucket"
    assert caught.value.resource == f"bucket {name!r}"
    assert not mock.calls


@pytest.mark.parametrize(
    "name", ["examplebucket", f"UPPER-{APPID}", f"-x-{APPID}", "x-99", f"{'a' * 41}-{APPID}"]
)
def test_bad_cos_bucket_names(cos: COSClient, mock: responses.RequestsMock, name: str) -> None:
    with pytest.raises(InvalidBucketNameError):
        cos.head_bucket(name)
    assert not mock.calls


@pytest.mark.parametrize(
    "key", ["", "a" * 1025, "é" * 513, "a/../b", "./x", "x/.", "nul\x00", "\ud800", None]
)
def test_bad_keys(s3_path: S3Client, mock: responses.RequestsMock, key: Any) -> None:
    with pytest.raises(InvalidObjectKeyError) as caught:
        s3_path.get_object("bkt", key)
    assert caught.value.operation == "get_object"
    assert "bkt" in (caught.value.resource or "")
    assert not mock.calls


def test_the_longest_key_passes(s3_path: S3Client, mock: responses.RequestsMock) -> None:
    mock.add(responses.GET, "http://127.0.0.1:9000/bkt/" + "a" * 1024, status=200)
    assert s3_path.get_object("bkt", "a" * 1024).status == 200


@pytest.mark.parametrize("bad", ["5-2", "a-b", "0-1,5-6", "-0", (3, 1), 7])
def test_bad_ranges(s3_path: S3Client, bad: Any) -> None:
    with pytest.raises(InvalidByteRangeError):
        s3_path.get_object("bkt", "k", byte_range=bad)


@pytest.mark.parametrize("number", [0, 10_001, -1, True, "3"])
def test_part_numbers_are_1_to_10000(s3_path: S3Client, number: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="part number"):
        s3_path.upload_part("bkt", "k", "UP", number, b"x")


@pytest.mark.parametrize("expires", [0, 7 * 24 * 3600 + 1, 1.5, True])
def test_presign_expiry_is_at_most_seven_days(s3_path: S3Client, expires: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="7 days"):
        s3_path.presigned_get_url("bkt", "k", expires)
    with pytest.raises(InvalidArgumentError, match="7 days"):
        s3_path.presigned_post("bkt", key="k", expires=expires)


def test_seven_days_is_allowed(s3_path: S3Client) -> None:
    assert "X-Amz-Expires=604800" in s3_path.presigned_get_url("bkt", "k", 604800)


@pytest.mark.parametrize("metadata", [{"bad name": "v"}, {"k": "é"}, {"k": 1}, {"A": "1", "a": "2"}, ["k"]])
def test_bad_metadata(s3_path: S3Client, metadata: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="metadata"):
        s3_path.put_object("bkt", "k", b"x", metadata=metadata)


def test_complete_needs_ascending_parts_with_etags(s3_path: S3Client, mock: responses.RequestsMock) -> None:
    with pytest.raises(InvalidArgumentError, match="ascending"):
        s3_path.complete_multipart_upload("bkt", "k", "UP", [(2, "a"), (1, "b")])
    with pytest.raises(InvalidArgumentError, match="no ETag"):
        s3_path.complete_multipart_upload("bkt", "k", "UP", [(1, '""')])
    with pytest.raises(InvalidArgumentError, match=r"1\.\.10000 parts"):
        s3_path.complete_multipart_upload("bkt", "k", "UP", [])
    assert not mock.calls


def test_delete_objects_takes_1_to_1000_keys(s3_path: S3Client) -> None:
    with pytest.raises(InvalidArgumentError, match=r"1\.\.1000"):
        s3_path.delete_objects("bkt", [])
    with pytest.raises(InvalidArgumentError, match=r"1\.\.1000"):
        s3_path.delete_objects("bkt", [str(i) for i in range(1001)])


def test_size_must_match_the_content(s3_path: S3Client) -> None:
    with pytest.raises(InvalidArgumentError, match="size is 3"):
        s3_path.put_object("bkt", "k", b"ab", size=3)
    with pytest.raises(InvalidArgumentError, match="sha256 must be 64"):
        s3_path.put_object("bkt", "k", b"ab", sha256="xyz")


def test_virtual_host_with_dots_over_https_is_refused() -> None:
    client = S3Client("https://s3.amazonaws.com", "AK", "SK", addressing="virtual")
    with pytest.raises(InvalidArgumentError, match="TLS certificate") as caught:
        client.head_bucket("my.bucket")
    assert caught.value.operation == "head_bucket"


def test_auto_addressing_falls_back_to_path_style_for_dotted_names(mock: responses.RequestsMock) -> None:
    client = S3Client("https://s3.amazonaws.com", "AK", "SK")
    mock.add(responses.HEAD, "https://s3.amazonaws.com/my.bucket", status=200)
    mock.add(responses.HEAD, "https://plain.s3.amazonaws.com/", status=200)
    client.head_bucket("my.bucket")
    client.head_bucket("plain")
    assert [c.request.url for c in mock.calls] == [
        "https://s3.amazonaws.com/my.bucket",
        "https://plain.s3.amazonaws.com/",
    ]


def test_constructors_check_their_arguments() -> None:
    with pytest.raises(InvalidArgumentError, match="addressing"):
        S3Client("http://127.0.0.1:1", "AK", "SK", addressing="dns")
    with pytest.raises(InvalidArgumentError, match="appid"):
        COSClient("ap-guangzhou", "abc", "ID", "KEY")
    with pytest.raises(InvalidArgumentError, match="region"):
        COSClient(None, APPID, "ID", "KEY")
    with pytest.raises(InvalidArgumentError, match="URL"):
        S3Client("127.0.0.1:9000", "AK", "SK")


@pytest.mark.parametrize(
    "tags", [{"a&b": "v"}, {"k": "<x>"}, {"": "v"}, {str(i): "v" for i in range(11)}, ["k"]]
)
def test_bad_tags(s3_path: S3Client, mock: responses.RequestsMock, tags: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="tag"):
        s3_path.put_object_tagging("bkt", "k", tags)
    assert not mock.calls
