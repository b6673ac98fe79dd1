"""Fault injection and request statistics, for the reliability and engine tests.

Rules match on method, a glob over the request path (``*/jobs/*/output``) and the operation name
(``GetJobOutput``); ``*`` matches anything. A rule with a ``count`` is used up after that many
matching requests; ``count=None`` keeps it until :meth:`Faults.reset`. A rule with ``probability`` < 1
applies to each matching request with that chance (a miss leaves the rule, and its count, for later
requests), drawn from one seedable generator (:meth:`Faults.seed`): a steady fault rate for soak tests,
with ``count`` as an upper bound. The same rules can be set over HTTP: ``POST /_emulator/faults`` with
the JSON of :meth:`Faults.add_json`, ``DELETE`` to reset.
"""

from __future__ import annotations

import fnmatch
import itertools
import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

from cassdk_like.emulator.errors import ApiError

__all__ = ["Decision", "FaultRule", "Faults", "Stats"]

_DEFAULT_CODES = {
    400: "ThrottlingException",
    408: "RequestTimeoutException",
    429: "ThrottlingException",
    500: "ServiceUnavailableException",
    503: "ServiceUnavailableException",
}
_KINDS = ("fail", "cut", "latency")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass
class FaultRule:
    """One switch. ``kind`` is ``fail`` (answer with an error), ``cut`` (drop the connection after
    ``after_bytes`` of the response body) or ``latency`` (wait ``seconds`` before answering).
    ``probability`` (0 < p <= 1) is the chance that a matching request triggers it."""

    kind: str
    method: str = "*"
    path: str = "*"
    operation: str = "*"
    count: Optional[int] = 1
    status: int = 503
    code: Optional[str] = None
    message: Optional[str] = None
    retry_after: Optional[float] = None
    after_bytes: int = 0
    seconds: float = 0.0
    probability: float = 1.0
    rule_id: int = field(default=0)

    def __post_init__(self) -> None:
        """Refuse malformed rules up front (the admin endpoint feeds JSON straight in)."""
        checks = [
            (self.kind in _KINDS, f"kind must be one of {list(_KINDS)}"),
            (
                all(isinstance(v, str) for v in (self.method, self.path, self.operation)),
                "patterns are strings",
            ),
            (self.count is None or (_is_int(self.count) and self.count >= 1), "count is None or an int >= 1"),
            (_is_int(self.status) and 100 <= self.status <= 599, "status must be an HTTP status code"),
            (self.code is None or isinstance(self.code, str), "code must be a string"),
            (self.message is None or isinstance(self.message, str), "message must be a string"),
            (self.retry_after is None or _is_number(self.retry_after), "retry_after must be a number"),
            (_is_int(self.after_bytes) and self.after_bytes >= 0, "after_bytes must be an int >= 0"),
            (_is_number(self.seconds) and self.seconds >= 0, "seconds must be a number >= 0"),
            (
                _is_number(self.probability) and 0 < self.probability <= 1,
                "probability must be a number in (0, 1]",
            ),
        ]
        problems = [text for ok, text in checks if not ok]
        if problems:
            raise ValueError("invalid fault rule: " + "; ".join(problems))
        self.method = self.method.upper()

    def matches(self, method: str, path: str, operation: str) -> bool:
        return (
            self.method in ("*", method.upper())
            and fnmatch.fnmatchcase(path, self.path)
            and self.operation in ("*", operation)
        )

    def error(self) -> ApiError:
        code = self.code or _DEFAULT_CODES.get(self.status, "ServiceUnavailableException")
        message = self.message or f"injected fault: {code}"
        return ApiError(code, message, status=self.status, retry_after=self.retry_after)


@dataclass
class Decision:
    """What the faults say about one request."""

    latency: float = 0.0
    fail: Optional[ApiError] = None
    cut_after: Optional[int] = None
    rate: Optional[float] = None


