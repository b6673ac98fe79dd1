"""BucketAPI and Bucket over recorded answers: documents read into values (S3's namespaced and
COS's bare forms), every page followed, and the failures S3 hides in a 200 raised."""

from __future__ import annotations

import datetime as _dt
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses

from cassdk_like.bucket import (
    Bucket,
    BucketAlreadyExists,
    BucketAlreadyOwnedByYou,
    BucketAPI,
    COSClient,
    NoSuchBucket,
    NoSuchKey,
    S3Client,
    list_all_buckets,
)
from cassdk_like.bucket.errors import InternalError
from cassdk_like.core.exceptions import BadResponseError

from ._wire import ANY_URL, APPID

S3NS = ' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
BASE = "http://127.0.0.1:9000"


def _xml(text: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + text).encode("utf-8")


def _page(keys, token=None, encoded=False, prefixes=()):  # type: ignore[no-untyped-def]
    contents = "".join(
        f"<Contents><Key>{k}</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified>"
        f'<ETag>"e-{i}"</ETag><Size>{i}</Size><StorageClass>STANDARD</StorageClass></Contents>'
        for i, k in enumerate(keys)
    )
    common = "".join(f"<CommonPrefixes><Prefix>{p}</Prefix></CommonPrefixes>" for p in prefixes)
    more = (
        f"<IsTruncated>true</IsTruncated><NextContinuationToken>{token}</NextContinuationToken>"
        if token
        else "<IsTruncated>false</IsTruncated>"
    )
    enc = "<EncodingType>url</EncodingType>" if encoded else ""
    return _xml(f"<ListBucketResult{S3NS}><Name>bkt</Name>{enc}{more}{contents}{common}</ListBucketResult>")


@pytest.fixture
def api(s3_path: S3Client) -> BucketAPI:
    return BucketAPI(s3_path)


def test_every_page_is_followed_and_keys_are_decoded(api: BucketAPI, mock: responses.RequestsMock) -> None:
    mock.add(responses.GET, ANY_URL, body=_page(["a%20b", "c%2Bd"], token="T1", encoded=True))
    mock.add(responses.GET, ANY_URL, body=_page(["e+f"], encoded=True))
    objects = list(api.list_all_objects("bkt", prefix="", page_size=2))
    assert [o.key for o in objects] == ["a b", "c+d", "e f"]
    assert objects[1].etag == "e-1"
    assert objects[0].last_modified == _dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=_dt.timezone.utc)
    second = dict(parse_qsl(urlsplit(mock.calls[1].request.url).query))
    assert second["continuation-token"] == "T1"
    assert second["max-keys"] == "2"


def test_prefixes_and_a_bucket_view(api: BucketAPI, mock: responses.RequestsMock) -> None:
    mock.add(responses.GET, ANY_URL, body=_page(["top"], prefixes=["a/", "b/"]))
    bucket = Bucket(api, "bkt")
    assert list(bucket.prefixes()) == ["a/", "b/"]
    assert dict(parse_qsl(urlsplit(mock.calls[0].request.url).query))["delimiter"] == "/"


def test_cos_listing_pages_with_markers(mock: responses.RequestsMock, cos: COSClient) -> None:
    api = BucketAPI(cos)
    first = _xml(
        "<ListBucketResult><Name>b</Name><IsTruncated>true</IsTruncated>"
        "<Contents><Key>k1</Key><Size>1</Size><ETag>&quot;x&quot;</ETag></Contents>"
        "<Contents><Key>k2</Key><Size>2</Size><ETag>y</ETag></Contents></ListBucketResult>"
    )
    second = _xml(
        "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>k3</Key><Size>3</Size></Contents></ListBucketResult>"
    )
    mock.add(responses.GET, ANY_URL, body=first)
    mock.add(responses.GET, ANY_URL, body=second)
    objects = list(api.list_all_objects(f"b-{APPID}"))
    assert [(o.key, o.size, o.etag) for o in objects] == [("k1", 1, "x"), ("k2", 2, "y"), ("k3", 3, "")]
    # without NextMarker the next page starts after the last key, as S3's V1 rule says
    assert dict(parse_qsl(urlsplit(mock.calls[1].request.url).query))["marker"] == "k2"


def test_a_truncated_page_without_a_token_is_a_bad_response(
    api: BucketAPI, mock: responses.RequestsMock
) -> None:
    mock.add(
        responses.GET,
        ANY_URL,
        body=_xml("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>"),
    )
    with pytest.raises(BadResponseError, match="no continuation token"):
        list(api.list_all_objects("bkt"))


def test_a_listing_that_is_not_xml_is_a_bad_response(api: BucketAPI, mock: responses.RequestsMock) -> None:
    mock.add(responses.GET, ANY_URL, body=b"<html>proxy</html", status=200)
    with pytest.raises(BadResponseError, match="ListBucketResult"):
        api.list_objects("bkt")


