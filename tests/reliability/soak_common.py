"""What every fault soak shares, whatever the service: the fault plan, the record of requests, the
accounting of attempts against the retry policy, and the local files.

``soak_world.py`` (vaults) and ``bucket_soak_world.py`` (buckets) each plan their transfers and
say how a request's byte range is read from the wire; the rest is here:

* :func:`draw_fault_plan` draws one transfer's faults from the soak's seeded generator, never
  more than the retry policy absorbs (``fault_budget``), and :func:`arm` sets them on an emulator
  as probabilistic rules;
* :class:`RequestLog` records every request the emulator handles (its observer hook), with the
  fault the emulator injected into it;
* :class:`Ledger` checks the requests of one transfer: every part, run of pieces and call succeeded
  exactly once, within ``total_attempts`` requests, one extra request per injected fault, and the
  client counted what the server saw; it keeps the :class:`Tally` of the run.
"""

from __future__ import annotations

import hashlib
import math
import random
import threading
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Protocol, Sequence, Tuple

import attrs

from cassdk_like import ProgressEvent, RetryPolicy
from cassdk_like.emulator import Emulator

MiB = 1024 * 1024
KiB = 1024
LEAF = MiB

#: (label, status, code, retry_after?, weight): one kind of failure answer a transfer can get
FailVariant = Tuple[str, int, Optional[str], bool, int]

#: the message of every injected failure starts with this; the rest is the variant's label
INJECTED = "soak: injected "


