"""ReductStore client CPU and throughput: cassdk_like's blocking client beside reduct-py.

Both drive the emulator's ReductStore service (a fresh emulator process per round) with the same
workloads (benchmarks/clients/reduct_ops.py): 10,000 single writes of 1 KiB, 10,000 in batches
of 80, the batches read back by a query, and 1,000 ``info()`` calls (connection reuse). Client CPU
is ``time.process_time`` around the workload inside the client process (start-up and imports left
out; the process totals from time -v are kept too).
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping

from benchmarks.cassbench import harness
from benchmarks.cassbench.servers import emulator
from benchmarks.cassbench.stats import fmt, med, span, stat
from benchmarks.cassbench.workspace import CLIENTS, PYTHON, WORK, Context, child_env, log

NAME = "reduct"
NEEDS_NGINX = False
NEEDS_EMULATOR = False
CLIENTS_RUN = ("cassdk", "reduct-py")
CLIENT_NAMES = {"cassdk": "**cassdk_like** `reduct.Client` (blocking)", "reduct-py": "reduct-py (asyncio)"}
#: workload -> (records or calls, what a unit is)
WORKLOADS: Dict[str, int] = {"single": 10_000, "batch": 10_000, "query": 10_000, "info": 1_000}
RECORD_SIZE = 1024
BUCKET = "bench"


def _command(ctx: Context, client: str, op: str, entry: str, port: int) -> List[str]:
    return [
        PYTHON, str(CLIENTS / "reduct_ops.py"), "--client", client, "--url", f"http://127.0.0.1:{port}",
        "--bucket", BUCKET, "--entry", entry, "--op", op, "--count", str(WORKLOADS[op]),
        "--size", str(RECORD_SIZE),
    ]  # fmt: skip


def run(ctx: Context) -> Dict[str, Any]:
    args = ctx.args
    port = args.emu_port + 1
    runs: List[Dict[str, Any]] = []
    log(f"== ReductStore: cassdk_like vs reduct-py, {args.runs} rounds of {', '.join(WORKLOADS)}")
    for number in range(1, args.runs + 1):
        with emulator(args, {"reduct": port}) as emu:
            for client in CLIENTS_RUN:
                for op, count in WORKLOADS.items():
                    entry = f"{client}-{'batch' if op == 'query' else op}-{number}"
                    result = harness.timed_run(
                        _command(ctx, client, op, entry, port), work=WORK, log=WORK / "logs" / "runs.log",
                        server_pids=[emu.pid], timeout=600, env=child_env(),
                    )  # fmt: skip
                    out = result["client"]
                    ok = result["rc"] == 0 and out.get("done") == count
                    # the tool's name under "tool": "client" is the client's own report in result
                    runs.append({**result, "tool": client, "op": op, "run": number, "ok": ok})
                    cpu_us = out.get("cpu_s", float("nan")) / max(out.get("done", 0), 1) * 1e6
                    rate = out.get("done", 0) / out["wall_s"] if out.get("wall_s") else float("nan")
                    log(
                        f"reduct {client:9s} {op:6s} run {number}: {rate:9.0f}/s  "
                        f"cpu {cpu_us:7.1f} us each  {'ok' if ok else 'FAILED: ' + str(result.get('error'))}"
                    )
    return summarize(runs)


def summarize(runs: List[Dict[str, Any]]) -> Dict[str, Any]:
    rows = []
    for op, count in WORKLOADS.items():
        for client in CLIENTS_RUN:
            mine = [r for r in runs if r["tool"] == client and r["op"] == op and r["ok"]]
            rows.append({
                "op": op,
                "client": client,
                "count": count,
                "ok": len(mine),
                "n": len([r for r in runs if r["tool"] == client and r["op"] == op]),
                "cpu_us": stat([r["client"]["cpu_s"] / r["client"]["done"] * 1e6 for r in mine]),
                "rate": stat([r["client"]["done"] / r["client"]["wall_s"] for r in mine]),
                "process_cpu_s": stat([r.get("user", 0.0) + r.get("sys", 0.0) for r in mine]),
                "rss": stat([r.get("rss_kib", 0) / 1024 for r in mine]),
                "server_cpu_s": stat([r.get("server_cpu", 0.0) for r in mine]),
            })  # fmt: skip
    failed = [
        f"{r['tool']} {r['op']} run {r['run']}: {r.get('error') or 'wrong record count'}"
        for r in runs
        if not r["ok"]
    ]
    return {"record_size": RECORD_SIZE, "rows": rows, "failed": failed}


def render(data: Mapping[str, Any], results: Mapping[str, Any]) -> List[str]:
    lines = [
        "## 7. ReductStore: cassdk_like's blocking client vs reduct-py "
        f"(emulator, {data['record_size']} B records)",
        "",
        "| workload | client | median client CPU µs per record or call (min-max) | median records or calls/s "
        "(min-max) | process CPU s (with start-up) | peak RSS MiB | emulator CPU s | OK |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in data["rows"]:
        lines.append(
            f"| {row['op']} ({row['count']:,}) | {CLIENT_NAMES.get(row['client'], row['client'])} | "
            f"{span(row['cpu_us'], 1)} | {span(row['rate'])} | {fmt(med(row['process_cpu_s']), 2)} | "
            f"{fmt(med(row['rss']))} | {fmt(med(row['server_cpu_s']), 2)} | {row['ok']}/{row['n']} |"
        )
    lines += [
        "",
        "| workload | CPU per record, cassdk_like / reduct-py | throughput, cassdk_like / reduct-py |",
    ]
    lines.append("|---|---|---|")
    by = {(r["op"], r["client"]): r for r in data["rows"]}
    for op in WORKLOADS:
        mine, peer = by.get((op, "cassdk")), by.get((op, "reduct-py"))
        if mine and peer and mine["ok"] and peer["ok"]:
            lines.append(
                f"| {op} | {med(mine['cpu_us']) / med(peer['cpu_us']):.2f} | "
                f"{med(mine['rate']) / med(peer['rate']):.2f} |"
            )
    lines.append("")
    lines += [f"* failed: {line}" for line in data.get("failed", [])]
    if data.get("failed"):
        lines.append("")
    return lines
