"""Queries over real HTTP: reduct-py's query and remove_query (it takes the v2 routes at 1.18+,
the v1 routes before), and the raw protocol: batch headers, 204 at the end, TTL expiry, batch
limits, ``when`` conditions and the ones the emulator refuses."""

from __future__ import annotations

import time
from typing import Any, Dict, Iterator, List, Tuple

import pytest
from reduct import Client, ReductError

from tests.integration.reduct.emulator.reduct_raw import HAS_V2, Raw, error_of, run


@pytest.fixture
def raw(reduct_url: str, reduct_token: str) -> Iterator[Raw]:
    made = Raw(reduct_url, reduct_token)
    yield made
    made.close()


@pytest.fixture
def bucket(raw: Raw, reduct_bucket_name: str) -> str:
    assert raw.post(f"/b/{reduct_bucket_name}").status_code == 200
    for ts, score in ((10, 1), (20, 5), (30, 9), (40, 5)):
        headers = {"x-reduct-label-score": str(score), "x-reduct-label-kind": "odd" if score % 2 else "even"}
        if ts == 40:
            headers = {"x-reduct-label-score": "5"}
        assert (
            raw.post(f"/b/{reduct_bucket_name}/s?ts={ts}", data=b"r%d" % ts, headers=headers).status_code
            == 200
        )
    return reduct_bucket_name


def _query(
    reduct_url: str, token: str, bucket: str, **kwargs: Any
) -> List[Tuple[int, Dict[str, str], bytes]]:
    async def scenario() -> List[Tuple[int, Dict[str, str], bytes]]:
        b = await Client(reduct_url, api_token=token).get_bucket(bucket)
        found = []
        async for record in b.query("s", **kwargs):
            assert getattr(record, "entry", "s") == "s"
            found.append((record.timestamp, dict(record.labels), await record.read_all()))
        return found

    return run(scenario())


def test_query_everything_then_a_time_range(reduct_url: str, reduct_token: str, bucket: str) -> None:
    everything = _query(reduct_url, reduct_token, bucket)
    assert [(ts, data) for ts, _labels, data in everything] == [
        (10, b"r10"),
        (20, b"r20"),
        (30, b"r30"),
        (40, b"r40"),
    ]
    assert everything[0][1] == {"score": "1", "kind": "odd"}
    window = _query(reduct_url, reduct_token, bucket, start=20, stop=40)  # stop is exclusive
    assert [ts for ts, _labels, _data in window] == [20, 30]


def test_query_when_conditions(reduct_url: str, reduct_token: str, bucket: str) -> None:
    def timestamps(when: Dict[str, Any], **kwargs: Any) -> List[int]:
        return [ts for ts, _l, _d in _query(reduct_url, reduct_token, bucket, when=when, **kwargs)]

    assert timestamps({"&score": {"$gt": 4}}) == [20, 30, 40]
    assert timestamps({"&score": {"$gte": 5}, "&kind": {"$eq": "odd"}}) == [20, 30]
    assert timestamps({"$or": [{"&score": {"$lt": 2}}, {"&score": {"$eq": 9}}]}) == [10, 30]
    assert timestamps({"$and": [{"&score": {"$ne": 5}}, {"&score": {"$lte": 9}}]}) == [10, 30]
    assert timestamps({"&score": {"$gt": 0}, "$limit": 2}) == [10, 20]
    assert timestamps({"&kind": {"$ne": "even"}}) == [10, 20, 30]  # no label: left out


def test_unsupported_conditions_are_422(reduct_url: str, reduct_token: str, bucket: str) -> None:
    with pytest.raises(ReductError) as info:
        _query(reduct_url, reduct_token, bucket, when={"&score": {"$regex": "1"}})
    assert (info.value.status_code, info.value.message) == (
        422,
        "Operator '$regex' is not supported by the emulator",
    )
    with pytest.raises(ReductError) as directive:
        _query(reduct_url, reduct_token, bucket, when={"#ctx_before": "1s"})
    assert directive.value.status_code == 422
    assert "not supported" in directive.value.message


def test_strict_queries_fail_on_a_missing_label(raw: Raw, bucket: str) -> None:
    body = {"query_type": "QUERY", "entries": ["s"], "when": {"&kind": {"$eq": "odd"}}, "strict": True}
    query_id = raw.post(f"/io/{bucket}/q", json=body).json()["id"]
    read = raw.get(f"/io/{bucket}/read", headers={"x-reduct-query-id": str(query_id)})
    assert error_of(read) == (404, "Reference 'kind' not found")


def test_head_queries_carry_no_bodies(reduct_url: str, reduct_token: str, bucket: str) -> None:
    found = _query(reduct_url, reduct_token, bucket, head=True)
    assert [(ts, data) for ts, _labels, data in found] == [(10, b""), (20, b""), (30, b""), (40, b"")]


def test_remove_query(reduct_url: str, reduct_token: str, raw: Raw, bucket: str) -> None:
    async def scenario() -> int:
        b = await Client(reduct_url, api_token=reduct_token).get_bucket(bucket)
        return int(await b.remove_query("s", start=15, when={"&score": {"$eq": 5}}))

    assert run(scenario()) == 2
    assert [ts for ts, _l, _d in _query(reduct_url, reduct_token, bucket)] == [10, 30]
    empty = raw.post(f"/io/{bucket}/q", json={"query_type": "REMOVE"})
    assert error_of(empty) == (422, "Define at least one query parameter to delete records")


