"""The bucket fault soak (CI size): 80 verified object transfers, S3 and COS, through random faults.

The work is in ``bucket_soak_world.py`` on ``soak_common.py`` (shared with the vault soak); every
transfer is checked there (bytes, ETag, folders, uploads left, attempts) and a broken promise
raises ``SoakFailure`` naming the transfer.  This file runs it, checks that the faults really
happened at the intended rates and of every kind, and reports the figures: a line in pytest's
summary and ``bucket-soak-summary.json`` in pytest's base temp folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, List, Optional

import attrs
import pytest

from cassdk_like.emulator import Emulator
from tests.reliability.bucket_soak_world import (
    BUCKET_FAIL_VARIANTS,
    COS_REGION,
    BucketSoakSettings,
    byte_range,
    plan_bucket_soak,
    run_bucket_soak,
    summary_line,
)
from tests.reliability.soak_common import FaultPlan, Ledger, MiB, Seen, SoakFailure, Tally
from tests.reliability.soak_world import write_summary

#: long-running: deselect with ``-m 'not slow'`` (still part of the default run)
pytestmark = pytest.mark.slow

SETTINGS = BucketSoakSettings()  # 40 pairs = 80 transfers, 0.5-24 MiB


@pytest.mark.timeout(240)
def test_bucket_fault_soak(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, reliability_report: Callable[[str], None]
) -> None:
    with Emulator(job_delay_scale=0, region=COS_REGION) as emu:
        summary = run_bucket_soak(emu, SETTINGS, tmp_path / "work")
    path = tmp_path_factory.getbasetemp() / "bucket-soak-summary.json"
    write_summary(path, summary)
    reliability_report(summary_line(summary))
    reliability_report(f"bucket soak figures: {path}")

    plans = plan_bucket_soak(SETTINGS)
    pairs = SETTINGS.pairs
    assert summary["transfers"] == 2 * pairs >= 80
    assert summary["uploads"] == summary["downloads"] == pairs
    # both kinds of upload, both dialects, evenly
    assert summary["multipart_uploads"] == sum(p.multipart for p in plans) >= pairs // 3
    assert summary["single_put_uploads"] == pairs - summary["multipart_uploads"] >= pairs // 4
    assert summary["transfers_by_dialect"] == {"cos": pairs, "s3": pairs}
    assert (summary["smallest_bytes"], summary["largest_bytes"]) == (SETTINGS.min_size, SETTINGS.max_size)
    assert summary["sizes_not_mib_multiple"] >= pairs // 2
    assert summary["bytes_verified"] == 2 * sum(p.size for p in plans)
    # downloads in several ranges each
    assert summary["download_runs"] >= 3 * pairs
    # the faults happened, at about the intended rates, of every kind
    assert 0.06 <= summary["failed_request_rate"] <= 0.14
    assert 0.02 <= summary["cut_rate"] <= 0.10
    assert summary["requests_delayed"] >= summary["requests"] * SETTINGS.latency_rate / 2
    kinds = summary["faults_by_kind"]
    assert {label for label, *_ in BUCKET_FAIL_VARIANTS} <= set(kinds), kinds
    assert kinds["cut"] == summary["bodies_cut"] >= 4
    assert summary["retries_and_resumes"] == summary["faults_injected"]
    # within the retry policy's bounds
    assert 2 <= summary["max_requests_per_part_or_request"] <= SETTINGS.policy.total_attempts
    assert summary["max_faults_in_one_transfer"] <= SETTINGS.fault_budget


def test_the_plan_is_fixed_by_the_seed_and_keeps_the_part_rules_and_the_retry_budget() -> None:
    plans = plan_bucket_soak(SETTINGS)
    assert plans == plan_bucket_soak(SETTINGS)
    assert plans != plan_bucket_soak(BucketSoakSettings(seed=SETTINGS.seed + 1))
    assert len(plans) == SETTINGS.pairs
    assert {p.dialect for p in plans} == {"s3", "cos"}
    for plan in plans:
        for faults in (plan.up_faults, plan.down_faults):
            assert faults.budget == SETTINGS.policy.total_attempts - 1
        assert plan.up_faults.cut_count == 0  # cuts are for Get Object bodies
        assert SETTINGS.min_size <= plan.size <= SETTINGS.max_size
        assert plan.multipart is (plan.size > SETTINGS.threshold(plan.dialect))
        assert plan.piece_size <= plan.request_size
        if plan.multipart and plan.dialect == "s3":
            assert plan.part_size == 5 * MiB
        elif plan.multipart:
            assert MiB <= plan.part_size <= 5 * MiB
    cos_parts = {p.part_size for p in plans if p.multipart and p.dialect == "cos"}
    assert any(size % MiB for size in cos_parts)  # odd byte counts
    assert any(size % MiB == 0 for size in cos_parts)  # and whole MiB


@attrs.frozen
class _Request:
    """The parts of the emulator's request that ``byte_range`` reads."""

    operation: str
    query: Dict[str, str]
    headers: Dict[str, str]

    def param(self, name: str) -> Optional[str]:
        return self.query.get(name)


