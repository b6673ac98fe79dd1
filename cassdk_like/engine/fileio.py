"""Positional reads into a caller's buffer: one helper for every engine module that reads a file
at an offset without moving its position (parts of an upload, pieces of a partial download)."""

from __future__ import annotations

import os

__all__ = ["pread_into"]


def pread_into(fd: int, view: memoryview, offset: int) -> int:
    """Read up to ``len(view)`` bytes at ``offset`` into ``view`` (``preadv`` where the OS has it,
    so no temporary bytes object); 0 at the end of the file."""
    preadv = getattr(os, "preadv", None)
    if preadv is not None:
        return int(preadv(fd, [view], offset))
    data = os.pread(fd, len(view), offset)
    view[: len(data)] = data
    return len(data)
