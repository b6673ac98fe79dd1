"""Benchmark client: read one DirectIO file with cassdk_like's blocking client or with cterasdk.

Both clients get the seed's calls: ``DirectIO(baseurl, access_key_id, secret_access_key)``, then
``blocks(file_id, max_workers=N)`` (every block, decoded, in memory: the seed's contract) or the
streamer over the whole file (in-order chunks, consumed and dropped). cterasdk runs its calls in one
event loop (``asyncio.run``), as its documentation shows.

Prints one JSON line: client CPU seconds (``time.process_time`` around the workload only, so the
interpreter start and imports are left out), wall seconds, bytes delivered, and, with ``--verify``,
the SHA-256 of the delivered bytes in order (hashing is then inside the timed region: verification
runs are not timed runs).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import sys
import time
from typing import Any, Dict, Optional

#: where the secret access key comes from (the command line is written to the run log)
SECRET_ENV = "CTERA_SECRET_ACCESS_KEY"


class _Sink:
    """Counts (and with ``verify`` hashes) what a client delivers, in order."""

    def __init__(self, verify: bool) -> None:
        self.size = 0
        self._hash: Optional[Any] = hashlib.sha256() if verify else None

    def take(self, data: Any) -> None:
        self.size += len(data)
        if self._hash is not None:
            self._hash.update(data)

    def digest(self) -> Optional[str]:
        return self._hash.hexdigest() if self._hash is not None else None


def run_cassdk(args: argparse.Namespace) -> Dict[str, Any]:
    from cassdk_like.direct import DirectIO  # noqa: PLC0415

    sink = _Sink(args.verify)
    with DirectIO(args.url, args.access_key, args.secret) as dio:
        cpu, wall = time.process_time(), time.perf_counter()
        if args.op == "blocks":
            for block in dio.blocks(args.file_id, max_workers=args.workers):
                sink.take(block.data)
        else:
            with dio.streamer(args.file_id, window=args.workers) as stream:
                for chunk in stream:
                    sink.take(chunk)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"cpu_s": cpu, "wall_s": wall, "bytes": sink.size, "sha256": sink.digest()}


async def _run_cterasdk(args: argparse.Namespace) -> Dict[str, Any]:
    import cterasdk  # noqa: PLC0415
    from cterasdk.direct.client import DirectIO  # noqa: PLC0415

    cterasdk.settings.io.direct.api.settings.connector.ssl = False
    cterasdk.settings.io.direct.storage.settings.connector.ssl = False
    sink = _Sink(args.verify)
    dio = DirectIO(args.url, args.access_key, args.secret)
    try:
        cpu, wall = time.process_time(), time.perf_counter()
        if args.op == "blocks":
            tasks = await dio.blocks(args.file_id, max_workers=args.workers)  # one task per block
            for block in await asyncio.gather(*tasks):
                sink.take(block.data)
        else:
            streamer = await dio.streamer(args.file_id, max_workers=args.workers)
            async for fragment in streamer.start():
                sink.take(fragment.data)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        await dio.close()
    return {"cpu_s": cpu, "wall_s": wall, "bytes": sink.size, "sha256": sink.digest()}


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--client", choices=("cassdk", "cterasdk"), required=True)
    p.add_argument("--op", choices=("blocks", "streamer"), required=True)
    p.add_argument("--url", required=True, help="the portal's base URL (GET {url}/directio/{id})")
    p.add_argument("--file-id", type=int, required=True)
    p.add_argument("--access-key", required=True)
    p.add_argument("--workers", type=int, default=8, help="concurrent block downloads (streamer: its window)")
    p.add_argument("--verify", action="store_true", help="hash what was delivered (not for timed runs)")
    args = p.parse_args(argv)
    args.secret = os.environ.get(SECRET_ENV, "")
    if not args.secret:
        p.error(f"set {SECRET_ENV} to the secret access key (never passed on the command line: it is logged)")
    out = run_cassdk(args) if args.client == "cassdk" else asyncio.run(_run_cterasdk(args))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
