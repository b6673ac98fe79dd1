"""fetch_blocks / iter_blocks / blocks_to_path: whole-object blocks of unknown fetched size."""

from __future__ import annotations

import os
import threading
import time
import zlib
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Set, Union

import attrs
import pytest

from cassdk_like.core.exceptions import (
    BadResponseError,
    CASClientError,
    ConnectionFailedError,
    InvalidArgumentError,
    LocalFileError,
    TransferCancelledError,
)
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.engine import (
    BandwidthLimiter,
    CancelToken,
    ProgressEvent,
    TransferConfig,
    blocks_to_path,
    fetch_blocks,
    iter_blocks,
)
from cassdk_like.engine.blocks import blocks_in_range
from cassdk_like.engine.interfaces import DECODE_ROOM
from tests.helpers.engine_fakes import FakeResponse

FAST = RetryPolicy(total_attempts=3, backoff_base=0.0, backoff_cap=0.0)
CFG = TransferConfig(max_workers=4, retry_policy=FAST, poll_interval=0.01, io_chunk_size=4096)


@attrs.frozen
class Spec:
    number: int
    offset: int
    length: int


class BlockFailed(CASClientError):
    def __init__(self, number: int, message: str) -> None:
        self.number = number
        super().__init__(message, operation="test")


class FakeBlocks:
    """A file cut into blocks stored zlib-compressed (so the fetched size differs). Thread-safe."""

    def __init__(self, data: bytes, block: int, *, declare_length: bool = True) -> None:
        self.data = data
        self.blocks: List[Spec] = [
            Spec(i + 1, at, min(block, len(data) - at)) for i, at in enumerate(range(0, len(data), block))
        ]
        self.size = len(data)
        self.stored: Dict[int, bytes] = {
            s.number: zlib.compress(data[s.offset : s.offset + s.length], 1) for s in self.blocks
        }
        self.declare_length = declare_length
        self.cuts: Dict[int, int] = {}  # block number -> times its body breaks half-way
        self.bad: Set[int] = set()  # blocks whose stored bytes do not decode
        self.limit_extra = 64
        self.requests: List[int] = []
        self.responses: List[FakeResponse] = []
        self.active: Set[int] = set()
        self.peak = 0
        self.delay = 0.0
        self.slow: Set[int] = set()  # blocks whose answer takes 0.1 s
        self.gate: Optional[threading.Event] = None
        self.rooms: Set[int] = set()  # the buffers lent to decode (read into or spare), by identity
        self.room_sizes: Set[int] = set()
        self.into_spare = True  # decode into the spare buffer, as snappy does; else new bytes
        self._lock = threading.Lock()

    def max_fetch_size(self, spec: Spec) -> int:
        return spec.length + self.limit_extra

    def open_block(self, spec: Spec) -> FakeResponse:
        with self._lock:
            self.requests.append(spec.number)
            self.active.add(spec.number)
            self.peak = max(self.peak, len(self.active))
            cut = self.cuts.get(spec.number, 0)
            if cut:
                self.cuts[spec.number] = cut - 1
        if self.gate is not None and spec.number > 1:
            self.gate.wait(5)
        if self.delay:
            time.sleep(self.delay)
        if spec.number in self.slow:
            time.sleep(0.1)
        body = self.stored[spec.number]
        headers = {"Content-Length": str(len(body))} if self.declare_length else {}
        response = FakeResponse(200, headers, body, cut_after=len(body) // 2 if cut else None)
        self.responses.append(response)
        return response

    def decode(
        self, spec: Spec, raw: memoryview, room: memoryview, spare: Callable[[], memoryview]
    ) -> Union[bytes, memoryview]:
        with self._lock:
            self.active.discard(spec.number)
            self.rooms.add(id(room.obj))
            self.room_sizes.add(len(room))
        if spec.number in self.bad:
            raise ValueError("cannot decode")
        plain = zlib.decompress(bytes(raw))
        if not self.into_spare:
            return plain
        out = spare()
        with self._lock:
            self.rooms.add(id(out.obj))
            self.room_sizes.add(len(out))
        out[: len(plain)] = plain
        return out[: len(plain)]

    def block_error(self, spec: Spec, exc: Exception) -> Exception:
        return BlockFailed(spec.number, f"block {spec.number}: {exc}")


def _data(size: int) -> bytes:
    return bytes(range(256)) * (size // 256) + os.urandom(size % 256)


@pytest.mark.parametrize("declare", [True, False], ids=["content-length", "no-length"])
def test_fetch_blocks_all_and_selected_in_the_order_given(declare: bool) -> None:
    source = FakeBlocks(_data(10_000), 1000, declare_length=declare)
    results = fetch_blocks(source, config=CFG)
    assert [r.spec.number for r in results] == list(range(1, 11))
    assert b"".join(r.data for r in results) == source.data
    picked = fetch_blocks(source, [source.blocks[7], source.blocks[2]], config=CFG)
    assert [r.spec.number for r in picked] == [8, 3]
    assert picked[0].data == source.data[7000:8000]


def test_fetch_blocks_bounds_the_blocks_in_flight() -> None:
    source = FakeBlocks(_data(20_000), 1000)
    source.delay = 0.01
    fetch_blocks(source, max_workers=2, config=CFG)
    assert source.peak <= 2
    with pytest.raises(InvalidArgumentError, match="max_workers"):
        fetch_blocks(source, max_workers=0, config=CFG)


def test_a_broken_body_is_fetched_again_whole() -> None:
    source = FakeBlocks(_data(5000), 1000)
    source.cuts[3] = 1
    assert b"".join(r.data for r in fetch_blocks(source, config=CFG)) == source.data
    assert source.requests.count(3) == 2


def test_a_body_that_keeps_breaking_fails_with_the_sources_error() -> None:
    source = FakeBlocks(_data(5000), 1000)
    source.cuts[2] = 10
    with pytest.raises(BlockFailed) as caught:
        fetch_blocks(source, config=CFG)
    assert caught.value.number == 2
    assert isinstance(caught.value.__cause__, ConnectionFailedError)
    assert source.requests.count(2) == FAST.total_attempts


def test_a_body_longer_than_the_bound_is_refused() -> None:
    for declare in (True, False):
        source = FakeBlocks(os.urandom(3000), 1000, declare_length=declare)  # random data does not shrink
        source.limit_extra = -100
        with pytest.raises(BlockFailed, match="longer than"):
            fetch_blocks(source, config=CFG)


def test_a_decode_failure_is_not_retried_and_names_the_block() -> None:
    source = FakeBlocks(_data(5000), 1000)
    source.bad.add(4)
    with pytest.raises(BlockFailed) as caught:
        fetch_blocks(source, config=CFG)
    assert caught.value.number == 4
    assert source.requests.count(4) == 1


@pytest.mark.parametrize(
    ("start", "end"),
    [(0, None), (0, 9999), (1, 1), (999, 1000), (2500, 7499), (9999, None), (3000, 3999), (5, 50_000)],
)
def test_iter_blocks_yields_the_inclusive_range(start: int, end: Optional[int]) -> None:
    source = FakeBlocks(_data(10_000), 1000)
    stop = None if end is None else end + 1
    assert b"".join(iter_blocks(source, start, end, config=CFG)) == source.data[start:stop]


def test_iter_blocks_fetches_only_the_blocks_of_the_range() -> None:
    source = FakeBlocks(_data(10_000), 1000)
    list(iter_blocks(source, 2500, 4000, config=CFG))
    assert sorted(source.requests) == [3, 4, 5]


def test_a_start_past_the_end_yields_nothing() -> None:
    source = FakeBlocks(_data(3000), 1000)
    assert list(iter_blocks(source, 3000, config=CFG)) == []
    assert list(iter_blocks(source, 10**9, None, config=CFG)) == []
    assert source.requests == []


def test_bad_bounds_are_refused_before_anything_is_fetched() -> None:
    source = FakeBlocks(_data(3000), 1000)
    for start, end in ((-1, None), (5, 4), (True, None), (0, 1.5)):
        with pytest.raises(InvalidArgumentError):
            iter_blocks(source, start, end, config=CFG)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="window"):
        iter_blocks(source, window=0, config=CFG)
    assert source.requests == []


def test_the_read_ahead_window_bounds_the_blocks_held() -> None:
    source = FakeBlocks(_data(40_000), 1000)
    chunks = iter_blocks(source, window=3, config=CFG)
    next(chunks)
    time.sleep(0.1)  # a slow consumer: the workers run ahead as far as they may
    assert len(source.requests) == 3  # nothing more starts until the caller asks
    rest = b"".join(chunks)
    assert len(rest) == 39_000
    assert source.peak <= 3


@pytest.mark.parametrize("into_spare", [True, False])
def test_blocks_pass_through_one_buffer_per_window_slot_and_one_spare(into_spare: bool) -> None:
    """Each block is read into a buffer of the run's pool and decompressed into a spare one, which
    then holds it while the read buffer goes back; the bytes handed out are copies, so a buffer
    lent again never changes a block already yielded."""
    data = _data(40_000)
    source = FakeBlocks(data, 1000)
    source.into_spare = into_spare
    chunks = list(iter_blocks(source, window=3, config=CFG))
    assert b"".join(chunks) == data
    assert all(type(chunk) is bytes for chunk in chunks)
    assert 1 <= len(source.rooms) <= 3 + 1  # 40 blocks: the window's three, and one spare
    assert source.room_sizes == {1000 + source.limit_extra + 1 + DECODE_ROOM}


def test_parallel_blocks_use_a_buffer_per_worker_and_one_spare() -> None:
    data = _data(40_000)
    source = FakeBlocks(data, 1000)
    source.delay = 0.002
    results = fetch_blocks(source, max_workers=4, config=CFG)
    assert b"".join(result.data for result in results) == data
    assert len(source.rooms) <= 4 + 1


def test_a_worker_waiting_for_the_spare_sees_a_cancel() -> None:
    """With every buffer taken, a decoder asking for the spare waits, and a cancel ends the wait
    (it does not wait for the spare to come back)."""
    source = FakeBlocks(_data(8_000), 1000)
    token = CancelToken()
    holding = threading.Event()
    waits: List[str] = []
    real_decode = source.decode

    def decode(
        spec: Spec, raw: memoryview, room: memoryview, spare: Callable[[], memoryview]
    ) -> Union[bytes, memoryview]:
        if spec.number == 1:
            spare()  # the only spare, kept until well after the cancel
            holding.set()
            token.wait(5)
            time.sleep(0.3)
            return zlib.decompress(bytes(raw))
        holding.wait(5)
        try:
            return real_decode(spec, raw, room, spare)
        except TransferCancelledError:
            waits.append("cancelled while waiting")
            raise

    source.decode = decode  # type: ignore[method-assign]
    timer = threading.Timer(0.2, token.cancel)
    timer.start()
    with pytest.raises(TransferCancelledError):
        list(iter_blocks(source, window=2, config=CFG, cancel_token=token))
    timer.cancel()
    assert waits == ["cancelled while waiting"]


def test_closing_the_iterator_stops_the_workers() -> None:
    source = FakeBlocks(_data(100_000), 1000)
    source.delay = 0.005
    chunks = iter_blocks(source, window=2, config=CFG)
    next(chunks)
    chunks.close()
    seen = len(source.requests)
    time.sleep(0.05)
    assert len(source.requests) == seen <= 3


def test_cancel_stops_the_blocks() -> None:
    source = FakeBlocks(_data(10_000), 1000)
    source.gate = threading.Event()  # every block after the first waits
    token = CancelToken()
    threading.Timer(0.05, token.cancel).start()
    got: List[bytes] = []
    with pytest.raises(TransferCancelledError):
        got.extend(iter_blocks(source, config=CFG, cancel_token=token))
    source.gate.set()
    assert b"".join(got) == source.data[:1000]


def test_progress_counts_plaintext_and_finishes() -> None:
    source = FakeBlocks(_data(8000), 1000)
    events: List[ProgressEvent] = []
    fetch_blocks(source, config=CFG, progress=events.append)
    assert events[-1].finished
    assert events[-1].done == events[-1].total == 8000
    assert [e.done for e in events] == sorted(e.done for e in events)


def test_the_bandwidth_limiter_is_paid_for_fetched_bytes() -> None:
    source = FakeBlocks(_data(4000), 1000)
    limiter = BandwidthLimiter(10**9)
    paid: List[int] = []
    original = limiter.consume

    def spy(nbytes: int, token: Optional[CancelToken] = None) -> None:
        paid.append(nbytes)
        original(nbytes, token)

    limiter.consume = spy  # type: ignore[method-assign]
    fetch_blocks(source, config=CFG, limiter=limiter)
    assert sum(paid) == sum(len(b) for b in source.stored.values())


def test_blocks_to_path_writes_the_range_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    source = FakeBlocks(_data(10_000), 1000)
    dest = tmp_path / "out.bin"
    result = blocks_to_path(source, dest, 1500, 8499, config=CFG)
    assert dest.read_bytes() == source.data[1500:8500]
    assert (result.size, result.blocks) == (7000, 8)
    assert os.listdir(tmp_path) == ["out.bin"]


def test_a_failed_block_leaves_the_destination_untouched(tmp_path: Path) -> None:
    source = FakeBlocks(_data(10_000), 1000)
    source.bad.add(9)
    dest = tmp_path / "out.bin"
    dest.write_bytes(b"old")
    with pytest.raises(BlockFailed):
        blocks_to_path(source, dest, config=CFG)
    assert dest.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.bin"]


def test_a_bad_destination_is_refused_before_any_fetch(tmp_path: Path) -> None:
    source = FakeBlocks(_data(3000), 1000)
    with pytest.raises(LocalFileError, match="folder"):
        blocks_to_path(source, tmp_path, config=CFG)
    with pytest.raises(LocalFileError, match="folder does not exist"):
        blocks_to_path(source, tmp_path / "missing" / "x", config=CFG)
    assert source.requests == []


def test_blocks_in_range_picks_the_overlapping_blocks() -> None:
    specs: Sequence[Spec] = [Spec(1, 0, 10), Spec(2, 10, 10), Spec(3, 20, 5)]
    assert [s.number for s in blocks_in_range(specs, 0, None)] == [1, 2, 3]
    assert [s.number for s in blocks_in_range(specs, 9, 10)] == [1, 2]
    assert [s.number for s in blocks_in_range(specs, 24, 99)] == [3]
    assert blocks_in_range(specs, 25, None) == []
    assert blocks_in_range([], 0, None) == []


def test_a_non_2xx_answer_the_source_let_through_is_a_bad_response() -> None:
    source = FakeBlocks(_data(2000), 1000)
    original = source.open_block

    def answer_404(spec: Spec) -> FakeResponse:
        response = original(spec)
        response.status = 404
        return response

    source.open_block = answer_404  # type: ignore[method-assign]
    with pytest.raises(BlockFailed) as caught:
        fetch_blocks(source, config=CFG)
    assert isinstance(caught.value.__cause__, BadResponseError)


def test_a_later_blocks_failure_waits_for_its_turn() -> None:
    source = FakeBlocks(_data(5000), 1000)
    source.slow.add(2)
    source.bad.add(3)  # fails while block 2 is still on its way
    got: List[bytes] = []
    with pytest.raises(BlockFailed) as caught:
        got.extend(iter_blocks(source, window=3, config=CFG))
    assert caught.value.number == 3
    assert b"".join(got) == source.data[:2000]
