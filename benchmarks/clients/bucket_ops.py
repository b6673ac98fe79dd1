"""Benchmark client: one bucket workload with cassdk_like, boto3/s3transfer or the minio client.

Every client is signed with SigV4 against a path-style S3 endpoint (the emulator, nginx in front of
it, or rclone's ``serve s3``) and gets the same work:

* ``download`` / ``upload``: one object to or from ``--file`` with ``--workers`` connections
  (cassdk_like ``Bucket.download_file`` / ``upload_file``; boto3 ``download_file`` /
  ``upload_file`` with ``TransferConfig(max_concurrency=N, multipart_chunksize=--chunk-mib)``;
  minio ``fget_object`` (one GET stream: it is not parallel per object) / ``fput_object`` with
  ``--chunk-mib`` parts, 0 = its own part size, and ``num_parallel_uploads=N``);
* ``put-many`` / ``get-many``: every file of ``--folder`` as ``--prefix<name>``, or every such
  object back into ``--folder``, by a thread pool of ``--workers`` sharing one client
  (cassdk_like ``Bucket.put`` / ``get_bytes``, boto3 ``put_object`` / ``get_object``, minio
  ``put_object`` / ``get_object``).

Prints one JSON line: the transfer-only seconds and the CPU seconds of the workload
(``time.process_time``, interpreter start and imports left out), what was done and the bytes.
Usage: bucket_ops.py --client {cassdk,boto3,minio} --op OP --endpoint URL --access-key AK
--secret-key SK --bucket B [--key K --file F | --prefix P --folder D] [--workers N] [--chunk-mib M]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

MiB = 1024 * 1024
OPS = ("download", "upload", "put-many", "get-many")


def folder_names(args: argparse.Namespace) -> List[str]:
    """The object names of a many-object run: the files of --folder (put) or --names-from (get)."""
    folder = Path(args.names_from or args.folder)
    return sorted(p.name for p in folder.iterdir() if p.is_file())


def pool_sum(workers: int, names: List[str], one: Callable[[str], int]) -> int:
    """``one(name)`` for every name on a pool of ``workers`` threads; the sum of what they return."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return sum(pool.map(one, names))


def _read(folder: Path, name: str) -> bytes:
    with open(folder / name, "rb") as f:
        return f.read()


def _write(folder: Path, name: str, data: bytes) -> int:
    with open(folder / name, "wb") as f:
        f.write(data)
    return len(data)


# -- the clients ------------------------------------------------------------------------------------


def run_cassdk(args: argparse.Namespace) -> Dict[str, Any]:
    import sync_timer  # noqa: PLC0415
    from config_opts import parse_opts  # noqa: PLC0415

    from cassdk_like.bucket import Bucket, BucketAPI, S3Client  # noqa: PLC0415
    from cassdk_like.engine import TransferConfig  # noqa: PLC0415

    sync_timer.install()

    client = S3Client(
        args.endpoint, args.access_key, args.secret_key, region=args.region, addressing="path",
        max_pool_size=max(10, args.workers),
    )  # fmt: skip
    bucket = Bucket(BucketAPI(client), args.bucket)
    config = TransferConfig(max_workers=args.workers, **parse_opts(args.opt))
    folder = Path(args.folder) if args.folder else Path()
    out: Dict[str, Any] = {"opt": args.opt} if args.opt else {}
    with client:
        start, cpu = time.perf_counter(), time.process_time()
        if args.op == "download":
            result = bucket.download_file(args.key, args.file, config=config)
            out.update(
                verified=bool(result.verified), integrity=str(result.integrity), requests=result.requests,
                pieces=result.pieces_fetched, piece_mib=config.piece_size_for(result.size) // MiB,
            )  # fmt: skip
            done, nbytes = 1, os.path.getsize(args.file)
        elif args.op == "upload":
            uploaded = bucket.upload_file(args.file, args.key, config=config)
            out.update(part_size=uploaded.part_size, parts=uploaded.parts_uploaded)
            done, nbytes = 1, uploaded.size
        elif args.op == "put-many":
            names = folder_names(args)

            def put(name: str) -> int:
                data = _read(folder, name)
                bucket.put(args.prefix + name, data)
                return len(data)

            done, nbytes = len(names), pool_sum(args.workers, names, put)
        else:
            names = folder_names(args)

            def get(name: str) -> int:
                return _write(folder, name, bucket.get_bytes(args.prefix + name))

            done, nbytes = len(names), pool_sum(args.workers, names, get)
        out.update(transfer_s=time.perf_counter() - start, cpu_s=time.process_time() - cpu)
    return {**out, **sync_timer.figures(), "done": done, "bytes": nbytes}


