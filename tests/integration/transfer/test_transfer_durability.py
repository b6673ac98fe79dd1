"""Suspend and resume, in one process and across a restart: nothing is lost, nothing sent twice
beyond the documented bound (docs/transfer.md §5), every object byte-identical."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Dict

from cassdk_like.core.integrity import MiB
from cassdk_like.emulator import Emulator
from cassdk_like.engine import TransferConfig
from cassdk_like.transfer import SendInterface, TransferManager
from tests.helpers.transfer_world import (
    address_of,
    bucket_files,
    make_bucket,
    make_tree,
    profiles,
    tree_files,
    until,
)

FILES = 40
RATE_KBPS = 1600  # 200 KB/s: 40 files of about 10 KB take about 2 s


def _start(send: SendInterface, emu: Emulator, bucket: Any, source: Path) -> Dict[str, Any]:
    dest = send.createDestination(address_of(bucket, "s3", "p"), sendRateMax=RATE_KBPS, profile="s3")
    manifest = send.createManifest(mappings={"/t": str(source)})
    return send.createTransfer(dest, manifest, checkpointFrequencySeconds=0.05)


def test_suspend_drains_then_nothing_moves_until_resume(emu: Emulator, tmp_path: Path) -> None:
    bucket = make_bucket(emu, "s3")
    source = make_tree(tmp_path / "src", files=FILES, size=8000)
    puts = emu.stats.count("PutObject")
    with TransferManager(tmp_path / "state", settings=profiles(emu), max_workers=3) as manager:
        send = SendInterface(manager)
        transfer = _start(send, emu, bucket, source)
        until(lambda: send.getTransfer(transfer)["filesComplete"] >= 5, "five files")
        request = send.suspendTransferAsync(transfer)
        assert send.getRequestResult(request, timeout=20) == {"transferId": transfer["transferId"]}
        assert send.getRequestStatus(request)["status"] == "complete"
        held = send.getTransfer(transfer)
        assert held["status"] == "suspended"
        assert held["processing"] is False
        assert held["filesComplete"] < FILES
        sent = emu.stats.count("PutObject") - puts
        assert sent == held["filesComplete"]  # the files in flight were drained and counted
        time.sleep(0.5)
        assert emu.stats.count("PutObject") - puts == sent
        send.getRequestResult(send.resumeTransferAsync(transfer))
        done = send.waitForTransfer(transfer)
    assert done["filesComplete"] == FILES
    assert emu.stats.count("PutObject") - puts == FILES  # nothing sent twice
    assert bucket_files(bucket, "p/t") == tree_files(source)


def test_a_new_manager_resumes_where_a_closed_one_stopped(emu: Emulator, tmp_path: Path) -> None:
    bucket = make_bucket(emu, "s3")
    source = make_tree(tmp_path / "src", files=FILES, size=8000)
    puts = emu.stats.count("PutObject")
    first = TransferManager(tmp_path / "state", settings=profiles(emu), max_workers=3)
    send = SendInterface(first)
    transfer = _start(send, emu, bucket, source)
    until(lambda: send.getTransfer(transfer)["filesComplete"] >= 5, "five files")
    first.close()
    stopped = emu.stats.count("PutObject") - puts
    assert stopped < FILES

    with TransferManager(tmp_path / "state", settings=profiles(emu), max_workers=3) as second:
        again = SendInterface(second)
        listed = again.getTransfers()
        assert [t["transferId"] for t in listed] == [transfer["transferId"]]
        assert listed[0]["filesComplete"] == stopped  # close() checkpointed every file it sent
        done = again.waitForTransfer(transfer)
    assert done["status"] == "complete"
    assert emu.stats.count("PutObject") - puts == FILES
    assert bucket_files(bucket, "p/t") == tree_files(source)


def test_a_suspended_transfer_stays_suspended_across_a_restart(emu: Emulator, tmp_path: Path) -> None:
    bucket = make_bucket(emu, "s3")
    source = make_tree(tmp_path / "src", files=FILES, size=8000)
    with TransferManager(tmp_path / "state", settings=profiles(emu)) as first:
        send = SendInterface(first)
        transfer = _start(send, emu, bucket, source)
        until(lambda: send.getTransfer(transfer)["filesComplete"] >= 3, "three files")
        send.getRequestResult(send.suspendTransferAsync(transfer), timeout=20)
    puts = emu.stats.count("PutObject")
    with TransferManager(tmp_path / "state", settings=profiles(emu)) as second:
        again = SendInterface(second)
        time.sleep(0.4)
        assert again.getTransfer(transfer)["status"] == "suspended"
        assert emu.stats.count("PutObject") == puts
        again.resumeTransferAsync(transfer)
        assert again.waitForTransfer(transfer)["filesComplete"] == FILES
    assert bucket_files(bucket, "p/t") == tree_files(source)


def test_fail_transfer_stops_it_with_the_message(emu: Emulator, tmp_path: Path) -> None:
    bucket = make_bucket(emu, "s3")
    source = make_tree(tmp_path / "src", files=FILES, size=8000)
    with TransferManager(tmp_path / "state", settings=profiles(emu)) as manager:
        send = SendInterface(manager)
        transfer = _start(send, emu, bucket, source)
        until(lambda: send.getTransfer(transfer)["filesComplete"] >= 2, "two files")
        send.failTransfer(transfer, errorMessage="operator stopped it")
        until(lambda: send.getTransfer(transfer)["status"] == "failed", "the failure")
        shown = send.getTransfer(transfer)
        assert shown["errorMessage"] == "operator stopped it"
        assert shown["filesComplete"] < FILES
        send.deleteTransfer(transfer)
        assert send.getTransfers() == []


def test_a_failed_transfer_leaves_no_multipart_upload_behind(emu: Emulator, tmp_path: Path) -> None:
    """Unfinished uploads are kept for a resume only while the transfer can still resume."""
    bucket = make_bucket(emu, "s3")
    source = tmp_path / "src"
    source.mkdir()
    (source / "big.bin").write_bytes(os.urandom(30 * MiB))
    parts = emu.stats.count("UploadPart", service="s3")
    config = TransferConfig(part_size=5 * MiB, max_workers=2)
    with TransferManager(tmp_path / "state", settings=profiles(emu), file_config=config) as manager:
        send = SendInterface(manager)
        dest = send.createDestination(address_of(bucket, "s3", "f"), sendRateMax=40_000, profile="s3")
        manifest = send.createManifest(mappings={"/t": str(source)})
        transfer = send.createTransfer(dest, manifest)
        until(lambda: emu.stats.count("UploadPart", service="s3") > parts, "a first part")
        assert [u.key for u in bucket.uploads(prefix="f/")] == ["f/t/big.bin"]
        send.failTransfer(transfer, errorMessage="operator stopped it")
    # closing the manager waited for the clean-up
    assert list(bucket.uploads(prefix="f/")) == []
    assert bucket_files(bucket, "f/") == {}


def test_a_suspend_interrupts_a_large_file_and_the_resume_continues_its_upload(
    emu: Emulator, tmp_path: Path
) -> None:
    """Suspending must not wait for a large file to finish: its parts in flight end, the
    multipart upload stays, and the resume sends only the parts still missing."""
    bucket = make_bucket(emu, "s3")
    source = tmp_path / "src"
    source.mkdir()
    (source / "big.bin").write_bytes(os.urandom(40 * MiB))
    part, part_workers = 5 * MiB, 2
    parts = emu.stats.count("UploadPart", service="s3")
    config = TransferConfig(part_size=part, max_workers=part_workers)
    with TransferManager(tmp_path / "state", settings=profiles(emu), file_config=config) as manager:
        send = SendInterface(manager)
        dest = send.createDestination(
            address_of(bucket, "s3", "s"), sendRateMax=40_000, profile="s3"
        )  # 5 MB/s
        manifest = send.createManifest(mappings={"/t": str(source)})
        transfer = send.createTransfer(dest, manifest)
        until(lambda: emu.stats.count("UploadPart", service="s3") - parts >= 2, "two parts")
        send.suspendTransferAsync(transfer)
        until(lambda: send.getTransfer(transfer)["status"] == "suspended", "the suspend", timeout=10)
        sent_before = emu.stats.count("UploadPart", service="s3") - parts
        assert sent_before < 8, "the suspend waited for the whole file"
        assert [u.key for u in bucket.uploads(prefix="s/")] == ["s/t/big.bin"]  # kept to go on
        send.setSendRateMaxAsync(dest, -1)
        send.resumeTransferAsync(transfer)
        assert send.waitForTransfer(transfer)["status"] == "complete"
    assert bucket_files(bucket, "s/t") == tree_files(source)
    assert list(bucket.uploads(prefix="s/")) == []
    sent = emu.stats.count("UploadPart", service="s3") - parts
    assert 8 <= sent <= 8 + part_workers, sent  # every part once, plus those cut by the suspend
