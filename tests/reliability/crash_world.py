"""Process plumbing for the crash matrix: start ``crash_child``, read what it says, wait, SIGKILL.

Every wait has a deadline and fails with what the child printed, so a kill point that is never
reached is a clear failure, never a hang or a silent skip.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 60.0


class Child:
    """One ``python -m tests.reliability.crash_child SPEC`` process; stdout read line by line."""

    def __init__(self, spec: Dict[str, Any], spec_path: Path) -> None:
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        os.chmod(spec_path, 0o600)
        self.lines: List[str] = []
        self._queue: queue.Queue[Optional[str]] = queue.Queue()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.crash_child", str(spec_path)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self._stderr: List[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._errors = threading.Thread(target=self._read_stderr, daemon=True)  # never let the pipe fill
        self._errors.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._stderr.append(line)

    def _drain(self) -> None:
        while True:
            try:
                line = self._queue.get_nowait()
            except queue.Empty:
                return
            if line is not None:
                self.lines.append(line)

    def said(self, prefix: str) -> Optional[str]:
        """The rest of the first line starting with ``prefix``, or None."""
        self._drain()
        for line in self.lines:
            if line.startswith(prefix):
                return line[len(prefix) :].strip()
        return None

    def describe(self) -> str:
        self._drain()
        if self.process.poll() is not None:
            self._errors.join(timeout=5)
        stderr = "".join(self._stderr)[-3000:]
        return f"exit {self.process.returncode}; stdout {self.lines}; stderr: {stderr}"

    def wait_until(self, condition: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
        """Poll ``condition`` every 5 ms while the child runs; fail if it exits or time runs out."""
        deadline = time.monotonic() + timeout
        while not condition():
            if self.process.poll() is not None:
                raise AssertionError(f"the child exited before {what}: {self.describe()}")
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"timed out waiting for {what}: {self.describe()}")
            time.sleep(0.005)

    def kill(self) -> None:
        """SIGKILL and reap; the child must still have been running (it was killed, not finished)."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._reader.join(timeout=10)
        self._errors.join(timeout=10)
        self._close()

    def finish(self, timeout: float = DEADLINE) -> List[str]:
        """Wait for a normal exit (status 0); its stdout lines."""
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"the child did not finish: {self.describe()}") from None
        self._reader.join(timeout=10)
        self._errors.join(timeout=10)
        self._drain()
        if self.process.returncode != 0:
            raise AssertionError(f"the child failed: {self.describe()}")
        self._close()
        return self.lines

    def _close(self) -> None:
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


def settle(read: Callable[[], Any], *, interval: float = 0.05, rounds: int = 3, limit: float = 3.0) -> Any:
    """``read()`` once it returned the same value ``rounds`` times in a row (or after ``limit`` s).

    After a kill the emulator's handler threads notice the dead sockets within a write or two;
    counters read before that would credit their last bytes to the next process.
    """
    value = read()
    same, deadline = 1, time.monotonic() + limit
    while same < rounds and time.monotonic() < deadline:
        time.sleep(interval)
        again = read()
        same = same + 1 if again == value else 1
        value = again
    return value


MiB = 1024 * 1024


def requests_of(stats: Dict[str, Any], key: str) -> int:
    """How many ``"METHOD Operation"`` requests a stats snapshot (or one service's part) counts."""
    return int(stats["requests"].get(key, 0))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(MiB), b""):
            digest.update(chunk)
    return digest.hexdigest()


def journal_pieces(journal: str) -> List[Tuple[int, int]]:
    """(offset, length) of every piece a download journal names; [] while it is absent or torn."""
    try:
        with open(journal, encoding="utf-8") as handle:
            return [(offset, length) for offset, length, _, _ in json.load(handle)["pieces"]]
    except (OSError, ValueError, KeyError):
        return []


def bytes_received(partial: str, source: Path) -> int:
    """Bytes of the partial file that hold the source's bytes, in 4 KiB blocks: what the killed
    client had read and written (the source is pseudo-random, the rest of the file is zeros)."""
    block, same = 4096, 0
    with open(partial, "rb") as got, open(source, "rb") as want:
        while True:
            a, b = got.read(MiB), want.read(MiB)
            if not b:
                return same
            for pos in range(0, len(b), block):
                if a[pos : pos + block] == b[pos : pos + block]:
                    same += len(b[pos : pos + block])
