"""The work folder (benchmarks/_work), the source files, the per-run record, and what suites share.

Everything a suite needs from the invocation travels in one :class:`Context`, so a suite module
is a pair of functions (run, render) and no module keeps global state.
"""

from __future__ import annotations

import argparse
import json
import mmap
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence

from benchmarks.cassbench import harness
from benchmarks.cassbench.stats import GiB, MiB

if TYPE_CHECKING:
    from benchmarks.cassbench.servers import Nginx

BENCH = Path(__file__).resolve().parent.parent
REPO = BENCH.parent
CLIENTS = BENCH / "clients"
WORK = BENCH / "_work"
SNAPSHOT = WORK / "snapshot"
BASELINE = WORK / "baseline"
APPID = "1250000000"
VAULT = "benchvault"
EMU_APPID = "1250000001"
EMU_SECRET_ID = "AKIDbenchmarkemulator0000000000000000"
EMU_SECRET_KEY = "benchmark-emulator-secret-key"
CAP = 40 * MiB  # nginx "limit_rate 40m" = 40 MiB/s per request
SIZES = {"16m": 16 * MiB, "64m": 64 * MiB, "256m": 256 * MiB, "1g": GiB, "4g": 4 * GiB}
PYTHON = sys.executable


def job_id(label: str) -> str:
    return f"BENCHJOB{label.upper()}"


def key_for(label: str) -> str:
    return "big.bin" if label == "1g" else f"big-{label}.bin"


def size_text(label: str, quick: bool) -> str:
    text = {"16m": "16 MiB", "64m": "64 MiB", "256m": "256 MiB", "1g": "1 GiB", "4g": "4 GiB"}[label]
    return f"{text} (quick mode)" if quick else text


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def child_env(code: Optional[Path] = None) -> Dict[str, str]:
    """The environment of the clients and the emulator: ``code`` (default: the snapshot) first on the path."""
    env = dict(os.environ)
    if code is None:
        code = SNAPSHOT if (SNAPSHOT / "cassdk_like").is_dir() else REPO
    env["PYTHONPATH"] = str(code) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    # bytecode is cached (outside the repo) so that no Python client recompiles its sources on every
    # start: this machine sets PYTHONDONTWRITEBYTECODE=1, which would charge cassdk_like (no .pyc
    # files in a source checkout) ~0.3 s of compiling per run while the peers' site-packages have theirs
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(WORK / "pycache")
    for var in list(env):
        if var.startswith(("CAS_", "AWS_")):  # the clients get everything on their command line
            del env[var]
    return env


def clean_outputs() -> None:
    out = WORK / "out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)


class Recorder:
    """Every run of this invocation; saved after each one (so a long run can be inspected live)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.runs: List[Dict[str, Any]] = []

    def add(self, run: Dict[str, Any]) -> None:
        self.runs.append(run)
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps({"runs": self.runs}, indent=1, default=str))

    def select(self, **match: Any) -> List[Dict[str, Any]]:
        return [r for r in self.runs if all(r.get(k) == v for k, v in match.items())]


def make_sources(labels: Sequence[str]) -> Dict[str, Dict[str, Any]]:
    """Random source files (head -c from /dev/urandom), their sha256 and tree hash (cached)."""
    src = WORK / "src"
    src.mkdir(parents=True, exist_ok=True)
    cache_file = WORK / "sources.json"
    cache: Dict[str, Any] = json.loads(cache_file.read_text()) if cache_file.exists() else {}
    out = {}
    for label in labels:
        path = src / f"src-{label}.bin"
        size = SIZES[label]
        if not path.exists() or path.stat().st_size != size:
            log(f"creating {path.name} ({size} bytes from /dev/urandom)")
            with open(path, "wb") as f:
                subprocess.run(["head", "-c", str(size), "/dev/urandom"], stdout=f, check=True)
        stat = path.stat()
        stamp = f"{stat.st_size}:{stat.st_mtime_ns}"
        entry = cache.get(label)
        if not entry or entry.get("stamp") != stamp:
            log(f"hashing {path.name}")
            from cassdk_like.core.integrity import tree_hash  # noqa: PLC0415

            with open(path, "rb") as source, mmap.mmap(source.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                tree = tree_hash(memoryview(mm))
            entry = {"stamp": stamp, "sha256": harness.sha256_file(path), "tree_hash": tree}
            cache[label] = entry
            cache_file.write_text(json.dumps(cache, indent=1))
        out[label] = {"path": path, "size": size, **entry}
    return out


@dataclass
class Context:
    """One invocation: its options, its per-run record, the source files and the nginx it started."""

    args: argparse.Namespace
    rec: Recorder
    sources: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    nginx: Optional[Nginx] = None

    @property
    def nginx_pids(self) -> List[int]:
        return self.nginx.pids if self.nginx is not None else []

    @property
    def main(self) -> Dict[str, Any]:
        """The main source file (1 GiB; quick: 256 MiB; or ``--size``)."""
        return self.sources[self.args.main_label]
