"""Fetch one piece of a download: ranged GET, validate, hash while streaming, resume mid-body.

Shared by the file download and the streaming download; they differ only in the ``PieceSink``
(``pwrite`` into a partial file, or a slice of an in-memory piece buffer).  What it guarantees:

* every response's status, Content-Range and Content-Length are checked against the request;
  a mismatch is a ``BadResponseError`` and is retried;
* a body that breaks resumes with a new ``Range`` from the first byte not yet received (the tree
  hash simply continues: bytes arrive in order), never from the piece start;
* the piece's tree hash is computed from the received chunks (no second read) and compared with
  the server's per-range tree-hash header when one came with the whole-piece request (the header
  is optional: absent means unchecked, never an error); a mismatch refetches the piece, at most
  ``hash_attempts`` times, then raises ``HashDoesNotMatchError`` naming the local path.
"""

from __future__ import annotations

import threading
from typing import List, Optional, Protocol

import attrs

from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.exceptions import BadResponseError, HashDoesNotMatchError, InvalidByteRangeError
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.core.integrity import TreeHasher
from cassdk_like.engine.cancel import CancelToken
from cassdk_like.engine.interfaces import DownloadSource, RangeResponse
from cassdk_like.engine.progress import ProgressTracker
from cassdk_like.engine.ratelimit import BandwidthLimiter
from cassdk_like.engine.retry import RetryCounter

__all__ = ["FetchCounters", "Piece", "PieceFetcher", "PieceResult", "PieceSink", "plan_pieces"]


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
    tree_hash: str
    verified: bool  # the server's per-piece tree hash confirmed it


def plan_pieces(start: int, end: int, piece_size: int) -> List[Piece]:
    """Cut inclusive ``[start, end]`` into ``piece_size`` pieces laid out from ``start``.

    With power-of-two MiB pieces from the start of the output, combining the pieces' tree hashes
    gives the output's tree hash (cas-protocol §3.3).
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


class _Cursor:
    """Where one fetch of one piece stands."""

    def __init__(self, piece: Piece) -> None:
        self.pos = piece.start
        self.hasher = TreeHasher()
        self.expected: Optional[str] = None


@attrs.define
class PieceFetcher:
    """Fetches pieces of one source; one instance is shared by all workers (it keeps no per-piece state)."""

    source: DownloadSource
    policy: RetryPolicy
    token: CancelToken
    tracker: ProgressTracker
    counters: FetchCounters
    chunk_size: int
    hash_attempts: int = 3
    limiter: Optional[BandwidthLimiter] = None
    local_path: Optional[str] = None
    operation: str = "download"

    def fetch(self, piece: Piece, sink: PieceSink) -> PieceResult:
        """Fetch ``piece`` into ``sink`` until its bytes are complete and, if possible, verified."""
        expected, actual = "", ""
        for _round in range(self.hash_attempts):
            cursor = self._fetch_bytes(piece, sink)
            actual = cursor.hasher.hexdigest()
            expected = (cursor.expected or "").strip().lower()
            if not expected or actual == expected:
                return PieceResult(piece, actual, verified=bool(expected))
            self.counters.bump(mismatches=1)
            self.tracker.retract(piece.length)
        raise HashDoesNotMatchError(
            f"bytes {piece.start}-{piece.end} failed the server's tree hash {self.hash_attempts} times",
            expected=expected,
            actual=actual,
            operation=self.operation,
            local_path=self.local_path,
        )

    def _fetch_bytes(self, piece: Piece, sink: PieceSink) -> _Cursor:
        cursor = _Cursor(piece)
        retries = RetryCounter(self.policy, self.token)
        while cursor.pos <= piece.end:
            self.token.raise_if_cancelled()
            before = cursor.pos
            try:
                self._stream_once(piece, cursor, sink)
            except Exception as exc:
                retries.failed(exc, progressed=cursor.pos - before)
                if cursor.pos > piece.start:
                    self.counters.bump(resumed=1)
        return cursor

    def _stream_once(self, piece: Piece, cursor: _Cursor, sink: PieceSink) -> None:
        requested = ByteRange(cursor.pos, piece.end)
        response = self.source.open_range(requested)
        self.counters.bump(requests=1)
        try:
            self._check_response(response, requested)
            if cursor.pos == piece.start:
                # only a whole-piece answer's header describes the piece; resumed ones cover less
                cursor.expected = response.headers.get(self.source.tree_hash_header)
            self._pump(response, cursor, piece.end, sink)
        finally:
            response.close()

    def _pump(self, response: RangeResponse, cursor: _Cursor, end: int, sink: PieceSink) -> None:
        chunk, hasher, tracker, limiter, token = (
            self.chunk_size,
            cursor.hasher,
            self.tracker,
            self.limiter,
            self.token,
        )
        while cursor.pos <= end:
            view = sink.buffer(cursor.pos, min(chunk, end + 1 - cursor.pos))
            count = response.readinto(view)
            if not count:
                raise BadResponseError(
                    f"body ended early: got bytes up to {cursor.pos - 1}, expected up to {end}",
                    operation=self.operation,
                )
            data = view[:count]
            hasher.update(data)
            sink.commit(data, cursor.pos)
            cursor.pos += count
            tracker.add(count)
            self.counters.bump(nbytes=count)
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
