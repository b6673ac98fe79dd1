"""Where cassdk_like's CPU goes in a download and an upload (not timed runs).

Two views. Per phase (``benchmarks/clients/cpu_phases.py``): the engine's functions wrapped in the
client process, each call charging the thread's exact CPU clock and its user/system split to its
phase, cold and warm page cache; what no phase claims is the rest. py-spy samples (warm): put in
categories by their leaf-most matching frame, so the report says where threads are (a thread
blocked in a C call counts as running there) rather than listing thousands of stacks.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

from benchmarks.cassbench import harness
from benchmarks.cassbench.runs import CLIENTS, OUT, dl_command, upload_command
from benchmarks.cassbench.servers import emulator
from benchmarks.cassbench.workspace import PYTHON, WORK, Context, child_env, clean_outputs, log

NAME = "profile"
NEEDS_NGINX = True
NEEDS_EMULATOR = True

#: where a sample goes: the leaf-most frame matching one of these patterns decides
CATEGORIES = (
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


def find_pyspy() -> Optional[str]:
    local = Path(PYTHON).parent / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


#: (name, transfer, page cache before the run, server port condition)
PHASE_CASES = (
    ("download-capped-cold", "download", "cold", "capped"),
    ("download-uncapped-warm", "download", "warm", "uncapped"),
    ("upload-cold", "upload", "cold", ""),
    ("upload-warm", "upload", "warm", ""),
)


def run(ctx: Context) -> Dict[str, Any]:
    out: Dict[str, Any] = {"phases": run_phases(ctx)}
    pyspy = find_pyspy()
    if pyspy is None:
        out["skipped"] = "py-spy not found (run.sh installs it into the benchmark venv)"
        return out
    out.update(run_pyspy(ctx, pyspy))
    return out


def run_phases(ctx: Context) -> List[Dict[str, Any]]:
    args = ctx.args
    log("== CPU per phase (cpu_phases.py)")
    cases: List[Dict[str, Any]] = []
    for name, transfer, cache, condition in PHASE_CASES:
        clean_outputs()
        report = WORK / f"phases-{name}.json"
        with contextlib.suppress(FileNotFoundError):
            report.unlink()
        with contextlib.ExitStack() as stack:
            if transfer == "download":
                cmd = dl_command("cassdk", args, args.ports[condition], args.main_label, OUT)
            else:
                stack.enter_context(emulator(args))
                cmd = upload_command(args, ctx.main["path"])
            wrapped = [
                PYTHON, str(CLIENTS / "cpu_phases.py"), "--out", str(report),
                "--bytes", str(ctx.main["size"]), "--", *cmd[1:],
            ]  # fmt: skip
            harness.settle(cache, WORK, args.idle, args.max_quiet_wait)
            proc = subprocess.run(
                wrapped, env=child_env(), capture_output=True, text=True, timeout=900, check=False
            )
        if proc.returncode == 0 and report.exists():
            entry: Dict[str, Any] = json.loads(report.read_text())
            log(f"phases {name}: {entry['process']['cpu_s_per_gib']:.2f} CPU s/GiB")
        else:
            entry = {"error": (proc.stderr or proc.stdout)[-500:]}
            log(f"phases {name}: failed")
        cases.append({"key": name, **entry})
    clean_outputs()
    return cases


def run_pyspy(ctx: Context, pyspy: str) -> Dict[str, Any]:
    args = ctx.args
    log("== CPU profiles (py-spy)")
    profiles: List[Dict[str, Any]] = []
    for name in ("download-uncapped-warm", "upload-warm"):
        for mode, extra in (("cpu", []), ("gil", ["--gil"])):
            clean_outputs()
            raw = WORK / f"profile-{name}-{mode}.txt"
            with contextlib.suppress(FileNotFoundError):
                raw.unlink()
            base = [pyspy, "record", "-r", "250", "-f", "raw", "-o", str(raw), *extra, "--"]
            with contextlib.ExitStack() as stack:
                if name.startswith("download"):
                    cmd = dl_command("cassdk", args, args.ports["uncapped"], args.main_label, OUT)
                else:
                    stack.enter_context(emulator(args))
                    cmd = upload_command(args, ctx.main["path"])
                harness.settle("warm", WORK, 0, args.max_quiet_wait)
                proc = subprocess.run(
                    base + cmd, env=child_env(), capture_output=True, text=True, timeout=600, check=False
                )
            key = f"{name}/{mode}"
            entry = summarize_profile(raw) if raw.exists() else {"error": proc.stderr[-500:]}
            profiles.append({"key": key, **entry})
            log(f"profile {key}: {entry.get('samples', 'failed')} samples")
    clean_outputs()
    return {"profiles": profiles}


def _stacks(raw: Path) -> List[Tuple[List[str], int]]:
    out = []
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if stack and count_text.isdigit():
            out.append((stack.split(";"), int(count_text)))
    return out


def summarize_profile(raw: Path) -> Dict[str, Any]:
    """Category and self-frame shares (% of samples) from py-spy's collapsed-stack ("raw") output."""
    self_counts: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    total = 0
    for frames, count in _stacks(raw):
        name = "other"
        for frame in reversed(frames):
            hit = next((cat for cat, pats in CATEGORIES if any(p in frame for p in pats)), None)
            if hit:
                name = hit
                break
        categories[name] += count
        own = [f for f in frames if f and not f.startswith("process ")]
        if own:
            total += count
            self_counts[own[-1]] += count
    share = 100.0 / (total or 1)
    return {
        "samples": total,
        "file": raw.name,
        "categories": [[cat, round(n * share, 2)] for cat, n in categories.most_common()],
        "self": [[frame, round(n * share, 2)] for frame, n in self_counts.most_common(25)],
    }


