"""Control across managers and processes (docs/transfer.md §5): a manager that does not run the
folder (``start=False``, or another process) suspends, resumes, fails, re-prioritises and limits a
transfer that the runner is sending, and the runner honours it within its tick: a suspend drains
the files in flight and checkpoints as a local one does, and the resumed transfer completes with
every object byte-identical and no file sent twice."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

from cassdk_like.emulator import Emulator
from cassdk_like.transfer import (
    SendInterface,
    TransferFailedError,
    TransferManager,
    TransferStateError,
    TransferSuspendedError,
)
from tests.helpers.transfer_world import (
    address_of,
    bucket_files,
    make_bucket,
    make_tree,
    profiles,
    spawn_transfer_child,
    tree_files,
    until,
)

FILES = 40
RATE_KBPS = 1600  # 200 KB/s: 40 files of about 10 KB take about 2 s


def _start(send: SendInterface, bucket: Any, source: Path, **options: Any) -> Dict[str, Any]:
    dest = send.createDestination(address_of(bucket, "s3", "p"), sendRateMax=RATE_KBPS, profile="s3")
    manifest = send.createManifest(mappings={"/t": str(source)})
    return send.createTransfer(dest, manifest, checkpointFrequencySeconds=0.05, **options)


def test_a_suspend_from_another_manager_drains_the_runner_and_a_resume_completes_it(
    emu: Emulator, tmp_path: Path
) -> None:
    bucket = make_bucket(emu, "s3")
    source = make_tree(tmp_path / "src", files=FILES, size=8000)
    puts = emu.stats.count("PutObject")
    state = tmp_path / "state"
    with TransferManager(state, settings=profiles(emu), max_workers=3) as runner:
        a = SendInterface(runner)
        transfer = _start(a, bucket, source)
        with TransferManager(state, settings=profiles(emu), start=False) as controller:
            b = SendInterface(controller)
            until(lambda: b.getTransfer(transfer)["filesComplete"] >= 5, "five checkpointed files")
            request = b.suspendTransferAsync(transfer)
            assert b.getRequestResult(request, timeout=30) == {"transferId": transfer["transferId"]}
            held_a, held_b = a.getTransfer(transfer), b.getTransfer(transfer)
            assert held_a["status"] == held_b["status"] == "suspended"
            assert held_a["filesComplete"] == held_b["filesComplete"] < FILES
            sent = emu.stats.count("PutObject") - puts
            assert sent == held_b["filesComplete"]  # drained, and every file sent is checkpointed
            time.sleep(0.6)  # three ticks: the runner takes no file of a suspended transfer
            assert emu.stats.count("PutObject") - puts == sent
            with pytest.raises(TransferSuspendedError):
                b.waitForTransfer(transfer)
            with pytest.raises(TransferSuspendedError):
                a.waitForTransfer(transfer)

            b.getRequestResult(b.resumeTransferAsync(transfer), timeout=30)
            assert a.waitForTransfer(transfer, timeout=60)["filesComplete"] == FILES
            assert b.waitForTransfer(transfer, timeout=10)["status"] == "complete"
    assert emu.stats.count("PutObject") - puts == FILES  # nothing sent twice
    assert bucket_files(bucket, "p/t") == tree_files(source)


def test_a_wait_in_progress_ends_when_another_manager_suspends_the_transfer(
    emu: Emulator, tmp_path: Path
) -> None:
    bucket = make_bucket(emu, "s3")
    source = make_tree(tmp_path / "src", files=FILES, size=8000)
    state = tmp_path / "state"
    outcome: List[BaseException] = []
    with TransferManager(state, settings=profiles(emu), max_workers=2) as runner:
        a = SendInterface(runner)
        transfer = _start(a, bucket, source)

        def wait() -> None:
            try:
                a.waitForTransfer(transfer, timeout=60)
            except BaseException as exc:  # handed to the test thread
                outcome.append(exc)

        waiter = threading.Thread(target=wait)
        waiter.start()
        with TransferManager(state, settings=profiles(emu), start=False) as controller:
            until(lambda: controller.get_transfer(transfer["transferId"]).files_done >= 2, "two files")
            controller.suspend_transfer(transfer["transferId"])
        waiter.join(timeout=30)
        assert not waiter.is_alive()
        assert len(outcome) == 1, outcome
        assert isinstance(outcome[0], TransferSuspendedError), outcome
        assert "suspended" in str(outcome[0])


def test_a_fail_from_another_manager_fails_the_running_transfer(emu: Emulator, tmp_path: Path) -> None:
    bucket = make_bucket(emu, "s3")
    source = make_tree(tmp_path / "src", files=FILES, size=8000)
    state = tmp_path / "state"
    with TransferManager(state, settings=profiles(emu), max_workers=2) as runner:
        a = SendInterface(runner)
        transfer = _start(a, bucket, source)
        with TransferManager(state, settings=profiles(emu), start=False) as controller:
            b = SendInterface(controller)
            until(lambda: b.getTransfer(transfer)["filesComplete"] >= 2, "two files")
            b.failTransfer(transfer, errorMessage="stopped from elsewhere")
            assert b.getTransfer(transfer)["status"] == "failed"
        shown = a.getTransfer(transfer)
        assert (shown["status"], shown["errorMessage"]) == ("failed", "stopped from elsewhere")
        assert shown["filesComplete"] < FILES
        with pytest.raises(TransferFailedError, match="stopped from elsewhere"):
            a.waitForTransfer(transfer)


def test_priority_and_rate_changed_elsewhere_apply_to_the_running_transfer(
    emu: Emulator, tmp_path: Path
) -> None:
    bucket = make_bucket(emu, "s3")
    source = make_tree(tmp_path / "src", files=30, size=2000)
    state = tmp_path / "state"
    seen: List[str] = []
    lock = threading.Lock()

    def observe(request: Any, response: Any, decision: Any) -> None:
        if request.operation == "PutObject" and response is not None:
            with lock:
                seen.append(request.path.split("/")[2])

    emu.add_observer(observe)
    try:
        with TransferManager(state, settings=profiles(emu), max_workers=1) as runner:
            a = SendInterface(runner)
            dest = a.createDestination(address_of(bucket, "s3"), sendRateMax=160, profile="s3")  # 20 KB/s
            manifest = a.createManifest(mappings={"/f": str(source)})
            first = a.createTransfer(dest, manifest, destinationPath="first", priority=5)
            second = a.createTransfer(dest, manifest, destinationPath="second", priority=9)
            with TransferManager(state, settings=profiles(emu), start=False) as controller:
                b = SendInterface(controller)
                until(lambda: len(seen) >= 2, "two files of the first transfer")
                b.setTransferPriorityAsync(second, priority=1)
                b.setTransferSendRateMaxAsync(second, 8000)
                b.setSendRateMaxAsync(dest, -1)
                until(  # the runner's own view, once its tick has seen the changes
                    lambda: (
                        (a.getTransfer(second)["priority"], a.getTransfer(second)["sendRateMax"]) == (1, 8000)
                        and a.getDestination(dest)["sendRateMax"] is None
                    ),
                    "the runner to take the new priority and rates",
                )
            a.waitForTransfer(second, timeout=60)
            a.waitForTransfer(first, timeout=60)
    finally:
        emu.remove_observer(observe)
    overtaken = seen.index("second")
    assert overtaken < 30  # the second transfer went before the first one was done
    assert seen[overtaken : overtaken + 30].count("second") == 30, seen  # then it went first entirely
    assert bucket_files(bucket, "second/f") == tree_files(source)


def test_a_second_runner_on_the_folder_is_refused(emu: Emulator, tmp_path: Path) -> None:
    with TransferManager(tmp_path / "state", settings=profiles(emu)):
        with pytest.raises(TransferStateError, match="another manager"):
            TransferManager(tmp_path / "state", settings=profiles(emu))
        TransferManager(tmp_path / "state", start=False).close()  # a controller is fine
    TransferManager(tmp_path / "state").close()  # once the runner closed, another may run


def test_a_runner_in_another_process_obeys_suspend_and_resume(emu: Emulator, tmp_path: Path) -> None:
    bucket = make_bucket(emu, "s3")
    files = 60
    source = make_tree(tmp_path / "src", files=files, size=6000)
    state = tmp_path / "state"
    puts = emu.stats.count("PutObject")
    child, transfer_id = spawn_transfer_child(
        emu,
        tmp_path / "spec.json",
        state_dir=str(state),
        source=str(source),
        address=address_of(bucket, "s3", "x"),
        rate_kbps=1600,
        checkpoint_seconds=0.05,
        workers=3,
    )
    try:
        with TransferManager(state, start=False) as controller:
            until(lambda: controller.get_transfer(transfer_id).files_done >= 5, "five files")
            held = controller.suspend_transfer(transfer_id)
            assert held.status == "suspended"
            sent = emu.stats.count("PutObject") - puts
            assert sent == held.files_done < files
            time.sleep(0.6)
            assert emu.stats.count("PutObject") - puts == sent
            assert controller.resume_transfer(transfer_id).status in ("queued", "transferring")
            done = controller.wait_for_transfer(transfer_id, timeout=60)
        assert done.files_done == files
        assert child.poll() is None  # the runner was never restarted
    finally:
        child.kill()
        child.wait(10)
        if child.stdout is not None:
            child.stdout.close()
    assert emu.stats.count("PutObject") - puts == files
    assert bucket_files(bucket, "x/t") == tree_files(source)


def test_the_runner_sends_a_transfer_another_manager_created(emu: Emulator, tmp_path: Path) -> None:
    bucket = make_bucket(emu, "s3")
    source = make_tree(tmp_path / "src", files=12, size=4000)
    state = tmp_path / "state"
    with TransferManager(state, settings=profiles(emu), max_workers=2) as runner:
        with TransferManager(state, settings=profiles(emu), start=False) as controller:
            b = SendInterface(controller)
            address = address_of(bucket, "s3", "made-elsewhere")
            dest = b.createDestination(address, sendRateMax=320, profile="s3")  # 40 KB/s: about 1.2 s
            made = b.createTransfer(dest, b.createManifest(mappings={"/t": str(source)}))
        # the runner may not have ticked yet: its own calls find the new transfer all the same
        assert runner.suspend_transfer(made["transferId"]).status == "suspended"
        runner.resume_transfer(made["transferId"])
        assert runner.wait_for_transfer(made["transferId"], timeout=60).files_done == 12
    assert bucket_files(bucket, "made-elsewhere/t") == tree_files(source)
