"""The per-phase CPU accounting of benchmarks/clients/cpu_phases.py and its report in RESULTS.md."""

from __future__ import annotations

import importlib.util
import resource
import sys
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import Any, Dict, List

import pytest

from benchmarks.cassbench.suites import profile

CLIENT = Path(__file__).resolve().parents[2] / "benchmarks" / "clients" / "cpu_phases.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cpu_phases", CLIENT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["cpu_phases"] = module
    spec.loader.exec_module(module)
    return module


def _burn(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


@pytest.mark.skipif(not hasattr(resource, "RUSAGE_THREAD"), reason="getrusage(RUSAGE_THREAD) is Linux-only")
def test_a_phase_is_charged_its_own_cpu_without_the_phases_inside_it() -> None:
    phases = _load()
    clock = phases.PhaseClock()
    inner = clock.timed("inner", lambda: _burn(0.05))

    def outer() -> None:
        _burn(0.05)
        inner()
        time.sleep(0.05)  # waiting costs no CPU

    threads = [threading.Thread(target=clock.timed("outer", outer)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clock.calls == {"outer": 2, "inner": 2}
    assert 0.09 <= clock.cpu["inner"] <= 0.2
    assert 0.09 <= clock.cpu["outer"] <= 0.2  # its own 2 x 0.05 s, not the inner phase's
    assert clock.user["outer"] + clock.system["outer"] >= 0.0


def test_the_report_lists_each_case_with_its_phases_and_the_rest() -> None:
    case: Dict[str, Any] = {
        "key": "upload-warm",
        "process": {"cpu_s_per_gib": 2.2, "user_s_per_gib": 1.7, "system_s_per_gib": 0.5},
        "phases": [
            {
                "phase": "hash: tree hash",
                "cpu_s_per_gib": 0.61,
                "user_s": 0.6,
                "system_s": 0.0,
                "calls": 1024,
            },
        ],
        "rest_s_per_gib": 0.4,
    }
    failed: Dict[str, Any] = {"key": "download-capped-cold", "error": "boom"}
    lines: List[str] = profile.render({"phases": [case, failed], "skipped": "no py-spy"}, {})
    text = "\n".join(lines)
    assert "#### upload-warm: 2.20 CPU s/GiB (user 1.70, system 0.50)" in text
    assert "| hash: tree hash | 0.610 | 0.60 | 0.00 | 1,024 |" in text
    assert "| rest | 0.400 | | | |" in text
    assert "download-capped-cold: failed: boom" in text
    assert text.rstrip().endswith("no py-spy")
