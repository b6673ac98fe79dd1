"""The small interfaces the engine runs on, so it knows nothing about vaults, buckets or HTTP.

A service adapts what it downloads from (``DownloadSource``: a job's output, an object, a block
file) and what it uploads to (``MultipartTarget``: numbered parts, each answered with a token).
Upload sources (``UploadSource``) are provided by :mod:`cassdk_like.engine.sources` for paths and
file objects.  Members are declared as read-only properties so plain attributes and properties
both satisfy them.
"""

from __future__ import annotations

from typing import (
    BinaryIO,
    Callable,
    Iterable,
    Mapping,
    NamedTuple,
    Optional,
    Protocol,
    Sequence,
    Tuple,
    Union,
)

import attrs

from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.checksums import IntegrityStrategy, TreeHashIntegrity

__all__ = [
    "DECODE_ROOM",
    "BlockSource",
    "BlockSpec",
    "CompletedUpload",
    "DownloadSource",
    "MultipartTarget",
    "PartBody",
    "PartSizer",
    "RangeResponse",
    "StoredPart",
    "TransformingSource",
    "UploadSource",
    "source_integrity",
]

#: bytes a block's read buffer holds beyond the largest body, for a decoder working in place
DECODE_ROOM = 64


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
    """Something with a known size that serves byte ranges of itself (a job's output, an object)."""

    @property
    def size(self) -> int:
        """Total bytes of the source."""
        ...

    @property
    def identity(self) -> str:
        """Stable id recorded in the resume journal (e.g. "vault/job/range/treehash")."""
        ...

    @property
    def integrity(self) -> IntegrityStrategy:
        """How the source's bytes are checked (per range when it has a ``range_header``)."""
        ...

    @property
    def expected_digest(self) -> Optional[str]:
        """The whole source's digest under ``integrity`` (hex), None if unknown."""
        ...

    def open_range(self, byte_range: ByteRange) -> RangeResponse:
        """GET with ``Range: bytes=a-b`` (source offsets); raises the service's typed errors."""
        ...


class TransformingSource(DownloadSource, Protocol):
    """A source whose fetched bytes are not yet the caller's (encrypted or compressed blocks).

    The engine verifies what it fetched with ``integrity``, then hands each piece to ``transform``
    and emits what it returns; supported by the streaming download (``stream_range``/``iter_range``).
    """

    def transform(self, byte_range: ByteRange, data: memoryview) -> bytes:
        """The caller's bytes for the fetched ``byte_range``; ``data`` is valid during the call only."""
        ...


class BlockSpec(Protocol):
    """One block of a block file: its number (from 1) and the plaintext bytes it decodes to."""

    @property
    def number(self) -> int: ...

    @property
    def offset(self) -> int:
        """Offset of the block's first plaintext byte in the file."""
        ...

    @property
    def length(self) -> int:
        """Plaintext bytes the block decodes to (what is fetched is usually another size)."""
        ...


class BlockSource(Protocol):
    """A file stored as separate block objects, each fetched whole and decoded (DirectIO).

    Unlike a ``TransformingSource``, the fetched size of a block is unknown until it arrives
    (ciphertext of compressed data); only the decoded length is known.  ``open_block`` raises the
    service's typed errors for an error answer (after the transport's own retries); the engine
    reads the body (at most ``max_fetch_size`` bytes, retrying broken bodies), then hands it to
    ``decode`` on the worker's thread.  Any failure of a block that escapes (after retries) goes
    through ``block_error`` so the caller's error can name the block.
    """

    @property
    def blocks(self) -> Sequence[BlockSpec]:
        """Every block in file order, contiguous from offset 0."""
        ...

    @property
    def size(self) -> int:
        """Plaintext bytes of the whole file."""
        ...

    def max_fetch_size(self, spec: BlockSpec) -> int:
        """The most bytes a well-formed fetched block can hold; a longer body is refused."""
        ...

    def open_block(self, spec: BlockSpec) -> RangeResponse:
        """GET the whole block object (a 2xx answer, else the service's typed error)."""
        ...

    def decode(
        self, spec: BlockSpec, raw: memoryview, room: memoryview, spare: Callable[[], memoryview]
    ) -> Union[bytes, bytearray, memoryview]:
        """The block's plaintext (exactly ``spec.length`` bytes), or the service's typed error.

        ``raw`` is the fetched body; ``room`` the buffer lent for this block, which begins with
        ``raw`` and holds at least ``DECODE_ROOM`` bytes more: a decoder may overwrite it (decrypt
        in place).  ``spare()``, called at most once, lends a second buffer of at least
        ``spec.length`` bytes to decompress into.  The result may be a view of either; the engine
        keeps the buffer it lives in until the bytes are copied out, and takes the other back.
        """
        ...

    def block_error(self, spec: BlockSpec, exc: Exception) -> Exception:
        """The error to raise for a block that failed with ``exc`` (``exc`` itself if typed already)."""
        ...


