"""One measured client run (download from nginx, upload to the emulator), redone when it was noisy.

Several suites measure the same clients (benchmark 1 and the RSS suite both download with
cassdk_like): the commands and the settle / time / verify / redo loop live here once.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Optional

from benchmarks.cassbench import harness
from benchmarks.cassbench.servers import emulator
from benchmarks.cassbench.workspace import (
    APPID,
    BASELINE,
    CLIENTS,
    EMU_APPID,
    EMU_SECRET_ID,
    EMU_SECRET_KEY,
    PYTHON,
    VAULT,
    WORK,
    Context,
    child_env,
    clean_outputs,
    job_id,
    key_for,
    log,
)

OUT = WORK / "out" / "big.bin"


def dl_command(tool: str, args: argparse.Namespace, port: int, label: str, out: Path) -> List[str]:
    url = f"http://127.0.0.1:{port}/bucket/{key_for(label)}"
    n = args.workers
    if tool in ("cassdk", "cassdk-base"):
        clients = BASELINE / "benchmarks" / "clients" if tool == "cassdk-base" else CLIENTS
        return [
            PYTHON, str(clients / "cassdk_dl.py"), "--endpoint", f"http://127.0.0.1:{port}",
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


def upload_command(args: argparse.Namespace, path: Path, part_mib: int = 0) -> List[str]:
    return [
        PYTHON, str(CLIENTS / "cassdk_ul.py"), "--endpoint", f"http://127.0.0.1:{args.emu_port}",
        "--appid", EMU_APPID, "--secret-id", EMU_SECRET_ID, "--secret-key", EMU_SECRET_KEY,
        "--vault", VAULT, "--file", str(path), "--workers", str(args.workers), "--api", args.api,
        "--part-mib", str(part_mib),
    ]  # fmt: skip


def connections(tool: str, args: argparse.Namespace) -> int:
    return 1 if tool in ("curl", "requests") else args.workers


def tool_name(tool: str, args: argparse.Namespace, piece_mib: Any = None) -> str:
    """The row label of a download tool (cassdk_like's with the piece size it reported)."""
    shown = piece_mib if piece_mib is not None else args.piece_mib
    return {
        "cassdk": f"**cassdk_like** ({shown} MiB pieces"
        + (f", requests <= {args.max_request_mib} MiB" if args.max_request_mib else "")
        + ", verifies)",
        "cassdk-base": f"cassdk_like at `{getattr(args, 'baseline_commit', args.baseline)}` (same options)",
        "aria2c": f"aria2c -x{args.workers} -s{args.workers} -k 1M",
        "boto3-8m": "boto3 download_file 8 MiB parts",
        "boto3-32m": "boto3 download_file 32 MiB parts",
        "curl": "curl",
        "requests": "requests iter_content 1 MiB",
    }[tool]


def finish_attempt(ctx: Context, result: Dict[str, Any], attempt: int, what: str) -> bool:
    """Record one attempt and log it; True when it was noisy and should be redone."""
    args = ctx.args
    noisy = bool(result["foreign_user"] > args.noisy * result["wall"])
    result["noisy"] = noisy
    retry = noisy and attempt < args.max_retries
    result["superseded"] = retry
    ctx.rec.add(result)
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


def download_run(
    ctx: Context, *, suite: str, tool: str, server: str, state: str, label: str, run: int
) -> Dict[str, Any]:
    """One download, sha256-checked against the source, redone (up to --max-retries) when noisy."""
    args, src = ctx.args, ctx.sources[label]
    cmd = dl_command(tool, args, args.ports[server], label, OUT)
    timeout = 120 + src["size"] / (5 * 1e6)
    result: Dict[str, Any] = {}
    for attempt in range(args.max_retries + 1):
        clean_outputs()
        quiet = harness.settle(state, WORK, args.idle, args.max_quiet_wait)
        result = harness.timed_run(
            cmd, work=WORK, log=WORK / "logs" / "runs.log", server_pids=ctx.nginx_pids, timeout=timeout,
            env=child_env(BASELINE if tool == "cassdk-base" else None),
        )  # fmt: skip
        ok = result["rc"] == 0 and OUT.exists() and OUT.stat().st_size == src["size"]
        if ok:
            ok = harness.sha256_file(OUT) == src["sha256"]
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
        retry = finish_attempt(ctx, result, attempt, f"{suite} {server}-{state} {label} {tool:10s}")
        clean_outputs()
        if not retry:
            break
    return result


def upload_run(
    ctx: Context, *, suite: str, state: str, label: str, run: int, tool: str = "cassdk",
    cmd: Optional[List[str]] = None, part_mib: int = 0, ok_key: str = "archive_id",
) -> Dict[str, Any]:  # fmt: skip
    """One upload to a fresh emulator process; ``cmd`` replaces cassdk_like's client (a peer).

    The run counts as done when the client exits 0 and its JSON line has ``ok_key``.
    """
    args, src = ctx.args, ctx.sources[label]
    cmd = cmd or upload_command(args, src["path"], part_mib)
    result: Dict[str, Any] = {}
    for attempt in range(args.max_retries + 1):
        with emulator(args) as emu:
            quiet = harness.settle(state, WORK, args.idle, args.max_quiet_wait)
            result = harness.timed_run(
                cmd, work=WORK, log=WORK / "logs" / "runs.log", server_pids=[emu.pid],
                timeout=120 + src["size"] / (2 * 1e6), env=child_env(),
            )  # fmt: skip
        ok = result["rc"] == 0 and result["client"].get(ok_key) is not None
        if not ok and "error" not in result:
            result["error"] = f"no {ok_key} in the client's output"
        result.update(quiet)
        result.update(
            suite=suite, direction="upload", tool=tool, server="emulator", state=state, label=label,
            bytes=src["size"], run=run, ok=ok, conns=args.workers, cmd=shlex.join(cmd), attempt=attempt,
        )  # fmt: skip
        if not finish_attempt(ctx, result, attempt, f"{suite} upload-{state} {label} {tool}"):
            break
    return result


def warm_up(ctx: Context, *, downloads: bool, uploads: bool) -> None:
    """One unmeasured run of each Python client (fills the bytecode cache, like an installed package)."""
    args, label = ctx.args, ctx.args.warmup_label
    log(f"warm-up: one unmeasured run of each Python client ({label})")
    if downloads:
        tools = ("cassdk", "boto3-8m", "requests") + (("cassdk-base",) if args.baseline else ())
        for tool in tools:
            clean_outputs()
            cmd = dl_command(tool, args, args.ports["uncapped"], label, OUT)
            env = child_env(BASELINE if tool == "cassdk-base" else None)
            subprocess.run(cmd, env=env, capture_output=True, timeout=300, check=False)
    if uploads:
        with emulator(args):
            cmd = upload_command(args, ctx.sources[label]["path"])
            subprocess.run(cmd, env=child_env(), capture_output=True, timeout=300, check=False)
    clean_outputs()
