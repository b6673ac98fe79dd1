"""Streaming download: bytes of a range emitted in order, with a bounded read-ahead window.

Why a window of whole pieces: workers fetch ahead in parallel, but never more than ``window``
pieces past the one being written, so memory is at most ``window x piece size`` however large the
range (CTERA's streamer schedules everything and buffers without limit; docs/peer-notes.md §4).  A
piece is handed out only once it is complete and -- when the server sent its tree hash --
verified, so a corrupt piece is refetched before any of its bytes reach the caller.  The check
of the whole range against the source's tree hash (possible only when the range is the whole
output) necessarily happens after the bytes were emitted: it raises at the end.

Closing the iterator early (``break``, ``close()``, garbage collection) cancels the workers.
"""

from __future__ import annotations

import collections
from concurrent.futures import Future
from typing import IO, Any, Deque, Iterator, List, Optional, Tuple

import attrs

from cassdk_like.core.byterange import ByteRange, ByteRangeLike
from cassdk_like.core.cancel import CancelToken
from cassdk_like.core.exceptions import HashDoesNotMatchError, InvalidArgumentError
from cassdk_like.core.integrity import TreeHasher, combine_tree_hashes, validate_part_size
from cassdk_like.engine.config import TransferConfig
from cassdk_like.engine.fetch import FetchCounters, Piece, PieceFetcher, PieceResult, plan_pieces
from cassdk_like.engine.interfaces import DownloadSource
from cassdk_like.engine.progress import ProgressCallback, ProgressTracker
from cassdk_like.engine.ratelimit import BandwidthLimiter, limiter_for
from cassdk_like.engine.runner import Runner

__all__ = ["StreamResult", "iter_range", "stream_range"]

_OPERATION = "download_by_range"


@attrs.frozen
class StreamResult:
    """``tree_hash`` is the range's; ``verified``: it matched the source's (whole-output ranges only)."""

    size: int
    tree_hash: str
    verified: bool
    bytes_fetched: int
    requests: int


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


@attrs.define
class _Streamer:
    source: DownloadSource
    byte_range: Optional[ByteRange]
    config: TransferConfig
    window: int
    piece_size: int
    tracker: ProgressTracker
    user_token: Optional[CancelToken]
    limiter: Optional[BandwidthLimiter]
    local_path: Optional[str] = None
    counters: FetchCounters = attrs.Factory(FetchCounters)
    hashes: List[str] = attrs.Factory(list)
    token: CancelToken = attrs.Factory(CancelToken)

    def open(self) -> None:
        """Link to the caller's token only once streaming starts (a generator may never start)."""
        if self.user_token is not None:
            self.token = self.user_token.child()

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
            policy=self.config.retry_policy,
            token=self.token,
            tracker=self.tracker,
            counters=self.counters,
            chunk_size=self.config.io_chunk_size,
            hash_attempts=self.config.hash_attempts,
            limiter=self.limiter,
            local_path=self.local_path,
            operation=_OPERATION,
        )
        free: List[bytearray] = []
        ahead: Deque[Tuple[Piece, bytearray, Future[PieceResult]]] = collections.deque()
        todo = collections.deque(pieces)
        workers = min(self.config.max_workers, window)
        with Runner(workers, self.token, self.tracker, poll_interval=self.config.poll_interval) as runner:
            while ahead or todo:
                while todo and len(ahead) < window:
                    piece = todo.popleft()
                    buf = free.pop() if free else bytearray(min(self.piece_size, self.byte_range.length))
                    future = runner.submit(fetcher.fetch, piece, _BufferSink(piece.start, buf))
                    ahead.append((piece, buf, future))
                piece, buf, future = ahead.popleft()
                self.hashes.append(runner.result_of(future).tree_hash)
                yield memoryview(buf)[: piece.length]
                free.append(buf)

    def finish(self) -> StreamResult:
        """Check the whole range when the source's tree hash covers it, and summarise."""
        actual = combine_tree_hashes(self.hashes) if self.hashes else TreeHasher().hexdigest()
        expected = (self.source.expected_tree_hash or "").strip().lower()
        rng = self.byte_range
        whole = rng is None or (rng.start == 0 and rng.end == self.source.size - 1)
        verified = False
        if expected and whole:
            if actual != expected:
                raise HashDoesNotMatchError(
                    "streamed bytes do not match the source's tree hash (they were already emitted)",
                    expected=expected,
                    actual=actual,
                    operation=_OPERATION,
                    local_path=self.local_path,
                )
            verified = True
        self.tracker.finish()
        return StreamResult(
            size=0 if self.byte_range is None else self.byte_range.length,
            tree_hash=actual,
            verified=verified,
            bytes_fetched=self.counters.bytes_fetched,
            requests=self.counters.requests,
        )