def source_integrity(source: DownloadSource) -> Tuple[IntegrityStrategy, Optional[str]]:
    """(strategy, expected hex digest or None) of a source.

    Sources written for 0.x (``expected_tree_hash`` / ``tree_hash_header``) still work: they get
    the tree hash strategy with that header.
    """
    strategy: Optional[IntegrityStrategy] = getattr(source, "integrity", None)
    if strategy is not None:
        expected = getattr(source, "expected_digest", None)
    else:
        strategy = TreeHashIntegrity(range_header=getattr(source, "tree_hash_header", None))
        expected = getattr(source, "expected_tree_hash", None)
    cleaned = (expected or "").strip().lower() or None
    return strategy, cleaned


class PartSizer(Protocol):
    """A target's rule for part sizes (the engine only needs "parts of this size, at most N")."""

    @property
    def max_parts(self) -> int: ...

    def part_size(self, size: int, *, requested: Optional[int], minimum: int) -> int:
        """The part size for ``size`` bytes: ``requested`` if valid (else a typed error), or the
        target's choice of at least ``minimum``."""
        ...


class PartBody(Protocol):
    """One part, as the engine hands it to ``MultipartTarget.upload_part``.

    ``digests`` holds the hex digest of the part under each of the target's ``part_checksums``
    (by strategy name), computed before sending.  ``content()`` is either the bytes in memory
    (valid during the call only) or a new seekable binary reader over exactly the part that
    re-reads the source on every attempt and fails the read if the bytes no longer match
    ``digests`` (the source changed).
    """

    @property
    def number(self) -> int: ...

    @property
    def byte_range(self) -> ByteRange: ...

    @property
    def digests(self) -> Mapping[str, str]: ...

    def content(self) -> Union[memoryview, BinaryIO]: ...


class StoredPart(NamedTuple):
    """A part the target already holds: number (from 1), bytes it covers, its token."""

    number: int
    byte_range: ByteRange
    token: str


@attrs.frozen
class CompletedUpload:
    """What ``complete`` returns: the new object's id and, when the service reports one, its
    whole-object checksum (a vault's tree hash)."""

    object_id: str
    checksum: Optional[str] = None


class MultipartTarget(Protocol):
    """An upload that accepts numbered parts (from 1) and answers each with a token.

    A vault's token is the part's tree hash, S3's the ETag.  An optional ``upload_id`` attribute,
    when present, is named in errors so resume can find it.
    """

    @property
    def part_sizer(self) -> PartSizer: ...

    @property
    def part_checksums(self) -> Sequence[IntegrityStrategy]:
        """Digests of each part the target sends with it (computed in one pass before sending)."""
        ...

    def upload_part(self, number: int, body: PartBody) -> str:
        """Send part ``number``; returns its token."""
        ...

    def token_for(self, number: int, digests: Mapping[str, str]) -> Optional[str]:
        """The token a part with these digests would get (None: unknown, so resume re-sends it)."""
        ...

    def list_parts(self) -> Iterable[Tuple[int, ByteRange, str]]:
        """Every part already stored (all pages), as (number, byte range, token)."""
        ...

    def complete(self, parts: Sequence[Tuple[int, str]], size: int) -> CompletedUpload:
        """Finish the upload from every part's (number, token), in number order."""
        ...

    def abort(self) -> None: ...


class UploadSource(Protocol):
    """Bytes to upload.

    ``random_access`` sources may be read from several threads at once, at any offset.  Other
    sources are read by one thread, in order, each byte once.  An optional ``rereadable = True``
    (files) says a second read is cheap: parts are then hashed in one pass and streamed from the
    source instead of being held in part buffers.
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
