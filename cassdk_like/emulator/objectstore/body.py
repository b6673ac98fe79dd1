"""A request body as the bucket operations read it: plain, or decoded from a transfer envelope.

The service decides what the envelope is (S3: plain with a signed SHA-256, or ``aws-chunked``
with chunk signatures and trailing checksums); the operations only read decoded bytes and call
:meth:`BodySource.finish` at the end, which checks the envelope's own integrity claims.
"""

from __future__ import annotations

import hashlib
from typing import Dict, Optional, Protocol

from cassdk_like.emulator.objectstore.errors import StoreError
from cassdk_like.emulator.wire import BodyReader

__all__ = ["BodySource", "PlainBody", "content_sha256_mismatch", "read_small"]


class BodySource(Protocol):
    @property
    def length(self) -> Optional[int]:
        """The decoded length (None: read until ``read`` returns nothing)."""
        ...

    def read(self, size: int) -> bytes: ...

    def finish(self, sha256_hex: str) -> None:
        """After the last byte: raise StoreError when the envelope's claims do not hold;
        ``sha256_hex`` is the SHA-256 of the decoded bytes."""
        ...

    def trailers(self) -> Dict[str, str]:
        """Headers that followed the body (lower-case names; aws-chunked trailers), after finish."""
        ...


def content_sha256_mismatch(declared: str, computed: str) -> StoreError:
    return StoreError(
        "XAmzContentSHA256Mismatch",
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
        status=400,
        fields=[("ClientComputedContentSHA256", declared), ("S3ComputedContentSHA256", computed)],
    )


class PlainBody:
    """The bytes as sent; ``expected_sha256`` (hex, S3's signed payload) is checked at the end."""

    def __init__(self, reader: BodyReader, expected_sha256: Optional[str] = None) -> None:
        self._reader = reader
        self._expected = expected_sha256.lower() if expected_sha256 else None

    @property
    def length(self) -> Optional[int]:
        return self._reader.length

    def read(self, size: int) -> bytes:
        return self._reader.read(size)

    def finish(self, sha256_hex: str) -> None:
        if self._expected is not None and sha256_hex != self._expected:
            raise content_sha256_mismatch(self._expected, sha256_hex)

    def trailers(self) -> Dict[str, str]:
        return {}


def read_small(body: BodySource, limit: int, too_large: StoreError) -> bytes:
    """A small request document read whole (and its envelope checked)."""
    if body.length is not None and body.length > limit:
        raise too_large
    pieces = []
    total = 0
    while True:
        chunk = body.read(min(64 * 1024, limit + 1 - total))
        if not chunk:
            break
        pieces.append(chunk)
        total += len(chunk)
        if total > limit:
            raise too_large
        if body.length is not None and total >= body.length:
            break
    data = b"".join(pieces)
    body.finish(hashlib.sha256(data).hexdigest())
    return data
