"""One block of a block file, written and read in both formats (docs/directio-protocol.md §4).

v1 is the portal's: a header byte, a 16-byte IV and AES-256-CBC over the PKCS#7-padded payload,
with nothing authenticating it. v2 is ours: a version byte, the codec id, a 12-byte nonce and
AES-256-GCM whose associated data binds the file id, block number, plaintext length and codec, so
a flipped bit, a swapped block or a reordered block is refused. Unencrypted files carry the
payload alone. Readers refuse more than the portal's own client does, never less.
"""

from __future__ import annotations

import enum
import os
import struct
from typing import Callable, Optional, Union

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cassdk_like.core.blockfile.codecs import (
    DECODES_INTO,
    Buffer,
    Codec,
    check_stored_length,
    compress,
    decompress,
    detect_codec,
)
from cassdk_like.core.blockfile.datakey import DataKey
from cassdk_like.core.blockfile.errors import BlockDecompressError, BlockDecryptError
from cassdk_like.core.exceptions import InvalidArgumentError

__all__ = [
    "IN_PLACE_SPARE",
    "IV_SIZE",
    "NONCE_SIZE",
    "TAG_SIZE",
    "V1_HEADER",
    "V2_HEADER",
    "BlockFormat",
    "FileId",
    "Spare",
    "block_resource",
    "decode_block",
    "encode_block",
    "v2_associated_data",
]

FileId = Union[int, str]
#: lends a writable buffer for a block's decompressed bytes (see ``decode_block``)
Spare = Callable[[], memoryview]

V1_HEADER = 0x01
V2_HEADER = 0x02
IV_SIZE = 16
NONCE_SIZE = 12
TAG_SIZE = 16
_AES_BLOCK = 16
#: the bytes a ``room`` buffer needs beyond the block (what an AES update may write past its input)
IN_PLACE_SPARE = _AES_BLOCK
_V1_PREFIX = 1 + IV_SIZE
_V2_PREFIX = 2 + NONCE_SIZE
_V2_LABEL = b"cassdk_like directio block v2"
_AD_FIELDS = struct.Struct(">BBQQH")


class BlockFormat(enum.IntEnum):
    """How an encrypted block is laid out; the metadata declares it, the header byte confirms it."""

    V1 = 1
    V2 = 2


def block_resource(file_id: FileId, number: int) -> str:
    """How errors name a block."""
    return f"file {file_id} block {number}" if str(file_id) else f"block {number}"


def v2_associated_data(file_id: FileId, number: int, length: int, codec: Codec) -> bytes:
    """The bytes a v2 block's tag covers besides its ciphertext."""
    name = str(file_id).encode("utf-8")
    if len(name) > 0xFFFF:
        raise InvalidArgumentError("a file id is at most 65535 bytes", operation="encode block")
    return _V2_LABEL + _AD_FIELDS.pack(V2_HEADER, int(codec), number, length, len(name)) + name


def encode_block(
    plaintext: Buffer,
    *,
    codec: Codec,
    key: Optional[DataKey],
    block_format: BlockFormat = BlockFormat.V1,
    file_id: FileId = "",
    number: int = 1,
    iv: Optional[bytes] = None,
) -> bytes:
    """The stored bytes of one block; ``iv`` (v1) or nonce (v2) is random unless given."""
    payload = compress(codec, plaintext)
    if key is None:
        if block_format is not BlockFormat.V1:
            raise InvalidArgumentError("block format 2 is always encrypted", operation="encode block")
        return payload
    if block_format is BlockFormat.V1:
        iv = os.urandom(IV_SIZE) if iv is None else iv
        if len(iv) != IV_SIZE:
            raise InvalidArgumentError(f"the IV is {IV_SIZE} bytes", operation="encode block")
        padder = padding.PKCS7(128).padder()
        padded = padder.update(payload) + padder.finalize()
        encryptor = Cipher(algorithms.AES(key.reveal()), modes.CBC(iv)).encryptor()
        return bytes([V1_HEADER]) + iv + encryptor.update(padded) + encryptor.finalize()
    nonce = os.urandom(NONCE_SIZE) if iv is None else iv
    if len(nonce) != NONCE_SIZE:
        raise InvalidArgumentError(f"the nonce is {NONCE_SIZE} bytes", operation="encode block")
    associated = v2_associated_data(file_id, number, len(plaintext), codec)
    sealed = AESGCM(key.reveal()).encrypt(nonce, payload, associated)
    return bytes([V2_HEADER, int(codec)]) + nonce + sealed


def decode_block(
    data: Buffer,
    *,
    key: Optional[DataKey],
    compressed: bool,
    expected_length: int,
    block_format: BlockFormat = BlockFormat.V1,
    file_id: FileId = "",
    number: int = 1,
    room: Optional[memoryview] = None,
    spare: Optional[Spare] = None,
) -> Buffer:
    """The plaintext of one stored block, exactly ``expected_length`` bytes, or a typed error.

    ``room``: a writable buffer that begins with ``data`` (the buffer it was read into) and holds
    ``IN_PLACE_SPARE`` bytes more; a v1 block is then decrypted in place.  ``spare``: called at
    most once, only when the payload must be decompressed somewhere else, for a writable buffer
    of at least ``expected_length`` bytes.  With either, the result may be a view of ``room`` or of
    the spare buffer (the caller copies what it keeps, and learns which buffer holds it from the
    view's ``obj``); a reader decoding many blocks keeps a few such buffers for all of them.
    Without them the result is new ``bytes``.
    """
    resource = block_resource(file_id, number)
    if key is None:
        if block_format is not BlockFormat.V1:
            raise BlockDecryptError(
                "a v2 block needs a data key", operation="decrypt block", resource=resource
            )
        codec = detect_codec(data) if compressed else Codec.NONE
        payload: Buffer = data
    elif block_format is BlockFormat.V1:
        payload = _open_v1(data, key, resource, _in_place_room(room, len(memoryview(data))))
        codec = detect_codec(payload) if compressed else Codec.NONE
    else:
        codec, payload = _open_v2(
            data, key, file_id, number, expected_length, resource, _in_place_room(room, len(memoryview(data)))
        )
    if codec is Codec.NONE:
        check_stored_length(payload, expected_length, resource)
        lent = room is not None or spare is not None
        return memoryview(payload) if lent else bytes(payload)
    return decompress(
        codec, payload, expected_length, resource=resource, into=_spare_room(spare, codec, expected_length)
    )


