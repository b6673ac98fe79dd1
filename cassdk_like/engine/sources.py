"""Upload sources: a path, a seekable file object, or a non-seekable stream of a given size.

Why three shapes (s3transfer splits by input shape too): a path or a real file is read with
``os.preadv`` at any offset from any thread, and cheaply twice (``rereadable``: a part is hashed,
then streamed from it); a seekable Python file object without a file descriptor is read under a
lock, once, into pooled part buffers; a pipe or socket can only be read once, in order, by one
reader (the coordinator), into the pooled buffers.  All errors name the path.

A file that changes during an upload must fail the upload when the change is seen, not after
every part was sent: the read path itself checks the file's size and modification time (one
``fstat``, under a microsecond) each time another ``_CHECK_EVERY`` bytes were read, so a change
is noticed at the next part read at the latest.
"""

from __future__ import annotations

import io
import os
import stat
import threading
from typing import IO, Any, Optional, Tuple, Union

from cassdk_like.core.exceptions import InvalidArgumentError, LocalFileError
from cassdk_like.engine.fileio import pread_into
from cassdk_like.engine.interfaces import UploadSource

__all__ = ["FileObjectSource", "PathSource", "StreamSource", "UploadSourceLike", "open_upload_source"]

_OPERATION = "upload"
#: bytes read between two checks that the file did not change (one fstat each)
_CHECK_EVERY = 1024 * 1024
UploadSourceLike = Union[str, bytes, "os.PathLike[str]", IO[bytes], UploadSource]


def _error(message: str, name: str) -> LocalFileError:
    return LocalFileError(message, operation=_OPERATION, local_path=name)


def _fill_from_fd(fd: int, offset: int, buf: memoryview, name: str, expected: int) -> None:
    got = 0
    while got < len(buf):
        try:
            count = pread_into(fd, buf[got:], offset + got)
        except OSError as exc:
            raise _error(f"cannot read the file: {exc.strerror or exc}", name) from exc
        if count == 0:
            raise _error(
                f"the file ended at byte {offset + got} but was {expected} bytes when the upload began "
                "(it changed while being uploaded)",
                name,
            )
        got += count


class _ChangeWatch:
    """Calls ``check_unchanged`` from the read path every ``_CHECK_EVERY`` bytes.

    The counter is not locked: a lost update between threads only delays a check by one read.
    """

    _unchecked = 0

    def check_unchanged(self) -> None:
        raise NotImplementedError

    def _read_done(self, offset: int, count: int) -> None:
        self._unchecked += count
        if self._unchecked >= _CHECK_EVERY:
            self._unchecked = 0
            try:
                self.check_unchanged()
            except LocalFileError as exc:
                where = f"; noticed reading bytes {offset}-{offset + count - 1}"
                raise _error(exc.reason + where, exc.local_path or "") from None


def _changed(before: Tuple[int, int], now: Tuple[int, int], name: str) -> LocalFileError:
    what = f"size {before[0]} -> {now[0]}" if now[0] != before[0] else "modified, same size"
    return _error(f"the file changed while being uploaded ({what})", name)