def test_v2_read_batches_and_the_end_of_a_query(raw: Raw, bucket: str) -> None:
    assert (
        raw.post(f"/b/{bucket}/t?ts=50", data=b"tt", headers={"Content-Type": "text/plain"}).status_code
        == 200
    )
    query_id = raw.post(
        f"/io/{bucket}/q", json={"query_type": "QUERY", "entries": ["s", "t"], "start": 30}
    ).json()["id"]
    headers = {"x-reduct-query-id": str(query_id)}
    first = raw.get(f"/io/{bucket}/read", headers=headers)
    assert first.status_code == 200
    assert first.headers["x-reduct-entries"] == "s,t"
    assert first.headers["x-reduct-start-ts"] == "30"
    assert first.headers["x-reduct-labels"] == "kind,score"
    assert first.headers["x-reduct-0-0"] == "3,application/octet-stream,0=odd,1=9"
    assert first.headers["x-reduct-0-10"] == "3,,0=,1=5"  # a delta: kind removed, score changed
    assert first.headers["x-reduct-1-20"] == "2,text/plain"
    assert first.headers["x-reduct-last"] == "true"
    assert first.content == b"r30r40tt"
    for _ in range(2):  # after the end: 204, until the query expires
        done = raw.get(f"/io/{bucket}/read", headers=headers)
        assert (done.status_code, done.headers["x-reduct-error"], done.content) == (
            204,
            "No more records",
            b"",
        )


def test_queries_expire_after_their_ttl(raw: Raw, bucket: str) -> None:
    query_id = raw.post(f"/io/{bucket}/q", json={"query_type": "QUERY", "ttl": 1}).json()["id"]
    time.sleep(1.2)
    expired = raw.get(f"/io/{bucket}/read", headers={"x-reduct-query-id": str(query_id)})
    assert error_of(expired) == (
        404,
        f"Query {query_id} not found and it might have expired. Check TTL in your query request.",
    )
    assert error_of(raw.get(f"/io/{bucket}/read")) == (
        422,
        "x-reduct-query-id header is required for batched reads",
    )
    assert error_of(raw.get(f"/io/{bucket}/read", headers={"x-reduct-query-id": "abc"})) == (
        422,
        "Invalid query id",
    )


def test_a_batch_holds_at_most_85_records(raw: Raw, reduct_bucket_name: str) -> None:
    bucket = reduct_bucket_name
    assert raw.post(f"/b/{bucket}").status_code == 200
    for first in (1, 51):  # a request carries at most 100 headers, as on the server
        headers = {f"x-reduct-time-{ts}": "1,a/b" for ts in range(first, first + 50)}
        assert raw.post(f"/b/{bucket}/many/batch", data=b"x" * 50, headers=headers).status_code == 200
    too_many = {f"x-reduct-time-{ts}": "1,a/b" for ts in range(200, 300)}
    refused = raw.post(f"/b/{bucket}/many/batch", data=b"x" * 100, headers=too_many)
    assert (refused.status_code, refused.headers["x-reduct-api"]) == (431, "1.21")
    query_id = raw.post(f"/io/{bucket}/q", json={"query_type": "QUERY"}).json()["id"]
    read_headers = {"x-reduct-query-id": str(query_id)}
    first = raw.get(f"/io/{bucket}/read", headers=read_headers)
    assert (len(first.content), first.headers["x-reduct-last"]) == (85, "false")
    second = raw.get(f"/io/{bucket}/read", headers=read_headers)
    assert (len(second.content), second.headers["x-reduct-last"], second.headers["x-reduct-start-ts"]) == (
        15,
        "true",
        "86",
    )
    assert raw.get(f"/io/{bucket}/read", headers=read_headers).status_code == 204


def test_v1_query_routes(raw: Raw, bucket: str) -> None:
    query_id = raw.post(f"/b/{bucket}/s/q", json={"query_type": "QUERY", "start": 20, "stop": 31}).json()[
        "id"
    ]
    batch = raw.get(f"/b/{bucket}/s/batch?q={query_id}")
    assert batch.status_code == 200
    assert batch.headers["x-reduct-time-20"] == "3,application/octet-stream,kind=odd,score=5"
    assert batch.headers["x-reduct-time-30"] == "3,application/octet-stream,kind=odd,score=9"
    assert batch.headers["x-reduct-last"] == "true"
    assert batch.content == b"r20r30"
    assert raw.get(f"/b/{bucket}/s/batch?q={query_id}").status_code == 204
    v2_id = raw.post(f"/io/{bucket}/q", json={"query_type": "QUERY"}).json()["id"]
    assert error_of(raw.get(f"/b/{bucket}/s/batch?q={v2_id}"))[0] == 404  # a v2 query is not the entry's
    assert error_of(raw.get(f"/b/{bucket}/s/batch")) == (422, "'q' parameter is required for batched reads")
    assert error_of(raw.post(f"/b/{bucket}/nope/q", json={"query_type": "QUERY"})) == (
        404,
        f"Entry 'nope' not found in bucket '{bucket}'",
    )
    assert error_of(raw.post(f"/b/{bucket}/s/q", json={"query_type": "QUERY", "start": 9, "stop": 2})) == (
        422,
        "Start time must be before stop time",
    )
    assert error_of(raw.post(f"/b/{bucket}/s/q", data=b"{oops"))[0] == 422


@pytest.mark.skipif(not HAS_V2, reason="reduct-py < 1.18 queries one entry at a time (v1 routes)")
def test_multi_entry_and_wildcard_queries_in_reduct_py(
    reduct_url: str, reduct_token: str, raw: Raw, bucket: str
) -> None:
    assert raw.post(f"/b/{bucket}/t/x?ts=100", data=b"tx").status_code == 200

    async def scenario() -> List[Tuple[str, int]]:
        b = await Client(reduct_url, api_token=reduct_token).get_bucket(bucket)
        return [(r.entry, r.timestamp) async for r in b.query(["t/*", "s"], start=30)]

    assert run(scenario()) == [("s", 30), ("s", 40), ("t/x", 100)]
