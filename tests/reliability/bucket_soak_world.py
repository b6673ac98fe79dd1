"""The bucket fault soak: verified uploads and downloads of objects through the emulator's random faults.

Used by ``test_bucket_soak.py``.  One *pair* uploads a fresh file with ``Bucket.upload_file`` (one
Put Object up to the dialect's threshold, 5 MiB on S3 and 2 MiB on COS, else a parallel multipart
upload: 5 MiB parts on S3, 1-5 MiB on COS) and downloads it again with ``Bucket.download_file``
in small pieces (1-2 MiB, requests of one piece or runs of up to 4 MiB), so every download makes
several ranged GETs.  Pairs alternate
between S3 (``endpoints["s3"]``) and COS (``endpoints["cos"]``), one long-lived client each.

The faults, the request record and the accounting are ``soak_common``'s, armed for the pair's
service only: about ``fail_rate`` of the requests fail (503 SlowDown, with and without
``Retry-After``; 503 ServiceUnavailable; 500 InternalError), about ``cut_rate`` of the Get Object
bodies are cut mid-way, ``latency_rate`` of the requests wait a few milliseconds; never more than
``total_attempts - 1`` faults per transfer, so the retry policy can always absorb them.

What every transfer must show (``SoakFailure`` otherwise):

* the bytes: the upload reports the source's size and SHA-256 and the service's ETag is the one
  computed here from the file (the MD5 of the bytes, or of the parts' MD5s and ``-N``); the
  download reports ``verified=True`` against the stored SHA-256, and the file's SHA-256 (computed
  apart from the SDK) is the source's;
* nothing left behind: the source folder holds only the source, the destination folder only the
  file (no partial file or journal), the bucket no multipart upload; at the end both are empty;
* the attempts: every part, run of pieces and call succeeded exactly once within
  ``total_attempts`` requests, each request beyond the minimum is explained by one injected
  fault, the client's request count equals what the server saw, progress never went backwards.
"""

from __future__ import annotations

import hashlib
import math
import os
import random
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import attrs

from cassdk_like import RetryPolicy, TransferConfig
from cassdk_like.bucket import Bucket, BucketAPI, BucketClient, COSClient, S3Client
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
    Tally,
    arm,
    check,
    common_summary,
    draw_fault_plan,
    draw_sizes,
    file_hashes,
    make_file,
    range_header,
)

__all__ = [
    "BUCKET_FAIL_VARIANTS",
    "BucketPairPlan",
    "BucketSoak",
    "BucketSoakSettings",
    "byte_range",
    "multipart_etag",
    "plan_bucket_soak",
    "run_bucket_soak",
    "summary_line",
]

COS_REGION = "ap-guangzhou"
DIALECTS = ("s3", "cos")

#: (label, status, code, retry_after?, weight): S3 and COS throttle with 503 SlowDown; a HEAD
#: answer has no body, so only codes whose status is retried on its own are drawn
BUCKET_FAIL_VARIANTS: Tuple[FailVariant, ...] = (
    ("503 SlowDown", 503, "SlowDown", False, 3),
    ("503 SlowDown + Retry-After", 503, "SlowDown", True, 2),
    ("503 ServiceUnavailable", 503, "ServiceUnavailable", False, 2),
    ("503 ServiceUnavailable + Retry-After", 503, "ServiceUnavailable", True, 1),
    ("500 InternalError", 500, "InternalError", False, 3),
)

#: 5 attempts, quick backoff, and Retry-After honoured but capped short so the run stays short
BUCKET_SOAK_POLICY = RetryPolicy(total_attempts=5, backoff_base=0.01, backoff_cap=0.05, max_retry_after=0.2)


