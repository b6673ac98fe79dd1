"""The COS dialect on the wire: hosts, x-cos-* headers, marker listing, and q-sign byte-checked
against cos-python-sdk-v5's own signer on the very requests the client sends."""

from __future__ import annotations

import base64
import hashlib
import types
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses
from qcloud_cos import CosConfig, cos_auth

from cassdk_like.bucket import COSClient

from ._wire import ANY_URL, APPID, COS_ID, COS_KEY, COS_NOW, REGION

BUCKET = f"examplebucket-{APPID}"
HOST = f"{BUCKET}.cos.{REGION}.myqcloud.com"


@pytest.fixture(autouse=True)
def _frozen_cos_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cos_auth, "time", types.SimpleNamespace(time=lambda: COS_NOW))


def _theirs(call: responses.Call, key: str, expire: int) -> str:
    """What CosS3Auth writes for the request as it went out."""
    request = call.request
    parts = urlsplit(request.url)
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    config = CosConfig(Region=REGION, SecretId=COS_ID, SecretKey=COS_KEY, Scheme="https")
    headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
    prepared = requests.Request(request.method, request.url, headers=headers).prepare()
    signed = cos_auth.CosS3Auth(config, key, params, expire=expire)(prepared)
    return str(signed.headers["Authorization"])


def _window(authorization: str) -> int:
    _start, end = dict(item.split("=", 1) for item in authorization.split("&"))["q-sign-time"].split(";")
    return int(end) - COS_NOW


def test_put_object_goes_to_the_bucket_host_signed_as_cos_sdk_signs(
    cos: COSClient, mock: responses.RequestsMock
) -> None:
    mock.add(responses.PUT, ANY_URL, status=200)
    cos.put_object(BUCKET, "数据/a b.txt", b"hello cos", metadata={"Owner": "Zoe"}, content_type="text/plain")
    call = mock.calls[0]
    assert urlsplit(call.request.url).netloc == HOST
    assert call.request.headers["x-cos-meta-owner"] == "Zoe"
    assert (
        call.request.headers["Content-MD5"] == base64.b64encode(hashlib.md5(b"hello cos").digest()).decode()
    )
    assert "x-amz-checksum-sha256" not in call.request.headers
    ours = call.request.headers["Authorization"]
    assert "content-md5" in ours
    assert "x-cos-meta-owner" in ours
    assert ours == _theirs(call, "数据/a b.txt", _window(ours))


@pytest.mark.parametrize(
    "call_it",
    [
        lambda c: c.get_object(BUCKET, "k", byte_range="0-99", if_none_match='"e"'),
        lambda c: c.list_objects(
            BUCKET, prefix="a b/", delimiter="/", continuation_token="a b/x", max_keys=10
        ),
        lambda c: c.create_multipart_upload(BUCKET, "big", metadata={"sha256": "ab"}),
        lambda c: c.upload_part(BUCKET, "big", "Up/LoAd+Id", 3, b"part"),
        lambda c: c.head_object(BUCKET, "k"),
        lambda c: c.delete_objects(BUCKET, ["a", "b"]),
    ],
)
def test_every_operation_signs_as_cos_sdk_does(cos: COSClient, mock: responses.RequestsMock, call_it) -> None:  # type: ignore[no-untyped-def]
    for method in (responses.GET, responses.PUT, responses.POST, responses.HEAD):
        mock.add(method, ANY_URL, status=200)
    call_it(cos)
    call = mock.calls[0]
    key = urlsplit(call.request.url).path[1:]
    from urllib.parse import unquote

    ours = call.request.headers["Authorization"]
    assert ours == _theirs(call, unquote(key), _window(ours))


def test_listing_pages_with_markers(cos: COSClient, mock: responses.RequestsMock) -> None:
    mock.add(responses.GET, ANY_URL, status=200)
    cos.list_objects(BUCKET, prefix="p/", start_after="p/a", max_keys=3)
    query = parse_qsl(urlsplit(mock.calls[0].request.url).query, keep_blank_values=True)
    assert sorted(query) == sorted(
        [("marker", "p/a"), ("prefix", "p/"), ("max-keys", "3"), ("encoding-type", "url")]
    )


def test_list_buckets_goes_to_the_service_host(cos: COSClient, mock: responses.RequestsMock) -> None:
    mock.add(responses.GET, ANY_URL, status=200)
    cos.list_buckets()
    assert mock.calls[0].request.url == "https://service.cos.myqcloud.com/"


def test_copy_source_is_the_source_buckets_host(cos: COSClient, mock: responses.RequestsMock) -> None:
    mock.add(responses.PUT, ANY_URL, status=200)
    cos.copy_object(BUCKET, "dst", f"src-{APPID}", "a b", metadata={"x": "1"})
    headers = mock.calls[0].request.headers
    assert headers["x-cos-copy-source"] == f"src-{APPID}.cos.{REGION}.myqcloud.com/a%20b"
    assert headers["x-cos-metadata-directive"] == "Replaced"
    assert headers["x-cos-meta-x"] == "1"


def test_a_local_endpoint_keeps_the_cos_host_header(mock: responses.RequestsMock) -> None:
    client = COSClient(
        REGION, APPID, COS_ID, COS_KEY, endpoint="http://127.0.0.1:9100", clock=lambda: COS_NOW
    )
    mock.add(responses.GET, ANY_URL, status=200)
    client.get_object(BUCKET, "k")
    request = mock.calls[0].request
    assert request.url == "http://127.0.0.1:9100/k"
    assert request.headers["Host"] == HOST
    assert "q-header-list=host" in request.headers["Authorization"]


def test_short_bucket_names_get_the_appid(cos: COSClient) -> None:
    assert cos.bucket_name("examplebucket") == BUCKET
    assert cos.bucket_name(BUCKET) == BUCKET


def test_presigned_url_matches_cos_sdk(cos: COSClient) -> None:
    from qcloud_cos import CosS3Client

    config = CosConfig(Region=REGION, SecretId=COS_ID, SecretKey=COS_KEY, Scheme="https")
    theirs = CosS3Client(config).get_presigned_url(Bucket=BUCKET, Key="a b.txt", Method="GET", Expired=600)
    ours = cos.presigned_get_url(BUCKET, "a b.txt", 600)
    assert dict(parse_qsl(urlsplit(ours).query)) == dict(parse_qsl(urlsplit(theirs).query))
    assert urlsplit(ours).netloc == HOST
    assert "q-signature=***" in repr(ours)
