"""Putting finished bytes at a destination path: flushed, renamed into place, never half-written.

Why one module: the resumable download (a partial file + journal) and the block writer (a fresh
temporary file per call) both end the same way -- fsync the temporary file, rename it over the
destination in one step, fsync the folder -- and fail with the same ``LocalFileError``; the
destination holds either its old content or every new byte, never a mix.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
from types import TracebackType
from typing import Optional, Type

from cassdk_like.core.exceptions import LocalFileError
from cassdk_like.engine.destination import check_destination
from cassdk_like.engine.fileio import write_all
from cassdk_like.engine.journal import fsync_folder, remove_quietly
from cassdk_like.engine.writeback import WRITEBACK_SIZE, Writeback

__all__ = ["TEMP_SUFFIX", "TemporaryFile", "flush_file", "local_error", "move_into_place"]

_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
#: suffix of the per-call temporary files of ``TemporaryFile``
TEMP_SUFFIX = ".cassdk-tmp"


def local_error(message: str, path: str, exc: OSError, *, operation: str) -> LocalFileError:
    """A ``LocalFileError`` for a failed system call on ``path`` (its strerror, never a traceback)."""
    return LocalFileError(f"{message}: {exc.strerror or exc}", operation=operation, local_path=path)


def flush_file(fd: int, temp: str, *, operation: str, writeback: Optional[Writeback] = None) -> None:
    """fsync ``fd`` (the temporary file ``temp``) so its bytes survive a crash after the rename;
    ``writeback`` (which flushed it in the background) is stopped first and its error raised."""
    try:
        if writeback is not None:
            writeback.finish()
        os.fsync(fd)
    except OSError as exc:
        raise local_error("cannot flush the partial file", temp, exc, operation=operation) from exc


def move_into_place(temp: str, path: str, *, operation: str) -> None:
    """Rename the flushed ``temp`` over ``path`` atomically and make the rename durable."""
    try:
        os.replace(temp, path)
    except OSError as exc:
        raise local_error("cannot move the download into place", path, exc, operation=operation) from exc
    fsync_folder(path)


class TemporaryFile:
    """A new temporary file beside ``path``, written in order and put in place by ``commit()``.

    The name is unique per call (two writers to one destination never share a temporary file);
    leaving the ``with`` block without ``commit()`` removes it, so a failure leaves nothing new.
    The destination is checked before anything is fetched (``check_destination``).
    """

    def __init__(
        self, path: object, *, operation: str, resource: str = "", writeback_size: int = WRITEBACK_SIZE
    ) -> None:
        self.operation = operation
        self.writeback_size = writeback_size
        self.writeback: Optional[Writeback] = None
        self.path = check_destination(path, operation=operation, resource=resource)
        self.temp = f"{self.path}.{secrets.token_hex(6)}{TEMP_SUFFIX}"
        self.file: Optional[io.FileIO] = None
        self.committed = False

    def __enter__(self) -> TemporaryFile:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_CLOEXEC
        try:
            fd = os.open(self.temp, flags, 0o666)
        except OSError as exc:
            raise self._error("cannot create the partial file", exc) from exc
        self.file = os.fdopen(fd, "wb", buffering=0)
        self.writeback = Writeback(fd, self.writeback_size)
        return self

    def write(self, data: bytes) -> None:
        """Append ``data`` (all of it); ``LocalFileError`` when the disk refuses."""
        assert self.file is not None
        try:
            write_all(self.file, memoryview(data), operation=self.operation)
        except OSError as exc:
            raise self._error("cannot write the partial file", exc) from exc
        if self.writeback is not None:
            self.writeback.wrote(len(data))

    def _error(self, message: str, exc: OSError) -> LocalFileError:
        return local_error(message, self.temp, exc, operation=self.operation)

    def commit(self) -> None:
        """Flush, close and rename over the destination."""
        assert self.file is not None
        flush_file(self.file.fileno(), self.temp, operation=self.operation, writeback=self.writeback)
        self.file.close()
        move_into_place(self.temp, self.path, operation=self.operation)
        self.committed = True

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        if self.writeback is not None:
            self.writeback.stop()  # before the fd is closed under a flush
        if self.file is not None:
            with contextlib.suppress(OSError):
                self.file.close()
        if not self.committed:
            remove_quietly(self.temp)
