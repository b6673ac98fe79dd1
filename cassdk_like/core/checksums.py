"""Integrity strategies: how one service checks the bytes of an object, a part or a range.

Why a strategy and not a hard-wired hash: a vault's tree hash combines from the hashes of its
parts and comes back per range in a response header, while a bucket's whole-object SHA-256, MD5
or CRC32C combine from nothing, so the engine must hash such an object in order.  The engine asks
the strategy what it can do (``combinable``, ``range_header``) instead of knowing any service.
"""

from __future__ import annotations

import hashlib
import zlib
from typing import IO, Any, Dict, Optional, Protocol, Sequence, Union

import attrs

from cassdk_like.core.crc import CRC32C as CRC32C_SPEC
from cassdk_like.core.crc import CrcHasher
from cassdk_like.core.integrity import TreeHasher, combine_tree_hashes, feed_stream

__all__ = [
    "CRC32",
    "CRC32C",
    "MD5",
    "NO_INTEGRITY",
    "SHA256",
    "Crc32cHasher",
    "Hasher",
    "IntegrityStrategy",
    "NoIntegrity",
    "TreeHashIntegrity",
    "WholeObjectIntegrity",
    "crc32c",
    "describe",
    "digest_bytes",
    "digest_file",
]

BytesLike = Union[bytes, bytearray, memoryview]


class Hasher(Protocol):
    """An incremental digest of bytes fed in order."""

    def update(self, data: BytesLike) -> None: ...

    def hexdigest(self) -> str: ...


class IntegrityStrategy(Protocol):
    """What a service offers to check bytes with.

    ``combinable``: the digest of consecutive pieces (1 MiB x 2^n each but the last, laid out from
    offset 0) follows from the pieces' digests via ``combine``; otherwise the whole must be hashed
    in order.  ``range_header``: the response header that vouches for a ranged answer (None: the
    service sends none); it is optional per answer.
    """

    @property
    def name(self) -> str: ...

    @property
    def combinable(self) -> bool: ...

    @property
    def range_header(self) -> Optional[str]: ...

    def new_hasher(self) -> Hasher: ...

    def combine(self, digests: Sequence[str]) -> str:
        """The digest of consecutive pieces from theirs; only called when ``combinable``."""
        ...


@attrs.frozen
class TreeHashIntegrity:
    """The SHA-256 tree hash of 1 MiB leaves (vaults); hashlib's SHA-256 uses SHA-NI where present."""

    range_header: Optional[str] = None
    name: str = attrs.field(default="sha256-tree", init=False)
    combinable: bool = attrs.field(default=True, init=False)

    def new_hasher(self) -> Hasher:
        return TreeHasher()

    def combine(self, digests: Sequence[str]) -> str:
        return digests[0] if len(digests) == 1 else combine_tree_hashes(list(digests))


@attrs.frozen
class WholeObjectIntegrity:
    """One hashlib digest of the whole object (SHA-256, MD5): pieces cannot be combined."""

    name: str
    range_header: Optional[str] = None
    combinable: bool = attrs.field(default=False, init=False)

    def new_hasher(self) -> Hasher:
        return hashlib.new(self.name.replace("-", ""))

    def combine(self, digests: Sequence[str]) -> str:
        raise NotImplementedError(f"{self.name} digests do not combine")


class Crc32cHasher(CrcHasher):
    """CRC-32C (``core/crc.py``, pure Python: about 20 MiB/s), fine for tests and small objects.

    A C implementation should replace it before it guards large transfers. ``digest`` is the
    big-endian 4 bytes that S3's x-amz-checksum-crc32c carries, base64-encoded.
    """

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(CRC32C_SPEC)


def crc32c(data: BytesLike) -> int:
    """CRC-32C of ``data``."""
    hasher = Crc32cHasher()
    hasher.update(data)
    return hasher.value()


@attrs.frozen
class _Crc32cIntegrity:
    range_header: Optional[str] = None
    name: str = attrs.field(default="crc32c", init=False)
    combinable: bool = attrs.field(default=False, init=False)

    def new_hasher(self) -> Hasher:
        return Crc32cHasher()

    def combine(self, digests: Sequence[str]) -> str:
        raise NotImplementedError("crc32c digests are not combined here")


class Crc32Hasher:
    """zlib's CRC-32 (IEEE), about 3x faster than SHA-256 here: a cheap check of bytes re-read locally."""

    __slots__ = ("_value",)

    def __init__(self) -> None:
        self._value = 0

    def update(self, data: BytesLike) -> None:
        self._value = zlib.crc32(data, self._value)

    def hexdigest(self) -> str:
        return f"{self._value:08x}"


@attrs.frozen
class _Crc32Integrity:
    range_header: Optional[str] = None
    name: str = attrs.field(default="crc32", init=False)
    combinable: bool = attrs.field(default=False, init=False)

    def new_hasher(self) -> Hasher:
        return Crc32Hasher()

    def combine(self, digests: Sequence[str]) -> str:
        raise NotImplementedError("crc32 digests are not combined here")


class _NullHasher:
    def update(self, data: Any) -> None:
        return None

    def hexdigest(self) -> str:
        return ""


@attrs.frozen
class NoIntegrity:
    """Nothing to check against (a source without checksums); every digest is ""."""

    name: str = attrs.field(default="none", init=False)
    combinable: bool = attrs.field(default=True, init=False)
    range_header: Optional[str] = attrs.field(default=None, init=False)

    def new_hasher(self) -> Hasher:
        return _NullHasher()

    def combine(self, digests: Sequence[str]) -> str:
        return ""


_LABELS = {
    "sha256-tree": "tree hash",
    "sha256": "SHA-256",
    "md5": "MD5",
    "crc32": "CRC32",
    "crc32c": "CRC32C",
}


def describe(strategy: IntegrityStrategy) -> str:
    """The strategy's name for people ("tree hash"), for error messages."""
    return _LABELS.get(strategy.name, strategy.name)


SHA256 = WholeObjectIntegrity("sha256")
MD5 = WholeObjectIntegrity("md5")
CRC32 = _Crc32Integrity()
CRC32C = _Crc32cIntegrity()
NO_INTEGRITY = NoIntegrity()


def digest_bytes(data: BytesLike, strategies: Sequence[IntegrityStrategy]) -> Dict[str, str]:
    """The hex digest of ``data`` under each strategy, by strategy name."""
    hashers = {strategy.name: strategy.new_hasher() for strategy in strategies}
    for hasher in hashers.values():
        hasher.update(data)
    return {name: hasher.hexdigest() for name, hasher in hashers.items()}


def digest_file(
    fileobj: IO[bytes],
    offset: int,
    length: int,
    strategies: Sequence[IntegrityStrategy],
    *,
    label: str = "<file object>",
    operation: Optional[str] = None,
) -> Dict[str, str]:
    """The hex digest of ``length`` bytes of ``fileobj`` from ``offset`` under each strategy, in one
    read pass (the file's position moves; ``LocalFileError`` if it ends early)."""
    hashers = {strategy.name: strategy.new_hasher() for strategy in strategies}

    def update(chunk: memoryview) -> None:
        for hasher in hashers.values():
            hasher.update(chunk)

    feed_stream(fileobj, update, offset=offset, length=length, label=label, operation=operation)
    return {name: hasher.hexdigest() for name, hasher in hashers.items()}
