"""When to retry, how long to wait, and how many retries a client may spend overall.

``RetryPolicy`` is an immutable value (safe to share between threads and clients) that only
*decides*; the Transport executes. ``RetryBudget`` is the mutable part: one token bucket per
Transport, so that during an outage every worker thread stops retrying together instead of
multiplying the traffic by the attempt count (botocore "standard" retry quota: 500 tokens, a retry
costs 5, a retry after a timeout 10, a success refunds 1 or what its last retry cost).
"""

from __future__ import annotations

import email.utils
import math
import random
import threading
import time
from typing import Any, Callable, FrozenSet, Iterable, Optional

import attrs

from cassdk_like.core.errortable import ErrorCode
from cassdk_like.core.exceptions import TransportError

__all__ = [
    "DEFAULT_RETRY_STATUSES",
    "RetryBudget",
    "RetryPolicy",
    "parse_retry_after",
]

#: statuses retried whatever the body says (408 timeout, 429 throttled, 5xx)
DEFAULT_RETRY_STATUSES: FrozenSet[int] = frozenset({408, 429, 500, 502, 503, 504})


def _at_least_one(_inst: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{attribute.name} must be an int >= 1, got {value!r}")


def _finite_non_negative(_inst: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise ValueError(f"{attribute.name} must be a finite number >= 0, got {value!r}")


def _optional_non_negative(_inst: object, attribute: attrs.Attribute[Any], value: Optional[float]) -> None:
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf
    ):
        raise ValueError(f"{attribute.name} must be None or a finite number >= 0, got {value!r}")


def _int_set(values: Iterable[int]) -> FrozenSet[int]:
    return frozenset(values)


def _str_set_or_none(values: Optional[Iterable[str]]) -> Optional[FrozenSet[str]]:
    return None if values is None else frozenset(values)


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """Which failures are retried, and the wait before each retry. Thread-safe (immutable).

    * ``total_attempts`` counts the first attempt too (5 = 1 try + 4 retries).
    * Backoff is full jitter: ``rng() * min(backoff_cap, backoff_base * 2 ** (attempt - 1))``.
    * A ``Retry-After`` from the server replaces the jitter: we wait exactly what it asks, capped
      at ``max_retry_after`` -- the server knows its recovery time better than our formula.
    * ``max_total_wait`` caps the seconds one call spends waiting between its attempts (None:
      no cap); once the next wait would pass it, the last answer or error is what the call gets.
      Without it, a server answering ``Retry-After: 3600`` holds every call for minutes.
    * Connection errors, timeouts and broken bodies are retried; of the HTTP answers only
      ``retry_statuses`` and error codes worth retrying (any status).  By default those are the
      codes the answering service's error table marks retryable (the vault's
      ``ThrottlingException``, S3's ``SlowDown``, ...); a ``retry_codes`` set replaces that
      verdict with exactly its codes, for every service.
      Other 4xx are never retried: sending the same bad request again cannot help.
    * A request that is not idempotent (``idempotent=False``: a POST that creates or appends) is
      retried only after a failure that happened before it left this machine (a refused or
      timed-out connect, ``request_sent`` False); never after an answer or a failure that may
      have reached the server, since repeating it could apply it twice.
    """

    total_attempts: int = attrs.field(default=5, validator=_at_least_one)
    backoff_base: float = attrs.field(default=0.1, validator=_finite_non_negative)
    backoff_cap: float = attrs.field(default=20.0, validator=_finite_non_negative)
    max_retry_after: float = attrs.field(default=60.0, validator=_finite_non_negative)
    max_total_wait: Optional[float] = attrs.field(default=120.0, validator=_optional_non_negative)
    retry_statuses: FrozenSet[int] = attrs.field(default=DEFAULT_RETRY_STATUSES, converter=_int_set)
    retry_codes: Optional[FrozenSet[str]] = attrs.field(default=None, converter=_str_set_or_none)

    @classmethod
    def never(cls) -> RetryPolicy:
        """A policy that makes exactly one attempt."""
        return cls(total_attempts=1)

    def should_retry_status(
        self, status: int, code: Optional[str] = None, *, idempotent: bool = True
    ) -> bool:
        """True when an HTTP answer with this status / error code is worth another attempt.

        ``code`` is what ``HttpResponse.error_code`` gives: an :class:`ErrorCode` that knows its
        service's verdict; a plain string counts only when it is in ``retry_codes``.  An answer to
        a request that is not idempotent is never retried: the server has seen it.
        """
        if 200 <= status < 300 or not idempotent:
            return False
        if code:
            if self.retry_codes is not None:
                if code in self.retry_codes:
                    return True
            elif isinstance(code, ErrorCode) and code.retryable:
                return True
        return status in self.retry_statuses

    #: short alias of :meth:`should_retry_status`
    should_retry = should_retry_status

    def should_retry_error(self, error: BaseException, *, idempotent: bool = True) -> bool:
        """True for our transport errors that say they are transient (resets, timeouts, cut bodies);
        for a request that is not idempotent, only when the request was never sent."""
        if not isinstance(error, TransportError) or not error.retryable:
            return False
        return idempotent or not error.request_sent

    def has_attempts_left(self, attempts_made: int) -> bool:
        """Whether another attempt is allowed after ``attempts_made``."""
        return attempts_made < self.total_attempts

    def allows_wait(self, waited: float, delay: float) -> bool:
        """True when waiting ``delay`` more seconds keeps the call within ``max_total_wait``."""
        return self.max_total_wait is None or waited + delay <= self.max_total_wait

    def backoff(
        self,
        attempt: int,
        retry_after: Optional[float] = None,
        rng: Callable[[], float] = random.random,
    ) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        exponent = min(max(attempt - 1, 0), 64)  # the cap is reached long before; avoids overflow
        ceiling = min(self.backoff_cap, self.backoff_base * 2.0**exponent)
        return rng() * ceiling


def parse_retry_after(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """Seconds asked for by a ``Retry-After`` header (delta-seconds or HTTP-date); None if absent/bad."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if math.isfinite(seconds):
        return max(seconds, 0.0)
    if not math.isnan(seconds):
        return None  # "inf" and friends
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    current = time.time() if now is None else now
    return max(when.timestamp() - current, 0.0)


class RetryBudget:
    """Token bucket shared by every request of one Transport; thread-safe.

    Each retry takes ``retry_cost`` tokens (``timeout_retry_cost`` after a timeout); a successful
    answer gives back ``success_refund`` or, if it needed retries, what its last retry cost.
    An empty bucket means "no more retries" until successes refill it.
    """

    def __init__(
        self,
        capacity: int = 500,
        *,
        retry_cost: int = 5,
        timeout_retry_cost: int = 10,
        success_refund: int = 1,
    ) -> None:
        for name, value in (
            ("capacity", capacity),
            ("retry_cost", retry_cost),
            ("timeout_retry_cost", timeout_retry_cost),
            ("success_refund", success_refund),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative int, got {value!r}")
        self._capacity = capacity
        self._available = capacity
        self.retry_cost = retry_cost
        self.timeout_retry_cost = timeout_retry_cost
        self.success_refund = success_refund
        self._lock = threading.Lock()

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def available(self) -> int:
        with self._lock:
            return self._available

    def acquire(self, *, timeout: bool = False) -> Optional[int]:
        """Pay for one retry: the cost taken, or None when the bucket cannot pay (do not retry)."""
        cost = self.timeout_retry_cost if timeout else self.retry_cost
        with self._lock:
            if cost > self._available:
                return None
            self._available -= cost
        return cost

    def refund(self, last_retry_cost: Optional[int] = None) -> None:
        """Record a success: give back ``last_retry_cost`` if it needed retries, else ``success_refund``."""
        amount = self.success_refund if last_retry_cost is None else last_retry_cost
        with self._lock:
            self._available = min(self._capacity, self._available + amount)

    def __repr__(self) -> str:
        return f"<RetryBudget {self.available}/{self._capacity}>"
