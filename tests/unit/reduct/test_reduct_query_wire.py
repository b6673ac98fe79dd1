"""Queries on the wire: the query body, reads with ``x-reduct-query-id``, batches parsed back, 204 ends."""

from __future__ import annotations

import warnings
from typing import Dict

import pytest
import responses

from cassdk_like.core.exceptions import BadResponseError
from cassdk_like.reduct import Bucket, Client, NotFound
from tests.unit.reduct.reduct_wire import add, error, sent


@pytest.fixture
def bucket(client: Client) -> Bucket:
    client.lowlevel.set_api_version((1, 21))
    return Bucket("data", client)


def _batch(last: str = "false", **records: str) -> Dict[str, str]:
    headers = {
        "x-reduct-entries": "cam,lidar%2F1",
        "x-reduct-start-ts": "1000",
        "x-reduct-labels": "camera,note,score",
        "x-reduct-last": last,
        "content-type": "application/octet-stream",
    }
    headers.update({name.replace("_", "-"): value for name, value in records.items()})
    return headers


def test_query_posts_the_document_and_reads_until_204(bucket: Bucket, mock: responses.RequestsMock) -> None:
    add(mock, "POST", "/io/data/q", json={"id": 7})
    headers = _batch(
        x_reduct_0_0='3,text/plain,0=front,1="a, b"',  # cam @1000
        x_reduct_0_5="2,,1=",  # cam @1005: note removed, camera kept, type kept
        x_reduct_1_2="4,image/png,2=9",  # lidar/1 @1002
    )
    headers["content-length"] = "9"
    add(mock, "GET", "/io/data/read", body=b"abcdeWXYZ", headers=headers)
    add(mock, "GET", "/io/data/read", status=204)
    records = []
    for record in bucket.query("cam*", start=1000, stop=2.0, ttl=30, when={"&score": {"$gt": 1}}):
        records.append(
            (record.entry, record.timestamp, record.content_type, record.labels, record.read_all())
        )
    assert records == [
        ("cam", 1000, "text/plain", {"camera": "front", "note": "a, b"}, b"abc"),
        ("cam", 1005, "text/plain", {"camera": "front"}, b"de"),
        ("lidar/1", 1002, "image/png", {"score": "9"}, b"WXYZ"),
    ]
    query = sent(mock, 0)
    assert (query.method, query.path) == ("POST", "/api/v1/io/data/q")
    assert query.json() == {
        "query_type": "QUERY",
        "entries": ["cam*"],
        "start": 1000,
        "stop": 2_000_000,
        "ttl": 30,
        "when": {"&score": {"$gt": 1}},
    }
    read = sent(mock, 1)
    assert (read.method, read.path, read.headers["x-reduct-query-id"]) == ("GET", "/api/v1/io/data/read", "7")
    assert len(mock.calls) == 3


def test_unread_bodies_are_skipped_and_last_ends_the_query(
    bucket: Bucket, mock: responses.RequestsMock
) -> None:
    add(mock, "POST", "/io/data/q", json={"id": 1})
    headers = _batch("true", x_reduct_0_0="3,text/plain", x_reduct_0_1="3")
    headers["content-length"] = "6"
    add(mock, "GET", "/io/data/read", body=b"abcdef", headers=headers)
    seen = []
    for record in bucket.query(["cam", "lidar/1"]):
        seen.append(next(record.read(1)) if record.timestamp == 1000 else record.read_all())
        assert record.last == (record.timestamp == 1001)
    assert seen == [b"a", b"def"]
    assert len(mock.calls) == 2  # x-reduct-last: no read for a 204


def test_a_head_query_reads_metadata_only(bucket: Bucket, mock: responses.RequestsMock) -> None:
    add(mock, "POST", "/io/data/q", json={"id": 2})
    add(mock, "HEAD", "/io/data/read", headers=_batch("true", x_reduct_0_0="3,text/plain"))
    records = list(bucket.query("cam", head=True))
    assert [(r.size, r.read_all()) for r in records] == [(3, b"")]
    assert sent(mock, 0).json()["only_metadata"] is True
    assert sent(mock).method == "HEAD"


