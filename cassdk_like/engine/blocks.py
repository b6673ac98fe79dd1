"""Whole-object block transfers (a ``BlockSource``): in parallel, in order over a range, or to a path.

Why not the ranged machinery: a block is its own object, fetched whole, whose fetched size is
known only once it arrived; what is known up front is the plaintext each block decodes to, so
ranges are planned in plaintext offsets and sliced out of the decoded first and last blocks.
What it shares with the ranged download: the scheduler and ``Runner`` (bounded workers, cancel,
Ctrl-C), ``RetryCounter`` for bodies that break (the transport retries the requests), the
bandwidth limiter, progress events (in plaintext bytes, a block at a time), the ordered
read-ahead window of ``engine.window`` (memory is at most ``window`` decoded blocks whatever the
file size), and ``engine.placement`` to write through a temporary file renamed into place only
after every block decoded (a failure leaves nothing at the destination).
"""

from __future__ import annotations

import bisect
import mmap
import os
from concurrent.futures import Future
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import attrs

from cassdk_like.core.cancel import CancelToken
from cassdk_like.core.exceptions import (
    BadResponseError,
    InvalidArgumentError,
    TransferCancelledError,
)
from cassdk_like.engine.buffers import BufferPool, anonymous_pages
from cassdk_like.engine.config import TransferConfig, positive_int
from cassdk_like.engine.context import TransferContext, resolve_context
from cassdk_like.engine.fetch import FetchCounters
from cassdk_like.engine.interfaces import DECODE_ROOM, BlockSource, BlockSpec, RangeResponse
from cassdk_like.engine.placement import TemporaryFile
from cassdk_like.engine.progress import ProgressCallback, ProgressTracker
from cassdk_like.engine.ratelimit import Pacer
from cassdk_like.engine.retry import RetryCounter
from cassdk_like.engine.runner import Runner
from cassdk_like.engine.window import read_ahead

__all__ = [
    "BlockResult",
    "BlocksWritten",
    "blocks_in_range",
    "blocks_to_path",
    "fetch_blocks",
    "iter_blocks",
]

_OPERATION = "read_blocks"
#: a read returns at most this long after its first bytes (then cancel is checked)
_READ_SECONDS = 0.2
#: buffers beyond one per block in flight, for a block decompressed out of the buffer it was read
#: into; one is held only while a block decompresses (0.1 to 2 ms for 4 MiB of snappy, against tens
#: of milliseconds to fetch it), so one keeps up with the fastest link
_SPARES = 1
#: how often a worker waiting for a spare buffer looks at the cancel token
_SPARE_POLL = 0.1

_Held = Tuple[mmap.mmap, memoryview]


@attrs.frozen
class BlockResult:
    """One decoded block: its spec and its ``spec.length`` plaintext bytes."""

    spec: BlockSpec
    data: bytes


@attrs.frozen
class BlocksWritten:
    """What ``blocks_to_path`` did: ``size`` plaintext bytes written from ``blocks`` blocks."""

    path: str
    size: int
    blocks: int
    bytes_fetched: int
    requests: int


def blocks_in_range(blocks: Sequence[BlockSpec], start: int, end: Optional[int]) -> List[BlockSpec]:
    """The blocks holding plaintext ``[start, end]`` (inclusive; None: to the last byte).

    A start past the last byte selects nothing; an end past it is the last byte.
    """
    if not blocks:
        return []
    last = blocks[-1].offset + blocks[-1].length - 1
    stop = last if end is None else min(end, last)
    if start > stop:
        return []
    starts = [spec.offset for spec in blocks]
    first = bisect.bisect_right(starts, start) - 1
    final = bisect.bisect_right(starts, stop) - 1
    return list(blocks[max(first, 0) : final + 1])


