"""A bandwidth limit shared by every worker: a token bucket in its GCRA form.

Why this shape: each consumer reserves its bytes under a lock (O(1), no queue) and then sleeps
*outside* the lock exactly until its reservation is due.  Reservations are spaced ``n / rate``
apart on one shared timeline, so competing workers queue one after another instead of all
waking at once, and the long-run rate is exact whatever the number of workers.  Workers pay
after receiving a chunk (a download learns its size only then): the sleep after a chunk lasts
until that chunk's share of time on the shared timeline has passed.  Sleeps wait on the
transfer's cancel token, so ``cancel()`` wakes them immediately.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Callable, Iterable, Optional, Protocol

from cassdk_like.core.cancel import CancelToken
from cassdk_like.core.exceptions import InvalidArgumentError

__all__ = ["BandwidthLimiter", "JointLimiter", "Pacer", "limiter_for"]


class Pacer(Protocol):
    """What a transfer needs of a limit: pay for bytes, sleeping as the limit requires."""

    def consume(self, nbytes: int, token: Optional[CancelToken] = None) -> None:
        """Account for ``nbytes``; ``TransferCancelledError`` if ``token`` is cancelled meanwhile."""


class BandwidthLimiter:
    """Limit the combined rate of several threads to ``rate`` bytes/s. Thread-safe.

    ``burst`` bytes may pass without waiting after an idle period (0: strict pacing).
    One limiter can be shared by several transfers to cap them together.
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: int = 0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Optional[Callable[[float], None]] = None,
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep or time.sleep
        self._tat = clock()  # theoretical arrival time of the next byte
        self._rate = 1.0
        self._burst = 0
        self.set_rate(rate, burst=burst)

    @property
    def rate(self) -> float:
        return self._rate

    def set_rate(self, rate: float, *, burst: Optional[int] = None) -> None:
        """Change the limit; takes effect for the next reservation."""
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate < math.inf:
            raise InvalidArgumentError(f"bandwidth limit must be a positive number of bytes/s, got {rate!r}")
        if burst is not None and (isinstance(burst, bool) or not isinstance(burst, int) or burst < 0):
            raise InvalidArgumentError(f"burst must be a non-negative integer, got {burst!r}")
        with self._lock:
            self._rate = float(rate)
            if burst is not None:
                self._burst = burst

    def reserve(self, nbytes: int) -> float:
        """Book ``nbytes`` on the shared timeline; returns the seconds to wait before going on."""
        with self._lock:
            now = self._clock()
            tolerance = self._burst / self._rate
            self._tat = max(self._tat, now) + nbytes / self._rate
            return self._tat - tolerance - now

    def consume(self, nbytes: int, token: Optional[CancelToken] = None) -> None:
        """Account for ``nbytes`` and sleep as needed; ``TransferCancelledError`` if cancelled meanwhile."""
        if nbytes > 0:
            _wait(self.reserve(nbytes), token, self._sleep)

    def __repr__(self) -> str:
        return f"<BandwidthLimiter {self._rate:.0f} B/s burst={self._burst}>"


class JointLimiter:
    """Several limits at once, e.g. a transfer's own cap inside its destination's.

    Why a callable: the limits may be replaced or removed while a transfer runs (a rate set to
    none, then to a value again), and every payment must see the ones in force.  Each payment is
    booked on every limit's timeline and waits for the latest of them, so each limit holds.
    """

    def __init__(
        self,
        limiters: Callable[[], Iterable[Optional[BandwidthLimiter]]],
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._limiters = limiters
        self._sleep = sleep

    def consume(self, nbytes: int, token: Optional[CancelToken] = None) -> None:
        """Book ``nbytes`` on every limit in force and sleep until the last one allows them."""
        if nbytes > 0:
            delays = [limiter.reserve(nbytes) for limiter in self._limiters() if limiter is not None]
            _wait(max(delays, default=0.0), token, self._sleep)

    def __repr__(self) -> str:
        return f"<JointLimiter {list(filter(None, self._limiters()))!r}>"


def _wait(delay: float, token: Optional[CancelToken], sleep: Callable[[float], None]) -> None:
    if token is not None:
        token.sleep(delay)
    elif delay > 0:
        sleep(delay)


def limiter_for(rate: Optional[float], shared: Optional[Pacer] = None) -> Optional[Pacer]:
    """The caller's shared limiter, else a new one for ``rate`` bytes/s, else None (unlimited)."""
    if shared is not None:
        return shared
    return BandwidthLimiter(rate) if rate else None
