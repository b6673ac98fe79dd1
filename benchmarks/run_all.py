"""Run the engine benchmarks (issue 5) and write benchmarks/RESULTS.md. Use ``benchmarks/run.sh``.

Suites (``--only``, comma separated; default all):
  dl       1. download 1 GiB from nginx (job-output path), capped / uncapped, cold (+ warm uncapped):
              cassdk_like vs aria2c -x8 -s8 vs boto3 download_file (8 / 32 MiB) vs curl (vs requests)
  ul       2. upload 1 GiB to the bundled emulator (separate process) with cassdk_like
  hash     3. tree hash on 1 and 2 threads vs hashlib.sha256 on a 1 GiB in-memory buffer
  rss      4. peak RSS of 64 MiB / 1 GiB / 4 GiB downloads (nginx) and uploads (emulator)
  pattern  request pattern of one cassdk_like download on the logging nginx servers (not timed)
  profile  py-spy CPU profiles of one warm cassdk_like download and one upload (not timed)
  diag     clients/dl_experiments.py: warm in-process downloads with one knob changed at a time (chunk
           size, urllib3's extra copy skipped, workers, syncing), to show where the time goes

Everything goes to 127.0.0.1 only; nginx and the emulator are stopped on exit, even on failure.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import mmap
import os
import platform
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import harness
from harness import GiB, MiB, fmt, med, med_range

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
CLIENTS = BENCH / "clients"
WORK = BENCH / "_work"
APPID = "1250000000"
VAULT = "benchvault"
EMU_APPID = "1250000001"
EMU_SECRET_ID = "AKIDbenchmarkemulator0000000000000000"
EMU_SECRET_KEY = "benchmark-emulator-secret-key"
CAP = 40 * MiB  # nginx "limit_rate 40m" = 40 MiB/s per request
SIZES = {"64m": 64 * MiB, "256m": 256 * MiB, "1g": GiB, "4g": 4 * GiB}
ALL_SUITES = ("dl", "ul", "hash", "rss", "pattern", "profile", "diag")
ALL_TOOLS = ("cassdk", "aria2c", "boto3-8m", "boto3-32m", "curl", "requests")
ALL_CONDITIONS = ("capped-cold", "uncapped-cold", "uncapped-warm")
ANALYSIS_MARKER = "<!-- hand-written analysis below: kept when RESULTS.md is regenerated -->"
PYTHON = sys.executable


def job_id(label: str) -> str:
    return f"BENCHJOB{label.upper()}"


def key_for(label: str) -> str:
    return "big.bin" if label == "1g" else f"big-{label}.bin"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# -- options --------------------------------------------------------------------------------------


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=None, help="runs per tool and condition (default 5, quick 1)")
    p.add_argument("--quick", action="store_true", help="256 MiB instead of 1 GiB, no idle pauses")
    p.add_argument("--only", default=",".join(ALL_SUITES), help=f"suites, from {','.join(ALL_SUITES)}")
    p.add_argument("--tools", default=",".join(ALL_TOOLS), help=f"download tools, from {','.join(ALL_TOOLS)}")
    p.add_argument(
        "--conditions",
        default=",".join(ALL_CONDITIONS),
        help=f"download conditions: {','.join(ALL_CONDITIONS)}",
    )
    p.add_argument(
        "--capped-tools",
        default="cassdk,aria2c,boto3-8m,boto3-32m,curl",
        help="tools run on the capped server (requests is pinned at the cap like curl: left out)",
    )
    p.add_argument(
        "--idle", type=float, default=None, help="cold idle seconds after sync (default 20, quick 0)"
    )
    p.add_argument("--ul-runs", type=int, default=None, help="upload runs per condition (default --runs)")
    p.add_argument("--ul-conditions", default="cold,warm", help="upload page states")
    p.add_argument("--rss-runs", type=int, default=None, help="runs per size in suite rss (default --runs)")
    p.add_argument("--hash-runs", type=int, default=None, help="runs in suite hash (default max(--runs, 5))")
    p.add_argument(
        "--max-quiet-wait",
        type=float,
        default=None,
        help="before each run, wait up to this many s for a 1 s window with < 0.05 cores of other work "
        "on the machine (default 120, quick 0 = off)",
    )
    p.add_argument(
        "--noisy",
        type=float,
        default=0.10,
        help="a run during which other processes used more than this many cores (user mode) is redone",
    )
    p.add_argument("--max-retries", type=int, default=None, help="redos of a noisy run (default 2, quick 0)")
    p.add_argument("--api", choices=("auto", "highlevel", "engine"), default="auto")
    p.add_argument("--workers", type=int, default=8, help="connections for every parallel tool")
    p.add_argument(
        "--piece-mib",
        type=int,
        default=0,
        help="cassdk_like download piece size in MiB (0: the engine's default)",
    )
    p.add_argument(
        "--max-request-mib",
        type=int,
        default=0,
        help="cassdk_like's largest ranged GET in MiB (0: engine default; = --piece-mib: one piece each)",
    )
    p.add_argument(
        "--request-seconds",
        type=float,
        default=0.0,
        help="cassdk_like's target duration of one ranged GET (0: the engine's default)",
    )
    p.add_argument(
        "--cassdk-opt",
        default="",
        help="more TransferConfig fields for cassdk_like, e.g. io_chunk_size=1048576,write_chunk_size=65536",
    )
    p.add_argument("--port", type=int, default=18080, help="first of the 4 nginx ports (emulator: +303)")
    p.add_argument("--results", default=None, help="output file (default RESULTS.md; quick: _work/...)")
    p.add_argument("--json", default=None, help="per-run JSON file in _work (default results.json)")
    p.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite the results file from the saved JSON (and --merge-json files), run nothing",
    )
    p.add_argument(
        "--merge-json",
        default="",
        help="comma-separated JSON files in _work whose runs and extras are merged in (e.g. a later "
        "--only profile run)",
    )
    p.add_argument("--command", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.suites = [s for s in args.only.split(",") if s]
    args.tool_list = [t for t in args.tools.split(",") if t]
    args.capped_list = [t for t in args.capped_tools.split(",") if t in args.tool_list]
    args.condition_list = [c for c in args.conditions.split(",") if c]
    for name, values, allowed in (
        ("--only", args.suites, ALL_SUITES),
        ("--tools", args.tool_list, ALL_TOOLS),
        ("--conditions", args.condition_list, ALL_CONDITIONS),
    ):
        bad = sorted(set(values) - set(allowed))
        if bad:
            p.error(f"{name}: unknown {bad}; choose from {list(allowed)}")
    if args.runs is None:
        args.runs = 1 if args.quick else 5
    if args.idle is None:
        args.idle = 0.0 if args.quick else 20.0
    if args.max_quiet_wait is None:
        args.max_quiet_wait = 0.0 if args.quick else 120.0
    if args.max_retries is None:
        args.max_retries = 0 if args.quick else 2
    args.ul_runs = args.runs if args.ul_runs is None else args.ul_runs
    args.rss_runs = args.runs if args.rss_runs is None else args.rss_runs
    args.hash_runs = (
        (args.runs if args.quick else max(args.runs, 5)) if args.hash_runs is None else args.hash_runs
    )
    args.main_label = "256m" if args.quick else "1g"
    args.rss_labels = ["64m", "256m"] if args.quick else ["64m", "1g", "4g"]
    if args.results is None:
        args.results = str(WORK / "RESULTS-quick.md") if args.quick else str(BENCH / "RESULTS.md")
    args.ports = {
        "uncapped": args.port,
        "capped": args.port + 1,
        "uncapped_log": args.port + 2,
        "capped_log": args.port + 3,
    }
    args.emu_port = args.port + 303
    if args.json is None:
        args.json = "results-quick.json" if args.quick else "results.json"
    return args


# -- source files and the CAS layout --------------------------------------------------------------


def needed_labels(args: argparse.Namespace) -> List[str]:
    labels = {"64m"}  # warm-up runs
    if {"dl", "ul", "hash", "pattern", "profile", "diag"} & set(args.suites):
        labels.add(args.main_label)
    if "rss" in args.suites:
        labels.update(args.rss_labels)
    return sorted(labels, key=lambda lab: SIZES[lab])


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
            from cassdk_like.core.integrity import tree_hash_leaves_parallel  # noqa: PLC0415

            with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                tree = tree_hash_leaves_parallel(memoryview(mm), workers=2)
            entry = {"stamp": stamp, "sha256": harness.sha256_file(path), "tree_hash": tree}
            cache[label] = entry
            cache_file.write_text(json.dumps(cache, indent=1))
        out[label] = {"path": path, "size": size, **entry}
    return out


def write_cas_meta(sources: Dict[str, Dict[str, Any]]) -> List[str]:
    """describe-job / describe-vault / list-vaults JSON files; returns the nginx location lines."""
    meta = WORK / "meta"
    meta.mkdir(parents=True, exist_ok=True)
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    qcs = f"qcs:id/0:cas:ap-guangzhou:uid/{APPID}:vaults/{VAULT}"
    total = sum(s["size"] for s in sources.values())
    vault = {
        "CreationDate": now,
        "LastInventoryDate": None,
        "NumberOfArchives": len(sources),
        "SizeInBytes": total,
        "VaultQCS": qcs,
        "VaultName": VAULT,
    }
    (meta / "describe-vault.json").write_text(json.dumps(vault))
    (meta / "list-vaults.json").write_text(json.dumps({"Marker": None, "VaultList": [vault]}))
    root = f"/{APPID}/vaults"
    lines = [
        f"location = {root} {{ default_type application/json; alias {meta}/list-vaults.json; }}",
        f"location = {root}/{VAULT} {{ default_type application/json; alias {meta}/describe-vault.json; }}",
    ]
    for label, s in sources.items():
        size, tree = s["size"], s["tree_hash"]
        job = {
            "Action": "ArchiveRetrieval",
            "ArchiveId": f"benchmark-archive-{label}-" + tree[:40],
            "ArchiveSizeInBytes": size,
            "ArchiveSHA256TreeHash": tree,
            "CallBackUrl": None,
            "Completed": True,
            "CompletionDate": now,
            "CreationDate": now,
            "JobDescription": f"benchmark {label}",
            "JobId": job_id(label),
            "RetrievalByteRange": f"0-{size - 1}",
            "SHA256TreeHash": tree,
            "StatusCode": "Succeeded",
            "StatusMessage": "Succeeded",
            "Tier": "Standard",
            "VaultQCS": qcs,
        }
        (meta / f"job-{label}.json").write_text(json.dumps(job))
        jpath = f"{root}/{VAULT}/jobs/{job_id(label)}"
        lines += [
            f"location = {jpath} {{ default_type application/json; alias {meta}/job-{label}.json; }}",
            f"location = {jpath}/output {{ alias {s['path']}; }}",
            f"location = /bucket/{key_for(label)} {{ alias {s['path']}; }}",
        ]
    return lines


# -- nginx ----------------------------------------------------------------------------------------


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def nginx_user_line() -> str:
    """``user www-data;`` as root when www-data can read the sources (after chmod), else run as root."""
    if os.geteuid() != 0:
        return "# not root: workers run as the current user"
    for d in (WORK, WORK / "src", WORK / "meta"):
        d.chmod(0o755)
    for f in list((WORK / "src").iterdir()) + list((WORK / "meta").iterdir()):
        f.chmod(0o644)
    probe = next((WORK / "src").iterdir())
    ok = subprocess.run(["runuser", "-u", "www-data", "--", "test", "-r", str(probe)], check=False)
    return "user www-data;" if ok.returncode == 0 else "user root;  # www-data cannot read the work folder"


class Nginx:
    def __init__(self, args: argparse.Namespace, locations: List[str]) -> None:
        self.args = args
        self.conf = WORK / "nginx.conf"
        self.pid_file = WORK / "nginx.pid"
        for sub in ("logs", "nginx_tmp", "www"):
            (WORK / sub).mkdir(parents=True, exist_ok=True)
        indent = "        "
        text = (BENCH / "nginx.conf.template").read_text()
        for name, port in args.ports.items():
            text = text.replace(f"@PORT_{name.upper()}@", str(port))
        text = text.replace("@CAS_LOCATIONS@", "\n".join(indent + line for line in locations))
        text = text.replace("@USER_LINE@", nginx_user_line()).replace("@WORK@", str(WORK))
        self.conf.write_text(text)
        self.master: Optional[int] = None
        self.pids: List[int] = []

    def start(self) -> None:
        self.stop()  # a stale master of ours from an interrupted run
        busy = [p for p in self.args.ports.values() if port_open(p)]
        if busy:
            raise SystemExit(f"ports {busy} are in use on 127.0.0.1: pass --port to use others")
        subprocess.run(["nginx", "-t", "-q", "-c", str(self.conf), "-p", f"{WORK}/"], check=True)
        subprocess.run(["nginx", "-c", str(self.conf), "-p", f"{WORK}/"], check=True)
        deadline = time.monotonic() + 10
        while not all(port_open(p) for p in self.args.ports.values()):
            if time.monotonic() > deadline:
                raise SystemExit("nginx did not start listening")
            time.sleep(0.05)
        self.master = int(self.pid_file.read_text().strip())
        time.sleep(0.2)
        self.pids = [self.master, *harness.children_of(self.master)]
        log(f"nginx master {self.master}, workers {self.pids[1:]}")

    def stop(self) -> None:
        if not self.pid_file.exists():
            return
        with contextlib.suppress(ValueError, OSError):
            pid = int(self.pid_file.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"nginx" in cmdline:
                os.kill(pid, signal.SIGQUIT)
                for _ in range(100):
                    if not Path(f"/proc/{pid}").exists():
                        break
                    time.sleep(0.05)
                log(f"nginx stopped (QUIT {pid})")
        with contextlib.suppress(FileNotFoundError):
            self.pid_file.unlink()


def http_get(
    port: int, path: str, headers: Optional[Dict[str, str]] = None
) -> Tuple[int, Dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"nginx check failed: {what}")


def check_nginx(args: argparse.Namespace, sources: Dict[str, Dict[str, Any]]) -> List[str]:
    """Protocol checks on both timed ports (docs/benchmark-method.md §5); returns lines for RESULTS.md."""
    notes = []
    label = next(iter(sources))
    s = sources[label]
    jpath = f"/{APPID}/vaults/{VAULT}/jobs/{job_id(label)}"
    for name in ("uncapped", "capped"):
        port = args.ports[name]
        status, headers, body = http_get(port, jpath)
        expect(
            status == 200 and json.loads(body)["SHA256TreeHash"] == s["tree_hash"], f"describe-job {status}"
        )
        expect(headers.get("content-type", "").startswith("application/json"), f"describe-job type {headers}")
        status, headers, body = http_get(port, f"{jpath}/output", {"Range": "bytes=1000000-1000099"})
        with open(s["path"], "rb") as f:
            f.seek(1000000)
            want = f.read(100)
        expect(status == 206 and body == want, f"job output range: {status} {headers}")
        expect(headers["content-range"] == f"bytes 1000000-1000099/{s['size']}", f"Content-Range {headers}")
        status, _, body = http_get(port, f"/{APPID}/vaults/{VAULT}")
        expect(status == 200 and json.loads(body)["VaultName"] == VAULT, f"describe-vault {status}")
        status, _, body = http_get(port, f"/bucket/{key_for(label)}", {"Range": "bytes=0-99"})
        expect(status == 206 and len(body) == 100, f"/bucket range {status}")
        notes.append(
            f"port {port} ({name}): describe-job JSON 200 (application/json), job output Range 206 with "
            f"the right bytes and Content-Range, describe-vault 200, /bucket/{key_for(label)} Range 206"
        )
    return notes


# -- the emulator (separate process) --------------------------------------------------------------


@contextlib.contextmanager
def emulator(port: int, data_dir: Path) -> Iterator[subprocess.Popen]:
    """``python -m cassdk_like.emulator`` on 127.0.0.1 with a fresh data dir; stopped on exit."""
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    if port_open(port):
        raise SystemExit(f"port {port} is in use: pass --port to move the emulator's port")
    cmd = [
        PYTHON, "-m", "cassdk_like.emulator", "--host", "127.0.0.1", "--port", str(port),
        "--data-dir", str(data_dir), "--job-delay-scale", "0", "--appid", EMU_APPID,
        "--secret-id", EMU_SECRET_ID, "--secret-key", EMU_SECRET_KEY,
    ]  # fmt: skip
    with open(WORK / "logs" / "emulator.log", "a") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=child_env(), cwd=str(WORK))
    try:
        deadline = time.monotonic() + 20
        while not port_open(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the emulator did not start (see {WORK / 'logs' / 'emulator.log'})")
            time.sleep(0.05)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(data_dir, ignore_errors=True)


SNAPSHOT = WORK / "snapshot"


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


def child_env() -> Dict[str, str]:
    env = dict(os.environ)
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


# -- download commands ----------------------------------------------------------------------------


def dl_command(tool: str, args: argparse.Namespace, port: int, label: str, out: Path) -> List[str]:
    url = f"http://127.0.0.1:{port}/bucket/{key_for(label)}"
    n = args.workers
    if tool == "cassdk":
        return [
            PYTHON, str(CLIENTS / "cassdk_dl.py"), "--endpoint", f"http://127.0.0.1:{port}",
            "--appid", APPID, "--vault", VAULT, "--job", job_id(label), "--out", str(out),
            "--workers", str(n), "--piece-mib", str(args.piece_mib), "--api", args.api,
            "--max-request-mib", str(args.max_request_mib), "--request-seconds", str(args.request_seconds),
            "--opt", args.cassdk_opt,
        ]  # fmt: skip
    if tool == "aria2c":
        return [
            "aria2c", "-x", str(n), "-s", str(n), "-k", "1M", "--file-allocation=none",
            "--allow-overwrite=true", "-d", str(out.parent), "-o", out.name, url,
        ]  # fmt: skip
    if tool.startswith("boto3-"):
        chunk = tool.split("-")[1].rstrip("m")
        return [PYTHON, str(CLIENTS / "boto3_dl.py"), str(port), str(out), chunk, str(n), key_for(label)]
    if tool == "curl":
        return ["curl", "-s", "-o", str(out), url]
    if tool == "requests":
        return [PYTHON, str(CLIENTS / "requests_dl.py"), url, str(out)]
    raise ValueError(tool)


def connections(tool: str, args: argparse.Namespace) -> int:
    return 1 if tool in ("curl", "requests") else args.workers


def clean_outputs() -> None:
    out = WORK / "out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)


class Recorder:
    """Collects every run; saved as JSON after each one (so a long run can be inspected live)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.runs: List[Dict[str, Any]] = []
        self.extra: Dict[str, Any] = {}

    def add(self, run: Dict[str, Any]) -> None:
        self.runs.append(run)
        self.save()

    def save(self) -> None:
        self.path.write_text(json.dumps({"runs": self.runs, "extra": self.extra}, indent=1, default=str))

    def select(self, **match: Any) -> List[Dict[str, Any]]:
        return [r for r in self.runs if all(r.get(k) == v for k, v in match.items())]


