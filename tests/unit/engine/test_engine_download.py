"""download_to_path against in-memory sources: layout, verification, resume, cancel, progress."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import List

import pytest

from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.exceptions import (
    BadResponseError,
    HashDoesNotMatchError,
    LocalFileError,
    TransferCancelledError,
)
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.core.integrity import MiB, tree_hash
from cassdk_like.engine import CancelToken, ProgressEvent, TransferConfig, download_to_path, partial_paths
from cassdk_like.vault.errors import ResourceNotFoundException
from tests.helpers.engine_fakes import FakeFault, FakeSource, server_error

FAST = RetryPolicy(total_attempts=4, backoff_base=0.0, backoff_cap=0.0)
CFG = TransferConfig(max_workers=3, piece_size=MiB, retry_policy=FAST, journal_interval=0, poll_interval=0.02)


def payload(size: int) -> bytes:
    return bytes((7 * i) % 251 for i in range(size)) if size < 4096 else os.urandom(size)


@pytest.mark.parametrize(
    "size", [0, 1, 1000, MiB - 1, MiB, 2 * MiB, 3 * MiB + 17, 5 * MiB], ids=lambda s: f"{s}B"
)
def test_parallel_download_of_any_size_is_exact_and_verified(tmp_path: Path, size: int) -> None:
    data = payload(size)
    source = FakeSource(data)
    dest = tmp_path / "out.bin"
    result = download_to_path(source, dest, config=CFG)
    assert dest.read_bytes() == data
    assert result.size == size
    assert result.tree_hash == tree_hash(data)
    assert result.verified
    assert result.pieces_fetched == -(-size // MiB)
    assert result.bytes_fetched == size
    assert sorted((r.start, r.end) for r in source.requests) == [
        (s, min(s + MiB, size) - 1) for s in range(0, size, MiB)
    ]
    temp, journal = partial_paths(dest)
    assert not os.path.exists(temp)
    assert not os.path.exists(journal)


def test_piece_size_grows_to_keep_at_most_10000_pieces() -> None:
    assert TransferConfig(piece_size=MiB).piece_size_for(20_000 * MiB) == 2 * MiB
    assert TransferConfig().piece_size_for(1) == 8 * MiB


def test_mid_body_cut_resumes_from_the_current_byte(tmp_path: Path) -> None:
    data = payload(3 * MiB)
    source = FakeSource(data, faults=[FakeFault("cut", start=MiB, after=300_000)])
    result = download_to_path(source, tmp_path / "o", config=CFG)
    assert (tmp_path / "o").read_bytes() == data
    piece_requests = [r for r in source.requests if MiB <= r.start < 2 * MiB]
    assert [(r.start, r.end) for r in piece_requests] == [(MiB, 2 * MiB - 1), (MiB + 300_000, 2 * MiB - 1)]
    assert result.requests == 4
    assert result.bytes_fetched == len(data)  # nothing received twice


def test_repeated_cuts_keep_resuming_while_progressing(tmp_path: Path) -> None:
    data = payload(4 * MiB)
    source = FakeSource(data, faults=[FakeFault("cut", after=MiB + 1, times=6)])
    cfg = TransferConfig(max_workers=1, piece_size=4 * MiB, retry_policy=FAST, journal_interval=0)
    download_to_path(source, tmp_path / "o", config=cfg)
    assert (tmp_path / "o").read_bytes() == data
    assert [r.start for r in source.requests] == [0, MiB + 1, 2 * MiB + 2, 3 * MiB + 3]


@pytest.mark.parametrize("kind", ["wrong_range", "status200"])
def test_bad_content_range_is_retried(tmp_path: Path, kind: str) -> None:
    data = payload(2 * MiB + 5)
    source = FakeSource(data, faults=[FakeFault(kind, start=MiB)])
    download_to_path(source, tmp_path / "o", config=CFG)
    assert (tmp_path / "o").read_bytes() == data
    assert sum(1 for r in source.requests if r.start == MiB) == 2


def test_bad_content_range_every_time_gives_bad_response(tmp_path: Path) -> None:
    source = FakeSource(payload(2 * MiB), faults=[FakeFault("wrong_range", start=MiB, times=-1)])
    with pytest.raises(BadResponseError) as info:
        download_to_path(source, tmp_path / "o", config=CFG)
    assert info.value.local_path == str(tmp_path / "o")
    assert sum(1 for r in source.requests if r.start == MiB) == FAST.total_attempts
    assert not (tmp_path / "o").exists()


def test_corrupt_piece_once_is_refetched_and_fixed(tmp_path: Path) -> None:
    data = payload(3 * MiB)
    source = FakeSource(data, faults=[FakeFault("corrupt", start=MiB, after=12345)])
    result = download_to_path(source, tmp_path / "o", config=CFG)
    assert (tmp_path / "o").read_bytes() == data
    assert result.verified
    assert sum(1 for r in source.requests if r.start == MiB) == 2


def test_corrupt_piece_always_raises_and_leaves_no_destination(tmp_path: Path) -> None:
    source = FakeSource(payload(3 * MiB), faults=[FakeFault("corrupt", start=MiB, after=5, times=-1)])
    dest = tmp_path / "o"
    with pytest.raises(HashDoesNotMatchError) as info:
        download_to_path(source, dest, config=CFG)
    assert info.value.local_path == str(dest)
    assert info.value.expected == tree_hash(payload(3 * MiB)[MiB : 2 * MiB]) or info.value.expected
    assert not dest.exists()
    assert sum(1 for r in source.requests if r.start == MiB) == CFG.hash_attempts


def test_missing_hash_header_is_not_an_error(tmp_path: Path) -> None:
    data = payload(2 * MiB + 3)
    source = FakeSource(data, send_hash=False, expected_tree_hash=None)
    result = download_to_path(source, tmp_path / "o", config=CFG)
    assert (tmp_path / "o").read_bytes() == data
    assert not result.verified
    assert result.tree_hash == tree_hash(data)


def test_whole_output_mismatch_refetches_unverified_pieces_once(tmp_path: Path) -> None:
    data = payload(3 * MiB)
    source = FakeSource(data, send_hash=False, faults=[FakeFault("corrupt", start=2 * MiB, after=9)])
    result = download_to_path(source, tmp_path / "o", config=CFG)
    assert (tmp_path / "o").read_bytes() == data
    assert result.verified
    assert len(source.requests) == 6  # three pieces, then all three again (none had a header)


def test_wrong_expected_tree_hash_raises_after_one_refetch(tmp_path: Path) -> None:
    source = FakeSource(payload(2 * MiB), send_hash=False, expected_tree_hash="ab" * 32)
    with pytest.raises(HashDoesNotMatchError) as info:
        download_to_path(source, tmp_path / "o", config=CFG)
    assert info.value.expected == "ab" * 32
    assert not (tmp_path / "o").exists()
    assert len(source.requests) == 4


def test_bad_hash_header_once_is_retried(tmp_path: Path) -> None:
    data = payload(2 * MiB)
    source = FakeSource(data, faults=[FakeFault("bad_hash", start=0)])
    download_to_path(source, tmp_path / "o", config=CFG)
    assert (tmp_path / "o").read_bytes() == data


def test_server_errors_5xx_are_retried(tmp_path: Path) -> None:
    data = payload(2 * MiB)
    source = FakeSource(
        data, faults=[FakeFault("error", start=0, times=2, error=server_error(503, "SlowDown"))]
    )
    download_to_path(source, tmp_path / "o", config=CFG)
    assert (tmp_path / "o").read_bytes() == data
    assert sum(1 for r in source.requests if r.start == 0) == 3


def test_non_retryable_error_fails_fast_and_keeps_a_resumable_state(tmp_path: Path) -> None:
    data = payload(6 * MiB)
    missing = ResourceNotFoundException(404, "ResourceNotFoundException", "job expired")
    source = FakeSource(data, faults=[FakeFault("error", start=3 * MiB, error=missing)])
    dest = tmp_path / "o"
    with pytest.raises(ResourceNotFoundException) as info:
        download_to_path(source, dest, config=CFG)
    assert info.value.local_path == str(dest)
    assert sum(1 for r in source.requests if r.start == 3 * MiB) == 1
    assert not dest.exists()
    temp, journal_path = partial_paths(dest)
    finished = json.loads(Path(journal_path).read_text())["pieces"]
    assert os.path.getsize(temp) == len(data)
    # resume in a new call: only the pieces not in the journal are fetched
    again = FakeSource(data)
    result = download_to_path(again, dest, config=CFG)
    assert dest.read_bytes() == data
    assert result.pieces_resumed == len(finished)
    fetched = {r.start for r in again.requests}
    assert fetched.isdisjoint({offset for offset, *_ in finished})
    assert len(fetched) == 6 - len(finished)


def test_resume_false_or_foreign_journal_starts_over(tmp_path: Path) -> None:
    data = payload(2 * MiB)
    dest = tmp_path / "o"
    source = FakeSource(data, faults=[FakeFault("error", start=MiB, error=server_error(400, "BadRequest"))])
    with pytest.raises(Exception):
        download_to_path(source, dest, config=CFG)
    other = FakeSource(data, identity="another/job")
    download_to_path(other, dest, config=CFG)
    assert len(other.requests) == 2
    assert dest.read_bytes() == data


def test_keep_partial_false_removes_the_partial_state(tmp_path: Path) -> None:
    source = FakeSource(
        payload(2 * MiB), faults=[FakeFault("error", start=MiB, error=server_error(400, "BadRequest"))]
    )
    dest = tmp_path / "o"
    with pytest.raises(Exception):
        download_to_path(source, dest, config=CFG, keep_partial=False)
    assert sorted(os.listdir(tmp_path)) == []


def test_destination_folder_must_exist(tmp_path: Path) -> None:
    with pytest.raises(LocalFileError) as info:
        download_to_path(FakeSource(b"x"), tmp_path / "missing" / "o", config=CFG)
    assert "missing" in str(info.value)
    with pytest.raises(LocalFileError):
        download_to_path(FakeSource(b"x"), tmp_path, config=CFG)


def test_cancel_from_another_thread_stops_and_resumes_later(tmp_path: Path) -> None:
    data = payload(8 * MiB)
    token = CancelToken()
    started = threading.Event()

    def slow(rng: ByteRange, pos: int) -> None:
        started.set()
        if rng.start >= 2 * MiB:
            token.wait(5)  # these pieces hang until the cancel arrives

    source = FakeSource(data, read_hook=slow)
    dest = tmp_path / "o"
    threading.Timer(0.2, token.cancel).start()
    with pytest.raises(TransferCancelledError) as info:
        download_to_path(source, dest, config=CFG, cancel_token=token)
    assert "kept for resume" in str(info.value)
    assert not dest.exists()
    again = FakeSource(data)
    result = download_to_path(again, dest, config=CFG)
    assert dest.read_bytes() == data
    assert result.pieces_resumed >= 2
    assert all(r.start >= 2 * MiB for r in again.requests)


def test_progress_is_monotonic_and_ends_at_total(tmp_path: Path) -> None:
    data = payload(4 * MiB)
    events: List[ProgressEvent] = []
    source = FakeSource(data, faults=[FakeFault("corrupt", start=2 * MiB, after=MiB - 1)])
    cfg = TransferConfig(
        max_workers=2, piece_size=MiB, retry_policy=FAST, progress_interval=0, poll_interval=0.001
    )
    download_to_path(source, tmp_path / "o", config=cfg, progress=events.append)
    dones = [e.done for e in events]
    assert dones == sorted(dones)
    assert events[-1].done == events[-1].total == len(data)
    assert events[-1].finished
    assert all(e.rate >= 0 for e in events)


def test_progress_callback_errors_stop_the_download(tmp_path: Path) -> None:
    def boom(event: ProgressEvent) -> None:
        raise RuntimeError("callback failed")

    with pytest.raises(RuntimeError):
        download_to_path(FakeSource(payload(2 * MiB)), tmp_path / "o", config=CFG, progress=boom)
    assert not (tmp_path / "o").exists()
