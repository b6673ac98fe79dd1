"""One daemon thread that runs short callbacks at given times: request deadlines, stall checks.

A thread per request attempt (``threading.Timer``) would mean thousands of short-lived threads in
a parallel transfer; one scheduler thread per process costs a heap push per attempt instead.
Callbacks run on the watchdog thread and must be quick (they shut a socket down, set a flag).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import threading
import time
from typing import Callable, List, Optional, Tuple

__all__ = ["Watchdog", "WatchdogEntry", "watchdog"]

logger = logging.getLogger("cassdk_like.http")


class WatchdogEntry:
    """A scheduled callback; ``cancel()`` is cheap and idempotent."""

    __slots__ = ("_owner", "callback", "cancelled", "when")

    def __init__(self, owner: Watchdog, when: float, callback: Callable[[], None]) -> None:
        self._owner = owner
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self._owner._cancel(self)


class Watchdog:
    """Runs callbacks at ``time.monotonic()`` instants; thread-safe; its thread starts on first use."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: List[Tuple[float, int, WatchdogEntry]] = []
        self._seq = itertools.count()
        self._cancelled = 0
        self._thread: Optional[threading.Thread] = None
        self._pid = os.getpid()

    def call_later(self, delay: float, callback: Callable[[], None]) -> WatchdogEntry:
        """Run ``callback`` on the watchdog thread ``delay`` seconds from now (unless cancelled)."""
        entry = WatchdogEntry(self, time.monotonic() + max(delay, 0.0), callback)
        with self._cond:
            self._ensure_thread()
            heapq.heappush(self._heap, (entry.when, next(self._seq), entry))
            if self._heap[0][2] is entry:
                self._cond.notify()
        return entry

    def _cancel(self, entry: WatchdogEntry) -> None:
        with self._cond:
            if entry.cancelled:
                return
            entry.cancelled = True
            self._cancelled += 1
            # finished attempts leave their (long) deadlines behind: drop them in bulk
            if self._cancelled > 64 and self._cancelled * 2 > len(self._heap):
                self._heap = [item for item in self._heap if not item[2].cancelled]
                heapq.heapify(self._heap)
                self._cancelled = 0

    def _ensure_thread(self) -> None:
        if self._pid != os.getpid():  # a forked child inherits the heap but not the thread
            self._pid, self._thread, self._heap, self._cancelled = os.getpid(), None, [], 0
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="cassdk_like-watchdog", daemon=True)
            self._thread.start()

    def _next_due(self) -> WatchdogEntry:
        with self._cond:
            while True:
                if not self._heap:
                    self._cond.wait()
                    continue
                when, _, entry = self._heap[0]
                if entry.cancelled:
                    heapq.heappop(self._heap)
                    self._cancelled = max(self._cancelled - 1, 0)
                    continue
                delay = when - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                heapq.heappop(self._heap)
                entry.cancelled = True  # ran: a later cancel() is a no-op
                return entry

    def _run(self) -> None:
        while True:
            entry = self._next_due()
            try:
                entry.callback()
            except Exception:  # a failing callback must not stop every other deadline
                logger.exception("watchdog callback failed")


#: the process-wide watchdog the Transport and its body streams use
watchdog = Watchdog()
