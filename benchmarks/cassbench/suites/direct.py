"""DirectIO: cassdk_like's ``blocks`` and streamer beside cterasdk's, same file, same N, from nginx.

The file is published once (cached) as the portal lays it out: 4 MiB blocks, raw snappy, AES-256-CBC
under a per-file data key wrapped for the bench's secret (the v1 format cterasdk reads;
docs/directio-protocol.md), written with ``cassdk_like.core.blockfile`` into nginx's document root
with the metadata document beside them, so neither the emulator nor the portal's Python costs are
in the figures: nginx serves ``/directio/<id>`` and the blocks as static files. A second file of
``--direct-small`` MiB shows how each streamer's memory follows the file size. A v2 copy (our
authenticated format, AES-256-GCM; cterasdk cannot read it) shows what authentication costs.

Each tool is first run once with ``--verify`` (the SHA-256 of what it delivered must be the
source's), untimed; then ``--runs`` timed runs per condition.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Dict, List, Mapping, Tuple

from benchmarks.cassbench import harness
from benchmarks.cassbench.stats import GiB, MiB, fmt, med, span, stat
from benchmarks.cassbench.workspace import CLIENTS, PYTHON, WORK, Context, child_env, log

NAME = "direct"
NEEDS_NGINX = True
NEEDS_EMULATOR = False
BLOCK = 4 * MiB
ACCESS_KEY = "benchdirectaccesskey"
#: a fixed secret (32 bytes, base64) so the published files can be cached between invocations
SECRET = base64.b64encode(hashlib.sha256(b"cassdk_like direct benchmark").digest()).decode()
#: (client, op) pairs timed; v2 only for cassdk_like
TOOLS: Tuple[Tuple[str, str, str], ...] = (
    ("cassdk", "blocks", "v1"),
    ("cterasdk", "blocks", "v1"),
    ("cassdk", "streamer", "v1"),
    ("cterasdk", "streamer", "v1"),
    ("cassdk", "streamer", "v2"),
)
FILE_IDS = {("main", "v1"): 1001, ("main", "v2"): 1002, ("small", "v1"): 1003}
NAMES = {
    "cassdk": "**cassdk_like** `DirectIO` (threads)",
    "cterasdk": "cterasdk 2.20 `DirectIO` (asyncio)",
}


def _publish(source: Path, size: int, file_id: int, version: str, root: Path) -> None:
    """Blocks and metadata of ``source``'s first ``size`` bytes under ``root`` (skipped when cached)."""
    from cassdk_like.core.blockfile import BlockFormat, Codec, DataKey, FileFormat  # noqa: PLC0415

    folder = root / "dio" / str(file_id)
    meta_path = root / "directio" / str(file_id)
    stamp = f"{source.stat().st_size}:{source.stat().st_mtime_ns}:{size}:{BLOCK}:{version}"
    stamp_path = folder / ".stamp"
    if meta_path.exists() and stamp_path.exists() and stamp_path.read_text() == stamp:
        return
    log(f"publishing {size // MiB} MiB as DirectIO file {file_id} ({version}, {BLOCK // MiB} MiB blocks)")
    folder.mkdir(parents=True, exist_ok=True)
    meta_path.parent.mkdir(parents=True, exist_ok=True)
    key = DataKey.generate()
    block_format = BlockFormat.V1 if version == "v1" else BlockFormat.V2
    fmt_ = FileFormat.seal(key, SECRET, codec=Codec.SNAPPY_RAW, block_format=block_format)
    chunks: List[Dict[str, Any]] = []
    with open(source, "rb") as f:
        number = 0
        while f.tell() < size:
            plain = f.read(min(BLOCK, size - f.tell()))
            number += 1
            data = fmt_.encode_block(plain, codec=Codec.SNAPPY_RAW, key=key, file_id=file_id, number=number)
            (folder / str(number)).write_bytes(data)
            chunks.append({"url": f"@BASE@/dio/{file_id}/{number}", "len": len(plain)})
    document = {**fmt_.metadata_fields(), "chunks": chunks}
    meta_path.write_text(json.dumps(document))
    stamp_path.write_text(stamp)
    for path in [folder, meta_path.parent, *folder.iterdir(), meta_path]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)


