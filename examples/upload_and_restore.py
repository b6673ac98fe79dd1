"""Upload in parallel parts with a progress bar, restore part of the archive, download pieces of it.

Retrievals are addressed in archive bytes (whole MiBs); downloads of a job's output in output bytes.
Runs against a throw-away local emulator unless ``CAS_ENDPOINT`` is set.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
from pathlib import Path

from cassdk_like import CasAPI, CASClient, MiB, ProgressEvent, Vault
from cassdk_like.emulator import Emulator


def show(event: ProgressEvent) -> None:
    """Progress callback: called from the caller's thread, in order, never going backwards."""
    bar = "#" * int(event.fraction * 30)
    print(f"\r  [{bar:<30}] {event.done / MiB:5.1f} / {event.total / MiB:.1f} MiB", end="")
    if event.finished:
        print()


with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
    if os.environ.get("CAS_ENDPOINT"):  # your service: CASClient() reads the CAS_* settings
        client = stack.enter_context(CASClient(dialect=os.environ.get("CAS_DIALECT", "cas")))
    else:  # else a throw-away local emulator, so the example runs offline
        emu = stack.enter_context(Emulator(job_delay_scale=0.1))
        client = stack.enter_context(CASClient(emu.endpoint, emu.appid, emu.secret_id, emu.secret_key))
    api = CasAPI(client)
    vault = Vault.create(api, "example-restore")
    original = Path(tmp, "backup.tar")
    original.write_bytes(os.urandom(20 * MiB + 12345))  # stands in for a real backup

    # above `threshold` bytes the upload is multipart: 4 MiB parts, several in flight at once
    print("uploading", original.name)
    archive_id = vault.upload_archive(
        original, "nightly backup", part_size=4 * MiB, threshold=8 * MiB, progress=show
    )
    archive = vault.get_archive(archive_id)

    # restore only archive bytes [8 MiB, 16 MiB): ranges start and end on whole MiBs
    job = archive.initiate_archive_retrieval("restore the middle", byte_range=(8 * MiB, 16 * MiB - 1))
    print(f"job {job.id[:16]}... retrieving {job.job_range}, tier {job.tier}")
    job.wait(timeout=60)
    wanted = original.read_bytes()[8 * MiB : 16 * MiB]

    # the whole job output to a file: parallel, resumable, tree-hash verified
    restored = Path(tmp, "middle.bin")
    result = job.download_to_file(restored)
    assert restored.read_bytes() == wanted
    print(f"restored {result.size / MiB:.0f} MiB to {restored.name}, tree hash verified: {result.verified}")

    # just one MiB of that output (output offsets), streamed in order into any binary file object
    buffer = io.BytesIO()
    job.download_by_range((2 * MiB, 3 * MiB - 1), file_obj=buffer)
    assert buffer.getvalue() == wanted[2 * MiB : 3 * MiB]
    print("one MiB from the middle, sha256", hashlib.sha256(buffer.getvalue()).hexdigest()[:16], "...")

    archive.delete()
    vault.delete()
    print("upload and restore example verified")
