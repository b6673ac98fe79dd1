"""Benchmark 10: one object downloaded through a read PAR beside the same bucket's ``download_file``.

The main file (1 GiB; quick 256 MiB; or ``--size``) is put once into a bucket of the emulator's
S3 service; a read PAR for it is made in process (sealed to a recipient key made for the run) and
saved with the key under ``_work/par``. Then, on that emulator, with the same N workers:

* ``bucket``: ``Bucket.download_file`` (``benchmarks/clients/bucket_ops.py --op download``);
* ``par``: ``ObjectReader(par, key).get_object_as_file`` (``benchmarks/clients/par_ops.py``),
  parallel ranged GETs on the PAR's one presigned URL.

Both verify the SHA-256 stored with the object and fsync before the rename. Runs alternate, the
order flipped every run (bucket, par; par, bucket; ...), medians of ``--runs`` each, page state
``--par-state``. The figure the issue sets: PAR throughput / bucket throughput >= 0.95.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Mapping, Tuple

from benchmarks.cassbench.servers import emulator
from benchmarks.cassbench.stats import failures, med, raw_rates, summarize
from benchmarks.cassbench.suites import bucket as bucket_suite
from benchmarks.cassbench.workspace import (
    CLIENTS,
    PYTHON,
    WORK,
    Context,
    clean_outputs,
    key_for,
    log,
    size_text,
)

NAME = "par"
NEEDS_NGINX = False
NEEDS_EMULATOR = False
TOOLS = ("bucket", "par")
#: the ratio the issue asks of the PAR download (median MB/s over the bucket download's)
TARGET = 0.95
#: lifetime of the run's PAR: longer than any run of the suite
PAR_SECONDS = 12 * 3600
PAR_DIR = WORK / "par"
NAMES = {
    "bucket": "**cassdk_like** `Bucket.download_file`",
    "par": "**cassdk_like** `ObjectReader(par).get_object_as_file` (read PAR)",
}


def make_par(bucket: Any, key: str) -> Tuple[Path, Path]:
    """A read PAR for ``key`` sealed to a fresh recipient key: (the PAR file, the private key PEM)."""
    from cassdk_like.par import PARKeyPair  # noqa: PLC0415

    pair = PARKeyPair.generate()
    par = bucket.create_par(key, readable=True, duration=PAR_SECONDS, encrypt_key=pair.public_pem())
    PAR_DIR.mkdir(parents=True, exist_ok=True)
    par_file, key_file = PAR_DIR / "read.par", PAR_DIR / "recipient.key"
    par_file.write_text(par.to_json(), encoding="utf-8")
    key_file.touch(mode=0o600)
    key_file.write_bytes(pair.private_pem())
    return par_file, key_file


def command(tool: str, endpoint: str, workers: int, key: str, par_file: Path, key_file: Path) -> List[str]:
    """One client run writing the object to the bucket suite's output path."""
    if tool == "bucket":
        return bucket_suite.command(
            "cassdk", "download", endpoint, workers, key=key, file=str(bucket_suite.OUT)
        )
    return [
        PYTHON, str(CLIENTS / "par_ops.py"), "--par", str(par_file), "--private-key", str(key_file),
        "--file", str(bucket_suite.OUT), "--workers", str(workers),
    ]  # fmt: skip


def order(number: int) -> Tuple[str, ...]:
    """The tools of run ``number`` (1-based): the order flips every run, so neither always goes first."""
    return TOOLS if number % 2 else tuple(reversed(TOOLS))


def run(ctx: Context) -> Dict[str, Any]:
    args, src = ctx.args, ctx.main
    key = f"par/{key_for(args.main_label)}"
    endpoint = f"http://127.0.0.1:{args.s3_port}"
    log(
        f"== benchmark 10: download through a read PAR vs Bucket.download_file, {args.runs} runs "
        f"(alternating), {args.workers} workers, {args.par_state}"
    )
    with emulator(args) as emu, bucket_suite.admin_bucket(endpoint) as bucket:
        from cassdk_like.engine import TransferConfig  # noqa: PLC0415

        log(f"seeding {key} ({src['size']} bytes) into the emulator's S3 bucket")
        bucket.upload_file(src["path"], key, config=TransferConfig(max_workers=4))
        par_file, key_file = make_par(bucket, key)
        log("par warm-up: one unmeasured download per client (bytecode cache)")
        for tool in TOOLS:
            clean_outputs()
            cmd = command(tool, endpoint, args.workers, key, par_file, key_file)
            subprocess.run(
                cmd, env=bucket_suite.client_env(tool), capture_output=True, timeout=900, check=False
            )
        for number in range(1, args.runs + 1):
            for tool in order(number):
                meta = {
                    "direction": "download", "server": "emulator", "state": args.par_state,
                    "label": args.main_label, "bytes": src["size"], "run": number, "conns": args.workers,
                }  # fmt: skip
                bucket_suite.measured_run(
                    ctx, cmd=command(tool, endpoint, args.workers, key, par_file, key_file), tool=tool,
                    server_pids=[emu.pid], timeout=120 + src["size"] / 5e6,
                    check=bucket_suite.check_download(src), meta=meta, suite=NAME,
                )  # fmt: skip
        bucket.delete_object(key)
    for path in (par_file, key_file):
        os.unlink(path)
    return summarize_runs(ctx)


def summarize_runs(ctx: Context) -> Dict[str, Any]:
    args = ctx.args
    rows = []
    for tool in TOOLS:
        mine = ctx.rec.select(suite=NAME, tool=tool)
        if mine:
            rows.append({"tool": tool, "name": NAMES[tool], "conns": args.workers, **summarize(mine)})
    runs = ctx.rec.select(suite=NAME)
    return {
        "size_text": size_text(args.main_label, args.quick),
        "workers": args.workers,
        "state": args.par_state,
        "rows": rows,
        "target": TARGET,
        "raw": raw_rates(runs),
        "failed": failures(runs),
    }


def ratio(data: Mapping[str, Any], key: str = "mbps") -> float:
    """Median PAR figure over the median bucket figure (NaN when either is missing)."""
    by = {row["tool"]: row for row in data.get("rows", [])}
    if "par" not in by or "bucket" not in by:
        return float("nan")
    mine, base = med(by["par"].get(key)), med(by["bucket"].get(key))
    return mine / base if base == base and base else float("nan")


def render(data: Mapping[str, Any], results: Mapping[str, Any]) -> List[str]:
    lines = [
        f"## 10. Download {data['size_text']} through a read PAR vs the bucket's `download_file`",
        "",
        f"The same object of the emulator's S3 service (separate process), {data['workers']} workers for "
        f"both, {data['state']} page state, runs alternating with the order flipped every run; each client "
        "is its own process (`benchmarks/clients/par_ops.py`, `bucket_ops.py`). Both verify the object's "
        "stored SHA-256 and fsync before the rename; the PAR's ranged GETs all use its one presigned URL.",
        "",
        *bucket_suite.transfer_rows(data["rows"]),
    ]
    speed, transfer = ratio(data), ratio(data, "xfer")
    target = data.get("target", TARGET)
    if speed == speed:
        verdict = "met" if speed >= target else f"**missed** ({speed:.2f}x)"
        also = f"; transfer-only {transfer:.2f}" if transfer == transfer else ""
        lines += [
            f"PAR / bucket download, median MB/s: **{speed:.2f}**{also} (target ≥ {target:.2f}: {verdict}).",
            "",
        ]
    return lines
