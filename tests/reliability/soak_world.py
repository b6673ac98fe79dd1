"""The fault soak: many verified uploads and downloads against the emulator's random faults.

Used by ``test_fault_soak.py`` (CI size) and ``soak_long.py`` (one command, larger). One *pair* is an
upload of a fresh file followed by the retrieval and download of that archive: two transfers.

Faults (``Emulator.faults``, probabilistic rules drawn from a seeded generator, armed afresh for each
transfer and reset after it):

* about ``fail_rate`` of all requests answer 503, 500, 408 RequestTimeoutException or 400
  ThrottlingException, some with ``Retry-After``;
* about ``cut_rate`` of the job-output bodies (Get Job Output) are cut mid-way;
* about ``latency_rate`` of the requests wait a few milliseconds first.

Each transfer gets at most ``total_attempts - 1`` injected failures (fails + cuts), so even if every
one of them landed on the same request the retry policy could absorb them: the soak proves that every
injected fault is survived, not that the dice were kind.  The plan (sizes, dialects, workers, which
fault kinds with which budget) is fixed by the seed; which request a fault lands on depends on thread
timing, so the totals move by a few from run to run.

What every transfer must show (``SoakFailure`` otherwise):

* the bytes: downloads report ``verified=True`` with the source's tree hash, the SHA-256 of the file
  equals the source's, and the service's tree hash of the uploaded archive equals the local one;
* the folders: the source and destination folders hold exactly the expected file (no partial file,
  journal or temporary file), and the vault has no multipart upload left over;
* the attempts: every part was stored and every byte of the output served successfully exactly
  once, each part or run of pieces (downloads use the engine's request sizes: one request covers a
  run of consecutive pieces, and half of them its default 8 MiB pieces) took at most
  ``total_attempts`` requests, every request beyond the minimum is explained by an injected fault
  (one fault, one extra request), the client sent exactly the requests the server saw, and progress
  never went backwards and ended at the size.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import attrs

from cassdk_like import CasAPI, CASClient, RetryPolicy, TransferConfig, Vault
from cassdk_like.emulator import Emulator
from tests.reliability.soak_common import (
    FailVariant,
    FaultPlan,
    KiB,
    Ledger,
    MiB,
    Progress,
    RequestLog,
    Seen,
    SoakFailure,
    Tally,
    check,
    common_summary,
    draw_fault_plan,
    draw_sizes,
    file_hashes,
    make_file,
    range_header,
)
from tests.reliability.soak_common import arm as arm_faults

__all__ = [
    "FAIL_VARIANTS",
    "SOAK_POLICY",
    "PairPlan",
    "Soak",
    "SoakFailure",
    "SoakSettings",
    "arm",
    "byte_range",
    "plan_soak",
    "run_soak",
    "summary_line",
    "write_summary",
]

#: (label, status, code, retry_after?, weight): the failure answers a transfer can get
FAIL_VARIANTS: Tuple[FailVariant, ...] = (
    ("503 ServiceUnavailable", 503, None, False, 3),
    ("500 InternalError", 500, None, False, 2),
    ("408 RequestTimeoutException", 408, "RequestTimeoutException", False, 2),
    ("400 ThrottlingException", 400, "ThrottlingException", False, 2),
    ("503 ServiceUnavailable + Retry-After", 503, None, True, 1),
    ("400 ThrottlingException + Retry-After", 400, "ThrottlingException", True, 1),
)

#: the default policy's 5 attempts, with quick backoff so the run stays short
SOAK_POLICY = RetryPolicy(total_attempts=5, backoff_base=0.01, backoff_cap=0.05, max_retry_after=2.0)


@attrs.frozen(kw_only=True)
class SoakSettings:
    """How big the soak is and how hostile the service; ``pairs`` x 2 transfers."""

    pairs: int = 75
    seed: int = 20240617
    min_size: int = 512 * KiB
    max_size: int = 40 * MiB
    fail_rate: float = 0.10
    cut_rate: float = 0.05
    latency_rate: float = 0.2
    latency_max: float = 0.02
    retry_after: float = 1.0
    single_threshold: int = 4 * MiB
    max_units: int = 32
    #: share of downloads with the engine's default piece size (8 MiB); the others use 1-4 MiB
    #: pieces; every download's requests are sized by the engine (runs of pieces, up to 64 MiB)
    default_piece_share: float = 0.5
    workers: Tuple[int, ...] = (2, 3, 4)
    policy: RetryPolicy = SOAK_POLICY

    @property
    def fault_budget(self) -> int:
        return self.policy.total_attempts - 1


@attrs.frozen
class PairPlan:
    index: int
    size: int
    data_seed: int
    up_dialect: str
    down_dialect: str
    up_workers: int
    down_workers: int
    part_size: int
    piece_size: int  # 0: the engine's default
    up_faults: FaultPlan
    down_faults: FaultPlan

    @property
    def multipart(self) -> bool:
        return self.part_size > 0


# -- planning -------------------------------------------------------------------------------------


def _unit_size(rng: random.Random, size: int, max_units: int) -> int:
    """A part / piece size: 1 MiB x 2^n with at most ``max_units`` units, one of the two smallest."""
    sizes = [MiB << n for n in range(14) if math.ceil(size / (MiB << n)) <= max_units]
    return rng.choice(sizes[:2])


def _sizes(rng: random.Random, settings: SoakSettings) -> List[int]:
    """Edges first (smallest, largest, around leaf and part boundaries), then log-uniform sizes."""
    lo, hi = settings.min_size, settings.max_size
    edges = [lo, hi, 8 * MiB + 1, 16 * MiB - 1, 3 * MiB, 5 * MiB + 12345]
    return draw_sizes(rng, settings.pairs, lo, hi, edges)


def _fault_plan(
    rng: random.Random, settings: SoakSettings, *, cuts: bool, size: int, piece: int
) -> FaultPlan:
    return draw_fault_plan(rng, settings, FAIL_VARIANTS, cuts=cuts, body=min(piece, size))


def plan_soak(settings: SoakSettings) -> List[PairPlan]:
    rng = random.Random(settings.seed)
    # a generator of its own, so the rest of the plan (sizes, faults) does not depend on this choice
    defaults = random.Random(settings.seed ^ 0x5EED)
    dialects = [("cas", "cas"), ("glacier", "glacier"), ("cas", "glacier"), ("glacier", "cas")]
    plans = []
    for index, size in enumerate(_sizes(rng, settings)):
        up, down = dialects[index % len(dialects)]
        multipart = size > settings.single_threshold
        part = _unit_size(rng, size, settings.max_units) if multipart else 0
        piece = _unit_size(rng, size, settings.max_units)
        engine_default = defaults.random() < settings.default_piece_share
        plans.append(
            PairPlan(
                index=index,
                size=size,
                data_seed=rng.getrandbits(32),
                up_dialect=up,
                down_dialect=down,
                up_workers=rng.choice(settings.workers),
                down_workers=rng.choice(settings.workers),
                part_size=part,
                piece_size=0 if engine_default else piece,
                up_faults=_fault_plan(rng, settings, cuts=False, size=size, piece=piece),
                down_faults=_fault_plan(rng, settings, cuts=True, size=size, piece=piece),
            )
        )
    return plans


def arm(emu: Emulator, plan: FaultPlan) -> None:
    arm_faults(emu, plan, cut_operation="GetJobOutput")


# -- what the server saw --------------------------------------------------------------------------


def byte_range(request: Any) -> Tuple[Optional[int], Optional[int]]:
    """(first, last) byte of a part (Content-Range) or a ranged read (Range); None when absent."""
    if request.operation == "UploadMultipartPart":
        value = request.headers.get("content-range", "")  # bytes a-b/*
        return range_header(value, "bytes ") if value.startswith("bytes ") else (None, None)
    if request.operation == "GetJobOutput":
        return range_header(request.headers.get("range", ""), "bytes=")  # bytes=a-b
    return None, None


# -- the run --------------------------------------------------------------------------------------


class Soak:
    """Runs the planned pairs against one emulator and keeps the tally."""

    def __init__(
        self,
        emu: Emulator,
        settings: SoakSettings,
        workdir: Path,
        echo: Optional[Callable[[str], None]] = None,
    ) -> None:
        self.emu = emu
        self.settings = settings
        self.src = workdir / "src"
        self.dst = workdir / "dst"
        self.src.mkdir(parents=True, exist_ok=True)
        self.dst.mkdir(parents=True, exist_ok=True)
        self.echo = echo
        self.tally = Tally()
        self.ledger = Ledger(settings.policy, self.tally, cut_operation="GetJobOutput")
        self.log = RequestLog(emu, byte_range)
        emu.faults.seed(settings.seed)
        self.clients = {
            dialect: CASClient(
                emu.endpoint,
                emu.appid,
                emu.secret_id,
                emu.secret_key,
                dialect=dialect,
                retry_policy=settings.policy,
                max_pool_size=max(settings.workers) + 2,
            )
            for dialect in ("cas", "glacier")
        }
        self.apis = {dialect: CasAPI(client) for dialect, client in self.clients.items()}
        self.vault_name = "soak"
        Vault.create(self.apis["cas"], self.vault_name)
        self.vaults = {d: Vault.get_vault_by_name(api, self.vault_name) for d, api in self.apis.items()}

    def close(self) -> None:
        for client in self.clients.values():
            client.close()

    def run(self) -> Dict[str, Any]:
        started = time.monotonic()
        plans = plan_soak(self.settings)
        for plan in plans:
            self.pair(plan)
            if self.echo is not None and (plan.index + 1) % 10 == 0:
                self.echo(f"  {plan.index + 1}/{len(plans)} pairs, {self.tally.transfers} transfers ok")
        check(
            sorted(os.listdir(self.src)) == [] and sorted(os.listdir(self.dst)) == [],
            "work folders not empty",
        )
        return self.summary(time.monotonic() - started)

    # -- one pair -------------------------------------------------------------------------------

    def pair(self, plan: PairPlan) -> None:
        name = f"f{plan.index:04d}"
        src, dst = self.src / name, self.dst / f"{name}.out"
        sha, tree = make_file(src, plan.size, plan.data_seed)
        archive_id = self.upload(plan, src, name)
        check(
            sorted(os.listdir(self.src)) == [name], f"pair {plan.index}: upload left {os.listdir(self.src)}"
        )
        self.download(plan, archive_id, dst, sha, tree)
        check(
            sorted(os.listdir(self.dst)) == [dst.name],
            f"pair {plan.index}: download left {os.listdir(self.dst)}",
        )
        src.unlink()
        dst.unlink()
        self.vaults["cas"].delete_archive(archive_id)  # keeps the emulator's disk small
        self.tally.add_size(plan.size)

    def _transfer(
        self, plan: FaultPlan, dialect: str, action: Callable[[], Any]
    ) -> Tuple[Any, List[Seen], int]:
        client = self.clients[dialect].transport
        before = client.request_count
        arm(self.emu, plan)
        mark = self.log.mark()
        try:
            result = action()
        finally:
            self.emu.faults.reset()
        return result, self.log.since(mark), client.request_count - before

    def upload(self, plan: PairPlan, src: Path, name: str) -> str:
        what = f"pair {plan.index} upload ({plan.up_dialect}, {plan.size} bytes)"
        vault = self.vaults[plan.up_dialect]
        progress = Progress()
        config = TransferConfig(
            max_workers=plan.up_workers,
            part_size=plan.part_size or None,
            retry_policy=self.settings.policy,
            poll_interval=0.02,
            progress_interval=0.0,
        )

        def action() -> str:
            return vault.upload_archive(
                str(src),
                f"soak {name}",
                part_size=plan.part_size or None,
                threshold=self.settings.single_threshold,
                config=config,
                progress=progress,
            )

        archive_id, seen, attempts = self._transfer(plan.up_faults, plan.up_dialect, action)
        progress.check(plan.size, what)
        if plan.multipart:
            units = math.ceil(plan.size / plan.part_size)
            expected = {
                "InitiateMultipartUpload": 1,
                "ListParts": 1,
                "UploadMultipartPart": units,
                "CompleteMultipartUpload": 1,
            }
            self.ledger.account(
                what, seen, attempts, expected, "UploadMultipartPart", plan.part_size, units, plan.up_faults
            )
            self.tally.multipart_uploads += 1
        else:
            self.ledger.account(what, seen, attempts, {"UploadArchive": 1}, None, 0, 0, plan.up_faults)
        uploads = self.vaults["cas"].list_all_multipart_uploads()
        check(uploads == [], f"{what}: multipart uploads left in the vault: {uploads}")
        self.tally.uploads += 1
        self.tally.count(plan.up_dialect)
        return archive_id

    def download(self, plan: PairPlan, archive_id: str, dst: Path, sha: str, tree: str) -> None:
        what = f"pair {plan.index} download ({plan.down_dialect}, {plan.size} bytes)"
        vault = self.vaults[plan.down_dialect]
        progress = Progress()
        config = TransferConfig(
            max_workers=plan.down_workers,
            # request sizes are the engine's (runs of pieces): the accounting follows each run
            **({"piece_size": plan.piece_size} if plan.piece_size else {}),
            retry_policy=self.settings.policy,
            poll_interval=0.02,
            progress_interval=0.0,
        )
        tier = "Expedited" if plan.size <= 256 * MiB else "Standard"
        jobs: List[Any] = []

        def action() -> Any:
            job = vault.retrieve_archive(archive_id, f"soak {plan.index}", tier=tier)
            jobs.append(job)
            return job.download_to_file(str(dst), config=config, progress=progress)

        result, seen, attempts = self._transfer(plan.down_faults, plan.down_dialect, action)
        check(jobs[0].retrieval_etag == tree, f"{what}: the service's archive tree hash is not the local one")
        self.tally.bytes_uploaded_verified += plan.size
        check(result.verified, f"{what}: not verified: {result}")
        check(
            (result.size, result.tree_hash) == (plan.size, tree), f"{what}: wrong size or tree hash: {result}"
        )
        got_sha, got_tree = file_hashes(dst)
        check((got_sha, got_tree) == (sha, tree), f"{what}: the downloaded bytes differ from the source")
        progress.check(plan.size, what)
        piece = config.piece_size_for(plan.size)
        units = math.ceil(plan.size / piece)
        expected = {"InitiateJob": 1, "DescribeJob": 1}
        self.ledger.account(
            what, seen, attempts, expected, "GetJobOutput", piece, units, plan.down_faults, size=plan.size
        )
        self.tally.default_piece_downloads += not plan.piece_size
        self.tally.downloads += 1
        self.tally.bytes_downloaded_verified += plan.size
        self.tally.count(plan.down_dialect)

    # -- the report -----------------------------------------------------------------------------

    def summary(self, elapsed: float) -> Dict[str, Any]:
        summary = common_summary(self.tally, self.settings.seed, self.settings.policy, elapsed)
        summary["job_output_bodies"] = self.tally.cuttable_bodies
        summary["downloads_with_default_piece_size"] = self.tally.default_piece_downloads
        return summary


def summary_line(summary: Dict[str, Any]) -> str:
    kinds = ", ".join(f"{k}: {v}" for k, v in summary["faults_by_kind"].items())
    gib = summary["bytes_verified"] / (1024 * MiB)
    return (
        f"fault soak: {summary['transfers']} transfers ({summary['uploads']} uploads,"
        f" {summary['downloads']} downloads; {summary['transfers_by_dialect']}), {gib:.2f} GiB verified,"
        f" {summary['requests']} requests, {summary['failed_requests']} failed"
        f" ({summary['failed_request_rate']:.1%}), {summary['bodies_cut']} of {summary['job_output_bodies']}"
        f" job-output bodies cut ({summary['cut_rate']:.1%}), {summary['requests_delayed']} delayed;"
        f" [{kinds}]; {summary['retries_and_resumes']} retries/resumes, at most"
        f" {summary['max_requests_per_part_or_request']} of {summary['total_attempts']} attempts per request"
        f" or part; {summary['elapsed_seconds']} s"
    )


def write_summary(path: Path, summary: Dict[str, Any]) -> None:
    path.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def run_soak(
    emu: Emulator, settings: SoakSettings, workdir: Path, echo: Optional[Callable[[str], None]] = None
) -> Dict[str, Any]:
    soak = Soak(emu, settings, workdir, echo)
    try:
        return soak.run()
    finally:
        soak.close()
