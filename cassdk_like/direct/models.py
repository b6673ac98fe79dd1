"""DirectIO's values: credentials, the block map as the portal describes it, blocks and byte ranges.

The metadata document is read in both schemas the portal has served (docs/directio-protocol.md
§2.2) through ``core.blockfile.FileFormat``.  What a caller gets back never holds the plaintext
data key: ``FileMetadata.encryption_key`` is the *wrapped* key (docs/directio-client.md §3), and a
fingerprint of the unwrapped key is the most that is shown.  Signed URLs are kept out of every repr.
"""

from __future__ import annotations

import re
from typing import Any, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

import attrs

from cassdk_like.core.blockfile import BlockFormat, BlockFormatError, FileFormat
from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.core.redact import redact_url
from cassdk_like.direct.errors import BlocksNotFoundError, MetadataError

__all__ = [
    "Block",
    "BlockInfo",
    "ByteRange",
    "Chunk",
    "Credentials",
    "FileId",
    "FileMetadata",
    "WrappedKey",
    "check_file_id",
    "parse_metadata",
]

FileId = Union[int, str]
_DIGITS = re.compile(r"[0-9]{1,19}")


class _KeyPair(NamedTuple):
    access_key_id: str
    secret_access_key: str


class Credentials(_KeyPair):
    """The access key pair (cterasdk's names, a tuple as there). The id is the bearer token sent to
    the portal; the secret never leaves this process (it unwraps data keys) nor shows in a repr."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Credentials(access_key_id={self.access_key_id!r}, secret_access_key=<hidden>)"

    def __str__(self) -> str:
        return self.__repr__()


def check_file_id(file_id: object, operation: str) -> str:
    """The file id as the path segment it becomes: a non-negative integer (int or digits).

    The normalised form also names the file inside v2 blocks' associated data, so it must not
    depend on how the caller spelt the id.
    """
    if isinstance(file_id, bool) or not isinstance(file_id, (int, str)):
        raise InvalidArgumentError(
            f"file_id must be an integer, not {type(file_id).__name__}",
            operation=operation,
            resource=f"file {file_id!r}",
        )
    text = str(file_id).strip() if isinstance(file_id, str) else str(file_id)
    if not _DIGITS.fullmatch(text):
        raise InvalidArgumentError(
            f"file_id must be a non-negative integer of at most 19 digits, got {file_id!r}",
            operation=operation,
            resource=f"file {file_id!r}",
        )
    return str(int(text))  # one spelling per file: "007" and 7 are the same file


@attrs.frozen
class BlockInfo:
    """One block of a file: its number (from 1) and the plaintext bytes ``[offset, offset+length)``."""

    file_id: FileId
    number: int
    offset: int
    length: int


@attrs.frozen
class Block:
    """A decoded block: its place in the file and its ``length`` plaintext bytes."""

    file_id: FileId
    number: int
    offset: int
    length: int
    data: bytes = attrs.field(repr=lambda data: f"<{len(data)} bytes>")

    @property
    def info(self) -> BlockInfo:
        """The block's identity (file, number, offset, length), as errors carry it."""
        return BlockInfo(self.file_id, self.number, self.offset, self.length)


@attrs.frozen
class Chunk:
    """One block-map entry: the block's signed URL (a secret: masked in the repr) and its place."""

    file_id: FileId
    number: int
    offset: int
    length: int
    url: str = attrs.field(repr=redact_url)

    @property
    def info(self) -> BlockInfo:
        """The chunk's identity (file, number, offset, length), as errors carry it."""
        return BlockInfo(self.file_id, self.number, self.offset, self.length)


@attrs.frozen(repr=False)
class WrappedKey:
    """A file's data key as the portal hands it out: wrapped under the reader's secret.

    What ``Client.executor`` takes as ``encryption_key``: opening it needs the secret access key
    the client holds, so passing it around reveals nothing (docs/directio-client.md §3).
    """

    file_format: FileFormat

    @property
    def block_format(self) -> int:
        """The block format number the wrapped key belongs to."""
        return int(self.file_format.block_format)

    def __repr__(self) -> str:
        return f"WrappedKey(block_format={self.block_format})"

    __str__ = __repr__


