"""The quickstart: one archive's whole life against a throw-away local emulator, timed and verified.

This is what ``cascmd demo`` runs: the flow of ``examples/quickstart.py`` (the script to read
first), with the timings and request counts gathered into a ``DemoReport``:

1. start the bundled emulator on a free loopback port (in this process, no set-up needed);
2. create a vault;
3. write a file of seeded random bytes (64 MiB by default) in a temporary folder;
4. upload it as a multipart archive: parts go up in parallel, each with its tree hash;
5. start an Expedited retrieval and wait for it (the emulator takes about a second, as asked);
6. download the job's output in parallel (verified piece by piece and as a whole);
7. compare SHA-256 and tree hash of both files, clean up, and report sizes, speeds and requests.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path
from typing import Callable, List, Optional

import attrs

from cassdk_like.core.integrity import MiB, hash_file
from cassdk_like.engine import TransferConfig
from cassdk_like.vault.highlevel import CasAPI, Job, Vault
from cassdk_like.vault.lowlevel import CASClient

__all__ = ["DemoReport", "run_demo"]

#: the emulator's Expedited tier takes 1 s x this scale: long enough to show ``wait()`` at work
JOB_DELAY_SCALE = 1.0
PART_SIZE = 16 * MiB


@attrs.frozen
class DemoReport:
    """What the quickstart measured. Sizes in bytes, times in seconds, throughput in MB/s (10^6)."""

    endpoint: str
    size: int
    part_size: int
    workers: int
    archive_id: str
    job_id: str
    sha256: str
    tree_hash: str
    verified: bool
    upload_seconds: float
    wait_seconds: float
    status_checks: int
    download_seconds: float
    total_seconds: float
    client_requests: int
    server_requests: int

    @property
    def parts(self) -> int:
        return -(-self.size // self.part_size)

    @property
    def upload_mb_s(self) -> float:
        return self.size / 1e6 / max(self.upload_seconds, 1e-9)

    @property
    def download_mb_s(self) -> float:
        return self.size / 1e6 / max(self.download_seconds, 1e-9)

    def lines(self) -> List[str]:
        """The printed report."""
        mib = self.size / MiB
        return [
            f"archive    {mib:.0f} MiB ({self.size:,} bytes) in {self.parts} parts of "
            f"{self.part_size // MiB} MiB, id {self.archive_id[:20]}...",
            f"upload     {self.upload_seconds:6.2f} s {self.upload_mb_s:7.1f} MB/s ({self.workers} workers)",
            f"retrieval  {self.wait_seconds:6.2f} s  waiting for the Expedited job "
            f"({self.status_checks} status checks)",
            f"download   {self.download_seconds:6.2f} s {self.download_mb_s:7.1f} MB/s"
            f" ({self.workers} workers)",
            f"sha256     {self.sha256}",
            f"tree hash  {self.tree_hash}",
            f"requests   {self.client_requests} sent by the client,"
            f" {self.server_requests} served by the emulator",
            f"elapsed    {self.total_seconds:6.2f} s in all",
            "verified: the restored file is byte-identical to the original (SHA-256 and tree hash)"
            if self.verified
            else "NOT verified: the restored file differs from the original",
        ]


def write_random_file(path: Path, size: int, seed: int) -> None:
    """``size`` reproducible pseudo-random bytes, written 1 MiB at a time (memory stays small)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not a secret
    with path.open("wb") as out:
        left = size
        while left:
            chunk = min(left, MiB)
            out.write(rng.randbytes(chunk))
            left -= chunk


def run_demo(
    size_mib: int = 64,
    workers: Optional[int] = None,
    out: Callable[[str], None] = print,
    *,
    seed: int = 2018,
    job_delay_scale: float = JOB_DELAY_SCALE,
) -> DemoReport:
    """Run the quickstart flow and return its report (also printed line by line through ``out``)."""
    from cassdk_like.emulator import Emulator  # noqa: PLC0415 - only the demo loads the emulator

    if size_mib < 1:
        raise ValueError(f"size_mib must be at least 1, got {size_mib}")
    # the engine's defaults (8 workers, 16 MiB download pieces), or the number of workers asked for
    config = TransferConfig() if workers is None else TransferConfig(max_workers=workers)
    size = size_mib * MiB
    started = time.monotonic()

    # 1. A local CAS service on a free port; it verifies every signature, hash and alignment.
    with (
        tempfile.TemporaryDirectory(prefix="cassdk-quickstart-") as tmp,
        Emulator(job_delay_scale=job_delay_scale) as emu,
        CASClient(emu.endpoint, emu.appid, emu.secret_id, emu.secret_key) as client,
    ):
        out(f"emulator   {emu.endpoint} (appid {emu.appid})")
        api = CasAPI(client)

        # 2. A vault to hold the archive.
        vault = Vault.create(api, "quickstart")
        out(f"vault      {vault.name} created")

        # 3. Some data worth keeping, and its checksums.
        source = Path(tmp) / "original.bin"
        write_random_file(source, size, seed)
        original = hash_file(source)

        # 4. Multipart upload: threshold=0 forces parts even for small files; 16 MiB parts.
        out(f"uploading  {size_mib} MiB of random bytes as a multipart archive")
        t0 = time.monotonic()
        archive_id = vault.upload_archive(
            source, "cassdk_like quickstart", threshold=0, part_size=PART_SIZE, config=config
        )
        upload_seconds = time.monotonic() - t0

        # 5. Archives are cold: ask for a copy, then wait until the service has staged it.
        archive = vault.get_archive(archive_id)
        job = archive.initiate_archive_retrieval("quickstart restore", tier="Expedited")
        out(f"retrieving with job {job.id[:20]}... (Expedited), waiting for it")
        checks: List[Job] = []
        t0 = time.monotonic()
        job.wait(timeout=120, poll_interval=0.25, on_poll=checks.append)
        wait_seconds = time.monotonic() - t0

        # 6. Parallel ranged download; the file appears only once every piece checked out.
        restored = Path(tmp) / "restored.bin"
        out("downloading the job output in parallel")
        t0 = time.monotonic()
        job.download_to_file(restored, config=config)
        download_seconds = time.monotonic() - t0

        # 7. Same bytes? Compare both checksums, and the tree hash the service recorded.
        copy = hash_file(restored)
        verified = (
            copy.size == original.size
            and copy.sha256 == original.sha256
            and copy.tree_hash == original.tree_hash
            and job.archive_etag in (None, original.tree_hash)
        )

        # Tidy up: an archive and its vault (a vault must be empty to be deleted).
        archive.delete()
        vault.delete()
        report = DemoReport(
            endpoint=emu.endpoint,
            size=size,
            part_size=PART_SIZE,
            workers=config.max_workers,
            archive_id=archive_id,
            job_id=job.id,
            sha256=original.sha256,
            tree_hash=original.tree_hash,
            verified=verified,
            upload_seconds=upload_seconds,
            wait_seconds=wait_seconds,
            status_checks=len(checks),
            download_seconds=download_seconds,
            total_seconds=time.monotonic() - started,
            client_requests=client.transport.request_count,
            server_requests=emu.stats.total_requests,
        )
    for line in report.lines():
        out(line)
    return report
