"""Polling until a job ends, with jittered backoff and a deadline (docs/original-sdk-defects.md #6).

The original SDK polled Describe Job every 6-9 s forever and never noticed ``Failed``. Here the
interval starts small (a retrieval that is already done is seen at once), doubles up to a cap
(a 5-hour Standard retrieval costs a few hundred requests, not thousands), is jittered so many
waiters do not poll in lock-step, and every wait ends: success, ``JobFailedError`` (raised by the
caller's ``check``), ``JobWaitTimeoutError`` at the deadline, or ``TransferCancelledError`` when
the cancel token fires. ``time.sleep`` is interrupted by Ctrl-C, so the loop is never stuck.
``sleep``, ``clock`` and ``rng`` are test seams: no test needs to sleep for real.
"""

from __future__ import annotations

import math
import random
import time
from typing import Callable, Optional

import attrs

from cassdk_like.core.exceptions import InvalidArgumentError, JobWaitTimeoutError
from cassdk_like.engine import CancelToken

__all__ = ["DEFAULT_MAX_POLL_INTERVAL", "DEFAULT_POLL_INTERVAL", "PollSchedule", "poll_until"]

#: first wait between two Describe Job calls (seconds)
DEFAULT_POLL_INTERVAL = 1.0
#: the interval doubles up to this (seconds)
DEFAULT_MAX_POLL_INTERVAL = 60.0


def _positive(_inst: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise InvalidArgumentError(
            f"{attribute.name} must be a positive finite number of seconds, got {value!r}", operation="wait"
        )


@attrs.frozen(kw_only=True)
class PollSchedule:
    """Interval ``n`` is ``min(initial * 2**n, maximum)``, then scaled by a random factor in [1/2, 1]."""

    initial: float = attrs.field(default=DEFAULT_POLL_INTERVAL, validator=_positive)
    maximum: float = attrs.field(default=DEFAULT_MAX_POLL_INTERVAL, validator=_positive)

    def __attrs_post_init__(self) -> None:
        if self.maximum < self.initial:
            raise InvalidArgumentError(
                f"max_interval ({self.maximum}) must not be below poll_interval ({self.initial})",
                operation="wait",
            )

    @classmethod
    def between(cls, initial: float, maximum: float) -> PollSchedule:
        """Both validated; a ``maximum`` below ``initial`` is raised to it (a long first wait is fine)."""
        first = cls(initial=initial, maximum=initial).initial
        cap = cls(initial=maximum, maximum=maximum).maximum
        return cls(initial=first, maximum=max(first, cap))

    def delay(self, poll_number: int, rng: Callable[[], float] = random.random) -> float:
        """Seconds to wait after poll ``poll_number`` (0-based); never below half the nominal interval."""
        nominal = min(self.initial * 2.0 ** min(poll_number, 64), self.maximum)
        return nominal * (0.5 + 0.5 * rng())


def _check_timeout(timeout: Optional[float]) -> None:
    if timeout is None:
        return
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 <= timeout < math.inf:
        raise InvalidArgumentError(
            f"timeout must be None or a finite number of seconds >= 0, got {timeout!r}", operation="wait"
        )


def poll_until(
    check: Callable[[], bool],
    *,
    what: str,
    timeout: Optional[float] = None,
    schedule: Optional[PollSchedule] = None,
    cancel_token: Optional[CancelToken] = None,
    sleep: Optional[Callable[[float], None]] = None,
    clock: Optional[Callable[[], float]] = None,
    rng: Callable[[], float] = random.random,
) -> int:
    """Call ``check`` (which refreshes and may raise) until it returns True; returns the polls made.

    ``check`` runs at once, then after each jittered delay. The last delay is shortened so the
    deadline is honoured to within one Describe call; ``timeout=0`` checks exactly once.
    """
    _check_timeout(timeout)
    plan = schedule or PollSchedule()
    pause = sleep if sleep is not None else (cancel_token.sleep if cancel_token is not None else time.sleep)
    now = clock or time.monotonic
    deadline = None if timeout is None else now() + timeout
    polls = 0
    while True:
        if cancel_token is not None:
            cancel_token.raise_if_cancelled()
        polls += 1
        if check():
            return polls
        delay = plan.delay(polls - 1, rng)
        if deadline is not None:
            left = deadline - now()
            if left <= 0:
                raise JobWaitTimeoutError(
                    f"still not finished after {timeout:g} s ({polls} status checks); "
                    "call wait() again to keep waiting",
                    operation="wait",
                    resource=what,
                )
            delay = min(delay, left)
        pause(delay)