def _make_streamer(
    source: DownloadSource,
    byte_range: Optional[ByteRangeLike],
    *,
    window: Optional[int],
    piece_size: Optional[int],
    config: Optional[TransferConfig],
    progress: Optional[ProgressCallback],
    cancel_token: Optional[CancelToken],
    limiter: Optional[BandwidthLimiter],
    local_path: Optional[str] = None,
) -> _Streamer:
    cfg = config or TransferConfig()
    size = source.size
    if byte_range is None:
        rng: Optional[ByteRange] = ByteRange(0, size - 1) if size else None
    else:
        rng = ByteRange.parse(byte_range, operation=_OPERATION)
        rng.check_within(size, operation=_OPERATION)
    win = cfg.stream_window if window is None else window
    if isinstance(win, bool) or not isinstance(win, int) or win < 1:
        raise InvalidArgumentError(f"window must be an integer >= 1, got {win!r}", operation=_OPERATION)
    psize = cfg.stream_piece() if piece_size is None else piece_size
    validate_part_size(psize, operation=_OPERATION)
    total = 0 if rng is None else rng.length
    return _Streamer(
        source=source,
        byte_range=rng,
        config=cfg,
        window=win,
        piece_size=psize,
        tracker=ProgressTracker(total, progress, min_interval=cfg.progress_interval),
        user_token=cancel_token,
        limiter=limiter_for(cfg.bandwidth_limit, limiter),
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
    limiter: Optional[BandwidthLimiter] = None,
) -> StreamResult:
    """Write ``byte_range`` of ``source`` (None: all of it) to ``file_obj`` in order.

    Memory: at most ``window`` (default ``config.stream_window``) pieces of ``piece_size``
    (default ``config.stream_piece()``: ``piece_size`` but at most 8 MiB).
    """
    name = getattr(file_obj, "name", None)
    streamer = _make_streamer(
        source,
        byte_range,
        window=window,
        piece_size=piece_size,
        config=config,
        progress=progress,
        cancel_token=cancel_token,
        limiter=limiter,
        local_path=name if isinstance(name, str) else None,
    )
    streamer.open()
    try:
        for view in streamer.pieces():
            _write_all(file_obj, view)
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
    limiter: Optional[BandwidthLimiter] = None,
) -> Iterator[bytes]:
    """Yield ``byte_range`` of ``source`` as ``bytes`` chunks (default ``config.io_chunk_size``), in order.

    A generator: nothing is fetched until the first ``next()``; closing it early cancels the
    workers.  A whole-output tree hash mismatch raises after the last chunk.
    """
    streamer = _make_streamer(
        source,
        byte_range,
        window=window,
        piece_size=piece_size,
        config=config,
        progress=progress,
        cancel_token=cancel_token,
        limiter=limiter,
    )
    step = chunk_size or streamer.config.io_chunk_size
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


def _write_all(file_obj: IO[Any], view: memoryview) -> None:
    """``write`` until everything is taken (raw files may take less than asked)."""
    while view:
        written = file_obj.write(view)
        if written is None:
            raise InvalidArgumentError(
                "the file object would block: non-blocking streams are not supported", operation=_OPERATION
            )
        view = view[written:]