@attrs.frozen
class ByteRange:
    """Plaintext bytes ``[start, end]``, inclusive of ``end``; ``end=None`` runs to the last byte.

    A start past the end of the file selects nothing; an end past it stops at the last byte.
    """

    start: int = 0
    end: Optional[int] = None

    def __attrs_post_init__(self) -> None:
        for name, value in (("start", self.start), ("end", self.end)):
            if value is None and name == "end":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidArgumentError(f"ByteRange {name} must be an integer >= 0, got {value!r}")
        if self.end is not None and self.end < self.start:
            raise InvalidArgumentError(
                f"ByteRange end {self.end} is before start {self.start} (the range is inclusive)"
            )

    @classmethod
    def parse(cls, value: object, *, operation: str, resource: Optional[str] = None) -> ByteRange:
        """A ByteRange, None (everything) or a ``(start, end)`` pair."""
        if value is None:
            return cls()
        if isinstance(value, ByteRange):
            return value
        if isinstance(value, tuple) and len(value) == 2:
            try:
                return cls(value[0], value[1])
            except InvalidArgumentError as exc:
                raise InvalidArgumentError(exc.reason, operation=operation, resource=resource) from None
        raise InvalidArgumentError(
            f"byte_range must be a ByteRange, a (start, end) pair or None, not {type(value).__name__}",
            operation=operation,
            resource=resource,
        )


@attrs.frozen
class FileMetadata:
    """A file's block map and format; never its plaintext data key.

    ``encryption_key`` is the wrapped key (None when the file is not encrypted);
    ``key_fingerprint`` tells keys apart without revealing them; ``chunks`` hold the signed URLs.
    """

    file_id: FileId
    size: int
    encrypted: bool
    compression: str
    block_format: int
    blocks: Tuple[BlockInfo, ...]
    chunks: Tuple[Chunk, ...] = attrs.field(repr=False)
    encryption_key: Optional[WrappedKey] = attrs.field(repr=False)
    key_fingerprint: Optional[str] = None

    @property
    def file_format(self) -> FileFormat:
        """How the blocks are stored: encrypted or not, and their compression."""
        if self.encryption_key is not None:
            return self.encryption_key.file_format
        return FileFormat(encrypted=False, compression=self.compression)


def _chunk_list(document: Mapping[str, Any], file_id: FileId, operation: str) -> List[Chunk]:
    resource = f"file {file_id}"
    raw = document.get("chunks")
    if raw is None or (isinstance(raw, list) and not raw):
        raise BlocksNotFoundError("the file has no blocks", operation=operation, resource=resource)
    if not isinstance(raw, list):
        raise MetadataError("chunks is not a list", operation=operation, resource=resource)
    chunks: List[Chunk] = []
    offset = 0
    for number, item in enumerate(raw, 1):
        url = item.get("url") if isinstance(item, dict) else None
        length = item.get("len") if isinstance(item, dict) else None
        if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
            raise MetadataError(f"chunk {number} has no http(s) url", operation=operation, resource=resource)
        if isinstance(length, bool) or not isinstance(length, int) or length < 0:
            raise MetadataError(
                f"chunk {number} has no non-negative integer len", operation=operation, resource=resource
            )
        chunks.append(Chunk(file_id, number, offset, length, url))
        offset += length
    return chunks


def parse_metadata(document: object, file_id: FileId, *, operation: str = "metadata") -> FileMetadata:
    """The ``FileMetadata`` of a metadata document (either schema), without unwrapping the key."""
    resource = f"file {file_id}"
    if not isinstance(document, dict):
        raise MetadataError("the metadata is not a JSON object", operation=operation, resource=resource)
    try:
        file_format = FileFormat.from_metadata(document, resource=resource)
    except BlockFormatError as exc:
        raise MetadataError(exc.reason, operation=operation, resource=resource) from exc
    chunks = _chunk_list(document, file_id, operation)
    blocks = tuple(chunk.info for chunk in chunks)
    last = blocks[-1]
    return FileMetadata(
        file_id=file_id,
        size=last.offset + last.length,
        encrypted=file_format.encrypted,
        compression=file_format.compression,
        block_format=int(file_format.block_format if file_format.encrypted else BlockFormat.V1),
        blocks=blocks,
        chunks=tuple(chunks),
        encryption_key=WrappedKey(file_format) if file_format.encrypted else None,
    )


def same_block_map(old: Sequence[BlockInfo], new: Sequence[BlockInfo]) -> bool:
    """True when a refreshed metadata describes the same blocks (only the URLs may change)."""
    return tuple(old) == tuple(new)
