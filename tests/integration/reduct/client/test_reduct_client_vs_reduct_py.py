"""Side by side with reduct-py: both clients read the same data from the emulator and must parse the
same values (models, records, labels, bodies, errors); each reads what the other wrote."""

from __future__ import annotations

import enum
import uuid
from typing import Any, Dict, List, Tuple

import pytest
import reduct

from cassdk_like.reduct import Batch, Bucket, Client, NotFound, Permissions, ReductError
from tests.integration.reduct.emulator.reduct_raw import HAS_V2, run

RecordView = Tuple[str, int, int, str, Dict[str, str], bytes]


def _plain(value: Any) -> Any:
    """A model field as a comparable value (enums by value, lists as tuples, models as dicts)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    if hasattr(value, "model_dump"):
        return {k: _plain(getattr(value, k)) for k in type(value).model_fields}
    if hasattr(value, "__attrs_attrs__"):
        return {a.name: _plain(getattr(value, a.name)) for a in value.__attrs_attrs__}
    return value


def _same_fields(ours: Any, theirs: Any) -> None:
    """Every field reduct-py's model has is in ours with the same value."""
    for name in type(theirs).model_fields:
        assert _plain(getattr(ours, name)) == _plain(getattr(theirs, name)), name


def _reduct_py(url: str, token: str) -> reduct.Client:
    return reduct.Client(url, api_token=token)


def test_server_bucket_and_entry_models_match(
    client: Client, bucket: Bucket, reduct_url: str, reduct_token: str
) -> None:
    batch = Batch()
    for ts in range(1, 6):
        batch.add(ts, b"x" * ts)
    bucket.write_batch("a", batch)
    bucket.write("b/c", b"yy", timestamp=10)

    async def theirs() -> Tuple[Any, Any, Any]:
        async with _reduct_py(reduct_url, reduct_token) as rpy:
            remote = await rpy.get_bucket(bucket.name)
            return await rpy.list(), await remote.get_full_info(), await remote.get_entry_list()

    their_list, their_full, their_entries = run(theirs())
    our_list = client.list()
    assert [b.name for b in our_list] == [b.name for b in their_list]
    for ours, them in zip(our_list, their_list):
        _same_fields(ours, them)
    full = bucket.get_full_info()
    _same_fields(full.info, their_full.info)
    _same_fields(full.settings, their_full.settings)
    assert len(full.entries) == len(their_entries) == 3  # a, b (made by writing b/c) and b/c
    for ours, them in zip(full.entries, their_entries):
        _same_fields(ours, them)
    info = client.info()
    their_info = run(_reduct_py(reduct_url, reduct_token).info())
    for name in ("version", "bucket_count", "oldest_record", "latest_record"):
        assert getattr(info, name) == getattr(their_info, name), name
    _same_fields(info.defaults.bucket, their_info.defaults.bucket)


def test_token_models_match(client: Client, reduct_url: str, reduct_token: str) -> None:
    name = f"side-{uuid.uuid4().hex[:8]}"
    client.create_token(
        name, Permissions(read=["a", "b-*"], write=["a"]), ttl=600, ip_allowlist=["127.0.0.1"]
    )
    try:

        async def theirs() -> Tuple[Any, Any, Any]:
            async with _reduct_py(reduct_url, reduct_token) as rpy:
                return await rpy.get_token(name), await rpy.get_token_list(), await rpy.me()

        their_token, their_list, their_me = run(theirs())
        ours = client.get_token(name)
        _same_fields(ours, their_token)
        _same_fields(ours.permissions, their_token.permissions)
        assert [t.name for t in client.get_token_list()] == [t.name for t in their_list]
        me = client.me()
        for field in ("name", "is_provisioned", "created_at"):
            assert getattr(me, field) == getattr(their_me, field)
        _same_fields(me.permissions, their_me.permissions)
    finally:
        client.remove_token(name)


def _ours(bucket: Bucket, entry: str, **query: Any) -> List[RecordView]:
    return [
        (r.entry, r.timestamp, r.size, r.content_type, r.labels, r.read_all())
        for r in bucket.query(entry, **query)
    ]


def _theirs(url: str, token: str, bucket: str, entry: str, **query: Any) -> List[RecordView]:
    async def scenario() -> List[RecordView]:
        async with _reduct_py(url, token) as rpy:
            remote = await rpy.get_bucket(bucket)
            return [
                # reduct-py 1.17 (Python 3.9) records carry no entry name
                (
                    getattr(r, "entry", entry),
                    r.timestamp,
                    r.size,
                    r.content_type,
                    r.labels,
                    await r.read_all(),
                )
                async for r in remote.query(entry, **query)
            ]

    return run(scenario())


