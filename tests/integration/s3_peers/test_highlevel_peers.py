"""BucketAPI and Bucket against the independent S3 servers: listings read across pages with keys
that need encoding, bucket lookup, uploads in progress, batch delete, head metadata."""

from __future__ import annotations

import hashlib

import pytest

from cassdk_like.bucket import Bucket, BucketAPI, NoSuchBucket, NoSuchKey, S3Client, list_all_buckets

pytestmark = pytest.mark.s3peers

TRICKY = ["a b", "c+d", "é/ü", "x%y", "plain", "q?r&s=t"]


@pytest.fixture
def api(client: S3Client) -> BucketAPI:
    return BucketAPI(client)


def test_buckets_are_found_and_created_idempotently(api: BucketAPI, bucket: str) -> None:
    assert bucket in [b.name for b in list_all_buckets(api)]
    found = api.get_bucket(bucket)
    assert found == Bucket(api, bucket)
    assert Bucket.create(api, bucket, exist_ok=True).name == bucket
    assert found.exists()
    with pytest.raises(NoSuchBucket):
        Bucket.get_bucket(api, "cassdk-certainly-not-there")


@pytest.mark.escaped_names
def test_listing_reads_every_page_and_decodes_keys(api: BucketAPI, bucket: str) -> None:
    for key in TRICKY:
        api.put_object(bucket, key, key.encode())
    listed = list(Bucket(api, bucket).objects(page_size=2))
    assert [o.key for o in listed] == sorted(TRICKY)
    assert {o.key: o.etag for o in listed} == {k: hashlib.md5(k.encode()).hexdigest() for k in TRICKY}
    assert all(o.size == len(o.key.encode()) for o in listed)
    assert [o.key for o in Bucket(api, bucket).objects(prefix="é/")] == ["é/ü"]
    assert list(Bucket(api, bucket).prefixes()) == ["é/"]


def test_head_reads_metadata_and_missing_keys_are_no_such_key(api: BucketAPI, bucket: str) -> None:
    api.put_object(
        bucket, "k", b"data", metadata={"Sha256": "ab" * 32, "owner": "me"}, content_type="text/csv"
    )
    obj = Bucket(api, bucket).head("k")
    assert (obj.size, obj.content_type, obj.sha256, obj.metadata["owner"]) == (4, "text/csv", "ab" * 32, "me")
    assert obj.last_modified is not None
    with pytest.raises(NoSuchKey):
        Bucket(api, bucket).head("missing")
    with pytest.raises(NoSuchKey):
        Bucket(api, bucket).get_bytes("missing")


def test_a_bucket_that_never_had_an_upload_lists_none(api: BucketAPI, bucket: str) -> None:
    # rclone answers this listing 404 NoSuchUpload, real S3 and moto an empty one: both are "none"
    # (a prefix without "/": moto < 5.2 refuses SigV4 on escaped query values, docs/peer-notes.md §7)
    assert list(Bucket(api, bucket).uploads()) == []
    assert list(Bucket(api, bucket).uploads(prefix="somekey")) == []


def test_uploads_in_progress_are_listed_and_aborted(api: BucketAPI, bucket: str) -> None:
    ids = {api.create_multipart_upload(bucket, f"up/{i}") for i in range(3)}
    view = Bucket(api, bucket)
    assert {u.upload_id for u in view.uploads()} == ids
    assert {u.upload_id for u in view.abort_uploads()} == ids
    assert list(view.uploads()) == []


@pytest.mark.escaped_names
def test_batch_delete_reports_what_it_deleted(api: BucketAPI, bucket: str) -> None:
    for key in TRICKY:
        api.put_object(bucket, key, b"x")
    result = Bucket(api, bucket).delete_objects(TRICKY)
    assert result.ok
    assert sorted(result.deleted) == sorted(TRICKY)
    assert list(Bucket(api, bucket).objects()) == []


def test_ranged_reads_through_the_bucket(api: BucketAPI, bucket: str) -> None:
    api.put_object(bucket, "digits", b"0123456789")
    view = Bucket(api, bucket)
    assert view.get_bytes("digits", "3-5") == b"345"
    assert view.get_bytes("digits", "-2") == b"89"
