"""Peak RSS of a 1 GiB multipart upload through ``Vault.upload_archive`` (256 MiB parts, 8 workers).

Starts the bundled emulator (``Emulator(job_delay_scale=0)``) -- by default in a child process,
so the figure is the client's alone; ``--in-process`` runs it in this process (the figure then
includes the emulator's own buffers) -- writes a file of non-zero pseudo-random bytes (no sparse
holes), uploads it, and prints one JSON line with ``ru_maxrss`` in MiB.  Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional

MiB = 1024 * 1024


def _write_file(path: str, size: int) -> None:
    block = bytes((i * 131 + 7) % 255 + 1 for i in range(MiB))  # no zero bytes, not sparse
    with open(path, "wb") as handle:
        for index in range(size // MiB):
            handle.write(block[index % 251 :] + block[: index % 251])


def _serve(conn: Any) -> None:
    from cassdk_like.emulator import Emulator  # noqa: PLC0415

    with Emulator(job_delay_scale=0) as emu:
        conn.send((emu.endpoint, emu.appid, emu.secret_id, emu.secret_key))
        conn.recv()  # wait until the client is done


def _peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / MiB  # Linux reports KiB


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--part-mib", type=int, default=256)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--in-process", action="store_true")
    parser.add_argument("--endpoint", help="a running emulator or service (else one is started)")
    parser.add_argument("--appid")
    parser.add_argument("--secret-id")
    parser.add_argument("--secret-key")
    parser.add_argument("--vault", default="rss")
    parser.add_argument("--file", help="upload this file (else a file of --size-mib is generated)")
    args = parser.parse_args(argv)

    from cassdk_like import CasAPI, CASClient, Vault  # noqa: PLC0415
    from cassdk_like.engine import TransferConfig  # noqa: PLC0415

    folder: Optional[str] = None
    if args.file:
        path = args.file
    else:
        folder = tempfile.mkdtemp(prefix="cassdk-rss-")
        path = os.path.join(folder, "upload.bin")
        _write_file(path, args.size_mib * MiB)
    server: Any = None
    parent: Any = None
    emu: Any = None
    if args.endpoint:
        endpoint, appid, secret_id, secret_key = args.endpoint, args.appid, args.secret_id, args.secret_key
    elif args.in_process:
        from cassdk_like.emulator import Emulator  # noqa: PLC0415

        emu = Emulator(job_delay_scale=0).start()
        endpoint, appid, secret_id, secret_key = emu.endpoint, emu.appid, emu.secret_id, emu.secret_key
    else:
        parent, child = multiprocessing.Pipe()
        server = multiprocessing.get_context("spawn").Process(target=_serve, args=(child,), daemon=True)
        server.start()
        endpoint, appid, secret_id, secret_key = parent.recv()
    baseline = _peak_rss_mib()
    try:
        client = CASClient(endpoint, appid, secret_id, secret_key)
        vault = Vault.create(CasAPI(client), args.vault)
        config = TransferConfig(max_workers=args.workers)
        started = time.perf_counter()
        archive_id = vault.upload_archive(path, "rss", part_size=args.part_mib * MiB, config=config)
        elapsed = time.perf_counter() - started
    finally:
        if emu is not None:
            emu.stop()
        if parent is not None:
            parent.send("done")
            server.join(10)
        if folder is not None:
            os.unlink(path)
            os.rmdir(folder)
    info: Dict[str, Any] = {
        "size_mib": os.path.getsize(path) // MiB if args.file else args.size_mib,
        "part_mib": args.part_mib,
        "workers": args.workers,
        "emulator": "in-process" if args.in_process else "child process",
        "peak_rss_mib": round(_peak_rss_mib(), 1),
        "rss_before_upload_mib": round(baseline, 1),
        "upload_s": round(elapsed, 2),
        "archive_id_prefix": str(archive_id)[:12],
    }
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