def download_run(
    args: argparse.Namespace,
    nginx: Nginx,
    rec: Recorder,
    sources: Dict[str, Dict[str, Any]],
    *,
    suite: str,
    tool: str,
    server: str,
    state: str,
    label: str,
    run: int,
) -> Dict[str, Any]:
    src = sources[label]
    out = WORK / "out" / "big.bin"
    cmd = dl_command(tool, args, args.ports[server], label, out)
    timeout = 120 + src["size"] / (5 * 1e6)
    for attempt in range(args.max_retries + 1):
        clean_outputs()
        quiet = harness.settle(state, WORK, args.idle, args.max_quiet_wait)
        result = harness.timed_run(
            cmd, work=WORK, log=WORK / "logs" / "runs.log", server_pids=nginx.pids, timeout=timeout,
            env=child_env(),
        )  # fmt: skip
        ok = result["rc"] == 0 and out.exists() and out.stat().st_size == src["size"]
        if ok:
            ok = harness.sha256_file(out) == src["sha256"]
            if not ok:
                result["error"] = "sha256 mismatch"
        elif "error" not in result:
            result["error"] = "output missing or of the wrong size"
        result.update(quiet)
        result.update(
            suite=suite, direction="download", tool=tool, server=server, state=state, label=label,
            bytes=src["size"], run=run, ok=ok, conns=connections(tool, args), cmd=shlex.join(cmd),
            attempt=attempt,
        )  # fmt: skip
        retry = finish_attempt(args, rec, result, attempt, f"{suite} {server}-{state} {label} {tool:10s}")
        clean_outputs()
        if not retry:
            break
    return result


