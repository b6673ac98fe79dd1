"""cterasdk, the portal's own client, reads what the emulator publishes, byte for byte.

Every codec, encrypted and not, several blocks, through ``metadata``, ``blocks`` and ``streamer``
with ranges (inclusive ends), over plain http on loopback; and the refusals it must see: revoked
and expired URLs, and a v2 file it cannot read (it fails on the key, never returns bytes).
"""

from __future__ import annotations

import asyncio
import base64
import os
from typing import List, Optional, Tuple

import pytest
from cterasdk.direct.client import DirectIO
from cterasdk.exceptions.direct import (
    AuthorizationError,
    DecryptKeyError,
    DirectIOError,
    DownloadError,
    ObjectNotFoundError,
    UnsupportedStorageError,
)
from cterasdk.exceptions.transport import NotFound

from cassdk_like.emulator import Emulator
from tests.helpers.cterasdk_generation import READS_PLAIN_FILES
from tests.integration.direct import cterasdk_driver as ctera
from tests.integration.direct.conftest import ShiftableClock

BLOCK = 64 * 1024
#: 3.5 blocks: compressible text, then random bytes (raw snappy and gzip both have work to do)
CONTENT = (b"DirectIO through the emulator. " * 5000)[: 2 * BLOCK] + os.urandom(BLOCK + BLOCK // 2)
CODECS = ["none", "gzip", "snappy", "snappy-raw"]
RANGES: List[Tuple[int, Optional[int]]] = [
    (0, 0),
    (0, BLOCK - 1),
    (BLOCK - 1, BLOCK),  # across a block edge
    (100, 3 * BLOCK + 5),  # three edges
    (BLOCK, None),  # open-ended from an edge
    (len(CONTENT) - 1, None),
    (5, len(CONTENT) + 100),  # an end past the file
]


@pytest.fixture(scope="module")
def published(direct_emulator: Emulator) -> dict:
    """(codec, encrypted) -> file id, all of CONTENT in BLOCK-sized blocks."""
    return {
        (codec, encrypted): direct_emulator.direct.publish_file(
            CONTENT, block_size=BLOCK, codec=codec, encrypted=encrypted
        )
        for codec in CODECS
        for encrypted in (True, False)
    }


def _cases() -> List[object]:
    """(codec, encrypted) pairs; a plain file is a strict xfail for a cterasdk that cannot read one."""
    cases: List[object] = []
    for codec in CODECS:
        for encrypted in (True, False):
            plain = codec == "none" or not encrypted
            marks = [] if READS_PLAIN_FILES or not plain else [_OLD_CTERASDK]
            cases.append(pytest.param(codec, encrypted, marks=marks, id=f"{codec}-{encrypted}"))
    return cases


_OLD_CTERASDK = pytest.mark.xfail(
    strict=True,
    reason="this cterasdk (<= 2.20.22, the newest for Python 3.9) reads only encrypted, compressed files",
)


def _base(emu: Emulator) -> str:
    return emu.endpoints["direct"]


@pytest.mark.parametrize(("codec", "encrypted"), _cases())
def test_blocks_are_byte_identical(
    direct_emulator: Emulator, published: dict, codec: str, encrypted: bool
) -> None:
    key = direct_emulator.direct.default_credentials
    got = ctera.blocks(_base(direct_emulator), key, published[(codec, encrypted)])
    assert [b.number for b in got] == [1, 2, 3, 4]
    assert [b.offset for b in got] == [0, BLOCK, 2 * BLOCK, 3 * BLOCK]
    assert b"".join(bytes(b.data) for b in got) == CONTENT


@pytest.mark.parametrize("encrypted", [True, False])
@pytest.mark.parametrize("codec", CODECS)
def test_metadata_as_cterasdk_reads_it(
    direct_emulator: Emulator, published: dict, codec: str, encrypted: bool
) -> None:
    key = direct_emulator.direct.default_credentials
    meta = ctera.metadata(_base(direct_emulator), key, published[(codec, encrypted)])
    assert meta.size == len(CONTENT)
    assert [c.length for c in meta.chunks] == [BLOCK, BLOCK, BLOCK, BLOCK // 2]
    assert meta.encrypted is encrypted
    assert meta.compressed is (codec != "none")
    if encrypted:
        assert len(base64.b64decode(meta.encryption_key)) == 32


@pytest.mark.parametrize("byte_range", RANGES)
@pytest.mark.parametrize(("codec", "encrypted"), _cases())
def test_streamer_ranges_are_byte_identical(
    direct_emulator: Emulator,
    published: dict,
    codec: str,
    encrypted: bool,
    byte_range: Tuple[int, Optional[int]],
) -> None:
    key = direct_emulator.direct.default_credentials
    start, end = byte_range
    expected = CONTENT[start:] if end is None else CONTENT[start : end + 1]
    assert ctera.stream(_base(direct_emulator), key, published[(codec, encrypted)], byte_range) == expected


def test_blocks_with_bounded_workers(direct_emulator: Emulator, published: dict) -> None:
    key = direct_emulator.direct.default_credentials
    got = ctera.blocks(_base(direct_emulator), key, published[("snappy", True)], max_workers=2)
    assert b"".join(bytes(b.data) for b in got) == CONTENT


def test_streamer_whole_file_unencrypted(direct_emulator: Emulator, published: dict) -> None:
    if not READS_PLAIN_FILES:
        pytest.xfail(
            "this cterasdk (<= 2.20.22, the newest for Python 3.9) reads only encrypted, compressed files"
        )
    key = direct_emulator.direct.default_credentials
    assert ctera.stream(_base(direct_emulator), key, published[("snappy-raw", False)]) == CONTENT


def test_blocks_with_a_range_return_the_covering_blocks(direct_emulator: Emulator, published: dict) -> None:
    key = direct_emulator.direct.default_credentials
    got = ctera.blocks(_base(direct_emulator), key, published[("gzip", True)], (BLOCK + 1, 2 * BLOCK))
    assert [b.number for b in got] == [2, 3]
    assert b"".join(bytes(b.data) for b in got) == CONTENT[BLOCK : 3 * BLOCK]


def test_a_published_bucket_object_reads_back(direct_emulator: Emulator) -> None:
    from tests.integration.direct.test_direct_emu_portal import put_s3_object

    put_s3_object(direct_emulator, "dio-source", "payload.bin", CONTENT)
    file_id = direct_emulator.direct.publish_object(
        "dio-source", "payload.bin", block_size=BLOCK, codec="snappy"
    )
    key = direct_emulator.direct.default_credentials
    assert ctera.stream(_base(direct_emulator), key, file_id) == CONTENT


def test_another_access_key_reads_its_own_files(direct_emulator: Emulator) -> None:
    other = direct_emulator.direct.create_access_key()
    file_id = direct_emulator.direct.publish_file(
        b"mine" * 1000, block_size=1000, access_key_id=other.access_key_id
    )
    assert ctera.stream(_base(direct_emulator), other, file_id) == b"mine" * 1000


# --- what cterasdk must be refused ------------------------------------------------------------


def _gather_blocks(base: str, key: object, file_id: int, between: object = None) -> None:
    """Fetch the metadata, call ``between()``, then fetch the blocks (so URLs can die in between)."""

    async def run() -> None:
        assert hasattr(key, "access_key_id")
        async with DirectIO(base, key.access_key_id, key.secret_access_key) as client:  # type: ignore[attr-defined]
            meta = await client._chunks(file_id)  # the metadata object executor() takes
            if callable(between):
                between()
            tasks = ctera.executor(client, meta)
            await asyncio.gather(*(await tasks()))

    asyncio.run(run())


@pytest.mark.usefixtures("fast_cterasdk_retries")
def test_revoked_file_refuses_urls_already_handed_out(direct_emulator: Emulator) -> None:
    direct = direct_emulator.direct
    file_id = direct.publish_file(CONTENT[:BLOCK], block_size=BLOCK)
    key = direct.default_credentials
    with pytest.raises(DownloadError):
        _gather_blocks(_base(direct_emulator), key, file_id, lambda: direct.revoke_file(file_id))
    with pytest.raises(NotFound):  # the metadata itself: 404, which cterasdk leaves unmapped
        ctera.blocks(_base(direct_emulator), key, file_id)


@pytest.mark.usefixtures("fast_cterasdk_retries")
def test_rotated_urls_are_refused_and_fresh_metadata_works(direct_emulator: Emulator) -> None:
    direct = direct_emulator.direct
    file_id = direct.publish_file(CONTENT[:BLOCK], block_size=BLOCK)
    key = direct.default_credentials
    with pytest.raises(DownloadError):
        _gather_blocks(_base(direct_emulator), key, file_id, lambda: direct.rotate_urls(file_id))
    assert ctera.stream(_base(direct_emulator), key, file_id) == CONTENT[:BLOCK]


@pytest.mark.usefixtures("fast_cterasdk_retries")
def test_expired_urls_are_refused(direct_emulator: Emulator, direct_clock: ShiftableClock) -> None:
    direct = direct_emulator.direct
    file_id = direct.publish_file(CONTENT[:BLOCK], block_size=BLOCK, url_ttl=60)
    key = direct.default_credentials
    try:
        with pytest.raises(DownloadError):
            _gather_blocks(_base(direct_emulator), key, file_id, lambda: direct_clock.shift(61))
    finally:
        direct_clock.shift(-61)
    assert ctera.stream(_base(direct_emulator), key, file_id) == CONTENT[:BLOCK]


@pytest.mark.usefixtures("fast_cterasdk_retries")
@pytest.mark.parametrize("codec", ["none", "gzip", "snappy"])
def test_a_v2_file_fails_in_cterasdk_instead_of_returning_bytes(
    direct_emulator: Emulator, codec: str
) -> None:
    direct = direct_emulator.direct
    file_id = direct.publish_file(CONTENT, block_size=BLOCK, codec=codec, block_format=2)
    key = direct.default_credentials
    with pytest.raises(DecryptKeyError):
        ctera.blocks(_base(direct_emulator), key, file_id)
    with pytest.raises(DecryptKeyError):
        ctera.stream(_base(direct_emulator), key, file_id)


@pytest.mark.usefixtures("fast_cterasdk_retries")
def test_portal_statuses_map_to_cterasdk_errors(direct_emulator: Emulator) -> None:
    direct = direct_emulator.direct
    key = direct.default_credentials
    base = _base(direct_emulator)
    with pytest.raises(ObjectNotFoundError):
        ctera.metadata(base, key, 999_999)
    stranger = type(key)("UNKNOWNKEY", key.secret_access_key)
    with pytest.raises(AuthorizationError):
        ctera.metadata(base, stranger, 1)
    file_id = direct.publish_file(b"x" * 10, block_size=4, unsupported_storage=True)
    with pytest.raises(UnsupportedStorageError):
        ctera.metadata(base, key, file_id)


@pytest.mark.usefixtures("fast_cterasdk_retries")
def test_wrong_secret_fails_in_cterasdk(direct_emulator: Emulator) -> None:
    direct = direct_emulator.direct
    key = direct.default_credentials
    file_id = direct.publish_file(b"secret stuff" * 100, block_size=500)
    wrong = type(key)(key.access_key_id, base64.b64encode(os.urandom(32)).decode())
    with pytest.raises(DirectIOError):
        ctera.blocks(_base(direct_emulator), wrong, file_id)
