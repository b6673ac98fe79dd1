"""kill -9 in the middle of a transfer, then a new process resumes it from its checkpoint: every
object byte-identical, and no file sent again beyond the one each worker had in flight (the
checkpoint is written after every file here; docs/transfer.md §5); a large file's multipart
upload is continued, so only the parts in flight at the kill go out again."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from cassdk_like.core.integrity import MiB
from cassdk_like.emulator import Emulator
from cassdk_like.engine import TransferConfig
from cassdk_like.transfer import SendInterface, TransferManager
from cassdk_like.transfer.store import DB_NAME
from tests.helpers.transfer_world import (
    address_of,
    bucket_files,
    kill_9_when,
    make_bucket,
    make_tree,
    profiles,
    spawn_transfer_child,
    tree_files,
)

FILES = 60
WORKERS = 3


def _done_in_state(state: Path) -> int:
    """Files the state database records as sent (read as a second process would)."""
    try:
        conn = sqlite3.connect(f"file:{state / DB_NAME}?mode=ro", uri=True, timeout=5)
    except sqlite3.OperationalError:
        return 0
    try:
        return int(conn.execute("SELECT COUNT(*) FROM transfer_files WHERE state = 'done'").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def test_kill_9_mid_transfer_then_a_new_process_resumes(emu: Emulator, tmp_path: Path) -> None:
    bucket = make_bucket(emu, "s3")
    source = make_tree(tmp_path / "src", files=FILES, size=6000)
    state = tmp_path / "state"
    puts = emu.stats.count("PutObject")
    child, transfer_id = spawn_transfer_child(
        emu,
        tmp_path / "spec.json",
        state_dir=str(state),
        source=str(source),
        address=address_of(bucket, "s3", "crash"),
        rate_kbps=1600,  # 200 KB/s: the whole folder takes about 2.5 s
        checkpoint_seconds=0.001,
        workers=WORKERS,
    )
    kill_9_when(child, lambda: _done_in_state(state) >= 10, "ten files sent", timeout=30)
    recorded = _done_in_state(state)
    sent_before = emu.stats.count("PutObject") - puts
    assert recorded < FILES
    assert sent_before - recorded <= WORKERS  # only files in flight at the kill are unrecorded

    with TransferManager(state, settings={"emu": profiles(emu)["s3"]}, max_workers=WORKERS) as manager:
        send = SendInterface(manager)
        listed = send.getTransfers()
        assert [t["transferId"] for t in listed] == [transfer_id]
        assert listed[0]["filesComplete"] == recorded
        done = send.waitForTransfer(transfer_id)
    assert done["status"] == "complete"
    assert done["filesComplete"] == FILES
    assert bucket_files(bucket, "crash/t") == tree_files(source)
    resent = emu.stats.count("PutObject") - puts - FILES
    assert 0 <= resent <= WORKERS, resent


def test_kill_9_mid_file_then_the_multipart_upload_goes_on(emu: Emulator, tmp_path: Path) -> None:
    bucket = make_bucket(emu, "s3")
    source = tmp_path / "src"
    source.mkdir()
    files, parts_each, part = 3, 6, 5 * MiB
    for i in range(files):
        (source / f"big-{i}.bin").write_bytes(os.urandom(parts_each * part - 1000 * i))
    state = tmp_path / "state"
    workers, part_workers = 2, 2
    parts_before = emu.stats.count("UploadPart", service="s3")
    child, _transfer_id = spawn_transfer_child(
        emu,
        tmp_path / "spec.json",
        state_dir=str(state),
        source=str(source),
        address=address_of(bucket, "s3", "big"),
        rate_kbps=80_000,  # 10 MB/s: the 90 MiB take about 9 s
        checkpoint_seconds=0.001,
        workers=workers,
        part_size=part,
        part_workers=part_workers,
    )
    kill_9_when(child, lambda: emu.stats.count("UploadPart", service="s3") - parts_before >= 7, "7 parts")
    assert list(bucket.uploads(prefix="big/")), "the kill left no upload to continue"

    config = TransferConfig(part_size=part, max_workers=part_workers)
    settings = {"emu": profiles(emu)["s3"]}
    with TransferManager(state, settings=settings, max_workers=workers, file_config=config) as manager:
        done = SendInterface(manager).waitForTransfer(manager.get_transfers()[0].id)
    assert done["status"] == "complete"
    assert bucket_files(bucket, "big/t") == tree_files(source)
    assert list(bucket.uploads(prefix="big/")) == []
    sent = emu.stats.count("UploadPart", service="s3") - parts_before
    print(f"transfer crash: {files * parts_each} parts, {sent} sent (kill after 7)")
    # every part once, plus at most the parts in flight at the kill (one per part worker per file)
    assert files * parts_each <= sent <= files * parts_each + workers * part_workers, sent
