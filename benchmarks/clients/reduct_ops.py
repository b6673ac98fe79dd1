"""Benchmark client: one ReductStore workload with cassdk_like's blocking client or with reduct-py.

Both clients get the same calls by the seed's names (``Client(url, api_token=...)``,
``create_bucket(..., exist_ok=True)``, ``Bucket.write``, ``Bucket.write_batch``, ``Bucket.query``,
``Client.info``); reduct-py runs them in one event loop inside ``async with Client(...)`` (its
pooled mode, the fair comparison).

Prints one JSON line: the client's CPU seconds (``time.process_time`` around the workload only,
so interpreter start and imports are left out), wall seconds, records (or calls) done, and the
bytes read back for ``query``.

Workloads (``--op``): ``single`` writes ``--count`` records of ``--size`` bytes one request each;
``batch`` writes them in batches of ``--batch-size`` records (80: a ReductStore server reads at
most RS_IO_BATCH_MAX_RECORDS = 85 record headers per request, so one batch of 10,000 is refused
with 431, by the emulator as by the server); ``query`` reads back every record of ``--entry``
(written by a ``batch`` run) through a query, body included; ``info`` calls ``info()``
``--count`` times.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from typing import Any, Dict, Optional

#: the first timestamp of every workload (µs); records are 1 µs apart
BASE_TS = 1_700_000_000_000_000


def _payload(size: int) -> bytes:
    return os.urandom(size)


def run_cassdk(args: argparse.Namespace) -> Dict[str, Any]:
    from cassdk_like.reduct import Batch, Client  # noqa: PLC0415

    data = _payload(args.size)
    done, read_bytes = 0, 0
    with Client(args.url, api_token=args.token or None) as client:
        bucket = client.create_bucket(args.bucket, exist_ok=True)
        cpu, wall = time.process_time(), time.perf_counter()
        if args.op == "single":
            for i in range(args.count):
                bucket.write(args.entry, data, timestamp=BASE_TS + i)
            done = args.count
        elif args.op == "batch":
            for first in range(0, args.count, args.batch_size):
                batch = Batch()
                for i in range(first, min(first + args.batch_size, args.count)):
                    batch.add(BASE_TS + i, data)
                errors = bucket.write_batch(args.entry, batch)
                if errors:
                    raise SystemExit(f"{len(errors)} records refused")
            done = args.count
        elif args.op == "query":
            for record in bucket.query(args.entry):
                read_bytes += len(record.read_all())
                done += 1
        else:
            for _ in range(args.count):
                client.info()
            done = args.count
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"done": done, "cpu_s": cpu, "wall_s": wall, "read_bytes": read_bytes}


async def _run_reduct_py(args: argparse.Namespace) -> Dict[str, Any]:
    from reduct import Batch, Client  # noqa: PLC0415

    data = _payload(args.size)
    done, read_bytes = 0, 0
    async with Client(args.url, api_token=args.token or None) as client:
        bucket = await client.create_bucket(args.bucket, exist_ok=True)
        cpu, wall = time.process_time(), time.perf_counter()
        if args.op == "single":
            for i in range(args.count):
                await bucket.write(args.entry, data, timestamp=BASE_TS + i)
            done = args.count
        elif args.op == "batch":
            for first in range(0, args.count, args.batch_size):
                batch = Batch()
                for i in range(first, min(first + args.batch_size, args.count)):
                    batch.add(BASE_TS + i, data)
                errors = await bucket.write_batch(args.entry, batch)
                if errors:
                    raise SystemExit(f"{len(errors)} records refused")
            done = args.count
        elif args.op == "query":
            async for record in bucket.query(args.entry):
                read_bytes += len(await record.read_all())
                done += 1
        else:
            for _ in range(args.count):
                await client.info()
            done = args.count
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"done": done, "cpu_s": cpu, "wall_s": wall, "read_bytes": read_bytes}


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--client", choices=("cassdk", "reduct-py"), required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", default="")
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--entry", required=True)
    parser.add_argument("--op", choices=("single", "batch", "query", "info"), required=True)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--batch-size", type=int, default=80)
    args = parser.parse_args(argv)
    result = run_cassdk(args) if args.client == "cassdk" else asyncio.run(_run_reduct_py(args))
    result.update(client=args.client, op=args.op, count=args.count, size=args.size)
    print(json.dumps(result))
    if result["done"] != args.count:
        print(f"did {result['done']} of {args.count}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
