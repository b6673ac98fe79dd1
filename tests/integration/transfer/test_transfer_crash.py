"""kill -9 in the middle of a transfer, then a new process resumes it from its checkpoint: every
object byte-identical, and no file sent again beyond the one each worker had in flight (the
checkpoint is written after every file here; docs/transfer.md §5)."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from pathlib import Path

from cassdk_like.emulator import Emulator
from cassdk_like.transfer import SendInterface, TransferManager
from cassdk_like.transfer.store import DB_NAME
from tests.helpers.transfer_world import (
    address_of,
    bucket_files,
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
    try:
        deadline = time.monotonic() + 30
        while _done_in_state(state) < 10:
            assert time.monotonic() < deadline, "the child sent nothing"
            assert child.poll() is None, "the child died"
            time.sleep(0.01)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        if child.stdout is not None:
            child.stdout.close()
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