def finish_attempt(
    args: argparse.Namespace, rec: Recorder, result: Dict[str, Any], attempt: int, what: str
) -> bool:
    """Record one attempt and log it; True when it was noisy and should be redone."""
    noisy = result["foreign_user"] > args.noisy * result["wall"]
    result["noisy"] = noisy
    retry = noisy and attempt < args.max_retries
    result["superseded"] = retry
    rec.add(result)
    mbps = result["bytes"] / result["wall"] / 1e6
    cpu = result.get("user", 0) + result.get("sys", 0)
    state = "ok" if result["ok"] else "FAILED: " + str(result.get("error"))
    extra = f"  server cpu {result['server_cpu']:.2f} s" if result.get("direction") == "upload" else ""
    log(
        f"{what} run {result['run']}: {mbps:8.1f} MB/s  cpu {cpu:.2f} s  "
        f"rss {result.get('rss_kib', 0) / 1024:.0f} MiB{extra}  {state}  "
        f"[foreign {result['foreign_user']:.2f} s, waited {result.get('quiet_wait_s', 0):.0f} s"
        f"{', NOISY: redo' if retry else ', noisy (kept: retries spent)' if noisy else ''}]"
    )
    return retry


def suite_dl(
    args: argparse.Namespace, nginx: Nginx, rec: Recorder, sources: Dict[str, Dict[str, Any]]
) -> None:
    for condition in args.condition_list:
        server, state = condition.split("-")
        tools = args.capped_list if server == "capped" else args.tool_list
        log(f"== benchmark 1: {condition}, tools {tools}, {args.runs} runs (round-robin)")
        for run in range(1, args.runs + 1):
            for tool in tools:
                download_run(
                    args, nginx, rec, sources, suite="dl", tool=tool, server=server, state=state,
                    label=args.main_label, run=run,
                )  # fmt: skip


def warm_up(args: argparse.Namespace, sources: Dict[str, Dict[str, Any]], nginx_up: bool) -> None:
    """One unmeasured run of each Python client (fills the bytecode cache, like an installed package)."""
    log("warm-up: one unmeasured run of each Python client (64 MiB)")
    out = WORK / "out" / "big.bin"
    if nginx_up:
        for tool in ("cassdk", "boto3-8m", "requests"):
            clean_outputs()
            cmd = dl_command(tool, args, args.ports["uncapped"], "64m", out)
            subprocess.run(cmd, env=child_env(), capture_output=True, timeout=300, check=False)
    if {"ul", "rss", "profile"} & set(args.suites):
        with emulator(args.emu_port, WORK / "emu-data"):
            cmd = upload_command(args, sources["64m"]["path"])
            subprocess.run(cmd, env=child_env(), capture_output=True, timeout=300, check=False)
    clean_outputs()


# -- uploads --------------------------------------------------------------------------------------


def upload_run(
    args: argparse.Namespace, rec: Recorder, sources: Dict[str, Dict[str, Any]], *, suite: str, state: str,
    label: str, run: int,
) -> Dict[str, Any]:  # fmt: skip
    src = sources[label]
    cmd = upload_command(args, src["path"])
    for attempt in range(args.max_retries + 1):
        with emulator(args.emu_port, WORK / "emu-data") as emu:
            quiet = harness.settle(state, WORK, args.idle, args.max_quiet_wait)
            result = harness.timed_run(
                cmd, work=WORK, log=WORK / "logs" / "runs.log", server_pids=[emu.pid],
                timeout=120 + src["size"] / (2 * 1e6), env=child_env(),
            )  # fmt: skip
        ok = result["rc"] == 0 and bool(result["client"].get("archive_id"))
        result.update(quiet)
        result.update(
            suite=suite, direction="upload", tool="cassdk", server="emulator", state=state, label=label,
            bytes=src["size"], run=run, ok=ok, conns=args.workers, cmd=shlex.join(cmd), attempt=attempt,
        )  # fmt: skip
        if not finish_attempt(args, rec, result, attempt, f"{suite} upload-{state} {label}"):
            break
    return result


def suite_ul(args: argparse.Namespace, rec: Recorder, sources: Dict[str, Dict[str, Any]]) -> None:
    states = [s for s in args.ul_conditions.split(",") if s]
    log(f"== benchmark 2: upload {args.main_label} to the emulator, {states}, {args.ul_runs} runs")
    for run in range(1, args.ul_runs + 1):
        for state in states:
            upload_run(args, rec, sources, suite="ul", state=state, label=args.main_label, run=run)


# -- hashing --------------------------------------------------------------------------------------


def suite_hash(args: argparse.Namespace, rec: Recorder, sources: Dict[str, Dict[str, Any]]) -> None:
    src = sources[args.main_label]
    log(f"== benchmark 3: hashing {args.main_label} in memory, {args.hash_runs} runs")
    cmd = [
        PYTHON, str(CLIENTS / "hashbench.py"), str(src["path"]), "--runs", str(args.hash_runs),
        "--noisy", str(args.noisy), "--retries", str(args.max_retries),
    ]  # fmt: skip
    if args.max_quiet_wait > 0:
        harness.wait_quiet(args.max_quiet_wait)
    result = harness.timed_run(
        cmd, work=WORK, log=WORK / "logs" / "runs.log", server_pids=[], timeout=1800, env=child_env()
    )
    data = result["client"]
    if result["rc"] != 0 or not data:
        log(f"hash benchmark FAILED: {result.get('error')}")
    data["ok"] = (
        result["rc"] == 0 and data.get("tests", {}).get("tree_hash_1t", {}).get("digest") == src["tree_hash"]
    )
    data["cmd"] = shlex.join(cmd)
    rec.extra["hash"] = data
    rec.save()
    for name, entry in data.get("tests", {}).items():
        log(f"hash {name:32s} median {med(entry['wall']):.3f} s")


