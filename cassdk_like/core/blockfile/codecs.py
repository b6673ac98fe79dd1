"""Block payload codecs: gzip, snappy-java's stream framing and raw snappy, each bounded.

Decoding never produces more than the block map's declared length: a payload that would inflate
past it is refused as soon as the excess is known, so a hostile block cannot exhaust memory
(docs/directio-protocol.md §4.3). Snappy comes from ``cramjam`` (Rust, wheels for every supported
Python); the Xerial framing around it is implemented here.
"""

from __future__ import annotations

import enum
import gzip
import struct
import zlib
from typing import List, Optional, Tuple, Union

import cramjam

from cassdk_like.core.blockfile.errors import BlockDecompressError, BlockValidationError

__all__ = [
    "DECODES_INTO",
    "GZIP_MAGIC",
    "XERIAL_MAGIC",
    "Codec",
    "check_stored_length",
    "compress",
    "compression_type",
    "decompress",
    "detect_codec",
]

GZIP_MAGIC = b"\x1f\x8b"
XERIAL_MAGIC = b"\x82SNAPPY\x00"
#: magic, then two big-endian int32 fields (format version, oldest compatible version)
_XERIAL_HEADER = struct.Struct(">8sii")
_XERIAL_LENGTH = struct.Struct(">I")
#: snappy-java's default uncompressed chunk size
XERIAL_CHUNK = 32 * 1024
#: raw snappy cannot expand more than 64 bytes per 3-byte copy tag; a larger claim is corrupt
_SNAPPY_MAX_RATIO = 22

Buffer = Union[bytes, bytearray, memoryview]


class Codec(enum.IntEnum):
    """A payload encoding; the value is the codec id bound into v2 blocks."""

    NONE = 0
    GZIP = 1
    SNAPPY_XERIAL = 2
    SNAPPY_RAW = 3


#: the codecs that decompress into a buffer the caller lends (the others make their own)
DECODES_INTO = frozenset({Codec.SNAPPY_RAW, Codec.SNAPPY_XERIAL})


def compression_type(codec: Codec) -> str:
    """The portal's ``compression_type`` word for a codec."""
    if codec is Codec.NONE:
        return "NONE"
    if codec is Codec.GZIP:
        return "GZIP"
    return "SNAPPY"


def detect_codec(payload: Buffer) -> Codec:
    """The codec of a compressed v1 payload, told by its first bytes as the portal's readers do."""
    head = bytes(payload[: len(XERIAL_MAGIC)])
    if head.startswith(GZIP_MAGIC):
        return Codec.GZIP
    if head == XERIAL_MAGIC:
        return Codec.SNAPPY_XERIAL
    return Codec.SNAPPY_RAW


def compress(codec: Codec, data: Buffer) -> bytes:
    """Encode a plaintext block with ``codec``."""
    if codec is Codec.NONE:
        return bytes(data)
    if codec is Codec.GZIP:
        return gzip.compress(bytes(data), mtime=0)
    if codec is Codec.SNAPPY_RAW:
        return bytes(cramjam.snappy.compress_raw(data))
    view = memoryview(data)
    parts = [_XERIAL_HEADER.pack(XERIAL_MAGIC, 1, 1)]
    for start in range(0, len(view), XERIAL_CHUNK):
        chunk = bytes(cramjam.snappy.compress_raw(view[start : start + XERIAL_CHUNK]))
        parts.append(_XERIAL_LENGTH.pack(len(chunk)))
        parts.append(chunk)
    return b"".join(parts)


def decompress(
    codec: Codec, payload: Buffer, expected_length: int, *, resource: str, into: Optional[memoryview] = None
) -> Buffer:
    """Decode ``payload`` into exactly ``expected_length`` bytes, or raise a typed error.

    Without ``into`` the result is new ``bytes``.  ``into``: a writable buffer of
    ``expected_length`` bytes (not overlapping ``payload``); snappy then decompresses into it and
    the result is a view of it, or of ``payload`` itself when nothing is compressed: the caller
    copies what it keeps.
    """
    if codec is Codec.NONE:
        check_stored_length(payload, expected_length, resource)
        return bytes(payload) if into is None else memoryview(payload)
    _check_declared(expected_length, resource)
    if codec is Codec.GZIP:
        return _gunzip(payload, expected_length, resource)
    if codec is Codec.SNAPPY_RAW:
        return _unsnappy_raw(payload, expected_length, resource, into)
    return _unsnappy_xerial(payload, expected_length, resource, into)


def check_stored_length(payload: Buffer, expected_length: int, resource: str) -> None:
    """Refuse an uncompressed payload that is not exactly the declared length."""
    _check_declared(expected_length, resource)
    if len(payload) != expected_length:
        raise _length_error(resource, len(payload), expected_length)