def test_complete_that_failed_inside_a_200_raises(api: BucketAPI, mock: responses.RequestsMock) -> None:
    body = _xml(
        "<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message>"
        "<RequestId>R9</RequestId></Error>"
    )
    mock.add(responses.POST, ANY_URL, body=body, status=200)
    with pytest.raises(InternalError) as caught:
        api.complete_multipart_upload("bkt", "k", "UP", [(1, "e")])
    assert caught.value.retryable
    assert caught.value.request_id == "R9"
    assert caught.value.operation == "complete_multipart_upload"


def test_complete_answer(api: BucketAPI, mock: responses.RequestsMock) -> None:
    body = _xml(
        f"<CompleteMultipartUploadResult{S3NS}><Location>loc</Location><Bucket>bkt</Bucket><Key>k</Key><ETag>&quot;abc-2&quot;</ETag></CompleteMultipartUploadResult>"
    )
    mock.add(responses.POST, ANY_URL, body=body)
    done = api.complete_multipart_upload("bkt", "k", "UP", [(1, "e1"), (2, "e2")])
    assert (done.etag, done.location, done.bucket) == ("abc-2", "loc", "bkt")


def test_copy_that_failed_inside_a_200_raises(api: BucketAPI, mock: responses.RequestsMock) -> None:
    mock.add(responses.PUT, ANY_URL, body=_xml("<Error><Code>SlowDown</Code></Error>"), status=200)
    from cassdk_like.bucket import SlowDown

    with pytest.raises(SlowDown):
        api.copy_object("bkt", "dst", "bkt", "src")


def test_head_object_reads_the_headers(api: BucketAPI, mock: responses.RequestsMock) -> None:
    mock.add(
        responses.HEAD,
        ANY_URL,
        headers={
            "Content-Length": "42",
            "ETag": '"d41d8cd98f00b204e9800998ecf8427e"',
            "Last-Modified": "Wed, 02 Dec 2026 22:30:30 GMT",
            "Content-Type": "text/plain",
            "x-amz-meta-sha256": "AB" * 32,
            "x-amz-meta-Owner": "me",
            "x-amz-storage-class": "STANDARD_IA",
        },
    )
    obj = api.head_object("bkt", "k")
    assert (obj.size, obj.etag, obj.content_type, obj.storage_class) == (
        42,
        "d41d8cd98f00b204e9800998ecf8427e",
        "text/plain",
        "STANDARD_IA",
    )
    assert obj.sha256 == "ab" * 32
    assert obj.metadata["owner"] == "me"
    assert obj.last_modified == _dt.datetime(2026, 12, 2, 22, 30, 30, tzinfo=_dt.timezone.utc)
    assert not obj.is_multipart


def test_a_missing_object_on_head_is_no_such_key(api: BucketAPI, mock: responses.RequestsMock) -> None:
    mock.add(responses.HEAD, ANY_URL, status=404, headers={"x-amz-request-id": "R1"})
    with pytest.raises(NoSuchKey) as caught:
        api.head_object("bkt", "nope")
    assert caught.value.request_id == "R1"
    assert "nope" in str(caught.value)


def test_get_bucket_heads_once_and_reports_a_missing_bucket(
    api: BucketAPI, mock: responses.RequestsMock
) -> None:
    mock.add(responses.HEAD, f"{BASE}/there", headers={"x-amz-bucket-region": "eu-central-1"})
    mock.add(responses.HEAD, f"{BASE}/gone", status=404)
    bucket = api.get_bucket("there")
    assert (bucket.name, bucket.region) == ("there", "eu-central-1")
    assert bucket == Bucket(api, "there", region="elsewhere")
    with pytest.raises(NoSuchBucket):
        Bucket.get_bucket(api, "gone")
    assert len(mock.calls) == 2


def test_list_all_buckets(api: BucketAPI, mock: responses.RequestsMock) -> None:
    body = _xml(
        f"<ListAllMyBucketsResult{S3NS}><Owner><ID>o</ID></Owner><Buckets>"
        "<Bucket><Name>one</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket>"
        "<Bucket><Name>two</Name><CreationDate>2026-02-01T00:00:00Z</CreationDate></Bucket>"
        "</Buckets></ListAllMyBucketsResult>"
    )
    mock.add(responses.GET, ANY_URL, body=body)
    buckets = list_all_buckets(api)
    assert [b.name for b in buckets] == ["one", "two"]
    assert buckets[1].creation_date == _dt.datetime(2026, 2, 1, tzinfo=_dt.timezone.utc)


def test_create_with_exist_ok(api: BucketAPI, mock: responses.RequestsMock) -> None:
    owned = _xml("<Error><Code>BucketAlreadyOwnedByYou</Code></Error>")
    mock.add(responses.PUT, ANY_URL, body=owned, status=409)
    assert Bucket.create(api, "mine", exist_ok=True).name == "mine"
    with pytest.raises(BucketAlreadyOwnedByYou):
        Bucket.create(api, "mine")


