"""Every codec in both block formats decodes back to the plaintext, and metadata round-trips."""

from __future__ import annotations

import base64
import os
from typing import List, Optional

import pytest

from cassdk_like.core.blockfile import (
    IN_PLACE_SPARE,
    LEGACY_READER_MARKER,
    V1_HEADER,
    V2_HEADER,
    BlockDecryptError,
    BlockFormat,
    Codec,
    DataKey,
    FileFormat,
    decode_block,
    encode_block,
    unwrap_key_v1,
    unwrap_key_v2,
    wrap_key_v1,
    wrap_key_v2,
)

SECRET = base64.b64encode(bytes(range(32))).decode("ascii")
#: compressible and incompressible parts, longer than one snappy-java chunk
PLAINTEXT = b"directio " * 11_000 + os.urandom(5000)


@pytest.mark.parametrize("codec", list(Codec))
@pytest.mark.parametrize("size", [0, 1, 16, 100_003])
def test_v1_encrypted_round_trip(codec: Codec, size: int) -> None:
    key = DataKey.generate()
    plain = PLAINTEXT[:size]
    block = encode_block(plain, codec=codec, key=key)
    assert block[0] == V1_HEADER
    assert (len(block) - 17) % 16 == 0
    assert decode_block(block, key=key, compressed=codec is not Codec.NONE, expected_length=size) == plain


@pytest.mark.parametrize("codec", list(Codec))
def test_unencrypted_block_is_the_payload_alone(codec: Codec) -> None:
    block = encode_block(PLAINTEXT, codec=codec, key=None)
    if codec is Codec.NONE:
        assert block == PLAINTEXT
    got = decode_block(block, key=None, compressed=codec is not Codec.NONE, expected_length=len(PLAINTEXT))
    assert got == PLAINTEXT


@pytest.mark.parametrize("codec", list(Codec))
@pytest.mark.parametrize("size", [0, 1, 100_003])
def test_v2_round_trip(codec: Codec, size: int) -> None:
    key = DataKey.generate()
    plain = PLAINTEXT[:size]
    block = encode_block(plain, codec=codec, key=key, block_format=BlockFormat.V2, file_id=42, number=3)
    assert block[:2] == bytes([V2_HEADER, int(codec)])
    got = decode_block(
        block,
        key=key,
        compressed=True,
        expected_length=size,
        block_format=BlockFormat.V2,
        file_id=42,
        number=3,
    )
    assert got == plain


def test_v1_key_wrap_round_trip_and_layout() -> None:
    key = DataKey.generate()
    wrapped = wrap_key_v1(key, SECRET)
    assert len(base64.b64decode(wrapped)) == 48  # '"' + 44 base64 characters + '"', padded to 48
    assert unwrap_key_v1(wrapped, SECRET) == key


def test_v1_key_wrap_uses_the_first_32_bytes_of_a_longer_secret() -> None:
    key = DataKey.generate()
    longer = base64.b64encode(bytes(range(32)) + b"tail").decode("ascii")
    assert unwrap_key_v1(wrap_key_v1(key, longer), SECRET) == key


def test_v2_key_wrap_round_trip() -> None:
    key = DataKey.generate()
    salt = os.urandom(16)
    wrapped = wrap_key_v2(key, SECRET, salt)
    assert len(base64.b64decode(wrapped)) == 40
    assert unwrap_key_v2(wrapped, SECRET, salt) == key


@pytest.mark.parametrize(
    ("codec", "encrypted", "block_format"),
    [
        (Codec.SNAPPY_XERIAL, True, BlockFormat.V1),
        (Codec.GZIP, True, BlockFormat.V2),
        (Codec.NONE, False, BlockFormat.V1),
        (Codec.SNAPPY_RAW, False, BlockFormat.V1),
    ],
)
def test_file_format_survives_its_metadata(codec: Codec, encrypted: bool, block_format: BlockFormat) -> None:
    key: Optional[DataKey] = DataKey.generate() if encrypted else None
    written = FileFormat.seal(key, SECRET, codec=codec, block_format=block_format)
    fields = written.metadata_fields()
    read = FileFormat.from_metadata(fields)
    assert read == written
    assert read.unwrap(SECRET) == key
    block = written.encode_block(PLAINTEXT, codec=codec, key=key, file_id=9, number=1)
    assert read.decode_block(block, key=key, expected_length=len(PLAINTEXT), file_id=9, number=1) == PLAINTEXT


def test_v1_metadata_is_the_union_of_both_schemas() -> None:
    key = DataKey.generate()
    fields = FileFormat.seal(key, SECRET, codec=Codec.SNAPPY_RAW).metadata_fields()
    assert fields["compression_type"] == "SNAPPY"
    assert fields["encrypt_info"]["data_encrypted"] is True
    assert fields["encrypt_info"]["wrapped_key"] == fields["wrapped_key"]
    assert "block_format" not in fields["encrypt_info"]


