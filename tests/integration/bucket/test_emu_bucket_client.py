"""The low and high level against the emulator in both dialects: what a strict server checks (the
checksums we send, part sizes, signatures, conditions, presigned URLs and POST policies) passes
for correct requests and fails, typed, for wrong ones."""

from __future__ import annotations

import hashlib
import time
from typing import Callable, Dict

import attrs
import pytest
import requests

from cassdk_like.bucket import (
    BadDigest,
    Bucket,
    BucketAPI,
    BucketClient,
    BucketNotEmpty,
    EntityTooSmall,
    NoSuchBucket,
    NoSuchKey,
    PreconditionFailed,
    SignatureDoesNotMatch,
    list_all_buckets,
)
from cassdk_like.bucket.errors import BadRequest
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.emulator import Emulator
from tests.helpers.peer_process import loopback_session
from tests.helpers.presigned import fetch_presigned

MiB = 1024 * 1024
TRICKY = ["a b", "c+d", "é/ü", "x%y", "plain", "q?r&s=t", " lead", "trail "]


def test_buckets_are_created_found_listed_and_kept_while_full(api: BucketAPI, bucket: Bucket) -> None:
    assert bucket in list_all_buckets(api)
    assert Bucket.get_bucket(api, bucket.name).region
    assert Bucket.create(api, bucket.name, exist_ok=True) == bucket
    bucket.put("k", b"x")
    with pytest.raises(BucketNotEmpty):
        bucket.delete()
    bucket.delete_object("k")
    bucket.delete()
    assert not bucket.exists()
    with pytest.raises(NoSuchBucket):
        api.get_bucket(bucket.name)


def test_listing_pages_with_keys_that_need_encoding(bucket: Bucket) -> None:
    for key in TRICKY:
        bucket.put(key, key.encode())
    assert [o.key for o in bucket.objects(page_size=3)] == sorted(TRICKY, key=lambda k: k.encode())
    assert list(bucket.prefixes()) == ["é/"]
    assert [o.key for o in bucket.objects(prefix="é/")] == ["é/ü"]
    assert [o.key for o in bucket.objects(start_after="q")][:1] == ["q?r&s=t"]


def test_the_checksums_we_send_are_verified(client: BucketClient, bucket: Bucket) -> None:
    data = b"checked bytes"
    assert client.put_object(bucket.name, "ok", data).status == 200
    wrong = client.put_object(
        bucket.name,
        "bad",
        data,
        sha256=hashlib.sha256(b"other").hexdigest(),
        md5=hashlib.md5(b"other").hexdigest(),
    )
    assert isinstance(wrong.to_error(), BadRequest)  # BadDigest / XAmzContentSHA256Mismatch
    with pytest.raises(NoSuchKey):
        bucket.head("bad")


def test_a_wrong_content_md5_is_bad_digest(client: BucketClient, bucket: Bucket) -> None:
    response = client.put_object(
        bucket.name, "k", b"abc", md5=hashlib.md5(b"xyz").hexdigest(), checksum=False
    )
    assert isinstance(response.to_error(), BadDigest)


def test_small_parts_before_the_last_are_entity_too_small(api: BucketAPI, bucket: Bucket) -> None:
    upload_id = api.create_multipart_upload(bucket.name, "small")
    etags = [api.upload_part(bucket.name, "small", upload_id, n, b"x" * 1000).etag for n in (1, 2)]
    with pytest.raises(EntityTooSmall):
        api.complete_multipart_upload(bucket.name, "small", upload_id, list(zip((1, 2), etags)))


def test_multipart_with_checksummed_parts_completes(api: BucketAPI, bucket: Bucket) -> None:
    first, last = b"a" * (5 * MiB), b"b" * 10
    options = {"checksum_algorithm": "SHA256"} if api.dialect.name == "s3" else {}
    upload_id = api.create_multipart_upload(bucket.name, "mp", metadata={"k": "v"}, **options)
    parts = []
    for number, part in ((1, first), (2, last)):
        parts.append(
            (
                number,
                api.upload_part(bucket.name, "mp", upload_id, number, part).etag,
                hashlib.sha256(part).hexdigest(),
            )
        )
    listed = list(api.list_all_parts(bucket.name, "mp", upload_id))
    assert [(p.number, p.size) for p in listed] == [(1, 5 * MiB), (2, 10)]
    done = api.complete_multipart_upload(bucket.name, "mp", upload_id, parts)
    assert done.etag.endswith("-2")
    assert bucket.get_bytes("mp") == first + last
    assert bucket.head("mp").metadata["k"] == "v"


def test_conditions_and_ranges(bucket: Bucket, api: BucketAPI) -> None:
    etag = bucket.put("k", b"0123456789").etag
    assert bucket.get_bytes("k", "-3") == b"789"
    assert api.get_object(bucket.name, "k", if_match=f'"{etag}"').body == b"0123456789"
    with pytest.raises(PreconditionFailed):
        api.get_object(bucket.name, "k", if_match='"0000"')
    with pytest.raises(PreconditionFailed):
        bucket.put("k", b"new", if_none_match="*")


