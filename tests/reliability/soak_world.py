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

import hashlib
import json
import math
import os
import random
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

import attrs

from cassdk_like import CasAPI, CASClient, ProgressEvent, RetryPolicy, TransferConfig, Vault
from cassdk_like.emulator import Emulator

MiB = 1024 * 1024
KiB = 1024
LEAF = MiB

#: (label, status, code, retry_after?, weight): the failure answers a transfer can get
FAIL_VARIANTS: Tuple[Tuple[str, int, Optional[str], bool, int], ...] = (
    ("503 ServiceUnavailable", 503, None, False, 3),
    ("500 InternalError", 500, None, False, 2),
    ("408 RequestTimeoutException", 408, "RequestTimeoutException", False, 2),
    ("400 ThrottlingException", 400, "ThrottlingException", False, 2),
    ("503 ServiceUnavailable + Retry-After", 503, None, True, 1),
    ("400 ThrottlingException + Retry-After", 400, "ThrottlingException", True, 1),
)

#: the default policy's 5 attempts, with quick backoff so the run stays short
SOAK_POLICY = RetryPolicy(total_attempts=5, backoff_base=0.01, backoff_cap=0.05, max_retry_after=2.0)


class SoakFailure(AssertionError):
    """A transfer broke one of the soak's promises (the message says which transfer and what)."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SoakFailure(message)


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
class FailRule:
    label: str
    status: int
    code: Optional[str]
    retry_after: Optional[float]
    count: int
    probability: float


@attrs.frozen
class FaultPlan:
    fails: Tuple[FailRule, ...]
    cut_count: int
    cut_probability: float
    cut_after: int
    latency: float
    latency_probability: float

    @property
    def budget(self) -> int:
        return sum(rule.count for rule in self.fails) + self.cut_count


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
    sizes = [s for s in edges if lo <= s <= hi]
    while len(sizes) < settings.pairs:
        size = int(math.exp(rng.uniform(math.log(lo), math.log(hi))))
        if rng.random() < 0.15:  # some whole MiB counts
            size = max(lo, min(hi, round(size / MiB) * MiB))
        sizes.append(size)
    return sizes[: settings.pairs]


def _fault_plan(
    rng: random.Random, settings: SoakSettings, *, cuts: bool, size: int, piece: int
) -> FaultPlan:
    budget = settings.fault_budget
    cut_count = 0
    if cuts and settings.cut_rate > 0:
        cut_count = rng.choice([1, 2, 2]) if budget >= 3 else min(1, budget)
    fail_budget = budget - cut_count
    weights = [v[4] for v in FAIL_VARIANTS]
    chosen = []
    while settings.fail_rate > 0 and len(chosen) < min(2, fail_budget):
        variant = rng.choices(FAIL_VARIANTS, weights)[0]
        if variant not in chosen:
            chosen.append(variant)
    counts = [
        fail_budget // len(chosen) + (1 if i < fail_budget % len(chosen) else 0) for i in range(len(chosen))
    ]
    per_rule = 1 - (1 - settings.fail_rate) ** (1 / len(chosen)) if chosen else 0.0
    fails = tuple(
        FailRule(label, status, code, settings.retry_after if ra else None, count, per_rule)
        for (label, status, code, ra, _), count in zip(chosen, counts)
    )
    body = min(piece, size)
    return FaultPlan(
        fails=fails,
        cut_count=cut_count,
        cut_probability=settings.cut_rate,
        cut_after=rng.randint(1, max(1, body // 2)),
        latency=rng.uniform(0.001, settings.latency_max),
        latency_probability=settings.latency_rate,
    )


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
    faults = emu.faults
    faults.reset()
    for rule in plan.fails:
        faults.fail_next(
            rule.count,
            status=rule.status,
            code=rule.code,
            retry_after=rule.retry_after,
            message=f"soak: injected {rule.label}",
            probability=rule.probability,
        )
    if plan.cut_count:
        faults.cut_after(
            plan.cut_after, count=plan.cut_count, operation="GetJobOutput", probability=plan.cut_probability
        )
    if plan.latency_probability > 0:
        faults.add_latency(plan.latency, count=None, probability=plan.latency_probability)


# -- what the server saw --------------------------------------------------------------------------


@attrs.frozen
class Seen:
    """One request as the emulator handled it."""

    operation: str
    start: Optional[int]  # first byte of the part (Content-Range) or of the ranged read (Range)
    outcome: str  # "ok", "fail", "cut" (2xx body cut short), "error" (non-2xx not injected), "broken"
    fault: Optional[str] = None  # label of the injected failure
    latency: bool = False
    cut_unused: bool = False  # a cut rule was spent on a body shorter than its cut point
    end: Optional[int] = None  # last byte asked for (a ranged read: the end of the run it serves)
    delivered: Optional[int] = None  # body bytes sent before a cut


def _byte_range(headers: Dict[str, str], operation: str) -> Tuple[Optional[int], Optional[int]]:
    """(first, last) byte of a part (Content-Range) or a ranged read (Range); None when absent."""
    if operation == "UploadMultipartPart":
        value = headers.get("content-range", "")  # bytes a-b/*
        prefix = "bytes "
    elif operation == "GetJobOutput":
        value = headers.get("range", "")  # bytes=a-b
        prefix = "bytes="
    else:
        return None, None
    if not value.startswith(prefix):
        return (0 if operation == "GetJobOutput" else None), None
    first, _, rest = value[len(prefix) :].partition("-")
    last = rest.split("/", 1)[0]
    return int(first), (int(last) if last.isdigit() else None)


def _fault_label(error: Any) -> str:
    code = error.code
    label = {503: "503 ServiceUnavailable", 500: "500 InternalError"}.get(
        error.status, f"{error.status} {code}"
    )
    return label + (" + Retry-After" if error.retry_after is not None else "")


class RequestLog:
    """Records every API request the emulator handles (its observer hook). Thread-safe."""

    def __init__(self, emu: Emulator) -> None:
        self._lock = threading.Lock()
        self._seen: List[Seen] = []
        emu.add_observer(self._observe)

    def _observe(self, request: Any, response: Any, decision: Any) -> None:
        operation = request.operation
        start, end = _byte_range(request.headers, operation)
        if response is None:
            self._add(Seen(operation, start, "broken", end=end))
        else:
            self._add(self._classify(operation, start, end, response, decision))

    @staticmethod
    def _classify(
        operation: str, start: Optional[int], end: Optional[int], response: Any, decision: Any
    ) -> Seen:
        latency = decision.latency > 0
        cut_at = decision.cut_after
        if decision.fail is not None:
            return Seen(operation, start, "fail", _fault_label(decision.fail), latency, end=end)
        ok = 200 <= response.status < 300
        if ok and cut_at is not None and cut_at < response.length:
            return Seen(operation, start, "cut", "cut", latency, end=end, delivered=cut_at)
        unused = cut_at is not None
        return Seen(operation, start, "ok" if ok else "error", None, latency, unused, end=end)

    def _add(self, seen: Seen) -> None:
        with self._lock:
            self._seen.append(seen)

    def mark(self) -> int:
        with self._lock:
            return len(self._seen)

    def since(self, mark: int) -> List[Seen]:
        with self._lock:
            return list(self._seen[mark:])


# -- local files ----------------------------------------------------------------------------------


def ref_tree_hash(leaves: Iterable[bytes]) -> str:
    """SHA-256 tree hash from 1 MiB leaf digests (written apart from cassdk_like.core.integrity)."""
    level = list(leaves)
    if not level:
        return hashlib.sha256(b"").hexdigest()
    while len(level) > 1:
        level = [
            hashlib.sha256(level[i] + level[i + 1]).digest() if i + 1 < len(level) else level[i]
            for i in range(0, len(level), 2)
        ]
    return level[0].hex()


def make_file(path: Path, size: int, seed: int) -> Tuple[str, str]:
    """Write ``size`` pseudo-random bytes; (sha256, tree hash) of them."""
    rng = random.Random(seed)
    whole = hashlib.sha256()
    leaves = []
    with open(path, "wb") as handle:
        left = size
        while left:
            chunk = rng.randbytes(min(LEAF, left))
            handle.write(chunk)
            whole.update(chunk)
            leaves.append(hashlib.sha256(chunk).digest())
            left -= len(chunk)
    return whole.hexdigest(), ref_tree_hash(leaves)


def file_hashes(path: Path) -> Tuple[str, str]:
    whole = hashlib.sha256()
    leaves = []
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(LEAF)
            if not chunk:
                break
            whole.update(chunk)
            leaves.append(hashlib.sha256(chunk).digest())
    return whole.hexdigest(), ref_tree_hash(leaves)


# -- the run --------------------------------------------------------------------------------------


@attrs.define
class Tally:
    """The figures of a run."""

    transfers: int = 0
    uploads: int = 0
    downloads: int = 0
    multipart_uploads: int = 0
    by_dialect: Dict[str, int] = attrs.Factory(dict)
    bytes_uploaded_verified: int = 0
    bytes_downloaded_verified: int = 0
    sizes_not_mib_multiple: int = 0
    smallest: Optional[int] = None
    largest: int = 0
    requests: int = 0
    job_output_bodies: int = 0
    faults: Dict[str, int] = attrs.Factory(dict)
    fails: int = 0
    cuts: int = 0
    latency: int = 0
    cuts_unused: int = 0
    retries: int = 0
    max_requests_per_unit: int = 0
    max_faults_per_transfer: int = 0
    units: int = 0
    runs: int = 0
    multi_piece_runs: int = 0
    default_piece_downloads: int = 0

    def add_size(self, size: int) -> None:
        self.smallest = size if self.smallest is None else min(self.smallest, size)
        self.largest = max(self.largest, size)
        self.sizes_not_mib_multiple += bool(size % MiB)


class Progress:
    def __init__(self) -> None:
        self.events: List[ProgressEvent] = []
        self._lock = threading.Lock()

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            self.events.append(event)

    def check(self, size: int, what: str) -> None:
        done = [e.done for e in self.events]
        check(bool(done), f"{what}: no progress event")
        check(all(a <= b for a, b in zip(done, done[1:])), f"{what}: progress went backwards: {done}")
        check(done[-1] == size and self.events[-1].total == size, f"{what}: progress ended at {done[-1]}")


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
        self.log = RequestLog(emu)
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
            self._account(
                what, seen, attempts, expected, "UploadMultipartPart", plan.part_size, units, plan.up_faults
            )
            self.tally.multipart_uploads += 1
        else:
            self._account(what, seen, attempts, {"UploadArchive": 1}, None, 0, 0, plan.up_faults)
        uploads = self.vaults["cas"].list_all_multipart_uploads()
        check(uploads == [], f"{what}: multipart uploads left in the vault: {uploads}")
        self.tally.uploads += 1
        self._count(plan.up_dialect)
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
        self._account(
            what, seen, attempts, expected, "GetJobOutput", piece, units, plan.down_faults, size=plan.size
        )
        self.tally.default_piece_downloads += not plan.piece_size
        self.tally.downloads += 1
        self.tally.bytes_downloaded_verified += plan.size
        self._count(plan.down_dialect)

    def _count(self, dialect: str) -> None:
        self.tally.transfers += 1
        self.tally.by_dialect[dialect] = self.tally.by_dialect.get(dialect, 0) + 1

    # -- the attempts ---------------------------------------------------------------------------

    def _account(
        self,
        what: str,
        seen: List[Seen],
        attempts: int,
        expected_ok: Dict[str, int],
        unit_op: Optional[str],
        unit_size: int,
        units: int,
        plan: FaultPlan,
        *,
        size: Optional[int] = None,
    ) -> None:
        """Check every request against the retry policy and the faults injected.

        Parts are keyed by their index (``unit_size`` each).  With ``size`` (a ranged download),
        ``unit_op`` requests are followed run by run instead: a run is keyed by its last byte
        (every request for it, first or resumed, asks up to there), must be whole pieces, must be
        served exactly once (after a failure the same range again, after a cut the rest from the
        first byte not sent), and the runs must tile the output.
        """
        total_attempts = self.settings.policy.total_attempts
        outcomes = [s.outcome for s in seen]
        check("error" not in outcomes and "broken" not in outcomes, f"{what}: unexpected answers: {seen}")
        chains: Dict[Tuple[str, int], List[Seen]] = {}  # the requests of each part / run / call
        if size is not None and unit_op is not None:
            runs = self._runs(what, [s for s in seen if s.operation == unit_op], unit_size, size)
            chains.update(((unit_op, end), chain) for end, chain in runs.items())
            expected_ok = {**expected_ok, unit_op: len(runs)}
            count = len(runs)
        else:
            count = units
        ok: Dict[str, int] = {}
        for s in seen:
            if s.outcome == "ok":
                ok[s.operation] = ok.get(s.operation, 0) + 1
        check(ok == expected_ok, f"{what}: successful requests {ok}, expected {expected_ok}")
        faults = [s for s in seen if s.outcome in ("fail", "cut")]
        check(len(faults) <= plan.budget, f"{what}: {len(faults)} faults, more than the {plan.budget} armed")
        # one injected fault, one extra request: nothing else was sent again
        check(len(seen) == sum(expected_ok.values()) + len(faults), f"{what}: {len(seen)} requests for {ok}")
        check(
            attempts == len(seen), f"{what}: the client sent {attempts} requests, the server saw {len(seen)}"
        )
        check(
            len(seen) <= (count + len(expected_ok)) * total_attempts, f"{what}: {len(seen)} requests in all"
        )
        for s in seen:
            if s.operation == unit_op and size is not None:
                continue
            if s.operation == unit_op:
                check(s.start is not None, f"{what}: {unit_op} without a range")
                chains.setdefault((s.operation, int(s.start or 0) // unit_size), []).append(s)
            else:
                chains.setdefault((s.operation, 0), []).append(s)
        if unit_op is not None and size is None:
            indices = sorted(i for op, i in chains if op == unit_op)
            check(indices == list(range(units)), f"{what}: {unit_op} for units {indices} of {units}")
        if unit_op is not None:
            self.tally.units += units
        for key, chain in chains.items():
            good = sum(1 for s in chain if s.outcome == "ok")
            wanted = 1 if key[0] == unit_op else expected_ok[key[0]]
            check(good == wanted, f"{what}: {key} succeeded {good} times")
            check(len(chain) <= wanted * total_attempts, f"{what}: {key} took {len(chain)} requests")
        most = max(len(chain) for chain in chains.values())
        self._tally(seen, faults, most)

    def _runs(self, what: str, seen: List[Seen], piece: int, size: int) -> Dict[int, List[Seen]]:
        """The ranged reads grouped by run (its last byte), each run checked; see ``_account``."""
        runs: Dict[int, List[Seen]] = {}
        for s in seen:
            check(s.start is not None and s.end is not None, f"{what}: a ranged read without a range: {s}")
            runs.setdefault(int(s.end or 0), []).append(s)
        spans = []
        for end, chain in runs.items():
            first = int(chain[0].start or 0)
            served = sum(1 for s in chain if s.outcome == "ok")
            check(served == 1, f"{what}: bytes {first}-{end} served {served} times")
            pos = first
            for s in chain:
                check(s.start == pos, f"{what}: bytes {s.start}-{end} asked for, expected from {pos}")
                if s.outcome == "cut":
                    check(bool(s.delivered), f"{what}: a cut without its length: {s}")
                    pos += int(s.delivered or 0)
            whole = first % piece == 0 and ((end + 1) % piece == 0 or end == size - 1)
            check(whole, f"{what}: bytes {first}-{end} are not whole {piece}-byte pieces")
            spans.append((first, end))
            self.tally.runs += 1
            self.tally.multi_piece_runs += end + 1 - first > piece
        spans.sort()
        tiled = bool(spans) and spans[0][0] == 0 and spans[-1][1] == size - 1
        tiled = tiled and all(a[1] + 1 == b[0] for a, b in zip(spans, spans[1:]))
        check(tiled, f"{what}: the runs {spans} do not cover bytes 0-{size - 1} exactly once")
        return runs

    def _tally(self, seen: List[Seen], faults: List[Seen], most: int) -> None:
        tally = self.tally
        tally.requests += len(seen)
        tally.job_output_bodies += sum(
            1 for s in seen if s.operation == "GetJobOutput" and s.outcome != "fail"
        )
        for s in faults:
            label = s.fault or s.outcome
            tally.faults[label] = tally.faults.get(label, 0) + 1
        tally.fails += sum(1 for s in faults if s.outcome == "fail")
        tally.cuts += sum(1 for s in faults if s.outcome == "cut")
        tally.latency += sum(1 for s in seen if s.latency)
        tally.cuts_unused += sum(1 for s in seen if s.cut_unused)
        tally.retries += len(faults)
        tally.max_requests_per_unit = max(tally.max_requests_per_unit, most)
        tally.max_faults_per_transfer = max(tally.max_faults_per_transfer, len(faults))

    # -- the report -----------------------------------------------------------------------------

    def summary(self, elapsed: float) -> Dict[str, Any]:
        t = self.tally
        return {
            "seed": self.settings.seed,
            "transfers": t.transfers,
            "uploads": t.uploads,
            "multipart_uploads": t.multipart_uploads,
            "downloads": t.downloads,
            "transfers_by_dialect": dict(sorted(t.by_dialect.items())),
            "smallest_bytes": t.smallest,
            "largest_bytes": t.largest,
            "sizes_not_mib_multiple": t.sizes_not_mib_multiple,
            "bytes_uploaded_verified": t.bytes_uploaded_verified,
            "bytes_downloaded_verified": t.bytes_downloaded_verified,
            "bytes_verified": t.bytes_uploaded_verified + t.bytes_downloaded_verified,
            "requests": t.requests,
            "parts_and_pieces": t.units,
            "download_runs": t.runs,
            "download_runs_of_several_pieces": t.multi_piece_runs,
            "downloads_with_default_piece_size": t.default_piece_downloads,
            "faults_injected": t.fails + t.cuts,
            "failed_requests": t.fails,
            "failed_request_rate": round(t.fails / t.requests, 4) if t.requests else 0.0,
            "bodies_cut": t.cuts,
            "job_output_bodies": t.job_output_bodies,
            "cut_rate": round(t.cuts / t.job_output_bodies, 4) if t.job_output_bodies else 0.0,
            "cut_rules_spent_on_shorter_bodies": t.cuts_unused,
            "faults_by_kind": dict(sorted(t.faults.items())),
            "requests_delayed": t.latency,
            "retries_and_resumes": t.retries,
            "total_attempts": self.settings.policy.total_attempts,
            "max_requests_per_part_or_request": t.max_requests_per_unit,
            "max_faults_in_one_transfer": t.max_faults_per_transfer,
            "elapsed_seconds": round(elapsed, 1),
        }


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
