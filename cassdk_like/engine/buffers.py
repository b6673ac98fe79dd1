"""A fixed pool of part buffers: the upload's hard memory bound.

Why: an upload must not grow with the file (docs/peer-notes.md §2).  Every part lives in one of
``count`` reusable buffers (``max_workers + 1``: one per worker plus the one being filled); the
coordinator cannot read the next part until a worker gives a buffer back, which is the only
back-pressure needed.  Buffers are allocated lazily (a small upload never allocates the rest)
and the pool records the most it ever handed out, so tests can assert the bound without
measuring RSS.  ``anonymous_pages`` makes buffers whose untouched pages cost nothing, for pools
sized for a worst case that is rarely filled.
"""

from __future__ import annotations

import mmap
import threading
from typing import Callable, Generic, List, Optional, TypeVar, overload

__all__ = ["BufferPool", "anonymous_pages"]

B = TypeVar("B", bytearray, mmap.mmap)


def anonymous_pages(size: int) -> mmap.mmap:
    """A writable buffer of ``size`` zero bytes whose pages take memory only once written (and go
    back to the system when it is freed, not to an allocator's arena)."""
    return mmap.mmap(-1, size)


class BufferPool(Generic[B]):
    """At most ``count`` buffers of ``size`` bytes (bytearrays unless ``make`` says), reused.
    Thread-safe."""

    @overload
    def __init__(self: BufferPool[bytearray], count: int, size: int) -> None: ...

    @overload
    def __init__(self, count: int, size: int, make: Callable[[int], B]) -> None: ...

    def __init__(self, count: int, size: int, make: Optional[Callable[[int], B]] = None) -> None:
        self.count = count
        self.size = size
        self._make: Callable[[int], B] = make if make is not None else bytearray  # type: ignore[assignment]
        self._cond = threading.Condition()
        self._free: List[B] = []
        self.allocated = 0
        self.in_use = 0
        self.max_in_use = 0

    def acquire(self, timeout: Optional[float] = None) -> Optional[B]:
        """A buffer, or None if none came free within ``timeout`` (so callers can poll cancel/Ctrl-C)."""
        with self._cond:
            if not self._cond.wait_for(self._available, timeout):
                return None
            if self._free:
                buf = self._free.pop()
            else:
                buf = self._make(self.size)
                self.allocated += 1
            self.in_use += 1
            self.max_in_use = max(self.max_in_use, self.in_use)
            return buf

    def _available(self) -> bool:
        return bool(self._free) or self.allocated < self.count

    def release(self, buf: B) -> None:
        with self._cond:
            self.in_use -= 1
            self._free.append(buf)
            self._cond.notify()
