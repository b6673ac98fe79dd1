"""What a download trusts: the bytes on disk, not the journal; and nothing left when it cannot start."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Any, Callable, List

import pytest

from cassdk_like.core.exceptions import HashDoesNotMatchError, InvalidArgumentError, LocalFileError
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.core.integrity import MiB, tree_hash
from cassdk_like.engine import TransferConfig, download_to_path, partial_paths
from cassdk_like.engine import journal as journal_module
from cassdk_like.vault.errors import ResourceNotFoundException
from tests.helpers.engine_fakes import FakeFault, FakeSource

FAST = RetryPolicy(total_attempts=3, backoff_base=0.0, backoff_cap=0.0)
CFG = TransferConfig(max_workers=1, piece_size=MiB, retry_policy=FAST, journal_interval=0, poll_interval=0.02)
SIZE = 6 * MiB + 1234  # 7 pieces, the last one short


def _interrupted(tmp_path: Path, data: bytes, fail_at: int = 4 * MiB) -> Path:
    """A download that stopped with a non-retryable error: pieces before ``fail_at`` journaled."""
    missing = ResourceNotFoundException(404, "ResourceNotFoundException", "job expired")
    dest = tmp_path / "out.bin"
    source = FakeSource(data, faults=[FakeFault("error", start=fail_at, error=missing)])
    with pytest.raises(ResourceNotFoundException):
        download_to_path(source, dest, config=CFG)
    journaled = {offset for offset, *_ in _pieces(dest)}
    assert set(range(0, fail_at, MiB)) <= journaled
    return dest


def _pieces(dest: Path) -> List[List[Any]]:
    return list(json.loads(Path(partial_paths(dest)[1]).read_text())["pieces"])


def _rewrite_journal(dest: Path, edit: Callable[[List[Any]], None]) -> None:
    path = Path(partial_paths(dest)[1])
    doc = json.loads(path.read_text())
    for entry in doc["pieces"]:
        edit(entry)
    path.write_text(json.dumps(doc))


def _damage(dest: Path, offset: int, length: int = 4096) -> None:
    with open(partial_paths(dest)[0], "r+b") as handle:
        handle.seek(offset)
        handle.write(bytes(length))


def test_zeroed_bytes_in_a_journaled_piece_are_refetched_on_resume(tmp_path: Path) -> None:
    data = os.urandom(SIZE)
    dest = _interrupted(tmp_path, data)
    _damage(dest, MiB + 5000)  # inside piece 1, already journaled
    again = FakeSource(data)
    result = download_to_path(again, dest, config=CFG)
    assert dest.read_bytes() == data
    assert result.verified
    assert result.tree_hash == tree_hash(data)
    refetched = sorted(r.start for r in again.requests if r.start < 4 * MiB)
    assert refetched == [MiB]  # only the damaged piece among the journaled ones


def test_partial_file_truncated_and_extended_again_is_refetched(tmp_path: Path) -> None:
    data = os.urandom(SIZE)
    dest = _interrupted(tmp_path, data)
    temp = partial_paths(dest)[0]
    os.truncate(temp, 2 * MiB + 10)
    os.truncate(temp, SIZE)
    again = FakeSource(data)
    result = download_to_path(again, dest, config=CFG)
    assert dest.read_bytes() == data
    assert result.verified
    covered = {start for r in again.requests for start in range(r.start, r.end + 1, MiB)}
    assert {2 * MiB, 3 * MiB} <= covered  # the pieces whose bytes were cut off
    assert not {0, MiB} & covered  # the intact ones are trusted


def test_a_verified_piece_with_a_wrong_digest_is_refetched_not_a_dead_end(tmp_path: Path) -> None:
    data = os.urandom(SIZE)
    dest = _interrupted(tmp_path, data)

    def lie(entry: List[Any]) -> None:
        if entry[0] == 2 * MiB:
            entry[2], entry[3] = "0" * 64, True

    _rewrite_journal(dest, lie)
    again = FakeSource(data)
    result = download_to_path(again, dest, config=CFG)
    assert dest.read_bytes() == data
    assert result.verified
    assert 2 * MiB in {r.start for r in again.requests}


def test_wrong_bytes_with_a_matching_verified_digest_heal_too(tmp_path: Path) -> None:
    """The journal agrees with the bad bytes on disk: only the whole-output check can tell."""
    data = os.urandom(SIZE)
    dest = _interrupted(tmp_path, data)
    _damage(dest, 0, 100)
    bad = bytes(100) + data[100:MiB]

    def agree(entry: List[Any]) -> None:
        if entry[0] == 0:
            entry[2], entry[3] = tree_hash(bad), True

    _rewrite_journal(dest, agree)
    again = FakeSource(data)
    result = download_to_path(again, dest, config=CFG)
    assert dest.read_bytes() == data
    assert result.verified
    # and a later call after a real mismatch is never stuck with 0 requests
    wrong = FakeSource(data, expected_tree_hash="1" * 64)
    with pytest.raises(HashDoesNotMatchError):
        download_to_path(wrong, tmp_path / "other.bin", config=CFG)
    retry = FakeSource(data, expected_tree_hash="1" * 64)
    with pytest.raises(HashDoesNotMatchError) as info:
        download_to_path(retry, tmp_path / "other.bin", config=CFG)
    assert retry.requests  # it tried again instead of failing from the journal alone
    assert "other.bin" in str(info.value)


# -- nothing left behind when the download cannot start -------------------------------------------


def _fd_path(fd: int) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return ""


def test_first_journal_write_failing_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = os.write

    def no_space(fd: int, data: Any) -> int:
        if _fd_path(fd).endswith(".json.tmp"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(journal_module.os, "write", no_space)
    source = FakeSource(os.urandom(2 * MiB))
    with pytest.raises(LocalFileError) as info:
        download_to_path(source, tmp_path / "out.bin", config=CFG)
    monkeypatch.undo()
    assert "No space left" in str(info.value)
    assert source.requests == []
    assert os.listdir(tmp_path) == []


def test_partial_file_too_large_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_ftruncate = os.ftruncate

    def too_large(fd: int, length: int) -> None:
        if length > 0:
            raise OSError(errno.EFBIG, "File too large")
        real_ftruncate(fd, length)

    monkeypatch.setattr(os, "ftruncate", too_large)
    source = FakeSource(os.urandom(MiB))
    with pytest.raises(LocalFileError) as info:
        download_to_path(source, tmp_path / "out.bin", config=CFG)
    monkeypatch.undo()
    assert "File too large" in str(info.value)
    assert source.requests == []
    assert os.listdir(tmp_path) == []


def test_journal_path_that_is_a_folder_leaves_only_that_folder(tmp_path: Path) -> None:
    dest = tmp_path / "out.bin"
    os.mkdir(partial_paths(dest)[1])
    source = FakeSource(os.urandom(MiB))
    with pytest.raises(LocalFileError):
        download_to_path(source, dest, config=CFG)
    assert source.requests == []
    assert os.listdir(tmp_path) == [os.path.basename(partial_paths(dest)[1])]


def test_partial_path_that_is_a_folder_leaves_only_that_folder(tmp_path: Path) -> None:
    dest = tmp_path / "out.bin"
    os.mkdir(partial_paths(dest)[0])
    source = FakeSource(os.urandom(MiB))
    with pytest.raises(LocalFileError):
        download_to_path(source, dest, config=CFG)
    assert source.requests == []
    assert os.listdir(tmp_path) == [os.path.basename(partial_paths(dest)[0])]


# -- hardening ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["io_chunk_size", "write_chunk_size"])
def test_chunk_sizes_are_capped_at_64_mib(name: str) -> None:
    assert getattr(TransferConfig(**{name: 64 * MiB}), name) == 64 * MiB
    with pytest.raises(InvalidArgumentError, match=name):
        TransferConfig(**{name: 10**12})
    with pytest.raises(InvalidArgumentError, match=name):
        TransferConfig(**{name: 64 * MiB + 1})


def test_download_to_a_fifo_is_refused_before_anything_is_fetched(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    source = FakeSource(os.urandom(1000))
    with pytest.raises(LocalFileError, match="not a regular file") as info:
        download_to_path(source, fifo, config=CFG)
    assert info.value.local_path == str(fifo)
    assert source.requests == []
    assert os.listdir(tmp_path) == ["pipe"]
