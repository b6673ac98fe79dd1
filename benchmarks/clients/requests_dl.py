"""Benchmark peer: one streaming ``requests`` GET written with ``iter_content(1 MiB)``.

The requests peer of docs/benchmark-method.md §4.

Usage: requests_dl.py URL OUT. Prints one JSON line with the transfer-only seconds.
"""

from __future__ import annotations

import json
import sys
import time

import requests


def main() -> int:
    url, out = sys.argv[1], sys.argv[2]
    start = time.perf_counter()
    with requests.get(url, stream=True, timeout=(10, 120)) as r:
        r.raise_for_status()
        with open(out, "wb") as f:
            for chunk in r.iter_content(1024 * 1024):
                f.write(chunk)
    print(json.dumps({"transfer_s": time.perf_counter() - start}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
