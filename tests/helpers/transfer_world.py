"""Helpers of the transfer manager's tests: the emulator's settings as profiles, buckets, trees.

``profiles`` gives the manager the emulator's connection settings in memory under the names ``s3``
and ``cos``, as a user would under their own profile names.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Callable, Dict, Tuple

from cassdk_like.bucket import Bucket, BucketAPI, COSClient, S3Client
from cassdk_like.emulator import Emulator
from cassdk_like.transfer import ConnectionSettings

COS_REGION = "ap-guangzhou"
ROOT = Path(__file__).resolve().parents[2]


def until(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Poll ``check`` until it holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def spawn_transfer_child(emu: Emulator, spec_path: Path, **spec: object) -> Tuple[subprocess.Popen[str], int]:
    """``tests.helpers.transfer_child`` running a transfer in its own process to the emulator (its S3
    unless ``spec`` names another ``endpoint``); ``spec`` names ``state_dir``, ``source``,
    ``address``, ``rate_kbps``, ``checkpoint_seconds`` and ``workers``. Returns the child and the
    id of the transfer it queued."""
    spec_path.touch(mode=0o600)  # it holds the emulator's key pair
    account = {"endpoint": emu.endpoints["s3"], "secret_id": emu.secret_id, "secret_key": emu.secret_key}
    spec_path.write_text(json.dumps({**account, **spec}), encoding="utf-8")
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.transfer_child", str(spec_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    if not line.startswith("TRANSFER "):
        child.kill()
        child.wait(10)
        raise AssertionError(f"the child did not start its transfer: {line!r}")
    return child, int(line.split()[1])


def kill_9_when(
    child: subprocess.Popen[str], check: Callable[[], bool], what: str, timeout: float = 60
) -> None:
    """SIGKILL ``child`` as soon as ``check`` holds (failing if it dies first or ``what`` takes
    longer than ``timeout``); the child is reaped and its pipe closed whatever happens."""
    try:
        deadline = time.monotonic() + timeout
        while not check():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            assert child.poll() is None, "the child died"
            time.sleep(0.01)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        if child.stdout is not None:
            child.stdout.close()


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
