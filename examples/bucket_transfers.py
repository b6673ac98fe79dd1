"""Buckets in both dialects: create one, upload a file in parallel parts, list, download it verified,
hand out a presigned URL, and clean up.

Runs against a throw-away local emulator (its S3 and COS services); for AWS use ``S3Client()``
with the usual ``AWS_*`` variables, for Tencent COS ``COSClient(region, appid)`` with
``COS_SECRET_ID`` / ``COS_SECRET_KEY``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import urlsplit

import requests

from cassdk_like.bucket import Bucket, BucketAPI, BucketClient, COSClient, NoSuchKey, S3Client
from cassdk_like.emulator import Emulator
from cassdk_like.engine import TransferConfig

MiB = 1024 * 1024
CONFIG = TransferConfig(max_workers=4, min_part_size=5 * MiB)


def fetch(url: str, connect_to: Optional[str] = None) -> bytes:
    """GET the first 16 bytes of a presigned URL; ``connect_to`` sends it to a local server that
    reads the bucket from the Host header (the URL names the real COS host)."""
    headers = {"Range": "bytes=0-15"}
    if connect_to is not None:
        parts = urlsplit(url)
        headers["Host"] = parts.netloc
        url = f"{connect_to}{parts.path}?{parts.query}"
    return requests.get(url, headers=headers, timeout=10).content


def tour(client: BucketClient, folder: Path, get: Callable[[str], bytes]) -> None:
    api = BucketAPI(client)
    bucket = Bucket.create(api, "example-media", exist_ok=True)
    source = folder / "video.bin"
    source.write_bytes(os.urandom(12 * MiB))

    # above the threshold the file goes in parallel 5 MiB parts, each checksummed; the whole
    # object's SHA-256 is kept in its metadata
    uploaded = bucket.upload_file(source, "videos/2026/intro.bin", threshold=5 * MiB, config=CONFIG)
    print(f"[{client.dialect.name}] uploaded {uploaded.size} bytes in {uploaded.parts_uploaded} parts")
    print(f"[{client.dialect.name}] listed:", [o.key for o in bucket.objects(prefix="videos/")])

    # ranged GETs in parallel, pinned to the ETag, checked against the stored SHA-256
    restored = folder / "restored.bin"
    result = bucket.download_file("videos/2026/intro.bin", restored, config=CONFIG)
    assert result.verified
    assert restored.read_bytes() == source.read_bytes()
    print(f"[{client.dialect.name}] downloaded and verified ({result.integrity})")

    # a link anyone can use for ten minutes (a secret: its repr hides the signature)
    url = bucket.presigned_get_url("videos/2026/intro.bin", 600)
    assert get(url) == source.read_bytes()[:16]
    print(f"[{client.dialect.name}] presigned URL:", repr(url)[:60], "...")

    bucket.delete_objects([o.key for o in bucket.objects()])
    try:
        bucket.head("videos/2026/intro.bin")
    except NoSuchKey:
        print(f"[{client.dialect.name}] deleted")
    bucket.delete()
    assert uploaded.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()


with tempfile.TemporaryDirectory() as tmp, Emulator() as emu:
    s3 = S3Client(emu.endpoints["s3"], emu.secret_id, emu.secret_key, region="us-east-1")
    with s3:
        tour(s3, Path(tmp), fetch)
    # the emulator's COS service reads the bucket from the Host header, as COS does
    cos = COSClient("ap-guangzhou", emu.appid, emu.secret_id, emu.secret_key, endpoint=emu.endpoints["cos"])
    with cos:
        tour(cos, Path(tmp), lambda url: fetch(url, emu.endpoints["cos"]))
    print("bucket example verified")
