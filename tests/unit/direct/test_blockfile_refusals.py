"""What the block file reader refuses: each case a typed error, never key material in the message."""

from __future__ import annotations

import base64
import copy
import gzip
import os
import pickle
import struct
import tracemalloc
from typing import Any, Dict

import cramjam
import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from cassdk_like.core.blockfile import (
    BlockDecompressError,
    BlockDecryptError,
    BlockFileError,
    BlockFormat,
    BlockFormatError,
    BlockValidationError,
    Codec,
    DataKey,
    FileFormat,
    KeyUnwrapError,
    decode_block,
    encode_block,
    unwrap_key_v1,
    unwrap_key_v2,
    wrap_key_v1,
    wrap_key_v2,
)
from cassdk_like.core.exceptions import CASClientError, InvalidArgumentError

SECRET_RAW = os.urandom(32)
SECRET = base64.b64encode(SECRET_RAW).decode("ascii")
PLAIN = b"0123456789abcdef" * 64  # 1024 bytes: the v1 padding is a whole block of 0x10


def _flip(data: bytes, index: int, bit: int = 0) -> bytes:
    out = bytearray(data)
    out[index] ^= 1 << bit
    return bytes(out)


def _v1(block: bytes, key: DataKey, compressed: bool = False, length: int = len(PLAIN)) -> bytes:
    return decode_block(block, key=key, compressed=compressed, expected_length=length)


def _v2(block: bytes, key: DataKey, file_id: Any = 5, number: int = 1, length: int = len(PLAIN)) -> bytes:
    return decode_block(
        block,
        key=key,
        compressed=True,
        expected_length=length,
        block_format=BlockFormat.V2,
        file_id=file_id,
        number=number,
    )


def _ecb_wrap(plain: bytes, kek: bytes = SECRET_RAW) -> str:
    encryptor = Cipher(algorithms.AES(kek), modes.ECB()).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")


def _pkcs7(data: bytes) -> bytes:
    padder = padding.PKCS7(128).padder()
    return padder.update(data) + padder.finalize()


def _assert_no_secrets(error: BaseException, *secrets: bytes) -> None:
    text = str(error) + repr(error)
    for secret in secrets:
        assert secret.hex() not in text
        assert base64.b64encode(secret).decode() not in text


# --- v1 ciphertext shape and padding ---------------------------------------------------------


@pytest.mark.parametrize("length", [0, 1, 16, 17, 18, 17 + 15, 17 + 17])
def test_v1_block_of_the_wrong_length_is_refused(length: int) -> None:
    with pytest.raises(BlockDecryptError):
        _v1(os.urandom(length), DataKey.generate())


def test_v1_wrong_key_is_always_refused_by_padding_or_length() -> None:
    # Unauthenticated CBC: a wrong key usually breaks the strict padding, but about one time in 256
    # the last byte decrypts to a valid pad; the declared length must then refuse the block.
    key = DataKey.generate()
    block = encode_block(PLAIN, codec=Codec.NONE, key=key)
    seen = set()
    for _ in range(600):
        other = DataKey.generate()
        with pytest.raises((BlockDecryptError, BlockValidationError)) as caught:
            _v1(block, other)
        seen.add(type(caught.value))
        _assert_no_secrets(caught.value, key.reveal(), other.reveal())
    assert BlockDecryptError in seen


def test_v1_wrong_key_whose_padding_looks_valid_is_refused_by_length() -> None:
    key = DataKey.generate()
    other = DataKey.generate()
    block = bytearray(encode_block(PLAIN, codec=Codec.NONE, key=key))
    decryptor = Cipher(algorithms.AES(other.reveal()), modes.ECB()).decryptor()
    last = decryptor.update(bytes(block[-16:])) + decryptor.finalize()
    block[-17] = last[-1] ^ 0x01  # under the wrong key the pad now reads as one byte of 0x01
    with pytest.raises(BlockValidationError, match="1039 differs from the declared 1024") as caught:
        _v1(bytes(block), other)
    _assert_no_secrets(caught.value, key.reveal(), other.reveal())


def test_v1_altered_padding_is_refused_not_trimmed() -> None:
    key = DataKey.generate()
    block = encode_block(PLAIN, codec=Codec.NONE, key=key)
    # the last byte of the second-to-last cipher block XORs into the pad byte: 0x10 becomes 0x11
    with pytest.raises(BlockDecryptError, match="padding"):
        _v1(_flip(block, len(block) - 17), key)


def test_v1_header_byte_of_format_2_is_refused() -> None:
    key = DataKey.generate()
    block = bytes([2]) + encode_block(PLAIN, codec=Codec.NONE, key=key)[1:]
    with pytest.raises(BlockDecryptError, match="format 2"):
        _v1(block, key)


