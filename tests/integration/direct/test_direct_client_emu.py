"""Our DirectIO client against the emulator's portal over real HTTP: every codec and both block
formats through metadata, blocks, streamer ranges and to_file; tampered, truncated, reordered and
swapped blocks refused with nothing written; URLs that expire or rotate mid-stream; revocation."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

import pytest

from cassdk_like.direct import (
    AuthorizationError,
    ByteRange,
    DecryptBlockError,
    DecryptKeyError,
    DirectIO,
    DirectIOError,
    DownloadError,
    FileAccessDeniedError,
    ObjectNotFoundError,
    StreamError,
    UnsupportedStorageError,
)
from cassdk_like.emulator import Emulator
from tests.integration.direct.conftest import ShiftableClock

BLOCK = 16 * 1024
CONTENT = (b"DirectIO over the emulator " * 2000)[: 3 * BLOCK] + os.urandom(5000)

#: (codec, encrypted, block format)
LAYOUTS: List[Tuple[str, bool, int]] = [
    ("none", False, 1),
    ("gzip", False, 1),
    ("snappy", False, 1),
    ("snappy-raw", False, 1),
    ("none", True, 1),
    ("gzip", True, 1),
    ("snappy", True, 1),
    ("snappy-raw", True, 1),
    ("none", True, 2),
    ("gzip", True, 2),
    ("snappy", True, 2),
    ("snappy-raw", True, 2),
]


@pytest.fixture
def dio(direct_emulator: Emulator) -> Iterator[DirectIO]:
    key = direct_emulator.direct.default_credentials
    with DirectIO(
        direct_emulator.endpoints["direct"],
        key.access_key_id,
        key.secret_access_key,
        max_workers=3,
        window=2,
        environ={},
    ) as client:
        yield client


def _publish(emu: Emulator, codec: str = "snappy", encrypted: bool = True, block_format: int = 1) -> int:
    return emu.direct.publish_file(
        CONTENT, block_size=BLOCK, codec=codec, encrypted=encrypted, block_format=block_format
    )


@pytest.mark.parametrize(("codec", "encrypted", "block_format"), LAYOUTS, ids=str)
def test_every_layout_reads_back_byte_identical(
    direct_emulator: Emulator, dio: DirectIO, tmp_path: Path, codec: str, encrypted: bool, block_format: int
) -> None:
    file_id = _publish(direct_emulator, codec, encrypted, block_format)
    meta = dio.metadata(file_id)
    assert (meta.size, len(meta.blocks), meta.encrypted) == (len(CONTENT), 4, encrypted)
    assert meta.block_format == block_format
    assert (meta.key_fingerprint is not None) == encrypted
    assert b"".join(b.data for b in dio.blocks(file_id)) == CONTENT
    picked = dio.blocks(file_id, [4, meta.blocks[1]], max_workers=2)
    assert [b.data for b in picked] == [CONTENT[3 * BLOCK :], CONTENT[BLOCK : 2 * BLOCK]]
    assert b"".join(dio.streamer(file_id)) == CONTENT
    for start, end in ((0, 0), (BLOCK - 1, BLOCK), (100, 3 * BLOCK + 10), (3 * BLOCK, None), (7, 10**9)):
        stop = None if end is None else end + 1
        assert b"".join(dio.streamer(file_id, ByteRange(start, end))) == CONTENT[start:stop]
    assert list(dio.streamer(file_id, ByteRange(len(CONTENT)))) == []
    dest = tmp_path / "out.bin"
    written = dio.streamer(file_id, ByteRange(BLOCK // 2, None)).to_file(dest)
    assert dest.read_bytes() == CONTENT[BLOCK // 2 :]
    assert written.size == len(CONTENT) - BLOCK // 2


def _refused_with_nothing_written(dio: DirectIO, file_id: int, tmp_path: Path) -> DirectIOError:
    dest = tmp_path / "refused.bin"
    with pytest.raises(DirectIOError) as caught:
        dio.streamer(file_id).to_file(dest)
    assert os.listdir(tmp_path) == []
    with pytest.raises(DirectIOError):
        dio.blocks(file_id)
    return caught.value


@pytest.mark.parametrize("block_format", [1, 2])
def test_a_truncated_block_is_refused(
    direct_emulator: Emulator, dio: DirectIO, tmp_path: Path, block_format: int
) -> None:
    file_id = _publish(direct_emulator, block_format=block_format)
    stored = direct_emulator.direct.block_object(file_id, 2)
    direct_emulator.direct.replace_block_object(file_id, 2, stored[:-7])
    error = _refused_with_nothing_written(dio, file_id, tmp_path)
    assert isinstance(error, DecryptBlockError)
    assert error.block is not None
    assert error.block.number == 2


def test_a_flipped_bit_in_a_v2_block_is_refused(
    direct_emulator: Emulator, dio: DirectIO, tmp_path: Path
) -> None:
    file_id = _publish(direct_emulator, block_format=2)
    stored = bytearray(direct_emulator.direct.block_object(file_id, 3))
    stored[40] ^= 0x10
    direct_emulator.direct.replace_block_object(file_id, 3, bytes(stored))
    error = _refused_with_nothing_written(dio, file_id, tmp_path)
    assert isinstance(error, DecryptBlockError)
    assert error.block is not None
    assert error.block.number == 3


@pytest.mark.parametrize("kind", ["swapped", "reordered"])
def test_moved_v2_blocks_are_refused(
    direct_emulator: Emulator, dio: DirectIO, tmp_path: Path, kind: str
) -> None:
    file_id = _publish(direct_emulator, block_format=2)
    direct = direct_emulator.direct
    if kind == "swapped":  # block 1 of another file with the same key layout
        other = _publish(direct_emulator, block_format=2)
        direct.replace_block_object(file_id, 1, direct.block_object(other, 1))
    else:  # blocks 1 and 2 exchanged
        first, second = direct.block_object(file_id, 1), direct.block_object(file_id, 2)
        direct.replace_block_object(file_id, 1, second)
        direct.replace_block_object(file_id, 2, first)
    error = _refused_with_nothing_written(dio, file_id, tmp_path)
    assert isinstance(error, DecryptBlockError)


def test_an_expired_url_mid_stream_fetches_the_metadata_once(
    direct_emulator: Emulator, dio: DirectIO, direct_clock: ShiftableClock
) -> None:
    file_id = _publish(direct_emulator)
    direct_emulator.direct.set_url_ttl(file_id, 60)
    streamer = dio.streamer(file_id, ByteRange(0, None), window=1)
    got = [next(streamer)]
    direct_clock.shift(120)  # every URL minted so far has expired
    try:
        got.extend(streamer)
    finally:
        direct_clock.shift(-120)
    assert b"".join(got) == CONTENT
    assert streamer.refreshes == 1


def test_rotated_urls_mid_stream_are_renewed_once(direct_emulator: Emulator, dio: DirectIO) -> None:
    file_id = _publish(direct_emulator)
    streamer = dio.streamer(file_id, None, window=1)
    got = [next(streamer)]
    direct_emulator.direct.rotate_urls(file_id)
    got.extend(streamer)
    assert b"".join(got) == CONTENT
    assert streamer.refreshes == 1


def test_a_file_revoked_mid_stream_stops_with_a_typed_error(direct_emulator: Emulator, dio: DirectIO) -> None:
    file_id = _publish(direct_emulator)
    streamer = dio.streamer(file_id, None, window=1)
    first = next(streamer)
    direct_emulator.direct.revoke_file(file_id)
    with pytest.raises(StreamError) as caught:
        list(streamer)
    assert caught.value.offset == len(first)
    cause = caught.value.__cause__
    assert isinstance(cause, DownloadError)
    assert isinstance(cause.__cause__, ObjectNotFoundError)
    with pytest.raises(ObjectNotFoundError) as gone:
        dio.metadata(file_id)
    assert gone.value.errno == errno.ENOENT


def test_portal_refusals_are_typed(direct_emulator: Emulator, dio: DirectIO) -> None:
    direct = direct_emulator.direct
    with pytest.raises(ObjectNotFoundError):
        dio.metadata(987654321)
    file_id = _publish(direct_emulator)
    direct.set_unsupported_storage(file_id)
    try:
        with pytest.raises(UnsupportedStorageError):
            dio.metadata(file_id)
    finally:
        direct.set_unsupported_storage(file_id, False)
    other = direct.create_access_key()
    theirs = direct.publish_file(CONTENT, block_size=BLOCK, access_key_id=other.access_key_id)
    with pytest.raises(FileAccessDeniedError):
        dio.metadata(theirs)


def test_a_revoked_access_key_is_an_authorization_error(direct_emulator: Emulator) -> None:
    direct = direct_emulator.direct
    key = direct.create_access_key()
    file_id = direct.publish_file(CONTENT, block_size=BLOCK, access_key_id=key.access_key_id)
    with DirectIO(
        direct_emulator.endpoints["direct"], key.access_key_id, key.secret_access_key, environ={}
    ) as mine:
        assert mine.metadata(file_id).size == len(CONTENT)
        direct.revoke_access_key(key.access_key_id)
        with pytest.raises(AuthorizationError) as caught:
            mine.metadata(file_id)
    assert caught.value.errno == errno.EACCES
    assert caught.value.status == 401


def test_a_wrong_secret_is_a_decrypt_key_error(direct_emulator: Emulator) -> None:
    key = direct_emulator.direct.default_credentials
    file_id = _publish(direct_emulator)
    wrong: Optional[str] = direct_emulator.direct.create_access_key().secret_access_key
    mine = DirectIO(direct_emulator.endpoints["direct"], key.access_key_id, wrong, environ={})
    with mine, pytest.raises(DecryptKeyError):
        mine.blocks(file_id)
