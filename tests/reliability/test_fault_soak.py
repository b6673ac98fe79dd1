"""The fault soak (CI size): 150 verified transfers through random faults on a fixed seed.

The work is in ``soak_world.py`` (shared with the longer ``python -m tests.reliability.soak_long``);
every transfer is checked there (bytes, folders, attempts) and a broken promise raises
``SoakFailure`` naming the transfer.  This file runs it, checks that the faults really happened at
the intended rates and that the checks themselves catch what they are meant to, and reports the
figures: a line in pytest's summary and ``fault-soak-summary.json`` in pytest's base temp folder.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable, List

import pytest

from cassdk_like.emulator import Emulator
from tests.reliability.soak_world import (
    FAIL_VARIANTS,
    FaultPlan,
    MiB,
    Seen,
    Soak,
    SoakFailure,
    SoakSettings,
    plan_soak,
    run_soak,
    summary_line,
    write_summary,
)

#: long-running: deselect with ``-m 'not slow'`` (still part of the default run)
pytestmark = pytest.mark.slow

SETTINGS = SoakSettings()  # 75 pairs = 150 transfers, 0.5-40 MiB, seed 20240617


@pytest.mark.timeout(290)
def test_fault_soak(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, reliability_report: Callable[[str], None]
) -> None:
    with Emulator(job_delay_scale=0) as emu:
        summary = run_soak(emu, SETTINGS, tmp_path / "work")
    path = tmp_path_factory.getbasetemp() / "fault-soak-summary.json"
    write_summary(path, summary)
    reliability_report(summary_line(summary))
    reliability_report(f"fault soak figures: {path}")

    plans = plan_soak(SETTINGS)
    assert summary["transfers"] == 2 * SETTINGS.pairs >= 100
    assert summary["uploads"] == summary["downloads"] == SETTINGS.pairs
    assert summary["multipart_uploads"] == sum(p.multipart for p in plans) >= SETTINGS.pairs // 2
    assert (summary["smallest_bytes"], summary["largest_bytes"]) == (512 * 1024, 40 * MiB)
    assert summary["sizes_not_mib_multiple"] >= SETTINGS.pairs // 2
    assert min(summary["transfers_by_dialect"].values()) >= SETTINGS.pairs // 2  # both dialects, evenly
    assert summary["bytes_verified"] == 2 * sum(p.size for p in plans)
    # the faults happened, at about the intended rates, of every kind
    assert 0.06 <= summary["failed_request_rate"] <= 0.14
    assert 0.02 <= summary["cut_rate"] <= 0.10
    assert summary["requests_delayed"] >= summary["requests"] * SETTINGS.latency_rate / 2
    kinds = summary["faults_by_kind"]
    assert {label for label, *_ in FAIL_VARIANTS} <= set(kinds), kinds
    assert kinds["cut"] == summary["bodies_cut"] >= 10
    assert summary["retries_and_resumes"] == summary["faults_injected"]
    # within the retry policy's bounds
    assert 2 <= summary["max_requests_per_part_or_request"] <= SETTINGS.policy.total_attempts
    assert summary["max_faults_in_one_transfer"] <= SETTINGS.fault_budget


def test_the_plan_is_fixed_by_the_seed_and_never_exceeds_the_retry_budget() -> None:
    plans = plan_soak(SETTINGS)
    assert plans == plan_soak(SETTINGS)
    assert plans != plan_soak(SoakSettings(seed=SETTINGS.seed + 1))
    assert len(plans) == SETTINGS.pairs
    for plan in plans:
        for faults in (plan.up_faults, plan.down_faults):
            assert faults.budget == SETTINGS.policy.total_attempts - 1
        assert plan.up_faults.cut_count == 0  # cuts are for job-output bodies
        assert SETTINGS.min_size <= plan.size <= SETTINGS.max_size
        if plan.multipart:
            assert math.ceil(plan.size / plan.part_size) <= SETTINGS.max_units
    assert {(p.up_dialect, p.down_dialect) for p in plans} == {
        ("cas", "cas"), ("glacier", "glacier"), ("cas", "glacier"), ("glacier", "cas"),
    }  # fmt: skip


# -- the checks catch what they are meant to catch --------------------------------------------------

PLAN = FaultPlan(
    fails=(), cut_count=1, cut_probability=0.05, cut_after=10, latency=0.0, latency_probability=0.1
)
EXPECTED = {"InitiateJob": 1, "DescribeJob": 1, "GetJobOutput": 3}


def _good() -> List[Seen]:
    return [
        Seen("InitiateJob", None, "ok"),
        Seen("DescribeJob", None, "ok"),
        Seen("GetJobOutput", 0, "ok"),
        Seen("GetJobOutput", MiB, "cut", "cut"),
        Seen("GetJobOutput", MiB + 10, "ok"),
        Seen("GetJobOutput", 2 * MiB, "ok"),
    ]


@pytest.fixture
def checker(tmp_path: Path) -> Soak:
    with Emulator(job_delay_scale=0) as emu:
        soak = Soak(emu, SETTINGS, tmp_path)
        soak.close()
        return soak


def test_a_consistent_transfer_passes_the_accounting(checker: Soak) -> None:
    checker._account("t", _good(), 6, EXPECTED, "GetJobOutput", MiB, 3, PLAN)
    assert (checker.tally.requests, checker.tally.cuts, checker.tally.max_requests_per_unit) == (6, 1, 2)


@pytest.mark.parametrize(
    ("why", "seen", "attempts", "says"),
    [
        ("a piece served twice", [*_good(), Seen("GetJobOutput", 0, "ok")], 7, "successful requests"),
        ("a piece never served", _good()[:-1], 5, "successful requests"),
        ("an answer no fault explains", [*_good(), Seen("DescribeJob", None, "error")], 7, "unexpected"),
        (
            "a retry without a fault",
            [*_good()[:2], Seen("InitiateJob", None, "ok"), *_good()[2:]],
            7,
            "successful",
        ),
        ("client and server disagree", _good(), 7, "the client sent 7"),
        ("more faults than armed", [Seen("InitiateJob", None, "fail", "503"), *_good()], 7, "more than"),
    ],
)
def test_the_accounting_catches(checker: Soak, why: str, seen: List[Seen], attempts: int, says: str) -> None:
    with pytest.raises(SoakFailure, match=says):
        checker._account(why, seen, attempts, EXPECTED, "GetJobOutput", MiB, 3, PLAN)


def test_a_part_retried_past_the_policy_is_caught(checker: Soak) -> None:
    failing = [Seen("GetJobOutput", 0, "fail", "503") for _ in range(SETTINGS.policy.total_attempts)]
    plan = FaultPlan((), 9, 1.0, 10, 0.0, 0.0)  # armed generously: only the per-piece bound can object
    seen = [*_good()[:2], *failing, *_good()[2:]]
    with pytest.raises(SoakFailure, match=r"took 6 requests"):
        checker._account("t", seen, len(seen), EXPECTED, "GetJobOutput", MiB, 3, plan)
