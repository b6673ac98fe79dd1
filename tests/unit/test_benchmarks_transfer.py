"""Suite transfer's cases, commands, lane shares and report come from its options and figures alone."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Dict, List

import pytest

from benchmarks.cassbench import cli
from benchmarks.cassbench.suites import BY_NAME, REPORT_HEAD, transfer
from benchmarks.cassbench.workspace import EMU_SECRET_KEY

MiB = 1024 * 1024
URL = "http://127.0.0.1:18085"
SHARES = {"High": 0.7, "Normal": 0.25, "Low": 0.05}
LANES = list(SHARES)


def test_the_suite_is_registered_and_reported() -> None:
    assert BY_NAME["transfer"] is transfer
    assert "transfer" in REPORT_HEAD


def test_the_cases_follow_the_options_and_quick_runs_are_small() -> None:
    full = transfer.plan_cases(cli.parse_args(["--only", "transfer"]))
    assert [(c.name, c.count, c.size, c.part_workers) for c in full] == [
        ("small", 10000, 64 * 1024, 0),
        ("large", 4, 256 * MiB, 2),  # 8 workers over 4 files: 2 parts each, 8 requests in flight
    ]
    assert [c.label for c in full] == ["10000x64k", "4x256m"]
    quick = transfer.plan_cases(cli.parse_args(["--quick", "--only", "transfer"]))
    assert [(c.count, c.size, c.part_workers) for c in quick] == [(500, 64 * 1024, 0), (2, 32 * MiB, 4)]
    chosen = cli.parse_args(
        ["--only", "transfer", "--transfer-cases", "large", "--transfer-part-workers", "5"]
    )
    assert [(c.name, c.part_workers) for c in transfer.plan_cases(chosen)] == [("large", 5)]
    assert transfer.part_workers(8, 16) == 1
    assert transfer.part_workers(3, 1) == 3


@pytest.mark.parametrize(
    "bad",
    [
        ["--transfer-tools", "cassdk,rclone"],
        ["--transfer-cases", "small,huge"],
        ["--transfer-small-files", "0"],
        ["--transfer-part-workers", "-1"],
        ["--transfer-lane-rate", "0"],
    ],
)
def test_bad_transfer_options_are_refused(bad: List[str]) -> None:
    with pytest.raises(SystemExit):
        cli.parse_args(["--only", "transfer", *bad])


def test_runs_go_round_robin_with_the_first_tool_moving_on() -> None:
    tools = ["cassdk", "s5cmd", "boto3"]
    assert [transfer.order(tools, n)[0] for n in (1, 2, 3, 4)] == ["cassdk", "s5cmd", "boto3", "cassdk"]
    assert sorted(transfer.order(tools, 2)) == sorted(tools)
    assert transfer.prefix_for("small", "s5cmd", 2) != transfer.prefix_for("small", "s5cmd", 3)


def test_every_tool_gets_the_same_folder_workers_and_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transfer.bucket_suite, "s5cmd_binary", lambda: "/venv/s5cmd")
    large = transfer.Case("large", 4, 256 * MiB, 2)
    small = transfer.Case("small", 10, 64 * 1024, 0)
    folder = Path("/src")
    s5cmd = transfer.command("s5cmd", large, URL, 8, "transfer/large/s5cmd/1/", folder)
    assert s5cmd == [
        "/venv/s5cmd", "--endpoint-url", URL, "--numworkers", "8", "cp", "--concurrency", "2",
        "/src/*", "s3://bench/transfer/large/s5cmd/1/",
    ]  # fmt: skip
    assert "--concurrency" not in transfer.command("s5cmd", small, URL, 8, "p/", folder)
    for tool in ("cassdk", "boto3"):
        cmd = transfer.command(tool, large, URL, 8, "transfer/large/x/1/", folder)
        assert cmd[cmd.index("--client") + 1] == tool
        assert cmd[cmd.index("--op") + 1] == "upload"
        assert cmd[cmd.index("--workers") + 1] == "8"
        assert cmd[cmd.index("--part-workers") + 1] == "2"
        assert cmd[cmd.index("--folder") + 1] == "/src"
        assert EMU_SECRET_KEY not in " ".join(cmd)  # the key pair travels in the environment
    assert transfer.env()["AWS_SECRET_ACCESS_KEY"] == EMU_SECRET_KEY
    lanes = transfer.lane_command(URL, "transfer/lanes/cassdk/1/", folder, 8, 40e6, {"High": 3, "Low": 1})
    assert lanes[lanes.index("--op") + 1] == "lanes"
    assert lanes[lanes.index("--rate") + 1] == "40000000"
    assert lanes[-4:] == ["--lane", "High=3", "--lane", "Low=1"]


def test_lane_plans_keep_every_lane_busy_then_leave_low_alone() -> None:
    plan = transfer.lane_plan(40e6, 20, 5, MiB)
    assert plan == {"High": 535, "Normal": 191, "Low": 229}
    # at 70 / 25 % of the rate High and Normal need the same time; Low needs 5 s more alone
    high_s, normal_s = plan["High"] * MiB / (0.7 * 40e6), plan["Normal"] * MiB / (0.25 * 40e6)
    assert high_s == pytest.approx(normal_s, rel=0.01)
    assert (plan["Low"] * MiB - 0.05 * 40e6 * 20) / 40e6 == pytest.approx(5, rel=0.01)
    assert transfer.lane_plan(1e6, 0.001, 0, MiB) == {"High": 1, "Normal": 1, "Low": 1}


def _samples() -> List[List[Any]]:
    """Four 0.5 s windows at 70/25/5 (the third one off: Low got nothing), one in which High and
    Normal finish, then two with Low alone, at 40 MB/s."""
    per = [14e6, 5e6, 1e6]
    moves = [per, per, [15e6, 5e6, 0.0], per, [3e6, 1e6, 16e6], [0.0, 0.0, 20e6], [0.0, 0.0, 20e6]]
    done = [False, False, False]
    samples: List[List[Any]] = [[0.0, [0.0, 0.0, 0.0], list(done)]]
    for i, move in enumerate(moves, 1):
        if i == 5:
            done = [True, True, False]
        if i == 7:
            done = [True, True, True]
        last = samples[-1][1]
        samples.append([i * 0.5, [a + b for a, b in zip(last, move)], list(done)])
    return samples


def test_windows_name_their_busy_lanes_and_expect_each_its_proportion_of_theirs() -> None:
    fine = transfer.windows(_samples(), LANES, SHARES)
    assert [w["phase"] for w in fine] == ["High+Normal+Low"] * 4 + ["transition", "Low", "transition"]
    assert fine[0]["shares"] == pytest.approx({"High": 0.7, "Normal": 0.25, "Low": 0.05})
    assert fine[0]["mbps"] == pytest.approx(40.0)
    assert fine[5]["expected"] == {"High": 0.0, "Normal": 0.0, "Low": 1.0}
    assert transfer.deviation(fine[0]) == pytest.approx(0.0)
    assert transfer.deviation(fine[2]) == pytest.approx(5.0)  # Low: 0 % instead of 5 %
    coarse = transfer.windows(_samples(), LANES, SHARES, 2)
    assert [(w["t0"], w["t1"]) for w in coarse] == [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0), (3.0, 3.5)]
    two = transfer.windows(
        [[0.0, [0, 0, 0], [True, False, False]], [1.0, [0, 5, 1], [True, False, False]]], LANES, SHARES
    )
    assert two[0]["phase"] == "Normal+Low"
    assert two[0]["expected"]["Normal"] == pytest.approx(0.25 / 0.30)


def test_phases_sum_their_windows_and_keep_the_worst_ones() -> None:
    fine = transfer.windows(_samples(), LANES, SHARES)
    coarse = transfer.windows(_samples(), LANES, SHARES, 2)
    found = {p["phase"]: p for p in transfer.phases(fine, coarse, LANES)}
    assert set(found) == {"High+Normal+Low", "Low"}  # transitions left out
    busy = found["High+Normal+Low"]
    assert busy["windows"] == 4
    assert busy["seconds"] == pytest.approx(2.0)
    assert busy["mbps"] == pytest.approx(40.0)
    assert busy["shares"]["Low"] == pytest.approx(3 / 80, abs=1e-4)
    assert busy["overall_pp"] == pytest.approx(1.25)
    assert (busy["worst_pp"], busy["worst_at"]) == (pytest.approx(5.0), 1.5)
    assert busy["smooth_pp"] == pytest.approx(2.5)  # the 1-2 s window: Low 1 of 40 MB
    assert found["Low"]["shares"]["Low"] == 1.0
    assert found["Low"]["overall_pp"] == 0.0


def test_a_lane_run_is_summarised_with_its_chart_and_resolution() -> None:
    client = {"lanes": LANES, "proportions": SHARES, "samples": _samples(), "transfer_s": 3.5, "rate": 40e6}
    summary = transfer.lane_summary(client, MiB)
    assert summary["quantum_pp"] == pytest.approx(5.24, abs=0.01)
    assert len(summary["chart"]) == 7
    assert summary["chart_step_s"] == 0.5
    long_run = {**client, "samples": [[i * 0.5, [i * 14, i * 5, i], [False] * 3] for i in range(100)]}
    assert len(transfer.lane_summary(long_run, MiB)["chart"]) <= transfer.CHART_ROWS


def test_bars_fill_the_width_in_proportion() -> None:
    assert transfer.bar({"High": 0.7, "Normal": 0.25, "Low": 0.05}) == "H" * 28 + "N" * 10 + "L" * 2
    assert len(transfer.bar({"High": 0.69, "Normal": 0.26, "Low": 0.05}, 7)) == 7
    assert transfer.bar({"High": 0.0, "Normal": 0.0, "Low": 0.0}) == ""


def test_stored_files_are_checked_by_name_size_and_sha256(tmp_path: Path) -> None:
    names = ["a.bin", "b.bin"]
    src = {"names": names, "sha256": {n: hashlib.sha256(n.encode() * 4).hexdigest() for n in names}}
    for n in names:
        (tmp_path / n).write_bytes(n.encode() * 4)
    assert transfer.check_stored(tmp_path, src, 20) is None
    assert transfer.check_stored(tmp_path / "none", src, 20) == "nothing stored under the prefix"
    (tmp_path / "b.bin").write_bytes(b"x" * 20)
    assert transfer.check_stored(tmp_path, src, 20) == "1 of 2 stored files differ from the source"
    (tmp_path / "c.bin").write_bytes(b"")
    assert transfer.check_stored(tmp_path, src, 20) == "0 of 2 files missing, 1 unexpected"


def _stat(value: float) -> Dict[str, float]:
    return {"med": value, "min": value * 0.9, "max": value * 1.1, "n": 3}


def _row(tool: str, files: float, cpu: float, rss: float) -> Dict[str, Any]:
    case = transfer.Case("small", 10000, 64 * 1024, 0)
    return {
        "tool": tool, "name": transfer.tool_name(tool, case, 8), "part_mib": None, "n": 3, "ok": 3,
        "redone": 0, "noisy_kept": 0, "files": _stat(files), "mbps": _stat(files * 0.065536),
        "wall": {"med": 10000 / files}, "xfer_files": {"med": files * 1.1}, "cpu_s": {"med": cpu},
        "user_s": {"med": cpu * 0.8}, "sys_s": {"med": cpu * 0.2}, "rss": {"med": rss},
        "server_s": {"med": 4.0}, "foreign": {"med": 0.0},
    }  # fmt: skip


def _data() -> Dict[str, Any]:
    client = {"lanes": LANES, "proportions": SHARES, "samples": _samples(), "transfer_s": 3.5, "rate": 40e6}
    small = {"name": "small", "count": 10000, "size": 64 * 1024, "part_workers": 0, "label": "10000x64k"}
    return {
        "workers": 8,
        "state": "cold",
        "cases": [
            {**small, "rows": [_row("cassdk", 600.0, 10.0, 60.0), _row("s5cmd", 800.0, 5.0, 25.0)]},
        ],
        "lanes": {
            "rate_mbps": 40.0,
            "file_kib": 1024,
            "plan": {"High": 535, "Normal": 191, "Low": 229},
            "interval_s": 0.5,
            "smooth_s": 2.0,
            "runs": [transfer.lane_summary(client, MiB)],
        },
        "raw": [],
        "failed": [],
    }


def test_the_report_shows_the_cases_the_ratios_to_s5cmd_and_the_lane_shares() -> None:
    lines = transfer.render(_data(), {})
    text = "\n".join(lines)
    assert lines[0].startswith("## 11. Transfer manager")
    assert "### (small) 10,000 files of 64 KiB" in text
    assert (
        "| **cassdk_like** `TransferManager` (1 manifest, 1 transfer, 8 workers) | **600.0** (540.0-660.0)"
        in text
    )
    ratio = "| small (10000x64k) | **cassdk_like** `TransferManager` (1 manifest, 1 transfer, 8 workers) |"
    assert ratio + " 0.75 | 2.00 | 2.40 |" in text  # files/s, CPU s and peak RSS over s5cmd's
    busy = "| 1 | High, Normal, Low | 2.0 | 40.0 (40) | 71.2 % (70.0 %) | 25.0 % (25.0 %) | 3.8 % (5.0 %) |"
    assert busy + " **1.2** | 5.0 | 1.2 |" in text
    assert "Low alone (0.5 s): **40.0 MB/s**, 100.0 % of the cap." in text
    chart = lines[lines.index("```text") : lines.index("```")]
    assert len(chart) == 1 + 1 + 7  # the fence, the head, one row per window
    assert "|" + "H" * 28 + "N" * 10 + "L" * 2 + "|" in chart[2]
    assert "(a lane finished)" in chart[6]
    assert "the Python emulator would be the bottleneck" in text


def test_a_report_without_s5cmd_or_lanes_leaves_those_parts_out() -> None:
    data = _data()
    data["cases"][0]["rows"] = data["cases"][0]["rows"][:1]
    del data["lanes"]
    text = "\n".join(transfer.render(data, {}))
    assert "0.75" not in text
    assert "(lanes)" not in text
