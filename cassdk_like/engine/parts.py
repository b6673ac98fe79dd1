"""Upload parts: the default part sizer, and the two shapes a part's body takes.

Why a window and not a buffer: a part of a seekable source is hashed in one streaming pass and
then sent straight from the source, so an upload's memory does not grow with the part size.
The bytes actually sent are hashed again while they are read and compared to the digests sent
with them; a mismatch fails the read (the request is cut before its last byte) and names the
part, which is also how an edit of the file during the upload is caught.  A non-seekable stream
cannot be read twice, so its part is held in a pooled buffer instead (``BufferPool``).
"""

from __future__ import annotations

import io
from typing import BinaryIO, Dict, Mapping, Optional, Sequence, Union, cast

import attrs

from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.checksums import CRC32, Hasher, IntegrityStrategy
from cassdk_like.core.exceptions import InvalidArgumentError, InvalidPartSizeError, LocalFileError
from cassdk_like.engine.interfaces import UploadSource

__all__ = [
    "DEFAULT_MAX_PARTS",
    "BufferBody",
    "GenericPartSizer",
    "WindowBody",
    "WindowReader",
    "check_part_count",
    "hash_parts_with",
    "part_digests",
    "witness_of",
]

DEFAULT_MAX_PARTS = 10_000


@attrs.frozen
class GenericPartSizer:
    """Any size that is a multiple of ``multiple``, at most ``max_parts`` parts (targets without a rule)."""

    max_parts: int = DEFAULT_MAX_PARTS
    multiple: int = 1

    def part_size(self, size: int, *, requested: Optional[int], minimum: int) -> int:
        if requested is not None:
            if isinstance(requested, bool) or not isinstance(requested, int) or requested < 1:
                raise InvalidPartSizeError(f"part size must be a positive integer, got {requested!r}")
            if requested % self.multiple:
                raise InvalidPartSizeError(f"part size must be a multiple of {self.multiple}: {requested}")
            return requested
        part = max(minimum, -(-size // self.max_parts), 1)
        return -(-part // self.multiple) * self.multiple


def witness_of(checksums: Sequence[IntegrityStrategy]) -> IntegrityStrategy:
    """The digest re-computed over the bytes sent from the source: CRC-32.

    It only has to notice that the local file changed between the hashing pass and the send (the
    service checks the target's own checksums), so the cheapest digest does: re-hashing with the
    target's SHA-256 or tree hash cost 0.4 CPU s/GiB more (benchmarks/RESULTS.md, issue 18).
    """
    return CRC32


def hash_parts_with(checksums: Sequence[IntegrityStrategy], *, rereads: bool) -> Sequence[IntegrityStrategy]:
    """Every strategy a part is hashed with before sending: the target's, plus the witness when
    the part is sent by re-reading the source (a buffered part is sent from what was hashed)."""
    extra = [CRC32] if (rereads or not checksums) and CRC32 not in checksums else []
    return [*checksums, *extra]


@attrs.define
class BufferBody:
    """A part held in memory (non-seekable sources)."""

    number: int
    byte_range: ByteRange
    digests: Mapping[str, str]
    view: memoryview

    def content(self) -> Union[memoryview, BinaryIO]:
        return self.view


@attrs.define
class WindowBody:
    """A part streamed from a random-access source; ``changed`` is set when a read caught an edit."""

    number: int
    byte_range: ByteRange
    digests: Mapping[str, str]
    source: UploadSource
    witness: IntegrityStrategy
    changed: Optional[LocalFileError] = None

    def content(self) -> Union[memoryview, BinaryIO]:
        return cast(BinaryIO, WindowReader(self))


class WindowReader(io.RawIOBase):
    """A seekable reader over one part of the source, verifying what it returns.

    Rewinding to the start (every retry does) starts the check again; reading the last byte
    compares the witness digest with the one computed before sending.
    """

    def __init__(self, body: WindowBody) -> None:
        super().__init__()
        self._body = body
        self._length = body.byte_range.length
        self._pos = 0
        self._hasher: Optional[Hasher] = body.witness.new_hasher()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._length}[whence]
        pos = base + offset
        if pos < 0:
            raise OSError("negative seek position")
        if pos != self._pos:
            # from the start the check begins again; anywhere else it cannot be made
            self._hasher = self._body.witness.new_hasher() if pos == 0 else None
        self._pos = pos
        return pos

    def readinto(self, buf: memoryview | bytearray) -> int:  # type: ignore[override]
        want = min(len(buf), self._length - self._pos)
        if want <= 0:
            return 0
        view = memoryview(buf).cast("B")[:want]
        self._body.source.read_into(self._body.byte_range.start + self._pos, view)
        if self._hasher is not None:
            self._hasher.update(view)
        self._pos += want
        if self._pos == self._length:
            self._check()
        return want

    def _check(self) -> None:
        body = self._body
        if self._hasher is None:
            raise OSError(f"part {body.number} can be re-read only from its start")
        if self._hasher.hexdigest() == body.digests.get(body.witness.name, ""):
            return
        rng = body.byte_range
        body.changed = LocalFileError(
            f"part {body.number} (bytes {rng.start}-{rng.end}) changed while being uploaded "
            "(its bytes no longer match the checksums sent with it)",
            operation="upload",
            local_path=body.source.name,
        )
        raise OSError(f"part {body.number} changed while being uploaded")


def part_digests(hashers: Dict[str, Hasher]) -> Dict[str, str]:
    return {name: hasher.hexdigest() for name, hasher in hashers.items()}


def check_part_count(size: int, part_size: int, max_parts: int, operation: str) -> int:
    count = -(-size // part_size)
    if count > max_parts:
        raise InvalidArgumentError(
            f"{size} bytes need {count} parts of {part_size}; at most {max_parts}", operation=operation
        )
    return count