def test_v2_metadata_hides_its_key_from_v1_readers() -> None:
    fields = FileFormat.seal(
        DataKey.generate(), SECRET, codec=Codec.GZIP, block_format=BlockFormat.V2
    ).metadata_fields()
    info = fields["encrypt_info"]
    assert info["block_format"] == 2
    assert info["key_format"] == "aes-kw-hkdf-sha256"
    assert info["wrapped_key"] == fields["wrapped_key"] == LEGACY_READER_MARKER
    assert len(base64.b64decode(info["kdf_salt"])) == 16


def test_legacy_schema_means_encrypted_and_compressed_v1() -> None:
    key = DataKey.generate()
    read = FileFormat.from_metadata({"wrapped_key": wrap_key_v1(key, SECRET), "chunks": []})
    assert read.encrypted
    assert read.compressed
    assert read.block_format is BlockFormat.V1
    assert read.unwrap(SECRET) == key


def test_data_key_is_private() -> None:
    raw = os.urandom(32)
    key = DataKey(raw)
    for text in (repr(key), str(key), f"{key}"):
        assert raw.hex() not in text
        assert base64.b64encode(raw).decode() not in text
        assert key.fingerprint in text
    assert len(key.fingerprint) == 16
    assert key == DataKey(raw)
    assert key != DataKey.generate()
    assert hash(key) == hash(DataKey(raw))


def _room_holding(block: bytes, extra: int = IN_PLACE_SPARE) -> bytearray:
    """A read buffer as the engine lends it: the block, then room to decrypt it in place."""
    room = bytearray(len(block) + extra)
    room[: len(block)] = block
    return room


@pytest.mark.parametrize(
    ("block_format", "encrypted"), [(BlockFormat.V1, True), (BlockFormat.V1, False), (BlockFormat.V2, True)]
)
@pytest.mark.parametrize("codec", list(Codec))
def test_decoding_in_lent_buffers_gives_the_same_plaintext(
    block_format: BlockFormat, codec: Codec, encrypted: bool
) -> None:
    key = DataKey.generate() if encrypted else None
    block = encode_block(PLAINTEXT, codec=codec, key=key, block_format=block_format, file_id=7, number=2)
    room = _room_holding(block)
    spare = bytearray(len(PLAINTEXT) + 100)
    asked: List[int] = []

    def lend() -> memoryview:
        asked.append(1)
        return memoryview(spare)

    options = {"key": key, "compressed": codec is not Codec.NONE, "expected_length": len(PLAINTEXT)}
    got = decode_block(
        memoryview(room)[: len(block)],
        block_format=block_format,
        file_id=7,
        number=2,
        room=memoryview(room),
        spare=lend,
        **options,
    )
    assert got == PLAINTEXT
    # snappy decompresses into the spare; the rest never ask for it
    assert len(asked) == (1 if codec in (Codec.SNAPPY_RAW, Codec.SNAPPY_XERIAL) else 0)
    if asked:
        assert isinstance(got, memoryview)
        assert got.obj is spare
    elif codec is Codec.NONE and block_format is BlockFormat.V1:
        assert isinstance(got, memoryview)
        assert got.obj is room  # the payload itself, no copy
    if encrypted:
        assert bytes(room[: len(block)]) != block  # decrypted in place, no block-sized buffer of its own


def test_a_tampered_v2_block_decrypted_in_place_is_refused() -> None:
    key = DataKey.generate()
    block = bytearray(encode_block(PLAINTEXT, codec=Codec.NONE, key=key, block_format=BlockFormat.V2))
    block[40] ^= 1
    room = _room_holding(bytes(block))
    with pytest.raises(BlockDecryptError, match="fails authentication"):
        decode_block(
            memoryview(room)[: len(block)],
            key=key,
            compressed=False,
            expected_length=len(PLAINTEXT),
            block_format=BlockFormat.V2,
            room=memoryview(room),
        )


def test_a_buffer_without_room_to_decrypt_in_place_is_not_used() -> None:
    key = DataKey.generate()
    block = encode_block(PLAINTEXT, codec=Codec.SNAPPY_XERIAL, key=key)
    room = _room_holding(block, extra=IN_PLACE_SPARE - 1)  # the cipher may write a block past its input
    got = decode_block(
        memoryview(room)[: len(block)],
        key=key,
        compressed=True,
        expected_length=len(PLAINTEXT),
        room=memoryview(room),
    )
    assert isinstance(got, bytes)
    assert got == PLAINTEXT
    assert bytes(room[: len(block)]) == block  # left as it was


def test_a_spare_too_small_for_the_plaintext_is_not_used() -> None:
    block = encode_block(PLAINTEXT, codec=Codec.SNAPPY_RAW, key=None)
    small = bytearray(len(PLAINTEXT) - 1)
    got = decode_block(
        block, key=None, compressed=True, expected_length=len(PLAINTEXT), spare=lambda: memoryview(small)
    )
    assert got == PLAINTEXT
    assert isinstance(got, bytes)
    assert small == bytearray(len(small))
