"""The DirectIO block file: codecs, block encryption in the portal's format and ours, key wrapping.

Shared by the emulator (writer) and the client (reader) so both speak one implementation of
docs/directio-protocol.md §4 and §5.
"""

from __future__ import annotations

from cassdk_like.core.blockfile.blocks import (
    IN_PLACE_SPARE,
    V1_HEADER,
    V2_HEADER,
    BlockFormat,
    FileId,
    block_resource,
    decode_block,
    encode_block,
)
from cassdk_like.core.blockfile.codecs import Codec, compress, compression_type, decompress, detect_codec
from cassdk_like.core.blockfile.datakey import DATA_KEY_SIZE, DataKey
from cassdk_like.core.blockfile.errors import (
    BlockDecompressError,
    BlockDecryptError,
    BlockFileError,
    BlockFormatError,
    BlockValidationError,
    KeyUnwrapError,
)
from cassdk_like.core.blockfile.fileformat import LEGACY_READER_MARKER, V2_KEY_FORMAT, FileFormat
from cassdk_like.core.blockfile.keywrap import (
    new_kdf_salt,
    unwrap_key_v1,
    unwrap_key_v2,
    wrap_key_v1,
    wrap_key_v2,
)

__all__ = [
    "DATA_KEY_SIZE",
    "IN_PLACE_SPARE",
    "LEGACY_READER_MARKER",
    "V1_HEADER",
    "V2_HEADER",
    "V2_KEY_FORMAT",
    "BlockDecompressError",
    "BlockDecryptError",
    "BlockFileError",
    "BlockFormat",
    "BlockFormatError",
    "BlockValidationError",
    "Codec",
    "DataKey",
    "FileFormat",
    "FileId",
    "KeyUnwrapError",
    "block_resource",
    "compress",
    "compression_type",
    "decode_block",
    "decompress",
    "detect_codec",
    "encode_block",
    "new_kdf_salt",
    "unwrap_key_v1",
    "unwrap_key_v2",
    "wrap_key_v1",
    "wrap_key_v2",
]
