"""A fixed pool of part buffers: the upload's hard memory bound.

Why: an upload must not grow with the file (docs/peer-notes.md §2).  Every part lives in one of
``count`` reusable buffers (``max_workers + 1``: one per worker plus the one being filled); the
coordinator cannot read the next part until a worker gives a buffer back, which is the only
back-pressure needed.  Buffers are allocated lazily (a small upload never allocates the rest)
and the pool records the most it ever handed out, so tests can assert the bound without
measuring RSS.
"""

from __future__ import annotations

import threading
from typing import List, Optional

__all__ = ["BufferPool"]


class BufferPool:
    """At most ``count`` bytearrays of ``size`` bytes, reused. Thread-safe."""

    def __init__(self, count: int, size: int) -> None:
        self.count = count
        self.size = size
        self._cond = threading.Condition()
        self._free: List[bytearray] = []
        self.allocated = 0
        self.in_use = 0
        self.max_in_use = 0

    def acquire(self, timeout: Optional[float] = None) -> Optional[bytearray]:
        """A buffer, or None if none came free within ``timeout`` (so callers can poll cancel/Ctrl-C)."""
        with self._cond:
            if not self._cond.wait_for(self._available, timeout):
                return None
            if self._free:
                buf = self._free.pop()
            else:
                buf = bytearray(self.size)
                self.allocated += 1
            self.in_use += 1
            self.max_in_use = max(self.max_in_use, self.in_use)
            return buf

    def _available(self) -> bool:
        return bool(self._free) or self.allocated < self.count

    def release(self, buf: bytearray) -> None:
        with self._cond:
            self.in_use -= 1
            self._free.append(buf)
            self._cond.notify()