def test_v1_iv_flip_in_a_gzip_block_is_caught_by_the_codec() -> None:
    key = DataKey.generate()
    block = encode_block(PLAIN, codec=Codec.GZIP, key=key)
    with pytest.raises(BlockFileError):
        _v1(_flip(block, 1), key, compressed=True)


def test_v1_decoded_length_must_match_the_block_map() -> None:
    key = DataKey.generate()
    for codec in Codec:
        block = encode_block(PLAIN, codec=codec, key=key)
        with pytest.raises(BlockValidationError):
            _v1(block, key, compressed=codec is not Codec.NONE, length=len(PLAIN) - 1)
        with pytest.raises(BlockValidationError):
            _v1(block, key, compressed=codec is not Codec.NONE, length=len(PLAIN) + 1)


# --- v1 key wrap ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "secret",
    [
        base64.b64encode(os.urandom(16)).decode(),  # the portal's client would pad this with zeros
        base64.b64encode(os.urandom(31)).decode(),
        "not base64 at all!",
        "",
    ],
)
def test_unusable_secrets_are_refused(secret: str) -> None:
    wrapped = wrap_key_v1(DataKey.generate(), SECRET)
    with pytest.raises(KeyUnwrapError) as caught:
        unwrap_key_v1(wrapped, secret)
    assert secret not in str(caught.value) or not secret
    with pytest.raises(KeyUnwrapError):
        unwrap_key_v2(wrap_key_v2(DataKey.generate(), SECRET, os.urandom(16)), secret, os.urandom(16))
    with pytest.raises(InvalidArgumentError):
        wrap_key_v1(DataKey.generate(), secret)


def test_wrong_secret_is_refused_and_named_without_secrets() -> None:
    key = DataKey.generate()
    wrapped = wrap_key_v1(key, SECRET)
    other = os.urandom(32)
    with pytest.raises(KeyUnwrapError) as caught:
        unwrap_key_v1(wrapped, base64.b64encode(other).decode())
    _assert_no_secrets(caught.value, key.reveal(), other, SECRET_RAW)
    assert isinstance(caught.value, CASClientError)


@pytest.mark.parametrize(
    "plain",
    [
        _pkcs7(b"'" + base64.b64encode(bytes(32)) + b"'"),  # other quote characters
        _pkcs7(base64.b64encode(bytes(32))),  # no quotes
        _pkcs7(b'"' + base64.b64encode(bytes(31)) + b'"'),  # a 31-byte key
        _pkcs7(b'"' + base64.b64encode(bytes(33)) + b'"'),  # a 33-byte key
        _pkcs7(b'" ' + base64.b64encode(bytes(32)) + b'"'),  # stray character inside
        (b'"' + base64.b64encode(bytes(32)) + b'"').ljust(48, b"\0"),  # zero padding, not PKCS#7
        (b'"' + base64.b64encode(bytes(32)) + b'"'),  # no padding at all (46 bytes)
    ],
)
def test_v1_unwrapped_key_must_be_exactly_quote_base64_quote(plain: bytes) -> None:
    wrapped = base64.b64encode(os.urandom(len(plain))).decode() if len(plain) % 16 else _ecb_wrap(plain)
    with pytest.raises(KeyUnwrapError):
        unwrap_key_v1(wrapped, SECRET)


@pytest.mark.parametrize("wrapped", ["", "@@@@", base64.b64encode(os.urandom(47)).decode()])
def test_v1_malformed_wrapped_key_is_refused(wrapped: str) -> None:
    with pytest.raises(KeyUnwrapError):
        unwrap_key_v1(wrapped, SECRET)


def test_v2_wrong_secret_or_salt_is_refused() -> None:
    salt = os.urandom(16)
    wrapped = wrap_key_v2(DataKey.generate(), SECRET, salt)
    with pytest.raises(KeyUnwrapError):
        unwrap_key_v2(wrapped, base64.b64encode(os.urandom(32)).decode(), salt)
    with pytest.raises(KeyUnwrapError):
        unwrap_key_v2(wrapped, SECRET, os.urandom(16))
    with pytest.raises(KeyUnwrapError):
        unwrap_key_v2(base64.b64encode(_flip(base64.b64decode(wrapped), 3)).decode(), SECRET, salt)


# --- codecs: corrupt, truncated, bombs -------------------------------------------------------


def test_truncated_xerial_chunk_is_an_error() -> None:
    payload = encode_block(PLAIN * 40, codec=Codec.SNAPPY_XERIAL, key=None)
    for cut in (1, 5):
        with pytest.raises(BlockDecompressError, match="ends inside"):
            decode_block(payload[:-cut], key=None, compressed=True, expected_length=len(PLAIN) * 40)


def test_xerial_header_alone_is_not_a_nonempty_block() -> None:
    payload = encode_block(b"", codec=Codec.SNAPPY_XERIAL, key=None)
    assert len(payload) == 16
    with pytest.raises(BlockValidationError):
        decode_block(payload, key=None, compressed=True, expected_length=10)


