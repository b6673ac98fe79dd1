"""Client instrumentation: time every ``os.fsync`` / ``os.fdatasync`` the SDK makes (behaviour unchanged).

cassdk_like fsyncs a download before its atomic rename and its journal syncs the partial file as
pieces finish; the peers never sync, so the time spent there is reported apart. Used by the
cassdk_like clients (``import sync_timer``: the clients' folder is first on ``sys.path``).
"""

from __future__ import annotations

import os
import time
from typing import Callable, Dict, List

SYNC_TIMES: Dict[str, List[float]] = {"fsync": [], "fdatasync": []}


def _timed(name: str, real: Callable[[int], None]) -> Callable[[int], None]:
    def wrapper(fd: int) -> None:
        start = time.perf_counter()
        try:
            real(fd)
        finally:
            SYNC_TIMES[name].append(time.perf_counter() - start)

    return wrapper


def install() -> None:
    """Wrap the ``os`` functions (looked up at call time) and the journal's own binding, if any."""
    from cassdk_like.engine import journal  # noqa: PLC0415

    os.fsync = _timed("fsync", os.fsync)
    if hasattr(os, "fdatasync"):
        os.fdatasync = _timed("fdatasync", os.fdatasync)
    if hasattr(journal, "_fdatasync"):  # bound at import time by older engines
        journal._fdatasync = _timed("fdatasync", journal._fdatasync)


def figures() -> Dict[str, float]:
    """``fsync_n`` / ``fsync_s`` / ``fsync_max_s`` and the same for ``fdatasync``."""
    out: Dict[str, float] = {}
    for name, times in SYNC_TIMES.items():
        out[f"{name}_n"], out[f"{name}_s"] = len(times), sum(times)
        out[f"{name}_max_s"] = max(times, default=0.0)
    return out
