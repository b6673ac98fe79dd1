"""Benchmark client: download one CAS job output with cassdk_like (the job served by nginx).

Prints one JSON line: transfer-only seconds (around the download call), which API path ran, the
whole-output verification result, and the time spent in the final fsync (peers never fsync).

``--api highlevel`` uses ``Vault.get_vault_by_name`` / ``vault.get_job`` / ``job.download_to_file``;
``--api engine`` drives ``cassdk_like.engine.download_to_path`` over a small ``DownloadSource``
adapter on ``CasAPI.get_job_output`` (the same signed requests, the same engine);
``--api auto`` (default) uses the high level when ``cassdk_like.vault.highlevel`` has ``Vault`` and ``Job``.
TODO(bench): once Vault/Job have landed everywhere, drop the engine fallback and keep only
``job.download_to_file`` (it is already preferred by ``--api auto``).
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import time
from typing import Any, Dict, Optional

import sync_timer
from config_opts import parse_opts

from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.integrity import MiB
from cassdk_like.engine import TransferConfig, download_to_path
from cassdk_like.vault.highlevel import CasAPI
from cassdk_like.vault.lowlevel import CASClient


class JobOutputSource:
    """``DownloadSource`` over ``CasAPI.get_job_output`` (stand-in for the high level's adapter)."""

    def __init__(self, api: CasAPI, vault: str, job_id: str, describe: Dict[str, Any]) -> None:
        self._api = api
        self._vault = vault
        self._job_id = job_id
        self.size = int(describe["ArchiveSizeInBytes"])
        self.expected_tree_hash: Optional[str] = describe.get("SHA256TreeHash")
        self.identity = f"{vault}/{job_id}/{describe.get('RetrievalByteRange')}/{self.expected_tree_hash}"
        self.tree_hash_header = api.dialect.h("sha256-tree-hash")

    def open_range(self, byte_range: ByteRange) -> Any:
        return self._api.get_job_output(self._vault, self._job_id, byte_range, stream=True).reader


def _download_highlevel(
    api: CasAPI, vault_name: str, job_id: str, out: str, config: TransferConfig
) -> Dict[str, Any]:
    from cassdk_like.vault.highlevel import Job, Vault  # type: ignore[attr-defined]  # noqa: PLC0415

    vault = Vault.get_vault_by_name(api, vault_name)
    job = (
        vault.get_job(job_id)
        if hasattr(vault, "get_job")
        else Job(vault, api.describe_job(vault_name, job_id))
    )
    params = inspect.signature(job.download_to_file).parameters
    start = time.perf_counter()
    result = job.download_to_file(out, config=config) if "config" in params else job.download_to_file(out)
    elapsed = time.perf_counter() - start
    info: Dict[str, Any] = {
        "api": "highlevel: Vault.get_vault_by_name + vault.get_job + job.download_to_file"
    }
    for name in ("verified", "requests", "pieces_fetched", "tree_hash"):
        if hasattr(result, name):
            info[name] = getattr(result, name)
    info["transfer_s"] = elapsed
    return info


def _download_engine(
    api: CasAPI, vault_name: str, job_id: str, out: str, config: TransferConfig
) -> Dict[str, Any]:
    describe = dict(api.describe_job(vault_name, job_id))
    source = JobOutputSource(api, vault_name, job_id, describe)
    start = time.perf_counter()
    result = download_to_path(source, out, config=config)
    elapsed = time.perf_counter() - start
    return {
        "api": "engine: download_to_path over CasAPI.get_job_output (high-level Job not available)",
        "verified": result.verified,
        "requests": result.requests,
        "pieces_fetched": result.pieces_fetched,
        "tree_hash": result.tree_hash,
        "transfer_s": elapsed,
    }


def _highlevel_available() -> bool:
    import cassdk_like.vault.highlevel as hl  # noqa: PLC0415

    return hasattr(hl, "Vault") and hasattr(hl, "Job")


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoint", required=True, help="e.g. http://127.0.0.1:18080")
    parser.add_argument("--appid", required=True)
    parser.add_argument("--vault", required=True)
    parser.add_argument("--job", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--piece-mib", type=int, default=0, help="0: the engine's default")
    parser.add_argument("--max-request-mib", type=int, default=0, help="0: the engine's default")
    parser.add_argument("--request-seconds", type=float, default=0.0, help="0: the engine's default")
    parser.add_argument("--io-chunk-kib", type=int, default=0, help="0: the engine's default")
    parser.add_argument(
        "--opt", default="", help="more TransferConfig fields, e.g. write_chunk_size=65536,journal_interval=1"
    )
    parser.add_argument("--api", choices=("auto", "highlevel", "engine"), default="auto")
    args = parser.parse_args(argv)

    sync_timer.install()
    kwargs: Dict[str, Any] = {"max_workers": args.workers}
    if args.piece_mib:
        kwargs["piece_size"] = args.piece_mib * MiB
    if args.max_request_mib:
        kwargs["max_request_size"] = args.max_request_mib * MiB
    if args.request_seconds:
        kwargs["request_seconds"] = args.request_seconds
    if args.io_chunk_kib:
        kwargs["io_chunk_size"] = args.io_chunk_kib * 1024
    kwargs.update(parse_opts(args.opt))
    config = TransferConfig(**kwargs)
    client = CASClient(
        args.endpoint, args.appid, "AKIDbenchmark", "benchmark-secret", max_pool_size=args.workers + 2
    )
    api = CasAPI(client)
    use_high = args.api == "highlevel" or (args.api == "auto" and _highlevel_available())
    try:
        if use_high:
            info = _download_highlevel(api, args.vault, args.job, args.out, config)
        else:
            info = _download_engine(api, args.vault, args.job, args.out, config)
    finally:
        client.close()
    info.update(sync_timer.figures())
    info.update(
        workers=args.workers,
        piece_mib=config.piece_size // MiB,
        max_request_mib=getattr(config, "max_request_size", config.piece_size) // MiB,
        request_seconds=getattr(config, "request_seconds", None),
        io_chunk=config.io_chunk_size,
        write_chunk=getattr(config, "write_chunk_size", None),
        opt=args.opt,
    )
    print(json.dumps(info))
    if info.get("verified") is False:
        print("whole-output tree hash was not verified", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
