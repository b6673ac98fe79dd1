"""The fault soak (CI size): 150 verified transfers through random faults on a fixed seed.

The work is in ``soak_world.py`` on ``soak_common.py`` (shared with the longer ``python -m
tests.reliability.soak_long``); every transfer is checked there (bytes, folders, attempts) and a
broken promise raises ``SoakFailure`` naming the transfer.  This file runs it, checks that the
faults really happened at the intended rates and that the checks themselves catch what they are
meant to, and reports the figures: a line in pytest's summary and ``fault-soak-summary.json`` in
pytest's base temp folder.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable, List

import attrs
import pytest

from cassdk_like.emulator import Emulator
from tests.reliability.soak_common import FaultPlan, MiB, Seen, SoakFailure
from tests.reliability.soak_world import (
    FAIL_VARIANTS,
    Soak,
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
    # downloads ran with the engine's request sizes: runs of several pieces, faults among them
    defaults = sum(not p.piece_size for p in plans)
    assert summary["downloads_with_default_piece_size"] == defaults >= SETTINGS.pairs // 4
    assert summary["download_runs_of_several_pieces"] >= SETTINGS.pairs // 4
    assert summary["download_runs"] < summary["parts_and_pieces"]
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
    fails=(), cut_count=2, cut_probability=0.05, cut_after=10, latency=0.0, latency_probability=0.1
)
EXPECTED = {"InitiateJob": 1, "DescribeJob": 1}  # the ranged reads are counted run by run
SIZE = 3 * MiB + 5  # 4 pieces of 1 MiB, the last one short


def _good() -> List[Seen]:
    """Piece 0 alone, then a run of pieces 1-2 cut after 10 bytes and resumed, then the short last."""
    return [
        Seen("InitiateJob", None, "ok"),
        Seen("DescribeJob", None, "ok"),
        Seen("GetJobOutput", 0, "ok", end=MiB - 1),
        Seen("GetJobOutput", MiB, "cut", "cut", end=3 * MiB - 1, delivered=10),
        Seen("GetJobOutput", MiB + 10, "ok", end=3 * MiB - 1),
        Seen("GetJobOutput", 3 * MiB, "fail", "503", end=SIZE - 1),
        Seen("GetJobOutput", 3 * MiB, "ok", end=SIZE - 1),
    ]


def _account(checker: Soak, what: str, seen: List[Seen], attempts: int, plan: FaultPlan = PLAN) -> None:
    checker.ledger.account(what, seen, attempts, EXPECTED, "GetJobOutput", MiB, 4, plan, size=SIZE)


@pytest.fixture
def checker(tmp_path: Path) -> Soak:
    with Emulator(job_delay_scale=0) as emu:
        soak = Soak(emu, SETTINGS, tmp_path)
        soak.close()
        return soak


def test_a_consistent_transfer_passes_the_accounting(checker: Soak) -> None:
    _account(checker, "t", _good(), 7)
    tally = checker.tally
    assert (tally.requests, tally.cuts, tally.fails, tally.max_requests_per_unit) == (7, 1, 1, 2)
    assert (tally.runs, tally.multi_piece_runs, tally.units) == (3, 1, 4)


def _shifted(seen: List[Seen], index: int, **changes: object) -> List[Seen]:
    return [attrs.evolve(s, **changes) if i == index else s for i, s in enumerate(seen)]


@pytest.mark.parametrize(
    ("why", "seen", "attempts", "says"),
    [
        ("a piece served twice", [*_good(), Seen("GetJobOutput", 0, "ok", end=MiB - 1)], 8, "served 2 times"),
        ("a run never finished", [*_good()[:4], *_good()[5:]], 6, "served 0 times"),
        ("a run resumed from the wrong byte", _shifted(_good(), 4, start=MiB + 11), 7, "expected from"),
        ("a run that is not whole pieces", _shifted(_good(), 2, end=MiB - 2), 7, "not whole"),
        (
            "runs that overlap",
            [*_good()[:2], Seen("GetJobOutput", 0, "ok", end=2 * MiB - 1), *_good()[3:]],
            7,
            "exactly once",
        ),
        ("an answer no fault explains", [*_good(), Seen("DescribeJob", None, "error")], 8, "unexpected"),
        (
            "a retry without a fault",
            [*_good()[:2], Seen("InitiateJob", None, "ok"), *_good()[2:]],
            8,
            "successful",
        ),
        ("client and server disagree", _good(), 8, "the client sent 8"),
        ("more faults than armed", [Seen("InitiateJob", None, "fail", "503"), *_good()], 8, "more than"),
    ],
)
def test_the_accounting_catches(checker: Soak, why: str, seen: List[Seen], attempts: int, says: str) -> None:
    with pytest.raises(SoakFailure, match=says):
        _account(checker, why, seen, attempts)


def test_a_run_retried_past_the_policy_is_caught(checker: Soak) -> None:
    attempts = SETTINGS.policy.total_attempts
    failing = [Seen("GetJobOutput", 0, "fail", "503", end=MiB - 1) for _ in range(attempts)]
    plan = FaultPlan((), 9, 1.0, 10, 0.0, 0.0)  # armed generously: only the per-run bound can object
    seen = [*_good()[:2], *failing, *_good()[2:]]
    with pytest.raises(SoakFailure, match=r"took 6 requests"):
        _account(checker, "t", seen, len(seen), plan)
