"""``timeoutSeconds``: a transfer rides out an outage shorter than its timeout, and fails with the
service's answer when there is no timeout or the outage outlasts it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cassdk_like.emulator import Emulator
from cassdk_like.transfer import SendInterface, TransferFailedError, TransferManager
from tests.helpers.transfer_world import (
    address_of,
    bucket_files,
    make_bucket,
    make_tree,
    profiles,
    tree_files,
)


def test_an_outage_shorter_than_the_timeout_is_ridden_out(
    emu: Emulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bucket = make_bucket(emu, "s3")
    source = make_tree(tmp_path / "src", files=6, size=2000)
    caplog.set_level("WARNING", logger="cassdk_like.transfer")
    emu.faults.fail_next(12, status=503, code="SlowDown", operation="PutObject")  # > 5 attempts of one file
    with TransferManager(tmp_path / "state", settings=profiles(emu), max_workers=2) as manager:
        send = SendInterface(manager)
        dest = send.createDestination(address_of(bucket, "s3", "o"), profile="s3")
        manifest = send.createManifest(mappings={"/t": str(source)})
        done = send.waitForTransfer(send.createTransfer(dest, manifest, timeoutSeconds=60))
    assert done["filesComplete"] == 6
    assert any("retrying" in record.getMessage() for record in caplog.records)  # the manager's own retry
    assert bucket_files(bucket, "o/t") == tree_files(source)


@pytest.mark.parametrize("timeout", [None, 1.0])
def test_an_outage_without_or_beyond_the_timeout_fails_the_transfer(
    emu: Emulator, tmp_path: Path, timeout: float
) -> None:
    bucket = make_bucket(emu, "s3")
    source = make_tree(tmp_path / "src", files=2, size=2000)
    emu.faults.fail_next(None, status=503, code="SlowDown", operation="PutObject")
    with TransferManager(tmp_path / "state", settings=profiles(emu), max_workers=1) as manager:
        send = SendInterface(manager)
        dest = send.createDestination(address_of(bucket, "s3", "o"), profile="s3")
        manifest = send.createManifest(mappings={"/t": str(source)})
        started = time.monotonic()
        transfer = send.createTransfer(dest, manifest, timeoutSeconds=timeout)
        with pytest.raises(TransferFailedError, match="SlowDown"):
            send.waitForTransfer(transfer)
        elapsed = time.monotonic() - started
    if timeout:
        assert elapsed >= timeout