# -- peak RSS -------------------------------------------------------------------------------------


def suite_rss(
    args: argparse.Namespace, nginx: Nginx, rec: Recorder, sources: Dict[str, Dict[str, Any]]
) -> None:
    log(f"== benchmark 4: peak RSS, sizes {args.rss_labels}, {args.rss_runs} runs, warm page state")
    for run in range(1, args.rss_runs + 1):
        for label in args.rss_labels:
            download_run(
                args, nginx, rec, sources, suite="rss", tool="cassdk", server="uncapped", state="warm",
                label=label, run=run,
            )  # fmt: skip
            upload_run(args, rec, sources, suite="rss", state="warm", label=label, run=run)


# -- request pattern and profiles -----------------------------------------------------------------


def suite_pattern(args: argparse.Namespace, rec: Recorder, sources: Dict[str, Dict[str, Any]]) -> None:
    log("== request pattern of one cassdk_like download per logging server")
    label = args.main_label
    patterns = {}
    for name in ("uncapped_log", "capped_log"):
        logfile = WORK / "logs" / f"access_{name.split('_')[0]}.log"
        before = logfile.read_text().splitlines() if logfile.exists() else []
        clean_outputs()
        cmd = dl_command("cassdk", args, args.ports[name], label, WORK / "out" / "big.bin")
        subprocess.run(cmd, env=child_env(), check=False, capture_output=True, timeout=600)
        time.sleep(0.3)
        lines = logfile.read_text().splitlines()[len(before) :] if logfile.exists() else []
        patterns[name] = summarize_access_log(lines)
    clean_outputs()
    rec.extra["pattern"] = patterns
    rec.save()


def summarize_access_log(lines: List[str]) -> Dict[str, Any]:
    statuses: Counter = Counter()
    conns: Counter = Counter()
    sizes: Counter = Counter()
    body = 0
    for line in lines:
        parts = line.split()
        conn = next((p.split("=")[1] for p in parts if p.startswith("conn=")), "?")
        conns[conn] += 1
        req = line.split('"')[1] if '"' in line else ""
        status = line.split('"')[2].split()[0] if line.count('"') >= 2 else "?"
        statuses[f"{req.split()[0] if req else '?'} {status}"] += 1
        b = next((int(p.split("=")[1]) for p in parts if p.startswith("body=")), 0)
        body += b
        if status == "206":
            sizes[b] += 1
    return {
        "requests": len(lines),
        "by_method_status": dict(statuses),
        "connections": len(conns),
        "max_requests_per_connection": max(conns.values(), default=0),
        "ranged_body_sizes": {str(k): v for k, v in sorted(sizes.items())},
        "body_bytes": body,
    }


def find_pyspy() -> Optional[str]:
    local = Path(PYTHON).parent / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


def upload_command(args: argparse.Namespace, path: Path) -> List[str]:
    return [
        PYTHON, str(CLIENTS / "cassdk_ul.py"), "--endpoint", f"http://127.0.0.1:{args.emu_port}",
        "--appid", EMU_APPID, "--secret-id", EMU_SECRET_ID, "--secret-key", EMU_SECRET_KEY,
        "--vault", VAULT, "--file", str(path), "--workers", str(args.workers), "--api", args.api,
    ]  # fmt: skip


def suite_profile(args: argparse.Namespace, rec: Recorder, sources: Dict[str, Dict[str, Any]]) -> None:
    pyspy = find_pyspy()
    if pyspy is None:
        rec.extra["profile"] = {"skipped": "py-spy not found (run.sh installs it into the benchmark venv)"}
        return
    log("== CPU profiles (py-spy)")
    label = args.main_label
    profiles: Dict[str, Any] = {}
    for name in ("download-uncapped-warm", "upload-warm"):
        for mode, extra in (("cpu", []), ("gil", ["--gil"])):
            clean_outputs()
            raw = WORK / f"profile-{name}-{mode}.txt"
            with contextlib.suppress(FileNotFoundError):
                raw.unlink()
            base = [pyspy, "record", "-r", "250", "-f", "raw", "-o", str(raw), *extra, "--"]
            with contextlib.ExitStack() as stack:
                if name.startswith("download"):
                    cmd = dl_command("cassdk", args, args.ports["uncapped"], label, WORK / "out" / "big.bin")
                else:
                    stack.enter_context(emulator(args.emu_port, WORK / "emu-data"))
                    cmd = upload_command(args, sources[label]["path"])
                harness.settle("warm", WORK, 0, args.max_quiet_wait)
                proc = subprocess.run(
                    base + cmd, env=child_env(), capture_output=True, text=True, timeout=600, check=False
                )
            key = f"{name}/{mode}"
            profiles[key] = summarize_profile(raw) if raw.exists() else {"error": proc.stderr[-500:]}
            log(f"profile {key}: {profiles[key].get('samples', 'failed')} samples")
    clean_outputs()
    rec.extra["profile"] = profiles
    rec.save()


def suite_diag(args: argparse.Namespace, rec: Recorder) -> None:
    rounds = 1 if args.quick else 3
    log(f"== diagnosis experiments (warm, in-process, {rounds} rounds)")
    if args.max_quiet_wait > 0:
        harness.wait_quiet(args.max_quiet_wait)
    clean_outputs()
    cmd = [
        PYTHON, str(CLIENTS / "dl_experiments.py"), "--endpoint", f"http://127.0.0.1:{args.ports['uncapped']}",
        "--appid", APPID, "--vault", VAULT, "--job", job_id(args.main_label),
        "--out", str(WORK / "out" / "big.bin"), "--rounds", str(rounds),
    ]  # fmt: skip
    proc = subprocess.run(cmd, env=child_env(), capture_output=True, text=True, timeout=1800, check=False)
    data = harness.last_json_line(proc.stdout)
    if proc.returncode != 0 or not data:
        data = {"error": proc.stderr[-800:]}
    data["cmd"] = shlex.join(cmd)
    data["bytes"] = SIZES[args.main_label]
    rec.extra["diag"] = data
    rec.save()
    clean_outputs()


def diag_section(rec: Recorder) -> List[str]:
    data = rec.extra["diag"]
    L = [
        "## Diagnosis experiments (`benchmarks/clients/dl_experiments.py`, warm, in-process, not timed runs)",
        "",
    ]
    if "error" in data:
        return [*L, f"failed: {data['error'][-300:]}", ""]
    L.append(
        "One knob changed at a time; the engine is untouched (config fields, or the journal's syncing"
        "). CPU = the process's user+sys during the download call."
    )
    L.append("")
    L.append(
        "| variant | MB/s median (min-max) | download s | CPU s (user/sys) | speed vs default | rounds |"
    )
    L.append("|---|---|---|---|---|---|")
    groups: Dict[str, List[Dict[str, Any]]] = defaultdict(list)
    for run in data.get("runs", []):
        groups[run["variant"]].append(run)
    size = data["bytes"]
    base = med([r["wall"] for r in groups.get("default", [])])
    for variant, runs in groups.items():
        walls = [r["wall"] for r in runs]
        rates = [size / w / 1e6 for w in walls]
        cpu = med([r["user"] + r["sys"] for r in runs])
        L.append(
            f"| {variant} | {fmt(med(rates))} ({fmt(min(rates))}-{fmt(max(rates))}) | {med(walls):.2f} | "
            f"{cpu:.2f} ({med([r['user'] for r in runs]):.2f}/{med([r['sys'] for r in runs]):.2f}) | "
            f"{base / med(walls):.2f} | {len(runs)} |"
        )
    L.append("")
    return L


_BORING = ("_bootstrap", "_bootstrap_inner", "run (threading.py", "_worker (concurrent", "<module>")


def summarize_profile(raw: Path) -> Dict[str, Any]:
    """Self and inclusive sample counts per frame from py-spy's collapsed-stack ("raw") output."""
    self_counts: Counter = Counter()
    incl: Counter = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if f and not f.startswith("process ")]
        if not frames:
            continue
        total += count
        self_counts[frames[-1]] += count
        for frame in set(frames):
            if not any(b in frame for b in _BORING):
                incl[frame] += count
    return {
        "samples": total,
        "categories": categorize_profile(raw),
        "self": self_counts.most_common(25),
        "inclusive": incl.most_common(40),
        "file": raw.name,
    }


