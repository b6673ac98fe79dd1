"""What a file's metadata says about its blocks: encrypted or not, compressed or not, which format.

Both metadata schemas the portal has served are read (docs/directio-protocol.md §2.2); our v2
fields ride inside ``encrypt_info`` (docs/directio-protocol.md §2.3). A v2 file also carries, in
the two places the portal's readers look for a wrapped key, a marker that their base64 decoder
rejects, so an old reader fails on the key instead of decoding v2 blocks into garbage.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Dict, Mapping, Optional, Tuple

import attrs

from cassdk_like.core.blockfile.blocks import BlockFormat, FileId, Spare, decode_block, encode_block
from cassdk_like.core.blockfile.codecs import Buffer, Codec, compression_type
from cassdk_like.core.blockfile.datakey import DataKey
from cassdk_like.core.blockfile.errors import BlockFormatError
from cassdk_like.core.blockfile.keywrap import (
    KDF_SALT_SIZE,
    new_kdf_salt,
    unwrap_key_v1,
    unwrap_key_v2,
    wrap_key_v1,
    wrap_key_v2,
)

__all__ = ["LEGACY_READER_MARKER", "V2_KEY_FORMAT", "FileFormat"]

#: what ``wrapped_key`` holds for a v2 file: not valid base64 (23 alphabet characters)
LEGACY_READER_MARKER = "unsupported-block-format-2"
V2_KEY_FORMAT = "aes-kw-hkdf-sha256"
_COMPRESSION_TYPES = ("NONE", "GZIP", "SNAPPY")


def _malformed(why: str, resource: str) -> BlockFormatError:
    return BlockFormatError(why, operation="read file metadata", resource=resource)


def _v2_key_fields(info: Mapping[str, Any], resource: str) -> Tuple[str, bytes]:
    """The v2 wrapped key and KDF salt from ``encrypt_info``."""
    if info.get("key_format") != V2_KEY_FORMAT:
        raise _malformed("encrypt_info.key_format is not supported", resource)
    wrapped = info.get("wrapped_key_v2")
    salt_text = info.get("kdf_salt")
    if not isinstance(wrapped, str) or not isinstance(salt_text, str):
        raise _malformed("encrypt_info lacks wrapped_key_v2 or kdf_salt", resource)
    try:
        salt = base64.b64decode(salt_text, validate=True)
    except binascii.Error:
        raise _malformed("encrypt_info.kdf_salt is not base64", resource) from None
    if len(salt) != KDF_SALT_SIZE:
        raise _malformed(f"encrypt_info.kdf_salt is not {KDF_SALT_SIZE} bytes", resource)
    return wrapped, salt


@attrs.frozen
class FileFormat:
    """The block layout of one file and its wrapped data key (never the key itself)."""

    encrypted: bool
    compression: str = "SNAPPY"
    block_format: BlockFormat = BlockFormat.V1
    wrapped_key: Optional[str] = attrs.field(default=None, repr=False)
    kdf_salt: Optional[bytes] = attrs.field(default=None, repr=False)

    @property
    def compressed(self) -> bool:
        return self.compression != "NONE"

    @classmethod
    def seal(
        cls, key: Optional[DataKey], secret: str, *, codec: Codec, block_format: BlockFormat = BlockFormat.V1
    ) -> FileFormat:
        """The format of a new file whose blocks are encoded with ``codec`` under ``key``."""
        compression = compression_type(codec)
        if key is None:
            return cls(encrypted=False, compression=compression, block_format=BlockFormat.V1)
        if block_format is BlockFormat.V1:
            return cls(True, compression, BlockFormat.V1, wrap_key_v1(key, secret))
        salt = new_kdf_salt()
        return cls(True, compression, BlockFormat.V2, wrap_key_v2(key, secret, salt), salt)

    def metadata_fields(self) -> Dict[str, Any]:
        """The fields to put in the metadata document: the union of both schemas."""
        info: Dict[str, Any] = {"data_encrypted": self.encrypted}
        fields: Dict[str, Any] = {"encrypt_info": info, "compression_type": self.compression}
        if not self.encrypted:
            return fields
        if self.block_format is BlockFormat.V1:
            info["wrapped_key"] = self.wrapped_key
            fields["wrapped_key"] = self.wrapped_key
            return fields
        assert self.kdf_salt is not None
        info.update(
            wrapped_key=LEGACY_READER_MARKER,
            block_format=int(BlockFormat.V2),
            key_format=V2_KEY_FORMAT,
            wrapped_key_v2=self.wrapped_key,
            kdf_salt=base64.b64encode(self.kdf_salt).decode("ascii"),
        )
        fields["wrapped_key"] = LEGACY_READER_MARKER
        return fields

    @classmethod
    def from_metadata(cls, document: Mapping[str, Any], *, resource: str = "file") -> FileFormat:
        """Read either schema; the 8.3 ``encrypt_info`` wins over the legacy top-level key."""
        info = document.get("encrypt_info")
        if info is None:
            wrapped = document.get("wrapped_key")
            if not isinstance(wrapped, str):
                raise _malformed("the metadata has neither encrypt_info nor wrapped_key", resource)
            return cls(encrypted=True, compression="SNAPPY", block_format=BlockFormat.V1, wrapped_key=wrapped)
        if not isinstance(info, Mapping):
            raise _malformed("encrypt_info is not an object", resource)
        encrypted = info.get("data_encrypted")
        if not isinstance(encrypted, bool):
            raise _malformed("encrypt_info.data_encrypted is not a boolean", resource)
        compression = document.get("compression_type")
        if compression not in _COMPRESSION_TYPES:
            raise _malformed("compression_type is not one of NONE, GZIP, SNAPPY", resource)
        declared = info.get("block_format", 1)
        if isinstance(declared, bool) or declared not in (1, 2):
            raise _malformed(f"block format {declared!r} is not supported", resource)
        block_format = BlockFormat(declared)
        if not encrypted:
            if block_format is BlockFormat.V2:
                raise _malformed("block format 2 is always encrypted", resource)
            return cls(encrypted=False, compression=compression)
        if block_format is BlockFormat.V1:
            wrapped = info.get("wrapped_key")
            if not isinstance(wrapped, str):
                raise _malformed("encrypt_info.wrapped_key is missing", resource)
            return cls(True, compression, BlockFormat.V1, wrapped)
        wrapped, salt = _v2_key_fields(info, resource)
        return cls(True, compression, BlockFormat.V2, wrapped, salt)

    def unwrap(self, secret: str, *, resource: str = "file") -> Optional[DataKey]:
        """The file's data key (None for an unencrypted file)."""
        if not self.encrypted:
            return None
        assert self.wrapped_key is not None
        if self.block_format is BlockFormat.V1:
            return unwrap_key_v1(self.wrapped_key, secret, resource=resource)
        assert self.kdf_salt is not None
        return unwrap_key_v2(self.wrapped_key, secret, self.kdf_salt, resource=resource)

    def encode_block(
        self, plaintext: Buffer, *, codec: Codec, key: Optional[DataKey], file_id: FileId, number: int
    ) -> bytes:
        """One stored block of this file (``number`` is 1-based)."""
        self._check_key(key, "encode block", file_id)
        return encode_block(
            plaintext, codec=codec, key=key, block_format=self.block_format, file_id=file_id, number=number
        )

    def decode_block(
        self,
        data: Buffer,
        *,
        key: Optional[DataKey],
        expected_length: int,
        file_id: FileId,
        number: int,
        room: Optional[memoryview] = None,
        spare: Optional[Spare] = None,
    ) -> Buffer:
        """The plaintext of one stored block of this file, checked against its declared length
        (``room`` and ``spare``: see ``blocks.decode_block``)."""
        self._check_key(key, "decode block", file_id)
        return decode_block(
            data,
            key=key,
            compressed=self.compressed,
            expected_length=expected_length,
            block_format=self.block_format,
            file_id=file_id,
            number=number,
            room=room,
            spare=spare,
        )

    def _check_key(self, key: Optional[DataKey], operation: str, file_id: FileId) -> None:
        if (key is None) == self.encrypted:
            need = "needs" if self.encrypted else "takes no"
            raise BlockFormatError(
                f"an {'encrypted' if self.encrypted else 'unencrypted'} file {need} data key",
                operation=operation,
                resource=f"file {file_id}",
            )