def _point_at(root: Path, port: int) -> None:
    """The block URLs in every metadata document name this nginx port."""
    for meta in (root / "directio").iterdir():
        if meta.suffix:  # the templates themselves (kept with the @BASE@ placeholder)
            continue
        text = meta.read_text()
        base = f"http://127.0.0.1:{port}"
        if "@BASE@" in text:
            meta.with_suffix(".template").write_text(text)
        template = meta.with_suffix(".template")
        if template.exists():
            meta.write_text(template.read_text().replace("@BASE@", base))
            os.chmod(meta, 0o644)
        urls = [chunk["url"] for chunk in json.loads(meta.read_text())["chunks"]]
        if not all(url.startswith(base + "/") for url in urls):  # a figure of the wrong server otherwise
            raise RuntimeError(f"{meta}: block URLs do not all name {base}")


def _command(client: str, op: str, file_id: int, port: int, workers: int, verify: bool) -> List[str]:
    cmd = [
        PYTHON, str(CLIENTS / "direct_ops.py"), "--client", client, "--op", op,
        "--url", f"http://127.0.0.1:{port}", "--file-id", str(file_id), "--access-key", ACCESS_KEY,
        "--workers", str(workers),
    ]  # fmt: skip
    return [*cmd, "--verify"] if verify else cmd


def _env() -> Dict[str, str]:
    """The child's environment, with the secret (kept off the command line the run log records)."""
    return {**child_env(), "CTERA_SECRET_ACCESS_KEY": SECRET}