@attrs.frozen(kw_only=True)
class BucketSoakSettings:
    """How big the soak is and how hostile the service; ``pairs`` x 2 transfers."""

    pairs: int = 40
    seed: int = 20261203
    min_size: int = 512 * KiB
    max_size: int = 24 * MiB
    fail_rate: float = 0.10
    cut_rate: float = 0.05
    latency_rate: float = 0.2
    latency_max: float = 0.01
    #: seconds asked for in Retry-After (the policy caps the wait at ``max_retry_after``)
    retry_after: float = 0.5
    #: the largest single Put Object per dialect; larger files go multipart
    single_thresholds: Tuple[Tuple[str, int], ...] = (("s3", 5 * MiB), ("cos", 2 * MiB))
    s3_part_size: int = 5 * MiB
    cos_part_sizes: Tuple[int, int] = (1 * MiB, 5 * MiB)
    piece_sizes: Tuple[int, ...] = (1 * MiB, 2 * MiB)
    max_request_size: int = 4 * MiB
    workers: Tuple[int, ...] = (2, 3, 4)
    policy: RetryPolicy = BUCKET_SOAK_POLICY

    @property
    def fault_budget(self) -> int:
        return self.policy.total_attempts - 1

    def threshold(self, dialect: str) -> int:
        return dict(self.single_thresholds)[dialect]


@attrs.frozen
class BucketPairPlan:
    index: int
    size: int
    data_seed: int
    dialect: str
    up_workers: int
    down_workers: int
    part_size: int  # 0: one Put Object
    piece_size: int
    request_size: int  # the most one ranged GET asks for (a run of pieces)
    up_faults: FaultPlan
    down_faults: FaultPlan

    @property
    def multipart(self) -> bool:
        return self.part_size > 0


# -- planning -------------------------------------------------------------------------------------