@pytest.mark.parametrize("dialect", ["s3", "cos"], indirect=True)
def test_a_copy_can_replace_the_metadata(bucket: Bucket) -> None:
    bucket.put("src", b"source", metadata={"original": "1"})
    assert bucket.copy_from("dst", bucket.name, "src", metadata={"copied": "yes"})
    assert bucket.head("dst").metadata == {"copied": "yes"}


@pytest.mark.parametrize("dialect", ["s3", "cos"], indirect=True)
def test_a_copy_directive_in_the_other_dialects_spelling_is_refused(
    bucket: Bucket, client: BucketClient, dialect: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket.put("src", b"source")
    other = {"s3": "Replaced", "cos": "REPLACE"}[dialect]
    monkeypatch.setattr(client, "_dialect", attrs.evolve(client._dialect, replace_directive=other))
    answer = client.copy_object(bucket.name, "dst", bucket.name, "src", metadata={"m": "1"})
    assert answer.status == 400
    assert b"<Code>InvalidArgument</Code>" in answer.body
    assert other.encode() in answer.body


def test_copy_tags_and_batch_delete(bucket: Bucket) -> None:
    bucket.put("src", b"source", metadata={"original": "1"})
    assert bucket.copy_from("dst", bucket.name, "src")
    assert bucket.get_bytes("dst") == b"source"
    assert bucket.head("dst").metadata == {"original": "1"}
    bucket.set_tags("dst", {"env": "test", "team": "a+b"})
    assert bucket.tags("dst") == {"env": "test", "team": "a+b"}
    result = bucket.delete_objects(["src", "dst", "never-there"])
    assert result.ok
    assert list(bucket.objects()) == []


def test_a_wrong_secret_is_refused(
    emu: Emulator, dialect: str, client_for: Callable[..., BucketClient]
) -> None:
    with client_for(emu, dialect, secret="not-the-secret", retry=RetryPolicy.never()) as wrong:
        assert isinstance(wrong.list_buckets().to_error(), SignatureDoesNotMatch)


def test_presigned_urls_grant_exactly_what_they_say(bucket: Bucket, emu: Emulator, dialect: str) -> None:
    bucket.put("k", b"0123456789")
    with loopback_session() as http:
        url = bucket.presigned_get_url("k", 60)
        assert fetch_presigned(http, "GET", url, emu, dialect).content == b"0123456789"
        ranged = fetch_presigned(http, "GET", url, emu, dialect, headers={"Range": "bytes=2-3"})
        assert ranged.content == b"23"
        other_key = str(url).replace("/k?", "/other?")
        assert fetch_presigned(http, "GET", other_key, emu, dialect).status_code == 403
        put_url = bucket.presigned_put_url("up", 60)
        assert fetch_presigned(http, "PUT", put_url, emu, dialect, data=b"via url").status_code == 200
    assert bucket.get_bytes("up") == b"via url"


def test_an_expired_presigned_url_is_refused(dialect: str, client_for: Callable[..., BucketClient]) -> None:
    """The emulator's clock moves past the URL's expiry; the client signed at real time."""
    now = [time.time()]
    with Emulator(clock=lambda: now[0]) as emu, client_for(emu, dialect) as client:
        bucket = Bucket.create(BucketAPI(client), "expiry")
        bucket.put("k", b"x")
        url = bucket.presigned_get_url("k", 60)
        with loopback_session() as http:
            assert fetch_presigned(http, "GET", url, emu, dialect).status_code == 200
            now[0] += 120
            assert fetch_presigned(http, "GET", url, emu, dialect).status_code == 403


@pytest.mark.parametrize("dialect", ["s3", "cos"], indirect=True)
def test_a_post_policy_lets_a_form_write_under_its_prefix_only(
    bucket: Bucket, emu: Emulator, dialect: str
) -> None:
    post = bucket.presigned_post(
        key_prefix="inbox/", content_length_range=(1, 100), fields={"success_action_status": "201"}
    )

    def send(fields: Dict[str, str], content: bytes, name: str = "note.txt") -> requests.Response:
        return fetch_presigned(
            http, "POST", post.url, emu, dialect, data=fields, files={"file": (name, content)}
        )

    with loopback_session() as http:
        ok = send(post.fields, b"hello form")
        assert ok.status_code == 201, ok.text
        assert bucket.get_bytes("inbox/note.txt") == b"hello form"
        assert send(dict(post.fields, key="outside/note.txt"), b"x").status_code == 403
        assert send(post.fields, b"x" * 101, "big.txt").status_code == 400
        signature = "x-amz-signature" if dialect == "s3" else "q-signature"
        forged = dict(post.fields, **{signature: "0" * len(post.fields[signature])})
        assert send(forged, b"forged").status_code == 403
        unsigned = {k: v for k, v in post.fields.items() if k != signature}
        assert send(unsigned, b"unsigned").status_code in (400, 403)
    with pytest.raises(NoSuchKey):
        bucket.head("outside/note.txt")