def test_a_body_shorter_than_its_records_is_a_bad_response(
    bucket: Bucket, mock: responses.RequestsMock
) -> None:
    add(mock, "POST", "/io/data/q", json={"id": 3})
    headers = _batch("true", x_reduct_0_0="3,text/plain")
    headers["content-length"] = "2"
    add(mock, "GET", "/io/data/read", body=b"ab", headers=headers)
    with pytest.raises(BadResponseError, match="add up to 3 bytes"):
        list(bucket.query("cam"))


def test_an_expired_query_is_not_found(bucket: Bucket, mock: responses.RequestsMock) -> None:
    add(mock, "POST", "/io/data/q", json={"id": 4})
    add(mock, "GET", "/io/data/read", **error(404, "Query 4 not found and it might have expired."))
    with pytest.raises(NotFound, match="might have expired"):
        list(bucket.query("cam"))


def test_query_v1_on_old_servers(client: Client, mock: responses.RequestsMock) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client.lowlevel.set_api_version((1, 17))
    bucket = Bucket("data", client)
    add(mock, "POST", "/b/data/cam/q", json={"id": 9}, api="1.17")
    headers = {"x-reduct-time-5": '2,text/plain,a="1,2"', "x-reduct-time-3": "1,text/csv"}
    headers.update({"x-reduct-last": "true", "content-length": "3"})
    add(mock, "GET", "/b/data/cam/batch", body=b"xyy", headers=headers, api="1.17")
    records = [(r.timestamp, r.content_type, r.labels, r.read_all()) for r in bucket.query("cam", 0)]
    assert records == [(3, "text/csv", {}, b"x"), (5, "text/plain", {"a": "1,2"}, b"yy")]
    assert sent(mock, 0).json()["start"] == 0  # 0 is a time, not "from the first record"
    assert sent(mock).query == {"q": "9"}
    with pytest.raises(ValueError, match="one entry at a time"):
        next(iter(bucket.query(["cam", "other"])))


def test_remove_query_returns_the_count(bucket: Bucket, mock: responses.RequestsMock) -> None:
    add(mock, "POST", "/io/data/q", json={"removed_records": 12})
    assert bucket.remove_query("cam", stop=100, when={"&a": {"$eq": 1}}) == 12
    assert sent(mock).json() == {
        "query_type": "REMOVE",
        "entries": ["cam"],
        "stop": 100,
        "when": {"&a": {"$eq": 1}},
    }


def test_continuous_queries_poll_after_204(bucket: Bucket, mock: responses.RequestsMock) -> None:
    add(mock, "POST", "/io/data/q", json={"id": 5})
    add(mock, "GET", "/io/data/read", status=204)
    headers = _batch(x_reduct_0_0="1,text/plain")
    headers["content-length"] = "1"
    add(mock, "GET", "/io/data/read", body=b"z", headers=headers)
    records = bucket.query("cam", continuous=True, poll_interval=0)
    first = next(iter(records))
    assert first.read_all() == b"z"
    assert sent(mock, 0).json()["continuous"] is True
    records.close()  # type: ignore[attr-defined]


def test_a_body_left_behind_is_skipped_and_says_so(bucket: Bucket, mock: responses.RequestsMock) -> None:
    from cassdk_like.core.exceptions import CASClientError

    add(mock, "POST", "/io/data/q", json={"id": 1})
    headers = _batch("true", x_reduct_0_0="3,text/plain", x_reduct_0_1="3")
    headers["content-length"] = "6"
    add(mock, "GET", "/io/data/read", body=b"abcdef", headers=headers)
    records = bucket.query("cam")
    first, second = next(records), next(records)
    assert second.read_all() == b"def"  # the first record's bytes were skipped, not handed to the second
    with pytest.raises(CASClientError, match="skipped"):
        first.read_all()
