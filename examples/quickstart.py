"""The quickstart: one 64 MiB archive's whole life -- upload, retrieve, download, verify.

It runs right after ``pip install .`` with no account and no network: the bundled emulator is a
local CAS service that checks every signature, hash and alignment like the real one. Point
``CASClient`` at your endpoint instead and the rest of the script stays the same.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from cassdk_like import CasAPI, CASClient, MiB, TransferConfig, Vault, hash_file
from cassdk_like.emulator import Emulator

SIZE = 64 * MiB
started = time.monotonic()

# 1. A local CAS service on a free loopback port, and a client signed with its credentials.
#    Expedited jobs take it about a second, so the wait below has something to do.
with (
    Emulator(job_delay_scale=1.0) as emu,
    CASClient(emu.endpoint, emu.appid, emu.secret_id, emu.secret_key) as client,
    tempfile.TemporaryDirectory(prefix="cassdk-quickstart-") as tmp,
):
    print(f"emulator   {emu.endpoint} (appid {emu.appid})")
    api = CasAPI(client)  # the high level: typed errors instead of status codes

    # 2. A vault to hold the archive.
    vault = Vault.create(api, "quickstart")
    print(f"vault      {vault.name} created")

    # 3. Some data worth keeping, and its SHA-256 and tree hash (what the service checks).
    original = Path(tmp, "original.bin")
    with original.open("wb") as out:
        for _ in range(SIZE // MiB):
            out.write(os.urandom(MiB))
    expected = hash_file(original)

    # 4. Upload it. Files above 100 MiB go up in parts by default; threshold=0 shows the
    #    multipart path on this smaller file: 16 MiB parts sent in parallel, each with its tree hash.
    config = TransferConfig()  # the engine's defaults: 8 workers, 16 MiB download pieces
    t0 = time.monotonic()
    archive_id = vault.upload_archive(
        original, "cassdk_like quickstart", threshold=0, part_size=16 * MiB, config=config
    )
    upload_seconds = time.monotonic() - t0
    print(f"upload     {SIZE // MiB} MiB in {upload_seconds:.2f} s, archive id {archive_id[:20]}...")

    # 5. Archives are cold: ask for a copy, then wait until the service has staged it
    #    (hours on the real service for the Standard tier; wait() polls with growing intervals).
    job = vault.retrieve_archive(archive_id, "quickstart restore", tier="Expedited")
    checks = []
    t0 = time.monotonic()
    job.wait(timeout=120, poll_interval=0.25, on_poll=checks.append)
    print(f"retrieval  job {job.id[:20]}... {job.status_code} after {time.monotonic() - t0:.2f} s")
    print(f"           ({len(checks)} status checks)")

    # 6. Download the job's output: parallel ranged requests, each piece checked; the file
    #    appears only once the whole output matched the job's tree hash.
    restored = Path(tmp, "restored.bin")
    t0 = time.monotonic()
    result = job.download_to_file(restored, config=config)
    download_seconds = time.monotonic() - t0
    print(f"download   {result.size // MiB} MiB in {download_seconds:.2f} s ({result.requests} requests)")

    # 7. The same bytes? Compare both checksums, and the tree hash the service recorded.
    copy = hash_file(restored)
    verified = copy == expected and result.verified and job.archive_etag in (None, expected.tree_hash)
    print(f"sha256     {expected.sha256}")
    print(f"tree hash  {expected.tree_hash}")

    # Tidy up: the archive, then the vault (a vault must be empty to be deleted).
    vault.delete_archive(archive_id)
    vault.delete()

print(f"elapsed    {time.monotonic() - started:.2f} s in all")
if not verified:
    print("NOT verified: the restored file differs from the original")
    sys.exit(1)
print("verified: the restored file is byte-identical to the original (SHA-256 and tree hash)")
