"""Batches over real HTTP: v1 (one entry, ``x-reduct-time-*``) through reduct-py and raw, v2
(``/io``, several entries, label deltas) raw and, with reduct-py 1.18+, through the client."""

from __future__ import annotations

from typing import Dict, Iterator

import pytest
from reduct import Batch, Client, ReductError

from tests.integration.reduct.emulator.reduct_raw import HAS_V2, Raw, error_of, run


@pytest.fixture
def raw(reduct_url: str, reduct_token: str) -> Iterator[Raw]:
    made = Raw(reduct_url, reduct_token)
    yield made
    made.close()


@pytest.fixture
def bucket(raw: Raw, reduct_bucket_name: str) -> str:
    assert raw.post(f"/b/{reduct_bucket_name}").status_code == 200
    return reduct_bucket_name


def test_v1_write_batch_reports_each_refused_record(reduct_url: str, reduct_token: str, bucket: str) -> None:
    async def scenario() -> None:
        b = await Client(reduct_url, api_token=reduct_token).get_bucket(bucket)
        await b.write("e", b"old", timestamp=2)
        batch = Batch()
        batch.add(1, b"one", content_type="text/plain", labels={"n": "1"})
        batch.add(2, b"dup")
        batch.add(3, b"three", labels={"n": "3"})
        errors = await b.write_batch("e", batch)
        assert list(errors) == [2]
        assert (errors[2].status_code, errors[2].message) == (409, "A record with timestamp 2 already exists")
        async with b.read("e", timestamp=1) as one:
            assert (one.content_type, one.labels, await one.read_all()) == ("text/plain", {"n": "1"}, b"one")
        async with b.read("e", timestamp=3) as three:
            assert (three.labels, await three.read_all()) == ({"n": "3"}, b"three")
        async with b.read("e", timestamp=2) as kept:
            assert await kept.read_all() == b"old"

    run(scenario())


def test_v1_update_and_remove_batches(reduct_url: str, reduct_token: str, bucket: str) -> None:
    async def scenario() -> None:
        b = await Client(reduct_url, api_token=reduct_token).get_bucket(bucket)
        for ts in (1, 2):
            await b.write("e", b"x", timestamp=ts, labels={"a": "1", "b": "2"})
        update = Batch()
        update.add(1, labels={"a": "9", "b": ""})
        update.add(5, labels={"a": "9"})
        errors = await b.update_batch("e", update)
        assert {ts: e.status_code for ts, e in errors.items()} == {5: 404}
        async with b.read("e", timestamp=1) as record:
            assert record.labels == {"a": "9"}
        removal = Batch()
        removal.add(2)
        removal.add(7)
        errors = await b.remove_batch("e", removal)
        assert (errors[7].status_code, errors[7].message) == (404, f"Record 7 not found in entry {bucket}/e")
        assert [e.record_count for e in await b.get_entry_list()] == [1]

    run(scenario())


def test_v1_raw_headers_quotes_and_length(raw: Raw, bucket: str) -> None:
    headers = {"x-reduct-time-10": '3,text/csv,unit="m,s",tag=a', "x-reduct-time-20": "2,"}
    written = raw.post(f"/b/{bucket}/e/batch", data=b"abcde", headers=headers)
    assert written.status_code == 200
    assert not [h for h in written.headers if h.startswith("x-reduct-error")]
    first = raw.get(f"/b/{bucket}/e?ts=10")
    assert (first.content, first.headers["x-reduct-label-unit"], first.headers["x-reduct-label-tag"]) == (
        b"abc",
        "m,s",
        "a",
    )
    assert raw.get(f"/b/{bucket}/e?ts=20").headers["Content-Type"] == "application/octet-stream"
    mismatch = raw.post(f"/b/{bucket}/e/batch", data=b"abcd", headers={"x-reduct-time-30": "5,a/b"})
    assert error_of(mismatch) == (
        422,
        "content-length header does not match the sum of the content-lengths in the headers",
    )
    bad = raw.post(f"/b/{bucket}/e/batch", data=b"a", headers={"x-reduct-time-soon": "1,a/b"})
    assert error_of(bad) == (
        422,
        "Invalid header 'x-reduct-time-soon': must be an unix timestamp in microseconds",
    )


def test_a_v1_remove_batch_reads_only_the_timestamps_in_the_header_names(raw: Raw, bucket: str) -> None:
    written = raw.post(
        f"/b/{bucket}/e/batch", data=b"ab", headers={"x-reduct-time-1": "1,", "x-reduct-time-2": "1,"}
    )
    assert written.status_code == 200
    removed = raw.request(
        "DELETE", f"/b/{bucket}/e/batch", headers={"x-reduct-time-1": "0", "x-reduct-time-2": "junk"}
    )
    assert removed.status_code == 200
    assert not [h for h in removed.headers if h.startswith("x-reduct-error")]
    assert raw.get(f"/b/{bucket}/e?ts=1").status_code == 404


def test_v1_batch_into_a_missing_bucket_fails_per_record(raw: Raw) -> None:
    written = raw.post("/b/no-bucket-here/e/batch", data=b"ab", headers={"x-reduct-time-1": "2,a/b"})
    assert written.status_code == 200
    assert written.headers["x-reduct-error-1"] == "404,Bucket 'no-bucket-here' is not found"


def _v2(entries: str, start: int, records: Dict[str, str], labels: str = "") -> Dict[str, str]:
    headers = {"x-reduct-entries": entries, "x-reduct-start-ts": str(start), **records}
    if labels:
        headers["x-reduct-labels"] = labels
    return headers


