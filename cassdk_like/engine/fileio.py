"""Small file I/O helpers shared by engine modules: positional reads into a caller's buffer (parts
of an upload, pieces of a partial download) and complete writes of a view to a file object."""

from __future__ import annotations

import os
from typing import IO, Any

from cassdk_like.core.exceptions import InvalidArgumentError

__all__ = ["pread_into", "write_all"]


def pread_into(fd: int, view: memoryview, offset: int) -> int:
    """Read up to ``len(view)`` bytes at ``offset`` into ``view`` (``preadv`` where the OS has it,
    so no temporary bytes object); 0 at the end of the file."""
    preadv = getattr(os, "preadv", None)
    if preadv is not None:
        return int(preadv(fd, [view], offset))
    data = os.pread(fd, len(view), offset)
    view[: len(data)] = data
    return len(data)


def write_all(file_obj: IO[Any], view: memoryview, *, operation: str) -> None:
    """``write`` until everything is taken (raw files may take less than asked)."""
    while view:
        written = file_obj.write(view)
        if written is None:
            raise InvalidArgumentError(
                "the file object would block: non-blocking streams are not supported", operation=operation
            )
        view = view[written:]