def _check_bounds(start: object, end: object) -> Tuple[int, Optional[int]]:
    def bound(name: str, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidArgumentError(f"{name} must be an integer >= 0, got {value!r}", operation=_OPERATION)
        return value

    first = bound("start", start)
    last = None if end is None else bound("end", end)
    if last is not None and last < first:
        raise InvalidArgumentError(
            f"end {last} is before start {first} (the range is inclusive)", operation=_OPERATION
        )
    return first, last


@attrs.define
class _BlockRun:
    """One call's blocks: fetches and decodes them on the transfer's workers."""

    source: BlockSource
    ctx: TransferContext
    tracker: ProgressTracker
    buffers: BufferPool[mmap.mmap]
    token: CancelToken = attrs.Factory(CancelToken)
    counters: FetchCounters = attrs.Factory(FetchCounters)

    def open(self) -> None:
        """Link to the caller's token once work starts (a generator may never start)."""
        if self.ctx.cancel_token is not None:
            self.token = self.ctx.cancel_token.child()

    def close(self) -> None:
        self.token.detach()

    def task(self, spec: BlockSpec, buf: mmap.mmap) -> _Held:
        """Fetch and decode one block into ``buf`` (on a worker): the buffer now holding its
        plaintext and a view of the plaintext, which may also be a view of new bytes.  A block
        decompressed out of ``buf`` lands in a spare buffer from the pool, and ``buf`` goes back
        to it.  Failures are named by the source."""
        lent: List[mmap.mmap] = []

        def spare() -> memoryview:
            while not lent:
                self.token.raise_if_cancelled()
                got = self.buffers.acquire(timeout=_SPARE_POLL)
                if got is not None:
                    lent.append(got)
            return memoryview(lent[0])

        try:
            room = memoryview(buf)
            length = self._fetch(spec, room)
            data = memoryview(self.source.decode(spec, room[:length], room, spare))
            if len(data) != spec.length:
                raise BadResponseError(
                    f"block {spec.number} decoded to {len(data)} bytes, expected {spec.length}",
                    operation=_OPERATION,
                )
        except TransferCancelledError:
            self._give_back(lent)
            raise
        except Exception as exc:
            self._give_back(lent)
            error = self.source.block_error(spec, exc)
            if error is exc:
                raise
            raise error from exc
        self.tracker.add(spec.length)
        if lent and data.obj is lent[0]:
            self.buffers.release(buf)
            return lent[0], data
        self._give_back(lent)
        return buf, data

    def _give_back(self, lent: List[mmap.mmap]) -> None:
        for held in lent:
            self.buffers.release(held)

    def lend(self) -> mmap.mmap:
        buf = self.buffers.acquire()
        assert buf is not None  # without a timeout, acquire() waits until one is free
        return buf

    def take(self, held: _Held) -> bytes:
        """The block's bytes, copied out on the caller's thread (so large buffers are made and
        dropped by one thread, which the allocator reuses), and the buffer back to the pool."""
        buf, data = held
        try:
            whole = data.obj
            if isinstance(whole, bytes) and len(whole) == len(data):
                return whole  # decoded into bytes of its own: nothing to copy
            return bytes(data)
        finally:
            self.buffers.release(buf)

    def _fetch(self, spec: BlockSpec, room: memoryview) -> int:
        retries = RetryCounter(self.ctx.config.retry_policy, self.token)
        limit = self.source.max_fetch_size(spec)
        while True:
            self.token.raise_if_cancelled()
            got = [0]
            try:
                return self._fetch_once(spec, limit, got, room)
            except Exception as exc:
                retries.failed(exc, progressed=got[0])

    def _fetch_once(self, spec: BlockSpec, limit: int, got: List[int], room: memoryview) -> int:
        response = self.source.open_block(spec)
        self.counters.bump(requests=1)
        abort = getattr(response, "abort", None)
        forget = self.token.on_cancel(abort) if abort is not None else None
        try:
            if not 200 <= response.status < 300:
                raise BadResponseError(
                    f"block {spec.number}: HTTP {response.status} where a block was expected",
                    operation=_OPERATION,
                )
            return self._read_whole(response, spec, limit, got, room)
        finally:
            if forget is not None:
                forget()
            response.close()

    def _read_whole(
        self, response: RangeResponse, spec: BlockSpec, limit: int, got: List[int], room: memoryview
    ) -> int:
        """Read the whole body into ``room``, at most ``limit`` bytes (a declared Content-Length is
        held to exactly); its length."""
        declared = _content_length(response)
        if declared is not None and declared > limit:
            raise self._too_long(spec, limit)
        end = declared if declared is not None else limit + 1  # one byte more tells a long body
        chunk = self.ctx.config.io_chunk_size
        read_for = getattr(response, "readinto_for", None)
        limiter, pos = self.ctx.limiter, 0
        while pos < end:
            count = self._read_some(response, room[pos : min(end, pos + chunk)], read_for)
            if not count:
                if declared is not None:
                    raise BadResponseError(
                        f"block {spec.number}: body ended after {pos} of {declared} bytes",
                        operation=_OPERATION,
                    )
                break
            pos += count
            got[0] = pos
            self.counters.bump(nbytes=count)
            if limiter is not None:
                limiter.consume(count, self.token)
            elif self.token.cancelled:
                self.token.raise_if_cancelled()
        if pos > limit:
            raise self._too_long(spec, limit)
        return pos

    @staticmethod
    def _read_some(response: RangeResponse, view: memoryview, read_for: object) -> int:
        if callable(read_for):
            return int(read_for(view, _READ_SECONDS))
        return response.readinto(view)

    @staticmethod
    def _too_long(spec: BlockSpec, limit: int) -> BadResponseError:
        return BadResponseError(
            f"block {spec.number}: body longer than {limit} bytes (the most a block can hold)",
            operation=_OPERATION,
        )

    def ordered(self, specs: Sequence[BlockSpec], window: int) -> Iterator[Tuple[BlockSpec, bytes]]:
        """Each block decoded, in order, at most ``window`` held or in flight at once."""
        if not specs:
            return
        window = min(window, len(specs))
        workers = min(self.ctx.config.max_workers, window)

        def start(spec: BlockSpec) -> Tuple[None, Future[_Held]]:
            return None, runner.submit(self.task, spec, self.lend())

        with Runner(workers, self.token, self.tracker, self.ctx) as runner:
            for spec, _, held in read_ahead(runner, specs, window, start):
                yield spec, self.take(held)


def _content_length(response: RangeResponse) -> Optional[int]:
    text = response.headers.get("Content-Length")
    if text is None:
        return None
    text = text.strip()
    if not text.isdigit():
        raise BadResponseError(f"unparseable Content-Length {text[:40]!r}", operation=_OPERATION)
    return int(text)


def _make_run(source: BlockSource, specs: Sequence[BlockSpec], ctx: TransferContext, held: int) -> _BlockRun:
    """A run whose blocks pass through ``held`` (blocks in flight or waiting) + ``_SPARES`` buffers,
    each big enough for the largest body and the byte that tells a long one, or for the longest
    plaintext, with room to decrypt in place.  Their pages are taken only as they are written, so
    a buffer sized for the worst body costs what the actual bodies fill."""
    total = sum(spec.length for spec in specs)
    tracker = ProgressTracker(total, ctx.progress, min_interval=ctx.config.progress_interval)
    largest = max((source.max_fetch_size(spec) for spec in specs), default=0)
    longest = max((spec.length for spec in specs), default=0)
    count = min(held, len(specs)) + _SPARES
    buffers = BufferPool(count, max(largest + 1, longest) + DECODE_ROOM, anonymous_pages)
    return _BlockRun(source=source, ctx=ctx, tracker=tracker, buffers=buffers)


def fetch_blocks(
    source: BlockSource,
    specs: Optional[Sequence[BlockSpec]] = None,
    *,
    max_workers: Optional[int] = None,
    config: Optional[TransferConfig] = None,
    progress: Optional[ProgressCallback] = None,
    cancel_token: Optional[CancelToken] = None,
    limiter: Optional[Pacer] = None,
    context: Optional[TransferContext] = None,
) -> List[BlockResult]:
    """Fetch and decode ``specs`` (None: every block) in parallel; results in the order given.

    At most ``max_workers`` (default ``config.max_workers``) blocks are in flight; all results are
    held until the call returns (use ``iter_blocks`` for bounded memory).
    """
    ctx = resolve_context(context, config, progress, cancel_token, limiter, operation=_OPERATION)
    chosen = list(source.blocks if specs is None else specs)
    asked = ctx.config.max_workers if max_workers is None else max_workers
    workers = positive_int("max_workers", asked, _OPERATION)
    run = _make_run(source, chosen, ctx, workers)
    if not chosen:
        run.tracker.finish()
        return []
    run.open()
    found: Dict[int, bytes] = {}
    try:
        workers = min(workers, len(chosen))

        def keep(result: Tuple[int, _Held]) -> None:
            position, held = result
            found[position] = run.take(held)

        def task(position: int, spec: BlockSpec) -> Tuple[int, _Held]:
            buf = run.lend()
            try:
                return position, run.task(spec, buf)
            except BaseException:
                run.buffers.release(buf)
                raise

        with Runner(workers, run.token, run.tracker, ctx) as runner:
            for position, spec in enumerate(chosen):
                while runner.in_flight >= workers:  # queue no more than can run
                    runner.collect(keep)
                runner.submit(task, position, spec)
            runner.drain(keep)
    finally:
        run.close()
    run.tracker.finish()
    return [BlockResult(spec, found[position]) for position, spec in enumerate(chosen)]


def iter_blocks(
    source: BlockSource,
    start: int = 0,
    end: Optional[int] = None,
    *,
    window: Optional[int] = None,
    config: Optional[TransferConfig] = None,
    progress: Optional[ProgressCallback] = None,
    cancel_token: Optional[CancelToken] = None,
    limiter: Optional[Pacer] = None,
    context: Optional[TransferContext] = None,
) -> Iterator[bytes]:
    """Yield the plaintext ``[start, end]`` (inclusive; None: to the end) in order, a block at a time.

    A generator: nothing is fetched until the first ``next()``; closing it early cancels the
    workers.  A start past the end yields nothing.  Memory: at most ``window`` (default
    ``config.stream_window``) decoded blocks.
    """
    ctx = resolve_context(context, config, progress, cancel_token, limiter, operation=_OPERATION)
    return _RangeRead.plan(source, start, end, window, ctx, _OPERATION).slices()


@attrs.frozen
class _RangeRead:
    """A validated plaintext range and the blocks that hold it."""

    run: _BlockRun
    specs: Sequence[BlockSpec]
    window: int
    start: int
    end: Optional[int]

    @classmethod
    def plan(
        cls,
        source: BlockSource,
        start: int,
        end: Optional[int],
        window: Optional[int],
        ctx: TransferContext,
        operation: str,
    ) -> _RangeRead:
        first, last = _check_bounds(start, end)
        win = positive_int("window", ctx.config.stream_window if window is None else window, operation)
        specs = blocks_in_range(source.blocks, first, last)
        return cls(_make_run(source, specs, ctx, win), specs, win, first, last)

    def slices(self) -> Iterator[bytes]:
        """The range's bytes in order (the first and last block cut to it)."""
        run, start, end = self.run, self.start, self.end
        run.open()
        try:
            for spec, data in run.ordered(self.specs, self.window):
                lo = max(start - spec.offset, 0)
                hi = spec.length if end is None else min(end + 1 - spec.offset, spec.length)
                yield data if lo == 0 and hi == spec.length else data[lo:hi]
            run.tracker.finish()
        finally:
            run.close()


def blocks_to_path(
    source: BlockSource,
    path: Union[str, os.PathLike[str]],
    start: int = 0,
    end: Optional[int] = None,
    *,
    window: Optional[int] = None,
    config: Optional[TransferConfig] = None,
    progress: Optional[ProgressCallback] = None,
    cancel_token: Optional[CancelToken] = None,
    limiter: Optional[Pacer] = None,
    context: Optional[TransferContext] = None,
    operation: str = _OPERATION,
    resource: str = "",
) -> BlocksWritten:
    """Write the plaintext ``[start, end]`` to ``path`` through a temporary file renamed into place.

    The destination is checked before anything is fetched (its errors name ``resource``); it
    receives the bytes only once every block decoded and the file was flushed (a failure or a
    cancel leaves it as it was).
    """
    ctx = resolve_context(context, config, progress, cancel_token, limiter, operation=operation)
    read = _RangeRead.plan(source, start, end, window, ctx, operation)
    size = 0
    with TemporaryFile(
        path, operation=operation, resource=resource, writeback_size=ctx.config.writeback_size
    ) as target:
        for data in read.slices():
            target.write(data)
            size += len(data)
        target.commit()
    counters = read.run.counters
    return BlocksWritten(target.path, size, len(read.specs), counters.bytes_fetched, counters.requests)
