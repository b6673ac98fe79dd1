"""Streaming download: bytes of a range emitted in order, with a bounded read-ahead window.

Why a window of whole pieces: workers fetch ahead in parallel, but never more than ``window``
pieces past the one being written, so memory is at most ``window x piece size`` however large the
range (CTERA's streamer schedules everything and buffers without limit; docs/peer-notes.md §4).  A
piece is handed out only once it is complete and -- when the server vouched for its range --
verified, so a corrupt piece is refetched before any of its bytes reach the caller.  A source
with a ``transform`` (decrypting blocks) gets each verified piece transformed before it is
emitted.  The check of the whole range against the source's expected digest (possible only when
the range is the whole output; hashed in emission order when the strategy does not combine)
necessarily happens after the bytes were emitted: it raises at the end.

Closing the iterator early (``break``, ``close()``, garbage collection) cancels the workers.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import IO, Callable, Iterator, List, Optional, Tuple

import attrs

from cassdk_like.core.byterange import ByteRange, ByteRangeLike
from cassdk_like.core.cancel import CancelToken
from cassdk_like.core.checksums import Hasher, IntegrityStrategy, describe
from cassdk_like.core.exceptions import HashDoesNotMatchError
from cassdk_like.core.integrity import validate_part_size
from cassdk_like.engine.config import TransferConfig, positive_int
from cassdk_like.engine.context import TransferContext, resolve_context
from cassdk_like.engine.fetch import FetchCounters, Piece, PieceFetcher, PieceResult, plan_pieces
from cassdk_like.engine.fileio import write_all
from cassdk_like.engine.interfaces import DownloadSource, source_integrity
from cassdk_like.engine.progress import ProgressCallback, ProgressTracker
from cassdk_like.engine.ratelimit import Pacer
from cassdk_like.engine.runner import Runner
from cassdk_like.engine.window import read_ahead

__all__ = ["StreamResult", "iter_range", "stream_range"]

_OPERATION = "download_by_range"


@attrs.frozen
class StreamResult:
    """``tree_hash``: the range's digest under the source's strategy ("" when it does not combine
    and there was nothing to check); ``verified``: it matched the source's (whole-output ranges
    only); ``size``: bytes emitted (after a transform)."""

    size: int
    tree_hash: str
    verified: bool
    bytes_fetched: int
    requests: int
    integrity: str = "sha256-tree"

    @property
    def digest(self) -> str:
        return self.tree_hash


class _BufferSink:
    """Receive one piece straight into its window buffer (readinto, no copy)."""

    def __init__(self, start: int, buf: bytearray) -> None:
        self._start = start
        self._view = memoryview(buf)

    def buffer(self, offset: int, size: int) -> memoryview:
        at = offset - self._start
        return self._view[at : at + size]

    def commit(self, view: memoryview, offset: int) -> None:
        return None  # the bytes are already in place


Transform = Callable[[ByteRange, memoryview], bytes]


@attrs.define
class _Streamer:
    source: DownloadSource
    byte_range: Optional[ByteRange]
    ctx: TransferContext
    window: int
    piece_size: int
    tracker: ProgressTracker
    local_path: Optional[str] = None
    counters: FetchCounters = attrs.Factory(FetchCounters)
    hashes: List[str] = attrs.Factory(list)
    token: CancelToken = attrs.Factory(CancelToken)
    strategy: IntegrityStrategy = attrs.field(init=False)
    expected: Optional[str] = attrs.field(init=False)
    whole: Optional[Hasher] = attrs.field(init=False, default=None)
    transform: Optional[Transform] = attrs.field(init=False, default=None)
    emitted: int = 0

    def __attrs_post_init__(self) -> None:
        self.strategy, self.expected = source_integrity(self.source)
        self.transform = getattr(self.source, "transform", None)
        rng = self.byte_range
        covers_all = rng is None or (rng.start == 0 and rng.end == self.source.size - 1)
        if not covers_all:
            self.expected = None
        if self.expected is not None and not self.strategy.combinable:
            self.whole = self.strategy.new_hasher()  # fed in emission order

    def open(self) -> None:
        """Link to the caller's token only once streaming starts (a generator may never start)."""
        if self.ctx.cancel_token is not None:
            self.token = self.ctx.cancel_token.child()

    def close(self) -> None:
        self.token.detach()

    def pieces(self) -> Iterator[memoryview]:
        """Each piece's bytes in order; a view is valid until the next iteration (buffers are reused)."""
        if self.byte_range is None:
            return
        pieces = plan_pieces(self.byte_range.start, self.byte_range.end, self.piece_size)
        window = min(self.window, len(pieces))
        fetcher = PieceFetcher(
            source=self.source,
            ctx=self.ctx,
            token=self.token,
            tracker=self.tracker,
            counters=self.counters,
            local_path=self.local_path,
            operation=_OPERATION,
        )
        free: List[bytearray] = []
        length = self.byte_range.length

        def start(piece: Piece) -> Tuple[bytearray, Future[PieceResult]]:
            buf = free.pop() if free else bytearray(min(self.piece_size, length))
            return buf, runner.submit(fetcher.fetch, piece, _BufferSink(piece.start, buf))

        workers = min(self.ctx.config.max_workers, window)
        with Runner(workers, self.token, self.tracker, self.ctx) as runner:
            for piece, buf, result in read_ahead(runner, pieces, window, start):
                self.hashes.append(result.digest)
                view = memoryview(buf)[: piece.length]
                if self.whole is not None:
                    self.whole.update(view)
                if self.transform is not None:
                    out = memoryview(self.transform(ByteRange(piece.start, piece.end), view))
                else:
                    out = view
                self.emitted += len(out)
                yield out
                free.append(buf)

    def finish(self) -> StreamResult:
        """Check the whole range when the source's expected digest covers it, and summarise."""
        if self.whole is not None:
            actual = self.whole.hexdigest()
        elif self.strategy.combinable:
            hashes = self.hashes
            actual = self.strategy.combine(hashes) if hashes else self.strategy.new_hasher().hexdigest()
        else:
            actual = ""
        verified = False
        if self.expected:
            if actual != self.expected:
                raise HashDoesNotMatchError(
                    f"streamed bytes do not match the source's {describe(self.strategy)} "
                    "(they were already emitted)",
                    expected=self.expected,
                    actual=actual,
                    operation=_OPERATION,
                    local_path=self.local_path,
                )
            verified = True
        self.tracker.finish()
        return StreamResult(
            size=self.emitted,
            tree_hash=actual,
            verified=verified,
            bytes_fetched=self.counters.bytes_fetched,
            requests=self.counters.requests,
            integrity=self.strategy.name,
        )