def _check_declared(expected_length: object, resource: str) -> None:
    if isinstance(expected_length, bool) or not isinstance(expected_length, int) or expected_length < 0:
        raise BlockValidationError(
            f"declared length {expected_length!r} is not a byte count",
            operation="validate block",
            resource=resource,
        )


def _length_error(resource: str, actual: object, expected: int) -> BlockValidationError:
    return BlockValidationError(
        f"decoded length {actual} differs from the declared {expected}",
        operation="validate block",
        resource=resource,
    )


def _corrupt(resource: str, codec: str, why: str) -> BlockDecompressError:
    return BlockDecompressError(f"{codec} payload {why}", operation="decompress block", resource=resource)


def _gunzip(payload: Buffer, expected: int, resource: str) -> bytes:
    out = bytearray()
    rest: Buffer = payload
    while True:
        if bytes(rest[: len(GZIP_MAGIC)]) != GZIP_MAGIC:
            raise _corrupt(resource, "gzip", "has a member that is not gzip")
        inflater = zlib.decompressobj(wbits=31)
        try:
            out += inflater.decompress(rest, expected + 1 - len(out))
        except zlib.error:
            raise _corrupt(resource, "gzip", "is corrupt") from None
        if len(out) > expected:
            raise _length_error(resource, f"more than {expected}", expected)
        if not inflater.eof:
            raise _corrupt(resource, "gzip", "is truncated")
        rest = inflater.unused_data
        if not rest:
            break
    if len(out) != expected:
        raise _length_error(resource, len(out), expected)
    return bytes(out)


def _raw_length(chunk: Buffer, resource: str, codec: str) -> int:
    """The length a raw snappy block announces, refused when no snappy stream could produce it."""
    try:
        declared = int(cramjam.snappy.decompress_raw_len(chunk))
    except cramjam.DecompressionError:
        raise _corrupt(resource, codec, "has a corrupt length header") from None
    if declared > len(chunk) * _SNAPPY_MAX_RATIO:
        raise _corrupt(resource, codec, "announces more than its size can hold")
    return declared


def _scratch(into: Optional[memoryview], expected: int) -> Union[bytearray, memoryview]:
    if into is not None and len(into) == expected and not into.readonly:
        return into
    return bytearray(expected)


def _result(out: Union[bytearray, memoryview]) -> Buffer:
    """A filled ``into`` as it is (the caller copies it), or new bytes."""
    return out if isinstance(out, memoryview) else bytes(out)


def _unsnappy_raw(payload: Buffer, expected: int, resource: str, into: Optional[memoryview]) -> Buffer:
    declared = _raw_length(payload, resource, "snappy")
    if declared != expected:
        raise _length_error(resource, declared, expected)
    out = _scratch(into, expected)
    try:
        written = cramjam.snappy.decompress_raw_into(payload, out)
    except cramjam.DecompressionError:
        raise _corrupt(resource, "snappy", "is corrupt") from None
    if written != expected:
        raise _length_error(resource, written, expected)
    return _result(out)


def _xerial_chunks(view: memoryview, resource: str) -> List[Tuple[memoryview, int]]:
    """Each chunk of a snappy-java stream with the length it announces (nothing decompressed)."""
    if len(view) < _XERIAL_HEADER.size or bytes(view[: len(XERIAL_MAGIC)]) != XERIAL_MAGIC:
        raise _corrupt(resource, "snappy-java", "has no stream header")
    chunks: List[Tuple[memoryview, int]] = []
    pos = _XERIAL_HEADER.size
    while pos < len(view):
        if pos + _XERIAL_LENGTH.size > len(view):
            raise _corrupt(resource, "snappy-java", "ends inside a chunk length")
        (size,) = _XERIAL_LENGTH.unpack_from(view, pos)
        pos += _XERIAL_LENGTH.size
        if size == 0 or pos + size > len(view):
            raise _corrupt(resource, "snappy-java", "ends inside a chunk")
        chunk = view[pos : pos + size]
        chunks.append((chunk, _raw_length(chunk, resource, "snappy-java")))
        pos += size
    return chunks


def _unsnappy_xerial(payload: Buffer, expected: int, resource: str, into: Optional[memoryview]) -> Buffer:
    chunks = _xerial_chunks(memoryview(payload), resource)
    announced = sum(produced for _, produced in chunks)
    if announced != expected:
        raise _length_error(resource, announced, expected)
    out = _scratch(into, expected)
    target = memoryview(out)
    filled = 0
    for chunk, produced in chunks:
        try:
            written = cramjam.snappy.decompress_raw_into(chunk, target[filled : filled + produced])
        except cramjam.DecompressionError:
            raise _corrupt(resource, "snappy-java", "has a corrupt chunk") from None
        if written != produced:
            raise _corrupt(resource, "snappy-java", "has a chunk shorter than it announces")
        filled += produced
    return _result(out)
