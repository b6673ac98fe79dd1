"""Upload client CPU: boto3's Glacier multipart upload beside cassdk_like's, same file and settings.

Both upload the main file to a fresh emulator process with the same part size and workers:
cassdk_like over the CAS dialect, boto3 over the emulator's glacier dialect (SigV4, us-east-1,
account ``-``), where botocore hashes every part twice as well (payload SHA-256 and tree hash).
Client CPU per GiB is user+sys of the client process (time -v, and the reaped child's getrusage).
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping

from benchmarks.cassbench.runs import upload_command, upload_run
from benchmarks.cassbench.stats import (
    MiB,
    bold_span,
    cpu_cell,
    failures,
    fmt,
    med,
    ok_cell,
    raw_rates,
    span,
    summarize,
)
from benchmarks.cassbench.workspace import (
    CLIENTS,
    EMU_SECRET_ID,
    EMU_SECRET_KEY,
    PYTHON,
    VAULT,
    Context,
    log,
    size_text,
)

NAME = "glacier"
NEEDS_NGINX = False
NEEDS_EMULATOR = True
DEFAULT_PART_MIB = 16
CLIENT_NAMES = {
    "cassdk": "**cassdk_like** (CAS dialect, `upload_archive`)",
    "cassdk-buffered": "**cassdk_like** `buffer_parts=True` (one read per part)",
    "boto3-glacier": "boto3 glacier `upload_multipart_part` (glacier dialect)",
}


def boto3_command(ctx: Context, part_mib: int) -> List[str]:
    args = ctx.args
    return [
        PYTHON, str(CLIENTS / "boto3_glacier_ul.py"), "--endpoint", f"http://127.0.0.1:{args.emu_port}",
        "--secret-id", EMU_SECRET_ID, "--secret-key", EMU_SECRET_KEY, "--vault", VAULT,
        "--file", str(ctx.main["path"]), "--part-mib", str(part_mib), "--workers", str(args.workers),
    ]  # fmt: skip


def run(ctx: Context) -> Dict[str, Any]:
    args = ctx.args
    part = args.glacier_part_mib or DEFAULT_PART_MIB
    log(f"== upload client CPU: cassdk_like vs boto3 glacier, {part} MiB parts, {args.ul_runs} runs, warm")
    for number in range(1, args.ul_runs + 1):
        upload_run(ctx, suite=NAME, state="warm", label=args.main_label, run=number, part_mib=part)
        buffered = [*upload_command(args, ctx.main["path"], part), "--buffer-parts"]
        upload_run(
            ctx, suite=NAME, state="warm", label=args.main_label, run=number, tool="cassdk-buffered",
            cmd=buffered,
        )  # fmt: skip
        upload_run(
            ctx, suite=NAME, state="warm", label=args.main_label, run=number, tool="boto3-glacier",
            cmd=boto3_command(ctx, part),
        )  # fmt: skip
    rows = []
    for tool in CLIENT_NAMES:
        runs = ctx.rec.select(suite=NAME, tool=tool)
        reported = next((r["client"].get("part_size") for r in runs if r["client"].get("part_size")), 0)
        errors = sorted({str(r.get("error")) for r in runs if not r.get("ok")})
        rows.append(
            {"tool": tool, "part_mib": (reported or 0) // MiB or part, "errors": errors, **summarize(runs)}
        )
    runs = ctx.rec.select(suite=NAME)
    return {
        "size_text": size_text(args.main_label, args.quick),
        "workers": args.workers,
        "rows": rows,
        "raw": raw_rates(runs),
        "failed": failures(runs),
    }


def render(data: Mapping[str, Any], results: Mapping[str, Any]) -> List[str]:
    lines = [
        f"## 6. Upload client CPU: cassdk_like vs boto3 Glacier multipart ({data['size_text']} to the "
        f"emulator, {data['workers']} workers, warm)",
        "",
        "| client | part size | client CPU s/GiB user+sys (user/sys) | getrusage CPU s/GiB | median MB/s "
        "(min-max) | median wall s | transfer-only MB/s | peak RSS MiB | emulator CPU s/GiB | OK |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    by_tool = {row["tool"]: row for row in data["rows"]}
    for row in data["rows"]:
        lines.append(
            f"| {CLIENT_NAMES.get(row['tool'], row['tool'])} | {row['part_mib']} MiB | {cpu_cell(row)} | "
            f"{fmt(med(row.get('ru_cpu')), 2)} | {bold_span(row.get('mbps'))} | {span(row.get('wall'), 2)} | "
            f"{fmt(med(row.get('xfer')))} | {fmt(med(row.get('rss')))} | "
            f"{fmt(med(row.get('server_gib')), 2)} | {ok_cell(row)} |"
        )
    lines += [
        "",
        "Wall time and CPU include interpreter start and imports (boto3's are the larger); "
        "*transfer-only* times only the upload calls.",
        "",
    ]
    peer = by_tool.get("boto3-glacier", {})
    for tool, who in (("cassdk", "cassdk_like"), ("cassdk-buffered", "cassdk_like with buffer_parts")):
        mine = by_tool.get(tool, {})
        if mine.get("cpu") and peer.get("cpu"):
            lines += [
                f"{who} / boto3: client CPU "
                f"{med(mine['cpu']) / med(peer['cpu']):.2f}, "
                f"speed {med(mine['mbps']) / med(peer['mbps']):.2f}, "
                f"peak RSS {med(mine['rss']) / med(peer['rss']):.2f}.",
                "",
            ]
    for row in data["rows"]:
        for error in row.get("errors", []):
            lines.append(f"* {CLIENT_NAMES.get(row['tool'], row['tool'])} failed: {error}")
    if any(row.get("errors") for row in data["rows"]):
        lines.append("")
    return lines
