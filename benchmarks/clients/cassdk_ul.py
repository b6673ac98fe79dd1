"""Benchmark client: upload one file to the bundled emulator with cassdk_like.

Prints one JSON line: transfer-only seconds (around the upload call), which API path ran, the
archive id and the part size.

``--api highlevel`` uses ``Vault.get_vault_by_name(...).upload_archive(path)`` (multipart above
100 MiB); ``--api engine`` initiates the multipart upload with ``CasAPI`` and drives
``cassdk_like.engine.upload_multipart`` over a small ``MultipartTarget`` adapter;
``--api auto`` (default) uses the high level when ``cassdk_like.vault.highlevel`` has ``Vault``.
TODO(bench): once Vault has landed everywhere, drop the engine fallback and keep only
``vault.upload_archive`` (it is already preferred by ``--api auto``).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
import time
from typing import Any, Dict, List, Optional

from cassdk_like.core.exceptions import CASServerError
from cassdk_like.core.integrity import MiB
from cassdk_like.engine import TransferConfig, upload_multipart
from cassdk_like.vault.highlevel import CasAPI
from cassdk_like.vault.highlevel.adapters import VAULT_PART_SIZER, UploadTarget
from cassdk_like.vault.lowlevel import CASClient


def _ensure_vault(api: CasAPI, vault: str) -> None:
    try:
        api.describe_vault(vault)
    except CASServerError:
        api.create_vault(vault)


def _upload_highlevel(api: CasAPI, vault_name: str, path: str, config: TransferConfig) -> Dict[str, Any]:
    from cassdk_like.vault.highlevel import Vault  # type: ignore[attr-defined]  # noqa: PLC0415

    vault = Vault.get_vault_by_name(api, vault_name)
    params = inspect.signature(vault.upload_archive).parameters
    start = time.perf_counter()
    if "config" in params:
        archive_id = vault.upload_archive(path, config=config)
    else:
        archive_id = vault.upload_archive(path)
    elapsed = time.perf_counter() - start
    return {
        "api": "highlevel: Vault.get_vault_by_name + vault.upload_archive",
        "archive_id": str(archive_id),
        "transfer_s": elapsed,
    }


def _upload_engine(api: CasAPI, vault_name: str, path: str, config: TransferConfig) -> Dict[str, Any]:
    size = os.path.getsize(path)
    part_size = VAULT_PART_SIZER.part_size(size, requested=config.part_size, minimum=config.min_part_size)
    start = time.perf_counter()
    response = api.initiate_multipart_upload(vault_name, part_size)
    upload_id = str(response[api.dialect.h("multipart-upload-id")])
    target = UploadTarget(api, vault_name, upload_id, part_size=part_size)
    result = upload_multipart(path, target, part_size=part_size, config=config)
    elapsed = time.perf_counter() - start
    return {
        "api": "engine: initiate_multipart_upload + upload_multipart (high-level Vault not available)",
        "archive_id": result.archive_id,
        "part_size": result.part_size,
        "parts": result.parts_uploaded,
        "transfer_s": elapsed,
    }


def _highlevel_available() -> bool:
    import cassdk_like.vault.highlevel as hl  # noqa: PLC0415

    return hasattr(hl, "Vault")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoint", required=True, help="e.g. http://127.0.0.1:18383")
    parser.add_argument("--appid", required=True)
    parser.add_argument("--secret-id", required=True)
    parser.add_argument("--secret-key", required=True)
    parser.add_argument("--vault", required=True)
    parser.add_argument("--file", required=True)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--part-mib", type=int, default=0, help="0: the engine's choice")
    parser.add_argument("--api", choices=("auto", "highlevel", "engine"), default="auto")
    parser.add_argument(
        "--buffer-parts", action="store_true", help="TransferConfig(buffer_parts=True): one read per part"
    )
    args = parser.parse_args(argv)

    kwargs: Dict[str, Any] = {"max_workers": args.workers}
    if args.buffer_parts:
        kwargs["buffer_parts"] = True
    if args.part_mib:
        kwargs["part_size"] = args.part_mib * MiB
    config = TransferConfig(**kwargs)
    client = CASClient(
        args.endpoint, args.appid, args.secret_id, args.secret_key, max_pool_size=args.workers + 2
    )
    api = CasAPI(client)
    try:
        _ensure_vault(api, args.vault)
        use_high = args.api == "highlevel" or (args.api == "auto" and _highlevel_available())
        if use_high:
            info = _upload_highlevel(api, args.vault, args.file, config)
        else:
            info = _upload_engine(api, args.vault, args.file, config)
    finally:
        client.close()
    size = os.path.getsize(args.file)
    chosen = VAULT_PART_SIZER.part_size(size, requested=config.part_size, minimum=config.min_part_size)
    info.setdefault("part_size", chosen)
    info["workers"] = args.workers
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
