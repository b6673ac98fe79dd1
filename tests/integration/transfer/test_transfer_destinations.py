"""A folder sent to each kind of destination arrives byte-identical, with the SendInterface's
structures, and a second run with OVERWRITE_DIFFERENT sends nothing again."""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path
from typing import List, Optional

import pytest

from cassdk_like import CasAPI, CASClient
from cassdk_like.core.integrity import MiB
from cassdk_like.emulator import Emulator
from cassdk_like.engine import CancelToken, TransferConfig
from cassdk_like.transfer import OVERWRITE_DIFFERENT, SendInterface, TransferFailedError, TransferManager
from cassdk_like.transfer.destinations import ConnectionSettings, open_destination, parse_address
from tests.helpers.transfer_world import (
    address_of,
    bucket_files,
    make_bucket,
    make_tree,
    profiles,
    tree_files,
)


@pytest.mark.parametrize("dialect", ["s3", "cos"])
def test_a_folder_lands_byte_identical_in_a_bucket(emu: Emulator, tmp_path: Path, dialect: str) -> None:
    source = make_tree(tmp_path / "src")
    bucket = make_bucket(emu, dialect)
    with TransferManager(tmp_path / "state", settings=profiles(emu), max_workers=3) as manager:
        send = SendInterface(manager)
        dest = send.createDestination(address_of(bucket, dialect, "backups"), profile=dialect)
        manifest = send.createManifest(mappings={"/tree": str(source)})
        assert send.waitForManifest(manifest)["fileCount"] == 12
        transfer = send.createTransfer(dest, manifest, destinationPath="nightly")
        done = send.waitForTransfer(transfer)
        assert done["status"] == "complete"
        assert done["processing"] is False
        assert (done["filesComplete"], done["bytesComplete"]) == (12, done["bytesTotal"])
        assert bucket_files(bucket, "backups/nightly/tree") == tree_files(source)
        puts = emu.stats.count("PutObject", service=dialect)

        again = send.createTransfer(
            dest, manifest, destinationPath="nightly", overwriteMode=OVERWRITE_DIFFERENT
        )
        second = send.waitForTransfer(again)
    assert (second["filesComplete"], second["filesSkipped"]) == (0, 12)
    assert emu.stats.count("PutObject", service=dialect) == puts  # nothing sent again


def test_a_folder_lands_byte_identical_in_a_folder(tmp_path: Path) -> None:
    source = make_tree(tmp_path / "src")
    (source / "empty").mkdir()
    with TransferManager(tmp_path / "state") as manager:
        send = SendInterface(manager)
        dest = send.createDestination(f"file://{tmp_path / 'out'}")
        manifest = send.createManifest(mappings={"/copy/": str(source)})
        done = send.waitForTransfer(send.createTransfer(dest, manifest))
    assert done["status"] == "complete"
    assert tree_files(tmp_path / "out" / "copy") == tree_files(source)
    assert (tmp_path / "out" / "copy" / "empty").is_dir()
    for rel in tree_files(source):
        assert (tmp_path / "out" / "copy" / rel).stat().st_mtime_ns == (source / rel).stat().st_mtime_ns


def test_each_file_becomes_an_archive_of_a_vault(emu: Emulator, tmp_path: Path) -> None:
    source = make_tree(tmp_path / "src", files=3, size=3000)
    name = f"xfer-{uuid.uuid4().hex[:8]}"
    CasAPI(CASClient(emu.endpoint, emu.appid, emu.secret_id, emu.secret_key)).create_vault(name)
    uploads = emu.stats.count("UploadArchive")
    with TransferManager(tmp_path / "state", settings=profiles(emu)) as manager:
        send = SendInterface(manager)
        dest = send.createDestination(f"cas://{name}", profile="cas")
        done = send.waitForTransfer(
            send.createTransfer(dest, send.createManifest(mappings={"/t": str(source)}))
        )
    assert (done["status"], done["filesComplete"]) == ("complete", 3)
    assert emu.stats.count("UploadArchive") - uploads == 3


def test_a_missing_bucket_fails_the_transfer_with_the_services_answer(emu: Emulator, tmp_path: Path) -> None:
    source = make_tree(tmp_path / "src", files=2)
    with TransferManager(tmp_path / "state", settings=profiles(emu)) as manager:
        send = SendInterface(manager)
        dest = send.createDestination("s3://no-such-bucket-here/x", profile="s3")
        transfer = send.createTransfer(dest, send.createManifest(mappings={"/t": str(source)}))
        with pytest.raises(TransferFailedError, match=r"NoSuchBucket|does not exist"):
            send.waitForTransfer(transfer)
        shown = send.getTransfer(transfer)
    assert shown["status"] == "failed"
    assert shown["errorMessage"]


class _RecordingPacer:
    """A limit that records every payment instead of sleeping."""

    def __init__(self) -> None:
        self.paid: List[int] = []
        self._lock = threading.Lock()

    def consume(self, nbytes: int, token: Optional[CancelToken] = None) -> None:
        with self._lock:
            self.paid.append(nbytes)


@pytest.mark.parametrize("scheme", ["s3", "cas", "file"])
def test_a_large_file_is_paced_part_by_part_not_as_a_whole(
    emu: Emulator, tmp_path: Path, scheme: str
) -> None:
    """A rate cap must spread a large file over its sending time, so every destination pays for
    its bytes a part (a vault's single request: a body read; a folder: a copy chunk) at a time,
    each byte once."""
    size = 21 * MiB + 5  # above a bucket's 16 MiB single-PUT threshold
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(size))
    if scheme == "s3":
        address = address_of(make_bucket(emu, "s3"), "s3")
    elif scheme == "cas":
        CasAPI(CASClient(emu.endpoints["cas"], emu.appid, emu.secret_id, emu.secret_key)).create_vault(
            vault := f"pace-{uuid.uuid4().hex[:8]}"
        )
        address = f"cas://{vault}"
    else:
        address = f"file://{tmp_path / 'out'}"
    config = TransferConfig(part_size=5 * MiB, max_workers=2)
    dest = open_destination(
        parse_address(address),
        profiles(emu).get(scheme, ConnectionSettings()),
        profile=scheme,
        transfer_config=config,
    )
    pacer = _RecordingPacer()
    try:
        # (a vault sends this as one request: its threshold is 100 MiB; it pays as the body streams)
        sent = dest.send_file(
            str(source), "big.bin", mtime_ns=None, cancel_token=CancelToken(), limiter=pacer
        )
    finally:
        dest.close()
    assert sent == size
    assert sum(pacer.paid) == size
    assert max(pacer.paid) <= 5 * MiB
    assert len(pacer.paid) >= 3