def test_corrupt_raw_snappy_is_an_error() -> None:
    # declares 5 bytes, then a copy from before the start of the output
    with pytest.raises(BlockDecompressError):
        decode_block(b"\x05abc", key=None, compressed=True, expected_length=5)
    with pytest.raises(BlockDecompressError, match="length header"):
        decode_block(b"\xff\xff", key=None, compressed=True, expected_length=5)


def test_gzip_without_its_trailer_is_an_error() -> None:
    payload = gzip.compress(PLAIN)
    with pytest.raises(BlockDecompressError, match=r"truncated|corrupt"):
        decode_block(payload[:-4], key=None, compressed=True, expected_length=len(PLAIN))


def test_gzip_with_trailing_garbage_is_an_error() -> None:
    payload = gzip.compress(PLAIN) + b"junk"
    with pytest.raises(BlockDecompressError):
        decode_block(payload, key=None, compressed=True, expected_length=len(PLAIN))


def test_two_gzip_members_decode_as_one_block() -> None:
    payload = gzip.compress(PLAIN[:100]) + gzip.compress(PLAIN[100:])
    assert decode_block(payload, key=None, compressed=True, expected_length=len(PLAIN)) == PLAIN


@pytest.mark.parametrize("codec", [Codec.GZIP, Codec.SNAPPY_RAW, Codec.SNAPPY_XERIAL])
def test_decompression_bomb_is_refused_within_the_declared_length(codec: Codec) -> None:
    bomb = encode_block(bytes(64 * 1024 * 1024), codec=codec, key=None)
    tracemalloc.start()
    try:
        with pytest.raises(BlockValidationError):
            decode_block(bomb, key=None, compressed=True, expected_length=4096)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024 + 2 * len(bomb)


def test_xerial_chunk_claiming_more_than_the_declared_length_is_refused() -> None:
    inner = bytes(cramjam.snappy.compress_raw(bytes(1000)))
    payload = b"\x82SNAPPY\x00" + struct.pack(">ii", 1, 1) + struct.pack(">I", len(inner)) + inner
    with pytest.raises(BlockValidationError):
        decode_block(payload, key=None, compressed=True, expected_length=999)


# --- v2 tamper, swap, reorder ------------------------------------------------------------------


@pytest.mark.parametrize("where", ["nonce", "ciphertext", "tag", "codec"])
def test_v2_bit_flip_anywhere_is_refused(where: str) -> None:
    key = DataKey.generate()
    block = encode_block(PLAIN, codec=Codec.SNAPPY_RAW, key=key, block_format=BlockFormat.V2, file_id=5)
    index = {"nonce": 2, "ciphertext": 20, "tag": len(block) - 1, "codec": 1}[where]
    with pytest.raises(BlockFileError):
        _v2(_flip(block, index), key)


def test_v2_blocks_swapped_or_reordered_within_a_file_are_refused() -> None:
    key = DataKey.generate()
    first, second = (
        encode_block(PLAIN, codec=Codec.NONE, key=key, block_format=BlockFormat.V2, file_id=5, number=n)
        for n in (1, 2)
    )
    assert _v2(first, key, number=1) == PLAIN
    with pytest.raises(BlockDecryptError, match="authentication"):
        _v2(second, key, number=1)
    with pytest.raises(BlockDecryptError, match="authentication"):
        _v2(first, key, number=2)


def test_v2_block_from_another_file_is_refused_even_under_the_same_key() -> None:
    key = DataKey.generate()
    block = encode_block(PLAIN, codec=Codec.NONE, key=key, block_format=BlockFormat.V2, file_id=5)
    with pytest.raises(BlockDecryptError):
        _v2(block, key, file_id=6)
    with pytest.raises(BlockDecryptError):
        _v2(block, key, file_id="5 ")


def test_v2_block_with_another_declared_length_is_refused() -> None:
    key = DataKey.generate()
    block = encode_block(PLAIN, codec=Codec.NONE, key=key, block_format=BlockFormat.V2, file_id=5)
    with pytest.raises(BlockDecryptError):
        _v2(block, key, length=len(PLAIN) - 1)


def test_v2_reader_refuses_a_v1_block_and_v1_reader_a_v2_block() -> None:
    key = DataKey.generate()
    v1 = encode_block(PLAIN, codec=Codec.NONE, key=key)
    with pytest.raises(BlockDecryptError, match="header byte"):
        _v2(v1, key)
    v2 = encode_block(PLAIN, codec=Codec.NONE, key=key, block_format=BlockFormat.V2, file_id=5)
    with pytest.raises(BlockDecryptError):
        _v1(v2, key)


