"""Fault injection and request statistics, for the reliability and engine tests; shared by every
service the host runs.

Rules match on the service name (``cas``), method, a glob over the request path (``*/jobs/*/output``)
and the operation name (``GetJobOutput``); ``*`` matches anything. A rule naming a service or an
operation the host does not run is refused, so a typo cannot leave a test without its fault.
A rule with a ``count`` is used up after that many matching requests; ``count=None`` keeps it
until :meth:`Faults.reset`. A rule with ``probability`` < 1
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
from typing import AbstractSet, Any, Callable, Dict, List, Mapping, Optional, Tuple

from cassdk_like.emulator.errors import ApiError

__all__ = ["ANY", "Decision", "FaultRule", "Faults", "Stats"]

#: the pattern matching every service, method, path or operation
ANY = "*"
_KINDS = ("fail", "cut", "latency")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass
class FaultRule:
    """One switch. ``kind`` is ``fail`` (answer with an error), ``cut`` (drop the connection after
    ``after_bytes`` of the response body) or ``latency`` (wait ``seconds`` before answering).
    ``probability`` (0 < p <= 1) is the chance that a matching request triggers it. Without a
    ``code`` a ``fail`` rule answers with the service's usual code for ``status``."""

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
    service: str = ANY
    rule_id: int = field(default=0)

    def __post_init__(self) -> None:
        """Refuse malformed rules up front (the admin endpoint feeds JSON straight in)."""
        checks = [
            (self.kind in _KINDS, f"kind must be one of {list(_KINDS)}"),
            (
                all(isinstance(v, str) for v in (self.service, self.method, self.path, self.operation)),
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

    def matches(self, service: str, method: str, path: str, operation: str) -> bool:
        return (
            self.service in (ANY, service)
            and self.method in ("*", method.upper())
            and fnmatch.fnmatchcase(path, self.path)
            and self.operation in ("*", operation)
        )

    def error(self, code_for: Callable[[int], str]) -> ApiError:
        """The injected error; ``code_for(status)`` names it when the rule gives no code."""
        code = self.code or code_for(self.status)
        message = self.message or f"injected fault: {code}"
        return ApiError(code, message, status=self.status, retry_after=self.retry_after)


@dataclass
class Decision:
    """What the faults say about one request."""

    latency: float = 0.0
    fail: Optional[ApiError] = None
    cut_after: Optional[int] = None
    rate: Optional[float] = None


#: service name -> its operation names (what fault rules may name)
Catalogue = Callable[[], Mapping[str, AbstractSet[str]]]


class Faults:
    """The fault switches of one emulator, for all its services. Thread-safe.

    ``catalogue`` says which services and operations exist; without one any name is accepted.
    """

    def __init__(self, catalogue: Optional[Catalogue] = None) -> None:
        self._lock = threading.Lock()
        self._rules: List[FaultRule] = []
        self._ids = itertools.count(1)
        self._rates: Dict[str, float] = {}
        self._catalogue = catalogue
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
        service: str = ANY,
    ) -> int:
        """Answer the next ``count`` matching requests with ``status``/``code`` (before auth)."""
        return self._add(
            FaultRule(
                "fail",
                method=method,
                path=path,
                operation=operation,
                count=count,
                status=status,
                code=code,
                message=message,
                retry_after=retry_after,
                probability=probability,
                service=service,
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
        service: str = ANY,
    ) -> int:
        """Send only ``nbytes`` of the next matching response bodies, then drop the connection."""
        return self._add(
            FaultRule(
                "cut",
                method=method,
                path=path,
                operation=operation,
                count=count,
                after_bytes=int(nbytes),
                probability=probability,
                service=service,
            )
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
        service: str = ANY,
    ) -> int:
        """Wait ``seconds`` before answering matching requests."""
        return self._add(
            FaultRule(
                "latency",
                method=method,
                path=path,
                operation=operation,
                count=count,
                seconds=float(seconds),
                probability=probability,
                service=service,
            )
        )

    def seed(self, value: Optional[int]) -> None:
        """Restart the generator behind ``probability`` rules (None: seed from the OS)."""
        if value is not None and not _is_int(value):
            raise ValueError("seed must be an int or None")
        with self._lock:
            self._rng = random.Random(value)  # noqa: S311 - test faults, not cryptography

    def set_rate_limit(self, bytes_per_second: Optional[float], *, service: str = ANY) -> None:
        """Cap every connection's response send rate (None removes the cap). A cap for one service
        wins over the ``*`` cap for that service's connections."""
        if bytes_per_second is not None and (not _is_number(bytes_per_second) or bytes_per_second <= 0):
            raise ValueError("bytes_per_second must be a positive number")
        if not isinstance(service, str):
            raise ValueError("service must be a string")
        self._check_names(service, ANY)
        with self._lock:
            if bytes_per_second is None:
                self._rates.pop(service, None)
            else:
                self._rates[service] = float(bytes_per_second)

    @property
    def rate_limit(self) -> Optional[float]:
        """The cap for every service (``*``)."""
        with self._lock:
            return self._rates.get(ANY)

    def rate_limit_for(self, service: str) -> Optional[float]:
        """The cap that applies to ``service``'s connections."""
        with self._lock:
            return self._rates.get(service, self._rates.get(ANY))

    def remove(self, rule_id: int) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.rule_id != rule_id]
            return len(self._rules) != before

    def reset(self) -> None:
        """Remove every rule and every rate cap."""
        with self._lock:
            self._rules.clear()
            self._rates.clear()

    def rules(self) -> List[Dict[str, Any]]:
        with self._lock:
            return [asdict(r) for r in self._rules]

    def snapshot(self) -> Dict[str, Any]:
        """``rate_limit`` is the ``*`` cap; ``service_rate_limits`` the caps of single services."""
        with self._lock:
            per_service = {name: rate for name, rate in sorted(self._rates.items()) if name != ANY}
        return {"rules": self.rules(), "rate_limit": self.rate_limit, "service_rate_limits": per_service}

    def add_json(self, doc: Mapping[str, Any]) -> Dict[str, Any]:
        """The admin endpoint's input: ``{"kind": "fail"|"cut"|"latency"|"rate"|"seed", ...}``."""
        kind = doc.get("kind")
        if kind == "rate":
            unknown = sorted(set(doc) - {"kind", "bytes_per_second", "service"})
            if unknown:
                raise ValueError(f"unknown rate field(s) {unknown}; expected bytes_per_second, service")
            service = doc.get("service", ANY)
            self.set_rate_limit(doc.get("bytes_per_second"), service=service)
            return {"rate_limit": self.rate_limit_for(service), "service": service}
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

    def _check_names(self, service: str, operation: str) -> None:
        """Refuse a service or operation the host does not run (only when there is a catalogue)."""
        if self._catalogue is None:
            return
        catalogue = self._catalogue()
        if service != ANY and service not in catalogue:
            raise ValueError(f"no service {service!r}; the emulator runs {sorted(catalogue)}")
        if operation == ANY:
            return
        names = catalogue[service] if service != ANY else set().union(*catalogue.values())
        if operation not in names and operation != "Unknown":
            where = f"service {service!r}" if service != ANY else "any service"
            raise ValueError(f"no operation {operation!r} in {where} (use '*' or an operation name)")

    def _add(self, rule: FaultRule) -> int:
        self._check_names(rule.service, rule.operation)
        with self._lock:
            rule.rule_id = next(self._ids)
            self._rules.append(rule)
            return rule.rule_id

    def decide(
        self, service: str, method: str, path: str, operation: str, *, code_for: Callable[[int], str]
    ) -> Decision:
        """Consume the rules matching one request and say what to do with it; ``code_for(status)``
        names an injected error whose rule gives no code (the service's usual code)."""
        decision = Decision()
        with self._lock:
            decision.rate = self._rates.get(service, self._rates.get(ANY))
            taken: Dict[str, FaultRule] = {}
            for rule in self._rules:
                if rule.kind in taken or not rule.matches(service, method, path, operation):
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
            decision.fail = taken["fail"].error(code_for)
        if "cut" in taken:
            decision.cut_after = taken["cut"].after_bytes
        return decision


class Stats:
    """Request counts per (service, method, operation) and bytes moved per service. Thread-safe.

    The totals and per-operation counts add every service up (one service's operation names are
    its own: S3 and COS may both count a ``GetObject``); :meth:`snapshot` also breaks them down.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Dict[Tuple[str, str, str], int] = {}
        self._sent: Dict[str, int] = {}
        self._received: Dict[str, int] = {}
        self._stored_sent: Dict[str, int] = {}
        self._output_sent = 0

    def record_request(self, service: str, method: str, operation: str) -> None:
        with self._lock:
            key = (service, method.upper(), operation)
            self._requests[key] = self._requests.get(key, 0) + 1

    def add_sent(self, service: str, nbytes: int, *, job_output: bool = False, stored: bool = False) -> None:
        """``stored``: bytes of stored data (objects, job output, records), apart from documents."""
        with self._lock:
            self._sent[service] = self._sent.get(service, 0) + nbytes
            if stored:
                self._stored_sent[service] = self._stored_sent.get(service, 0) + nbytes
            if job_output:
                self._output_sent += nbytes

    def add_received(self, service: str, nbytes: int) -> None:
        with self._lock:
            self._received[service] = self._received.get(service, 0) + nbytes

    @property
    def total_requests(self) -> int:
        with self._lock:
            return sum(self._requests.values())

    @property
    def job_output_bytes_sent(self) -> int:
        with self._lock:
            return self._output_sent

    def count(
        self, operation: Optional[str] = None, method: Optional[str] = None, *, service: Optional[str] = None
    ) -> int:
        """Requests seen for ``operation`` (and ``method``, and ``service``); all None: the total."""
        with self._lock:
            return sum(
                n
                for (svc, m, op), n in self._requests.items()
                if (operation is None or op == operation)
                and (method is None or m == method.upper())
                and (service is None or svc == service)
            )

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._sent.clear()
            self._received.clear()
            self._stored_sent.clear()
            self._output_sent = 0

    def snapshot(self) -> Dict[str, Any]:
        """The ``GET /_emulator/stats`` document: totals over every service, then ``services``."""
        with self._lock:
            items = sorted(self._requests.items())
            names = sorted({svc for (svc, _, _) in self._requests} | set(self._sent) | set(self._received))
            doc = _counts(items)
            doc.update(
                job_output_bytes_sent=self._output_sent,
                bytes_sent=sum(self._sent.values()),
                bytes_received=sum(self._received.values()),
            )
            doc["services"] = {
                name: {
                    **_counts([item for item in items if item[0][0] == name]),
                    "bytes_sent": self._sent.get(name, 0),
                    "bytes_received": self._received.get(name, 0),
                    "stored_bytes_sent": self._stored_sent.get(name, 0),
                }
                for name in names
            }
            return doc


def _counts(items: List[Tuple[Tuple[str, str, str], int]]) -> Dict[str, Any]:
    requests: Dict[str, int] = {}
    operations: Dict[str, int] = {}
    for (_, method, op), n in items:
        requests[f"{method} {op}"] = requests.get(f"{method} {op}", 0) + n
        operations[op] = operations.get(op, 0) + n
    return {
        "total_requests": sum(n for _, n in items),
        "requests": dict(sorted(requests.items())),
        "operations": dict(sorted(operations.items())),
    }