def _request(operation: str, query: Dict[str, str], range_: Optional[str] = None) -> _Request:
    return _Request(operation, query, {"range": range_} if range_ is not None else {})


def test_parts_are_keyed_by_number_and_reads_by_their_range() -> None:
    assert byte_range(_request("UploadPart", {"partNumber": "3", "uploadId": "u"})) == (2, None)
    assert byte_range(_request("GetObject", {}, "bytes=1048576-2097151")) == (MiB, 2 * MiB - 1)
    assert byte_range(_request("HeadObject", {})) == (None, None)


# -- the accounting of numbered parts catches what it is meant to catch ------------------------------

PLAN = FaultPlan(fails=(), cut_count=0, cut_probability=0.0, cut_after=1, latency=0.0, latency_probability=0)
EXPECTED = {"CreateMultipartUpload": 1, "UploadPart": 3, "CompleteMultipartUpload": 1}


def _parts(*numbers: int) -> List[Seen]:
    return [
        Seen("CreateMultipartUpload", None, "ok"),
        *(Seen("UploadPart", n - 1, "ok") for n in numbers),
        Seen("CompleteMultipartUpload", None, "ok"),
    ]


def _account(seen: List[Seen], plan: FaultPlan = PLAN) -> Tally:
    tally = Tally()
    Ledger(SETTINGS.policy, tally, "GetObject").account(
        "t", seen, len(seen), EXPECTED, "UploadPart", 1, 3, plan
    )
    return tally


def test_numbered_parts_that_all_succeed_once_pass() -> None:
    assert _account(_parts(2, 1, 3)).units == 3


@pytest.mark.parametrize(
    ("why", "seen", "says"),
    [
        ("a part sent twice", _parts(1, 2, 2, 3), "successful requests"),
        ("a part never sent", _parts(1, 3), "successful requests"),
        ("a part number off the plan", _parts(1, 2, 4), "for units"),
    ],
)
def test_the_accounting_of_parts_catches(why: str, seen: List[Seen], says: str) -> None:
    with pytest.raises(SoakFailure, match=says):
        _account(seen)


def test_a_part_retried_past_the_policy_is_caught() -> None:
    attempts = SETTINGS.policy.total_attempts
    failing = [Seen("UploadPart", 0, "fail", "503 SlowDown") for _ in range(attempts)]
    plan = FaultPlan((), 9, 1.0, 1, 0.0, 0.0)  # armed generously: only the per-part bound can object
    seen = [*_parts(1, 2, 3)[:1], *failing, *_parts(1, 2, 3)[1:]]
    with pytest.raises(SoakFailure, match=r"took 6 requests"):
        _account(seen, plan)