def _part_size(rng: random.Random, settings: BucketSoakSettings, dialect: str) -> int:
    """S3: the fixed part size; COS: whole MiB or any byte count within ``cos_part_sizes``."""
    if dialect == "s3":
        return settings.s3_part_size
    lo, hi = settings.cos_part_sizes
    if rng.random() < 0.5:
        return rng.randint(lo // MiB, hi // MiB) * MiB
    return rng.randint(lo, hi)


def plan_bucket_soak(settings: BucketSoakSettings) -> List[BucketPairPlan]:
    rng = random.Random(settings.seed)
    lo, hi = settings.min_size, settings.max_size
    # pairs alternate S3, COS: the ends, each threshold and one byte more, whole and short last parts
    s3, cos = settings.threshold("s3"), settings.threshold("cos")
    edges = [lo, hi, s3, cos, s3 + 1, cos + 1, 2 * settings.s3_part_size, hi - 1, hi]
    plans = []
    for index, size in enumerate(draw_sizes(rng, settings.pairs, lo, hi, edges)):
        dialect = DIALECTS[index % len(DIALECTS)]
        part = _part_size(rng, settings, dialect) if size > settings.threshold(dialect) else 0
        piece = rng.choice(settings.piece_sizes)
        request = rng.choice([piece, settings.max_request_size])
        plans.append(
            BucketPairPlan(
                index=index,
                size=size,
                data_seed=rng.getrandbits(32),
                dialect=dialect,
                up_workers=rng.choice(settings.workers),
                down_workers=rng.choice(settings.workers),
                part_size=part,
                piece_size=piece,
                request_size=request,
                up_faults=draw_fault_plan(rng, settings, BUCKET_FAIL_VARIANTS, cuts=False, body=size),
                down_faults=draw_fault_plan(
                    rng, settings, BUCKET_FAIL_VARIANTS, cuts=True, body=min(piece, size)
                ),
            )
        )
    return plans


# -- what the server saw, and what it must have stored ----------------------------------------------


def byte_range(request: Any) -> Tuple[Optional[int], Optional[int]]:
    """Upload Part: (its index, None), from ``partNumber``; Get Object: the Range asked for."""
    if request.operation == "UploadPart":
        number = request.param("partNumber")
        return (int(number) - 1 if number and number.isdigit() else None), None
    if request.operation == "GetObject":
        return range_header(request.headers.get("range", ""), "bytes=")
    return None, None


def multipart_etag(path: Path, part_size: int) -> str:
    """The ETag of a multipart object of this file: MD5 of the parts' binary MD5s, ``-<parts>``
    (docs/bucket-protocol.md §4), computed here apart from the SDK and the emulator."""
    digests = []
    with open(path, "rb") as handle:
        while True:
            part = handle.read(part_size)
            if not part:
                break
            digests.append(hashlib.md5(part).digest())  # the ETag is an MD5
    return f"{hashlib.md5(b''.join(digests)).hexdigest()}-{len(digests)}"


def single_etag(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def make_client(emu: Emulator, dialect: str, policy: RetryPolicy, pool: int) -> BucketClient:
    if dialect == "s3":
        return S3Client(
            emu.endpoints["s3"],
            emu.secret_id,
            emu.secret_key,
            region="us-east-1",
            retry_policy=policy,
            max_pool_size=pool,
        )
    return COSClient(
        COS_REGION,
        emu.appid,
        emu.secret_id,
        emu.secret_key,
        endpoint=emu.endpoints["cos"],
        retry_policy=policy,
        max_pool_size=pool,
    )


# -- the run --------------------------------------------------------------------------------------


class BucketSoak:
    """Runs the planned pairs against one emulator (started with ``region=COS_REGION``)."""

    def __init__(
        self,
        emu: Emulator,
        settings: BucketSoakSettings,
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
        self.ledger = Ledger(settings.policy, self.tally, cut_operation="GetObject")
        self.log = RequestLog(emu, byte_range)
        self.singles = 0
        emu.faults.seed(settings.seed)
        pool = max(settings.workers) + 2
        self.clients = {d: make_client(emu, d, settings.policy, pool) for d in DIALECTS}
        self.buckets = {
            d: Bucket.create(BucketAPI(client), "bucket-soak", exist_ok=True)
            for d, client in self.clients.items()
        }

    def close(self) -> None:
        for client in self.clients.values():
            client.close()

    def run(self) -> Dict[str, Any]:
        started = time.monotonic()
        plans = plan_bucket_soak(self.settings)
        for plan in plans:
            self.pair(plan)
            if self.echo is not None and (plan.index + 1) % 10 == 0:
                self.echo(f"  {plan.index + 1}/{len(plans)} pairs, {self.tally.transfers} transfers ok")
        check(os.listdir(self.src) == [] and os.listdir(self.dst) == [], "work folders not empty")
        for dialect, bucket in self.buckets.items():
            left = [o.key for o in bucket.objects()]
            check(left == [], f"{dialect}: objects left in the bucket: {left}")
        return self.summary(time.monotonic() - started)

    # -- one pair -------------------------------------------------------------------------------

    def pair(self, plan: BucketPairPlan) -> None:
        name = f"o{plan.index:04d}"
        src, dst = self.src / name, self.dst / f"{name}.out"
        sha, _ = make_file(src, plan.size, plan.data_seed)
        self.upload(plan, src, name, sha)
        check(os.listdir(self.src) == [name], f"pair {plan.index}: upload left {os.listdir(self.src)}")
        self.download(plan, name, dst, sha)
        check(os.listdir(self.dst) == [dst.name], f"pair {plan.index}: download left {os.listdir(self.dst)}")
        src.unlink()
        dst.unlink()
        self.buckets[plan.dialect].delete_object(name)  # keeps the emulator's disk small
        self.tally.add_size(plan.size)

    def _transfer(
        self, plan: FaultPlan, dialect: str, action: Callable[[], Any]
    ) -> Tuple[Any, List[Seen], int]:
        transport = self.clients[dialect].transport
        before = transport.request_count
        arm(self.emu, plan, cut_operation="GetObject", service=dialect)
        mark = self.log.mark()
        try:
            result = action()
        finally:
            self.emu.faults.reset()
        return result, self.log.since(mark), transport.request_count - before

    def upload(self, plan: BucketPairPlan, src: Path, key: str, sha: str) -> None:
        kind = f"{plan.part_size}-byte parts" if plan.multipart else "one PUT"
        what = f"pair {plan.index} upload ({plan.dialect}, {plan.size} bytes, {kind})"
        bucket = self.buckets[plan.dialect]
        progress = Progress()
        config = TransferConfig(
            max_workers=plan.up_workers,
            retry_policy=self.settings.policy,
            poll_interval=0.02,
            progress_interval=0.0,
        )

        def action() -> Any:
            return bucket.upload_file(
                src,
                key,
                part_size=plan.part_size or None,
                threshold=self.settings.threshold(plan.dialect),
                config=config,
                progress=progress,
            )

        done, seen, attempts = self._transfer(plan.up_faults, plan.dialect, action)
        progress.check(plan.size, what)
        check((done.size, done.sha256) == (plan.size, sha), f"{what}: wrong size or SHA-256: {done}")
        check(done.multipart is plan.multipart, f"{what}: multipart is {done.multipart}")
        etag = multipart_etag(src, plan.part_size) if plan.multipart else single_etag(src)
        check(done.etag == etag, f"{what}: the service's ETag {done.etag} is not {etag} (computed here)")
        if plan.multipart:
            units = math.ceil(plan.size / plan.part_size)
            check(done.parts_uploaded == units, f"{what}: {done.parts_uploaded} parts of {units}")
            expected = {"CreateMultipartUpload": 1, "UploadPart": units, "CompleteMultipartUpload": 1}
            self.ledger.account(what, seen, attempts, expected, "UploadPart", 1, units, plan.up_faults)
            self.tally.multipart_uploads += 1
        else:
            self.ledger.account(what, seen, attempts, {"PutObject": 1}, None, 0, 0, plan.up_faults)
            self.singles += 1
        uploads = list(bucket.uploads())
        check(uploads == [], f"{what}: multipart uploads left in the bucket: {uploads}")
        self.tally.uploads += 1
        self.tally.bytes_uploaded_verified += plan.size
        self.tally.count(plan.dialect)

    def download(self, plan: BucketPairPlan, key: str, dst: Path, sha: str) -> None:
        what = (
            f"pair {plan.index} download ({plan.dialect}, {plan.size} bytes, {plan.piece_size}-byte pieces"
            f" in requests of at most {plan.request_size})"
        )
        bucket = self.buckets[plan.dialect]
        progress = Progress()
        config = TransferConfig(
            max_workers=plan.down_workers,
            piece_size=plan.piece_size,
            max_request_size=plan.request_size,
            retry_policy=self.settings.policy,
            poll_interval=0.02,
            progress_interval=0.0,
        )

        def action() -> Any:
            return bucket.download_file(key, dst, config=config, progress=progress)

        result, seen, attempts = self._transfer(plan.down_faults, plan.dialect, action)
        check(result.verified and result.integrity == "sha256", f"{what}: not verified: {result}")
        check((result.size, result.tree_hash) == (plan.size, sha), f"{what}: wrong size or digest: {result}")
        got_sha, _ = file_hashes(dst)
        check(got_sha == sha, f"{what}: the downloaded bytes differ from the source")
        progress.check(plan.size, what)
        piece = config.piece_size_for(plan.size)
        units = math.ceil(plan.size / piece)
        self.ledger.account(
            what,
            seen,
            attempts,
            {"HeadObject": 1},
            "GetObject",
            piece,
            units,
            plan.down_faults,
            size=plan.size,
        )
        self.tally.downloads += 1
        self.tally.bytes_downloaded_verified += plan.size
        self.tally.count(plan.dialect)

    # -- the report -----------------------------------------------------------------------------

    def summary(self, elapsed: float) -> Dict[str, Any]:
        summary = common_summary(self.tally, self.settings.seed, self.settings.policy, elapsed)
        summary["single_put_uploads"] = self.singles
        summary["get_object_bodies"] = self.tally.cuttable_bodies
        return summary


def summary_line(summary: Dict[str, Any]) -> str:
    kinds = ", ".join(f"{k}: {v}" for k, v in summary["faults_by_kind"].items())
    mib = summary["bytes_verified"] / MiB
    return (
        f"bucket fault soak: {summary['transfers']} transfers ({summary['uploads']} uploads,"
        f" {summary['multipart_uploads']} multipart, {summary['downloads']} downloads;"
        f" {summary['transfers_by_dialect']}), {mib:.0f} MiB verified, {summary['requests']} requests"
        f" ({summary['download_runs']} ranged reads), {summary['failed_requests']} failed"
        f" ({summary['failed_request_rate']:.1%}), {summary['bodies_cut']} of {summary['get_object_bodies']}"
        f" Get Object bodies cut ({summary['cut_rate']:.1%}), {summary['requests_delayed']} delayed;"
        f" [{kinds}]; {summary['retries_and_resumes']} retries/resumes, at most"
        f" {summary['max_requests_per_part_or_request']} of {summary['total_attempts']} attempts per request"
        f" or part; {summary['elapsed_seconds']} s"
    )


def run_bucket_soak(
    emu: Emulator,
    settings: BucketSoakSettings,
    workdir: Path,
    echo: Optional[Callable[[str], None]] = None,
) -> Dict[str, Any]:
    soak = BucketSoak(emu, settings, workdir, echo)
    try:
        return soak.run()
    finally:
        soak.close()
