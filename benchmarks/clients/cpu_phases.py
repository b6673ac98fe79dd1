"""Run a cassdk_like benchmark client with its CPU accounted per phase of the transfer.

    python benchmarks/clients/cpu_phases.py --out phases.json --bytes N -- CLIENT.py ARGS...

Why not a sampling profiler: py-spy counts a thread blocked in a C call (a condition wait, a
socket read) as running, so its shares say where threads are, not where the CPU goes. Here the
engine's own functions are wrapped (in this process only; the SDK is not changed) and every call
charges the calling thread's CPU clock (``CLOCK_THREAD_CPUTIME_ID``, exact) and its user/system
split (``getrusage(RUSAGE_THREAD)``, which the kernel keeps at tick granularity: exact in sum,
approximate per call) to the phase it runs. Phases nest: a phase's figure is its own time, without
the phases called inside it. What no phase claims (request building, the engine's bookkeeping,
thread hand-offs, interpreter start) is reported as the rest of the process's CPU (``os.times``).

A wrapper costs two clock reads and two ``getrusage`` calls (about 2 us); the heaviest phases are
called once per MiB (reads, hashes) or per 256 KiB (sends), so the accounting adds a few
milliseconds per GiB.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import runpy
import socket
import sys
import threading
import time
from collections import defaultdict
from typing import Any, Callable, DefaultDict, Dict, List, Optional

GiB = 1 << 30


class _ThreadState(threading.local):
    def __init__(self) -> None:
        self.stack: List[str] = []
        self.cpu = 0.0
        self.user = 0.0
        self.system = 0.0


class PhaseClock:
    """Exclusive CPU per phase, over every thread that enters one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = _ThreadState()
        self.cpu: DefaultDict[str, float] = defaultdict(float)
        self.user: DefaultDict[str, float] = defaultdict(float)
        self.system: DefaultDict[str, float] = defaultdict(float)
        self.calls: DefaultDict[str, int] = defaultdict(int)

    def _switch(self, state: _ThreadState) -> None:
        """Charge the thread's CPU since its last switch to the phase it was in."""
        now = time.thread_time()
        usage = resource.getrusage(resource.RUSAGE_THREAD)
        if state.stack:
            phase = state.stack[-1]
            with self._lock:
                self.cpu[phase] += now - state.cpu
                self.user[phase] += usage.ru_utime - state.user
                self.system[phase] += usage.ru_stime - state.system
        state.cpu, state.user, state.system = now, usage.ru_utime, usage.ru_stime

    def timed(self, phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            state = self._state
            self._switch(state)
            state.stack.append(phase)
            try:
                return function(*args, **kwargs)
            finally:
                self._switch(state)
                state.stack.pop()
                with self._lock:
                    self.calls[phase] += 1

        return run

    def wrap(self, owner: Any, name: str, phase: str) -> bool:
        original = getattr(owner, name, None)
        if original is None:
            return False
        setattr(owner, name, self.timed(phase, original))
        return True


class _TimedHasher:
    """A hashlib object whose updates are charged to a phase."""

    def __init__(self, inner: Any, update: Callable[..., Any]) -> None:
        self._inner = inner
        self.update = update

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def instrument(clock: PhaseClock) -> List[str]:
    """Wrap the engine's phases; the names of what was found (a missing one is reported, not fatal)."""
    from cassdk_like.core import checksums, integrity  # noqa: PLC0415
    from cassdk_like.core.auth import qsign, sigv4  # noqa: PLC0415
    from cassdk_like.core.http import response  # noqa: PLC0415
    from cassdk_like.engine import download, journal, parts, sources  # noqa: PLC0415

    found: List[str] = []

    def hook(owner: Any, name: str, phase: str) -> None:
        label = f"{getattr(owner, '__name__', owner)}.{name} -> {phase}"
        found.append(label if clock.wrap(owner, name, phase) else f"MISSING {label}")

    hook(sources.PathSource, "read_into", "read file (hash pass)")
    hook(parts.WindowReader, "readinto", "read file again (sending)")
    hook(integrity.TreeHasher, "update", "hash: tree hash")
    hook(checksums.Crc32Hasher, "update", "hash: CRC-32 witness")
    original_new = checksums.WholeObjectIntegrity.new_hasher

    def new_linear(self: Any) -> Any:
        inner = original_new(self)
        return _TimedHasher(inner, clock.timed("hash: linear SHA-256", inner.update))

    checksums.WholeObjectIntegrity.new_hasher = new_linear  # type: ignore[method-assign]
    found.append("WholeObjectIntegrity.new_hasher -> hash: linear SHA-256")
    hook(socket.socket, "sendall", "socket send")
    hook(response.HttpResponse, "readinto_for", "socket receive (body)")
    hook(response.HttpResponse, "readinto", "socket receive (body)")
    hook(download._FileSink, "commit", "write partial file (pwrite)")
    hook(journal.JournalWriter, "commit", "journal commit")
    hook(os, "fsync", "fsync / fdatasync")
    hook(os, "fdatasync", "fsync / fdatasync")
    hook(qsign.QSigner, "sign", "sign request")
    hook(sigv4.SigV4Signer, "sign", "sign request")
    return found


def report(clock: PhaseClock, start: os.times_result, nbytes: int, found: List[str]) -> Dict[str, Any]:
    end = os.times()
    user, system = end.user - start.user, end.system - start.system
    per_gib = GiB / nbytes if nbytes else 0.0
    phases = []
    for phase in sorted(clock.cpu, key=clock.cpu.__getitem__, reverse=True):
        phases.append(
            {
                "phase": phase,
                "cpu_s": clock.cpu[phase],
                "cpu_s_per_gib": clock.cpu[phase] * per_gib,
                "user_s": clock.user[phase],
                "system_s": clock.system[phase],
                "calls": clock.calls[phase],
            }
        )
    claimed = sum(clock.cpu.values())
    return {
        "bytes": nbytes,
        "process": {
            "user_s": user,
            "system_s": system,
            "cpu_s_per_gib": (user + system) * per_gib,
            "user_s_per_gib": user * per_gib,
            "system_s_per_gib": system * per_gib,
        },
        "phases": phases,
        "rest_s_per_gib": (user + system - claimed) * per_gib,
        "hooks": found,
    }


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="where the JSON report goes")
    parser.add_argument(
        "--bytes", type=int, required=True, help="bytes the client transfers (for per-GiB figures)"
    )
    parser.add_argument("client", nargs=argparse.REMAINDER, help="-- CLIENT.py ARGS...")
    args = parser.parse_args(argv)
    client = args.client[1:] if args.client[:1] == ["--"] else args.client
    if not client:
        parser.error("name the client script after --")
    start = os.times()
    clock = PhaseClock()
    found = instrument(clock)
    sys.argv = client
    sys.path.insert(0, os.path.dirname(os.path.abspath(client[0])))
    code = 0
    try:
        runpy.run_path(client[0], run_name="__main__")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(report(clock, start, args.bytes, found), f, indent=1)
    return code


if __name__ == "__main__":
    sys.exit(main())
