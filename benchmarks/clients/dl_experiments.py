"""Diagnosis, not a benchmark of record: where does a cassdk_like download spend its CPU?

Runs one warm download of a job output per variant, in-process, several rounds (round-robin), and
prints one JSON object with the wall time of the download call, the process's user/sys CPU during it
(all threads, ``getrusage``), and the time of ``client.close()`` afterwards. Variants change only
what the benchmark can change from outside the engine (config fields, the journal's syncing); the
engine itself is not modified.

* ``default``: ``job.download_to_file`` with TransferConfig(max_workers=8), other fields default.
* ``old-chunks``: io_chunk_size 256 KiB and write_chunk_size 64 KiB (the defaults before 1 MiB
  reads and 256 KiB writes).
* ``write-64k`` / ``write-1m``: write_chunk_size 64 KiB / 1 MiB (reads stay 1 MiB).
* ``one-piece-requests``: max_request_size = piece_size, so every ranged GET is one 8 MiB piece
  (what the planner's runs of pieces are compared with).
* ``workers-2`` / ``workers-4``: max_workers 2 / 4 (on 2 cores, uncapped, 8 streams may be too many).
* ``no-journal-fdatasync``: the journal's fdatasync of the partial file is replaced by a no-op (its
  JSON rewrite and the final fsync stay): what the journal's commits (one per finished piece, batched) cost.
* ``no-sync``: that plus ``os.fsync`` as a no-op: no durability at all, like the peers.

Usage: dl_experiments.py --endpoint URL --appid A --vault V --job J --out PATH [--rounds 3]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional

from cassdk_like.core.integrity import MiB
from cassdk_like.engine import TransferConfig
from cassdk_like.engine import journal as _journal
from cassdk_like.vault.highlevel import CasAPI, Vault
from cassdk_like.vault.lowlevel import CASClient


def _noop(_fd: int) -> None:
    return None


def _cpu() -> Dict[str, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"user": usage.ru_utime, "sys": usage.ru_stime}


def _prefault(folder: str) -> None:
    scratch = os.path.join(folder, "scratch.bin")
    subprocess.run(["sync"], check=True)
    subprocess.run(["dd", "if=/dev/zero", f"of={scratch}", "bs=1M", "count=1280", "status=none"], check=True)
    os.unlink(scratch)


def run_variant(args: argparse.Namespace, variant: str) -> Dict[str, Any]:
    kwargs: Dict[str, Any] = {"max_workers": 8}  # other fields: the engine's defaults
    if variant == "chunk-1m":
        kwargs["io_chunk_size"] = MiB
    if variant == "old-chunks":
        kwargs.update(io_chunk_size=256 * 1024, write_chunk_size=64 * 1024)
    if variant == "write-64k":
        kwargs["write_chunk_size"] = 64 * 1024
    if variant == "write-1m":
        kwargs["write_chunk_size"] = MiB
    if variant == "one-piece-requests":
        kwargs["max_request_size"] = TransferConfig().piece_size
    if variant.startswith("workers-"):
        kwargs["max_workers"] = int(variant.split("-")[1])
    config = TransferConfig(**kwargs)
    real_fdatasync, real_fsync = _journal._fdatasync, os.fsync
    if variant in ("no-journal-fdatasync", "no-sync"):
        _journal._fdatasync = _noop
    if variant == "no-sync":
        os.fsync = _noop
    client = CASClient(args.endpoint, args.appid, "AKIDbenchmark", "benchmark-secret", max_pool_size=10)
    try:
        job = Vault.get_vault_by_name(CasAPI(client), args.vault).get_job(args.job)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(args.out)
        _prefault(os.path.dirname(args.out))
        c0, t0 = _cpu(), time.perf_counter()
        result = job.download_to_file(args.out, config=config)
        t1, c1 = time.perf_counter(), _cpu()
    finally:
        _journal._fdatasync, os.fsync = real_fdatasync, real_fsync
        t2 = time.perf_counter()
        client.close()
        t3 = time.perf_counter()
    os.unlink(args.out)
    return {
        "variant": variant,
        "wall": t1 - t0,
        "user": c1["user"] - c0["user"],
        "sys": c1["sys"] - c0["sys"],
        "close_s": t3 - t2,
        "verified": result.verified,
        "requests": result.requests,
    }


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--appid", required=True)
    parser.add_argument("--vault", required=True)
    parser.add_argument("--job", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--variants",
        default="default,old-chunks,write-64k,write-1m,one-piece-requests,workers-4,no-journal-fdatasync,no-sync",
    )
    args = parser.parse_args(argv)
    runs: List[Dict[str, Any]] = []
    for _ in range(args.rounds):
        for variant in args.variants.split(","):
            run = run_variant(args, variant)
            runs.append(run)
            print(json.dumps(run), file=sys.stderr)
    print(json.dumps({"runs": runs}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
