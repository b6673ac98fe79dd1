"""Diagnosis variants: warm in-process downloads with one knob changed at a time (dl_experiments.py).

Chunk sizes, one-piece requests, workers, syncing: to show where the time goes, not to rank tools.
"""

from __future__ import annotations

import shlex
import subprocess
from typing import Any, Dict, List, Mapping

from benchmarks.cassbench import harness
from benchmarks.cassbench.runs import OUT
from benchmarks.cassbench.stats import fmt, med, stat
from benchmarks.cassbench.workspace import (
    APPID,
    CLIENTS,
    PYTHON,
    SIZES,
    VAULT,
    Context,
    child_env,
    clean_outputs,
    job_id,
    log,
)

NAME = "diag"
NEEDS_NGINX = True
NEEDS_EMULATOR = False


def run(ctx: Context) -> Dict[str, Any]:
    args = ctx.args
    rounds = 1 if args.quick else 3
    log(f"== diagnosis experiments (warm, in-process, {rounds} rounds)")
    if args.max_quiet_wait > 0:
        harness.wait_quiet(args.max_quiet_wait)
    clean_outputs()
    cmd = [
        PYTHON, str(CLIENTS / "dl_experiments.py"), "--endpoint", f"http://127.0.0.1:{args.ports['uncapped']}",
        "--appid", APPID, "--vault", VAULT, "--job", job_id(args.main_label), "--out", str(OUT),
        "--rounds", str(rounds),
    ]  # fmt: skip
    proc = subprocess.run(cmd, env=child_env(), capture_output=True, text=True, timeout=1800, check=False)
    clean_outputs()
    raw = harness.last_json_line(proc.stdout)
    if proc.returncode != 0 or not raw:
        return {"error": proc.stderr[-800:], "cmd": shlex.join(cmd)}
    size = SIZES[args.main_label]
    groups: Dict[str, List[Dict[str, Any]]] = {}
    for entry in raw.get("runs", []):
        groups.setdefault(entry["variant"], []).append(entry)
    rows = [
        {
            "variant": variant,
            "mbps": stat([size / r["wall"] / 1e6 for r in runs]),
            "wall": stat([r["wall"] for r in runs]),
            "cpu": stat([r["user"] + r["sys"] for r in runs]),
            "user": stat([r["user"] for r in runs]),
            "sys": stat([r["sys"] for r in runs]),
            "rounds": len(runs),
        }
        for variant, runs in groups.items()
    ]
    return {"bytes": size, "rows": rows, "cmd": shlex.join(cmd)}


def render(data: Mapping[str, Any], results: Mapping[str, Any]) -> List[str]:
    lines = [
        "## Diagnosis experiments (`benchmarks/clients/dl_experiments.py`, warm, in-process, not timed runs)",
        "",
    ]
    if "error" in data:
        return [*lines, f"failed: {data['error'][-300:]}", ""]
    lines += [
        "One knob changed at a time; the engine is untouched (config fields, or the journal's syncing). "
        "CPU = the process's user+sys during the download call.",
        "",
        "| variant | MB/s median (min-max) | download s | CPU s (user/sys) | speed vs default | rounds |",
        "|---|---|---|---|---|---|",
    ]
    rows = data["rows"]
    base = med(next((r for r in rows if r["variant"] == "default"), rows[0])["mbps"]) if rows else 1.0
    for row in rows:
        lines.append(
            f"| {row['variant']} | {fmt(med(row['mbps']))} ({fmt(row['mbps'].get('min', med(row['mbps'])))}-"
            f"{fmt(row['mbps'].get('max', med(row['mbps'])))}) | {med(row['wall']):.2f} | "
            f"{med(row['cpu']):.2f} ({med(row['user']):.2f}/{med(row['sys']):.2f}) | "
            f"{med(row['mbps']) / base:.2f} | {row['rounds']} |"
        )
    return [*lines, ""]
