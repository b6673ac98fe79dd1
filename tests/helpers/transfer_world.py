"""Helpers of the transfer manager's tests: the emulator's settings as profiles, buckets, trees.

``profiles`` gives the manager the emulator's connection settings in memory under the names ``s3``
and ``cos``, as a user would under their own profile names.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path
from typing import Dict

from cassdk_like.bucket import Bucket, BucketAPI, COSClient, S3Client
from cassdk_like.emulator import Emulator
from cassdk_like.transfer import ConnectionSettings

COS_REGION = "ap-guangzhou"


def profiles(emu: Emulator) -> Dict[str, ConnectionSettings]:
    """Connection settings of the emulator's S3, COS and CAS services, by profile name."""
    return {
        "s3": ConnectionSettings(
            endpoint=emu.endpoints["s3"],
            region="us-east-1",
            secret_id=emu.secret_id,
            secret_key=emu.secret_key,
        ),
        "cas": ConnectionSettings(
            endpoint=emu.endpoint,
            appid=emu.appid,
            dialect="cas",
            secret_id=emu.secret_id,
            secret_key=emu.secret_key,
        ),
        "cos": ConnectionSettings(
            endpoint=emu.endpoints["cos"],
            region=COS_REGION,
            appid=emu.appid,
            secret_id=emu.secret_id,
            secret_key=emu.secret_key,
        ),
    }


def make_bucket(emu: Emulator, dialect: str) -> Bucket:
    """A new empty bucket in ``dialect``; its address is ``address_of(bucket, dialect)``."""
    if dialect == "s3":
        api = BucketAPI(S3Client(emu.endpoints["s3"], emu.secret_id, emu.secret_key, region="us-east-1"))
    else:
        client = COSClient(
            COS_REGION, emu.appid, emu.secret_id, emu.secret_key, endpoint=emu.endpoints["cos"]
        )
        api = BucketAPI(client)
    return Bucket.create(api, f"xfer-{uuid.uuid4().hex[:10]}")


def address_of(bucket: Bucket, dialect: str, prefix: str = "") -> str:
    return f"{dialect}://{bucket.name}/{prefix}"


def make_tree(root: Path, files: int = 12, size: int = 40_000, seed: int = 0) -> Path:
    """A folder of ``files`` files of pseudo-random bytes (``size`` to ``size`` + 4 KB, two levels
    deep)."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        folder = root / f"d{i % 3}" / ("deep" if i % 2 else "")
        folder.mkdir(parents=True, exist_ok=True)
        length = size + (i % 5) * 997
        data = hashlib.sha256(f"{seed}-{i}".encode()).digest() * (1 + length // 32)
        (folder / f"file{i:03d}.bin").write_bytes(data[:length])
    return root


def tree_files(root: Path) -> Dict[str, bytes]:
    """Relative path -> bytes of every file under ``root``."""
    found: Dict[str, bytes] = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


def bucket_files(bucket: Bucket, prefix: str) -> Dict[str, bytes]:
    """Key (below ``prefix/``) -> bytes of every object under ``prefix``."""
    return {
        summary.key[len(prefix) + 1 :]: bucket.get_bytes(summary.key)
        for summary in bucket.objects(prefix=prefix + "/")
    }
