"""stream_range / iter_range: order, bounded read-ahead window, verification, early close."""

from __future__ import annotations

import io
import os
import threading
import time
from typing import List, Set

import pytest

from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.exceptions import HashDoesNotMatchError, InvalidByteRangeError, TransferCancelledError
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.core.integrity import MiB, tree_hash
from cassdk_like.engine import CancelToken, TransferConfig, iter_range, stream_range
from tests.helpers.engine_fakes import FakeFault, FakeSource

FAST = RetryPolicy(total_attempts=3, backoff_base=0.0, backoff_cap=0.0)
CFG = TransferConfig(max_workers=4, stream_piece_size=MiB, retry_policy=FAST, poll_interval=0.01)


@pytest.mark.parametrize("size", [0, 1, MiB, 3 * MiB + 5], ids=lambda s: f"{s}B")
def test_stream_whole_output_in_order(size: int) -> None:
    data = os.urandom(size)
    out = io.BytesIO()
    result = stream_range(FakeSource(data), None, out, config=CFG)
    assert out.getvalue() == data
    assert result.size == size
    assert result.tree_hash == tree_hash(data)
    assert result.verified


def test_stream_sub_range_hashes_the_range() -> None:
    data = os.urandom(5 * MiB)
    out = io.BytesIO()
    result = stream_range(FakeSource(data), "1048576-4194303", out, config=CFG)
    assert out.getvalue() == data[MiB : 4 * MiB]
    assert result.tree_hash == tree_hash(data[MiB : 4 * MiB])
    assert not result.verified


def test_range_outside_the_output_is_refused() -> None:
    with pytest.raises(InvalidByteRangeError):
        stream_range(FakeSource(b"abc"), (0, 3), io.BytesIO(), config=CFG)


def test_read_ahead_never_exceeds_the_window() -> None:
    data = os.urandom(12 * MiB)
    active: Set[int] = set()
    peak: List[int] = [0]
    lock = threading.Lock()

    def hook(rng: ByteRange, pos: int) -> None:
        with lock:
            active.add(rng.start)
            peak[0] = max(peak[0], len(active))

    class SlowSink(io.BytesIO):
        def write(self, b: bytes) -> int:  # type: ignore[override]
            time.sleep(0.02)  # a slow consumer lets fetchers run ahead as far as they may
            with lock:
                active.discard(self.tell() - self.tell() % MiB)
            return super().write(b)

    out = SlowSink()
    stream_range(FakeSource(data, read_hook=hook), None, out, window=3, config=CFG)
    assert out.getvalue() == data
    assert peak[0] <= 3


def test_corrupt_piece_is_refetched_before_it_is_emitted() -> None:
    data = os.urandom(3 * MiB)
    source = FakeSource(data, faults=[FakeFault("corrupt", start=MiB, after=77)])
    assert b"".join(iter_range(source, config=CFG)) == data
    assert sum(1 for r in source.requests if r.start == MiB) == 2


def test_whole_output_mismatch_raises_at_the_end() -> None:
    source = FakeSource(os.urandom(2 * MiB), send_hash=False, expected_tree_hash="cd" * 32)
    chunks: List[bytes] = []
    with pytest.raises(HashDoesNotMatchError):
        chunks.extend(iter_range(source, config=CFG))
    assert len(b"".join(chunks)) == 2 * MiB


def test_iter_range_chunks_and_cuts() -> None:
    data = os.urandom(2 * MiB + 100)
    source = FakeSource(data, faults=[FakeFault("cut", start=MiB, after=1000)])
    chunks = list(iter_range(source, (0, len(data) - 1), chunk_size=300_000, config=CFG))
    assert b"".join(chunks) == data
    assert max(len(c) for c in chunks) == 300_000
    assert ByteRange(MiB + 1000, 2 * MiB - 1) in source.requests


def test_closing_the_iterator_stops_the_workers() -> None:
    data = os.urandom(40 * MiB)
    source = FakeSource(data)
    chunks = iter_range(source, window=2, config=CFG)
    first = next(chunks)
    assert first == data[: len(first)]
    chunks.close()
    seen = len(source.requests)
    time.sleep(0.1)
    assert len(source.requests) == seen <= 3
    assert all(r.closed for r in source.responses)


def test_cancel_token_stops_a_stream() -> None:
    token = CancelToken()
    source = FakeSource(os.urandom(8 * MiB), read_hook=lambda rng, pos: token.wait(5) if rng.start else None)
    threading.Timer(0.1, token.cancel).start()
    out = io.BytesIO()
    with pytest.raises(TransferCancelledError):
        stream_range(source, None, out, config=CFG, cancel_token=token)
    assert len(out.getvalue()) == MiB  # only the first piece got through
