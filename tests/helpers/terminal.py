"""Running a command in a pseudo-terminal, as a person at a terminal would see it.

The child gets the terminal as its controlling terminal (``pty.fork``), so writing ``\\x03`` to
it is a real Ctrl-C: the terminal sends SIGINT to the child's process group.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time
from typing import Callable, Dict, List, Optional, Tuple

__all__ = ["run_in_terminal"]


def run_in_terminal(
    argv: List[str],
    env: Dict[str, str],
    *,
    timeout: float = 60,
    on_output: Optional[Callable[[bytes], Optional[bytes]]] = None,
    columns: int = 120,
) -> Tuple[int, bytes]:
    """(exit status, everything the terminal showed). ``on_output(screen so far)`` may return
    bytes to type (once it returns something, it is not asked again)."""
    pid, master = pty.fork()
    if pid == 0:  # the child: default Ctrl-C, then the command
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.execve(sys.executable, [sys.executable, *argv], env)
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    shown = b""
    deadline = time.monotonic() + timeout
    status: Optional[int] = None
    asking = on_output is not None
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    chunk = b""
                shown += chunk
                if asking and on_output is not None:
                    typed = on_output(shown)
                    if typed:
                        os.write(master, typed)
                        asking = False
                if not chunk:
                    break
            done, code = os.waitpid(pid, os.WNOHANG)
            if done:
                status = os.waitstatus_to_exitcode(code)
                break
        if status is None:
            done, code = os.waitpid(pid, 0 if time.monotonic() < deadline else os.WNOHANG)
            if not done:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise AssertionError(
                    f"still running after {timeout} s; the terminal showed: {shown[-2000:]!r}"
                )
            status = os.waitstatus_to_exitcode(code)
        while True:  # whatever is still buffered
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                break
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(master)
    return status, shown
