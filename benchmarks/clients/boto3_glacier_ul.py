"""Benchmark peer: boto3's Glacier client uploads one file in parts to the emulator (glacier dialect).

botocore computes both hashes of every part itself (the SigV4 payload SHA-256 and the
``x-amz-sha256-tree-hash`` header); the archive's tree hash is combined from the parts' tree
hashes, which is the least a boto3 user has to add. Parts are read with ``os.pread`` by N threads
sharing one client. Prints one JSON line: archive id, transfer-only seconds, part size, parts.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import os
import sys
import time
from typing import List, Optional

import boto3
from botocore.config import Config

MiB = 1024 * 1024


def combine(hashes: List[bytes]) -> bytes:
    """The tree hash over part tree hashes (pairwise SHA-256, an odd one carried up)."""
    level = hashes
    while len(level) > 1:
        pairs = [hashlib.sha256(level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        level = pairs + ([level[-1]] if len(level) % 2 else [])
    return level[0]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--secret-id", required=True)
    parser.add_argument("--secret-key", required=True)
    parser.add_argument("--vault", required=True)
    parser.add_argument("--file", required=True)
    parser.add_argument("--part-mib", type=int, default=16, help="a power of two (Glacier's rule)")
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args(argv)
    part = args.part_mib * MiB
    if args.part_mib <= 0 or args.part_mib & (args.part_mib - 1):
        parser.error("--part-mib must be a power of two")
    size = os.path.getsize(args.file)
    client = boto3.client(
        "glacier",
        endpoint_url=args.endpoint,
        region_name="us-east-1",
        aws_access_key_id=args.secret_id,
        aws_secret_access_key=args.secret_key,
        config=Config(max_pool_connections=args.workers + 2),
    )
    client.create_vault(accountId="-", vaultName=args.vault)
    start = time.perf_counter()
    upload_id = client.initiate_multipart_upload(accountId="-", vaultName=args.vault, partSize=str(part))[
        "uploadId"
    ]
    fd = os.open(args.file, os.O_RDONLY)

    def send(offset: int) -> bytes:
        body = os.pread(fd, min(part, size - offset), offset)
        response = client.upload_multipart_part(
            accountId="-", vaultName=args.vault, uploadId=upload_id,
            range=f"bytes {offset}-{offset + len(body) - 1}/*", body=body,
        )  # fmt: skip
        return bytes.fromhex(response["checksum"])

    try:
        with concurrent.futures.ThreadPoolExecutor(args.workers) as pool:
            hashes = list(pool.map(send, range(0, size, part)))
    finally:
        os.close(fd)
    done = client.complete_multipart_upload(
        accountId="-", vaultName=args.vault, uploadId=upload_id, archiveSize=str(size),
        checksum=combine(hashes).hex(),
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    print(json.dumps({
        "api": "boto3 glacier: initiate_multipart_upload + upload_multipart_part x N + complete",
        "archive_id": done["archiveId"], "transfer_s": elapsed, "part_size": part, "parts": len(hashes),
        "workers": args.workers,
    }))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