def test_we_read_what_reduct_py_wrote(bucket: Bucket, reduct_url: str, reduct_token: str) -> None:
    async def write() -> None:
        async with _reduct_py(reduct_url, reduct_token) as rpy:
            remote = await rpy.get_bucket(bucket.name)
            await remote.write(
                "e", b"single", timestamp=1, labels={"a": "1", "b": "x"}, content_type="text/plain"
            )
            # reduct-py sends a batch in one request whatever its size; the server reads at most 85
            for first in range(2, 120, 80):
                batch = reduct.Batch()
                for ts in range(first, min(first + 80, 120)):
                    batch.add(ts, bytes([ts]) * ts, labels={"n": str(ts), "even": str(ts % 2 == 0)})
                assert await remote.write_batch("e", batch) == {}

    run(write())
    ours = _ours(bucket, "e")
    assert ours == _theirs(reduct_url, reduct_token, bucket.name, "e")
    assert len(ours) == 119
    assert ours[0] == ("e", 1, 6, "text/plain", {"a": "1", "b": "x"}, b"single")
    window = {"start": 10, "stop": 20, "when": {"&even": {"$eq": "True"}}}
    assert _ours(bucket, "e", **window) == _theirs(reduct_url, reduct_token, bucket.name, "e", **window)
    with bucket.read("e", 5) as record:
        ours_single = (record.timestamp, record.size, record.labels, record.read_all())

    async def read_one() -> Tuple[int, int, Dict[str, str], bytes]:
        async with _reduct_py(reduct_url, reduct_token) as rpy:
            remote = await rpy.get_bucket(bucket.name)
            async with remote.read("e", 5) as r:
                return r.timestamp, r.size, r.labels, await r.read_all()

    assert ours_single == run(read_one())


def test_reduct_py_reads_what_we_wrote(bucket: Bucket, reduct_url: str, reduct_token: str) -> None:
    bucket.write("e", b"single", timestamp=1, labels={"k": "v"}, content_type="application/json")
    batch = Batch()
    for ts in range(2, 50):
        batch.add(ts, str(ts).encode(), content_type="text/plain" if ts % 3 else "text/csv", labels={"n": ts})
    assert bucket.write_batch("e", batch) == {}
    theirs = _theirs(reduct_url, reduct_token, bucket.name, "e", head=False)
    assert theirs == _ours(bucket, "e")
    assert theirs[3] == ("e", 4, 1, "text/plain", {"n": "4"}, b"4")
    assert theirs[2][3] == "text/csv"


@pytest.mark.skipif(not HAS_V2, reason="reduct-py before 1.18 has no record batches")
def test_record_batches_read_the_same(bucket: Bucket, reduct_url: str, reduct_token: str) -> None:
    """Entries whose records do not interleave in time (reduct-py reads multi-entry batches in time order)."""
    from cassdk_like.reduct import RecordBatch

    batch = RecordBatch()
    for ts in range(1, 6):
        batch.add("first", ts, b"f" * ts, labels={"i": ts})
    for ts in range(100, 104):
        batch.add("second/x", ts, b"s" * (ts - 99), labels={"i": ts, "tag": "a,b"})
    assert bucket.write_record_batch(batch) == {}
    ours = _ours(bucket, ["first", "second/*"])  # type: ignore[arg-type]
    assert ours == _theirs(reduct_url, reduct_token, bucket.name, ["first", "second/*"])
    assert ours[-1] == ("second/x", 103, 4, "application/octet-stream", {"i": "103", "tag": "a,b"}, b"ssss")


def test_errors_say_the_same(bucket: Bucket, reduct_url: str, reduct_token: str) -> None:
    with pytest.raises(NotFound) as ours:
        bucket.read("missing", 1).__enter__()

    async def theirs() -> ReductError:
        async with _reduct_py(reduct_url, reduct_token) as rpy:
            remote = await rpy.get_bucket(bucket.name)
            try:
                async with remote.read("missing", 1):
                    pass
            except reduct.ReductError as exc:
                return exc  # type: ignore[return-value]
        raise AssertionError("reduct-py read a missing record")

    them = run(theirs())
    assert (ours.value.status_code, ours.value.message, str(ours.value)) == (
        them.status_code,
        them.message,
        str(them),
    )
