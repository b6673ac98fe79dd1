"""``Bucket`` on the wire: single records, batches in both protocols, queries and label updates."""

from __future__ import annotations

import io
import warnings
from typing import Dict, Iterator

import pytest
import responses

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
from tests.unit.reduct.reduct_wire import API, add, error, sent

SETTINGS = {"max_block_size": 64000000, "max_block_records": 1024, "quota_type": "FIFO", "quota_size": 5}
FULL = {
    "info": {
        "name": "data",
        "entry_count": 1,
        "size": 10,
        "oldest_record": 1,
        "latest_record": 2,
        "is_provisioned": False,
        "status": "READY",
    },
    "settings": SETTINGS,
    "entries": [
        {
            "name": "cam",
            "size": 10,
            "record_count": 2,
            "block_count": 1,
            "oldest_record": 1,
            "latest_record": 2,
            "status": "READY",
        }
    ],
}
V1 = "1.17"


@pytest.fixture
def bucket(client: Client) -> Bucket:
    return Bucket("data", client)


def _old_server(bucket: Bucket) -> None:
    """Make the client know it talks to an API 1.17 server (its warning is tested elsewhere)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bucket._client.lowlevel.set_api_version((1, 17))


# -- bucket ----------------------------------------------------------------------------------------


def test_settings_info_and_entries_read_the_full_info(bucket: Bucket, mock: responses.RequestsMock) -> None:
    add(mock, "GET", "/b/data", json=FULL)
    assert bucket.get_settings() == BucketSettings(
        max_block_size=64000000, max_block_records=1024, quota_type="FIFO", quota_size=5
    )
    assert bucket.info().entry_count == 1
    assert [e.name for e in bucket.get_entry_list()] == ["cam"]
    assert {sent(mock, i).path for i in range(3)} == {"/api/v1/b/data"}


def test_set_settings_puts_json_with_nulls_for_unchanged(
    bucket: Bucket, mock: responses.RequestsMock
) -> None:
    add(mock, "PUT", "/b/data")
    bucket.set_settings(BucketSettings(max_block_records=10))
    call = sent(mock)
    assert (call.method, call.path) == ("PUT", "/api/v1/b/data")
    assert call.json() == {
        "max_block_size": None,
        "max_block_records": 10,
        "quota_type": None,
        "quota_size": None,
    }


def test_remove_rename_and_entries(bucket: Bucket, mock: responses.RequestsMock) -> None:
    add(mock, "DELETE", "/b/data")
    add(mock, "PUT", "/b/data/rename")
    add(mock, "DELETE", "/b/data/cam/1")
    add(mock, "PUT", "/b/data/cam/rename")
    bucket.remove_entry("cam/1")
    assert (sent(mock).method, sent(mock).path) == ("DELETE", "/api/v1/b/data/cam/1")
    bucket.rename_entry("cam", "camera")
    assert sent(mock).json() == {"new_name": "camera"}
    bucket.rename("data2")
    assert sent(mock).json() == {"new_name": "data2"}
    assert bucket.name == "data2"
    add(mock, "DELETE", "/b/data2")
    bucket.remove()
    assert sent(mock).path == "/api/v1/b/data2"


def test_remove_record_sends_the_timestamp(bucket: Bucket, mock: responses.RequestsMock) -> None:
    add(mock, "DELETE", "/b/data/cam")
    bucket.remove_record("cam", 1.5)
    assert sent(mock).query == {"ts": "1500000"}


# -- single records --------------------------------------------------------------------------------


def test_write_bytes(bucket: Bucket, mock: responses.RequestsMock) -> None:
    add(mock, "POST", "/b/data/cam")
    bucket.write("cam", b"hello", timestamp=1_700_000_000_000_001, labels={"score": 0.5, "ok": True})
    call = sent(mock)
    assert (call.method, call.path, call.query) == ("POST", "/api/v1/b/data/cam", {"ts": "1700000000000001"})
    assert call.headers["Content-Length"] == "5"
    assert call.headers["Content-Type"] == "application/octet-stream"
    assert call.headers["x-reduct-label-score"] == "0.5"
    assert call.headers["x-reduct-label-ok"] == "True"
    assert call.body == b"hello"


def test_write_defaults_to_now(bucket: Bucket, mock: responses.RequestsMock) -> None:
    import time

    add(mock, "POST", "/b/data/cam")
    before = time.time_ns() // 1000
    bucket.write("cam", b"x", content_type="text/plain")
    ts = int(sent(mock).query["ts"])
    assert before <= ts <= time.time_ns() // 1000
    assert sent(mock).headers["Content-Type"] == "text/plain"


def test_write_a_file_from_its_position(
    bucket: Bucket, mock: responses.RequestsMock, tmp_path: object
) -> None:
    add(mock, "POST", "/b/data/cam")
    source = io.BytesIO(b"skip-payload")
    source.seek(5)
    bucket.write("cam", source, timestamp=1)
    call = sent(mock)
    assert call.headers["Content-Length"] == "7"
    assert call.body == b"payload"


def test_write_an_iterator_with_its_length(bucket: Bucket, mock: responses.RequestsMock) -> None:
    add(mock, "POST", "/b/data/cam")

    def chunks() -> Iterator[bytes]:
        yield b"ab"
        yield b""
        yield b"cde"

    bucket.write("cam", chunks(), timestamp=1, content_length=5)
    assert sent(mock).headers["Content-Length"] == "5"
    assert sent(mock).body == b"abcde"


def test_write_errors_are_typed(bucket: Bucket, mock: responses.RequestsMock) -> None:
    add(mock, "POST", "/b/data/cam", **error(409, "A record with timestamp 1 already exists"))
    with pytest.raises(Conflict, match="already exists"):
        bucket.write("cam", b"x", timestamp=1)
    mock.replace("POST", f"{API}/b/data/cam", **error(400, "Quota of 'data' exceeded"))
    with pytest.raises(QuotaExceeded) as caught:
        bucket.write("cam", b"x", timestamp=2)
    assert str(caught.value) == "Status 400: Quota of 'data' exceeded"
    assert caught.value.status_code == 400


def _record_headers(**extra: str) -> Dict[str, str]:
    headers = {
        "x-reduct-time": "1700000000000001",
        "content-length": "10",
        "content-type": "text/plain",
        "x-reduct-label-camera": "front",
        "x-reduct-label-score": "1",
    }
    headers.update(extra)
    return headers


def test_read_streams_the_body(bucket: Bucket, mock: responses.RequestsMock) -> None:
    add(mock, "GET", "/b/data/cam", body=b"0123456789", headers=_record_headers())
    with bucket.read("cam", timestamp=1_700_000_000_000_001) as record:
        assert (record.timestamp, record.entry, record.size) == (1_700_000_000_000_001, "cam", 10)
        assert record.content_type == "text/plain"
        assert record.labels == {"camera": "front", "score": "1"}
        assert record.last
        assert list(record.read(4)) == [b"0123", b"4567", b"89"]
    assert sent(mock).query == {"ts": "1700000000000001"}
    with bucket.read("cam") as record:
        sink = io.BytesIO()
        assert record.read_into(sink) == 10
        assert sink.getvalue() == b"0123456789"
    assert sent(mock).query == {}  # the latest record
    with bucket.read("cam", 0) as record:
        assert record.read_all() == b"0123456789"
    assert sent(mock).query == {"ts": "0"}  # 0 is a timestamp, not "the latest"


def test_read_head_reads_only_metadata(bucket: Bucket, mock: responses.RequestsMock) -> None:
    add(mock, "HEAD", "/b/data/cam", headers=_record_headers(**{"content-length": "10"}))
    with bucket.read("cam", 5, head=True) as record:
        assert record.size == 10
        assert record.read_all() == b""
    assert sent(mock).method == "HEAD"


def test_read_errors_are_typed(bucket: Bucket, mock: responses.RequestsMock) -> None:
    add(mock, "GET", "/b/data/cam", **error(404, "Record 5 not found in entry data/cam"))
    with pytest.raises(NotFound), bucket.read("cam", 5):
        pass
    mock.replace("GET", f"{API}/b/data/cam", **error(425, "Record 5 is still being written"))
    with pytest.raises(TooEarly), bucket.read("cam", 5):
        pass


def test_update_sets_and_removes_labels(bucket: Bucket, mock: responses.RequestsMock) -> None:
    add(mock, "PATCH", "/b/data/cam")
    bucket.update("cam", 7, {"keep": "yes", "drop": "", "gone": None})
    call = sent(mock)
    assert call.query == {"ts": "7"}
    assert call.headers["x-reduct-label-keep"] == "yes"
    assert call.headers["x-reduct-label-drop"] == ""
    assert call.headers["x-reduct-label-gone"] == ""


# -- batches, v2 -----------------------------------------------------------------------------------


def test_write_batch_v2_headers_with_label_deltas_and_quoting(
    bucket: Bucket, mock: responses.RequestsMock
) -> None:
    add(mock, "GET", "/info", json={})  # not needed: the version is set below
    bucket._client.lowlevel.set_api_version((1, 21))
    add(
        mock,
        "POST",
        "/io/data/write",
        headers={
            "x-reduct-entries": "cam",
            "x-reduct-start-ts": "1000",
            "x-reduct-error-0-2": "409,A record exists",
        },
    )
    batch = Batch()
    batch.add(1002, b"ccc", labels={"a": "1", "b": "x,y"})
    batch.add(1000, b"a", content_type="text/plain", labels={"a": "1", "name=with,odd": "v"})
    batch.add(1001, b"bb", content_type="text/plain", labels={"a": "2", "name=with,odd": "v"})
    errors = bucket.write_batch("cam", batch)
    call = sent(mock)
    assert (call.method, call.path) == ("POST", "/api/v1/io/data/write")
    headers = {k.lower(): v for k, v in call.headers.items()}
    assert headers["x-reduct-entries"] == "cam"
    assert headers["x-reduct-start-ts"] == "1000"
    assert headers["x-reduct-labels"] == "a,name%3Dwith%2Codd,b"
    assert headers["x-reduct-0-0"] == "1,text/plain,0=1,1=v"
    assert headers["x-reduct-0-1"] == "2,,0=2"
    assert headers["x-reduct-0-2"] == '3,application/octet-stream,0=1,1=,2="x,y"'
    assert headers["content-length"] == "6"
    assert call.body == b"abbccc"
    assert set(errors) == {1002}
    assert isinstance(errors[1002], Conflict)
    assert str(errors[1002]) == "Status 409: A record exists"


def test_write_record_batch_v2_orders_payloads_by_entry_then_time(
    bucket: Bucket, mock: responses.RequestsMock
) -> None:
    bucket._client.lowlevel.set_api_version((1, 21))
    add(mock, "POST", "/io/data/write", headers={"x-reduct-error-1-10": "400,Quota of 'data' exceeded"})
    batch = RecordBatch()
    batch.add("b/x", 20, b"B20")
    batch.add("a", 30, b"A30")
    batch.add("a", 10, b"A10")
    errors = bucket.write_record_batch(batch)
    headers = {k.lower(): v for k, v in sent(mock).headers.items()}
    assert headers["x-reduct-entries"] == "a,b%2Fx"
    assert headers["x-reduct-start-ts"] == "10"
    assert (headers["x-reduct-0-0"], headers["x-reduct-0-20"], headers["x-reduct-1-10"]) == (
        "3,application/octet-stream",
        "3",
        "3,application/octet-stream",
    )
    assert "x-reduct-labels" not in headers
    assert sent(mock).body == b"A10A30B20"
    # the answer echoed no entries: the ones sent are used
    assert list(errors) == ["b/x"]
    assert isinstance(errors["b/x"][20], QuotaExceeded)


def test_an_empty_batch_sends_nothing(bucket: Bucket, mock: responses.RequestsMock) -> None:
    assert bucket.write_batch("cam", Batch()) == {}
    assert bucket.write_record_batch(RecordBatch()) == {}
    assert len(mock.calls) == 0


def test_the_protocol_is_chosen_after_asking_info(bucket: Bucket, mock: responses.RequestsMock) -> None:
    add(mock, "GET", "/info", json=FULL_INFO)
    add(mock, "POST", "/io/data/write")
    batch = Batch()
    batch.add(1, b"x")
    assert bucket.write_batch("cam", batch) == {}
    assert [sent(mock, i).path for i in range(2)] == ["/api/v1/info", "/api/v1/io/data/write"]


def test_update_record_batch_splits_what_the_server_would_accumulate(
    bucket: Bucket, mock: responses.RequestsMock
) -> None:
    bucket._client.lowlevel.set_api_version((1, 21))
    add(mock, "PATCH", "/io/data/update")
    batch = RecordBatch()
    batch.add("cam", 1, labels={"a": "1"})
    batch.add("cam", 2, labels={"a": "", "b": "2"})  # touches every label record 1 touched: same request
    batch.add("cam", 3, labels={"c": "3"})  # leaves a and b alone: needs a request of its own
    assert bucket.update_record_batch(batch) == {}
    first, second = sent(mock, 0), sent(mock, 1)
    h1 = {k.lower(): v for k, v in first.headers.items()}
    assert h1["x-reduct-labels"] == "a,b"
    assert (h1["x-reduct-0-0"], h1["x-reduct-0-1"]) == ("0,,0=1", "0,,0=,1=2")
    h2 = {k.lower(): v for k, v in second.headers.items()}
    assert (h2["x-reduct-start-ts"], h2["x-reduct-labels"], h2["x-reduct-0-0"]) == ("3", "c", "0,,0=3")
    assert first.body == b""
    assert h1["content-length"] == "0"


def test_remove_record_batch_names_records_only(bucket: Bucket, mock: responses.RequestsMock) -> None:
    bucket._client.lowlevel.set_api_version((1, 21))
    answer = {"x-reduct-entries": "cam", "x-reduct-start-ts": "5", "x-reduct-error-0-1": "404,No record 6"}
    add(mock, "DELETE", "/io/data/remove", headers=answer)
    batch = Batch()
    batch.add(5)
    batch.add(6)
    errors = bucket.remove_batch("cam", batch)
    headers = {k.lower(): v for k, v in sent(mock).headers.items()}
    assert (headers["x-reduct-0-0"], headers["x-reduct-0-1"]) == ("0,", "0,")
    assert isinstance(errors[6], NotFound)


# -- batches, v1 -----------------------------------------------------------------------------------


def test_write_batch_v1_on_old_servers(bucket: Bucket, mock: responses.RequestsMock) -> None:
    _old_server(bucket)
    add(
        mock,
        "POST",
        "/b/data/cam/batch",
        headers={"x-reduct-error-2": "409,A record with timestamp 2 exists"},
        api=V1,
    )
    batch = Batch()
    batch.add(2, b"bb", labels={"a,b": "1", "list": "[1, 2]"})
    batch.add(1, b"a", content_type="text/csv")
    errors = bucket.write_batch("cam", batch)
    call = sent(mock)
    assert call.path == "/api/v1/b/data/cam/batch"
    assert call.headers["x-reduct-time-1"] == "1,text/csv"
    assert call.headers["x-reduct-time-2"] == '2,application/octet-stream,a,b=1,list="[1, 2]"'
    assert call.body == b"abb"
    assert isinstance(errors[2], Conflict)


def test_write_record_batch_falls_back_to_one_v1_request_per_entry(
    bucket: Bucket, mock: responses.RequestsMock
) -> None:
    _old_server(bucket)
    add(mock, "POST", "/b/data/a/batch", api=V1)
    add(mock, "POST", "/b/data/b/batch", headers={"x-reduct-error-7": "422,bad"}, api=V1)
    batch = RecordBatch()
    batch.add("a", 1, b"1")
    batch.add("b", 7, b"7")
    errors = bucket.write_record_batch(batch)
    assert sorted(sent(mock, i).path for i in range(2)) == [
        "/api/v1/b/data/a/batch",
        "/api/v1/b/data/b/batch",
    ]
    assert list(errors) == ["b"]
    assert errors["b"][7].status_code == 422


def test_update_batch_v1_sends_empty_values_to_remove(bucket: Bucket, mock: responses.RequestsMock) -> None:
    _old_server(bucket)
    add(mock, "PATCH", "/b/data/cam/batch", api=V1)
    batch = Batch()
    batch.add(3, labels={"keep": "1", "drop": ""})
    bucket.update_batch("cam", batch)
    assert sent(mock).headers["x-reduct-time-3"] == "0,application/octet-stream,drop=,keep=1"


FULL_INFO = {
    "version": "1.21.0",
    "bucket_count": 1,
    "usage": 10,
    "uptime": 5,
    "oldest_record": 1,
    "latest_record": 2,
    "defaults": {"bucket": SETTINGS},
}