def _make_streamer(
    source: DownloadSource,
    byte_range: Optional[ByteRangeLike],
    *,
    window: Optional[int],
    piece_size: Optional[int],
    ctx: TransferContext,
    local_path: Optional[str] = None,
) -> _Streamer:
    cfg = ctx.config
    size = source.size
    if byte_range is None:
        rng: Optional[ByteRange] = ByteRange(0, size - 1) if size else None
    else:
        rng = ByteRange.parse(byte_range, operation=_OPERATION)
        rng.check_within(size, operation=_OPERATION)
    win = positive_int("window", cfg.stream_window if window is None else window, _OPERATION)
    psize = cfg.stream_piece() if piece_size is None else piece_size
    validate_part_size(psize, operation=_OPERATION)
    total = 0 if rng is None else rng.length
    return _Streamer(
        source=source,
        byte_range=rng,
        ctx=ctx,
        window=win,
        piece_size=psize,
        tracker=ProgressTracker(total, ctx.progress, min_interval=cfg.progress_interval),
        local_path=local_path,
    )


def stream_range(
    source: DownloadSource,
    byte_range: Optional[ByteRangeLike],
    file_obj: IO[bytes],
    *,
    window: Optional[int] = None,
    piece_size: Optional[int] = None,
    config: Optional[TransferConfig] = None,
    progress: Optional[ProgressCallback] = None,
    cancel_token: Optional[CancelToken] = None,
    limiter: Optional[Pacer] = None,
    context: Optional[TransferContext] = None,
) -> StreamResult:
    """Write ``byte_range`` of ``source`` (None: all of it) to ``file_obj`` in order.

    Memory: at most ``window`` (default ``config.stream_window``) pieces of ``piece_size``
    (default ``config.stream_piece()``: ``piece_size`` but at most 8 MiB).  ``context`` replaces
    ``config``/``progress``/``cancel_token``/``limiter``.
    """
    ctx = resolve_context(context, config, progress, cancel_token, limiter, operation=_OPERATION)
    name = getattr(file_obj, "name", None)
    streamer = _make_streamer(
        source,
        byte_range,
        window=window,
        piece_size=piece_size,
        ctx=ctx,
        local_path=name if isinstance(name, str) else None,
    )
    streamer.open()
    try:
        for view in streamer.pieces():
            write_all(file_obj, view, operation=_OPERATION)
        return streamer.finish()
    finally:
        streamer.close()


def iter_range(
    source: DownloadSource,
    byte_range: Optional[ByteRangeLike] = None,
    *,
    window: Optional[int] = None,
    piece_size: Optional[int] = None,
    chunk_size: Optional[int] = None,
    config: Optional[TransferConfig] = None,
    progress: Optional[ProgressCallback] = None,
    cancel_token: Optional[CancelToken] = None,
    limiter: Optional[Pacer] = None,
    context: Optional[TransferContext] = None,
) -> Iterator[bytes]:
    """Yield ``byte_range`` of ``source`` as ``bytes`` chunks (default ``config.io_chunk_size``), in order.

    A generator: nothing is fetched until the first ``next()``; closing it early cancels the
    workers.  A whole-output digest mismatch raises after the last chunk.
    """
    ctx = resolve_context(context, config, progress, cancel_token, limiter, operation=_OPERATION)
    streamer = _make_streamer(source, byte_range, window=window, piece_size=piece_size, ctx=ctx)
    step = chunk_size or ctx.config.io_chunk_size
    return _chunks(streamer, step)


def _chunks(streamer: _Streamer, step: int) -> Iterator[bytes]:
    streamer.open()
    try:
        for view in streamer.pieces():
            for at in range(0, len(view), step):
                yield bytes(view[at : at + step])
        streamer.finish()
    finally:
        streamer.close()
