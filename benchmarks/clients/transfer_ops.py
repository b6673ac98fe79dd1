"""Benchmark client: a folder sent into a bucket by cassdk_like's TransferManager or a boto3 loop.

Every client signs with SigV4 against a path-style S3 endpoint (rclone's ``serve s3``); the key
pair comes from ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` (never the command line).

* ``--op upload``: every file of ``--folder`` stored as ``--prefix<name>``:
  cassdk_like: one ``TransferManager`` (fresh ``--state-dir``, ``max_workers=--workers``,
  ``file_config=TransferConfig(max_workers=--part-workers)`` when given), one manifest mapping
  the prefix to the folder, one transfer, ``wait_for_transfer``;
  boto3: a ``ThreadPoolExecutor`` of ``--workers`` calling ``upload_file`` on one client, with
  boto3's default ``TransferConfig`` (``max_concurrency=--part-workers`` when given).
* ``--op lanes`` (cassdk_like only): one destination capped at ``--rate`` bytes/s and one transfer
  per lane (``--lane NAME=COUNT``, the first COUNT files of ``--folder`` each, under
  ``--prefix<lane>/``), created before the workers start; ``get_transfer`` is sampled every
  ``--interval`` seconds until all are complete.

Prints one JSON line: the transfer-only seconds and CPU seconds (``time.process_time``, interpreter
start and imports left out), what was done and the bytes; ``lanes`` adds the samples
``[t, [bytes done per lane], [complete per lane]]`` and the destination's lane proportions.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from bucket_ops import folder_names, pool_sum

BUCKET_SETTINGS = "bench"  # the in-memory profile name of the manager's destination


def _key_pair() -> Tuple[str, str]:
    return os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]


# -- cassdk_like's TransferManager --------------------------------------------------------------------


def _manager(args: argparse.Namespace, state_dir: str, *, start: bool) -> Any:
    from cassdk_like.engine import TransferConfig  # noqa: PLC0415
    from cassdk_like.transfer import ConnectionSettings, TransferManager  # noqa: PLC0415

    key_id, secret = _key_pair()
    settings = ConnectionSettings(
        endpoint=args.endpoint, region=args.region, addressing="path", secret_id=key_id, secret_key=secret
    )
    file_config = TransferConfig(max_workers=args.part_workers) if args.part_workers else None
    return TransferManager(
        state_dir, settings={BUCKET_SETTINGS: settings}, max_workers=args.workers,
        file_config=file_config, start=start,
    )  # fmt: skip


def _part_size(args: argparse.Namespace, names: List[str]) -> Optional[int]:
    """The part size cassdk_like's upload picks for the largest file (None: one PUT each)."""
    from cassdk_like.bucket.dialect import S3  # noqa: PLC0415
    from cassdk_like.bucket.highlevel.adapters import part_sizer_for  # noqa: PLC0415
    from cassdk_like.bucket.highlevel.transfers import DEFAULT_THRESHOLD  # noqa: PLC0415
    from cassdk_like.engine import TransferConfig  # noqa: PLC0415

    largest = max(os.path.getsize(Path(args.folder) / name) for name in names)
    if largest <= DEFAULT_THRESHOLD:
        return None
    config = TransferConfig()
    return int(
        part_sizer_for(S3).part_size(largest, requested=config.part_size, minimum=config.min_part_size)
    )


def cassdk_upload(args: argparse.Namespace) -> Dict[str, Any]:
    names = folder_names(args)
    with tempfile.TemporaryDirectory(dir=args.state_dir or None) as state_dir:
        start, cpu = time.perf_counter(), time.process_time()
        manager = _manager(args, state_dir, start=True)
        try:
            dest = manager.create_destination(f"s3://{args.bucket}", profile=BUCKET_SETTINGS)
            manifest = manager.create_manifest({args.prefix.rstrip("/"): args.folder})
            manifest = manager.wait_for_manifest(manifest.id)
            walked = time.perf_counter()
            transfer = manager.create_transfer(dest.id, manifest.id)
            info = manager.wait_for_transfer(transfer.id)
            sent = time.perf_counter()
        finally:
            manager.close()
        closed = time.perf_counter()
        state_bytes = sum(p.stat().st_size for p in Path(state_dir).iterdir() if p.is_file())
        out = {
            "transfer_s": sent - start, "cpu_s": time.process_time() - cpu, "manifest_s": walked - start,
            "close_s": closed - sent, "done": info.files_done, "bytes": info.bytes_done,
            "manifest_files": manifest.file_count, "state_bytes": state_bytes,
        }  # fmt: skip
    part = _part_size(args, names)
    return {**out, "part_size": part} if part else out


