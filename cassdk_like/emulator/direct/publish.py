"""Publishing: a byte source cut into blocks, each encoded and stored as an object of the S3 service.

Blocks are encoded by ``core.blockfile`` (the same code the client reads with) under a fresh data
key per file, wrapped for the owner's secret (docs/directio-protocol.md §7.2). Sources are read one
block at a time, so a large file never sits in memory whole.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import BinaryIO, Callable, Iterator, List, Optional, Union

from cassdk_like.core.blockfile import BlockFormat, Codec, DataKey, FileFormat
from cassdk_like.emulator.db import Database
from cassdk_like.emulator.direct.files import FileRecord, FileRegistry
from cassdk_like.emulator.direct.keys import AccessKey
from cassdk_like.emulator.objectstore.records import ObjectRecord
from cassdk_like.emulator.objectstore.store import ObjectStore

__all__ = [
    "BLOCKS_BUCKET",
    "CODEC_NAMES",
    "DEFAULT_BLOCK_SIZE",
    "MAX_URL_TTL",
    "BlockWriter",
    "Source",
    "block_key",
    "blocks_of",
    "parse_codec",
]

#: the S3 bucket that holds every published block (created on first use)
BLOCKS_BUCKET = "cassdk-directio-blocks"
DEFAULT_BLOCK_SIZE = 4 * 1024 * 1024
#: presigned URLs live at most 7 days
MAX_URL_TTL = 7 * 24 * 3600

#: names a caller (or the admin endpoint) may give for a codec
CODEC_NAMES = {
    "none": Codec.NONE,
    "gzip": Codec.GZIP,
    "snappy": Codec.SNAPPY_XERIAL,
    "snappy-xerial": Codec.SNAPPY_XERIAL,
    "snappy-raw": Codec.SNAPPY_RAW,
}

Source = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]"]


def parse_codec(codec: Union[Codec, str]) -> Codec:
    if isinstance(codec, Codec):
        return codec
    found = CODEC_NAMES.get(str(codec).lower())
    if found is None:
        raise ValueError(f"codec must be one of {sorted(CODEC_NAMES)}, got {codec!r}")
    return found


def block_key(file_id: int, number: int) -> str:
    """The object key of a file's block (1-based ``number``)."""
    return f"files/{file_id}/{number:06d}"


def _read_blocks(handle: BinaryIO, block_size: int) -> Iterator[bytes]:
    while True:
        chunk = handle.read(block_size)
        if not chunk:
            return
        yield chunk


def blocks_of(source: Source, block_size: int) -> Iterator[bytes]:
    """The plaintext blocks of bytes or of a local file, ``block_size`` each (the last shorter)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        view = memoryview(source)
        for start in range(0, len(view), block_size):
            yield bytes(view[start : start + block_size])
        return
    path = Path(source)
    with open(path, "rb") as handle:
        yield from _read_blocks(handle, block_size)


def object_blocks(db: Database, record: ObjectRecord, block_size: int) -> Iterator[bytes]:
    """The plaintext blocks of a stored bucket object."""
    with open(db.path(record.blob), "rb") as handle:
        yield from _read_blocks(handle, block_size)


class BlockWriter:
    """Encodes and stores the blocks of new files. Thread-safe."""

    def __init__(
        self,
        store: ObjectStore,
        db: Database,
        region: Callable[[], str],
        files: FileRegistry,
        clock: Callable[[], float],
    ) -> None:
        self._store = store
        self._db = db
        self._region = region
        self._files = files
        self._clock = clock

    def _ensure_bucket(self) -> None:
        if self._store.bucket(BLOCKS_BUCKET) is None:
            self._store.create_bucket(BLOCKS_BUCKET, self._region())

    def put_object(self, key: str, data: bytes) -> None:
        """Store (or replace) one block object."""
        self._ensure_bucket()
        blob = self._db.write_small(data)
        record = ObjectRecord(
            bucket=BLOCKS_BUCKET,
            key=key,
            size=blob.size,
            etag=hashlib.md5(data).hexdigest(),  # noqa: S324 - an ETag, not a security digest
            blob=blob.token,
            modified=self._clock(),
            content_type="application/octet-stream",
        )
        try:
            self._store.put(record)
        except BaseException:
            self._db.discard(blob.token)
            raise

    def read_object(self, key: str) -> bytes:
        record = self._store.require(BLOCKS_BUCKET, key)
        return Path(self._db.path(record.blob)).read_bytes()

    def publish(
        self,
        blocks: Iterator[bytes],
        *,
        owner: AccessKey,
        codec: Codec,
        encrypted: bool,
        block_format: BlockFormat,
        url_ttl: int,
        unsupported: bool,
    ) -> FileRecord:
        """Encode and store every block, then make the file visible."""
        if block_format is BlockFormat.V2 and not encrypted:
            raise ValueError("block format 2 is always encrypted")
        if not 1 <= url_ttl <= MAX_URL_TTL:
            raise ValueError(f"url_ttl must be 1..{MAX_URL_TTL} seconds, got {url_ttl}")
        key: Optional[DataKey] = DataKey.generate() if encrypted else None
        fmt = FileFormat.seal(key, owner.secret_access_key, codec=codec, block_format=block_format)
        file_id = self._files.next_id()
        lengths: List[int] = []
        keys: List[str] = []
        try:
            for number, plain in enumerate(blocks, 1):
                stored = fmt.encode_block(plain, codec=codec, key=key, file_id=file_id, number=number)
                keys.append(block_key(file_id, number))
                self.put_object(keys[-1], stored)
                lengths.append(len(plain))
        except BaseException:
            for written in keys:
                self._store.delete(BLOCKS_BUCKET, written)
            raise
        return self._files.complete(
            file_id,
            owner=owner.access_key_id,
            url_ttl=url_ttl,
            unsupported=unsupported,
            fields=fmt.metadata_fields(),
            lengths=lengths,
            keys=keys,
        )