def render_phases(cases: List[Mapping[str, Any]]) -> List[str]:
    lines = [
        "### CPU per phase (`benchmarks/clients/cpu_phases.py`, one run each, not timed)",
        "",
        "Each phase's own CPU (the calling thread's CPU clock, phases inside it subtracted), per GiB "
        "moved; user/system from `getrusage(RUSAGE_THREAD)` (tick-sampled: right in sum, rough per "
        "phase). `rest` = the process's CPU (`os.times`, interpreter start included) that no phase "
        "claims: request building, engine bookkeeping, thread hand-offs, imports.",
        "",
    ]
    for case in cases:
        if "error" in case:
            lines += [f"* {case['key']}: failed: {case['error'][:200]}", ""]
            continue
        proc = case["process"]
        lines += [
            f"#### {case['key']}: {proc['cpu_s_per_gib']:.2f} CPU s/GiB "
            f"(user {proc['user_s_per_gib']:.2f}, system {proc['system_s_per_gib']:.2f})",
            "",
            "| phase | CPU s/GiB | user s | system s | calls |",
            "|---|---|---|---|---|",
        ]
        for phase in case["phases"]:
            lines.append(
                f"| {phase['phase']} | {phase['cpu_s_per_gib']:.3f} | {phase['user_s']:.2f} | "
                f"{phase['system_s']:.2f} | {phase['calls']:,} |"
            )
        lines += [f"| rest | {case['rest_s_per_gib']:.3f} | | | |", ""]
    return lines


def render(data: Mapping[str, Any], results: Mapping[str, Any]) -> List[str]:
    lines = ["## CPU: per phase and py-spy profiles (not timed)", ""]
    if data.get("phases"):
        lines += render_phases(data["phases"])
    if "skipped" in data:
        return [*lines, data["skipped"], ""]
    if "profiles" not in data:
        return lines
    lines += ["### py-spy (one warm run each)", ""]
    lines += [
        "`cpu` = samples of every thread that is running (`py-spy record`, idle threads left out; "
        "a thread inside a C call such as recv, sha256 or pwrite counts as running); "
        "`gil` = samples of the thread holding the GIL (`--gil`): pure Python work. "
        "Each sample goes to the category of its leaf-most matching frame; then the top self frames.",
        "",
    ]
    for p in data["profiles"]:
        if "error" in p:
            lines.append(f"* {p['key']}: failed: {p['error'][:200]}")
            continue
        lines += [f"#### {p['key']} ({p['samples']} samples, raw: `_work/{p['file']}`)", ""]
        lines += ["| category | % of samples |", "|---|---|"]
        lines += [f"| {cat} | {pct:.1f} |" for cat, pct in p["categories"]]
        lines += ["", "| self % | frame |", "|---|---|"]
        lines += [f"| {pct:.1f} | `{frame[:150]}` |" for frame, pct in p["self"][:12]]
        lines.append("")
    return lines
