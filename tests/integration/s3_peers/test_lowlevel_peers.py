"""The low-level bucket client against independent S3 servers (moto with IAM auth, rclone serve s3).

Only behaviour real S3 documents is asserted; a feature a peer lacks (docs/peer-notes.md §7 and §8)
is tested against the peers that have it, never worked around in an assertion.
"""

from __future__ import annotations

import hashlib
import re
from typing import List

import pytest

from cassdk_like.bucket import (
    BucketNotEmpty,
    EntityTooSmall,
    InvalidRange,
    NoSuchKey,
    NoSuchUpload,
    NotFound,
    PreconditionFailed,
    S3Client,
    SignatureDoesNotMatch,
)
from cassdk_like.core.xmldoc import children, parse_xml, text_of
from tests.helpers.peer_process import loopback_session
from tests.helpers.s3_peer import S3Peer

MiB = 1024 * 1024
pytestmark = pytest.mark.s3peers


def _xml(body: bytes):  # type: ignore[no-untyped-def]
    root = parse_xml(body, max_bytes=1 << 24)
    assert root is not None, body[:200]
    return root


def _upload_id(client: S3Client, bucket: str, key: str, **kwargs: object) -> str:
    response = client.create_multipart_upload(bucket, key, **kwargs)  # type: ignore[arg-type]
    assert response.status == 200, response.body
    upload_id = text_of(_xml(response.body), "UploadId")
    assert upload_id
    return upload_id


def test_buckets_are_created_listed_and_refused_deletion_while_full(client: S3Client, bucket: str) -> None:
    assert client.head_bucket(bucket).status == 200
    names = [text_of(b, "Name") for b in _xml(client.list_buckets().body).iter() if b.tag.endswith("Bucket")]
    assert bucket in names
    assert client.get_bucket_location(bucket).status == 200
    assert client.put_object(bucket, "k", b"x").status == 200
    refused = client.delete_bucket(bucket)
    assert isinstance(refused.to_error(), BucketNotEmpty)
    missing = client.head_bucket("cassdk-no-such-bucket-here")
    assert missing.status == 404
    assert isinstance(missing.to_error(), NotFound)


@pytest.mark.escaped_names
def test_objects_round_trip_with_metadata(client: S3Client, bucket: str) -> None:
    data = b"hello bucket peers"
    key = "dir/a b+c.txt"
    put = client.put_object(bucket, key, data, metadata={"sha256": hashlib.sha256(data).hexdigest()})
    assert put.status == 200
    assert put.headers["ETag"].strip('"') == hashlib.md5(data).hexdigest()
    head = client.head_object(bucket, key)
    assert int(head.headers["Content-Length"]) == len(data)
    assert head.headers["x-amz-meta-sha256"] == hashlib.sha256(data).hexdigest()
    assert client.get_object(bucket, key).body == data
    assert client.delete_object(bucket, key).status == 204
    gone = client.get_object(bucket, key)
    assert isinstance(gone.to_error(), NoSuchKey)


@pytest.mark.parametrize(
    ("given", "body", "content_range"),
    [("2-4", b"234", "bytes 2-4/10"), ("7-", b"789", "bytes 7-9/10"), ("-3", b"789", "bytes 7-9/10")],
)
def test_ranges_come_back_with_their_content_range(
    client: S3Client, bucket: str, given: str, body: bytes, content_range: str
) -> None:
    client.put_object(bucket, "digits", b"0123456789")
    response = client.get_object(bucket, "digits", byte_range=given)
    assert response.ok
    assert response.body == body
    assert response.headers["Content-Range"] == content_range


def test_an_unsatisfiable_range_is_invalid_range(client: S3Client, bucket: str) -> None:
    client.put_object(bucket, "digits", b"0123456789")
    assert isinstance(client.get_object(bucket, "digits", byte_range="20-30").to_error(), InvalidRange)


def test_if_none_match_with_the_current_etag_is_not_modified(client: S3Client, bucket: str) -> None:
    etag = client.put_object(bucket, "k", b"v1").headers["ETag"]
    assert client.get_object(bucket, "k", if_none_match=etag).status == 304


@pytest.mark.parametrize("peer", ["moto"], indirect=True)
def test_if_match_with_another_etag_is_precondition_failed(client: S3Client, bucket: str) -> None:
    client.put_object(bucket, "k", b"v1")
    assert isinstance(client.get_object(bucket, "k", if_match='"0123"').to_error(), PreconditionFailed)


@pytest.mark.escaped_names
def test_listing_pages_follow_continuation_tokens(client: S3Client, bucket: str) -> None:
    for index in range(5):
        client.put_object(bucket, f"p/{index}", b"x")
    client.put_object(bucket, "top", b"x")
    keys: List[str] = []
    token = None
    for _page in range(10):
        root = _xml(client.list_objects(bucket, prefix="p/", max_keys=2, continuation_token=token).body)
        keys += [text_of(item, "Key") or "" for item in children(root, "Contents")]
        token = text_of(root, "NextContinuationToken")
        if text_of(root, "IsTruncated") != "true":
            break
    assert keys == [f"p/{index}" for index in range(5)]
    root = _xml(client.list_objects(bucket, delimiter="/").body)
    assert [text_of(p, "Prefix") for p in children(root, "CommonPrefixes")] == ["p/"]
    assert [text_of(item, "Key") for item in children(root, "Contents")] == ["top"]