def test_cos_create_with_exist_ok_checks_the_bucket_is_ours(
    cos: COSClient, mock: responses.RequestsMock
) -> None:
    api = BucketAPI(cos)
    exists = _xml("<Error><Code>BucketAlreadyExists</Code></Error>")
    mock.add(responses.PUT, ANY_URL, body=exists, status=409)
    mock.add(responses.HEAD, f"https://mine-{APPID}.cos.ap-guangzhou.myqcloud.com/", status=200)
    mock.add(responses.HEAD, f"https://theirs-{APPID}.cos.ap-guangzhou.myqcloud.com/", status=403)
    assert Bucket.create(api, "mine", exist_ok=True).name == f"mine-{APPID}"
    with pytest.raises(BucketAlreadyExists):
        Bucket.create(api, "theirs", exist_ok=True)


def test_cos_buckets_say_where_they_are(cos: COSClient, mock: responses.RequestsMock) -> None:
    body = _xml(
        "<ListAllMyBucketsResult><Buckets><Bucket><Name>b-1250000000</Name><Location>ap-beijing</Location>"
        "<CreationDate>2019-05-24T11:49:50Z</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>"
    )
    mock.add(responses.GET, ANY_URL, body=body)
    (bucket,) = list_all_buckets(BucketAPI(cos))
    assert (bucket.name, bucket.region) == ("b-1250000000", "ap-beijing")


def test_uploads_and_parts_follow_their_markers(api: BucketAPI, mock: responses.RequestsMock) -> None:
    page1 = _xml(
        f"<ListMultipartUploadsResult{S3NS}><IsTruncated>true</IsTruncated><NextKeyMarker>b</NextKeyMarker>"
        "<NextUploadIdMarker>U2</NextUploadIdMarker><Upload><Key>a</Key><UploadId>U1</UploadId></Upload>"
        "<Upload><Key>b</Key><UploadId>U2</UploadId></Upload></ListMultipartUploadsResult>"
    )
    page2 = _xml(
        "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated><Upload><Key>c</Key><UploadId>U3</UploadId></Upload></ListMultipartUploadsResult>"
    )
    parts1 = _xml(
        "<ListPartsResult><IsTruncated>true</IsTruncated><NextPartNumberMarker>1</NextPartNumberMarker>"
        "<Part><PartNumber>1</PartNumber><Size>5</Size><ETag>&quot;p1&quot;</ETag><ChecksumSHA256>c1</ChecksumSHA256></Part></ListPartsResult>"
    )
    parts2 = _xml(
        "<ListPartsResult><IsTruncated>false</IsTruncated><Part><PartNumber>2</PartNumber><Size>3</Size><ETag>p2</ETag></Part></ListPartsResult>"
    )
    for body in (page1, page2, parts1, parts2):
        mock.add(responses.GET, ANY_URL, body=body)
    assert [u.upload_id for u in Bucket(api, "bkt").uploads()] == ["U1", "U2", "U3"]
    assert dict(parse_qsl(urlsplit(mock.calls[1].request.url).query))["upload-id-marker"] == "U2"
    parts = list(api.list_all_parts("bkt", "k", "U1"))
    assert [(p.number, p.size, p.etag, p.checksum_sha256) for p in parts] == [
        (1, 5, "p1", "c1"),
        (2, 3, "p2", None),
    ]
    assert dict(parse_qsl(urlsplit(mock.calls[3].request.url).query))["part-number-marker"] == "1"


def test_batch_delete_splits_by_1000_and_reports_failures(
    api: BucketAPI, mock: responses.RequestsMock
) -> None:
    mock.add(
        responses.POST,
        ANY_URL,
        body=_xml(
            "<DeleteResult><Error><Key>k7</Key><Code>AccessDenied</Code><Message>no</Message></Error></DeleteResult>"
        ),
    )
    mock.add(responses.POST, ANY_URL, body=_xml("<DeleteResult/>"))
    result = api.delete_objects("bkt", [f"k{i}" for i in range(1500)])
    assert len(mock.calls) == 2
    assert len(result.deleted) == 1499
    assert not result.ok
    assert (result.failed[0].key, result.failed[0].code) == ("k7", "AccessDenied")


def test_tags_are_read(api: BucketAPI, mock: responses.RequestsMock) -> None:
    body = _xml(
        f"<Tagging{S3NS}><TagSet><Tag><Key>env</Key><Value>prod</Value></Tag><Tag><Key>empty</Key><Value></Value></Tag></TagSet></Tagging>"
    )
    mock.add(responses.GET, ANY_URL, body=body)
    assert Bucket(api, "bkt").tags("k") == {"env": "prod", "empty": ""}
