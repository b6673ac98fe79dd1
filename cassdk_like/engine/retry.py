"""The engine's own retry loop for bodies and parts (on top of the transport's request retries).

Why a second loop: the transport retries a request until it gets an answer, but a body that
breaks half-way, a wrong Content-Range or a part upload that times out is only seen here.  The
decision uses the same ``RetryPolicy`` (attempts, jittered backoff); the waiting uses the
transfer's cancel token, so a cancelled transfer never sleeps out its backoff.  A download attempt
that moved at least ``PROGRESS_RESET`` bytes before breaking starts a fresh failure budget: a long
piece over a flaky link keeps resuming as long as it keeps moving, while a dead server still
fails after ``total_attempts`` tries.
"""

from __future__ import annotations

import http.client

from cassdk_like.core.cancel import CancelToken
from cassdk_like.core.exceptions import (
    CASServerError,
    HashDoesNotMatchError,
    LocalFileError,
    TransferCancelledError,
    TransportError,
)
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.core.integrity import MiB

__all__ = ["PROGRESS_RESET", "RetryCounter", "is_retryable"]

PROGRESS_RESET = MiB


def is_retryable(exc: BaseException, policy: RetryPolicy) -> bool:
    """Transport failures, throttling and 5xx/408/429 answers; never local, hash or cancel errors."""
    if isinstance(exc, (TransferCancelledError, LocalFileError, HashDoesNotMatchError)):
        return False
    if isinstance(exc, CASServerError):
        return bool(exc.retryable) or exc.status >= 500 or policy.should_retry_status(exc.status, exc.code)
    if isinstance(exc, TransportError):
        return policy.should_retry_error(exc)
    # a response object that does not translate its errors (sockets, http.client) is still a transport failure
    return isinstance(exc, (OSError, http.client.HTTPException))


class RetryCounter:
    """Failure budget of one piece or part. Not thread-safe (one per task)."""

    def __init__(self, policy: RetryPolicy, token: CancelToken) -> None:
        self.policy = policy
        self.token = token
        self.failures = 0
        self.retries = 0

    def failed(self, exc: Exception, *, progressed: int = 0) -> None:
        """Re-raise ``exc`` if it is final; otherwise sleep the backoff (cancellable) and return."""
        if self.token.cancelled:
            raise TransferCancelledError(f"transfer {self.token.reason}") from exc
        if not is_retryable(exc, self.policy):
            raise exc
        self.failures = 1 if progressed >= PROGRESS_RESET else self.failures + 1
        if not self.policy.has_attempts_left(self.failures):
            if isinstance(exc, TransportError):
                exc.attempts = max(exc.attempts, self.retries + 1)
            raise exc
        self.retries += 1
        self.token.sleep(self.policy.backoff(self.failures))
