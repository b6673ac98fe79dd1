"""Our client beside cterasdk on the same emulator files: the same bytes where both read, and a
refusal (typed, nothing written) where cterasdk returns altered bytes without a word."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, Optional

import pytest

from cassdk_like.direct import ByteRange, DecryptBlockError, DirectIO
from cassdk_like.emulator import Emulator
from tests.helpers.cterasdk_generation import READS_PLAIN_FILES
from tests.integration.direct import cterasdk_driver as ctera

#: 16 n + 13 bytes: the v1 padding of each uncompressed block is three bytes of 0x03
BLOCK = 4 * 1024 + 13
CONTENT = os.urandom(3 * BLOCK + 700)


@pytest.fixture
def dio(direct_emulator: Emulator) -> Iterator[DirectIO]:
    key = direct_emulator.direct.default_credentials
    base = direct_emulator.endpoints["direct"]
    with DirectIO(base, key.access_key_id, key.secret_access_key, environ={}) as client:
        yield client


_OLD_CTERASDK = pytest.mark.xfail(
    not READS_PLAIN_FILES,
    strict=True,
    reason="this cterasdk (<= 2.20.22, the newest for Python 3.9) cannot read uncompressed files",
)


@pytest.mark.parametrize("codec", [pytest.param("none", marks=_OLD_CTERASDK), "gzip", "snappy", "snappy-raw"])
@pytest.mark.parametrize(
    ("start", "end"), [(0, None), (BLOCK - 1, BLOCK), (10, 2 * BLOCK + 7), (3 * BLOCK, None)]
)
def test_both_clients_read_the_same_bytes(
    direct_emulator: Emulator, dio: DirectIO, codec: str, start: int, end: Optional[int]
) -> None:
    key = direct_emulator.direct.default_credentials
    base = direct_emulator.endpoints["direct"]
    file_id = direct_emulator.direct.publish_file(CONTENT, block_size=BLOCK, codec=codec)
    theirs = ctera.stream(base, key, file_id, (start, end))
    ours = b"".join(dio.streamer(file_id, ByteRange(start, end)))
    stop = None if end is None else end + 1
    assert ours == theirs == CONTENT[start:stop]
    assert [b.data for b in dio.blocks(file_id)] == [bytes(b.data) for b in ctera.blocks(base, key, file_id)]


@_OLD_CTERASDK
def test_a_bad_padding_cterasdk_accepts_is_refused_here(
    direct_emulator: Emulator, dio: DirectIO, tmp_path: Path
) -> None:
    direct = direct_emulator.direct
    key = direct.default_credentials
    base = direct_emulator.endpoints["direct"]
    file_id = direct.publish_file(CONTENT, block_size=BLOCK, codec="none")
    stored = bytearray(direct.block_object(file_id, 2))
    stored[-16 - 2] ^= 0x01  # the second padding byte of the last AES block: 0x03 becomes 0x02
    direct.replace_block_object(file_id, 2, bytes(stored))
    theirs = ctera.stream(base, key, file_id)
    assert len(theirs) == len(CONTENT)
    assert theirs != CONTENT  # cterasdk strips the padding by its last byte and returns altered data
    dest = tmp_path / "out.bin"
    with pytest.raises(DecryptBlockError, match="padding") as caught:
        dio.streamer(file_id).to_file(dest)
    assert caught.value.block is not None
    assert caught.value.block.number == 2
    assert os.listdir(tmp_path) == []
