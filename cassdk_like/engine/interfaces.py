"""The small interfaces the engine runs on, so it knows nothing about vaults, jobs or HTTP.

The high level adapts a job's output (``DownloadSource``) and a multipart upload
(``MultipartTarget``); buckets, PARs and DirectIO can later do the same.  Upload sources
(``UploadSource``) are provided by :mod:`cassdk_like.engine.sources` for paths and file objects.
Members are declared as read-only properties so plain attributes and properties both satisfy them.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Optional, Protocol, Tuple

from cassdk_like.core.byterange import ByteRange

__all__ = ["DownloadSource", "MultipartTarget", "RangeResponse", "UploadSource"]


class RangeResponse(Protocol):
    """One ranged GET's answer; a streaming ``core.http.HttpResponse`` fits.

    ``readinto`` must raise ``TransportError`` (or ``OSError``) when the connection breaks, and
    return 0 only at the end of the body.  An optional ``readinto_for(buf, seconds)`` (the same,
    but returning ``seconds`` after the first bytes even when ``buf`` is not full) is used when
    present, so that a worker on a slow link sees a cancel between reads of large buffers; an
    optional ``abort()``, callable from any thread, makes a read blocked on a silent connection fail
    at once (the engine calls it when the transfer is cancelled).
    """

    @property
    def status(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]:
        """Case-insensitive."""
        ...

    def readinto(self, buf: memoryview) -> int: ...

    def close(self) -> None: ...


class DownloadSource(Protocol):
    """Something with a known size that serves byte ranges of itself (a job's output)."""

    @property
    def size(self) -> int:
        """Total bytes of the output."""
        ...

    @property
    def expected_tree_hash(self) -> Optional[str]:
        """Tree hash of the whole output (the job's SHA256TreeHash), None if unknown."""
        ...

    @property
    def identity(self) -> str:
        """Stable id recorded in the resume journal (e.g. "vault/job/range/treehash")."""
        ...

    @property
    def tree_hash_header(self) -> str:
        """Response header carrying a range's tree hash, e.g. "x-cas-sha256-tree-hash"."""
        ...

    def open_range(self, byte_range: ByteRange) -> RangeResponse:
        """GET with ``Range: bytes=a-b`` (output-relative); raises CASServerError / TransportError."""
        ...


class MultipartTarget(Protocol):
    """A multipart upload that accepts numbered parts (a CAS / Glacier upload id).

    An optional ``upload_id`` attribute, when present, is named in errors so resume can find it.
    """

    def upload_part(self, byte_range: ByteRange, data: memoryview, sha256: str, tree_hash: str) -> None:
        """Send one part; ``data`` is only valid during the call (its buffer is reused)."""
        ...

    def list_parts(self) -> Iterable[Tuple[ByteRange, str]]:
        """Every part already stored (all pages), as (range, hex tree hash)."""
        ...

    def complete(self, size: int, tree_hash: str) -> str:
        """Finish the upload; returns the archive id."""
        ...

    def abort(self) -> None: ...


class UploadSource(Protocol):
    """Bytes to upload, read part by part into the engine's buffers.

    ``random_access`` sources may be read from several threads at once, at any offset.  Other
    sources are read by one thread, in order, each byte once.
    """

    @property
    def size(self) -> int: ...

    @property
    def name(self) -> str:
        """Local path (or a description) for error messages."""
        ...

    @property
    def random_access(self) -> bool: ...

    def read_into(self, offset: int, buf: memoryview) -> None:
        """Fill ``buf`` exactly with the bytes at ``offset``; LocalFileError if they are not there."""
        ...

    def check_unchanged(self) -> None:
        """Raise LocalFileError if the source changed (size, mtime, extra bytes) since it was opened."""
        ...

    def close(self) -> None: ...