#: where a sample goes: the leaf-most frame matching one of these patterns decides
PROFILE_CATEGORIES = (
    (
        "connection teardown (client.close at exit)",
        ("CASClient.close", "Transport.close", "_close_pool_connections"),
    ),
    ("fsync / fdatasync", ("fsync", "fdatasync")),
    ("interpreter start + imports", ("importlib._bootstrap", "_find_and_load")),
    (
        "sha256 (tree hash, linear hash)",
        ("TreeHasher.update", "_pair (", "sha256", "hash_bytes", "_hash_leaf"),
    ),
    ("pwrite into the partial file", ("_FileSink.commit", "pwrite")),
    ("file reads (preadv of upload parts)", ("preadv", "_pread_into", "_fill_from_fd")),
    ("socket recv into the buffer", ("sock_recv", "recv_into", "SocketIO.readinto")),
    ("socket send (upload bodies)", ("sendall", "sock_send", "_send_output", "HTTPConnection.send")),
    (
        "urllib3 / http.client read layers",
        ("urllib3/response.py", "http/client.py", "BodyStream.readinto", "HttpResponse.readinto"),
    ),
    (
        "request build / sign / send (requests, urllib3, signer)",
        ("Transport._attempt", "Transport.send", "requests/sessions.py", "requests/adapters.py", "sign"),
    ),
    ("garbage collector", ("gc_collect",)),
    (
        "thread handoff (queues, conditions, futures)",
        ("Queue.get", "Condition.wait", "pthread_cond", "concurrent/futures/_base.py", "Runner.collect"),
    ),
)


def categorize_profile(raw: Path) -> List[Tuple[str, int]]:
    counts: Counter = Counter()
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = stack.split(";")
        name = "other"
        for frame in reversed(frames):
            hit = next((cat for cat, pats in PROFILE_CATEGORIES if any(p in frame for p in pats)), None)
            if hit:
                name = hit
                break
        counts[name] += int(count_text)
    return counts.most_common()


# -- machine facts --------------------------------------------------------------------------------


def sh(cmd: str) -> str:
    try:
        proc = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=30, check=False)
        return proc.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def machine_facts() -> Dict[str, str]:
    def version(module: str) -> str:
        try:
            mod = __import__(module)
            return str(getattr(mod, "__version__", "?"))
        except ImportError:
            return "not installed"

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
        "boto3": version("boto3"),
        "botocore": version("botocore"),
        "s3transfer": version("s3transfer"),
        "requests": version("requests"),
        "urllib3": version("urllib3"),
        "cassdk_like": sh(f"cd {REPO} && git rev-parse --short HEAD")
        + " + working tree ("
        + sh(f"cd {REPO} && git status --short cassdk_like | wc -l")
        + " changed/untracked paths under cassdk_like/)",
    }


# -- RESULTS.md -----------------------------------------------------------------------------------


def stats_of(all_runs: List[Dict[str, Any]]) -> Dict[str, Any]:
    runs = [r for r in all_runs if not r.get("superseded")]
    ok = [r for r in runs if r.get("ok")]
    gib = [r["bytes"] / GiB for r in ok]
    return {
        "n": len(runs),
        "ok": len(ok),
        "mbps": [r["bytes"] / r["wall"] / 1e6 for r in ok],
        "wall": [r["wall"] for r in ok],
        "cpu": [(r.get("user", 0) + r.get("sys", 0)) / g for r, g in zip(ok, gib)],
        "user": [r.get("user", 0) / g for r, g in zip(ok, gib)],
        "sys": [r.get("sys", 0) / g for r, g in zip(ok, gib)],
        "rss": [r.get("rss_kib", 0) / 1024 for r in ok],
        "server": [r["server_cpu"] for r in ok],
        "server_gib": [r["server_cpu"] / g for r, g in zip(ok, gib)],
        "xfer": [r["bytes"] / r["client"]["transfer_s"] / 1e6 for r in ok if r["client"].get("transfer_s")],
        "fsync": [r["client"].get("fsync_max_s", 0.0) for r in ok if "fsync_max_s" in r["client"]],
        "errors": [str(r.get("error")) for r in runs if not r.get("ok")],
        "foreign": [r.get("foreign_user", 0.0) for r in ok],
        "redone": sum(1 for r in all_runs if r.get("superseded")),
        "noisy_kept": sum(1 for r in ok if r.get("noisy")),
    }


