"""Independent servers run as subprocesses for integration tests: started, awaited, stopped by PID.

A peer that does not come up fails the test with its log attached (it is a declared test
dependency, so a missing or broken peer is a failure, never a skip).  Only the process started
here is ever terminated.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Callable, Dict, Iterator, Optional, Sequence

import pytest
import requests

__all__ = ["free_port", "loopback_session", "running_process", "wait_until"]


def free_port() -> int:
    """A TCP port that was free on loopback a moment ago (for peers that cannot take port 0)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def loopback_session() -> requests.Session:
    """A session that never routes loopback calls through a proxy from the environment."""
    session = requests.Session()
    session.trust_env = False
    return session


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _fail(proc: subprocess.Popen[bytes], log_path: Path, name: str, why: str) -> None:
    _stop(proc)
    log = log_path.read_text(encoding="utf-8", errors="replace")
    pytest.fail(f"{name} did not start: {why}\n--- {log_path} ---\n{log}", pytrace=False)


def wait_until(
    proc: subprocess.Popen[bytes],
    log_path: Path,
    name: str,
    ready: Callable[[], Optional[object]],
    deadline: float,
    what: str,
) -> object:
    """Poll ``ready()`` until it returns something other than None; fail with the log if the process
    exits first or ``deadline`` (monotonic) passes."""
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException, OSError):
            found = ready()
            if found is not None:
                return found
        if proc.poll() is not None:
            _fail(proc, log_path, name, f"the process exited with status {proc.returncode}")
        time.sleep(0.05)
    _fail(proc, log_path, name, f"{what} within the start timeout")
    raise AssertionError("unreachable")


@contextlib.contextmanager
def running_process(
    argv: Sequence[str], log_path: Path, *, env: Optional[Dict[str, str]] = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``argv`` with its output in ``log_path``; terminate exactly that process afterwards."""
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(os.environ if env is None else env, PYTHONUNBUFFERED="1"),
        )
    try:
        yield proc
    finally:
        _stop(proc)
