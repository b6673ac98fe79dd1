"""Benchmark peer: boto3/s3transfer ``download_file`` from nginx as an unsigned path-style S3 bucket.

The boto3 peer of docs/benchmark-method.md §4. Prints one JSON line with the transfer-only seconds.
Usage: boto3_dl.py PORT OUT CHUNK_MIB CONCURRENCY [KEY]
"""

from __future__ import annotations

import json
import sys
import time

import boto3
import boto3.s3.transfer
import botocore
from botocore.config import Config


def main() -> int:
    port, out, chunk_mib, conc = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    key = sys.argv[5] if len(sys.argv) > 5 else "big.bin"
    client = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        config=Config(signature_version=botocore.UNSIGNED, s3={"addressing_style": "path"}),
        region_name="us-east-1",
    )
    config = boto3.s3.transfer.TransferConfig(
        max_concurrency=conc, multipart_chunksize=chunk_mib * 1024 * 1024, use_threads=True
    )
    start = time.perf_counter()
    client.download_file("bucket", key, out, Config=config)
    print(json.dumps({"transfer_s": time.perf_counter() - start}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