class Faults:
    """The fault switches of one emulator. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: List[FaultRule] = []
        self._ids = itertools.count(1)
        self._rate: Optional[float] = None
        self._rng = random.Random()  # noqa: S311 - test faults, not cryptography
        self.triggered = 0

    def fail_next(
        self,
        count: Optional[int] = 1,
        *,
        status: int = 503,
        code: Optional[str] = None,
        message: Optional[str] = None,
        retry_after: Optional[float] = None,
        method: str = "*",
        path: str = "*",
        operation: str = "*",
        probability: float = 1.0,
    ) -> int:
        """Answer the next ``count`` matching requests with ``status``/``code`` (before auth)."""
        return self._add(
            FaultRule(
                "fail",
                method,
                path,
                operation,
                count,
                status,
                code,
                message,
                retry_after,
                probability=probability,
            )
        )

    def cut_after(
        self,
        nbytes: int,
        *,
        count: Optional[int] = 1,
        method: str = "*",
        path: str = "*",
        operation: str = "*",
        probability: float = 1.0,
    ) -> int:
        """Send only ``nbytes`` of the next matching response bodies, then drop the connection."""
        return self._add(
            FaultRule("cut", method, path, operation, count, after_bytes=int(nbytes), probability=probability)
        )

    def add_latency(
        self,
        seconds: float,
        *,
        count: Optional[int] = None,
        method: str = "*",
        path: str = "*",
        operation: str = "*",
        probability: float = 1.0,
    ) -> int:
        """Wait ``seconds`` before answering matching requests."""
        seconds = float(seconds)
        return self._add(
            FaultRule("latency", method, path, operation, count, seconds=seconds, probability=probability)
        )

    def seed(self, value: Optional[int]) -> None:
        """Restart the generator behind ``probability`` rules (None: seed from the OS)."""
        if value is not None and not _is_int(value):
            raise ValueError("seed must be an int or None")
        with self._lock:
            self._rng = random.Random(value)  # noqa: S311 - test faults, not cryptography

    def set_rate_limit(self, bytes_per_second: Optional[float]) -> None:
        """Cap every connection's response send rate (None removes the cap)."""
        if bytes_per_second is not None and bytes_per_second <= 0:
            raise ValueError("bytes_per_second must be positive")
        with self._lock:
            self._rate = None if bytes_per_second is None else float(bytes_per_second)

    @property
    def rate_limit(self) -> Optional[float]:
        with self._lock:
            return self._rate

    def remove(self, rule_id: int) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.rule_id != rule_id]
            return len(self._rules) != before

    def reset(self) -> None:
        """Remove every rule and the rate cap."""
        with self._lock:
            self._rules.clear()
            self._rate = None

    def rules(self) -> List[Dict[str, Any]]:
        with self._lock:
            return [asdict(r) for r in self._rules]

    def snapshot(self) -> Dict[str, Any]:
        return {"rules": self.rules(), "rate_limit": self.rate_limit}

    def add_json(self, doc: Mapping[str, Any]) -> Dict[str, Any]:
        """The admin endpoint's input: ``{"kind": "fail"|"cut"|"latency"|"rate"|"seed", ...}``."""
        kind = doc.get("kind")
        if kind == "rate":
            self.set_rate_limit(doc.get("bytes_per_second"))
            return {"rate_limit": self.rate_limit}
        if kind == "seed":
            self.seed(doc.get("seed"))
            return {"seed": doc.get("seed")}
        if kind not in _KINDS:
            raise ValueError(f"kind must be one of {[*_KINDS, 'rate', 'seed']}")
        allowed = set(FaultRule.__dataclass_fields__) - {"rule_id"}
        unknown = sorted(set(doc) - allowed)
        if unknown:
            raise ValueError(f"unknown fault field(s) {unknown}; expected some of {sorted(allowed)}")
        fields = dict(doc)
        if kind == "latency":
            fields.setdefault("count", None)
        return {"rule_id": self._add(FaultRule(**fields))}

    def _add(self, rule: FaultRule) -> int:
        with self._lock:
            rule.rule_id = next(self._ids)
            self._rules.append(rule)
            return rule.rule_id

    def decide(self, method: str, path: str, operation: str) -> Decision:
        """Consume the rules matching one request and say what to do with it."""
        decision = Decision()
        with self._lock:
            decision.rate = self._rate
            taken: Dict[str, FaultRule] = {}
            for rule in self._rules:
                if rule.kind in taken or not rule.matches(method, path, operation):
                    continue
                if rule.probability < 1 and self._rng.random() >= rule.probability:
                    continue  # missed this time; a later rule of the same kind may still apply
                taken[rule.kind] = rule
                if rule.count is not None:
                    rule.count -= 1
            self._rules = [r for r in self._rules if r.count is None or r.count > 0]
            if taken:
                self.triggered += 1
        if "latency" in taken:
            decision.latency = taken["latency"].seconds
        if "fail" in taken:
            decision.fail = taken["fail"].error()
        if "cut" in taken:
            decision.cut_after = taken["cut"].after_bytes
        return decision


class Stats:
    """Request counts per (method, operation) and bytes moved. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Dict[Tuple[str, str], int] = {}
        self._sent = 0
        self._received = 0
        self._output_sent = 0

    def record_request(self, method: str, operation: str) -> None:
        with self._lock:
            key = (method.upper(), operation)
            self._requests[key] = self._requests.get(key, 0) + 1

    def add_sent(self, nbytes: int, *, job_output: bool = False) -> None:
        with self._lock:
            self._sent += nbytes
            if job_output:
                self._output_sent += nbytes

    def add_received(self, nbytes: int) -> None:
        with self._lock:
            self._received += nbytes

    @property
    def total_requests(self) -> int:
        with self._lock:
            return sum(self._requests.values())

    @property
    def job_output_bytes_sent(self) -> int:
        with self._lock:
            return self._output_sent

    def count(self, operation: Optional[str] = None, method: Optional[str] = None) -> int:
        """Requests seen for ``operation`` (and ``method``); both None gives the total."""
        with self._lock:
            return sum(
                n
                for (m, op), n in self._requests.items()
                if (operation is None or op == operation) and (method is None or m == method.upper())
            )

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._sent = self._received = self._output_sent = 0

    def snapshot(self) -> Dict[str, Any]:
        """The ``GET /_emulator/stats`` document."""
        with self._lock:
            operations: Dict[str, int] = {}
            for (_, op), n in self._requests.items():
                operations[op] = operations.get(op, 0) + n
            return {
                "total_requests": sum(self._requests.values()),
                "requests": {f"{m} {op}": n for (m, op), n in sorted(self._requests.items())},
                "operations": dict(sorted(operations.items())),
                "job_output_bytes_sent": self._output_sent,
                "bytes_sent": self._sent,
                "bytes_received": self._received,
            }