def test_v2_write_with_label_deltas_and_the_echo(raw: Raw, bucket: str) -> None:
    headers = _v2(
        "cam,imu%2Fx",
        1000,
        {
            "x-reduct-0-0": "2,image/jpeg,0=left,1=1",
            "x-reduct-0-10": "3,,1=2",  # same type, label 1 changes, label 0 kept
            "x-reduct-0-20": "1,,0=",  # label 0 removed
            "x-reduct-1-5": '4,text/plain,2="a,b"',
        },
        labels="side,seq,note",
    )
    written = raw.post(f"/io/{bucket}/write", data=b"AABBBCDDDD", headers=headers)
    assert written.status_code == 200
    assert written.headers["x-reduct-entries"] == "cam,imu%2Fx"
    assert written.headers["x-reduct-start-ts"] == "1000"
    second = raw.get(f"/b/{bucket}/cam?ts=1010")
    assert (second.content, second.headers["Content-Type"]) == (b"BBB", "image/jpeg")
    assert (second.headers["x-reduct-label-side"], second.headers["x-reduct-label-seq"]) == ("left", "2")
    third = raw.get(f"/b/{bucket}/cam?ts=1020")
    assert "x-reduct-label-side" not in third.headers
    assert third.headers["x-reduct-label-seq"] == "2"
    other = raw.get(f"/b/{bucket}/imu/x?ts=1005")
    assert (other.content, other.headers["x-reduct-label-note"]) == (b"DDDD", "a,b")


def test_v2_errors_name_the_entry_index_and_delta(raw: Raw, bucket: str) -> None:
    assert raw.post(f"/b/{bucket}/b?ts=105", data=b"x").status_code == 200
    headers = _v2("a,b", 100, {"x-reduct-0-0": "1,a/b", "x-reduct-1-5": "1,a/b"})
    written = raw.post(f"/io/{bucket}/write", data=b"12", headers=headers)
    assert written.status_code == 200
    assert written.headers["x-reduct-error-1-5"] == "409,A record with timestamp 105 already exists"
    assert raw.get(f"/b/{bucket}/a?ts=100").content == b"1"
    assert error_of(
        raw.post(f"/io/{bucket}/write", data=b"1", headers=_v2("a", 1, {"x-reduct-0-0": "1"}))
    ) == (
        422,
        "Content-type and labels must be provided for the first record of an entry",
    )
    assert error_of(
        raw.post(f"/io/{bucket}/write", data=b"1", headers=_v2("a", 1, {"x-reduct-2-0": "1,a"}))
    ) == (
        422,
        "Invalid header 'x-reduct-2-0': entry index out of range",
    )
    assert error_of(
        raw.post(f"/io/{bucket}/write", data=b"12", headers=_v2("a", 1, {"x-reduct-0-0": "1,a"}))
    ) == (
        422,
        "content-length header does not match the sum of the content-lengths in the headers",
    )
    assert error_of(raw.post(f"/io/{bucket}/write", data=b"", headers={"x-reduct-entries": "a"})) == (
        422,
        "x-reduct-start-ts header is required",
    )


def test_v2_update_and_remove(raw: Raw, bucket: str) -> None:
    for ts in (1, 2):
        assert (
            raw.post(f"/b/{bucket}/e?ts={ts}", data=b"x", headers={"x-reduct-label-k": "v"}).status_code
            == 200
        )
    updated = raw.request("PATCH", f"/io/{bucket}/update", headers=_v2("e", 1, {"x-reduct-0-0": "0,,k=,j=1"}))
    assert updated.status_code == 200
    labels = {
        k: v for k, v in raw.get(f"/b/{bucket}/e?ts=1").headers.items() if k.startswith("x-reduct-label-")
    }
    assert labels == {"x-reduct-label-j": "1"}
    removed = raw.request(
        "DELETE", f"/io/{bucket}/remove", headers=_v2("e", 2, {"x-reduct-0-0": "0", "x-reduct-0-7": "0"})
    )
    assert removed.status_code == 200
    assert removed.headers["x-reduct-error-0-7"] == f"404,Record 9 not found in entry {bucket}/e"
    assert raw.get(f"/b/{bucket}/e?ts=2").status_code == 404


@pytest.mark.skipif(
    not HAS_V2, reason="reduct-py < 1.18 has no multi-entry batches (the raw tests above cover /io)"
)
def test_v2_record_batches_in_reduct_py(reduct_url: str, reduct_token: str, bucket: str) -> None:
    from reduct import RecordBatch

    async def scenario() -> None:
        b = await Client(reduct_url, api_token=reduct_token).get_bucket(bucket)
        batch = RecordBatch()
        batch.add("left", 10, b"L1", content_type="image/png", labels={"q": "good", "n": "1"})
        batch.add("left", 20, b"L2", content_type="image/png", labels={"q": "good", "n": "2"})
        batch.add("right/deep", 15, b"R", labels={"q": "bad, really"})
        assert await b.write_record_batch(batch) == {}
        again = RecordBatch()
        again.add("left", 10, b"X")
        errors = await b.write_record_batch(again)
        assert (errors["left"][10].status_code, errors["left"][10].message) == (
            409,
            "A record with timestamp 10 already exists",
        )
        async with b.read("right/deep", timestamp=15) as record:
            assert record.labels == {"q": "bad, really"}
        update = RecordBatch()
        update.add("left", 20, labels={"q": "", "n": "2"})
        assert await b.update_record_batch(update) == {}
        async with b.read("left", timestamp=20) as record:
            assert record.labels == {"n": "2"}
        removal = RecordBatch()
        removal.add("left", 10)
        assert await b.remove_record_batch(removal) == {}
        with pytest.raises(ReductError):
            async with b.read("left", timestamp=10):
                pass

    run(scenario())
