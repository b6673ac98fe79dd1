"""A multipart upload that fails half-way, and ``MultipartUpload.resume`` finishing it later.

Parts already stored are listed, checked against the local file by tree hash, and skipped; only
the missing ones are sent. The failure is injected with the bundled emulator's fault switches
(``emu.faults``), so this example always runs its own emulator.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cassdk_like import (
    CasAPI,
    CASClient,
    MiB,
    MultipartUploadError,
    ProgressEvent,
    TransferConfig,
    Vault,
    hash_file,
)
from cassdk_like.emulator import Emulator

with (
    Emulator(job_delay_scale=0) as emu,
    CASClient(emu.endpoint, emu.appid, emu.secret_id, emu.secret_key) as client,
    tempfile.TemporaryDirectory() as tmp,
):
    vault = Vault.create(CasAPI(client), "example-resume")
    path = Path(tmp, "video.mp4")
    path.write_bytes(os.urandom(24 * MiB))

    upload = vault.initiate_multipart_upload(path, "holiday video", part_size=4 * MiB)
    print(f"upload {upload.id[:16]}... of {len(upload.parts)} parts of 4 MiB")

    outage_started = []

    def outage(event: ProgressEvent) -> None:
        """Once 8 MiB are stored, every further part is refused (say, the credentials expired)."""
        if event.done >= 8 * MiB and not outage_started:
            outage_started.append(emu.faults.fail_next(None, status=403, code="ExpiredTokenException"))

    # one part at a time and a little latency, so the outage lands in the middle of the upload
    emu.faults.add_latency(0.1, method="PUT")
    try:
        upload.upload(config=TransferConfig(max_workers=1, progress_interval=0), progress=outage)
    except MultipartUploadError as error:
        print(f"interrupted by {type(error.__cause__).__name__}: {len(error.parts_done)} parts stored")
        print(f"  the upload is kept for later: {error.upload_id}")
    emu.faults.reset()  # the outage is over

    # later, possibly in another process: find the upload again and finish it
    pending = vault.get_multipart_uploader(upload.id)
    print(f"resuming: {pending.size_completed // MiB} MiB already on the service")
    archive_id = pending.resume(path)
    assert pending.tree_hash == hash_file(path).tree_hash  # what the service checked on complete
    print(f"archive {archive_id[:16]}... complete, tree hash {pending.tree_hash[:16]}...")

    vault.delete_archive(archive_id)
    vault.delete()
    print("resume example verified")