class PathSource(_ChangeWatch):
    """A regular file by path; parts are read in parallel with ``preadv``. Thread-safe."""

    random_access = True
    rereadable = True

    def __init__(self, path: Union[str, bytes, os.PathLike[str]], size: Optional[int] = None) -> None:
        self.name = os.fsdecode(path)
        try:
            self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise _error(f"cannot open the file: {exc.strerror or exc}", self.name) from exc
        info = os.fstat(self._fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(self._fd)
            raise _error("not a regular file", self.name)
        self._stat: Tuple[int, int] = (info.st_size, info.st_mtime_ns)
        self.size = info.st_size
        if size is not None and size != self.size:
            os.close(self._fd)
            raise _error(f"size mismatch: {size} bytes were given but the file has {self.size}", self.name)

    def read_into(self, offset: int, buf: memoryview) -> None:
        _fill_from_fd(self._fd, offset, buf, self.name, self.size)
        self._read_done(offset, len(buf))

    def check_unchanged(self) -> None:
        now = _size_and_mtime(self._fd)
        if now != self._stat:
            raise _changed(self._stat, now, self.name)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class FileObjectSource(_ChangeWatch):
    """A seekable file object, from its current position; the caller keeps ownership of it.

    With a real file descriptor behind it, parts are read in parallel with ``preadv``;
    otherwise reads are serialised under a lock (seek + readinto).
    """

    def __init__(self, fileobj: IO[bytes], size: Optional[int] = None) -> None:
        self._file = fileobj
        self.name = _name_of(fileobj)
        self._lock = threading.Lock()
        self._base = fileobj.tell()
        self._end = fileobj.seek(0, io.SEEK_END)
        fileobj.seek(self._base)
        available = self._end - self._base
        if size is not None and size > available:
            raise _error(f"size mismatch: {size} bytes were given but only {available} remain", self.name)
        self.size = available if size is None else size
        self._fd = _regular_fd(fileobj)
        self._stat = _size_and_mtime(self._fd) if self._fd is not None else None
        self.random_access = True
        #: parts stream from the file only when it has a descriptor (a second read is cheap)
        self.rereadable = self._fd is not None

    def read_into(self, offset: int, buf: memoryview) -> None:
        if self._fd is not None:
            _fill_from_fd(self._fd, self._base + offset, buf, self.name, self.size)
        else:
            with self._lock:
                self._file.seek(self._base + offset)
                try:
                    _fill_sequential(self._file, buf, self.name, self._base + offset, self.size)
                except LocalFileError:
                    self._raise_if_resized()
                    raise
        self._read_done(offset, len(buf))

    def _raise_if_resized(self) -> None:
        """A short read from a file that shrank says so (the caller holds the lock)."""
        end = self._file.seek(0, io.SEEK_END)
        if end != self._end:
            raise _error(f"the file changed size while being uploaded ({self._end} -> {end})", self.name)

    def check_unchanged(self) -> None:
        if self._fd is not None and self._stat is not None:
            now = _size_and_mtime(self._fd)
            if now != self._stat:
                raise _changed(self._stat, now, self.name)
            return
        with self._lock:
            self._raise_if_resized()

    def close(self) -> None:
        return None


class StreamSource:
    """A non-seekable stream of a known size, read once, in order, by one thread."""

    random_access = False
    rereadable = False

    def __init__(self, fileobj: IO[bytes], size: int) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise InvalidArgumentError(f"a non-seekable stream needs its size in bytes, got {size!r}")
        self._file = fileobj
        self.name = _name_of(fileobj)
        self.size = size
        self._pos = 0

    def read_into(self, offset: int, buf: memoryview) -> None:
        if offset != self._pos:
            raise InvalidArgumentError(f"a stream is read in order: asked for {offset}, at {self._pos}")
        _fill_sequential(self._file, buf, self.name, offset, self.size)
        self._pos += len(buf)

    def check_unchanged(self) -> None:
        if self._pos == self.size and self._file.read(1):
            raise _error(f"the stream has more bytes than the {self.size} given as its size", self.name)

    def close(self) -> None:
        return None


def _fill_sequential(fileobj: IO[bytes], buf: memoryview, name: str, offset: int, size: int) -> None:
    readinto: Any = getattr(fileobj, "readinto", None)
    got = 0
    try:
        while got < len(buf):
            if readinto is not None:
                count = readinto(buf[got:]) or 0
            else:
                data = fileobj.read(len(buf) - got)
                count = len(data)
                buf[got : got + count] = data
            if count == 0:
                raise _error(f"the data ended after {offset + got} bytes, but its size is {size}", name)
            got += count
    except OSError as exc:
        raise _error(f"cannot read: {exc.strerror or exc}", name) from exc


def _name_of(fileobj: Any) -> str:
    name = getattr(fileobj, "name", None)
    return name if isinstance(name, str) else f"<{type(fileobj).__name__}>"


def _size_and_mtime(fd: int) -> Tuple[int, int]:
    info = os.fstat(fd)
    return info.st_size, info.st_mtime_ns


def _regular_fd(fileobj: Any) -> Optional[int]:
    try:
        fd = int(fileobj.fileno())
        return fd if stat.S_ISREG(os.fstat(fd).st_mode) else None
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None


def open_upload_source(source: UploadSourceLike, size: Optional[int] = None) -> Tuple[UploadSource, bool]:
    """Wrap what the caller gave; returns (source, whether the engine must close it)."""
    if isinstance(source, (str, bytes, os.PathLike)):
        return PathSource(source, size), True
    if hasattr(source, "read_into") and hasattr(source, "random_access"):
        return source, False  # type: ignore[return-value]
    if not hasattr(source, "read"):
        kind = type(source).__name__
        raise InvalidArgumentError(f"cannot upload from {kind}: give a path or a file object")
    fileobj: IO[bytes] = source
    seekable = getattr(fileobj, "seekable", None)
    if callable(seekable) and seekable():
        try:
            return FileObjectSource(fileobj, size), False
        except (OSError, io.UnsupportedOperation):
            if size is None:
                raise
    if size is None:
        raise InvalidArgumentError("a non-seekable stream can be uploaded only when its size is given")
    return StreamSource(fileobj, size), False
