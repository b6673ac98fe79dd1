"""Benchmark 4: cassdk_like's peak RSS against file size, downloads (nginx) and uploads (emulator)."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping

from benchmarks.cassbench.runs import download_run, upload_run
from benchmarks.cassbench.stats import (
    MiB,
    failures,
    fmt,
    med,
    noise_cell,
    ok_cell,
    raw_rates,
    span,
    summarize,
)
from benchmarks.cassbench.workspace import SIZES, Context, log

NAME = "rss"
NEEDS_NGINX = True
NEEDS_EMULATOR = True


def run(ctx: Context) -> Dict[str, Any]:
    args = ctx.args
    log(f"== benchmark 4: peak RSS, sizes {args.rss_labels}, {args.rss_runs} runs, warm page state")
    for number in range(1, args.rss_runs + 1):
        for label in args.rss_labels:
            download_run(
                ctx, suite=NAME, tool="cassdk", server="uncapped", state="warm", label=label, run=number
            )
            upload_run(ctx, suite=NAME, state="warm", label=label, run=number)
    rows = []
    for direction in ("download", "upload"):
        for label in args.rss_labels:
            runs = ctx.rec.select(suite=NAME, direction=direction, label=label)
            if runs:
                rows.append(
                    {"direction": direction, "label": label, "bytes": SIZES[label], **summarize(runs)}
                )
    uploads = ctx.rec.select(suite=NAME, direction="upload")
    part = max((r["client"].get("part_size") or 0 for r in uploads), default=0)
    runs = ctx.rec.select(suite=NAME)
    return {
        "workers": args.workers,
        "part_mib": part // MiB,
        "labels": list(args.rss_labels),
        "rows": rows,
        "raw": raw_rates(runs),
        "failed": failures(runs),
    }


def render(data: Mapping[str, Any], results: Mapping[str, Any]) -> List[str]:
    lines = [
        "## 4. Peak RSS vs file size (cassdk_like, warm page state)",
        "",
        "| direction | size | peak RSS MiB median (min-max) | median MB/s | CPU s/GiB | OK "
        "| other procs' CPU s (redone) |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in data["rows"]:
        where = "nginx, uncapped" if row["direction"] == "download" else "emulator"
        lines.append(
            f"| {row['direction']} ({where}) | {row['label']} | {span(row.get('rss'))} | "
            f"{fmt(med(row.get('mbps')))} | {fmt(med(row.get('cpu')), 2)} | {ok_cell(row)} | "
            f"{noise_cell(row)} |"
        )
    workers = data["workers"]
    lines += [
        "",
        f"Bound from the issue: 64 MiB + workers x part size = 64 + {workers} x 16 = {64 + workers * 16} MiB "
        "for uploads with 16 MiB parts; downloads hold one `io_chunk_size` buffer (1 MiB) per worker.",
        "",
    ]
    return lines


def target_rows(data: Mapping[str, Any]) -> List[str]:
    """ "RSS does not grow with size" rows of the targets table."""
    lines = []
    workers, part = data["workers"], data.get("part_mib", 0)
    for direction in ("download", "upload"):
        vals = {
            r["label"]: med(r["rss"]) for r in data["rows"] if r["direction"] == direction and r.get("rss")
        }
        labels = [lab for lab in data["labels"] if lab in vals]
        if not labels:
            continue
        if direction == "download":
            bound, bound_text, comparable = 64.0, "64 MiB", labels
        else:
            bound = 64.0 + workers * part
            bound_text = f"64 MiB + {workers} x {part} MiB parts = {bound:.0f} MiB"
            # a file of fewer than workers + 1 parts never fills the buffer pool: not comparable
            comparable = [lab for lab in labels if SIZES[lab] >= (workers + 1) * part * MiB]
        big = labels[-1]
        flat, same = True, ""
        if len(comparable) >= 2 and comparable[-1] == big:
            flat = vals[big] <= vals[comparable[-2]] * 1.1 + 8
            same = f", same as at {comparable[-2]}"
        measured = ", ".join(f"{vals[lab]:.0f} MiB at {lab}" for lab in reversed(labels))
        ok = flat and vals[big] <= bound
        verdict = "met" if ok else f"**missed** ({'grows with size' if not flat else 'above the bound'})"
        lines.append(f"| {direction} peak RSS at {big} ≤ {bound_text}{same} | {measured} | {verdict} |")
    return lines
