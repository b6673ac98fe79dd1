"""Benchmark 3: tree hash (1 and 2 threads) vs plain hashlib.sha256 on an in-memory buffer.

The buffer is read from a file (the random source) into memory once; every test then hashes the
same bytes. Tests run round-robin, ``--runs`` times each. Prints one JSON object: for each test the
per-run wall seconds and process CPU seconds (all threads), plus the digests for a sanity check.
Usage: hashbench.py FILE [--runs 5]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Tuple

from cassdk_like.core.integrity import MiB, TreeHasher, combine_tree_hashes, hash_bytes, tree_hash


def sha256_1t(view: memoryview) -> str:
    """hashlib.sha256, one thread, 1 MiB update() calls (the anchor's single-thread figure)."""
    h = hashlib.sha256()
    for off in range(0, len(view), MiB):
        h.update(view[off : off + MiB])
    return h.hexdigest()


def sha256_2t_halves(view: memoryview) -> str:
    """Two threads, each hashing a different half: the 2-core ceiling for hashing every byte once."""
    half = len(view) // 2 // MiB * MiB
    out: List[str] = ["", ""]

    def work(i: int, part: memoryview) -> None:
        out[i] = sha256_1t(part)

    threads = [
        threading.Thread(target=work, args=(0, view[:half])),
        threading.Thread(target=work, args=(1, view[half:])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out[0][:16] + out[1][:16]


def tree_1t(view: memoryview) -> str:
    return tree_hash(view)


def _leaf_digests(view: memoryview, first: int, last: int) -> List[bytes]:
    return [hashlib.sha256(view[i * MiB : (i + 1) * MiB]).digest() for i in range(first, last)]


def tree_2t(view: memoryview) -> str:
    """Leaves hashed on two threads, one contiguous run each (hashlib drops the GIL on 1 MiB updates)."""
    leaves = -(-len(view) // MiB)
    if leaves < 2:
        return tree_hash(view)
    half = leaves // 2
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [pool.submit(_leaf_digests, view, 0, half), pool.submit(_leaf_digests, view, half, leaves)]
        digests = [leaf for run in runs for leaf in run.result()]
    return combine_tree_hashes(digests)


def treehasher_256k(view: memoryview) -> str:
    """TreeHasher fed 256 KiB chunks: what a download worker does per piece (io_chunk_size)."""
    h = TreeHasher()
    step = 256 * 1024
    for off in range(0, len(view), step):
        h.update(view[off : off + step])
    return h.hexdigest()


def upload_parts_16m(view: memoryview) -> str:
    """hash_bytes (linear SHA-256 + tree hash) per 16 MiB part, one thread: the upload's hashing."""
    hashes = [hash_bytes(view[off : off + 16 * MiB]).tree_hash for off in range(0, len(view), 16 * MiB)]
    return hashlib.sha256("".join(hashes).encode()).hexdigest()


def machine_user_seconds() -> float:
    """user + nice CPU seconds of the whole machine, to detect other work competing for the cores."""
    with open("/proc/stat") as f:
        fields = f.readline().split()
    return (int(fields[1]) + int(fields[2])) / os.sysconf("SC_CLK_TCK")


def measure(fn: Callable[[memoryview], str], view: memoryview) -> Tuple[float, float, float, str]:
    """(wall s, process CPU s, foreign user CPU s, digest) of one call."""
    m0, u0 = machine_user_seconds(), resource.getrusage(resource.RUSAGE_SELF).ru_utime
    c0, t0 = time.process_time(), time.perf_counter()
    digest = fn(view)
    t1, c1 = time.perf_counter(), time.process_time()
    m1, u1 = machine_user_seconds(), resource.getrusage(resource.RUSAGE_SELF).ru_utime
    return t1 - t0, c1 - c0, max(0.0, (m1 - m0) - (u1 - u0)), digest


TESTS: Dict[str, Callable[[memoryview], str]] = {
    "sha256_1t": sha256_1t,
    "sha256_2t_halves": sha256_2t_halves,
    "tree_hash_1t": tree_1t,
    "tree_hash_leaves_2t": tree_2t,
    "treehasher_256k_chunks_1t": treehasher_256k,
    "upload_hash_bytes_16m_parts_1t": upload_parts_16m,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--noisy", type=float, default=0.10, help="foreign cores above which a run is redone")
    parser.add_argument("--retries", type=int, default=3)
    args = parser.parse_args()
    with open(args.file, "rb") as f:
        buf = bytearray(f.seek(0, 2))
        f.seek(0)
        view = memoryview(buf)
        got = 0
        while got < len(buf):
            n = f.readinto(view[got:])
            if not n:
                break
            got += n
    results: Dict[str, Dict[str, Any]] = {
        name: {"wall": [], "cpu": [], "foreign": [], "redone": 0, "digest": ""} for name in TESTS
    }
    for _ in range(args.runs):
        for name, fn in TESTS.items():
            entry = results[name]
            for attempt in range(args.retries + 1):
                wall, cpu, foreign, digest = measure(fn, view)
                if foreign <= args.noisy * wall or attempt == args.retries:
                    break
                entry["redone"] += 1
                time.sleep(2.0)
            entry["wall"].append(wall)
            entry["cpu"].append(cpu)
            entry["foreign"].append(foreign)
            entry["digest"] = digest
    print(json.dumps({"bytes": len(buf), "runs": args.runs, "tests": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
