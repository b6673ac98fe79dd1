"""``Streamer``: a file's plaintext over a byte range, in order, with bounded memory and resume.

An iterator of chunks (a block's worth, cut to the range at both ends) over the engine's ordered
read-ahead window, so at most ``window`` decoded blocks are held whatever the file size
(docs/directio-client.md §4).  A failure stops it with ``StreamError`` whose ``offset`` is the
first byte not delivered; iterating again (or after ``seek``) starts a fresh window there.
"""

from __future__ import annotations

import os
from typing import Iterator, Optional, Union

from cassdk_like.core.exceptions import CASError, InvalidArgumentError, TransferCancelledError
from cassdk_like.direct.errors import StreamError
from cassdk_like.direct.highlevel.source import FileBlocks
from cassdk_like.direct.models import ByteRange, FileMetadata
from cassdk_like.engine import BlocksWritten, TransferContext, blocks_to_path, iter_blocks

__all__ = ["Streamer"]


class Streamer:
    """Chunks of ``byte_range`` of one file. Use from one thread; close it (or ``with``) when done early."""

    def __init__(
        self,
        metadata: FileMetadata,
        source: FileBlocks,
        byte_range: ByteRange,
        context: TransferContext,
        *,
        window: Optional[int] = None,
    ) -> None:
        self.metadata = metadata
        self._source = source
        self.byte_range = byte_range
        self._context = context
        self._window = window
        self._position = byte_range.start
        self._chunks: Optional[Iterator[bytes]] = None
        self.closed = False

    @property
    def file_id(self) -> object:
        """The id of the file being streamed."""
        return self.metadata.file_id

    @property
    def refreshes(self) -> int:
        """Times the file's metadata was fetched afresh after a block URL was refused (at most 1)."""
        return self._source.refreshes

    def tell(self) -> int:
        """Offset in the file of the next byte to deliver."""
        return self._position

    def seek(self, offset: int) -> None:
        """Continue from ``offset`` (e.g. a ``StreamError.offset``); past the range's end: nothing more."""
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise InvalidArgumentError(f"offset must be an integer >= 0, got {offset!r}", operation="seek")
        self._stop()
        self._position = offset

    def __iter__(self) -> Streamer:
        return self

    def __next__(self) -> bytes:
        if self.closed:
            raise StopIteration
        if self._chunks is None:
            self._chunks = iter_blocks(
                self._source, self._position, self.byte_range.end, window=self._window, context=self._context
            )
        try:
            chunk = next(self._chunks)
        except StopIteration:
            self._chunks = None
            self._position = max(self._position, self._end_offset())
            raise
        except (TransferCancelledError, KeyboardInterrupt):
            self._chunks = None
            raise
        except CASError as exc:
            self._chunks = None
            raise StreamError(
                f"stopped at byte {self._position}: {exc}",
                offset=self._position,
                operation="stream",
                resource=f"file {self.metadata.file_id}",
            ) from exc
        self._position += len(chunk)
        return chunk

    def _end_offset(self) -> int:
        size, end = self.metadata.size, self.byte_range.end
        return size if end is None else min(end + 1, size)

    def read_all(self) -> bytes:
        """Everything left of the range, joined (memory: the whole range)."""
        return b"".join(self)

    def to_file(self, path: Union[str, os.PathLike[str]]) -> BlocksWritten:
        """Write what is left of the range to ``path`` through the engine (temporary file, fsync,
        atomic rename); a failure raises the block's typed error and leaves ``path`` as it was."""
        self._stop()
        written = blocks_to_path(
            self._source,
            path,
            self._position,
            self.byte_range.end,
            window=self._window,
            context=self._context,
            operation="to_file",
            resource=f"file {self.metadata.file_id}",
        )
        self._position += written.size
        return written

    def _stop(self) -> None:
        if self._chunks is not None:
            close = getattr(self._chunks, "close", None)
            if close is not None:
                close()
            self._chunks = None

    def close(self) -> None:
        """Stop the workers; the streamer yields nothing more."""
        self._stop()
        self.closed = True

    def __enter__(self) -> Streamer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Streamer file {self.metadata.file_id} at byte {self._position} of {self.byte_range}>"
