"""Progress events with totals that never go backwards.

Workers only bump a counter (under a tiny lock).  Events are produced by the coordinating thread
(the caller's own thread, which wakes every ``poll_interval``), so callbacks are never called
under a lock, never from two threads at once, and always in order.  When a piece has to be
fetched again (its hash did not match) the counter is lowered, but the reported ``done`` holds at
its previous value until real progress passes it: a progress bar never rewinds (s3transfer sends
negative deltas instead).
"""

from __future__ import annotations

import collections
import threading
import time
from typing import Callable, Deque, Optional, Tuple

import attrs

__all__ = ["ProgressCallback", "ProgressEvent", "ProgressTracker"]


@attrs.frozen
class ProgressEvent:
    """A snapshot: ``done`` of ``total`` bytes, recent ``rate`` (bytes/s) and ``elapsed`` seconds."""

    done: int
    total: int
    rate: float
    elapsed: float
    finished: bool = False

    @property
    def fraction(self) -> float:
        """Share done, from 0.0 to 1.0 (1.0 when the total is unknown or zero)."""
        return 1.0 if self.total <= 0 else min(1.0, self.done / self.total)


ProgressCallback = Callable[[ProgressEvent], None]


class ProgressTracker:
    """Counts bytes from any thread; ``emit()`` is for the coordinating thread only."""

    def __init__(
        self,
        total: int,
        callback: Optional[ProgressCallback] = None,
        *,
        initial: int = 0,
        min_interval: float = 0.1,
        window: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self._callback = callback
        self._clock = clock
        self._lock = threading.Lock()
        self._count = initial
        self._reported = -1
        self._min_interval = min_interval
        self._window = window
        self._start = clock()
        self._last_emit = -float("inf")
        self._samples: Deque[Tuple[float, int]] = collections.deque([(self._start, initial)])

    def add(self, nbytes: int) -> None:
        """Record new bytes (thread-safe, cheap)."""
        with self._lock:
            self._count += nbytes

    def retract(self, nbytes: int) -> None:
        """Bytes that will be transferred again (a piece restarted); reports hold still meanwhile."""
        with self._lock:
            self._count -= nbytes

    @property
    def done(self) -> int:
        """The monotonic figure that events report."""
        with self._lock:
            count = self._count
        return max(self._reported, min(count, self.total))

    def emit(self, *, force: bool = False, finished: bool = False) -> None:
        """Call the callback if something moved and ``min_interval`` passed (or ``force``)."""
        if self._callback is None:
            return
        now = self._clock()
        if not force and now - self._last_emit < self._min_interval:
            return
        done = self.done
        if done == self._reported and not force:
            return
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[1][0] >= self._window:
            self._samples.popleft()
        then, before = self._samples[0]
        rate = (done - before) / (now - then) if now > then else 0.0
        self._reported = done
        self._last_emit = now
        self._callback(ProgressEvent(done, self.total, rate, now - self._start, finished))

    def finish(self) -> None:
        """Last event of a successful transfer: everything done."""
        with self._lock:
            self._count = max(self._count, self.total)
        self.emit(force=True, finished=True)