def test_multipart_upload_with_sha256_parts(client: S3Client, bucket: str) -> None:
    first, last = b"a" * (5 * MiB), b"b" * 1000
    upload_id = _upload_id(client, bucket, "big", checksum_algorithm="SHA256", metadata={"purpose": "test"})
    etags = []
    for number, part in ((1, first), (2, last)):
        response = client.upload_part(bucket, "big", upload_id, number, part)
        assert response.status == 200, response.body
        assert response.headers["ETag"].strip('"') == hashlib.md5(part).hexdigest()
        etags.append(response.headers["ETag"])
    listed = _xml(client.list_parts(bucket, "big", upload_id).body)
    assert [(text_of(p, "PartNumber"), text_of(p, "Size")) for p in children(listed, "Part")] == [
        ("1", str(5 * MiB)),
        ("2", "1000"),
    ]
    parts = [
        (1, etags[0], hashlib.sha256(first).hexdigest()),
        (2, etags[1], hashlib.sha256(last).hexdigest()),
    ]
    done = client.complete_multipart_upload(bucket, "big", upload_id, parts)
    assert done.status == 200
    assert re.fullmatch(r'"?[0-9a-f]{32}-2"?', text_of(_xml(done.body), "ETag") or "")
    assert client.get_object(bucket, "big").body == first + last
    assert client.head_object(bucket, "big").headers["x-amz-meta-purpose"] == "test"


def test_an_aborted_upload_is_gone(client: S3Client, bucket: str) -> None:
    upload_id = _upload_id(client, bucket, "gone")
    client.upload_part(bucket, "gone", upload_id, 1, b"x" * 10)
    assert client.abort_multipart_upload(bucket, "gone", upload_id).status == 204
    assert isinstance(client.list_parts(bucket, "gone", upload_id).to_error(), NoSuchUpload)


@pytest.mark.parametrize("peer", ["moto"], indirect=True)
def test_a_small_part_before_the_last_is_entity_too_small(client: S3Client, bucket: str) -> None:
    upload_id = _upload_id(client, bucket, "small")
    etags = [client.upload_part(bucket, "small", upload_id, n, b"x" * 100).headers["ETag"] for n in (1, 2)]
    done = client.complete_multipart_upload(bucket, "small", upload_id, list(zip((1, 2), etags)))
    assert isinstance(done.to_error(), EntityTooSmall)


def test_batch_delete_and_copy(client: S3Client, bucket: str) -> None:
    client.put_object(bucket, "src", b"source bytes")
    assert client.copy_object(bucket, "dst copy", bucket, "src").status == 200
    assert client.get_object(bucket, "dst copy").body == b"source bytes"
    deleted = _xml(client.delete_objects(bucket, ["src", "dst copy"]).body)
    assert sorted(text_of(item, "Key") or "" for item in children(deleted, "Deleted")) == ["dst copy", "src"]
    assert isinstance(client.head_object(bucket, "src").to_error(), NotFound)


@pytest.mark.parametrize("peer", ["moto"], indirect=True)
def test_tags_round_trip(client: S3Client, bucket: str) -> None:
    client.put_object(bucket, "k", b"x")
    tagged = client.put_object_tagging(bucket, "k", {"env": "test", "team": "a+b @x"})
    assert tagged.status == 200, tagged.body
    root = _xml(client.get_object_tagging(bucket, "k").body)
    tags = {
        text_of(tag, "Key"): text_of(tag, "Value")
        for tag in root.iter()
        if tag.tag.endswith("}Tag") or tag.tag == "Tag"
    }
    assert tags == {"env": "test", "team": "a+b @x"}


def test_a_wrong_secret_is_signature_does_not_match(peer: S3Peer) -> None:
    with peer.client(secret_key="not-the-secret") as wrong:
        assert isinstance(wrong.list_buckets().to_error(), SignatureDoesNotMatch)


@pytest.mark.parametrize("peer", ["rclone"], indirect=True)
def test_presigned_urls_work_for_a_plain_http_client_and_only_as_signed(
    client: S3Client, bucket: str
) -> None:
    client.put_object(bucket, "k", b"0123456789")
    with loopback_session() as http:
        url = client.presigned_get_url(bucket, "k", 60)
        assert http.get(url, timeout=10).content == b"0123456789"
        ranged = http.get(url, headers={"Range": "bytes=1-2"}, timeout=10)
        assert (ranged.content, ranged.headers["Content-Range"]) == (b"12", "bytes 1-2/10")
        tampered = re.sub(
            r"X-Amz-Signature=([0-9a-f])", lambda m: "X-Amz-Signature=" + "0f"[m.group(1) == "0"], url
        )
        assert http.get(tampered, timeout=10).status_code == 403
        put_url = client.presigned_put_url(bucket, "uploaded", 60)
        assert http.put(put_url, data=b"via url", timeout=10).status_code == 200
    assert client.get_object(bucket, "uploaded").body == b"via url"