class SoakFailure(AssertionError):
    """A transfer broke one of the soak's promises (the message says which transfer and what)."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SoakFailure(message)


# -- the faults -----------------------------------------------------------------------------------


class FaultRates(Protocol):
    """How hostile the service is (a soak's settings)."""

    @property
    def fail_rate(self) -> float: ...
    @property
    def cut_rate(self) -> float: ...
    @property
    def latency_rate(self) -> float: ...
    @property
    def latency_max(self) -> float: ...
    @property
    def retry_after(self) -> float: ...
    @property
    def fault_budget(self) -> int: ...


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


def draw_fault_plan(
    rng: random.Random,
    rates: FaultRates,
    variants: Sequence[FailVariant],
    *,
    cuts: bool,
    body: int,
) -> FaultPlan:
    """One transfer's faults: up to two failure kinds and (``cuts``) 1-2 cut bodies, together
    exactly ``fault_budget``; a cut falls in the first half of a ``body``-byte response."""
    budget = rates.fault_budget
    cut_count = 0
    if cuts and rates.cut_rate > 0:
        cut_count = rng.choice([1, 2, 2]) if budget >= 3 else min(1, budget)
    fail_budget = budget - cut_count
    weights = [v[4] for v in variants]
    chosen: List[FailVariant] = []
    while rates.fail_rate > 0 and len(chosen) < min(2, fail_budget):
        variant = rng.choices(variants, weights)[0]
        if variant not in chosen:
            chosen.append(variant)
    counts = [
        fail_budget // len(chosen) + (1 if i < fail_budget % len(chosen) else 0) for i in range(len(chosen))
    ]
    per_rule = 1 - (1 - rates.fail_rate) ** (1 / len(chosen)) if chosen else 0.0
    fails = tuple(
        FailRule(label, status, code, rates.retry_after if ra else None, count, per_rule)
        for (label, status, code, ra, _), count in zip(chosen, counts)
    )
    return FaultPlan(
        fails=fails,
        cut_count=cut_count,
        cut_probability=rates.cut_rate,
        cut_after=rng.randint(1, max(1, body // 2)),
        latency=rng.uniform(0.001, rates.latency_max),
        latency_probability=rates.latency_rate,
    )


def arm(emu: Emulator, plan: FaultPlan, *, cut_operation: str, service: str = "*") -> None:
    """Replace the emulator's rules with ``plan``'s (cuts on ``cut_operation`` bodies only)."""
    faults = emu.faults
    faults.reset()
    for rule in plan.fails:
        faults.fail_next(
            rule.count,
            status=rule.status,
            code=rule.code,
            retry_after=rule.retry_after,
            message=INJECTED + rule.label,
            probability=rule.probability,
            service=service,
        )
    if plan.cut_count:
        faults.cut_after(
            plan.cut_after,
            count=plan.cut_count,
            operation=cut_operation,
            probability=plan.cut_probability,
            service=service,
        )
    if plan.latency_probability > 0:
        faults.add_latency(plan.latency, count=None, probability=plan.latency_probability, service=service)


def draw_sizes(rng: random.Random, count: int, lo: int, hi: int, edges: Iterable[int]) -> List[int]:
    """``edges`` first (those within lo..hi), then log-uniform sizes, some of them whole MiB."""
    sizes = [s for s in edges if lo <= s <= hi]
    while len(sizes) < count:
        size = int(math.exp(rng.uniform(math.log(lo), math.log(hi))))
        if rng.random() < 0.15:  # some whole MiB counts
            size = max(lo, min(hi, round(size / MiB) * MiB))
        sizes.append(size)
    return sizes[:count]


# -- what the server saw --------------------------------------------------------------------------


@attrs.frozen
class Seen:
    """One request as the emulator handled it."""

    operation: str
    #: first byte of the ranged read (Range) or of the part (its byte range, or its index when the
    #: wire numbers parts instead)
    start: Optional[int]
    outcome: str  # "ok", "fail", "cut" (2xx body cut short), "error" (non-2xx not injected), "broken"
    fault: Optional[str] = None  # label of the injected failure
    latency: bool = False
    cut_unused: bool = False  # a cut rule was spent on a body shorter than its cut point
    end: Optional[int] = None  # last byte asked for (a ranged read: the end of the run it serves)
    delivered: Optional[int] = None  # body bytes sent before a cut


#: (request) -> (start, end) of its part or ranged read, None when it has none
ByteRangeOf = Callable[[Any], Tuple[Optional[int], Optional[int]]]


def range_header(value: str, prefix: str) -> Tuple[Optional[int], Optional[int]]:
    """(first, last) of ``bytes=a-b`` / ``bytes a-b/*`` (``prefix`` included); (0, None) otherwise."""
    if not value.startswith(prefix):
        return 0, None
    first, _, rest = value[len(prefix) :].partition("-")
    last = rest.split("/", 1)[0]
    return int(first), (int(last) if last.isdigit() else None)


def _fault_label(error: Any) -> str:
    message = error.message or ""
    if message.startswith(INJECTED):
        return message[len(INJECTED) :]
    return f"{error.status} {error.code}" + (" + Retry-After" if error.retry_after is not None else "")


class RequestLog:
    """Records every API request the emulator handles (its observer hook). Thread-safe."""

    def __init__(self, emu: Emulator, byte_range: ByteRangeOf) -> None:
        self._lock = threading.Lock()
        self._seen: List[Seen] = []
        self._byte_range = byte_range
        emu.add_observer(self._observe)

    def _observe(self, request: Any, response: Any, decision: Any) -> None:
        operation = request.operation
        start, end = self._byte_range(request)
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
    #: bodies of the operation whose responses may be cut (job output, object reads)
    cuttable_bodies: int = 0
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

    def count(self, dialect: str) -> None:
        self.transfers += 1
        self.by_dialect[dialect] = self.by_dialect.get(dialect, 0) + 1


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


class Ledger:
    """Checks each transfer's requests against the retry policy and the faults armed; keeps the tally.

    ``cut_operation`` is the operation whose bodies may be cut (counted in ``cuttable_bodies``).
    """

    def __init__(self, policy: RetryPolicy, tally: Tally, cut_operation: str) -> None:
        self.policy = policy
        self.tally = tally
        self.cut_operation = cut_operation

    def account(
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

        Parts are keyed by ``start // unit_size``.  With ``size`` (a ranged download),
        ``unit_op`` requests are followed run by run instead: a run is keyed by its last byte
        (every request for it, first or resumed, asks up to there), must be whole pieces, must be
        served exactly once (after a failure the same range again, after a cut the rest from the
        first byte not sent), and the runs must tile the output.
        """
        total_attempts = self.policy.total_attempts
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
        """The ranged reads grouped by run (its last byte), each run checked; see ``account``."""
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
        tally.cuttable_bodies += sum(
            1 for s in seen if s.operation == self.cut_operation and s.outcome != "fail"
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


def common_summary(tally: Tally, seed: int, policy: RetryPolicy, elapsed: float) -> Dict[str, Any]:
    """The figures every soak reports (a soak adds its own)."""
    t = tally
    return {
        "seed": seed,
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
        "faults_injected": t.fails + t.cuts,
        "failed_requests": t.fails,
        "failed_request_rate": round(t.fails / t.requests, 4) if t.requests else 0.0,
        "bodies_cut": t.cuts,
        "cut_rate": round(t.cuts / t.cuttable_bodies, 4) if t.cuttable_bodies else 0.0,
        "cut_rules_spent_on_shorter_bodies": t.cuts_unused,
        "faults_by_kind": dict(sorted(t.faults.items())),
        "requests_delayed": t.latency,
        "retries_and_resumes": t.retries,
        "total_attempts": policy.total_attempts,
        "max_requests_per_part_or_request": t.max_requests_per_unit,
        "max_faults_in_one_transfer": t.max_faults_per_transfer,
        "elapsed_seconds": round(elapsed, 1),
    }