def test_v2_unknown_codec_id_is_refused() -> None:
    key = DataKey.generate()
    block = encode_block(PLAIN, codec=Codec.NONE, key=key, block_format=BlockFormat.V2, file_id=5)
    with pytest.raises(BlockDecompressError, match="codec id"):
        _v2(block[:1] + b"\x09" + block[2:], key)


def test_v2_is_never_unencrypted() -> None:
    with pytest.raises(InvalidArgumentError):
        encode_block(PLAIN, codec=Codec.NONE, key=None, block_format=BlockFormat.V2)
    with pytest.raises(BlockDecryptError):
        decode_block(
            PLAIN, key=None, compressed=False, expected_length=len(PLAIN), block_format=BlockFormat.V2
        )


# --- metadata declarations ---------------------------------------------------------------------


def _v2_fields() -> Dict[str, Any]:
    fmt = FileFormat.seal(DataKey.generate(), SECRET, codec=Codec.GZIP, block_format=BlockFormat.V2)
    return fmt.metadata_fields()


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["encrypt_info"].update(block_format=3),
        lambda d: d["encrypt_info"].update(block_format=True),
        lambda d: d["encrypt_info"].update(key_format="aes-ecb"),
        lambda d: d["encrypt_info"].update(data_encrypted=False),
        lambda d: d["encrypt_info"].update(data_encrypted="yes"),
        lambda d: d["encrypt_info"].update(kdf_salt="AAAA"),
        lambda d: d["encrypt_info"].update(kdf_salt="!!"),
        lambda d: d["encrypt_info"].pop("wrapped_key_v2"),
        lambda d: d.update(compression_type="LZ4"),
        lambda d: d.update(encrypt_info=[]),
        lambda d: d.pop("encrypt_info") and d.pop("wrapped_key"),
    ],
)
def test_unknown_or_inconsistent_declarations_are_refused(change: Any) -> None:
    fields = _v2_fields()
    change(fields)
    with pytest.raises(BlockFormatError):
        FileFormat.from_metadata(fields)


def test_a_v2_file_read_as_v1_fails_on_the_key() -> None:
    fields = _v2_fields()
    fields["encrypt_info"].pop("block_format")
    downgraded = FileFormat.from_metadata(fields)
    with pytest.raises(KeyUnwrapError):
        downgraded.unwrap(SECRET)


def test_file_format_refuses_a_missing_or_surplus_key() -> None:
    encrypted = FileFormat.seal(DataKey.generate(), SECRET, codec=Codec.NONE)
    with pytest.raises(BlockFormatError):
        encrypted.decode_block(PLAIN, key=None, expected_length=len(PLAIN), file_id=1, number=1)
    plain = FileFormat.seal(None, SECRET, codec=Codec.NONE)
    with pytest.raises(BlockFormatError):
        plain.decode_block(PLAIN, key=DataKey.generate(), expected_length=len(PLAIN), file_id=1, number=1)


# --- the key object ---------------------------------------------------------------------------


def test_data_key_refuses_pickling_and_copying() -> None:
    key = DataKey.generate()
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(TypeError):
            pickle.dumps(key, protocol=protocol)
    with pytest.raises(TypeError):
        copy.copy(key)
    with pytest.raises(TypeError):
        copy.deepcopy(key)


@pytest.mark.parametrize("material", [b"", bytes(31), bytes(33), "x" * 32])
def test_data_key_is_exactly_32_bytes(material: Any) -> None:
    with pytest.raises(ValueError):
        DataKey(material)


# --- lengths a hostile portal or block could declare ------------------------------------------


@pytest.mark.parametrize("codec", list(Codec))
def test_a_huge_declared_length_is_refused_before_anything_is_allocated(codec: Codec) -> None:
    payload = encode_block(PLAIN, codec=codec, key=None)
    with pytest.raises(BlockValidationError):
        decode_block(payload, key=None, compressed=codec is not Codec.NONE, expected_length=2**40)


@pytest.mark.parametrize("length", [-1, True, 1.5])
def test_a_declared_length_that_is_not_a_byte_count_is_refused(length: Any) -> None:
    with pytest.raises(BlockValidationError):
        decode_block(PLAIN, key=None, compressed=False, expected_length=length)


def test_raw_snappy_announcing_more_than_its_size_can_hold_is_refused() -> None:
    claim = b"\x80\x80\x80\x80\x08" + b"\x00" * 8  # a varint of 2**31, then 8 bytes
    with pytest.raises(BlockDecompressError, match="announces more"):
        decode_block(claim, key=None, compressed=True, expected_length=2**31)
    framed = b"\x82SNAPPY\x00" + struct.pack(">ii", 1, 1) + struct.pack(">I", len(claim)) + claim
    with pytest.raises(BlockDecompressError, match="announces more"):
        decode_block(framed, key=None, compressed=True, expected_length=2**31)
