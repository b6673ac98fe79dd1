"""Benchmark 1: download the main file from nginx, capped and uncapped, cold and warm page state.

cassdk_like (job-output path, verifies the tree hash) against aria2c -xN, boto3 ``download_file``
with 8 and 32 MiB parts, curl and requests, round-robin, medians of ``--runs``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping

from benchmarks.cassbench.runs import connections, download_run, tool_name
from benchmarks.cassbench.stats import (
    bold_span,
    cpu_cell,
    fmt,
    med,
    noise_cell,
    ok_cell,
    raw_rates,
    span,
    stat,
    summarize,
)
from benchmarks.cassbench.stats import failures as failed_lines
from benchmarks.cassbench.workspace import CAP, Context, log, size_text

NAME = "dl"
NEEDS_NGINX = True
NEEDS_EMULATOR = False


def run(ctx: Context) -> Dict[str, Any]:
    args = ctx.args
    for condition in args.condition_list:
        server, state = condition.split("-")
        tools = args.capped_list if server == "capped" else args.tool_list
        log(f"== benchmark 1: {condition}, tools {tools}, {args.runs} runs (round-robin)")
        for number in range(1, args.runs + 1):
            for tool in tools:
                download_run(
                    ctx, suite=NAME, tool=tool, server=server, state=state, label=args.main_label, run=number
                )
    return summarize_runs(ctx)


def summarize_runs(ctx: Context) -> Dict[str, Any]:
    args = ctx.args
    runs = ctx.rec.select(suite=NAME)
    reported: Dict[str, Any] = next(
        (r["client"] for r in runs if r["tool"] == "cassdk" and r["client"].get("piece_mib")), {}
    )
    conditions = []
    for condition in args.condition_list:
        server, state = condition.split("-")
        tools = args.capped_list if server == "capped" else args.tool_list
        rows = []
        for tool in tools:
            mine = ctx.rec.select(suite=NAME, tool=tool, server=server, state=state)
            if mine:
                name = tool_name(tool, args, reported.get("piece_mib"))
                rows.append({"tool": tool, "name": name, "conns": connections(tool, args), **summarize(mine)})
        done = [
            r for r in ctx.rec.select(suite=NAME, tool="cassdk", server=server, state=state)
            if r.get("ok") and not r.get("superseded") and "fsync_max_s" in r["client"]
        ]  # fmt: skip
        entry: Dict[str, Any] = {"condition": condition, "rows": rows}
        if done:
            entry["cassdk_sync"] = {
                "fsync": stat([r["client"]["fsync_max_s"] for r in done]),
                "journal_syncs": stat([r["client"].get("fdatasync_n", 0) for r in done]),
                "journal_sync_s": stat([r["client"].get("fdatasync_s", 0.0) for r in done]),
            }
        conditions.append(entry)
    return {
        "size_text": size_text(args.main_label, args.quick),
        "workers": args.workers,
        "cap_mbps": CAP / 1e6,
        "conditions": conditions,
        "raw": raw_rates(runs),
        "failed": failed_lines(runs),
    }


def merge(old: Mapping[str, Any], new: Dict[str, Any], old_run: str) -> Dict[str, Any]:
    """Keep the conditions of an earlier run that this one did not measure (same size and N).

    ``--only dl --conditions capped-cold`` then refreshes the capped table and leaves the uncapped
    ones; each kept condition remembers its run, and the report says so under its heading.
    """
    if (old.get("size_text"), old.get("workers")) != (new["size_text"], new["workers"]):
        return new
    fresh = {e["condition"] for e in new["conditions"]}
    kept = [
        {**e, "run": e.get("run", old_run)} for e in old.get("conditions", []) if e["condition"] not in fresh
    ]
    if not kept:
        return new
    order = {name: i for i, name in enumerate(("capped-cold", "uncapped-cold", "uncapped-warm"))}
    conditions = sorted(new["conditions"] + kept, key=lambda e: order.get(e["condition"], len(order)))
    old_raw = [item for item in old.get("raw", []) if str(item[0]).split()[2] not in fresh]
    old_failed = [line for line in old.get("failed", []) if line.split()[3] not in fresh]
    return {
        **new,
        "conditions": conditions,
        "raw": old_raw + new["raw"],
        "failed": old_failed + new["failed"],
    }


def rows_of(data: Mapping[str, Any], condition: str) -> List[Dict[str, Any]]:
    for entry in data.get("conditions", []):
        if entry["condition"] == condition:
            return list(entry["rows"])
    return []


def row_of(data: Mapping[str, Any], condition: str, tool: str) -> Dict[str, Any]:
    return next((r for r in rows_of(data, condition) if r["tool"] == tool), {})


def render(data: Mapping[str, Any], results: Mapping[str, Any]) -> List[str]:
    workers, cap = data["workers"], data["cap_mbps"]
    lines = [f"## 1. Download {data['size_text']} from nginx", ""]
    for entry in data["conditions"]:
        server, state = entry["condition"].split("-")
        capped = server == "capped"
        title = (
            f"capped (`limit_rate 40m` = {cap:.2f} MB/s per connection; Nxcap = {workers * cap:.1f} MB/s)"
            if capped
            else "uncapped"
        )
        lines += [f"### {title}, {state} page state", ""]
        if entry.get("run", data.get("run")) != data.get("run"):
            run = results.get("runs", {}).get(entry["run"], {})
            lines += [
                f"*From the run of {run.get('date', '?')} at commit `{run.get('commit', '?')}`: "
                f"`{run.get('command', '?')}`.*",
                "",
            ]
        head = (
            "| tool | conns | median MB/s (min-max) | median wall s (min-max) "
            "| CPU s/GiB user+sys (user/sys) | peak RSS MiB | nginx CPU s | transfer-only MB/s | "
            + ("% of Nxcap | " if capped else "")
            + "sha256 OK | other procs' CPU s (redone) |"
        )
        lines += [head, "|" + "---|" * (head.count("|") - 1)]
        for row in entry["rows"]:
            cells = [
                row["name"],
                str(row["conns"]),
                bold_span(row.get("mbps")),
                span(row.get("wall"), 2),
                cpu_cell(row),
                fmt(med(row.get("rss"))),
                fmt(med(row.get("server")), 2),
                fmt(med(row.get("xfer"))) if row.get("xfer") else "-",
            ]
            if capped:
                m = med(row.get("mbps"))
                cells.append(f"{m / (row['conns'] * cap) * 100:.0f} %" if m == m else "-")
            cells += [ok_cell(row), noise_cell(row)]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        sync = entry.get("cassdk_sync")
        if sync:
            f = sync["fsync"]
            journal = (
                f"its journal thread fdatasynced the partial file a median {med(sync['journal_syncs']):.0f} "
                f"times per download ({med(sync['journal_sync_s']):.2f} s in total, in parallel with the "
                "transfer), which is why the final fsync has almost nothing left to write."
                if med(sync["journal_syncs"]) > 0
                else "the journal never fdatasyncs the partial file (a resume re-hashes the pieces it "
                "lists instead), so the final fsync writes back whatever the page cache still holds."
            )
            lines += [
                f"cassdk_like's longest fsync (the final one, inside its wall time): median "
                f"{med(f):.2f} s (min-max {f.get('min', med(f)):.2f}-{f.get('max', med(f)):.2f}); " + journal,
                "",
            ]
    lines += ["### Ratios (cassdk_like / peer, medians)", "", *ratio_lines(data), ""]
    return lines


def ratio_lines(data: Mapping[str, Any]) -> List[str]:
    lines = [
        "| condition | peer | cassdk_like MB/s / peer | cassdk_like CPU / peer | cassdk_like RSS / peer |",
        "|---|---|---|---|---|",
    ]
    workers, cap = data["workers"], data["cap_mbps"]
    for entry in data["conditions"]:
        condition = entry["condition"]
        mine = row_of(data, condition, "cassdk")
        if not mine.get("mbps"):
            continue
        for peer in entry["rows"]:
            if peer["tool"] == "cassdk" or not peer.get("mbps"):
                continue
            lines.append(
                f"| {condition} | {peer['name']} | {med(mine['mbps']) / med(peer['mbps']):.2f} | "
                f"{med(mine['cpu']) / med(peer['cpu']):.2f} | {med(mine['rss']) / med(peer['rss']):.2f} |"
            )
        if condition.startswith("capped"):
            ideal = workers * cap
            lines.append(
                f"| {condition} | N x cap = {workers} x {cap:.2f} = {ideal:.1f} MB/s | "
                f"{med(mine['mbps']) / ideal:.2f} | - | - |"
            )
    return lines