def cassdk_lanes(args: argparse.Namespace) -> Dict[str, Any]:
    folder = Path(args.folder)
    sizes = [(name, (folder / name).stat().st_size) for name in folder_names(args)]
    lanes = [(name, int(count)) for name, _, count in (item.partition("=") for item in args.lane)]
    with tempfile.TemporaryDirectory(dir=args.state_dir or None) as state_dir:
        manager = _manager(args, state_dir, start=False)
        try:
            dest = manager.create_destination(
                f"s3://{args.bucket}", profile=BUCKET_SETTINGS, send_rate_max=args.rate
            )
            transfers = []
            for lane, count in lanes:
                mappings = {  # sizes given: the manifest is made without a walk
                    f"{args.prefix}{lane}/{name}": {"src": str(folder / name), "size": size}
                    for name, size in sizes[:count]
                }
                manifest = manager.create_manifest(mappings)
                transfers.append(manager.create_transfer(dest.id, manifest.id, priority_lane=lane).id)
            samples: List[List[Any]] = []
            cpu = time.process_time()
            start = time.monotonic()
            manager.start()
            deadline = start + args.timeout
            number = 0
            while True:
                infos = [manager.get_transfer(t) for t in transfers]
                now = time.monotonic()
                complete = [i.status == "complete" for i in infos]
                samples.append([round(now - start, 4), [i.bytes_done for i in infos], complete])
                if all(complete) or any(i.status == "failed" for i in infos) or now > deadline:
                    break
                number += 1
                time.sleep(max(0.0, start + number * args.interval - time.monotonic()))
            seconds = time.monotonic() - start
            failed = [i.error for i in infos if i.status == "failed"]
            proportions = manager.get_destination(dest.id).priority_lanes
        finally:
            manager.close()
    return {
        "transfer_s": seconds, "cpu_s": time.process_time() - cpu, "lanes": [lane for lane, _ in lanes],
        "proportions": {lane: proportions[lane] for lane, _ in lanes}, "rate": args.rate,
        "samples": samples, "done": sum(i.files_done for i in infos),
        "bytes": sum(i.bytes_done for i in infos), "complete": all(complete), "errors": failed,
    }  # fmt: skip


# -- boto3 ----------------------------------------------------------------------------------------------


def boto3_upload(args: argparse.Namespace) -> Dict[str, Any]:
    import boto3  # noqa: PLC0415
    from boto3.s3.transfer import TransferConfig  # noqa: PLC0415
    from botocore.config import Config  # noqa: PLC0415

    names = folder_names(args)
    folder = Path(args.folder)
    start, cpu = time.perf_counter(), time.process_time()
    config = TransferConfig(max_concurrency=args.part_workers) if args.part_workers else TransferConfig()
    connections = args.workers * max(1, args.part_workers)
    client = boto3.client(
        "s3", endpoint_url=args.endpoint, region_name=args.region,
        config=Config(s3={"addressing_style": "path"}, max_pool_connections=max(10, connections)),
    )  # fmt: skip

    def upload(name: str) -> int:
        client.upload_file(str(folder / name), args.bucket, args.prefix + name, Config=config)
        return os.path.getsize(folder / name)

    nbytes = pool_sum(args.workers, names, upload)
    return {
        "transfer_s": time.perf_counter() - start, "cpu_s": time.process_time() - cpu, "done": len(names),
        "bytes": nbytes, "part_size": config.multipart_chunksize, "max_concurrency": config.max_concurrency,
    }  # fmt: skip


RUNNERS = {
    ("cassdk", "upload"): cassdk_upload,
    ("cassdk", "lanes"): cassdk_lanes,
    ("boto3", "upload"): boto3_upload,
}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--client", choices=("cassdk", "boto3"), required=True)
    parser.add_argument("--op", choices=("upload", "lanes"), required=True)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--prefix", required=True, help="the keys' prefix, ending in /")
    parser.add_argument("--folder", required=True)
    parser.add_argument("--names-from", default="", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=8, help="files at once")
    parser.add_argument("--part-workers", type=int, default=0, help="parts at once per file (0: the default)")
    parser.add_argument("--state-dir", default="", help="cassdk_like: where the manager's state folder goes")
    parser.add_argument("--rate", type=float, default=40e6, help="lanes: the destination's cap, bytes/s")
    parser.add_argument("--lane", action="append", default=[], help="lanes: NAME=COUNT (repeat)")
    parser.add_argument("--interval", type=float, default=0.5, help="lanes: seconds between samples")
    parser.add_argument("--timeout", type=float, default=600.0, help="lanes: give up after this long")
    args = parser.parse_args(argv)
    if not args.prefix.endswith("/"):
        parser.error("--prefix must end in /")
    runner = RUNNERS.get((args.client, args.op))
    if runner is None:
        parser.error(f"--op {args.op} is cassdk_like's only")
    if args.op == "lanes" and not args.lane:
        parser.error("--op lanes needs --lane NAME=COUNT")
    result = runner(args)
    result.update(client=args.client, op=args.op, workers=args.workers, part_workers=args.part_workers)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
