"""The request pattern of one cassdk_like download per logging nginx server (not timed)."""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from typing import Any, Dict, List, Mapping

from benchmarks.cassbench.runs import OUT, dl_command
from benchmarks.cassbench.workspace import WORK, Context, child_env, clean_outputs, log

NAME = "pattern"
NEEDS_NGINX = True
NEEDS_EMULATOR = False


def run(ctx: Context) -> Dict[str, Any]:
    log("== request pattern of one cassdk_like download per logging server")
    patterns = {}
    for name in ("uncapped_log", "capped_log"):
        logfile = WORK / "logs" / f"access_{name.split('_')[0]}.log"
        before = logfile.read_text().splitlines() if logfile.exists() else []
        clean_outputs()
        cmd = dl_command("cassdk", ctx.args, ctx.args.ports[name], ctx.args.main_label, OUT)
        subprocess.run(cmd, env=child_env(), check=False, capture_output=True, timeout=600)
        time.sleep(0.3)
        lines = logfile.read_text().splitlines()[len(before) :] if logfile.exists() else []
        patterns[name] = summarize_access_log(lines)
    clean_outputs()
    return {"servers": patterns}


def summarize_access_log(lines: List[str]) -> Dict[str, Any]:
    """Requests, statuses, connections and ranged body sizes from nginx's ``rng`` log format."""
    statuses: Counter[str] = Counter()
    conns: Counter[str] = Counter()
    sizes: Counter[int] = Counter()
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


def render(data: Mapping[str, Any], results: Mapping[str, Any]) -> List[str]:
    lines = ["## Request pattern of one cassdk_like download (logging servers, not timed)", ""]
    for name, pattern in data["servers"].items():
        lines.append(f"* {name}: {json.dumps(pattern)}")
    return [*lines, ""]
