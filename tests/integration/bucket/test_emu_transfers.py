"""upload_file / download_file against the emulator in both dialects: round trips checked end to
end, a resume that skips the parts the service already holds, throttled parts retried, broken
bodies resumed mid-piece, a download resumed by a new process after kill -9, and streaming reads."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, List, Optional

import pytest

from cassdk_like.bucket import Bucket, BucketAPI, BucketClient, PreconditionFailed
from cassdk_like.core.exceptions import LocalFileError
from cassdk_like.emulator import Emulator
from cassdk_like.engine import TransferConfig
from cassdk_like.engine.download import partial_paths
from cassdk_like.engine.journal import load_journal
from tests.helpers.bucket_download_child import CONFIG as CHILD_CONFIG
from tests.helpers.failing_reads import interrupted_upload

MiB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[3]
CONFIG = TransferConfig(max_workers=4, piece_size=MiB, max_request_size=2 * MiB, min_part_size=5 * MiB)


def _data(size: int, seed: int) -> bytes:
    block = hashlib.sha256(str(seed).encode()).digest() * 4096
    return (block * (size // len(block) + 1))[:size]


def _file(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "src.bin"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(("size", "multipart"), [(0, False), (300_000, False), (13 * MiB + 7, True)])
def test_round_trips_are_checked_end_to_end(
    bucket: Bucket, tmp_path: Path, size: int, multipart: bool
) -> None:
    data = _data(size, seed=size)
    done = bucket.upload_file(
        _file(tmp_path, data), "obj", threshold=5 * MiB, part_size=5 * MiB, config=CONFIG
    )
    assert done.multipart is multipart
    assert bucket.head("obj").sha256 == hashlib.sha256(data).hexdigest()
    out = tmp_path / "out.bin"
    result = bucket.download_file("obj", out, config=CONFIG)
    assert out.read_bytes() == data
    assert (result.verified, result.integrity) == (True, "sha256")


def test_a_resumed_upload_sends_only_the_missing_parts(
    bucket: Bucket, api: BucketAPI, emu: Emulator, dialect: str
) -> None:
    data = _data(16 * MiB, seed=11)
    failed = interrupted_upload(bucket, data, "r.bin", 10 * MiB)
    assert isinstance(failed.__cause__, LocalFileError)
    upload_id = failed.upload_id
    assert upload_id is not None
    assert [p.number for p in api.list_all_parts(bucket.name, "r.bin", upload_id)] == [1, 2]
    copies = emu.stats.count("CopyObject", service=dialect)
    done = bucket.upload_file(io.BytesIO(data), "r.bin", upload_id=upload_id, config=CONFIG)
    assert (done.parts_skipped, done.parts_uploaded) == (2, 2)
    assert done.sha256 == hashlib.sha256(data).hexdigest()
    assert bucket.get_bytes("r.bin") == data
    assert list(bucket.uploads()) == []
    assert emu.stats.count("CopyObject", service=dialect) == copies  # the stored digest was right


@pytest.mark.parametrize("changed_at", [1 * MiB, 13 * MiB], ids=["in-a-stored-part", "after-them"])
def test_a_resumed_upload_of_a_changed_file_stores_the_digest_of_what_it_holds(
    bucket: Bucket, api: BucketAPI, emu: Emulator, dialect: str, tmp_path: Path, changed_at: int
) -> None:
    """The metadata was written at Create from the old bytes; the object holds the new ones."""
    old = _data(16 * MiB, seed=21)
    failed = interrupted_upload(
        bucket, old, "c.bin", 10 * MiB, content_type="application/x-test", metadata={"owner": "ops"}
    )
    new = old[:changed_at] + b"edited" + old[changed_at + 6 :]
    path = _file(tmp_path, new)
    copies = emu.stats.count("CopyObject", service=dialect)
    done = bucket.upload_file(
        path, "c.bin", upload_id=failed.upload_id, config=CONFIG, content_type="application/x-test"
    )
    assert emu.stats.count("CopyObject", service=dialect) == copies + 1
    head = bucket.head("c.bin")
    assert head.sha256 == done.sha256 == hashlib.sha256(new).hexdigest()
    assert (head.etag, head.content_type, head.metadata["owner"]) == (done.etag, "application/x-test", "ops")
    out = tmp_path / "out.bin"
    assert bucket.download_file("c.bin", out, config=CONFIG).verified
    assert out.read_bytes() == new
    assert list(bucket.uploads()) == []


def test_throttled_parts_are_retried(bucket: Bucket, emu: Emulator, dialect: str, tmp_path: Path) -> None:
    data = _data(11 * MiB, seed=12)
    emu.faults.fail_next(3, status=503, code="SlowDown", operation="UploadPart", service=dialect)
    before = emu.faults.triggered
    bucket.upload_file(_file(tmp_path, data), "t.bin", threshold=5 * MiB, part_size=5 * MiB, config=CONFIG)
    assert emu.faults.triggered - before == 3
    assert bucket.get_bytes("t.bin") == data


def test_broken_bodies_resume_from_the_byte_received(
    bucket: Bucket, emu: Emulator, dialect: str, tmp_path: Path
) -> None:
    data = _data(6 * MiB, seed=13)
    bucket.upload_file(_file(tmp_path, data), "cut.bin", config=CONFIG)
    emu.faults.cut_after(300_000, count=3, operation="GetObject", service=dialect)
    out = tmp_path / "cut.out"
    result = bucket.download_file("cut.bin", out, config=CONFIG)
    assert out.read_bytes() == data
    assert result.verified
    assert result.bytes_fetched == len(data)  # resumed at the byte received: nothing fetched twice
    assert result.requests > 3


def test_an_object_replaced_mid_download_fails_it(bucket: Bucket, tmp_path: Path) -> None:
    data = _data(6 * MiB, seed=14)
    bucket.upload_file(_file(tmp_path, data), "moving.bin", config=CONFIG)
    replaced: List[object] = []

    def replace_once(event: object) -> None:
        if not replaced and getattr(event, "done", 0):
            replaced.append(bucket.put("moving.bin", b"v2"))

    slow = TransferConfig(max_workers=1, piece_size=MiB, max_request_size=MiB, progress_interval=0)
    with pytest.raises(PreconditionFailed, match="changed since the download began"):
        bucket.download_file("moving.bin", tmp_path / "m.out", config=slow, progress=replace_once)


def test_streamed_reads_come_in_order_within_a_window(bucket: Bucket, tmp_path: Path) -> None:
    data = _data(5 * MiB + 3, seed=15)
    bucket.upload_file(_file(tmp_path, data), "s.bin", config=CONFIG)
    config = TransferConfig(max_workers=3, piece_size=MiB, stream_window=2)
    assert b"".join(bucket.iter_bytes("s.bin", config=config)) == data
    assert (
        b"".join(bucket.iter_bytes("s.bin", (MiB - 2, 2 * MiB + 1), config=config))
        == data[MiB - 2 : 2 * MiB + 2]
    )


def _finished(journal: str) -> int:
    loaded = load_journal(journal) if os.path.exists(journal) else None
    return len(loaded.pieces) if loaded is not None else 0


def test_kill_9_then_a_new_process_fetches_only_the_missing_pieces(
    bucket: Bucket, emu: Emulator, dialect: str, tmp_path: Path, client_for: Callable[..., BucketClient]
) -> None:
    data = _data(8 * MiB, seed=16)
    bucket.upload_file(_file(tmp_path, data), "k9.bin", config=CONFIG)
    dest = tmp_path / "k9.out"
    journal = partial_paths(dest)[1]
    env = dict(
        os.environ,
        CASSDK_TEST_APPID=emu.appid,
        CASSDK_TEST_SECRET_ID=emu.secret_id,
        CASSDK_TEST_SECRET_KEY=emu.secret_key,
    )
    emu.faults.set_rate_limit(MiB, service=dialect)
    command = [sys.executable, "-m", "tests.helpers.bucket_download_child", dialect, emu.endpoints[dialect]]
    child: Optional[subprocess.Popen[bytes]] = None
    try:
        child = subprocess.Popen([*command, bucket.name, "k9.bin", str(dest)], cwd=ROOT, env=env)
        deadline = time.monotonic() + 30
        while not _finished(str(journal)) and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        if child is not None:
            child.wait()
        emu.faults.set_rate_limit(None, service=dialect)
    assert child.returncode == -signal.SIGKILL
    done = _finished(str(journal))
    assert 1 <= done < 8
    assert not dest.exists()
    result = bucket.download_file("k9.bin", dest, config=CHILD_CONFIG)
    assert dest.read_bytes() == data
    assert result.verified
    assert result.pieces_resumed == done
    assert result.bytes_fetched == len(data) - done * MiB
