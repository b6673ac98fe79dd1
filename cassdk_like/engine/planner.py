"""Which pieces the next ranged GET covers: runs of consecutive pieces sized from measurement.

Why requests and pieces differ: a piece is the unit of verification and of the resume journal
(journaled as soon as its bytes are in, even in the middle of a run), so small pieces keep a crash
cheap whatever the request size; a request should instead last long enough that its fixed costs
(a round trip before the first byte, the server opening and reading ahead a new range) stay small,
yet be short enough that the last requests of a transfer finish together.  No fixed size serves
every link: on a server that limits each request's rate, short requests win (each new one
starts with a burst); uncapped, a few long ones do.  So every worker asks the planner for its next
run, and the planner sizes it as

    span = rate x max(request_seconds, 10 x time to first byte)

where ``rate`` is the body rate a request measured and ``time to first byte`` its latency (so that
waiting for headers stays under ~10% of a request), rounded down to a power of two number of
pieces, capped at ``max_span`` bytes and at a fair share of what is left (``remaining /
workers``), and started on a multiple of itself so that a run is a node of the tree hash whenever
the pieces are (the server may then vouch for it with its per-range tree hash).  The first
request of a transfer is one piece: there is no measurement yet.
"""

from __future__ import annotations

import collections
import threading
from typing import Deque, List, Optional, Sequence

from cassdk_like.engine.fetch import Piece, RequestTiming

__all__ = ["RunPlanner"]

#: weight of the newest request in the running estimates
_SMOOTHING = 0.5
#: time to first byte may cost at most 1 / this of a request
_LATENCY_FACTOR = 10.0


class RunPlanner:
    """Hands out runs of consecutive pending pieces to worker threads. Thread-safe."""

    def __init__(
        self,
        pieces: Sequence[Piece],
        *,
        workers: int,
        max_span: int,
        request_seconds: float,
    ) -> None:
        self._pending: Deque[Piece] = collections.deque(pieces)
        self._remaining = sum(p.length for p in pieces)
        self._workers = max(1, workers)
        self._max_span = max_span
        self._seconds = request_seconds
        self._lock = threading.Lock()
        self._rate: Optional[float] = None  # body bytes/s of one connection
        self._latency = 0.0
        self.runs = 0

    def take(self) -> List[Piece]:
        """The next run (consecutive pieces, one request); ``[]`` when nothing is left."""
        with self._lock:
            if not self._pending:
                return []
            first = self._pending.popleft()
            run = [first]
            count = self._pieces_wanted(first)
            while len(run) < count and self._pending and self._pending[0].start == run[-1].end + 1:
                run.append(self._pending.popleft())
            self._remaining -= sum(p.length for p in run)
            self.runs += 1
            return run

    def observe(self, timing: RequestTiming) -> None:
        """Fold one finished request into the estimates (only requests that moved a whole piece)."""
        if timing.nbytes <= 0 or timing.body_s <= 0:
            return
        rate = timing.nbytes / timing.body_s
        with self._lock:
            if self._rate is None:
                self._rate, self._latency = rate, timing.first_byte_s
            else:
                self._rate += _SMOOTHING * (rate - self._rate)
                self._latency += _SMOOTHING * (timing.first_byte_s - self._latency)

    def _pieces_wanted(self, first: Piece) -> int:
        unit = first.length
        if self._rate is None or unit <= 0:
            return 1
        seconds = max(self._seconds, _LATENCY_FACTOR * self._latency)
        span = min(self._rate * seconds, self._max_span, (self._remaining + unit) / self._workers)
        count = 1
        while count * 2 * unit <= span:
            count *= 2
        # start on a multiple of the run's size: then the run is a node of the output's tree
        while count > 1 and (first.start // unit) % count:
            count //= 2
        return count
