"""What the capped S3 path of suite bucket allows at all: N curl processes, one ranged GET each.

Suite bucket's capped download goes through nginx (``limit_rate 40m`` per request, 1 MiB proxy
buffers) to the emulator's S3 service. No client measured there reaches 0.95 x N x cap; this puts a
floor under them: N curl processes (C, no hashing, no fsync, output to /dev/null) fetch one
1/N-th of the object each through a presigned URL, so every connection carries one request for
the whole run, with nothing of any SDK in the way. Run it on a quiet machine after
``bash benchmarks/run.sh`` has installed nginx and curl (and written ``_work/nginx.conf``)::

    python3 -m benchmarks.capped_floor [--runs 5] [--conns 8] [--size-mib 1024]

It prints each run and the median, as MB/s and as a share of N x 41.94 MB/s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from typing import Any, List, Optional

from benchmarks.cassbench.cli import parse_args
from benchmarks.cassbench.servers import Nginx, emulator
from benchmarks.cassbench.suites.bucket import BUCKET, REGION, admin_bucket
from benchmarks.cassbench.workspace import EMU_SECRET_ID, EMU_SECRET_KEY, WORK

CAP = 40 * 1024 * 1024  # nginx's "40m"
MiB = 1024 * 1024


def _fetch_all(url: str, size: int, conns: int) -> float:
    """Seconds for ``conns`` curls to fetch ``size`` bytes in as many ranges, all at once (the
    URL is presigned: it is handed to curl, never printed)."""
    share = size // conns
    ranges = [(i * share, size - 1 if i == conns - 1 else (i + 1) * share - 1) for i in range(conns)]
    start = time.perf_counter()
    procs = [subprocess.Popen(["curl", "-sf", "-o", "/dev/null", "-r", f"{a}-{b}", url]) for a, b in ranges]
    codes = [p.wait() for p in procs]
    seconds = time.perf_counter() - start
    if any(codes):
        raise SystemExit(f"curl failed: exit codes {codes}")
    return seconds


def main(argv: Optional[List[str]] = None) -> int:
    own = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    own.add_argument("--runs", type=int, default=5)
    own.add_argument("--conns", type=int, default=8)
    own.add_argument("--size-mib", type=int, default=1024)
    mine = own.parse_args(argv)
    if mine.size_mib < 64 or mine.size_mib % 64:
        own.error("--size-mib must be a multiple of 64")
    args = parse_args(["--only", "bucket"])
    size = mine.size_mib * MiB
    capped = f"http://127.0.0.1:{args.ports['s3_capped']}"
    with emulator(args):
        nginx = Nginx(args.ports, [], args.s3_port)
        nginx.start()
        try:
            with admin_bucket(f"http://127.0.0.1:{args.s3_port}") as bucket:
                _seed(bucket, size)
            from cassdk_like.bucket import S3Client  # noqa: PLC0415

            with S3Client(capped, EMU_SECRET_ID, EMU_SECRET_KEY, region=REGION, addressing="path") as client:
                url = str(client.presigned_get_url(BUCKET, "floor.bin", 3600))
            figures = []
            for number in range(1, mine.runs + 1):
                seconds = _fetch_all(url, size, mine.conns)
                mbps = size / seconds / 1e6
                figures.append(mbps)
                share = mbps * 1e6 / (mine.conns * CAP)
                print(f"run {number}: {mbps:.1f} MB/s = {share:.0%} of {mine.conns} x cap", flush=True)
            median = statistics.median(figures)
            print(
                f"median {median:.1f} MB/s = {median * 1e6 / (mine.conns * CAP):.0%} of "
                f"{mine.conns} x cap ({mine.conns * CAP / 1e6:.1f} MB/s); {mine.size_mib} MiB, "
                f"{mine.conns} curl processes, one ranged GET each"
            )
        finally:
            nginx.stop()
    return 0


def _seed(bucket: Any, size: int) -> None:
    """``floor.bin`` of ``size`` random bytes in the benchmark bucket."""
    path = WORK / "floor-src.bin"
    with open(path, "wb") as out:
        for _ in range(size // (64 * MiB)):
            out.write(os.urandom(64 * MiB))
    try:
        bucket.upload_file(str(path), "floor.bin")
    finally:
        path.unlink()


if __name__ == "__main__":
    sys.exit(main())
