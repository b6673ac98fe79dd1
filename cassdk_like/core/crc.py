"""Reflected CRCs (CRC-32C, CRC-32, CRC-64/XZ, CRC-64/NVME) in pure Python, with combination.

Why here: object stores checksum bodies with CRCs that ``zlib`` does not offer (S3's CRC-32C and
CRC-64/NVME, COS's CRC-64/ECMA-182, which is the xz variant), and a multipart object's CRC follows
from its parts' CRCs without reading the bytes again (:meth:`CrcSpec.combine`, zlib's GF(2)
operator method). Every variant here is reflected with an all-ones start and final XOR.

Speed: slice-by-8 over native 64-bit words, about 20 MiB/s on one core (eight table look-ups per
8 bytes); correct, but a C implementation should replace it before it guards large transfers.
"""

from __future__ import annotations

import sys
import threading
from typing import List, Optional, Union

__all__ = ["CRC32", "CRC32C", "CRC64_NVME", "CRC64_XZ", "CrcHasher", "CrcSpec"]

BytesLike = Union[bytes, bytearray, memoryview]

_NATIVE_LITTLE = sys.byteorder == "little"


class CrcSpec:
    """One reflected CRC: ``width`` bits, the reflected polynomial ``poly``. Thread-safe."""

    def __init__(self, name: str, width: int, poly: int) -> None:
        self.name = name
        self.width = width
        self.poly = poly
        self.mask = (1 << width) - 1
        self._tables: Optional[List[List[int]]] = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"CrcSpec({self.name!r}, width={self.width}, poly={self.poly:#x})"

    def _slices(self) -> List[List[int]]:
        """The eight slice-by-8 tables, built on first use (a few milliseconds)."""
        if self._tables is None:
            with self._lock:
                if self._tables is None:
                    first = []
                    for byte in range(256):
                        crc = byte
                        for _ in range(8):
                            crc = (crc >> 1) ^ self.poly if crc & 1 else crc >> 1
                        first.append(crc)
                    tables = [first]
                    for _ in range(7):
                        prev = tables[-1]
                        tables.append([(value >> 8) ^ first[value & 0xFF] for value in prev])
                    self._tables = tables
        return self._tables

    def update(self, register: int, data: BytesLike) -> int:
        """Feed ``data`` into a raw register (start from :attr:`mask`; the value is ``register ^ mask``)."""
        t0, t1, t2, t3, t4, t5, t6, t7 = self._slices()
        view = memoryview(data).cast("B")
        whole = len(view) // 8 * 8 if _NATIVE_LITTLE else 0
        crc = register
        if whole:
            for word in view[:whole].cast("Q"):
                x = crc ^ word
                crc = (
                    t7[x & 0xFF]
                    ^ t6[(x >> 8) & 0xFF]
                    ^ t5[(x >> 16) & 0xFF]
                    ^ t4[(x >> 24) & 0xFF]
                    ^ t3[(x >> 32) & 0xFF]
                    ^ t2[(x >> 40) & 0xFF]
                    ^ t1[(x >> 48) & 0xFF]
                    ^ t0[x >> 56]
                )
        for byte in view[whole:]:
            crc = t0[(crc ^ byte) & 0xFF] ^ (crc >> 8)
        return crc

    def of(self, data: BytesLike) -> int:
        """The CRC of ``data``."""
        return self.update(self.mask, data) ^ self.mask

    def combine(self, first: int, second: int, second_length: int) -> int:
        """The CRC of A+B from CRC(A), CRC(B) and len(B), without the bytes."""
        if second_length <= 0:
            return first
        odd = [self.poly] + [1 << bit for bit in range(self.width - 1)]  # one zero bit
        even = _gf2_square(odd)  # two zero bits
        odd = _gf2_square(even)  # four zero bits
        while True:
            even = _gf2_square(odd)  # one zero byte, then 4, 16, ...
            if second_length & 1:
                first = _gf2_times(even, first)
            second_length >>= 1
            if not second_length:
                break
            odd = _gf2_square(even)
            if second_length & 1:
                first = _gf2_times(odd, first)
            second_length >>= 1
            if not second_length:
                break
        return first ^ second


def _gf2_times(matrix: List[int], vector: int) -> int:
    total, row = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[row]
        vector >>= 1
        row += 1
    return total


def _gf2_square(matrix: List[int]) -> List[int]:
    return [_gf2_times(matrix, column) for column in matrix]


class CrcHasher:
    """An incremental CRC; ``digest`` is big-endian (what S3's checksum headers carry, base64'd)."""

    __slots__ = ("_register", "size", "spec")

    def __init__(self, spec: CrcSpec) -> None:
        self.spec = spec
        self._register = spec.mask
        self.size = 0

    def update(self, data: BytesLike) -> None:
        self._register = self.spec.update(self._register, data)
        self.size += len(memoryview(data).cast("B"))

    def value(self) -> int:
        return self._register ^ self.spec.mask

    def digest(self) -> bytes:
        return self.value().to_bytes(self.spec.width // 8, "big")

    def hexdigest(self) -> str:
        return self.digest().hex()


#: CRC-32 (zlib's, ISO-HDLC)
CRC32 = CrcSpec("crc32", 32, 0xEDB88320)
#: CRC-32C (Castagnoli, RFC 3720 appendix B.4)
CRC32C = CrcSpec("crc32c", 32, 0x82F63B78)
#: CRC-64/XZ, the ECMA-182 polynomial reflected: COS's x-cos-hash-crc64ecma (as a decimal number)
CRC64_XZ = CrcSpec("crc64ecma", 64, 0xC96C5795D7870F42)
#: CRC-64/NVME: S3's x-amz-checksum-crc64nvme
CRC64_NVME = CrcSpec("crc64nvme", 64, 0x9A6C9329AC4BC9B5)
