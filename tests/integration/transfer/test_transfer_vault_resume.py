"""A large file sent to a vault is a multipart upload that outlives a suspend and a kill -9: the
next send finds it among the vault's unfinished uploads (by its description, begun since the
transfer was created) and sends only the parts still missing; a failed transfer aborts it.

The vault's single-request threshold (100 MiB) is lowered to 8 MiB here so that files of a few
parts exercise the multipart path."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, Tuple

import pytest

from cassdk_like import CasAPI, CASClient, Vault
from cassdk_like.core.integrity import MiB
from cassdk_like.emulator import Emulator
from cassdk_like.engine import CancelToken, TransferConfig
from cassdk_like.transfer import SendInterface, TransferManager
from cassdk_like.transfer.destinations import open_destination, parse_address
from tests.helpers.transfer_world import kill_9_when, profiles, spawn_transfer_child, tree_files, until

THRESHOLD = 8 * MiB
PART = 2 * MiB
PART_WORKERS = 2
PARTS = "UploadMultipartPart"


@pytest.fixture
def vault(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Vault]:
    monkeypatch.setattr(Vault, "NormalUploadThreshold", THRESHOLD)
    with CASClient(emu.endpoint, emu.appid, emu.secret_id, emu.secret_key) as client:
        yield Vault.create(CasAPI(client), f"xfer-{uuid.uuid4().hex[:8]}")


def _archives(vault: Vault, folder: Path) -> Dict[str, bytes]:
    """Every archive of ``vault`` by description, read back through an inventory and retrievals."""
    job = vault.initiate_retrieve_inventory()
    job.wait(timeout=30, poll_interval=0.01)
    found = {}
    for entry in job.inventory().archives:
        retrieval = vault.retrieve_archive(entry.archive_id)
        retrieval.wait(timeout=30, poll_interval=0.01)
        out = folder / uuid.uuid4().hex
        retrieval.download_to_file(out)
        assert entry.description not in found, "one archive per file"
        found[entry.description] = out.read_bytes()
    return found


def _sources(root: Path, sizes: Dict[str, int]) -> Path:
    root.mkdir()
    for name, size in sizes.items():
        (root / name).write_bytes(os.urandom(size))
    return root


def _send_to(send: SendInterface, vault: Vault, source: Path, rate_kbps: int) -> Tuple[Any, Any]:
    """A destination for ``vault`` capped at ``rate_kbps``, and a transfer of ``source`` as ``/t``."""
    dest = send.createDestination(f"cas://{vault.name}", sendRateMax=rate_kbps, profile="cas")
    return dest, send.createTransfer(dest, send.createManifest(mappings={"/t": str(source)}))


def _suspended_after_two_parts(
    send: SendInterface, emu: Emulator, vault: Vault, source: Path, parts: int
) -> Tuple[Any, Any]:
    """A transfer of ``source`` at 5 MB/s, suspended once two parts (beyond ``parts``) are stored."""
    dest, transfer = _send_to(send, vault, source, rate_kbps=40_000)
    until(lambda: emu.stats.count(PARTS) - parts >= 2, "two parts")
    send.suspendTransferAsync(transfer)
    until(lambda: send.getTransfer(transfer)["status"] == "suspended", "the suspend", timeout=10)
    return dest, transfer


def _resume_uncapped(send: SendInterface, dest: Any, transfer: Any) -> None:
    send.setSendRateMaxAsync(dest, -1)
    send.resumeTransferAsync(transfer)
    assert send.waitForTransfer(transfer)["status"] == "complete"


def test_a_suspend_keeps_the_vault_upload_and_the_resume_sends_only_missing_parts(
    emu: Emulator, vault: Vault, tmp_path: Path
) -> None:
    source = _sources(tmp_path / "src", {"big.bin": 24 * MiB - 5})
    parts = emu.stats.count(PARTS)
    config = TransferConfig(part_size=PART, max_workers=PART_WORKERS)
    with TransferManager(tmp_path / "state", settings=profiles(emu), file_config=config) as manager:
        send = SendInterface(manager)
        dest, transfer = _suspended_after_two_parts(send, emu, vault, source, parts)
        assert emu.stats.count(PARTS) - parts < 12, "the suspend waited for the whole file"
        kept = vault.list_all_multipart_uploads()
        assert [u.description for u in kept] == ["t/big.bin"]  # kept to go on
        _resume_uncapped(send, dest, transfer)
    assert vault.list_all_multipart_uploads() == []
    sent = emu.stats.count(PARTS) - parts
    assert 12 <= sent <= 12 + PART_WORKERS, sent  # every part once, plus those cut by the suspend
    assert _archives(vault, tmp_path) == {f"t/{k}": v for k, v in tree_files(source).items()}


def test_a_file_that_shrank_below_the_threshold_goes_whole_and_its_old_upload_is_aborted(
    emu: Emulator, vault: Vault, tmp_path: Path
) -> None:
    source = _sources(tmp_path / "src", {"big.bin": 24 * MiB})
    parts = emu.stats.count(PARTS)
    config = TransferConfig(part_size=PART, max_workers=PART_WORKERS)
    with TransferManager(tmp_path / "state", settings=profiles(emu), file_config=config) as manager:
        send = SendInterface(manager)
        dest, transfer = _suspended_after_two_parts(send, emu, vault, source, parts)
        assert len(vault.list_all_multipart_uploads()) == 1
        small = os.urandom(MiB)
        (source / "big.bin").write_bytes(small)  # now one request's worth
        _resume_uncapped(send, dest, transfer)
    assert vault.list_all_multipart_uploads() == []
    assert _archives(vault, tmp_path) == {"t/big.bin": small}


def test_a_failed_transfer_leaves_no_upload_in_the_vault(emu: Emulator, vault: Vault, tmp_path: Path) -> None:
    source = _sources(tmp_path / "src", {"big.bin": 16 * MiB})
    parts = emu.stats.count(PARTS)
    config = TransferConfig(part_size=PART, max_workers=PART_WORKERS)
    with TransferManager(tmp_path / "state", settings=profiles(emu), file_config=config) as manager:
        send = SendInterface(manager)
        _dest, transfer = _send_to(send, vault, source, rate_kbps=16_000)  # 2 MB/s
        until(lambda: emu.stats.count(PARTS) > parts, "a first part")
        assert len(vault.list_all_multipart_uploads()) == 1
        send.failTransfer(transfer, errorMessage="operator stopped it")
    # closing the manager waited for the clean-up
    assert vault.list_all_multipart_uploads() == []


def test_kill_9_mid_file_then_the_vault_upload_goes_on(emu: Emulator, vault: Vault, tmp_path: Path) -> None:
    files, parts_each = 2, 6
    source = _sources(tmp_path / "src", {f"big-{i}.bin": parts_each * PART - 1000 * i for i in range(files)})
    state = tmp_path / "state"
    workers = 2
    parts = emu.stats.count(PARTS)
    child, _transfer_id = spawn_transfer_child(
        emu,
        tmp_path / "spec.json",
        endpoint=emu.endpoint,
        appid=emu.appid,
        dialect="cas",
        vault_threshold=THRESHOLD,
        state_dir=str(state),
        source=str(source),
        address=f"cas://{vault.name}",
        rate_kbps=32_000,  # 4 MB/s: the 24 MiB take about 6 s
        checkpoint_seconds=0.001,
        workers=workers,
        part_size=PART,
        part_workers=PART_WORKERS,
    )
    kill_9_when(child, lambda: emu.stats.count(PARTS) - parts >= 5, "5 parts")
    assert vault.list_all_multipart_uploads(), "the kill left no upload to continue"

    config = TransferConfig(part_size=PART, max_workers=PART_WORKERS)
    settings = {"emu": profiles(emu)["cas"]}  # the child's profile name
    with TransferManager(state, settings=settings, max_workers=workers, file_config=config) as manager:
        done = SendInterface(manager).waitForTransfer(manager.get_transfers()[0].id)
    assert done["status"] == "complete"
    assert vault.list_all_multipart_uploads() == []
    sent = emu.stats.count(PARTS) - parts
    print(f"transfer crash (vault): {files * parts_each} parts, {sent} sent (kill after 5)")
    # every part once, plus at most the parts in flight at the kill (one per part worker per file)
    assert files * parts_each <= sent <= files * parts_each + workers * PART_WORKERS, sent
    assert _archives(vault, tmp_path) == {f"t/{k}": v for k, v in tree_files(source).items()}


def test_an_unfinished_upload_that_no_longer_fits_the_file_is_aborted_and_begun_afresh(
    emu: Emulator, vault: Vault, tmp_path: Path
) -> None:
    """The file shrank after five of its parts were stored: the last of them lies past its new end."""
    path, key, begun = tmp_path / "big.bin", "t/big.bin", time.time()
    old = os.urandom(16 * MiB)
    path.write_bytes(old)
    upload = vault.initiate_multipart_upload(path, desc=key, part_size=PART)
    for index in range(5):
        upload.upload_part((index * PART, (index + 1) * PART - 1), old[index * PART : (index + 1) * PART])
    new = os.urandom(9 * MiB)
    path.write_bytes(new)
    dest = open_destination(
        parse_address(f"cas://{vault.name}"),
        profiles(emu)["cas"],
        profile="cas",
        transfer_config=TransferConfig(part_size=PART, max_workers=PART_WORKERS),
    )
    try:
        sent = dest.send_file(
            str(path), key, mtime_ns=None, cancel_token=CancelToken(), resumable_since=begun
        )
    finally:
        dest.close()
    assert sent == len(new)
    assert vault.list_all_multipart_uploads() == []  # the old upload was aborted, the new completed
    (tmp_path / "out").mkdir()
    assert _archives(vault, tmp_path / "out") == {key: new}