def _sha256_prefix(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        left = size
        while left:
            chunk = f.read(min(left, 8 * MiB))
            digest.update(chunk)
            left -= len(chunk)
    return digest.hexdigest()


def run(ctx: Context) -> Dict[str, Any]:
    args = ctx.args
    root = WORK / "www"
    main = ctx.main
    small = min(args.direct_small * MiB, main["size"])
    sizes = {"main": main["size"], "small": small}
    for (which, version), file_id in FILE_IDS.items():
        _publish(Path(main["path"]), sizes[which], file_id, version, root)
    expected = {"main": main["sha256"], "small": _sha256_prefix(Path(main["path"]), small)}
    runs: List[Dict[str, Any]] = []
    conditions = [c for c in ("uncapped", "capped") if c in args.direct_conditions]
    workers = args.workers
    log(f"== DirectIO: cassdk_like vs cterasdk, {workers} workers, {args.runs} runs, {', '.join(conditions)}")
    for condition in conditions:
        port = args.ports[condition]
        _point_at(root, port)
        jobs = [(c, op, v, "main") for c, op, v in TOOLS] + [
            ("cassdk", "streamer", "v1", "small"), ("cterasdk", "streamer", "v1", "small"),
        ]  # fmt: skip
        for client, op, version, which in jobs:
            file_id = FILE_IDS[(which, version)]
            check = harness.timed_run(
                _command(client, op, file_id, port, workers, True), work=WORK, log=WORK / "logs" / "runs.log",
                server_pids=ctx.nginx_pids, timeout=900, env=_env(),
            )  # fmt: skip
            verified = check["rc"] == 0 and check["client"].get("sha256") == expected[which]
            state = "ok" if verified else "FAILED"
            log(f"direct {condition} {client} {op} {version} {which}: verify {state}")
            for number in range(1, args.runs + 1):
                result = harness.timed_run(
                    _command(client, op, file_id, port, workers, False), work=WORK,
                    log=WORK / "logs" / "runs.log", server_pids=ctx.nginx_pids, timeout=900, env=_env(),
                )  # fmt: skip
                out = result["client"]
                ok = verified and result["rc"] == 0 and out.get("bytes") == sizes[which]
                runs.append({
                    **result, "tool": client, "op": op, "version": version, "file": which,
                    "condition": condition, "run": number, "ok": ok, "size": sizes[which],
                })  # fmt: skip
                mbps = sizes[which] / out["wall_s"] / 1e6 if out.get("wall_s") else float("nan")
                log(
                    f"direct {condition} {client:8s} {op:8s} {version} {which:5s} run {number}: "
                    f"{mbps:7.0f} MB/s  rss {result.get('rss_kib', 0) / 1024:6.0f} MiB  "
                    f"{'ok' if ok else 'FAILED: ' + str(result.get('error'))}"
                )
    return summarize(runs, sizes, workers)


def summarize(runs: List[Dict[str, Any]], sizes: Mapping[str, int], workers: int) -> Dict[str, Any]:
    rows = []
    keys = sorted({(r["condition"], r["file"], r["op"], r["version"], r["tool"]) for r in runs})
    for condition, which, op, version, tool in keys:
        wanted = (condition, which, op, version, tool)
        mine = [r for r in runs if (r["condition"], r["file"], r["op"], r["version"], r["tool"]) == wanted]
        good = [r for r in mine if r["ok"]]
        rows.append({
            "condition": condition, "file": which, "op": op, "version": version, "tool": tool,
            "size": sizes[which], "ok": len(good), "n": len(mine),
            "mbps": stat([r["size"] / r["client"]["wall_s"] / 1e6 for r in good]),
            "cpu_per_gib": stat([r["client"]["cpu_s"] / (r["size"] / GiB) for r in good]),
            "rss": stat([r.get("rss_kib", 0) / 1024 for r in good]),
        })  # fmt: skip
    failed = [
        f"{r['condition']} {r['tool']} {r['op']} {r['version']} {r['file']} run {r['run']}: "
        f"{r.get('error') or 'wrong bytes or size'}"
        for r in runs
        if not r["ok"]
    ]
    return {
        "block_mib": BLOCK // MiB, "workers": workers, "sizes": dict(sizes), "rows": rows, "failed": failed,
    }  # fmt: skip


def render(data: Mapping[str, Any], results: Mapping[str, Any]) -> List[str]:
    sizes = data["sizes"]
    lines = [
        f"## 9. DirectIO: cassdk_like vs cterasdk ({sizes['main'] // MiB} MiB file in "
        f"{data['block_mib']} MiB encrypted snappy blocks, nginx, {data['workers']} workers)",
        "",
        "| condition | file | call | format | client | median MB/s (min-max) | client CPU s/GiB "
        "| peak RSS MiB | OK |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in data["rows"]:
        lines.append(
            f"| {row['condition']} | {row['size'] // MiB} MiB | {row['op']} | {row['version']} | "
            f"{NAMES.get(row['tool'], row['tool'])} | {span(row['mbps'])} | "
            f"{fmt(med(row['cpu_per_gib']), 2)} | "
            f"{span(row['rss'])} | {row['ok']}/{row['n']} |"
        )
    lines += [
        "",
        "| condition | file | call | throughput cassdk_like / cterasdk "
        "| CPU per GiB cassdk_like / cterasdk |",
    ]
    lines.append("|---|---|---|---|---|")
    by = {(r["condition"], r["file"], r["op"], r["version"], r["tool"]): r for r in data["rows"]}
    for (condition, which, op, version, tool), mine in by.items():
        peer = by.get((condition, which, op, version, "cterasdk"))
        if tool != "cassdk" or peer is None or not (mine["ok"] and peer["ok"]):
            continue
        lines.append(
            f"| {condition} | {mine['size'] // MiB} MiB | {op} | "
            f"{med(mine['mbps']) / med(peer['mbps']):.2f} | "
            f"{med(mine['cpu_per_gib']) / med(peer['cpu_per_gib']):.2f} |"
        )
    window_bound = 64 + data["workers"] * data["block_mib"]
    lines += [
        "",
        f"Streamer memory bound (issue 13): 64 MiB + window x block = 64 + {data['workers']} x "
        f"{data['block_mib']} = {window_bound} MiB, whatever the file size.",
        "",
    ]
    lines += [f"* failed: {line}" for line in data.get("failed", [])]
    if data.get("failed"):
        lines.append("")
    return lines
