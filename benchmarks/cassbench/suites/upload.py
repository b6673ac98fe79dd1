"""Benchmark 2: upload the main file to the emulator (a separate process) with cassdk_like."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping

from benchmarks.cassbench.runs import upload_run
from benchmarks.cassbench.stats import (
    GiB,
    MiB,
    bold_span,
    cpu_cell,
    failures,
    fmt,
    med,
    noise_cell,
    ok_cell,
    raw_rates,
    span,
    summarize,
)
from benchmarks.cassbench.workspace import Context, log, size_text

NAME = "ul"
NEEDS_NGINX = False
NEEDS_EMULATOR = True


def run(ctx: Context) -> Dict[str, Any]:
    args = ctx.args
    states = [s for s in args.ul_conditions.split(",") if s]
    log(f"== benchmark 2: upload {args.main_label} to the emulator, {states}, {args.ul_runs} runs")
    for number in range(1, args.ul_runs + 1):
        for state in states:
            upload_run(ctx, suite=NAME, state=state, label=args.main_label, run=number)
    rows = []
    for state in states:
        runs = ctx.rec.select(suite=NAME, state=state)
        if runs:
            part = next((r["client"].get("part_size") for r in runs if r["client"].get("part_size")), 0)
            rows.append({"state": state, "part_mib": (part or 0) // MiB, **summarize(runs)})
    runs = ctx.rec.select(suite=NAME)
    return {
        "size_text": size_text(args.main_label, args.quick),
        "rows": rows,
        "raw": raw_rates(runs),
        "failed": failures(runs),
    }


def render(data: Mapping[str, Any], results: Mapping[str, Any]) -> List[str]:
    lines = [
        f"## 2. Upload {data['size_text']} to the emulator "
        "(`python -m cassdk_like.emulator`, separate process)",
        "",
        "| page state | median MB/s (min-max) | median wall s | transfer-only MB/s | client CPU s/GiB "
        "user+sys (user/sys) | peak RSS MiB | emulator CPU s/GiB | part size | OK "
        "| other procs' CPU s (redone) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in data["rows"]:
        lines.append(
            f"| {row['state']} | {bold_span(row.get('mbps'))} | {span(row.get('wall'), 2)} | "
            f"{fmt(med(row.get('xfer')))} | {cpu_cell(row)} | {fmt(med(row.get('rss')))} | "
            f"{fmt(med(row.get('server_gib')), 2)} | {row['part_mib']} MiB | {ok_cell(row)} | "
            f"{noise_cell(row)} |"
        )
    lines.append("")
    hashing = results.get("suites", {}).get("hash")
    tests = {t["name"]: t for t in hashing.get("tests", [])} if hashing else {}
    if "sha256_1t" in tests and "upload_hash_bytes_16m_parts_1t" in tests:
        gib = hashing["bytes"] / GiB
        sha = med(tests["sha256_1t"]["cpu"]) / gib
        both = med(tests["upload_hash_bytes_16m_parts_1t"]["cpu"]) / gib
        lines += [
            f"Hashing limit (benchmark 3): hashing every byte twice (linear SHA-256 + tree hash) costs "
            f"2 x {sha:.2f} = **{2 * sha:.2f} CPU s/GiB** (measured `hash_bytes` per 16 MiB part: "
            f"{both:.2f} s/GiB); on one core that caps the upload at {GiB / (2 * sha) / 1e6:.0f} MB/s, "
            f"on 2 cores at {GiB / sha / 1e6:.0f} MB/s (before any I/O, HTTP or server cost).",
            "",
        ]
    return lines
