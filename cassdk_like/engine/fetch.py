"""Fetch a run of consecutive pieces with one ranged GET: validate, hash while streaming, resume.

Shared by the file download (runs sized by ``engine.planner``) and the streaming download (one
piece per run); they differ only in the ``PieceSink`` (``pwrite`` into a partial file, or a slice
of an in-memory piece buffer).  What it guarantees:

* every response's status, Content-Range and Content-Length are checked against the request;
  a mismatch is a ``BadResponseError`` and is retried;
* a body that breaks resumes with a new ``Range`` from the first byte not yet received (the tree
  hashes simply continue: bytes arrive in order), never from the piece or run start;
* each piece's digest (the source's integrity strategy) is computed from the received chunks (no
  second read); when the answer for the whole run carried the strategy's range header, the run's
  digest (the pieces' combined, or the run hashed whole when the strategy does not combine) must
  match it (the header is optional: absent means unchecked, never an error); a mismatch refetches
  the run, at most ``hash_attempts`` times, then raises ``HashDoesNotMatchError`` naming the local
  path;
* a piece is reported finished only when it may be trusted: at once without a header, after the
  whole run matched with one; ``on_received`` (optional) hears each piece of a vouched-for run as
  soon as its own bytes are in, so a caller can journal it before the run ends.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, List, Optional, Protocol, Sequence

import attrs

from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.cancel import CancelToken
from cassdk_like.core.checksums import NO_INTEGRITY, Hasher, IntegrityStrategy, describe
from cassdk_like.core.exceptions import BadResponseError, HashDoesNotMatchError, InvalidByteRangeError
from cassdk_like.engine.context import TransferContext
from cassdk_like.engine.interfaces import DownloadSource, RangeResponse, source_integrity
from cassdk_like.engine.progress import ProgressTracker
from cassdk_like.engine.retry import RetryCounter

__all__ = [
    "FetchCounters",
    "OnPiece",
    "Piece",
    "PieceFetcher",
    "PieceResult",
    "PieceSink",
    "RequestTiming",
    "plan_pieces",
]


@attrs.frozen
class Piece:
    """Inclusive byte range ``[start, end]`` of the output; ``index`` orders pieces."""

    index: int
    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1


@attrs.frozen
class PieceResult:
    piece: Piece
    digest: str  # under the source's integrity strategy ("" when pieces are not hashed)
    verified: bool  # the server's per-range digest confirmed it


def plan_pieces(start: int, end: int, piece_size: int) -> List[Piece]:
    """Cut inclusive ``[start, end]`` into ``piece_size`` pieces laid out from ``start``.

    With power-of-two MiB pieces from the start of the output, combining the pieces' digests
    gives the output's digest for a combinable strategy (the tree hash, docs/vault-protocol.md §3.3).
    """
    return [
        Piece(i, offset, min(offset + piece_size, end + 1) - 1)
        for i, offset in enumerate(range(start, end + 1, piece_size))
    ]


class PieceSink(Protocol):
    """Where a piece's bytes go."""

    def buffer(self, offset: int, size: int) -> memoryview:
        """A writable view of at most ``size`` bytes to receive the bytes at output ``offset``."""
        ...

    def commit(self, view: memoryview, offset: int) -> None:
        """``view`` (from ``buffer``) now holds the bytes at ``offset``: store them."""
        ...