def dl_table(rec: Recorder, args: argparse.Namespace, server: str, state: str, tools: List[str]) -> List[str]:
    capped = server == "capped"
    head = (
        "| tool | conns | median MB/s (min-max) | median wall s (min-max) | CPU s/GiB user+sys (user/sys) "
        "| peak RSS MiB | nginx CPU s | transfer-only MB/s | "
        + ("% of Nxcap | " if capped else "")
        + "sha256 OK | other procs' CPU s (redone) |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for tool in tools:
        st = stats_of(rec.select(suite="dl", tool=tool, server=server, state=state))
        if not st["n"]:
            continue
        n = connections(tool, args)
        row = [
            tool_name(tool, args),
            str(n),
            f"**{fmt(med(st['mbps']))}** ({fmt(min(st['mbps'], default=float('nan')))}-"
            f"{fmt(max(st['mbps'], default=float('nan')))})",
            med_range(st["wall"], 2),
            f"{fmt(med(st['cpu']), 2)} ({fmt(med(st['user']), 2)}/{fmt(med(st['sys']), 2)})",
            fmt(med(st["rss"])),
            fmt(med(st["server"]), 2),
            fmt(med(st["xfer"])) if st["xfer"] else "-",
        ]
        if capped:
            row.append(f"{med(st['mbps']) / (n * CAP / 1e6) * 100:.0f} %" if st["mbps"] else "-")
        row.append(f"{st['ok']}/{st['n']}")
        row.append(noise_cell(st))
        lines.append("| " + " | ".join(row) + " |")
    return lines


def noise_cell(st: Dict[str, Any]) -> str:
    """Median user CPU other processes used during the kept runs, and how many noisy runs were redone."""
    cell = f"{fmt(med(st['foreign']), 2)} ({st['redone']})"
    return cell + (f", {st['noisy_kept']} noisy kept" if st["noisy_kept"] else "")


def tool_name(tool: str, args: argparse.Namespace) -> str:
    return {
        "cassdk": f"**cassdk_like** ({getattr(args, 'piece_shown', args.piece_mib)} MiB pieces"
        + (f", requests <= {args.max_request_mib} MiB" if getattr(args, "max_request_mib", 0) else "")
        + ", verifies)",
        "aria2c": f"aria2c -x{args.workers} -s{args.workers} -k 1M",
        "boto3-8m": "boto3 download_file 8 MiB parts",
        "boto3-32m": "boto3 download_file 32 MiB parts",
        "curl": "curl",
        "requests": "requests iter_content 1 MiB",
    }[tool]


def ratio_lines(rec: Recorder, args: argparse.Namespace) -> List[str]:
    lines = [
        "| condition | peer | cassdk_like MB/s / peer | cassdk_like CPU / peer | cassdk_like RSS / peer |",
        "|---|---|---|---|---|",
    ]
    for condition in args.condition_list:
        server, state = condition.split("-")
        mine = stats_of(rec.select(suite="dl", tool="cassdk", server=server, state=state))
        if not mine["mbps"]:
            continue
        tools = args.capped_list if server == "capped" else args.tool_list
        for tool in tools:
            if tool == "cassdk":
                continue
            peer = stats_of(rec.select(suite="dl", tool=tool, server=server, state=state))
            if not peer["mbps"]:
                continue
            lines.append(
                f"| {condition} | {tool_name(tool, args)} | {med(mine['mbps']) / med(peer['mbps']):.2f} | "
                f"{med(mine['cpu']) / med(peer['cpu']):.2f} | {med(mine['rss']) / med(peer['rss']):.2f} |"
            )
        if server == "capped":
            ideal = args.workers * CAP / 1e6
            lines.append(
                f"| {condition} | N x cap = {args.workers} x {CAP / 1e6:.2f} = {ideal:.1f} MB/s | "
                f"{med(mine['mbps']) / ideal:.2f} | - | - |"
            )
    return lines


def target_lines(rec: Recorder, args: argparse.Namespace) -> List[str]:
    lines = ["| target | measured (median) | verdict |", "|---|---|---|"]

    def verdict(ok: bool, short: str = "") -> str:
        return "met" if ok else f"**missed**{' (' + short + ')' if short else ''}"

    cap = stats_of(rec.select(suite="dl", tool="cassdk", server="capped", state="cold"))
    if cap["mbps"]:
        ideal = args.workers * CAP / 1e6
        m = med(cap["mbps"])
        lines.append(
            f"| capped ≥ 0.95 x Nxcap = {0.95 * ideal:.0f} MB/s | {m:.0f} MB/s ({m / ideal:.2f} x Nxcap) | "
            f"{verdict(m >= 0.95 * ideal, f'short by {0.95 * ideal - m:.0f} MB/s')} |"
        )
        boto = stats_of(rec.select(suite="dl", tool="boto3-8m", server="capped", state="cold"))
        if boto["mbps"]:
            b = med(boto["mbps"])
            lines.append(
                f"| capped ≥ boto3 (8 MiB, same N) | {m:.0f} vs {b:.0f} MB/s | "
                f"{verdict(m >= b, f'{m / b:.2f}x')} |"
            )
        c, r = med(cap["cpu"]), med(cap["rss"])
        lines.append(f"| capped ≤ 1.7 CPU s/GiB | {c:.2f} | {verdict(c <= 1.7, f'+{c - 1.7:.2f} s/GiB')} |")
        lines.append(f"| capped ≤ 64 MiB peak RSS | {r:.0f} MiB | {verdict(r <= 64, f'+{r - 64:.0f} MiB')} |")
    for state in ("cold", "warm"):
        unc = stats_of(rec.select(suite="dl", tool="cassdk", server="uncapped", state=state))
        if not unc["mbps"]:
            continue
        m = med(unc["mbps"])
        peers = {
            t: med(stats_of(rec.select(suite="dl", tool=t, server="uncapped", state=state))["mbps"])
            for t in ("aria2c", "boto3-8m", "boto3-32m")
            if rec.select(suite="dl", tool=t, server="uncapped", state=state)
        }
        peers = {t: v for t, v in peers.items() if v == v}
        if peers:
            best_tool = max(peers, key=lambda t: peers[t])
            best = peers[best_tool]
            lines.append(
                f"| uncapped {state} ≥ best parallel peer | {m:.0f} vs {best_tool} {best:.0f} MB/s | "
                f"{verdict(m >= best, f'{m / best:.2f}x')} |"
            )
        curl = stats_of(rec.select(suite="dl", tool="curl", server="uncapped", state=state))
        if curl["mbps"]:
            cm = med(curl["mbps"])
            lines.append(
                f"| uncapped {state}: aim at curl single stream | {m:.0f} vs {cm:.0f} MB/s ({m / cm:.2f}x) | "
                f"{'met' if m >= cm else 'not yet'} |"
            )
    hashes = rec.extra.get("hash", {}).get("tests", {})
    if hashes:
        one = med(hashes["sha256_1t"]["wall"])
        two = med(hashes["tree_hash_leaves_2t"]["wall"])
        lines.append(
            f"| tree hash on 2 threads ≥ 1.8 x sha256 1 thread | {one / two:.2f} x | "
            f"{verdict(one / two >= 1.8, f'{one / two:.2f}x')} |"
        )
    ul = stats_of(rec.select(suite="ul", state="cold")) if rec.select(suite="ul", state="cold") else None
    if ul is None:
        ul = stats_of(rec.select(suite="ul"))
    if ul["cpu"]:
        c = med(ul["cpu"])
        lines.append(
            f"| upload client CPU ≤ 1.0 s/GiB | {c:.2f} s/GiB | {verdict(c <= 1.0, f'+{c - 1.0:.2f}')} |"
        )
    rss_rows = rss_summary(rec, args)
    for direction in ("download", "upload"):
        vals = {lab: v for (d, lab), v in rss_rows.items() if d == direction}
        if not vals:
            continue
        labels = [lab for lab in args.rss_labels if lab in vals]
        if direction == "download":
            bound, bound_text, comparable = 64.0, "64 MiB", labels
        else:
            part = max(
                (r["client"].get("part_size") or 0 for r in rec.select(suite="rss", direction="upload")),
                default=0,
            )
            bound = 64.0 + args.workers * part / MiB
            bound_text = f"64 MiB + {args.workers} x {part // MiB} MiB parts = {bound:.0f} MiB"
            # a file of fewer than workers + 1 parts never fills the buffer pool: not comparable
            comparable = [lab for lab in labels if SIZES[lab] >= (args.workers + 1) * part]
        big = labels[-1]
        flat = True
        same = ""
        if len(comparable) >= 2 and comparable[-1] == big:
            flat = vals[big] <= vals[comparable[-2]] * 1.1 + 8
            same = f", same as at {comparable[-2]}"
        measured = ", ".join(f"{vals[lab]:.0f} MiB at {lab}" for lab in reversed(labels))
        lines.append(
            f"| {direction} peak RSS at {big} ≤ {bound_text}{same} | {measured} | "
            f"{verdict(flat and vals[big] <= bound, 'grows with size' if not flat else 'above the bound')} |"
        )
    return lines


def rss_summary(rec: Recorder, args: argparse.Namespace) -> Dict[Tuple[str, str], float]:
    out = {}
    for label in args.rss_labels:
        for direction in ("download", "upload"):
            st = stats_of(rec.select(suite="rss", direction=direction, label=label))
            if st["rss"]:
                out[(direction, label)] = med(st["rss"])
    return out


def write_results(args: argparse.Namespace, rec: Recorder, facts: Dict[str, str], notes: List[str]) -> None:
    path = Path(args.results)
    kept = ""
    if path.exists():
        old = path.read_text()
        if ANALYSIS_MARKER in old:
            kept = old[old.index(ANALYSIS_MARKER) :]
    size_text = "256 MiB (quick mode)" if args.quick else "1 GiB"
    api_used = sorted(
        {r["client"].get("api", "?") for r in rec.runs if r.get("tool") == "cassdk" and r.get("ok")}
    )
    L: List[str] = []
    w = L.append
    w("# Engine benchmarks (issue 5)")
    w("")
    w(f"Generated by `benchmarks/run_all.py` on {facts['date']}. Units: **MB/s = 10^6 bytes/s**; "
      "CPU s/GiB = client user+sys seconds per GiB moved; medians (min-max) over the runs.")  # fmt: skip
    w("")
    w("## Command")
    w("")
    w("```")
    w(args.command or shlex.join([sys.executable, *sys.argv]))
    w("```")
    w("")
    w("## What ran")
    w("")
    w(
        f"* Suites: {', '.join(args.suites)}. Main file size: {size_text}. "
        f"Connections / workers: N = {args.workers}."
    )
    w(f"* Benchmark 1: conditions {', '.join(args.condition_list)}; {args.runs} runs per tool and condition, "
      "round-robin over the tools; before each run: delete output, `sync`, then "
      f"cold = {args.idle:g} s idle, warm = 1280 MiB scratch written + deleted "
      "(docs/benchmark-method.md §1). "
      f"Capped tools: {', '.join(args.capped_list)}; uncapped: {', '.join(args.tool_list)}.")  # fmt: skip
    w(f"* Benchmark 2: {args.ul_runs} runs per page state ({args.ul_conditions}); a fresh emulator process "
      "and data dir per run. Benchmark 3: "
      f"{args.hash_runs} runs. Benchmark 4: {args.rss_runs} runs per size "
      f"({', '.join(args.rss_labels)}), warm.")  # fmt: skip
    first = next(
        (r["client"] for r in rec.runs if r.get("tool") == "cassdk" and r["client"].get("piece_mib")), {}
    )
    args.piece_shown = first.get("piece_mib", args.piece_mib)
    chunk = first.get("io_chunk", 0) // 1024
    w(f"* cassdk_like path used: {'; '.join(api_used) or '-'}. Download config: "
      f"TransferConfig(max_workers={args.workers}"
      + (f", piece_size={args.piece_mib} MiB" if args.piece_mib else "")
      + (f", max_request_size={args.max_request_mib} MiB" if args.max_request_mib else "")
      + (f", request_seconds={args.request_seconds}" if args.request_seconds else "")
      + (f", {args.cassdk_opt}" if args.cassdk_opt else "")
      + f"), the rest default: piece size {args.piece_shown} MiB, largest request "
      f"{first.get('max_request_mib', '?')} MiB, request_seconds {first.get('request_seconds', '?')}, "
      f"io_chunk_size {chunk} KiB.")  # fmt: skip
    w("* Python clients run with their bytecode cached (`PYTHONPYCACHEPREFIX=benchmarks/_work/pycache`; "
      "this machine sets `PYTHONDONTWRITEBYTECODE=1`, which would recompile cassdk_like's sources on every "
      "start), after one unmeasured warm-up run of each. Wall time includes interpreter start and imports; "
      "*transfer-only* times only the transfer call.")  # fmt: skip
    w(f"* Before every run the harness waits (up to {args.max_quiet_wait:g} s; 0 = off) for a 1 s window in "
      "which other processes use < 0.05 cores, "
      f"and redoes (up to {args.max_retries} times) a run during which they used more than {args.noisy:g} "
      "cores (user mode; column *other procs' CPU*): the machine is shared with other sessions.")  # fmt: skip
    w("* Every download output was compared with the source by sha256 (column *sha256 OK*); failed runs are "
      "left out of the medians and listed below.")  # fmt: skip
    w("* **Verification**: cassdk_like checks the whole output against the job's `SHA256TreeHash` at the end "
      "(tree hash computed while streaming, pieces combined). nginx sends no `x-cas-sha256-tree-hash` per "
      "range, so per-piece checks do not happen here. It also fsyncs the file before the atomic rename, and "
      "its journal thread fdatasyncs the partial file before each journal commit (after every finished "
      "piece; pieces finishing during a commit share the next one). "
      "The peers verify nothing and never fsync.")  # fmt: skip
    w("")
    w("## Machine")
    w("")
    w("| item | value |")
    w("|---|---|")
    for k, v in facts.items():
        w(f"| {k} | {v} |")
    w("")
    w("nginx: `benchmarks/nginx.conf.template` (docs/benchmark-method.md §3: `worker_processes 2`, "
      "`sendfile on`, "
      "`tcp_nopush on`, `access_log off`, `keepalive_requests 100000`, uncapped and `limit_rate 40m` "
      "servers, plus two logging twins), listening on "
      f"127.0.0.1:{args.ports['uncapped']}-{args.ports['capped_log']} only. "
      f"The job output is served at `/{APPID}/vaults/{VAULT}/jobs/<jobid>/output`, the describe-job JSON at "
      f"`/{APPID}/vaults/{VAULT}/jobs/<jobid>` (default_type application/json), describe-vault and "
      "list-vaults "
      "likewise, and the same file at `/bucket/big.bin` for boto3 (unsigned, path-style), aria2c, curl and "
      "requests. nginx ignores the SDK's signature.")  # fmt: skip
    for note in notes:
        w(f"* {note}")
    w("")
    if "dl" in args.suites:
        w(f"## 1. Download {size_text} from nginx")
        w("")
        for condition in args.condition_list:
            server, state = condition.split("-")
            tools = args.capped_list if server == "capped" else args.tool_list
            title = {
                "capped": f"capped (`limit_rate 40m` = {CAP / 1e6:.2f} MB/s per connection; "
                f"Nxcap = {args.workers * CAP / 1e6:.1f} MB/s)",
                "uncapped": "uncapped",
            }[server]
            w(f"### {title}, {state} page state")
            w("")
            L.extend(dl_table(rec, args, server, state, tools))
            w("")
            cas = stats_of(rec.select(suite="dl", tool="cassdk", server=server, state=state))
            if cas["fsync"]:
                done = [r for r in rec.select(suite="dl", tool="cassdk", server=server, state=state)
                        if r.get("ok") and not r.get("superseded")]  # fmt: skip
                commits = [r["client"].get("fdatasync_n", 0) for r in done]
                syncing = [r["client"].get("fdatasync_s", 0.0) for r in done]
                w(f"cassdk_like's longest fsync (the final one, inside its wall time): median "
                  f"{med(cas['fsync']):.2f} s (min-max {min(cas['fsync']):.2f}-{max(cas['fsync']):.2f}); "
                  f"its journal thread fdatasynced the partial file a median {med(commits):.0f} times per "
                  f"download ({med(syncing):.2f} s in total, in parallel with the transfer), which is why "
                  "the final fsync has almost nothing left to write.")  # fmt: skip
                w("")
        w("### Ratios (cassdk_like / peer, medians)")
        w("")
        L.extend(ratio_lines(rec, args))
        w("")
    if "ul" in args.suites:
        L.extend(ul_section(rec, args, size_text))
    if "hash" in args.suites:
        L.extend(hash_section(rec))
    if "rss" in args.suites:
        L.extend(rss_section(rec, args))
    w("## Targets (issue 5)")
    w("")
    L.extend(target_lines(rec, args))
    w("")
    if rec.extra.get("pattern"):
        w("## Request pattern of one cassdk_like download (logging servers, not timed)")
        w("")
        for name, pat in rec.extra["pattern"].items():
            w(f"* {name}: {json.dumps(pat)}")
        w("")
    if rec.extra.get("profile"):
        L.extend(profile_section(rec))
    if rec.extra.get("diag"):
        L.extend(diag_section(rec))
    failures = [r for r in rec.runs if not r.get("ok")]
    if failures:
        w("## Failed runs")
        w("")
        for r in failures:
            w(f"* {r.get('suite')} {r.get('direction')} {r.get('tool')} {r.get('server')}-{r.get('state')} "
              f"{r.get('label')} run {r.get('run')}: {r.get('error')}")  # fmt: skip
        w("")
    w("## Raw data")
    w("")
    w("Per-run JSON: `benchmarks/_work/results.json` (git-ignored); logs in `benchmarks/_work/logs/`. "
      "MB/s per run, in run order (x: failed, ~: noisy attempt that was redone):")  # fmt: skip
    w("")
    groups: Dict[str, List[str]] = defaultdict(list)
    for r in rec.runs:
        key = f"{r['suite']} {r['direction']} {r['server']}-{r['state']} {r['label']} {r['tool']}"
        mark = "~" if r.get("superseded") else "" if r.get("ok") else "x"
        groups[key].append(f"{r['bytes'] / r['wall'] / 1e6:.0f}{mark}")
    for key, vals in groups.items():
        w(f"* {key}: {', '.join(vals)}")
    w("")
    text = "\n".join(L) + "\n"
    if kept:
        text += "\n" + kept
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    log(f"wrote {path}")


def ul_section(rec: Recorder, args: argparse.Namespace, size_text: str) -> List[str]:
    L = [f"## 2. Upload {size_text} to the emulator (`python -m cassdk_like.emulator`, separate process)", ""]
    L.append(
        "| page state | median MB/s (min-max) | median wall s | transfer-only MB/s | client CPU s/GiB "
        "user+sys (user/sys) | peak RSS MiB | emulator CPU s/GiB | part size | OK "
        "| other procs' CPU s (redone) |"
    )
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    for state in [s for s in args.ul_conditions.split(",") if s]:
        runs = rec.select(suite="ul", state=state)
        if not runs:
            continue
        st = stats_of(runs)
        part = next((r["client"].get("part_size") for r in runs if r["client"].get("part_size")), None)
        L.append(
            f"| {state} | **{fmt(med(st['mbps']))}** ({fmt(min(st['mbps'], default=float('nan')))}-"
            f"{fmt(max(st['mbps'], default=float('nan')))}) | {med_range(st['wall'], 2)} | "
            f"{fmt(med(st['xfer']))} | {fmt(med(st['cpu']), 2)} ({fmt(med(st['user']), 2)}/"
            f"{fmt(med(st['sys']), 2)}) | {fmt(med(st['rss']))} | {fmt(med(st['server_gib']), 2)} | "
            f"{(part or 0) // MiB} MiB | {st['ok']}/{st['n']} | {noise_cell(st)} |"
        )
    L.append("")
    hashes = rec.extra.get("hash", {}).get("tests", {})
    if hashes:
        gib = rec.extra["hash"]["bytes"] / GiB
        sha = med(hashes["sha256_1t"]["cpu"]) / gib
        both = med(hashes["upload_hash_bytes_16m_parts_1t"]["cpu"]) / gib
        L.append(
            f"Hashing limit (benchmark 3): hashing every byte twice (linear SHA-256 + tree hash) costs "
            f"2 x {sha:.2f} = **{2 * sha:.2f} CPU s/GiB** (measured `hash_bytes` per 16 MiB part: "
            f"{both:.2f} s/GiB); "
            f"on one core that caps the upload at {GiB / (2 * sha) / 1e6:.0f} MB/s, on 2 cores at "
            f"{GiB / sha / 1e6:.0f} MB/s (before any I/O, HTTP or server cost)."
        )
        L.append("")
    return L


def hash_section(rec: Recorder) -> List[str]:
    data = rec.extra.get("hash")
    if not data or not data.get("tests"):
        return ["## 3. Hashing", "", "(no data)", ""]
    size = data["bytes"]
    tests = data["tests"]
    base = med(tests["sha256_1t"]["wall"])
    L = [f"## 3. Hashing a {size / GiB:g} GiB in-memory buffer ({data['runs']} runs, round-robin)", ""]
    L.append(
        "| test | median s (min-max) | median MB/s | CPU s (all threads) | speed / sha256 1 thread "
        "| other procs' CPU s (redone) |"
    )
    L.append("|---|---|---|---|---|---|")
    desc = {
        "sha256_1t": "hashlib.sha256, 1 thread, 1 MiB updates",
        "sha256_2t_halves": "hashlib.sha256, 2 threads, one half each (ceiling)",
        "tree_hash_1t": "cassdk_like `tree_hash`, 1 thread",
        "tree_hash_leaves_2t": "cassdk_like `tree_hash_leaves_parallel(workers=2)`",
        "treehasher_256k_chunks_1t": "`TreeHasher.update` in 256 KiB chunks (download path)",
        "upload_hash_bytes_16m_parts_1t": "`hash_bytes` (SHA-256 + tree hash) per 16 MiB part (upload path)",
    }
    for name, entry in tests.items():
        m = med(entry["wall"])
        L.append(
            f"| {desc.get(name, name)} | {med_range(entry['wall'], 3)} | {size / m / 1e6:,.0f} | "
            f"{med(entry['cpu']):.2f} | {base / m:.2f} | {fmt(med(entry.get('foreign', [])), 2)} "
            f"({entry.get('redone', 0)}) |"
        )
    L.append("")
    L.append(f"Tree hash digest matches the source's: {'yes' if data.get('ok') else 'NO'}.")
    L.append("")
    return L


def rss_section(rec: Recorder, args: argparse.Namespace) -> List[str]:
    L = ["## 4. Peak RSS vs file size (cassdk_like, warm page state)", ""]
    L.append(
        "| direction | size | peak RSS MiB median (min-max) | median MB/s | CPU s/GiB | OK "
        "| other procs' CPU s (redone) |"
    )
    L.append("|---|---|---|---|---|---|---|")
    for direction in ("download", "upload"):
        for label in args.rss_labels:
            runs = rec.select(suite="rss", direction=direction, label=label)
            if not runs:
                continue
            st = stats_of(runs)
            L.append(
                f"| {direction} ({'nginx, uncapped' if direction == 'download' else 'emulator'}) | {label} | "
                f"{med_range(st['rss'])} | {fmt(med(st['mbps']))} | {fmt(med(st['cpu']), 2)} | "
                f"{st['ok']}/{st['n']} | {noise_cell(st)} |"
            )
    L.append("")
    L.append(
        f"Bound from the issue: 64 MiB + workers x part size = 64 + {args.workers} x 16 = "
        f"{64 + args.workers * 16} MiB for uploads with 16 MiB parts; "
        "downloads hold one `io_chunk_size` buffer (1 MiB) per worker."
    )
    L.append("")
    return L


def profile_section(rec: Recorder) -> List[str]:
    prof = rec.extra["profile"]
    L = ["## CPU profiles (py-spy, one warm run each, not timed)", ""]
    if "skipped" in prof:
        return [*L, prof["skipped"], ""]
    L.append("`cpu` = samples of every thread that is running (`py-spy record`, idle threads left out; "
             "a thread inside a C call such as recv, sha256 or pwrite counts as running); "
             "`gil` = samples of the thread holding the GIL (`--gil`): pure Python work. "
             "Each sample goes to the category of its leaf-most matching frame; "
             "then the top self frames.")  # fmt: skip
    L.append("")
    for name, p in prof.items():
        if "error" in p:
            L.append(f"* {name}: failed: {p['error'][:200]}")
            continue
        total = p["samples"] or 1
        L.append(f"### {name} ({p['samples']} samples, raw: `_work/{p['file']}`)")
        L.append("")
        L.append("| category | % of samples |")
        L.append("|---|---|")
        for cat, count in p.get("categories", []):
            L.append(f"| {cat} | {100 * count / total:.1f} |")
        L.append("")
        L.append("| self % | frame |")
        L.append("|---|---|")
        for frame, count in p["self"][:12]:
            L.append(f"| {100 * count / total:.1f} | `{frame[:150]}` |")
        L.append("")
    return L


# -- main -----------------------------------------------------------------------------------------


def on_sigterm(signum: int, _frame: Any) -> None:
    log(f"signal {signum} received: stopping (nginx and the emulator are stopped on the way out)")
    sys.exit(128 + signum)


def report_only(args: argparse.Namespace) -> int:
    """Rebuild the results file from saved JSON: the main file plus merged extras (e.g. profiles)."""
    data = json.loads((WORK / args.json).read_text())
    rec = Recorder(WORK / args.json)
    rec.runs, rec.extra = data["runs"], data["extra"]
    for name in [n for n in args.merge_json.split(",") if n]:
        more = json.loads((WORK / name).read_text())
        rec.runs += more["runs"]
        rec.extra.update(
            {k: v for k, v in more["extra"].items() if k not in ("args", "facts", "notes", "elapsed_s")}
        )
    saved = rec.extra.get("args", {})
    for key in ("runs", "idle", "ul_runs", "rss_runs", "hash_runs", "max_quiet_wait", "max_retries", "noisy"):
        if key in saved:
            setattr(args, key, saved[key])
    for key in (
        "suites",
        "tool_list",
        "capped_list",
        "condition_list",
        "rss_labels",
        "main_label",
        "command",
    ):
        if key in saved:
            setattr(args, key, saved[key])
    saved_keys = ("ul_conditions", "quick", "workers", "piece_mib", "max_request_mib", "request_seconds")
    for key in (*saved_keys, "cassdk_opt", "api"):
        if key in saved:
            setattr(args, key, saved[key])
    for name in [n for n in args.merge_json.split(",") if n]:
        suites = json.loads((WORK / name).read_text())["extra"].get("args", {}).get("suites", [])
        args.suites = list(dict.fromkeys([*args.suites, *suites]))
    facts = rec.extra.get("facts") or machine_facts()
    if "facts" not in rec.extra:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime((WORK / args.json).stat().st_mtime))
        facts["date"] = f"run finished {stamp} (facts read again when the report was rebuilt)"
    notes = rec.extra.get("notes") or ["protocol checks on both timed ports passed at the start of the run"]
    write_results(args, rec, facts, notes)
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    for binary in ("nginx", "aria2c", "curl", "/usr/bin/time"):
        if shutil.which(binary) is None:
            raise SystemExit(f"{binary} is missing: run benchmarks/run.sh (it installs it)")
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "logs").mkdir(exist_ok=True)
    signal.signal(signal.SIGTERM, on_sigterm)
    if args.report_only:
        return report_only(args)
    started = time.monotonic()
    fingerprint = snapshot_code()
    sys.path.insert(0, str(SNAPSHOT))
    facts = machine_facts()
    facts["cassdk_like"] += (
        f"; measured from a snapshot taken at {time.strftime('%H:%M:%S')} "
        f"(`benchmarks/_work/snapshot`, sources sha256 {fingerprint})"
    )
    log(f"suites {args.suites}; runs {args.runs}; idle {args.idle:g} s; results -> {args.results}")
    sources = make_sources(needed_labels(args))
    locations = write_cas_meta(sources)
    nginx = Nginx(args, locations)
    rec = Recorder(WORK / args.json)
    rec.extra["args"] = {k: v for k, v in vars(args).items() if isinstance(v, (str, int, float, list, bool))}
    rec.extra["facts"] = facts
    notes: List[str] = []
    steps: List[Tuple[str, Callable[[], None]]] = [
        ("hash", lambda: suite_hash(args, rec, sources)),
        ("dl", lambda: suite_dl(args, nginx, rec, sources)),
        ("pattern", lambda: suite_pattern(args, rec, sources)),
        ("ul", lambda: suite_ul(args, rec, sources)),
        ("rss", lambda: suite_rss(args, nginx, rec, sources)),
        ("profile", lambda: suite_profile(args, rec, sources)),
        ("diag", lambda: suite_diag(args, rec)),
    ]
    try:
        if {"dl", "rss", "pattern", "profile", "diag"} & set(args.suites):
            nginx.start()
            notes = check_nginx(args, {args.main_label: sources[args.main_label]})
            rec.extra["notes"] = notes
        warm_up(args, sources, nginx_up=nginx.master is not None)
        for name, step in steps:
            if name in args.suites:
                step()
    finally:
        nginx.stop()
        clean_outputs()
        rec.extra["elapsed_s"] = time.monotonic() - started
        rec.save()
        try:
            write_results(args, rec, facts, notes)
        except Exception:  # the raw JSON is saved; say why the report failed
            traceback.print_exc()
    log(f"done in {(time.monotonic() - started) / 60:.1f} min")
    return 0 if all(r.get("ok") for r in rec.runs) else 1


if __name__ == "__main__":
    sys.exit(main())
