"""Inclusive byte ranges, validated once at the edge so nothing downstream sends a bad range.

Retrieval ranges (``RetrievalByteRange``), output ranges (``Range: bytes=a-b``), part ranges
(``Content-Range``) and List Parts' ``RangeInBytes`` all use the same inclusive ``a-b`` form.
Open-ended forms (``"5-"``, ``"-5"``) are rejected: the docs do not define them (docs/vault-protocol.md §3.4).
"""

from __future__ import annotations

import operator
import re
from typing import Any, Optional, Sequence, Tuple, Union

import attrs

from cassdk_like.core.exceptions import InvalidByteRangeError
from cassdk_like.core.integrity import MiB

__all__ = ["ByteRange", "ByteRangeLike"]

_RANGE_TEXT = re.compile(r"\s*([0-9]+)\s*-\s*([0-9]+)\s*")
_OPEN_TEXT = re.compile(r"\s*(?:[0-9]+\s*-|-\s*[0-9]+)\s*")
_CONTENT_RANGE = re.compile(r"\s*bytes\s+([0-9]+)\s*-\s*([0-9]+)\s*/\s*([0-9]+|\*)\s*", re.IGNORECASE)


def _fail(
    reason: str, value: Any, operation: Optional[str], resource: Optional[str]
) -> InvalidByteRangeError:
    return InvalidByteRangeError(
        f"invalid byte range {value!r}: {reason}", operation=operation, resource=resource
    )


def _check_bounds(
    start: Any, end: Any, value: Any, operation: Optional[str], resource: Optional[str]
) -> None:
    for bound in (start, end):
        if isinstance(bound, bool) or not isinstance(bound, int):
            raise _fail("start and end must be integers", value, operation, resource)
    if start < 0 or end < 0:
        raise _fail("start and end must not be negative", value, operation, resource)
    if end < start:
        raise _fail("end is before start (the range is inclusive: start-end)", value, operation, resource)


def _as_int(bound: Any, value: Any, operation: Optional[str], resource: Optional[str]) -> int:
    """Accept int-like objects (e.g. numpy integers) but never bools or floats."""
    if isinstance(bound, bool):
        raise _fail("start and end must be integers, not booleans", value, operation, resource)
    try:
        return operator.index(bound)
    except TypeError:
        raise _fail("start and end must be integers", value, operation, resource) from None


@attrs.frozen
class ByteRange:
    """Inclusive ``[start, end]``; ``length == end - start + 1`` (always >= 1)."""

    start: int
    end: int

    def __attrs_post_init__(self) -> None:
        _check_bounds(self.start, self.end, (self.start, self.end), None, None)

    @property
    def length(self) -> int:
        """Bytes in the range (both ends inclusive)."""
        return self.end - self.start + 1

    @classmethod
    def parse(
        cls, value: ByteRangeLike, *, operation: Optional[str] = None, resource: Optional[str] = None
    ) -> ByteRange:
        """Build from a ByteRange, ``"a-b"`` (whitespace tolerated), or an ``(a, b)`` pair."""
        if isinstance(value, ByteRange):
            return value
        if isinstance(value, str):
            match = _RANGE_TEXT.fullmatch(value)
            if match is None:
                if _OPEN_TEXT.fullmatch(value):
                    raise _fail(
                        "open-ended ranges are not supported; give start-end", value, operation, resource
                    )
                raise _fail("expected 'start-end' with non-negative integers", value, operation, resource)
            start, end = int(match.group(1)), int(match.group(2))
        elif isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
            if len(value) != 2:
                raise _fail("expected a (start, end) pair", value, operation, resource)
            start = _as_int(value[0], value, operation, resource)
            end = _as_int(value[1], value, operation, resource)
        else:
            raise _fail("expected 'start-end', (start, end) or ByteRange", value, operation, resource)
        _check_bounds(start, end, value, operation, resource)
        return cls(start, end)

    def to_header(self) -> str:
        """The ``Range`` request header value."""
        return f"bytes={self.start}-{self.end}"

    def __str__(self) -> str:
        """Wire form of ``RetrievalByteRange`` / ``RangeInBytes``."""
        return f"{self.start}-{self.end}"

    def check_within(
        self, total_size: int, *, operation: Optional[str] = None, resource: Optional[str] = None
    ) -> None:
        """Raise unless the range lies inside an object of ``total_size`` bytes."""
        if self.end >= total_size:
            raise _fail(
                f"ends past the last byte (size {total_size}, last byte {total_size - 1})",
                str(self),
                operation,
                resource,
            )

    def check_mib_aligned(
        self, total_size: int, *, operation: Optional[str] = None, resource: Optional[str] = None
    ) -> None:
        """Raise unless the range is megabyte-aligned as retrieval requires (docs/vault-protocol.md §3.4).

        Start must be a multiple of 1 MiB; end + 1 a multiple of 1 MiB or end the archive's last byte.
        The range must also lie inside the archive.
        """
        self.check_within(total_size, operation=operation, resource=resource)
        if self.start % MiB:
            raise _fail(f"start must be a multiple of 1 MiB ({MiB} bytes)", str(self), operation, resource)
        if (self.end + 1) % MiB and self.end != total_size - 1:
            raise _fail(
                f"end + 1 must be a multiple of 1 MiB ({MiB} bytes) or end must be the last byte "
                f"({total_size - 1})",
                str(self),
                operation,
                resource,
            )

    def shift(self, offset: int) -> ByteRange:
        """The same range moved by ``offset`` (e.g. output-relative -> archive-absolute)."""
        return ByteRange(self.start + offset, self.end + offset)

    @classmethod
    def from_content_range(cls, header: str) -> Tuple[ByteRange, Optional[int]]:
        """Parse ``"bytes a-b/total"`` or ``"bytes a-b/*"`` into (range, total or None).

        Malformed values raise ``InvalidByteRangeError``; the transport turns that into a bad response.
        """
        match = _CONTENT_RANGE.fullmatch(header) if isinstance(header, str) else None
        if match is None:
            raise InvalidByteRangeError(
                f"invalid Content-Range {header!r}: expected 'bytes start-end/total' or 'bytes start-end/*'"
            )
        start, end = int(match.group(1)), int(match.group(2))
        if end < start:
            raise InvalidByteRangeError(f"invalid Content-Range {header!r}: end is before start")
        total = None if match.group(3) == "*" else int(match.group(3))
        if total is not None and end >= total:
            raise InvalidByteRangeError(f"invalid Content-Range {header!r}: range ends past the total size")
        return cls(start, end), total


ByteRangeLike = Union[ByteRange, str, Tuple[int, int], Sequence[int]]
