"""DirectIO under damage and faults, over real HTTP against the emulator.

* v2 blocks (ours, AES-256-GCM with the file id, block number, length and codec as associated
  data): every tampered, truncated, reordered or swapped block is refused with a typed error
  naming the block, and nothing is written.
* v1 blocks (the portal's, unauthenticated AES-CBC): the table pins exactly what the strict
  padding, length and decompression checks catch, and what nobody can catch (a flip inside an
  uncompressed block, two blocks of equal size exchanged); RELIABILITY.md says so.
* signed URLs refused mid-stream: the metadata is fetched afresh once, then the block's typed error.
* a 5xx on a block is retried by the client's ``RetryPolicy``, within its attempts.
* an interrupted, cancelled or killed ``to_file`` leaves nothing at the destination.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Tuple, Type

import pytest

from cassdk_like.core.cancel import CancelToken
from cassdk_like.core.exceptions import TransferCancelledError
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.direct import (
    BlockError,
    BlockValidationError,
    ByteRange,
    DecompressBlockError,
    DecryptBlockError,
    DirectIO,
    DownloadError,
    ObjectNotFoundError,
    SignedURLExpiredError,
    StreamError,
)
from cassdk_like.emulator import Emulator
from cassdk_like.emulator.direct.service import METADATA_OPERATION
from cassdk_like.engine.placement import TEMP_SUFFIX
from tests.integration.direct.conftest import ShiftableClock

BLOCK = 16 * 1024
#: four blocks, the last one short; seeded so that every v1 outcome below is deterministic
CONTENT = random.Random(13).getrandbits(8 * (3 * BLOCK + 5000)).to_bytes(3 * BLOCK + 5000, "little")
QUICK = RetryPolicy(total_attempts=3, backoff_base=0.01, backoff_cap=0.02)
#: v1 layout: header byte, 16-byte IV, then AES blocks
V1_BODY = 17


@pytest.fixture(scope="module")
def clock() -> ShiftableClock:
    return ShiftableClock()


@pytest.fixture(scope="module")
def emu(clock: ShiftableClock) -> Iterator[Emulator]:
    with Emulator(job_delay_scale=0, clock=clock) as emulator:
        yield emulator


@pytest.fixture
def dio(emu: Emulator) -> Iterator[DirectIO]:
    key = emu.direct.default_credentials
    with DirectIO(
        emu.endpoints["direct"],
        key.access_key_id,
        key.secret_access_key,
        max_workers=2,
        window=2,
        retry_policy=QUICK,
        environ={},
    ) as client:
        yield client
    emu.faults.reset()


def _publish(emu: Emulator, block_format: int, codec: str = "snappy") -> int:
    return emu.direct.publish_file(
        CONTENT, block_size=BLOCK, codec=codec, encrypted=True, block_format=block_format
    )


# -- damage to a stored block ------------------------------------------------------------------

Damage = Callable[[Emulator, int], None]


def _flip(index: int) -> Damage:
    def damage(emu: Emulator, file_id: int) -> None:
        stored = bytearray(emu.direct.block_object(file_id, 2))
        stored[index] ^= 0x01
        emu.direct.replace_block_object(file_id, 2, bytes(stored))

    return damage


def _truncate(nbytes: int) -> Damage:
    def damage(emu: Emulator, file_id: int) -> None:
        emu.direct.replace_block_object(file_id, 2, emu.direct.block_object(file_id, 2)[:-nbytes])

    return damage


def _exchange(emu: Emulator, file_id: int) -> None:
    first, second = emu.direct.block_object(file_id, 1), emu.direct.block_object(file_id, 2)
    emu.direct.replace_block_object(file_id, 1, second)
    emu.direct.replace_block_object(file_id, 2, first)


def _last_into_second(emu: Emulator, file_id: int) -> None:
    emu.direct.replace_block_object(file_id, 2, emu.direct.block_object(file_id, 4))


def _other_files_block(block_format: int, codec: str) -> Damage:
    def damage(emu: Emulator, file_id: int) -> None:
        other = _publish(emu, block_format, codec)
        emu.direct.replace_block_object(file_id, 2, emu.direct.block_object(other, 2))

    return damage


def _refused(dio: DirectIO, file_id: int, tmp_path: Path) -> BlockError:
    """Both ways in fail with the same typed block error; nothing is left in the folder."""
    dest = tmp_path / "out.bin"
    with pytest.raises(BlockError) as by_file:
        dio.streamer(file_id).to_file(dest)
    assert os.listdir(tmp_path) == []
    with pytest.raises(BlockError) as by_blocks:
        dio.blocks(file_id)
    assert type(by_blocks.value) is type(by_file.value)
    return by_file.value


V2_DAMAGE: Dict[str, Damage] = {
    "bit-flip-in-the-header": _flip(1),
    "bit-flip-in-the-nonce": _flip(5),
    "bit-flip-in-the-ciphertext": _flip(200),
    "bit-flip-in-the-tag": _flip(-1),
    "truncated-by-one-byte": _truncate(1),
    "truncated-by-the-tag": _truncate(16),
    "reordered-within-the-file": _exchange,
    "last-block-in-place-of-another": _last_into_second,
    "another-files-block-same-number": _other_files_block(2, "snappy"),
}


@pytest.mark.parametrize("damage", list(V2_DAMAGE.values()), ids=list(V2_DAMAGE))
def test_v2_refuses_every_damaged_block(emu: Emulator, dio: DirectIO, tmp_path: Path, damage: Damage) -> None:
    file_id = _publish(emu, 2)
    damage(emu, file_id)
    error = _refused(dio, file_id, tmp_path)
    assert isinstance(error, DecryptBlockError), f"{type(error).__name__}: {error}"
    assert error.block is not None
    assert error.block.number in (1, 2)  # an exchange fails on whichever block arrives first
    assert f"block {error.block.number}" in str(error)


#: (damage, codec) -> the v1 reader's error, or None: accepted, the bytes silently differ
V1_TABLE: List[Tuple[str, Damage, str, Optional[Tuple[Type[BlockError], ...]]]] = [
    ("padding-byte-flipped", _flip(-17), "none", (DecryptBlockError,)),
    ("truncated-to-a-partial-aes-block", _truncate(7), "none", (DecryptBlockError,)),
    ("truncated-by-a-whole-aes-block", _truncate(16), "none", (DecryptBlockError,)),
    ("last-block-in-place-of-another", _last_into_second, "none", (BlockValidationError,)),
    ("another-files-block", _other_files_block(1, "none"), "none", (DecryptBlockError, BlockValidationError)),
    ("bit-flip-in-a-gzip-block", _flip(V1_BODY + 20), "gzip", (DecompressBlockError,)),
    ("bit-flip-in-an-uncompressed-block", _flip(V1_BODY + 20), "none", None),
    ("reordered-equal-blocks-uncompressed", _exchange, "none", None),
    ("reordered-equal-blocks-snappy", _exchange, "snappy", None),
]


@pytest.mark.parametrize(
    ("damage", "codec", "expected"), [row[1:] for row in V1_TABLE], ids=[r[0] for r in V1_TABLE]
)
def test_v1_detects_exactly_what_its_checks_can(
    emu: Emulator,
    dio: DirectIO,
    tmp_path: Path,
    damage: Damage,
    codec: str,
    expected: Optional[Tuple[Type[BlockError], ...]],
) -> None:
    file_id = _publish(emu, 1, codec)
    damage(emu, file_id)
    if expected is not None:
        error = _refused(dio, file_id, tmp_path)
        assert isinstance(error, expected), f"{type(error).__name__}: {error}"
        assert error.block is not None
        assert error.block.number == 2
        return
    # unauthenticated CBC: nothing in the block can tell; the bytes arrive altered
    got = b"".join(block.data for block in dio.blocks(file_id))
    assert len(got) == len(CONTENT)
    assert got != CONTENT


# -- signed URLs refused mid-stream ------------------------------------------------------------


def _block_path(file_id: int, number: int) -> str:
    return f"*/files/{file_id}/{number:06d}*"


def _metadata_requests(emu: Emulator) -> int:
    return int(emu.stats.snapshot()["services"]["direct"]["operations"].get(METADATA_OPERATION, 0))


def test_a_block_url_refused_again_after_the_refresh_names_the_block(emu: Emulator, dio: DirectIO) -> None:
    file_id = _publish(emu, 2)
    streamer = dio.streamer(file_id, ByteRange(0, None), window=1)
    first = next(streamer)
    before = _metadata_requests(emu)
    emu.faults.fail_next(None, status=403, code="AccessDenied", service="s3", path=_block_path(file_id, 3))
    second = next(streamer)
    with pytest.raises(StreamError) as caught:
        next(streamer)
    assert first + second == CONTENT[: 2 * BLOCK]
    assert caught.value.offset == 2 * BLOCK
    cause = caught.value.__cause__
    assert type(cause) is SignedURLExpiredError
    assert cause.block is not None
    assert cause.block.number == 3
    assert cause.status == 403
    assert f"file {file_id} block 3" in str(cause)
    assert "X-Amz-Signature" not in str(caught.value)
    assert streamer.refreshes == 1
    assert _metadata_requests(emu) - before == 1


def test_urls_that_expire_twice_mid_stream_stop_at_the_second_time(
    emu: Emulator, dio: DirectIO, clock: ShiftableClock
) -> None:
    file_id = _publish(emu, 1)
    emu.direct.set_url_ttl(file_id, 60)
    streamer = dio.streamer(file_id, None, window=1)
    got = [next(streamer)]
    before = _metadata_requests(emu)
    clock.shift(120)  # every URL minted so far has expired: renewed once
    try:
        got.append(next(streamer))
        clock.shift(120)  # the renewed ones too: no second renewal
        with pytest.raises(StreamError) as caught:
            got.extend(streamer)
    finally:
        clock.shift(-240)
    assert b"".join(got) == CONTENT[: caught.value.offset]
    cause = caught.value.__cause__
    assert type(cause) is SignedURLExpiredError
    assert cause.block is not None
    assert caught.value.offset == cause.block.offset
    assert cause.block.number in (3, 4)  # block 3 may have been fetched before the second expiry
    assert streamer.refreshes == 1
    assert _metadata_requests(emu) - before == 1


def test_a_file_revoked_mid_stream_refetches_once_then_names_the_block(emu: Emulator, dio: DirectIO) -> None:
    file_id = _publish(emu, 1)
    streamer = dio.streamer(file_id, None, window=1)
    first = next(streamer)
    before = _metadata_requests(emu)
    emu.direct.revoke_file(file_id)
    with pytest.raises(StreamError) as caught:
        list(streamer)
    assert caught.value.offset == len(first)
    cause = caught.value.__cause__
    assert isinstance(cause, DownloadError)
    assert cause.block is not None
    assert cause.block.number == 2
    assert isinstance(cause.__cause__, ObjectNotFoundError)
    assert streamer.refreshes == 1
    assert _metadata_requests(emu) - before == 1


# -- 5xx on a block ----------------------------------------------------------------------------


def _block_gets(emu: Emulator) -> int:
    return int(emu.stats.snapshot()["services"]["s3"]["operations"].get("GetObject", 0))


def test_a_5xx_on_a_block_is_retried_within_the_policy(emu: Emulator, dio: DirectIO) -> None:
    file_id = _publish(emu, 2)
    before = _block_gets(emu)
    emu.faults.fail_next(QUICK.total_attempts - 1, status=503, service="s3", path=_block_path(file_id, 2))
    assert b"".join(block.data for block in dio.blocks(file_id)) == CONTENT
    assert _block_gets(emu) - before == 4 + QUICK.total_attempts - 1


def test_a_5xx_that_outlasts_the_policy_names_the_block(emu: Emulator, dio: DirectIO, tmp_path: Path) -> None:
    file_id = _publish(emu, 2)
    emu.faults.fail_next(None, status=500, service="s3", path=_block_path(file_id, 2))
    before = _block_gets(emu)
    with pytest.raises(DownloadError) as caught:
        dio.blocks(file_id, [2])
    assert caught.value.status == 500
    assert caught.value.block is not None
    assert caught.value.block.number == 2
    assert _block_gets(emu) - before == QUICK.total_attempts
    with pytest.raises(DownloadError):
        dio.streamer(file_id).to_file(tmp_path / "out.bin")
    assert os.listdir(tmp_path) == []


# -- interrupted writes ------------------------------------------------------------------------


def test_ctrl_c_during_to_file_leaves_nothing_at_the_destination(
    emu: Emulator, dio: DirectIO, tmp_path: Path
) -> None:
    file_id = _publish(emu, 2)
    dest = tmp_path / "out.bin"

    def interrupt(event: object) -> None:
        if getattr(event, "done", 0) >= BLOCK:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        dio.streamer(file_id, progress=interrupt).to_file(dest)
    assert os.listdir(tmp_path) == []


def test_a_cancel_during_to_file_keeps_the_old_destination(
    emu: Emulator, dio: DirectIO, tmp_path: Path
) -> None:
    file_id = _publish(emu, 1)
    dest = tmp_path / "out.bin"
    dest.write_bytes(b"the old bytes")
    token = CancelToken()

    def cancel(event: object) -> None:
        if getattr(event, "done", 0) >= BLOCK:
            token.cancel()

    with pytest.raises(TransferCancelledError):
        dio.streamer(file_id, progress=cancel, cancel_token=token).to_file(dest)
    assert os.listdir(tmp_path) == ["out.bin"]
    assert dest.read_bytes() == b"the old bytes"


def test_a_killed_to_file_leaves_nothing_at_the_destination(emu: Emulator, tmp_path: Path) -> None:
    big = os.urandom(64 * BLOCK)
    file_id = emu.direct.publish_file(big, block_size=BLOCK, codec="none", block_format=2)
    key = emu.direct.default_credentials
    dest = tmp_path / "out.bin"
    emu.faults.set_rate_limit(256 * 1024, service="s3")  # ~4 s for the file
    env = dict(os.environ, CTERA_SECRET_ACCESS_KEY=key.secret_access_key)
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.helpers.direct_fetch_child",
            *(emu.endpoints["direct"], key.access_key_id, str(file_id), str(dest)),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        temps: List[Path] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and child.poll() is None:
            temps = [
                p
                for p in tmp_path.iterdir()
                if p.name.endswith(TEMP_SUFFIX) and p.stat().st_size >= 4 * BLOCK
            ]
            if temps:
                break
            time.sleep(0.02)
        assert temps, f"the child never wrote its temporary file (rc {child.poll()})"
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        emu.faults.reset()
        if child.poll() is None:
            child.kill()
            child.wait(10)
        if child.stderr is not None:
            child.stderr.close()
    assert not dest.exists()
    assert all(p.name.endswith(TEMP_SUFFIX) for p in tmp_path.iterdir())
