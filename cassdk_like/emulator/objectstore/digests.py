"""The digests the bucket services compute over bodies: MD5 (ETags, Content-MD5), the S3 checksum
algorithms, and COS's CRC-64 (docs/bucket-protocol.md §3.2).

S3 carries checksums base64-encoded, big-endian for the CRCs; a multipart object's checksum is
either COMPOSITE (the checksum of the parts' raw checksums, ``-N`` appended) or FULL_OBJECT (the
CRCs only: the parts' CRCs combined as if the bytes had been hashed in one pass).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from typing import Callable, Dict, List, Optional, Protocol, Sequence, Union

from cassdk_like.core.crc import CRC32, CRC32C, CRC64_NVME, CRC64_XZ, CrcHasher, CrcSpec

__all__ = [
    "ALGORITHMS",
    "COMPOSITE",
    "FULL_OBJECT",
    "Digest",
    "Tee",
    "b64",
    "combine_full_object",
    "composite_checksum",
    "crc_spec",
    "decode_checksum",
    "new_digest",
]

BytesLike = Union[bytes, bytearray, memoryview]

COMPOSITE = "COMPOSITE"
FULL_OBJECT = "FULL_OBJECT"


class Digest(Protocol):
    def update(self, data: BytesLike) -> None: ...

    def digest(self) -> bytes: ...


class _Crc32(Digest):
    """zlib's CRC-32 (C speed), big-endian digest."""

    def __init__(self) -> None:
        self._value = 0

    def update(self, data: BytesLike) -> None:
        self._value = zlib.crc32(data, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(4, "big")


_FACTORIES: Dict[str, Callable[[], Digest]] = {
    "crc32": _Crc32,
    "crc32c": lambda: CrcHasher(CRC32C),
    "crc64nvme": lambda: CrcHasher(CRC64_NVME),
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
}
_SIZES = {"crc32": 4, "crc32c": 4, "crc64nvme": 8, "sha1": 20, "sha256": 32}
_CRCS = {"crc32": CRC32, "crc32c": CRC32C, "crc64nvme": CRC64_NVME}

#: the S3 checksum algorithms, by the name in ``x-amz-checksum-<name>``
ALGORITHMS = frozenset(_FACTORIES)
#: the algorithms each multipart checksum type allows
TYPE_ALGORITHMS = {COMPOSITE: frozenset({"crc32", "crc32c", "sha1", "sha256"}), FULL_OBJECT: frozenset(_CRCS)}


def new_digest(algorithm: str) -> Digest:
    return _FACTORIES[algorithm]()


def crc_spec(algorithm: str) -> Optional[CrcSpec]:
    return _CRCS.get(algorithm)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def decode_checksum(algorithm: str, value: str) -> Optional[bytes]:
    """The raw digest a header value carries, or None when it is not valid base64 of the right size."""
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == _SIZES[algorithm] else None


def composite_checksum(algorithm: str, part_values: Sequence[str]) -> str:
    """``base64(H(raw1 || raw2 ...))-N``: S3's checksum of a multipart object of type COMPOSITE."""
    digest = new_digest(algorithm)
    for value in part_values:
        digest.update(base64.b64decode(value))
    return f"{b64(digest.digest())}-{len(part_values)}"


def combine_full_object(algorithm: str, part_values: Sequence[str], part_sizes: Sequence[int]) -> str:
    """The whole object's CRC from its parts' CRCs (type FULL_OBJECT), without the bytes."""
    spec = _CRCS[algorithm]
    total = 0
    for index, (value, size) in enumerate(zip(part_values, part_sizes)):
        crc = int.from_bytes(base64.b64decode(value), "big")
        total = crc if index == 0 else spec.combine(total, crc, size)
    return b64(total.to_bytes(spec.width // 8, "big"))


class Tee:
    """Wraps a ``read(n)`` and feeds every byte read to MD5, the chosen checksums and, for COS,
    the CRC-64/XZ register."""

    def __init__(self, read: Callable[[int], bytes], algorithms: Sequence[str], crc64: bool) -> None:
        self._read = read
        self.md5 = hashlib.md5()  # noqa: S324 - the ETag and Content-MD5 are MD5 by definition
        self.digests: Dict[str, Digest] = {name: new_digest(name) for name in algorithms}
        self._crc64: Optional[int] = CRC64_XZ.mask if crc64 else None
        self.size = 0

    def read(self, size: int) -> bytes:
        chunk = self._read(size)
        if chunk:
            self.md5.update(chunk)
            for digest in self.digests.values():
                digest.update(chunk)
            if self._crc64 is not None:
                self._crc64 = CRC64_XZ.update(self._crc64, chunk)
            self.size += len(chunk)
        return chunk

    def checksums(self) -> Dict[str, str]:
        return {name: b64(digest.digest()) for name, digest in self.digests.items()}

    @property
    def crc64(self) -> Optional[int]:
        return None if self._crc64 is None else self._crc64 ^ CRC64_XZ.mask


def crc64_combine(values: Sequence[Optional[int]], sizes: Sequence[int]) -> Optional[int]:
    """COS's whole-object CRC-64 from its parts' (None if any part has none)."""
    known: List[int] = [value for value in values if value is not None]
    if len(known) != len(values) or not known:
        return None
    total = known[0]
    for crc, size in zip(known[1:], sizes[1:]):
        total = CRC64_XZ.combine(total, crc, size)
    return total
