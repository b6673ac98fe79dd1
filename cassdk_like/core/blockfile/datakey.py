"""The per-file data key: 32 bytes that never show up in a repr, a log line or a pickle."""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Any, NoReturn

__all__ = ["DATA_KEY_SIZE", "DataKey"]

#: AES-256
DATA_KEY_SIZE = 32

_FINGERPRINT_LABEL = b"cassdk_like directio data-key fingerprint"


class DataKey:
    """An AES-256 data encryption key held privately.

    Equality is constant-time; ``fingerprint`` is a short one-way tag that is safe to print and
    tells two keys apart. Pickling and copying are refused so the key cannot leave the process by
    accident (a multiprocessing queue, a cache, a crash dump of a pickled object).
    """

    __slots__ = ("__material",)

    def __init__(self, material: bytes) -> None:
        if not isinstance(material, (bytes, bytearray)) or len(material) != DATA_KEY_SIZE:
            raise ValueError(f"a data key is exactly {DATA_KEY_SIZE} bytes")
        self.__material = bytes(material)

    @classmethod
    def generate(cls) -> DataKey:
        """A fresh random key."""
        return cls(os.urandom(DATA_KEY_SIZE))

    def reveal(self) -> bytes:
        """The raw key bytes, for handing to a cipher; never for messages or storage."""
        return self.__material

    @property
    def fingerprint(self) -> str:
        """16 hex digits of a labelled SHA-256 of the key."""
        return hashlib.sha256(_FINGERPRINT_LABEL + self.__material).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"DataKey(fingerprint={self.fingerprint})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DataKey):
            return NotImplemented
        return hmac.compare_digest(self.__material, other.__material)

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError("a DataKey cannot be pickled")

    def __copy__(self) -> NoReturn:
        raise TypeError("a DataKey cannot be copied")

    def __deepcopy__(self, memo: Any) -> NoReturn:
        raise TypeError("a DataKey cannot be copied")
