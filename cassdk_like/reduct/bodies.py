"""Request bodies the transport can stream without first joining them into one buffer.

The transport sends a :class:`~cassdk_like.core.http.request.RequestBody` (a file object, an offset
and a length) by reading it piece by piece.  Two sources are not files but can look like one:

* :class:`JoinedBuffers` -- a batch's payloads back to back, read in place (no copy of the batch)
  and re-readable from the start for a retry;
* :class:`IteratorReader` -- an iterator of byte chunks of a declared total length, read once
  (docs/reduct-client.md §5): it can be rewound only before its first chunk was taken, and it
  fails the upload when the chunks come to more or fewer bytes than declared, so a wrong
  ``content_length`` never stores a cut or padded record.
"""

from __future__ import annotations

import io
from typing import Iterable, Iterator, List, Optional, Union

from cassdk_like.core.http.request import RequestBody

__all__ = ["IteratorReader", "JoinedBuffers", "joined_body"]

Buffer = Union[bytes, bytearray, memoryview]


class JoinedBuffers(io.RawIOBase):
    """Several buffers read as one seekable binary stream; the buffers are not copied."""

    def __init__(self, buffers: Iterable[Buffer]) -> None:
        super().__init__()
        self._views: List[memoryview] = [memoryview(b).cast("B") for b in buffers]
        self._views = [v for v in self._views if v.nbytes]
        self._size = sum(v.nbytes for v in self._views)
        self._pos = 0
        self._index = 0
        self._offset = 0

    @property
    def size(self) -> int:
        return self._size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        target = min(max(base + offset, 0), self._size)
        self._pos, self._index, self._offset = target, 0, target
        while self._index < len(self._views) and self._offset >= self._views[self._index].nbytes:
            self._offset -= self._views[self._index].nbytes
            self._index += 1
        return self._pos

    def readinto(self, buffer: Buffer) -> int:  # type: ignore[override]
        out = memoryview(buffer).cast("B")
        done = 0
        while done < out.nbytes and self._index < len(self._views):
            view = self._views[self._index]
            count = min(out.nbytes - done, view.nbytes - self._offset)
            out[done : done + count] = view[self._offset : self._offset + count]
            done += count
            self._offset += count
            if self._offset == view.nbytes:
                self._index, self._offset = self._index + 1, 0
        self._pos += done
        return done


def joined_body(buffers: Iterable[Buffer]) -> Union[bytes, RequestBody]:
    """A request body of ``buffers`` back to back (empty: ``b""``)."""
    stream = JoinedBuffers(buffers)
    if stream.size == 0:
        return b""
    return RequestBody(stream, 0, stream.size)  # type: ignore[arg-type]


class IteratorReader(io.RawIOBase):
    """``length`` bytes from an iterator of chunks, as a read-once binary stream."""

    def __init__(self, chunks: Iterable[Buffer], length: int) -> None:
        super().__init__()
        self._chunks: Iterator[Buffer] = iter(chunks)
        self._length = length
        self._pending = memoryview(b"")
        self._pos = 0
        self._started = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True  # only to the start, before the first read (the transport rewinds once)

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET and offset == self._pos:
            return self._pos
        raise OSError("an iterator body cannot be read again (it was already partly sent)")

    def _next_chunk(self) -> Optional[memoryview]:
        for chunk in self._chunks:
            if not isinstance(chunk, (bytes, bytearray, memoryview)):
                raise OSError(f"the data iterator yielded {type(chunk).__name__}, not bytes")
            view = memoryview(chunk).cast("B")
            if view.nbytes:
                return view
        return None

    def readinto(self, buffer: Buffer) -> int:  # type: ignore[override]
        self._started = True
        out = memoryview(buffer).cast("B")
        want = min(out.nbytes, self._length - self._pos)
        done = 0
        while done < want:
            if not self._pending.nbytes:
                chunk = self._next_chunk()
                if chunk is None:
                    raise OSError(
                        f"the data iterator ended after {self._pos + done} of the {self._length} bytes "
                        "given as content_length"
                    )
                self._pending = chunk
            count = min(want - done, self._pending.nbytes)
            out[done : done + count] = self._pending[:count]
            self._pending = self._pending[count:]
            done += count
        self._pos += done
        if self._pos == self._length and (self._pending.nbytes or self._next_chunk() is not None):
            raise OSError(
                f"the data iterator yields more than the {self._length} bytes given as content_length"
            )
        return done
