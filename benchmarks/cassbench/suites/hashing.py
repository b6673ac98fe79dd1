"""Benchmark 3: the hashing floors, tree hash on 1 and 2 threads vs hashlib.sha256, in memory."""

from __future__ import annotations

import shlex
from typing import Any, Dict, List, Mapping

from benchmarks.cassbench import harness
from benchmarks.cassbench.stats import GiB, fmt, med, span, stat
from benchmarks.cassbench.workspace import CLIENTS, PYTHON, WORK, Context, child_env, log

NAME = "hash"
NEEDS_NGINX = False
NEEDS_EMULATOR = False

DESCRIPTIONS = {
    "sha256_1t": "hashlib.sha256, 1 thread, 1 MiB updates",
    "sha256_2t_halves": "hashlib.sha256, 2 threads, one half each (ceiling)",
    "tree_hash_1t": "cassdk_like `tree_hash`, 1 thread",
    "tree_hash_leaves_2t": "tree hash, leaves on 2 threads (hashbench `tree_2t`)",
    "treehasher_256k_chunks_1t": "`TreeHasher.update` in 256 KiB chunks (download path)",
    "upload_hash_bytes_16m_parts_1t": "`hash_bytes` (SHA-256 + tree hash) per 16 MiB part (upload path)",
}


def run(ctx: Context) -> Dict[str, Any]:
    args, src = ctx.args, ctx.main
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
    raw = result["client"]
    if result["rc"] != 0 or not raw:
        log(f"hash benchmark FAILED: {result.get('error')}")
        return {"error": str(result.get("error")), "cmd": shlex.join(cmd)}
    tests = []
    for name, entry in raw.get("tests", {}).items():
        log(f"hash {name:32s} median {med(stat(entry['wall'])):.3f} s")
        tests.append({
            "name": name,
            "desc": DESCRIPTIONS.get(name, name),
            "wall": stat(entry["wall"]),
            "cpu": stat(entry["cpu"]),
            "foreign": stat(entry.get("foreign", [])),
            "redone": entry.get("redone", 0),
        })  # fmt: skip
    tree = raw.get("tests", {}).get("tree_hash_1t", {}).get("digest")
    return {"bytes": raw["bytes"], "runs": raw["runs"], "ok": tree == src["tree_hash"], "tests": tests}


def render(data: Mapping[str, Any], results: Mapping[str, Any]) -> List[str]:
    if not data.get("tests"):
        return ["## 3. Hashing", "", f"(no data: {data.get('error', '?')})", ""]
    size = data["bytes"]
    base = med(next((t for t in data["tests"] if t["name"] == "sha256_1t"), data["tests"][0])["wall"])
    lines = [
        f"## 3. Hashing a {size / GiB:g} GiB in-memory buffer ({data['runs']} runs, round-robin)",
        "",
        "| test | median s (min-max) | median MB/s | CPU s (all threads) | speed / sha256 1 thread "
        "| other procs' CPU s (redone) |",
        "|---|---|---|---|---|---|",
    ]
    for test in data["tests"]:
        m = med(test["wall"])
        lines.append(
            f"| {test['desc']} | {span(test['wall'], 3)} | {size / m / 1e6:,.0f} | {med(test['cpu']):.2f} | "
            f"{base / m:.2f} | {fmt(med(test.get('foreign')), 2)} ({test.get('redone', 0)}) |"
        )
    lines += ["", f"Tree hash digest matches the source's: {'yes' if data.get('ok') else 'NO'}.", ""]
    return lines
