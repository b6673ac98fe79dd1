"""The benchmark report is made from results.json alone, and the suites import without their tools."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import pytest

from benchmarks.cassbench import cli, render, results, stats
from benchmarks.cassbench.suites import download

REPO = Path(__file__).resolve().parents[2]
RUN = "2026-01-02T03:04:05Z"


def _row(tool: str, name: str, conns: int, mbps: float, cpu: float, rss: float) -> Dict[str, Any]:
    return {
        "tool": tool, "name": name, "conns": conns, "n": 3, "ok": 3, "redone": 0, "noisy_kept": 0,
        "mbps": {"med": mbps, "min": mbps - 10, "max": mbps + 10, "n": 3},
        "wall": {"med": 1073.74 / mbps, "min": 1.0, "max": 9.0, "n": 3},
        "cpu": {"med": cpu}, "user": {"med": cpu / 2}, "sys": {"med": cpu / 2},
        "rss": {"med": rss}, "server": {"med": 0.2}, "xfer": {}, "foreign": {"med": 0.0},
    }  # fmt: skip


@pytest.fixture
def fixture() -> Dict[str, Any]:
    dl = {
        "size_text": "1 GiB",
        "workers": 8,
        "cap_mbps": 41.94304,
        "conditions": [
            {
                "condition": "capped-cold",
                "rows": [
                    _row("cassdk", "**cassdk_like**", 8, 360.0, 1.8, 40.0),
                    _row("boto3-8m", "boto3 8 MiB", 8, 300.0, 2.4, 80.0),
                ],
            },
            {"condition": "uncapped-cold", "rows": [_row("cassdk", "**cassdk_like**", 8, 700.0, 2.0, 40.0)]},
        ],
        "raw": [["dl download capped-cold 1g cassdk", ["350", "360", "370~"]]],
        "failed": ["dl download curl capped-cold 1g run 2: timed out after 300 s"],
    }
    hashing = {
        "bytes": 1024**3,
        "runs": 3,
        "ok": True,
        "tests": [
            {"name": "sha256_1t", "desc": "sha256 one thread", "wall": {"med": 0.5}, "cpu": {"med": 0.5}},
            {"name": "tree_hash_leaves_2t", "desc": "tree 2t", "wall": {"med": 0.25}, "cpu": {"med": 0.5}},
        ],
    }
    glacier = {
        "size_text": "1 GiB",
        "workers": 8,
        "rows": [
            {**_row("cassdk", "", 8, 300.0, 2.0, 170.0), "part_mib": 16, "ru_cpu": {"med": 2.0}},
            {**_row("boto3-glacier", "", 8, 150.0, 4.0, 340.0), "part_mib": 16, "ru_cpu": {"med": 4.1}},
        ],
    }
    run = {"date": "2026-01-02 03:04:05 UTC", "commit": "abc1234", "command": "bash benchmarks/run.sh"}
    return results.merge(
        results.empty(),
        RUN,
        {**run, "machine": {"nproc": "2"}, "what_ran": ["Suites: dl."], "notes": []},
        {"dl": dl, "hash": hashing, "glacier": glacier},
    )


def test_download_rows_show_medians_ranges_and_cap_share(fixture: Dict[str, Any]) -> None:
    text = render.render(fixture)
    assert "| **cassdk_like** | 8 | **360** (350-370) | 2.98 (1.00-9.00) | 1.80 (0.90/0.90) | 40 |" in text
    # 360 / (8 x 41.94) = 107 % of N x cap
    assert "| 107 % | 3/3 | 0.00 (0) |" in text
    assert "| boto3 8 MiB | 8 | **300** (290-310) |" in text


def test_ratios_and_targets_come_from_the_medians(fixture: Dict[str, Any]) -> None:
    text = render.render(fixture)
    assert "| capped-cold | boto3 8 MiB | 1.20 | 0.75 | 0.50 |" in text
    assert "| capped-cold | N x cap = 8 x 41.94 = 335.5 MB/s | 1.07 | - | - |" in text
    assert "| capped ≥ boto3 (8 MiB, same N) | 360 vs 300 MB/s | met |" in text
    assert "| capped ≤ 1.7 CPU s/GiB | 1.80 | **missed** (+0.10 s/GiB) |" in text
    assert "| tree hash on 2 threads ≥ 1.8 x sha256 1 thread | 2.00 x | met |" in text
    assert "cassdk_like / boto3: client CPU 0.50, speed 2.00, peak RSS 0.50." in text


def test_report_names_the_run_and_keeps_failures_raw_data_and_analysis(fixture: Dict[str, Any]) -> None:
    text = render.render(fixture, analysis="## Analysis\n\nhand-written words\n")
    assert "measured on 2026-01-02 03:04:05 UTC at commit `abc1234`" in text
    assert "```\nbash benchmarks/run.sh\n```" in text
    assert "* dl download curl capped-cold 1g run 2: timed out after 300 s" in text
    assert "* dl download capped-cold 1g cassdk: 350, 360, 370~" in text
    assert text.endswith("## Analysis\n\nhand-written words\n")


def test_a_suite_from_another_run_says_where_it_came_from(fixture: Dict[str, Any]) -> None:
    later = {"date": "2026-02-01 00:00:00 UTC", "commit": "def5678", "command": "run.sh --only hash"}
    merged = results.merge(fixture, "2026-02-01T00:00:00Z", later, {"hash": fixture["suites"]["hash"]})
    assert set(merged["suites"]) == {"dl", "hash", "glacier"}
    text = render.render(merged)
    assert "*From the run of 2026-02-01 00:00:00 UTC at commit `def5678`: `run.sh --only hash`.*" in text


def test_a_partial_download_run_keeps_the_other_conditions(fixture: Dict[str, Any]) -> None:
    old = fixture["suites"]["dl"]
    capped = {**old, "conditions": [old["conditions"][0]], "raw": [], "failed": []}
    capped = {k: v for k, v in capped.items() if k != "run"}
    merged_dl = download.merge(old, capped, old["run"])
    assert [e["condition"] for e in merged_dl["conditions"]] == ["capped-cold", "uncapped-cold"]
    assert merged_dl["conditions"][1]["run"] == RUN
    assert merged_dl["raw"] == []  # the old raw list was of the capped condition, now measured again
    later = {"date": "2026-03-01 00:00:00 UTC", "commit": "0ddba11", "command": "--only dl"}
    data = results.merge(fixture, "2026-03-01T00:00:00Z", later, {"dl": merged_dl})
    assert set(data["runs"]) == {RUN, "2026-03-01T00:00:00Z"}  # the uncapped table's run is kept
    text = render.render(data)
    uncapped = text.index("### uncapped, cold page state")
    assert text.index("at commit `abc1234`", uncapped) < text.index("| tool |", uncapped)


def test_render_command_writes_the_report_from_the_json(fixture: Dict[str, Any], tmp_path: Path) -> None:
    source, out = tmp_path / "results.json", tmp_path / "RESULTS.md"
    results.save(source, fixture)
    assert cli.main(["render", "--json", str(source), "--results", str(out)]) == 0
    text = out.read_text()
    assert "## 1. Download 1 GiB from nginx" in text
    assert render.ANALYSIS_NOTE not in text  # ANALYSIS.md is about benchmarks/results.json only


def test_merging_a_partial_download_file_keeps_the_conditions_it_left_out(
    fixture: Dict[str, Any], tmp_path: Path
) -> None:
    old = fixture["suites"]["dl"]
    capped = {k: v for k, v in old.items() if k != "run"}
    capped = {**capped, "conditions": [old["conditions"][0]], "raw": [], "failed": []}
    later_id = "2026-03-01T00:00:00Z"
    later = {"date": "2026-03-01 00:00:00 UTC", "commit": "0ddba11", "command": "--only dl --baseline x"}
    other = results.merge(results.empty(), later_id, later, {"dl": capped})
    source, partial, out = tmp_path / "results.json", tmp_path / "ab.json", tmp_path / "RESULTS.md"
    results.save(source, fixture)
    results.save(partial, other)
    argv = ["render", "--json", str(source), "--merge-json", str(partial), "--results", str(out)]
    assert cli.main(argv) == 0
    saved = results.load(source)  # the merge is written back, not only rendered
    dl = saved["suites"]["dl"]
    assert dl["run"] == later_id
    assert [e["condition"] for e in dl["conditions"]] == ["capped-cold", "uncapped-cold"]
    assert dl["conditions"][1]["run"] == RUN
    assert set(saved["runs"]) == {RUN, later_id}


def test_the_baseline_tool_needs_a_revision_and_the_revision_needs_the_tool() -> None:
    with pytest.raises(SystemExit):
        cli.parse_args(["--tools", "cassdk,cassdk-base"])
    with pytest.raises(SystemExit):
        cli.parse_args(["--baseline", "HEAD~1"])
    args = cli.parse_args(["--tools", "cassdk,cassdk-base", "--baseline", "HEAD~1"])
    assert args.tool_list == ["cassdk", "cassdk-base"]
    assert "cassdk-base" not in cli.parse_args([]).tool_list  # not run unless asked for


def test_summaries_leave_out_failed_and_redone_runs() -> None:
    base = {"bytes": 1024**3, "user": 1.0, "sys": 0.5, "rss_kib": 40960, "server_cpu": 0.1, "client": {}}
    runs = [
        {**base, "wall": 1.0, "ok": True},
        {**base, "wall": 3.0, "ok": True},
        {**base, "wall": 0.1, "ok": True, "superseded": True},
        {**base, "wall": 9.0, "ok": False},
    ]
    s = stats.summarize(runs)
    assert (s["n"], s["ok"], s["redone"]) == (3, 2, 1)
    assert s["wall"] == {"med": 2.0, "min": 1.0, "max": 3.0, "n": 2}
    assert s["cpu"]["med"] == 1.5
    assert s["rss"]["med"] == 40.0


def test_the_committed_results_render_every_section() -> None:
    data = results.load(REPO / "benchmarks" / "results.json")
    text = render.render(data)
    for heading in ("## 1. Download", "## 2. Upload", "## 3. Hashing", "## 4. Peak RSS", "## Targets"):
        assert heading in text
    assert json.dumps(data["runs"])  # every run record is plain JSON


def test_every_suite_module_imports_without_nginx_aria2c_or_boto3(tmp_path: Path) -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        "for name in ('boto3', 'botocore', 's3transfer'):\n"
        "    sys.modules[name] = None\n"
        "import benchmarks.cassbench as pkg\n"
        "names = [m.name for m in pkgutil.walk_packages(pkg.__path__, 'benchmarks.cassbench.')]\n"
        "names = [n for n in names if n != 'benchmarks.cassbench.__main__']\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        "from benchmarks.cassbench.suites import RUN_ORDER\n"
        "print(len(names), sorted(s.NAME for s in RUN_ORDER))\n"
    )
    env = {**os.environ, "PATH": str(tmp_path), "PYTHONPATH": str(REPO)}  # no nginx, aria2c, curl on PATH
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=str(tmp_path), env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    count, names = proc.stdout.split(" ", 1)
    assert int(count) >= 20
    assert names.strip() == str(
        sorted(
            [
                "dl",
                "ul",
                "hash",
                "rss",
                "ul-rss",
                "glacier",
                "reduct",
                "bucket",
                "direct",
                "par",
                "transfer",
                "pattern",
                "profile",
                "diag",
            ]
        )
    )
