"""Upload peak RSS against part size: the main file to the emulator, 16 and 256 MiB parts, N workers.

The measuring child is ``benchmarks/clients/upload_rss.py`` (it uploads in a child process of
its own and prints one JSON line with ``peak_rss_mib`` and ``part_size``). When that script is
not there the suite records "not available" instead of measuring something else.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping

from benchmarks.cassbench.runs import upload_run
from benchmarks.cassbench.stats import failures, fmt, med, ok_cell, raw_rates, span, stat, summarize
from benchmarks.cassbench.workspace import (
    CLIENTS,
    EMU_APPID,
    EMU_SECRET_ID,
    EMU_SECRET_KEY,
    PYTHON,
    VAULT,
    Context,
    log,
    size_text,
)

NAME = "ul-rss"
NEEDS_NGINX = False
NEEDS_EMULATOR = True
SCRIPT = CLIENTS / "upload_rss.py"


def command(ctx: Context, part_mib: int) -> List[str]:
    """How the suite calls the script (the interface it relies on)."""
    args = ctx.args
    return [
        PYTHON, str(SCRIPT), "--endpoint", f"http://127.0.0.1:{args.emu_port}", "--appid", EMU_APPID,
        "--secret-id", EMU_SECRET_ID, "--secret-key", EMU_SECRET_KEY, "--vault", VAULT,
        "--file", str(ctx.main["path"]), "--part-mib", str(part_mib), "--workers", str(args.workers),
    ]  # fmt: skip


def run(ctx: Context) -> Dict[str, Any]:
    args = ctx.args
    parts = [int(p) for p in args.ul_rss_parts.split(",") if p]
    base = {"size_text": size_text(args.main_label, args.quick), "workers": args.workers}
    if not SCRIPT.exists():
        log(f"== upload RSS vs part size: not available ({SCRIPT.name} is missing)")
        return {**base, "status": f"not available: benchmarks/clients/{SCRIPT.name} is missing"}
    log(f"== upload RSS vs part size {parts} MiB, {args.rss_runs} runs, warm page state")
    for number in range(1, args.rss_runs + 1):
        for part in parts:
            upload_run(
                ctx, suite=NAME, state="warm", label=args.main_label, run=number, tool=f"part-{part}m",
                cmd=command(ctx, part), ok_key="peak_rss_mib",
            )  # fmt: skip
    rows = []
    for part in parts:
        runs = ctx.rec.select(suite=NAME, tool=f"part-{part}m")
        done = [r["client"] for r in runs if r.get("ok") and not r.get("superseded")]
        rows.append({
            "part_mib": part,
            "child_rss": stat([float(c["peak_rss_mib"]) for c in done]),
            "reported_part_size": next((c.get("part_size") for c in done), None),
            **summarize(runs),
        })  # fmt: skip
    runs = ctx.rec.select(suite=NAME)
    return {**base, "rows": rows, "raw": raw_rates(runs), "failed": failures(runs)}


def render(data: Mapping[str, Any], results: Mapping[str, Any]) -> List[str]:
    workers = data["workers"]
    lines = [
        f"## 5. Upload peak RSS vs part size ({data['size_text']} to the emulator, {workers} workers, warm)",
        "",
    ]
    if "status" in data:
        return [*lines, f"{data['status']}.", ""]
    lines += [
        "| part size | peak RSS MiB of the uploading child, median (min-max) | time -v peak RSS MiB of "
        "upload_rss.py (with the children it reaped) | bound 64 MiB + N x part | median MB/s | OK |",
        "|---|---|---|---|---|---|",
    ]
    for row in data["rows"]:
        bound = 64 + workers * row["part_mib"]
        lines.append(
            f"| {row['part_mib']} MiB | {span(row.get('child_rss'))} | {fmt(med(row.get('rss')))} | "
            f"{bound} MiB | {fmt(med(row.get('mbps')))} | {ok_cell(row)} |"
        )
    return [*lines, ""]
