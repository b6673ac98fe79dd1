"""The partial file is flushed while it downloads, and a failed background flush is never lost."""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path
from typing import Any, Callable, List

import pytest

from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.exceptions import InvalidArgumentError, LocalFileError
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.core.integrity import MiB
from cassdk_like.engine import TransferConfig, download_to_path, partial_paths, placement, writeback
from cassdk_like.engine.placement import TemporaryFile
from cassdk_like.engine.writeback import Writeback
from tests.helpers.engine_fakes import FakeResponse, FakeSource

FAST = RetryPolicy(total_attempts=2, backoff_base=0.0, backoff_cap=0.0)
SIZE = 8 * MiB + 77


def _config(writeback_size: int) -> TransferConfig:
    return TransferConfig(
        max_workers=2,
        piece_size=MiB,
        max_request_size=MiB,
        retry_policy=FAST,
        journal_interval=0,
        poll_interval=0.02,
        writeback_size=writeback_size,
    )


class _Syncs:
    """Records the background flushes and the final fsync, in order."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail: bool = False) -> None:
        self.events: List[str] = []
        self.lock = threading.Lock()
        self.fail = fail
        self.flushed = threading.Event()
        monkeypatch.setattr(writeback, "_datasync", self._datasync)
        real_fsync = os.fsync

        def fsync(fd: int) -> None:
            with self.lock:
                self.events.append("fsync")
            real_fsync(fd)

        monkeypatch.setattr(placement, "os", _OsWithFsync(fsync))

    def _datasync(self, fd: int) -> None:
        with self.lock:
            self.events.append("datasync")
        self.flushed.set()
        if self.fail:
            raise OSError(errno.EIO, "Input/output error")
        os.fsync(fd)


class _OsWithFsync:
    """``os`` for ``engine.placement``, whose fsync (the final one) is recorded."""

    def __init__(self, fsync: Callable[[int], None]) -> None:
        self.fsync = fsync

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)


class _SlowTail(FakeSource):
    """Holds the last piece back until a background flush happened."""

    def __init__(self, data: bytes, flushed: threading.Event) -> None:
        super().__init__(data)
        self._flushed = flushed

    def open_range(self, byte_range: ByteRange) -> FakeResponse:
        if byte_range.end == self.size - 1:
            assert self._flushed.wait(10)
        return super().open_range(byte_range)


def test_partial_file_is_flushed_while_it_downloads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    syncs = _Syncs(monkeypatch)
    data = os.urandom(SIZE)
    dest = tmp_path / "out.bin"
    result = download_to_path(FakeSource(data), dest, config=_config(2 * MiB))
    assert dest.read_bytes() == data
    assert result.verified
    # one flush per 2 MiB written (the thread may merge two), all before the final fsync
    assert 2 <= syncs.events.count("datasync") <= 4
    assert syncs.events[-1] == "fsync"
    assert syncs.events.count("fsync") == 1


def test_zero_leaves_only_the_final_fsync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    syncs = _Syncs(monkeypatch)
    data = os.urandom(SIZE)
    dest = tmp_path / "out.bin"
    download_to_path(FakeSource(data), dest, config=_config(0))
    assert dest.read_bytes() == data
    assert "datasync" not in syncs.events
    assert "fsync" in syncs.events


def test_failed_background_flush_fails_the_download(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel reports a write-back error once per open file: the final fsync alone could
    miss it, so the error the thread saw must fail the download, with nothing at the destination."""
    syncs = _Syncs(monkeypatch, fail=True)
    data = os.urandom(SIZE)
    dest = tmp_path / "out.bin"
    with pytest.raises(LocalFileError) as caught:
        download_to_path(_SlowTail(data, syncs.flushed), dest, config=_config(MiB))
    assert not dest.exists()
    assert caught.value.local_path == partial_paths(dest)[0]
    assert "cannot flush the partial file" in str(caught.value)
    assert "Input/output error" in str(caught.value)


def test_stop_waits_for_the_thread_and_flushes_nothing_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    syncs = _Syncs(monkeypatch)
    path = tmp_path / "f"
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        flusher = Writeback(fd, 100)
        flusher.wrote(99)
        flusher.stop()
        assert syncs.events == []  # below the threshold: no flush before the stop
        flusher.wrote(1000)
        assert syncs.events == []  # after the stop the fd may be closed: never touched again
        flusher.finish()
    finally:
        os.close(fd)


def test_negative_writeback_size_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="writeback_size"):
        TransferConfig(writeback_size=-1)


def test_temporary_file_is_flushed_as_it_fills(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    syncs = _Syncs(monkeypatch)
    dest = tmp_path / "blocks.bin"
    with TemporaryFile(dest, operation="read_blocks", writeback_size=MiB) as target:
        for _ in range(3):
            target.write(bytes(MiB))
        assert syncs.flushed.wait(10)
        target.commit()
    assert dest.stat().st_size == 3 * MiB
    assert 1 <= syncs.events.count("datasync") <= 3


def test_small_file_starts_no_flusher_thread(tmp_path: Path) -> None:
    dest = tmp_path / "small.bin"
    with TemporaryFile(dest, operation="read_blocks", writeback_size=MiB) as target:
        target.write(b"x" * 1000)
        assert not [t for t in threading.enumerate() if t.name == "cassdk-writeback"]
        target.commit()
    assert dest.read_bytes() == b"x" * 1000


def test_temporary_file_with_a_failed_flush_leaves_the_destination_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    syncs = _Syncs(monkeypatch, fail=True)
    dest = tmp_path / "blocks.bin"
    dest.write_bytes(b"old")
    with TemporaryFile(dest, operation="read_blocks", writeback_size=MiB) as target:
        target.write(bytes(2 * MiB))
        assert syncs.flushed.wait(10)
        with pytest.raises(LocalFileError, match="cannot flush the partial file"):
            target.commit()
    assert dest.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocks.bin"]
