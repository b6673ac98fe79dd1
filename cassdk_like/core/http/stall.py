"""The stall watch of streamed bodies: a minimum rate over a window of reading time.

A read timeout bounds each socket read, so a server that drips a byte a second never trips it; this
watch bounds the rate instead, and a watchdog thread wakes a read that is still blocked when its
window is up.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Optional

from cassdk_like.core.http.watchdog import WatchdogEntry, watchdog

__all__ = ["StallWatch"]


class StallWatch:
    """Fails a body that delivers fewer than ``min_rate`` bytes/s over ``window`` seconds of reading.

    A read timeout applies to each socket read, so a server dripping one byte a second never trips
    it. Only time spent inside reads counts (a caller pausing between reads is not a stall). Reads
    are capped at a quarter of what the observed rate delivers in a window, so the bytes of a
    flowing body become visible within the window; a read still blocked when the window is up
    is ended by the watchdog thread, which interrupts the connection.
    """

    def __init__(self, min_rate: float, window: float, interrupt: Callable[[], None]) -> None:
        self.min_rate = min_rate
        self.window = window
        self._interrupt = interrupt
        self._need = min_rate * window
        self._lock = threading.Lock()
        self._busy = 0.0  # seconds inside reads in this window
        self._bytes = 0  # bytes delivered in this window
        self._total_busy = 0.0
        self._total_bytes = 0
        self._started: Optional[float] = None
        self._check: Optional[WatchdogEntry] = None
        self.stalled: Optional[str] = None

    def cap(self, wanted: int) -> int:
        """How much one read may ask for, so that it returns within about a quarter window."""
        rate = self._total_bytes / self._total_busy if self._total_busy > 0 else 0.0
        return max(1, min(wanted, int(max(self._need, rate * self.window) / 4)))

    def begin(self) -> None:
        with self._lock:
            now = time.monotonic()
            self._started = now
            if self._check is None:
                self._check = watchdog.call_later(self.window - self._busy, self._on_check)

    def end(self, count: int) -> None:
        """Account one read; raises (via ``stalled``) when a full window delivered too little."""
        with self._lock:
            now = time.monotonic()
            spent = now - self._started if self._started is not None else 0.0
            self._started = None
            self._busy += spent
            self._bytes += count
            self._total_busy += spent
            self._total_bytes += count
            if self._busy >= self.window:
                self._close_window()

    def _close_window(self) -> None:
        if self._bytes < self._need and self.stalled is None:
            self.stalled = f"body stalled: {self._bytes} bytes in {self._busy:.3g} s"
        self._busy, self._bytes = 0.0, 0

    def _on_check(self) -> None:
        interrupt = False
        with self._lock:
            self._check = None
            if self._started is None or self.stalled is not None:
                return  # not reading now: the next read schedules the next check
            now = time.monotonic()
            busy = self._busy + (now - self._started)
            if busy < self.window:
                self._check = watchdog.call_later(self.window - busy, self._on_check)
                return
            self._busy = busy
            self._close_window()
            interrupt = self.stalled is not None
            self._started = now  # the read in flight opens the next window
            if not interrupt:
                self._check = watchdog.call_later(self.window, self._on_check)
        if interrupt:
            self._interrupt()

    def stop(self) -> None:
        with self._lock:
            if self._check is not None:
                self._check.cancel()
                self._check = None