def _in_place_room(room: Optional[memoryview], used: int) -> Optional[memoryview]:
    """``room`` when a block can be decrypted inside it (the cipher may write a block past its input)."""
    if room is None or room.readonly or len(room) < used + IN_PLACE_SPARE:
        return None
    return room


def _spare_room(spare: Optional[Spare], codec: Codec, expected_length: int) -> Optional[memoryview]:
    """Where a payload is decompressed, lent only by the codecs that write into a given buffer."""
    if spare is None or codec not in DECODES_INTO:
        return None
    out = spare()
    if out.readonly or len(out) < expected_length:
        return None
    return out[:expected_length]


#: bytes decrypted per step when the plaintext overwrites its own cipher text
_IN_PLACE_STEP = 256 * 1024


def _decrypt_over(decryptor: CipherContext, cipher: memoryview, target: memoryview) -> int:
    """Decrypt ``cipher`` into ``target``, which starts at the same byte; the bytes written.

    OpenSSL could do it in one call, but recent cryptography releases (51 here) refuse buffers
    that overlap, so each step goes through a small scratch buffer and is copied over the cipher
    text it has consumed; the block's memory stays one buffer.
    """
    scratch = memoryview(bytearray(_IN_PLACE_STEP + _AES_BLOCK))
    written = 0
    for start in range(0, len(cipher), _IN_PLACE_STEP):
        count = decryptor.update_into(cipher[start : start + _IN_PLACE_STEP], scratch)
        target[written : written + count] = scratch[:count]
        written += count
    return written


def _refuse(resource: str, why: str) -> BlockDecryptError:
    return BlockDecryptError(why, operation="decrypt block", resource=resource)


def _open_v1(data: Buffer, key: DataKey, resource: str, room: Optional[memoryview]) -> memoryview:
    view = memoryview(data)
    if len(view) < _V1_PREFIX + _AES_BLOCK or (len(view) - _V1_PREFIX) % _AES_BLOCK:
        raise _refuse(resource, f"a v1 block of {len(view)} bytes is not header + IV + whole AES blocks")
    if view[0] == V2_HEADER:
        raise _refuse(resource, "the block is in format 2 but the file declares format 1")
    decryptor = Cipher(algorithms.AES(key.reveal()), modes.CBC(bytes(view[1:_V1_PREFIX]))).decryptor()
    cipher = view[_V1_PREFIX:]
    padded: Buffer
    if room is not None:
        target = room[_V1_PREFIX:]
        written = _decrypt_over(decryptor, cipher, target)
        decryptor.finalize()  # nothing is held back: the input is whole cipher blocks
        padded = target[:written]
    else:
        padded = decryptor.update(cipher) + decryptor.finalize()
    # the padding lives in the last cipher block: unpad that one strictly, keep the rest as it is
    unpadder = padding.PKCS7(128).unpadder()
    try:
        last = unpadder.update(padded[-_AES_BLOCK:]) + unpadder.finalize()
    except ValueError:
        raise _refuse(resource, "the block's padding is invalid (wrong key or altered block)") from None
    return memoryview(padded)[: len(padded) - _AES_BLOCK + len(last)]


def _open_v2(
    data: Buffer,
    key: DataKey,
    file_id: FileId,
    number: int,
    length: int,
    resource: str,
    room: Optional[memoryview],
) -> tuple[Codec, Buffer]:
    view = memoryview(data)
    if len(view) < _V2_PREFIX + TAG_SIZE:
        raise _refuse(resource, f"a v2 block of {len(view)} bytes is shorter than its header and tag")
    if view[0] != V2_HEADER:
        raise _refuse(resource, f"the block's header byte {view[0]:#04x} is not format 2's")
    try:
        codec = Codec(view[1])
    except ValueError:
        raise BlockDecompressError(
            f"unknown codec id {view[1]}", operation="decompress block", resource=resource
        ) from None
    associated = v2_associated_data(file_id, number, length, codec)
    nonce = bytes(view[2:_V2_PREFIX])
    try:
        if room is None:
            return codec, AESGCM(key.reveal()).decrypt(nonce, view[_V2_PREFIX:], associated)
        # in place, as for v1; the plaintext is handed on only once the tag has been checked
        tag = bytes(view[len(view) - TAG_SIZE :])
        decryptor = Cipher(algorithms.AES(key.reveal()), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(associated)
        target = room[_V2_PREFIX:]
        written = _decrypt_over(decryptor, view[_V2_PREFIX : len(view) - TAG_SIZE], target)
        decryptor.finalize()
    except InvalidTag:
        raise _refuse(
            resource, "the block fails authentication (altered, moved or under another key)"
        ) from None
    return codec, target[:written]
