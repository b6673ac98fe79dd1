"""Records over real HTTP: single writes and reads (bytes, files, iterators), labels, batches in
both protocols, queries and removal, against the emulator."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path
from typing import Iterator

import pytest

from cassdk_like.core.exceptions import LocalFileError
from cassdk_like.reduct import (
    Batch,
    Bucket,
    BucketSettings,
    Client,
    Conflict,
    NotFound,
    QuotaExceeded,
    RecordBatch,
    TooEarly,
)
from cassdk_like.reduct.batch import BatchRecord
from cassdk_like.reduct.protocol import errors_v1


def test_write_and_read_bytes_labels_and_content_type(bucket: Bucket) -> None:
    bucket.write(
        "cam/front", b"frame-1", timestamp=1_000, labels={"exposure": 0.5, "ok": 1}, content_type="image/raw"
    )
    with bucket.read("cam/front", 1_000) as record:
        assert (record.timestamp, record.entry, record.size) == (1_000, "cam/front", 7)
        assert (record.content_type, record.labels) == ("image/raw", {"exposure": "0.5", "ok": "1"})
        assert record.read_all() == b"frame-1"
    with bucket.read("cam/front", head=True) as head:
        assert (head.timestamp, head.size, head.read_all()) == (1_000, 7, b"")
    with pytest.raises(Conflict, match="already exists"):
        bucket.write("cam/front", b"again", timestamp=1_000)


def test_a_large_file_streams_both_ways(bucket: Bucket, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    payload = os.urandom(3 * 1024 * 1024 + 17)
    source.write_bytes(payload)
    with source.open("rb") as handle:
        bucket.write("blobs", handle, timestamp=1)
    target = tmp_path / "copy.bin"
    with bucket.read("blobs", 1) as record, target.open("wb") as out:
        assert record.read_into(out, chunk_size=64 * 1024) == len(payload)
    assert target.read_bytes() == payload
    with bucket.read("blobs", 1) as record:
        sizes = [len(chunk) for chunk in record.read(1_000_000)]
    assert sizes == [1_000_000, 1_000_000, 1_000_000, len(payload) - 3_000_000]


def test_an_iterator_is_streamed_with_its_length(bucket: Bucket) -> None:
    def chunks() -> Iterator[bytes]:
        for i in range(10):
            yield bytes([65 + i]) * 1000

    bucket.write("stream", chunks(), timestamp=5, content_length=10_000)
    with bucket.read("stream", 5) as record:
        assert record.read_all() == b"".join(chunks())


@pytest.mark.parametrize(("declared", "words"), [(10_001, "ended after"), (9_999, "more than")])
def test_an_iterator_of_the_wrong_length_stores_nothing(bucket: Bucket, declared: int, words: str) -> None:
    with pytest.raises(LocalFileError, match=words):
        bucket.write("short", iter([b"x" * 5_000, b"y" * 5_000]), timestamp=7, content_length=declared)
    # the server drops the half-written record once it sees the connection go (425 until then)
    deadline = time.monotonic() + 10
    while True:
        try:
            with bucket.read("short", 7):
                pytest.fail("a record of the wrong length was stored")
        except NotFound:
            break
        except TooEarly:
            assert time.monotonic() < deadline, "the cut record was still being written after 10 s"
            time.sleep(0.05)


def test_update_and_remove_records(bucket: Bucket) -> None:
    bucket.write("e", b"1", timestamp=1, labels={"keep": "a", "drop": "b"})
    bucket.update("e", 1, {"drop": "", "new": "c"})
    with bucket.read("e", 1, head=True) as record:
        assert record.labels == {"keep": "a", "new": "c"}
    bucket.remove_record("e", 1)
    with pytest.raises(NotFound), bucket.read("e", 1):
        pass
    bucket.write("e", b"2", timestamp=2)
    bucket.rename_entry("e", "f")
    assert [entry.name for entry in bucket.get_entry_list()] == ["f"]
    bucket.remove_entry("f")
    assert bucket.get_entry_list() == []


def test_batches_write_labels_with_commas_and_report_refused_records(bucket: Bucket) -> None:
    bucket.write("e", b"old", timestamp=3)
    batch = Batch()
    batch.add(1, b"a", content_type="text/plain", labels={"list": "[1, 2]", "n": "1"})
    batch.add(2, b"bb", content_type="text/plain", labels={"list": "[1, 2]", "n": "2"})
    batch.add(3, b"dup")
    batch.add(4, b"dddd", labels={"Camera": "Front"})  # upper case survives a batch
    errors = bucket.write_batch("e", batch)
    assert list(errors) == [3]
    assert isinstance(errors[3], Conflict)
    got = [(r.timestamp, r.content_type, r.labels, r.read_all()) for r in bucket.query("e")]
    assert got == [
        (1, "text/plain", {"list": "[1, 2]", "n": "1"}, b"a"),
        (2, "text/plain", {"list": "[1, 2]", "n": "2"}, b"bb"),
        (3, "application/octet-stream", {}, b"old"),
        (4, "application/octet-stream", {"Camera": "Front"}, b"dddd"),
    ]


def test_record_batches_across_entries(bucket: Bucket) -> None:
    batch = RecordBatch()
    batch.add("a", 10, b"a10", labels={"x": "1"})
    batch.add("b/1", 5, b"b5", labels={"odd,name=": "v"})
    batch.add("a", 20, b"a20", labels={"x": "2", "y": "3"})
    assert bucket.write_record_batch(batch) == {}
    got = {(r.entry, r.timestamp): (r.labels, r.read_all()) for r in bucket.query(["a", "b/*"])}
    assert got == {
        ("a", 10): ({"x": "1"}, b"a10"),
        ("a", 20): ({"x": "2", "y": "3"}, b"a20"),
        ("b/1", 5): ({"odd,name=": "v"}, b"b5"),
    }


def test_label_batches_update_exactly_what_each_record_names(bucket: Bucket) -> None:
    for ts in (1, 2, 3):
        bucket.write("e", b"x", timestamp=ts, labels={"a": "0", "b": "0"})
    updates = Batch()
    updates.add(1, labels={"a": "1"})
    updates.add(2, labels={"b": ""})
    updates.add(3, labels={"a": "3", "b": "3"})
    assert bucket.update_batch("e", updates) == {}
    labels = {r.timestamp: r.labels for r in bucket.query("e", head=True)}
    assert labels == {1: {"a": "1", "b": "0"}, 2: {"a": "0"}, 3: {"a": "3", "b": "3"}}


def test_remove_batches_and_remove_queries(bucket: Bucket) -> None:
    batch = Batch()
    for ts in range(10):
        batch.add(ts, b"r", labels={"even": str(ts % 2 == 0).lower()})
    bucket.write_batch("e", batch)
    gone = Batch()
    gone.add(0)
    gone.add(99)
    errors = bucket.remove_batch("e", gone)
    assert list(errors) == [99]
    assert isinstance(errors[99], NotFound)
    assert bucket.remove_query("e", when={"&even": {"$eq": True}}) == 4
    assert bucket.remove_query("e", start=7) == 2  # 7 and 9 (8 went with the even ones)
    assert [r.timestamp for r in bucket.query("e")] == [1, 3, 5]


def test_queries_filter_by_time_and_labels(bucket: Bucket) -> None:
    batch = Batch()
    for ts in range(1, 21):
        batch.add(ts * 1_000_000, str(ts).encode(), labels={"n": ts})
    bucket.write_batch("e", batch)
    assert [r.read_all() for r in bucket.query("e", start=5.0, stop=8.0)] == [b"5", b"6", b"7"]
    assert [r.timestamp for r in bucket.query("e", when={"&n": {"$gt": 18}})] == [19_000_000, 20_000_000]
    assert len(list(bucket.query("e", when={"$limit": 3}))) == 3
    assert [r.timestamp for r in bucket.query("e", start="1970-01-01T00:00:20Z")] == [20_000_000]


def test_a_query_of_many_batches_reads_every_record(bucket: Bucket) -> None:
    """More records than one answer holds (85): the client keeps reading until the end."""
    for start in range(0, 300, 80):
        batch = Batch()
        for ts in range(start, min(start + 80, 300)):
            batch.add(ts, ts.to_bytes(2, "big"))
        assert bucket.write_batch("e", batch) == {}
    records = list(bucket.query("e"))
    assert [r.timestamp for r in records] == list(range(300))
    assert sum(1 for r in records if r.last) == 1


def test_a_hard_quota_is_quota_exceeded(client: Client, reduct_bucket_name: str) -> None:
    bucket = client.create_bucket(reduct_bucket_name, BucketSettings(quota_type="HARD", quota_size=10))
    try:
        bucket.write("e", b"12345678", timestamp=1)
        with pytest.raises(QuotaExceeded, match="Quota of"):
            bucket.write("e", b"12345678", timestamp=2)
        batch = Batch()
        batch.add(3, b"123456")
        errors = bucket.write_batch("e", batch)
        assert isinstance(errors[3], QuotaExceeded)
    finally:
        bucket.remove()


def test_the_v1_batch_routes_answer_too(client: Client, bucket: Bucket) -> None:
    """The server still serves the v1 batch routes that servers before API 1.18 had."""
    records = [BatchRecord(None, ts, memoryview(b"v1"), "text/plain", {"k": "a,b"}) for ts in (1, 2)]
    response = client.lowlevel.write_batch(bucket.name, "old", records)
    assert response.status == 200
    assert errors_v1(response.headers) == {}
    again = client.lowlevel.write_batch(bucket.name, "old", records[:1])
    assert list(errors_v1(again.headers)) == [1]
    with bucket.read("old", 2) as record:
        assert (record.labels, record.read_all()) == ({"k": "a,b"}, b"v1")


def test_file_objects_may_start_mid_file(bucket: Bucket) -> None:
    handle = io.BytesIO(b"header|body")
    handle.seek(7)
    bucket.write("e", handle, timestamp=1)
    with bucket.read("e") as record:
        assert record.read_all() == b"body"
