"""Measurement helpers shared by every suite: timed runs under /usr/bin/time, page state, /proc CPU.

Method (docs/benchmark-method.md §2): each run is ``/usr/bin/time -v -o FILE <cmd>``; wall time is
``perf_counter`` around the subprocess; CPU = user + sys and peak RSS = "Maximum resident set size"
from ``time -v``; server CPU = utime + stime delta of the server's processes from ``/proc``.
Page state before a run: ``sync`` then either an idle pause (cold: freed pages get reported to the
host, so filling new page cache is slow again) or a 1280 MiB scratch write + delete (warm).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import resource
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

MiB = 1024 * 1024
GiB = 1024 * MiB
CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- /proc ----------------------------------------------------------------------------------------


def proc_cpu(pid: int) -> Tuple[float, float]:
    """(utime, stime) of one process (all its threads), seconds; zeros if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0, 0.0
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK


def proc_cpu_seconds(pid: int) -> float:
    user, system = proc_cpu(pid)
    return user + system


def system_user_seconds() -> float:
    """user + nice CPU seconds of the whole machine (all CPUs) from /proc/stat."""
    with open("/proc/stat") as f:
        fields = f.readline().split()
    return (int(fields[1]) + int(fields[2])) / CLK_TCK


def children_of(pid: int) -> List[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            out.append(int(entry.name))
    return out


def cpu_of(pids: Iterable[int]) -> float:
    return sum(proc_cpu_seconds(p) for p in pids)


def user_cpu_of(pids: Iterable[int]) -> float:
    return sum(proc_cpu(p)[0] for p in pids)


# -- other people's work on the same machine --------------------------------------------------------
#
# The box has 2 cores and may be shared (other sessions running tests). A run is only valid when
# nothing else competes for the CPU: wait for a quiet window before each run, and measure the
# user-mode CPU the rest of the machine used during the run ("foreign" = machine user+nice minus the
# client's and the server's user time; user mode only, so kernel work the run itself causes, such as
# writeback and loopback softirqs, is never counted as foreign).


def foreign_rate(window: float) -> float:
    """Cores' worth of user-mode CPU used on the machine during ``window`` seconds (we are idle)."""
    before = system_user_seconds()
    time.sleep(window)
    return (system_user_seconds() - before) / window


def wait_quiet(max_wait: float, threshold: float = 0.05, window: float = 1.0) -> Dict[str, float]:
    """Block until a ``window`` with < ``threshold`` cores of foreign CPU, at most ``max_wait`` s."""
    start = time.monotonic()
    rate = foreign_rate(window)
    while rate >= threshold and time.monotonic() - start < max_wait:
        rate = foreign_rate(window)
    return {"quiet_wait_s": time.monotonic() - start, "quiet_rate": rate}


# -- page state -----------------------------------------------------------------------------------


def settle(state: str, work: Path, idle: float, max_quiet_wait: float = 0.0) -> Dict[str, float]:
    """``cold``: sync + idle pause; ``warm``: sync + 1280 MiB scratch written and deleted; else sync.

    With ``max_quiet_wait`` > 0 it also waits (up to that long) for a 1 s window in which the rest of
    the machine is quiet: at the end of the idle pause for cold, before the prefault for warm.
    """
    subprocess.run(["sync"], check=True)
    quiet = {"quiet_wait_s": 0.0, "quiet_rate": float("nan")}
    if state == "cold":
        if max_quiet_wait > 0:
            time.sleep(max(0.0, idle - 1.0))
            quiet = wait_quiet(max_quiet_wait)
        else:
            time.sleep(idle)
    elif state == "warm":
        if max_quiet_wait > 0:
            quiet = wait_quiet(max_quiet_wait)
        scratch = work / "scratch.bin"
        subprocess.run(
            ["dd", "if=/dev/zero", f"of={scratch}", "bs=1M", "count=1280", "status=none"], check=True
        )
        scratch.unlink()
    elif max_quiet_wait > 0:
        quiet = wait_quiet(max_quiet_wait)
    return quiet


# -- one timed run --------------------------------------------------------------------------------


def parse_time_v(path: Path) -> Dict[str, float]:
    """User/System seconds, max RSS KiB and exit status from GNU time -v output."""
    out: Dict[str, float] = {}
    keys = {
        "User time (seconds)": "user",
        "System time (seconds)": "sys",
        "Maximum resident set size (kbytes)": "rss_kib",
        "Exit status": "exit",
    }
    for line in path.read_text(errors="replace").splitlines():
        name, _, value = line.strip().rpartition(": ")
        if name in keys:
            with contextlib.suppress(ValueError):
                out[keys[name]] = float(value)
    return out


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    buf = bytearray(MiB)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as f:
        while True:
            n = f.readinto(view)
            if not n:
                break
            h.update(view[:n])
    return h.hexdigest()


def last_json_line(text: str) -> Dict[str, Any]:
    for raw in reversed(text.strip().splitlines()):
        line = raw.strip()
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                data = json.loads(line)
                if isinstance(data, dict):
                    return data
    return {}


def timed_run(
    cmd: Sequence[str],
    *,
    work: Path,
    log: Path,
    server_pids: Sequence[int],
    timeout: float,
    env: Optional[Dict[str, str]] = None,
) -> Dict[str, Any]:
    """Run ``cmd`` under /usr/bin/time -v; returns wall, user, sys, rss_kib, server_cpu, client JSON."""
    time_file = work / "time.txt"
    with contextlib.suppress(FileNotFoundError):
        time_file.unlink()
    full = ["/usr/bin/time", "-v", "-o", str(time_file), *cmd]
    server0 = cpu_of(server_pids)
    server_user0 = user_cpu_of(server_pids)
    machine_user0 = system_user_seconds()
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True, text=True
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        timed_out = True
    wall = time.perf_counter() - start
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    machine_user = system_user_seconds() - machine_user0
    server_cpu = cpu_of(server_pids) - server0
    server_user = user_cpu_of(server_pids) - server_user0
    with open(log, "a") as f:
        f.write(f"$ {' '.join(cmd)}\n# rc={proc.returncode} wall={wall:.3f}s timed_out={timed_out}\n")
        if stdout.strip():
            f.write(stdout[-4000:] + "\n")
        if stderr.strip():
            f.write("[stderr]\n" + stderr[-4000:] + "\n")
    result: Dict[str, Any] = {
        "wall": wall,
        "rc": proc.returncode,
        "server_cpu": server_cpu,
        # the reaped child's rusage (time -v and the command): a cross-check of time -v's figures
        "ru_user": children.ru_utime - children0.ru_utime,
        "ru_sys": children.ru_stime - children0.ru_stime,
    }
    if time_file.exists():
        result.update(parse_time_v(time_file))
    result["foreign_user"] = max(0.0, machine_user - result.get("user", 0.0) - server_user)
    result["client"] = last_json_line(stdout)
    if timed_out:
        result["rc"] = -9
        result["error"] = f"timed out after {timeout:.0f} s"
    elif proc.returncode != 0:
        result["error"] = (stderr.strip().splitlines() or ["?"])[-1][:300]
    return result
