"""Our v1 blocks against cterasdk's own decoders, and independently built v1 blocks against ours.

cterasdk's reader (``cterasdk.direct.crypto``, ``decompressor``, ``lib``) is the reference for what
the portal's format is; the independent writer below uses only ``cryptography`` and ``cramjam``.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import os
import struct

import cramjam
import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cterasdk.direct import crypto as ctera_crypto
from cterasdk.direct import decompressor as ctera_decompressor
from cterasdk.direct import lib as ctera_lib
from cterasdk.direct.types import Chunk

from cassdk_like.core.blockfile import (
    BlockDecompressError,
    BlockDecryptError,
    Codec,
    DataKey,
    KeyUnwrapError,
    decode_block,
    encode_block,
    unwrap_key_v1,
    wrap_key_v1,
)
from tests.helpers.cterasdk_generation import READS_PLAIN_FILES

SECRET = base64.b64encode(os.urandom(32)).decode("ascii")
PLAIN = b"block file oracle " * 5000 + os.urandom(3000)


def _ctera_decode(block: bytes, key: DataKey, compressed: bool, length: int) -> bytes:
    """cterasdk's per-block pipeline: decrypt, decompress, length check."""
    chunk = Chunk(1, 0, "http://unused.invalid/", length)
    decrypted = asyncio.run(ctera_lib.decrypt_object(1, block, key.reveal(), chunk))
    if not READS_PLAIN_FILES:
        if not compressed:
            pytest.xfail(
                "this cterasdk (<= 2.20.22) decompresses every block: it cannot read uncompressed ones"
            )
        return bytes(asyncio.run(ctera_lib.decompress_object(1, decrypted, chunk)))
    library = "SNAPPY" if compressed else None
    return bytes(asyncio.run(ctera_lib.decompress_object(1, decrypted, library, chunk)))


@pytest.mark.parametrize("codec", list(Codec))
def test_cterasdk_decodes_our_v1_blocks(codec: Codec) -> None:
    key = DataKey.generate()
    block = encode_block(PLAIN, codec=codec, key=key)
    assert _ctera_decode(block, key, codec is not Codec.NONE, len(PLAIN)) == PLAIN


@pytest.mark.parametrize("codec", [Codec.GZIP, Codec.SNAPPY_RAW, Codec.SNAPPY_XERIAL])
def test_cterasdk_decompresses_our_unencrypted_payloads(codec: Codec) -> None:
    payload = encode_block(PLAIN, codec=codec, key=None)
    assert bytes(ctera_decompressor.decompress(payload)) == PLAIN


def test_cterasdk_unwraps_our_v1_wrapped_key() -> None:
    key = DataKey.generate()
    assert ctera_crypto.decrypt_key(wrap_key_v1(key, SECRET), SECRET) == key.reveal()


# --- an independent v1 writer -------------------------------------------------------------


def _independent_wrap(raw_key: bytes, secret: str) -> str:
    padder = padding.PKCS7(128).padder()
    plain = padder.update(b'"' + base64.b64encode(raw_key) + b'"') + padder.finalize()
    encryptor = Cipher(algorithms.AES(base64.b64decode(secret)[:32]), modes.ECB()).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def _independent_payload(codec: Codec, data: bytes) -> bytes:
    if codec is Codec.GZIP:
        return gzip.compress(data)
    if codec is Codec.SNAPPY_RAW:
        return bytes(cramjam.snappy.compress_raw(data))
    if codec is Codec.SNAPPY_XERIAL:
        out = b"\x82SNAPPY\x00" + struct.pack(">ii", 1, 1)
        for start in range(0, len(data), 20_000):  # not our writer's chunk size
            chunk = bytes(cramjam.snappy.compress_raw(data[start : start + 20_000]))
            out += struct.pack(">I", len(chunk)) + chunk
        return out
    return data


def _independent_block(raw_key: bytes, payload: bytes, header: int = 0x01) -> bytes:
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(payload) + padder.finalize()
    encryptor = Cipher(algorithms.AES(raw_key), modes.CBC(iv)).encryptor()
    return bytes([header]) + iv + encryptor.update(padded) + encryptor.finalize()


@pytest.mark.parametrize("codec", list(Codec))
def test_we_decode_independently_built_v1_blocks(codec: Codec) -> None:
    raw_key = os.urandom(32)
    key = unwrap_key_v1(_independent_wrap(raw_key, SECRET), SECRET)
    assert key == DataKey(raw_key)
    block = _independent_block(raw_key, _independent_payload(codec, PLAIN))
    assert (
        decode_block(block, key=key, compressed=codec is not Codec.NONE, expected_length=len(PLAIN)) == PLAIN
    )
    # and cterasdk agrees on the same bytes
    assert _ctera_decode(block, key, codec is not Codec.NONE, len(PLAIN)) == PLAIN


@pytest.mark.parametrize("header", [0x00, 0x01, 0x7F, 0xFF])
def test_v1_header_byte_is_not_interpreted(header: int) -> None:
    raw_key = os.urandom(32)
    block = _independent_block(raw_key, PLAIN, header)
    assert decode_block(block, key=DataKey(raw_key), compressed=False, expected_length=len(PLAIN)) == PLAIN


# --- what cterasdk accepts and we refuse ------------------------------------------------------


def test_short_secret_is_zero_padded_by_cterasdk_and_refused_by_us() -> None:
    short = base64.b64encode(os.urandom(16)).decode()
    raw_key = os.urandom(32)
    padder = padding.PKCS7(128).padder()
    plain = padder.update(b'"' + base64.b64encode(raw_key) + b'"') + padder.finalize()
    kek = base64.b64decode(short) + bytes(16)
    encryptor = Cipher(algorithms.AES(kek), modes.ECB()).encryptor()
    wrapped = base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()
    assert ctera_crypto.decrypt_key(wrapped, short) == raw_key
    with pytest.raises(KeyUnwrapError):
        unwrap_key_v1(wrapped, short)


def test_altered_padding_is_trimmed_by_cterasdk_and_refused_by_us() -> None:
    raw_key = os.urandom(32)
    block = bytearray(_independent_block(raw_key, b"x" * 32))  # a whole block of padding 0x10
    block[-17] ^= 0x01  # the pad byte becomes 0x11
    trimmed = ctera_crypto.decrypt_block(bytes(block), raw_key)
    assert len(trimmed) == 31  # silently one byte short
    with pytest.raises(BlockDecryptError):
        decode_block(bytes(block), key=DataKey(raw_key), compressed=False, expected_length=32)


def test_truncated_xerial_chunk_is_dropped_by_cterasdk_and_refused_by_us() -> None:
    payload = _independent_payload(Codec.SNAPPY_XERIAL, PLAIN)
    cut = payload[:-3]
    assert len(ctera_decompressor.decompress(cut)) < len(PLAIN)
    with pytest.raises(BlockDecompressError, match="ends inside"):
        decode_block(cut, key=None, compressed=True, expected_length=len(PLAIN))
