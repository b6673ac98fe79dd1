"""Suite par's commands, run order, ratio and report come from its figures alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

from benchmarks.cassbench.suites import BY_NAME, REPORT_HEAD, par


def _row(tool: str, mbps: float, xfer: float) -> Dict[str, Any]:
    return {
        "tool": tool, "name": par.NAMES[tool], "conns": 8, "n": 5, "ok": 5, "redone": 0, "noisy_kept": 0,
        "mbps": {"med": mbps, "min": mbps * 0.9, "max": mbps * 1.1, "n": 5}, "wall": {"med": 1073.74 / mbps},
        "cpu": {"med": 2.0}, "user": {"med": 1.5}, "sys": {"med": 0.5}, "rss": {"med": 50.0},
        "server_gib": {"med": 1.0}, "xfer": {"med": xfer}, "foreign": {"med": 0.0},
    }  # fmt: skip


def _data(par_mbps: float) -> Dict[str, Any]:
    return {
        "size_text": "1 GiB", "workers": 8, "state": "cold", "target": 0.95,
        "rows": [_row("bucket", 600.0, 700.0), _row("par", par_mbps, 650.0)], "raw": [], "failed": [],
    }  # fmt: skip


def test_the_suite_is_registered_and_reported() -> None:
    assert BY_NAME["par"] is par
    assert "par" in REPORT_HEAD


def test_runs_alternate_with_the_order_flipped() -> None:
    assert [par.order(n) for n in (1, 2, 3)] == [("bucket", "par"), ("par", "bucket"), ("bucket", "par")]


def test_both_clients_get_the_same_workers_and_output() -> None:
    bucket_cmd = par.command("bucket", "http://127.0.0.1:1", 6, "k", Path("a.par"), Path("a.key"))
    par_cmd = par.command("par", "http://127.0.0.1:1", 6, "k", Path("a.par"), Path("a.key"))
    assert bucket_cmd[bucket_cmd.index("--workers") + 1] == par_cmd[par_cmd.index("--workers") + 1] == "6"
    assert bucket_cmd[bucket_cmd.index("--file") + 1] == par_cmd[par_cmd.index("--file") + 1]
    assert bucket_cmd[bucket_cmd.index("--op") + 1] == "download"
    assert par_cmd[1].endswith("par_ops.py")
    assert "a.key" in par_cmd  # the key travels as a file, never as text on the command line


def test_the_ratio_and_the_verdict() -> None:
    met = par.render(_data(582.0), {})
    assert par.ratio(_data(582.0)) == 582.0 / 600.0
    assert any("**0.97**" in line and "met" in line and "transfer-only 0.93" in line for line in met)
    missed = par.render(_data(540.0), {})
    assert any("**missed** (0.90x)" in line for line in missed)
    assert met[0].startswith("## 10. Download 1 GiB through a read PAR")
    alone = {**_data(600.0), "rows": [_row("bucket", 600.0, 700.0)]}
    assert par.ratio(alone) != par.ratio(alone)  # NaN without the PAR row
    assert not any("PAR / bucket" in line for line in par.render(alone, {}))
