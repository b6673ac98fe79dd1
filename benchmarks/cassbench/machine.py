"""What a result was measured on: machine facts, tool versions, and the frozen copy of the code."""

from __future__ import annotations

import hashlib
import importlib
import platform
import shutil
import ssl
import subprocess
import time
from typing import Dict

from benchmarks.cassbench.workspace import BASELINE, PYTHON, REPO, SNAPSHOT, WORK


def sh(cmd: str) -> str:
    try:
        proc = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=30, check=False)
        return proc.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def commit() -> str:
    """The repository's short HEAD commit ("?" outside a git checkout)."""
    return sh(f"cd {REPO} && git rev-parse --short HEAD") or "?"


def _version(module: str) -> str:
    try:
        return str(getattr(importlib.import_module(module), "__version__", "?"))
    except ImportError:
        return "not installed"


def machine_facts() -> Dict[str, str]:
    flags = sh("grep -m1 '^flags' /proc/cpuinfo")
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "nproc": sh("nproc"),
        "cpu": sh("lscpu | grep -m1 'Model name'").split(":", 1)[-1].strip()
        + (" (sha_ni)" if " sha_ni" in flags else ""),
        "memory": sh("free -h | sed -n 2p"),
        "kernel": platform.release(),
        "os": sh(". /etc/os-release && echo $PRETTY_NAME"),
        "disk": sh(f"df -hT {WORK} | tail -1"),
        "python": f"{platform.python_version()} ({PYTHON})",
        "openssl": ssl.OPENSSL_VERSION,
        "nginx": sh("nginx -v 2>&1").replace("nginx version: ", ""),
        "curl": sh("curl --version | head -1"),
        "aria2": sh("aria2c --version | head -1"),
        "boto3": _version("boto3"),
        "botocore": _version("botocore"),
        "s3transfer": _version("s3transfer"),
        "requests": _version("requests"),
        "urllib3": _version("urllib3"),
        "cassdk_like": commit()
        + " + working tree ("
        + sh(f"cd {REPO} && git status --short cassdk_like | wc -l")
        + " changed/untracked paths under cassdk_like/)",
    }


def snapshot_code() -> str:
    """Copy cassdk_like/ as it is now to _work/snapshot and return a fingerprint of its sources.

    Other people edit the package while a run lasts an hour: every client and the emulator import
    this frozen copy, so all runs of one invocation measure the same code.
    """
    target = SNAPSHOT / "cassdk_like"
    shutil.rmtree(SNAPSHOT, ignore_errors=True)
    shutil.copytree(REPO / "cassdk_like", target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    digest = hashlib.sha256()
    for path in sorted(target.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(SNAPSHOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def snapshot_baseline(revision: str) -> str:
    """Export cassdk_like/ and the benchmark clients as of ``revision`` to _work/baseline.

    Tool cassdk-base runs that tree next to the current one, so a before/after comparison shares one
    run's machine state (a regression between two runs on different days is mostly the machine).
    """
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", f"{revision}^{{commit}}"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    shutil.rmtree(BASELINE, ignore_errors=True)
    BASELINE.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", commit, "cassdk_like", "benchmarks/clients"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(BASELINE)], input=archive, check=True)
    return commit
