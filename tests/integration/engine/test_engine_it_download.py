"""The engine over real HTTP on 127.0.0.1: ranged GETs, cuts, corruption, limits, cancel, kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator, List, Tuple

import attrs
import pytest

from cassdk_like.core.exceptions import HashDoesNotMatchError, LocalFileError, TransferCancelledError
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.core.integrity import MiB, tree_hash
from cassdk_like.engine import (
    CancelToken,
    TransferConfig,
    download_to_path,
    iter_range,
    partial_paths,
    start_transfer,
)
from tests.helpers.engine_download_child import CONFIG as CHILD_CONFIG
from tests.helpers.engine_download_child import IDENTITY
from tests.helpers.http_source import HttpRangeSource
from tests.helpers.range_server import Fault, RangeServer
from tests.helpers.signals import default_sigint

ROOT = Path(__file__).resolve().parents[3]
FAST = RetryPolicy(total_attempts=4, backoff_base=0.0, backoff_cap=0.0)
CFG = TransferConfig(
    max_workers=4,
    piece_size=MiB,
    stream_piece_size=MiB,
    retry_policy=FAST,
    journal_interval=0,
    poll_interval=0.02,
)


@pytest.fixture(scope="module")
def data() -> bytes:
    return os.urandom(6 * MiB + 4321)


@pytest.fixture
def server(data: bytes) -> Iterator[RangeServer]:
    with RangeServer(data=data) as srv:
        yield srv


def source_for(server: RangeServer, data: bytes) -> HttpRangeSource:
    # a fixed identity: a resumed download may talk to another server (port) for the same output
    return HttpRangeSource(server.url, len(data), expected_tree_hash=tree_hash(data), identity=IDENTITY)


def finished_pieces(journal_path: str) -> List[Tuple[int, int]]:
    try:
        doc = json.loads(Path(journal_path).read_text())
    except (OSError, ValueError):
        return []
    return [(offset, length) for offset, length, _hash, _verified in doc["pieces"]]


def test_runs_of_pieces_over_http_survive_a_cut_and_a_corrupt_run(tmp_path: Path) -> None:
    """One GET per run of pieces once the first request was measured; faults inside runs."""
    payload = os.urandom(16 * MiB + 99)
    runs = attrs.evolve(CFG, max_workers=1, max_request_size=8 * MiB, request_seconds=60.0)
    faults = [
        Fault("cut", start=4 * MiB, after=2 * MiB + 777),  # inside the 3rd piece of run 4..8
        Fault("corrupt", start=8 * MiB, after=5 * MiB),  # run 8..16 fails its tree hash once
    ]
    with RangeServer(data=payload, faults=faults) as srv:
        result = download_to_path(source_for(srv, payload), tmp_path / "o", config=runs)
        served = [(r.start, r.end) for r in srv.served]
    assert (tmp_path / "o").read_bytes() == payload
    assert result.verified
    assert served == [
        (0, MiB - 1),  # no measurement yet: one piece
        (MiB, 2 * MiB - 1),  # odd start: alone
        (2 * MiB, 4 * MiB - 1),
        (4 * MiB, 8 * MiB - 1),
        (6 * MiB + 777, 8 * MiB - 1),  # resumed from the byte received, not from the run start
        (8 * MiB, 16 * MiB - 1),
        (8 * MiB, 16 * MiB - 1),  # fetched again after the tree-hash mismatch
        (16 * MiB, 16 * MiB + 98),
    ]
    assert result.requests == 8
    assert result.pieces_fetched == 17


@pytest.mark.parametrize("size", [0, 1, 700_000, 4 * MiB, 6 * MiB + 4321], ids=lambda s: f"{s}B")
def test_download_sizes_over_http(tmp_path: Path, size: int) -> None:
    payload = os.urandom(size)
    with RangeServer(data=payload) as srv:
        result = download_to_path(source_for(srv, payload), tmp_path / "o", config=CFG)
        ranges = sorted((r.start, r.end) for r in srv.served)
    assert (tmp_path / "o").read_bytes() == payload
    assert result.verified
    assert ranges == [(s, min(s + MiB, size) - 1) for s in range(0, size, MiB)]


def test_connections_are_reused_across_pieces(tmp_path: Path, server: RangeServer, data: bytes) -> None:
    download_to_path(source_for(server, data), tmp_path / "o", config=CFG)
    assert len(server.served) == 7
    assert server.connections <= CFG.max_workers


def test_mid_body_cut_resumes_at_the_received_byte(tmp_path: Path, data: bytes) -> None:
    with RangeServer(data=data, faults=[Fault("cut", start=2 * MiB, after=123_456)]) as srv:
        result = download_to_path(source_for(srv, data), tmp_path / "o", config=CFG)
        starts = [r.start for r in srv.served if 2 * MiB <= r.start < 3 * MiB]
        sent = srv.bytes_sent
    assert (tmp_path / "o").read_bytes() == data
    assert starts == [2 * MiB, 2 * MiB + 123_456]  # the second Range starts past the piece start
    assert sent == len(data)  # not one byte sent twice
    assert result.verified


def test_corruption_once_is_fixed_and_always_fails_cleanly(tmp_path: Path, data: bytes) -> None:
    with RangeServer(data=data, faults=[Fault("corrupt", start=MiB, after=99)]) as srv:
        download_to_path(source_for(srv, data), tmp_path / "a", config=CFG)
        assert sum(1 for r in srv.served if r.start == MiB) == 2
    assert (tmp_path / "a").read_bytes() == data
    always = [Fault("corrupt", start=MiB, after=99, times=-1)]
    with RangeServer(data=data, faults=always) as srv, pytest.raises(HashDoesNotMatchError) as info:
        download_to_path(source_for(srv, data), tmp_path / "b", config=CFG)
    assert info.value.local_path == str(tmp_path / "b")
    assert not (tmp_path / "b").exists()


def test_server_errors_and_wrong_ranges_are_retried(tmp_path: Path, data: bytes) -> None:
    faults = [
        Fault("status", start=0, status=503, code="ServiceUnavailableException"),
        Fault("wrong_range", start=MiB),
    ]
    with RangeServer(data=data, faults=faults) as srv:
        download_to_path(source_for(srv, data), tmp_path / "o", config=CFG)
        assert len(srv.served) == 9
    assert (tmp_path / "o").read_bytes() == data


def test_bandwidth_limit_is_honoured_within_ten_percent(tmp_path: Path) -> None:
    payload = os.urandom(4 * MiB)
    limit = 8 * MiB
    cfg = TransferConfig(max_workers=4, piece_size=MiB, bandwidth_limit=limit)
    with RangeServer(data=payload) as srv:
        began = time.monotonic()
        download_to_path(source_for(srv, payload), tmp_path / "o", config=cfg)
        elapsed = time.monotonic() - began
    assert 0.9 <= (len(payload) / elapsed) / limit <= 1.1


def test_cancel_stops_within_a_second_and_the_journal_resumes(tmp_path: Path) -> None:
    payload = os.urandom(12 * MiB)
    dest = tmp_path / "o"
    token = CancelToken()
    cancelled_at: List[float] = []

    def cancel() -> None:
        cancelled_at.append(time.monotonic())
        token.cancel()

    # 4 workers x 1 MiB/s: about 3 s in all; a piece whose bytes are all in when the cancel is
    # seen is journaled (its bytes are on disk and hashed), the ones still arriving are not
    with RangeServer(data=payload, rate=MiB) as slow:
        threading.Timer(1.2, cancel).start()
        with pytest.raises(TransferCancelledError):
            download_to_path(source_for(slow, payload), dest, config=CFG, cancel_token=token)
        assert time.monotonic() - cancelled_at[0] < 1.0
    assert not dest.exists()
    done = finished_pieces(partial_paths(dest)[1])
    assert 1 <= len(done) < 12
    with RangeServer(data=payload) as fast:  # a fresh log: nothing from the cancelled requests
        result = download_to_path(source_for(fast, payload), dest, config=CFG)
        assert fast.bytes_sent == len(payload) - sum(length for _, length in done)
    assert dest.read_bytes() == payload
    assert result.pieces_resumed == len(done)


def test_kill_9_then_a_new_process_fetches_only_missing_pieces(tmp_path: Path) -> None:
    payload = os.urandom(8 * MiB)
    dest = tmp_path / "o"
    journal = partial_paths(dest)[1]
    command = [sys.executable, "-m", "tests.helpers.engine_download_child"]
    with RangeServer(data=payload, rate=MiB) as slow:
        child = subprocess.Popen(
            [*command, slow.url, str(len(payload)), str(dest), tree_hash(payload)], cwd=ROOT
        )
        try:
            deadline = time.monotonic() + 30
            while not finished_pieces(journal) and time.monotonic() < deadline and child.poll() is None:
                time.sleep(0.02)
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.wait()
    assert child.returncode == -signal.SIGKILL
    done = finished_pieces(journal)
    assert 1 <= len(done) < 12
    assert not dest.exists()
    with RangeServer(data=payload) as fast:
        result = download_to_path(source_for(fast, payload), dest, config=CHILD_CONFIG)
        refetched = [(r.start, r.end) for r in fast.served]
        sent = fast.bytes_sent
    assert dest.read_bytes() == payload
    assert result.pieces_resumed == len(done)
    for offset, length in done:
        assert all(end < offset or start >= offset + length for start, end in refetched)
    assert sent == len(payload) - sum(length for _, length in done)


def test_ctrl_c_stops_quickly_and_leaves_a_resumable_state(tmp_path: Path) -> None:
    payload = os.urandom(8 * MiB)
    dest = tmp_path / "o"
    journal = partial_paths(dest)[1]
    command = [sys.executable, "-m", "tests.helpers.engine_download_child"]
    with RangeServer(data=payload, rate=MiB) as slow:
        child = subprocess.Popen(
            [*command, slow.url, str(len(payload)), str(dest), tree_hash(payload)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            preexec_fn=default_sigint,  # noqa: PLW1509 - only restores a signal disposition
        )
        try:
            deadline = time.monotonic() + 30
            while not finished_pieces(journal) and time.monotonic() < deadline and child.poll() is None:
                time.sleep(0.02)
            interrupted = time.monotonic()
            child.send_signal(signal.SIGINT)
            _, stderr = child.communicate(timeout=10)
            stopped = time.monotonic() - interrupted
        finally:
            child.kill()
    assert b"KeyboardInterrupt" in stderr
    assert child.returncode != 0
    assert stopped < 1.5  # the coordinator wakes every poll_interval; workers stop within a chunk
    assert not dest.exists()
    done = finished_pieces(journal)
    assert len(done) >= 1
    with RangeServer(data=payload) as fast:
        download_to_path(source_for(fast, payload), dest, config=CHILD_CONFIG)
        assert fast.bytes_sent == len(payload) - sum(length for _, length in done)
    assert dest.read_bytes() == payload


def test_a_second_download_to_the_same_path_is_refused(tmp_path: Path, data: bytes) -> None:
    dest = tmp_path / "o"
    with RangeServer(data=data, rate=4 * MiB) as srv:
        future = start_transfer(download_to_path, source_for(srv, data), dest, config=CFG)
        deadline = time.monotonic() + 10
        while not os.path.exists(partial_paths(dest)[0]) and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises(LocalFileError) as info:
            download_to_path(source_for(srv, data), dest, config=CFG)
        assert "another download" in str(info.value)
        assert future.result(timeout=30).verified
    assert dest.read_bytes() == data


def test_transfer_future_cancel(tmp_path: Path, data: bytes) -> None:
    with RangeServer(data=data, rate=MiB) as srv:
        future = start_transfer(download_to_path, source_for(srv, data), tmp_path / "o", config=CFG)
        assert not future.done()
        with pytest.raises(TimeoutError):
            future.result(timeout=0.05)
        future.cancel()
        with pytest.raises(TransferCancelledError):
            future.result(timeout=5)
    assert future.done()
    assert not (tmp_path / "o").exists()


def test_iter_range_over_http_with_a_cut(data: bytes) -> None:
    with RangeServer(data=data, faults=[Fault("cut", after=500_000)]) as srv:
        chunks = list(iter_range(source_for(srv, data), (MiB, 5 * MiB - 1), window=2, config=CFG))
    assert b"".join(chunks) == data[MiB : 5 * MiB]