class FetchCounters:
    """Totals over all workers, for results and tests. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.bytes_fetched = 0
        self.resumed_mid_body = 0
        self.hash_mismatches = 0

    def bump(self, *, requests: int = 0, nbytes: int = 0, resumed: int = 0, mismatches: int = 0) -> None:
        with self._lock:
            self.requests += requests
            self.bytes_fetched += nbytes
            self.resumed_mid_body += resumed
            self.hash_mismatches += mismatches


@attrs.frozen
class RequestTiming:
    """One ranged GET that ran to its end: body bytes, seconds to the headers, seconds of body."""

    nbytes: int
    first_byte_s: float
    body_s: float


OnPiece = Callable[[PieceResult], None]
OnTiming = Callable[[RequestTiming], None]


#: a read returns at most this long after its first bytes, full or not (then cancel is checked)
_READ_SECONDS = 0.2


class _Cursor:
    """Where one fetch of one run of consecutive pieces stands."""

    def __init__(self, run: Sequence[Piece], strategy: IntegrityStrategy, hash_pieces: bool) -> None:
        self.run = run
        self.pos = run[0].start
        self.current = 0  # index in ``run`` of the piece being received
        self._strategy = strategy if hash_pieces else NO_INTEGRITY
        self.hasher: Hasher = self._strategy.new_hasher()
        self.hashes: List[str] = []
        self.expected: Optional[str] = None  # the server's digest of the whole run, if it sent one
        #: the whole run hashed in order, when the strategy cannot combine pieces but vouches per range
        self.run_hasher: Optional[Hasher] = None

    def vouched(self, expected: Optional[str]) -> None:
        self.expected = expected
        if expected is not None and not self._strategy.combinable and len(self.run) > 1:
            self.run_hasher = self._strategy.new_hasher()

    def update(self, data: memoryview) -> None:
        self.hasher.update(data)
        if self.run_hasher is not None:
            self.run_hasher.update(data)

    def close_piece(self) -> str:
        digest = self.hasher.hexdigest()
        self.hashes.append(digest)
        self.current += 1
        self.hasher = self._strategy.new_hasher()
        return digest

    def run_digest(self) -> str:
        if len(self.hashes) == 1:
            return self.hashes[0]
        if self.run_hasher is not None:
            return self.run_hasher.hexdigest()
        return self._strategy.combine(self.hashes)


@attrs.define
class PieceFetcher:
    """Fetches pieces of one source; one instance is shared by all workers (it keeps no per-piece state).

    ``on_timing`` (optional) hears about every request that ran to its end, from the worker's thread.
    Pieces are hashed when the strategy combines their digests or vouches for ranges (otherwise
    the whole is hashed in order by the caller).
    """

    source: DownloadSource
    ctx: TransferContext
    token: CancelToken
    tracker: ProgressTracker
    counters: FetchCounters
    local_path: Optional[str] = None
    operation: str = "download"
    on_timing: Optional[OnTiming] = None
    strategy: IntegrityStrategy = attrs.field(init=False)
    hash_pieces: bool = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.strategy, _expected = source_integrity(self.source)
        self.hash_pieces = self.strategy.combinable or self.strategy.range_header is not None

    def fetch(self, piece: Piece, sink: PieceSink) -> PieceResult:
        """Fetch ``piece`` into ``sink`` until its bytes are complete and, if possible, verified."""
        return self.fetch_run([piece], sink)[0]

    def fetch_run(
        self,
        run: Sequence[Piece],
        sink: PieceSink,
        on_piece: Optional[OnPiece] = None,
        *,
        on_received: Optional[OnPiece] = None,
    ) -> List[PieceResult]:
        """Fetch consecutive pieces with one ranged GET (more after a break); each piece hashed apart.

        ``on_piece`` hears each finished piece from this thread: as soon as its last byte is in when
        the server sent no digest for the run, else once the whole run matched it (a mismatch
        refetches the run, so no unverified piece of a vouched-for run is ever reported to it).
        ``on_received`` hears, in the vouched-for case only, each piece (``verified=False``) as soon as
        its last byte is in, before the run is checked.
        """
        expected, actual = "", ""
        length = run[-1].end + 1 - run[0].start
        attempts = self.ctx.config.hash_attempts
        for _round in range(attempts):
            cursor = self._fetch_bytes(run, sink, on_piece, on_received)
            if cursor.expected is None:
                return [PieceResult(p, h, verified=False) for p, h in zip(run, cursor.hashes)]
            expected = cursor.expected
            actual = cursor.run_digest()
            if actual == expected:
                results = [PieceResult(p, h, verified=True) for p, h in zip(run, cursor.hashes)]
                if on_piece is not None:
                    for result in results:
                        on_piece(result)
                return results
            self.counters.bump(mismatches=1)
            self.tracker.retract(length)
        raise HashDoesNotMatchError(
            f"bytes {run[0].start}-{run[-1].end} failed the server's {describe(self.strategy)} "
            f"{attempts} times",
            expected=expected,
            actual=actual,
            operation=self.operation,
            local_path=self.local_path,
        )

    def _fetch_bytes(
        self,
        run: Sequence[Piece],
        sink: PieceSink,
        on_piece: Optional[OnPiece],
        on_received: Optional[OnPiece] = None,
    ) -> _Cursor:
        cursor = _Cursor(run, self.strategy, self.hash_pieces)
        retries = RetryCounter(self.ctx.config.retry_policy, self.token)
        end = run[-1].end
        while cursor.pos <= end:
            self.token.raise_if_cancelled()
            before = cursor.pos
            try:
                self._stream_once(cursor, sink, on_piece, on_received)
            except Exception as exc:
                retries.failed(exc, progressed=cursor.pos - before)
                if cursor.pos > run[0].start:
                    self.counters.bump(resumed=1)
        return cursor

    def _stream_once(
        self,
        cursor: _Cursor,
        sink: PieceSink,
        on_piece: Optional[OnPiece],
        on_received: Optional[OnPiece] = None,
    ) -> None:
        requested = ByteRange(cursor.pos, cursor.run[-1].end)
        started = time.monotonic()
        response = self.source.open_range(requested)
        headers_at = time.monotonic()
        self.counters.bump(requests=1)
        abort = getattr(response, "abort", None)
        # a cancel wakes a worker blocked on a silent connection instead of waiting for the read timeout
        forget = self.token.on_cancel(abort) if abort is not None else None
        try:
            self._check_response(response, requested)
            name = self.strategy.range_header
            if cursor.pos == cursor.run[0].start and name:
                # only an answer for the whole run describes it; resumed ones cover less
                header = (response.headers.get(name) or "").strip().lower()
                cursor.vouched(header or None)
            self._pump(response, cursor, sink, on_piece, on_received)
        finally:
            if forget is not None:
                forget()
            response.close()
        if self.on_timing is not None:
            body_s = time.monotonic() - headers_at
            self.on_timing(RequestTiming(requested.length, headers_at - started, body_s))

    def _pump(
        self,
        response: RangeResponse,
        cursor: _Cursor,
        sink: PieceSink,
        on_piece: Optional[OnPiece],
        on_received: Optional[OnPiece] = None,
    ) -> None:
        chunk, tracker, limiter, token, run = (
            self.ctx.config.io_chunk_size,
            self.tracker,
            self.ctx.limiter,
            self.token,
            cursor.run,
        )
        read_for = getattr(response, "readinto_for", None)
        end = run[-1].end
        piece_end = run[cursor.current].end
        while cursor.pos <= end:
            # never cross a piece boundary in one read: each piece has its own hasher
            view = sink.buffer(cursor.pos, min(chunk, piece_end + 1 - cursor.pos))
            count = read_for(view, _READ_SECONDS) if read_for else response.readinto(view)
            if not count:
                raise BadResponseError(
                    f"body ended early: got bytes up to {cursor.pos - 1}, expected up to {end}",
                    operation=self.operation,
                )
            data = view[:count]
            cursor.update(data)
            sink.commit(data, cursor.pos)
            cursor.pos += count
            tracker.add(count)
            self.counters.bump(nbytes=count)
            if cursor.pos > piece_end:
                piece = run[cursor.current]
                digest = cursor.close_piece()
                if cursor.expected is None:
                    if on_piece is not None:
                        on_piece(PieceResult(piece, digest, verified=False))
                elif on_received is not None:
                    on_received(PieceResult(piece, digest, verified=False))
                if cursor.current < len(run):
                    piece_end = run[cursor.current].end
            if limiter is not None:
                limiter.consume(count, token)
            elif token.cancelled:
                token.raise_if_cancelled()

    def _check_response(self, response: RangeResponse, requested: ByteRange) -> None:
        status, headers = response.status, response.headers
        content_range = headers.get("Content-Range")
        whole = requested.start == 0 and requested.end == self.source.size - 1
        if status == 200 and content_range is None and whole:
            pass  # a plain 200 is a correct answer to a range covering everything
        elif status not in (200, 206) or content_range is None:
            raise self._bad(f"asked for bytes {requested}, got HTTP {status} without a Content-Range")
        else:
            try:
                got, total = ByteRange.from_content_range(content_range)
            except InvalidByteRangeError:
                raise self._bad(f"unparseable Content-Range {content_range!r}") from None
            if got != requested or total not in (None, self.source.size):
                raise self._bad(f"asked for bytes {requested}, server sent Content-Range {content_range!r}")
        length = headers.get("Content-Length")
        if length is not None and length.strip() != str(requested.length):
            raise self._bad(f"asked for {requested.length} bytes, Content-Length says {length}")

    def _bad(self, message: str) -> BadResponseError:
        return BadResponseError(message, operation=self.operation)
