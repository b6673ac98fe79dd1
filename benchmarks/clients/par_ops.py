"""Benchmark client: download one object through a read PAR with cassdk_like's ``ObjectReader``.

The PAR is a file (``PAR.to_json()``) sealed to the X25519 key whose private PEM is
``--private-key``, as a recipient holds them; ``ObjectReader(par, key,
config=TransferConfig(max_workers=N)).get_object_as_file(--file)`` downloads it with parallel ranged
GETs on the one presigned URL, verified against the object's stored SHA-256. The same work and
output as ``bucket_ops.py --client cassdk --op download``, which suite par runs beside it.

Prints one JSON line: the transfer-only seconds and the CPU seconds of the workload
(``time.process_time``; reading the PAR and the key, interpreter start and imports left out), what
the download reports, and the bytes.
Usage: par_ops.py --par FILE --private-key FILE --file OUT [--workers N] [--connect-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

MiB = 1024 * 1024


def run_cassdk(args: argparse.Namespace) -> Dict[str, Any]:
    import sync_timer  # noqa: PLC0415

    from cassdk_like.engine import TransferConfig  # noqa: PLC0415
    from cassdk_like.par import PAR, ObjectReader, PARKeyPair  # noqa: PLC0415

    sync_timer.install()
    par = PAR.from_data(Path(args.par).read_text(encoding="utf-8"))
    key = PARKeyPair.from_pem(Path(args.private_key).read_bytes())
    config = TransferConfig(max_workers=args.workers)
    reader = ObjectReader(par, key, connect_url=args.connect_url or None, config=config)
    start, cpu = time.perf_counter(), time.process_time()
    result = reader.get_object_as_file(args.file)
    out: Dict[str, Any] = {
        "transfer_s": time.perf_counter() - start,
        "cpu_s": time.process_time() - cpu,
        "verified": bool(result.verified),
        "integrity": str(result.integrity),
        "requests": result.requests,
        "pieces": result.pieces_fetched,
        "piece_mib": config.piece_size_for(result.size) // MiB,
    }
    return {**out, **sync_timer.figures(), "done": 1, "bytes": os.path.getsize(args.file)}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--par", required=True, help="the PAR file (its JSON)")
    parser.add_argument("--private-key", required=True, help="the recipient's private key PEM (unencrypted)")
    parser.add_argument("--file", required=True, help="where the object goes")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--connect-url", default="", help="send the requests here, keeping the URL's Host")
    args = parser.parse_args(argv)
    result = run_cassdk(args)
    result.update(client="cassdk", op="par-download", workers=args.workers)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