def run_boto3(args: argparse.Namespace) -> Dict[str, Any]:
    import boto3  # noqa: PLC0415
    from boto3.s3.transfer import TransferConfig  # noqa: PLC0415
    from botocore.config import Config  # noqa: PLC0415

    client = boto3.client(
        "s3", endpoint_url=args.endpoint, aws_access_key_id=args.access_key,
        aws_secret_access_key=args.secret_key, region_name=args.region,
        config=Config(s3={"addressing_style": "path"}, max_pool_connections=max(10, args.workers)),
    )  # fmt: skip
    chunk = (args.chunk_mib or 8) * MiB
    config = TransferConfig(
        max_concurrency=args.workers, multipart_chunksize=chunk, multipart_threshold=chunk, use_threads=True
    )
    folder = Path(args.folder) if args.folder else Path()
    out: Dict[str, Any] = {"part_size": chunk}
    start, cpu = time.perf_counter(), time.process_time()
    if args.op == "download":
        client.download_file(args.bucket, args.key, args.file, Config=config)
        done, nbytes = 1, os.path.getsize(args.file)
    elif args.op == "upload":
        client.upload_file(args.file, args.bucket, args.key, Config=config)
        done, nbytes = 1, os.path.getsize(args.file)
    elif args.op == "put-many":
        names = folder_names(args)

        def put(name: str) -> int:
            data = _read(folder, name)
            client.put_object(Bucket=args.bucket, Key=args.prefix + name, Body=data)
            return len(data)

        done, nbytes = len(names), pool_sum(args.workers, names, put)
    else:
        names = folder_names(args)

        def get(name: str) -> int:
            body = client.get_object(Bucket=args.bucket, Key=args.prefix + name)["Body"]
            return _write(folder, name, body.read())

        done, nbytes = len(names), pool_sum(args.workers, names, get)
    out.update(transfer_s=time.perf_counter() - start, cpu_s=time.process_time() - cpu)
    return {**out, "done": done, "bytes": nbytes}


def run_minio(args: argparse.Namespace) -> Dict[str, Any]:
    from urllib.parse import urlsplit  # noqa: PLC0415

    from minio import Minio  # noqa: PLC0415
    from minio.helpers import get_part_info  # noqa: PLC0415

    parts = urlsplit(args.endpoint)
    client = Minio(
        parts.netloc, access_key=args.access_key, secret_key=args.secret_key,
        secure=parts.scheme == "https", region=args.region,
    )  # fmt: skip
    folder = Path(args.folder) if args.folder else Path()
    out: Dict[str, Any] = {}
    start, cpu = time.perf_counter(), time.process_time()
    if args.op == "download":
        client.fget_object(args.bucket, args.key, args.file)
        done, nbytes = 1, os.path.getsize(args.file)
    elif args.op == "upload":
        part = args.chunk_mib * MiB  # 0: minio picks (at least 5 MiB, at most 10,000 parts)
        client.fput_object(
            args.bucket, args.key, args.file, part_size=part, num_parallel_uploads=args.workers
        )
        out["part_size"] = get_part_info(os.path.getsize(args.file), part)[0]
        done, nbytes = 1, os.path.getsize(args.file)
    elif args.op == "put-many":
        names = folder_names(args)

        def put(name: str) -> int:
            data = _read(folder, name)
            client.put_object(args.bucket, args.prefix + name, io.BytesIO(data), len(data))
            return len(data)

        done, nbytes = len(names), pool_sum(args.workers, names, put)
    else:
        names = folder_names(args)

        def get(name: str) -> int:
            response = client.get_object(args.bucket, args.prefix + name)
            try:
                data = response.read()
            finally:
                response.close()
                response.release_conn()
            return _write(folder, name, data)

        done, nbytes = len(names), pool_sum(args.workers, names, get)
    out.update(transfer_s=time.perf_counter() - start, cpu_s=time.process_time() - cpu)
    return {**out, "done": done, "bytes": nbytes}


RUNNERS = {"cassdk": run_cassdk, "boto3": run_boto3, "minio": run_minio}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--client", choices=tuple(RUNNERS), required=True)
    parser.add_argument("--op", choices=OPS, required=True)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--access-key", required=True)
    parser.add_argument("--secret-key", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--key", default="")
    parser.add_argument("--file", default="")
    parser.add_argument("--prefix", default="")
    parser.add_argument("--folder", default="", help="put-many: the source files; get-many: the output")
    parser.add_argument("--names-from", default="", help="get-many: the folder whose file names to fetch")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--chunk-mib", type=int, default=0, help="boto3 (default 8) and minio part size")
    parser.add_argument(
        "--opt", default="", help="cassdk: more TransferConfig fields, e.g. buffer_parts=true"
    )
    args = parser.parse_args(argv)
    if args.op in ("download", "upload") and not (args.key and args.file):
        parser.error(f"--op {args.op} needs --key and --file")
    if args.op in ("put-many", "get-many") and not args.folder:
        parser.error(f"--op {args.op} needs --folder")
    result = RUNNERS[args.client](args)
    result.update(client=args.client, op=args.op, workers=args.workers)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
