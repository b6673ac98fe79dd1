"""RetryPolicy decides, RetryBudget rations: pure tests, no network."""

from __future__ import annotations

import email.utils
import threading

import attrs
import pytest

from cassdk_like.core.exceptions import BadResponseError, CASServerError, ConnectionFailedError, TimedOutError
from cassdk_like.core.http.retry import (
    DEFAULT_RETRY_STATUSES,
    RetryBudget,
    RetryPolicy,
    parse_retry_after,
)
from cassdk_like.vault.errors import RETRYABLE_CODES, VAULT_ERRORS


def test_defaults_match_the_contract() -> None:
    policy = RetryPolicy()
    assert policy.total_attempts == 5
    assert policy.retry_statuses == frozenset({408, 429, 500, 502, 503, 504}) == DEFAULT_RETRY_STATUSES
    assert policy.retry_codes is None  # the answering service's table decides
    vault_retryable = {"RequestTimeoutException", "ThrottlingException", "ServiceUnavailableException"}
    vault_retryable.add("SlowDown")
    assert vault_retryable == RETRYABLE_CODES
    assert RetryPolicy.never().total_attempts == 1


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retryable_statuses(status: int) -> None:
    assert RetryPolicy().should_retry_status(status, None)


@pytest.mark.parametrize("status", [200, 204, 206, 301, 400, 401, 403, 404, 409, 411, 416, 501])
def test_other_statuses_are_not_retried(status: int) -> None:
    assert not RetryPolicy().should_retry_status(status, None)


@pytest.mark.parametrize(
    "code", ["RequestTimeoutException", "ThrottlingException", "ServiceUnavailableException", "SlowDown"]
)
@pytest.mark.parametrize("status", [400, 403, 500])
def test_retryable_codes_whatever_the_status(status: int, code: str) -> None:
    assert RetryPolicy().should_retry(status, VAULT_ERRORS.error_code(code))


def test_non_throttling_4xx_codes_are_never_retried() -> None:
    policy = RetryPolicy()
    code = VAULT_ERRORS.error_code
    assert not policy.should_retry_status(400, code("InvalidParameterValueException"))
    assert not policy.should_retry_status(404, code("ResourceNotFoundException"))
    assert not policy.should_retry_status(403, code("InvalidSignatureException"))
    # a code never turns a 2xx into a retry
    assert not policy.should_retry_status(200, code("ThrottlingException"))


def test_a_code_without_its_table_is_not_retried_by_default() -> None:
    """The verdict belongs to the service that sent the code, not to the text."""
    assert not RetryPolicy().should_retry_status(400, "ThrottlingException")


def test_retry_codes_replace_the_tables_verdict() -> None:
    throttled = VAULT_ERRORS.error_code("ThrottlingException")
    assert not RetryPolicy(retry_codes=[]).should_retry_status(400, throttled)
    busy = VAULT_ERRORS.error_code("Busy")
    assert not busy.retryable
    assert RetryPolicy(retry_codes=["Busy"]).should_retry_status(400, busy)


def test_custom_status_and_code_sets_are_converted_to_frozensets() -> None:
    policy = RetryPolicy(retry_statuses=[503], retry_codes=["Busy"])
    assert policy.retry_statuses == frozenset({503})
    assert policy.should_retry_status(400, "Busy")
    assert not policy.should_retry_status(500, None)


def test_should_retry_error_only_for_transient_transport_errors() -> None:
    policy = RetryPolicy()
    assert policy.should_retry_error(ConnectionFailedError("reset"))
    assert policy.should_retry_error(TimedOutError("slow"))
    assert policy.should_retry_error(BadResponseError("cut"))
    assert not policy.should_retry_error(CASServerError(400, "BadRequest"))
    assert not policy.should_retry_error(ValueError("x"))
    certificate = ConnectionFailedError("bad certificate")
    certificate.retryable = False
    assert not policy.should_retry_error(certificate)


def test_has_attempts_left_counts_the_first_attempt() -> None:
    policy = RetryPolicy(total_attempts=3)
    assert policy.has_attempts_left(1)
    assert policy.has_attempts_left(2)
    assert not policy.has_attempts_left(3)


def test_full_jitter_backoff_with_a_fixed_rng() -> None:
    policy = RetryPolicy(backoff_base=0.1, backoff_cap=20.0)
    assert [policy.backoff(n, rng=lambda: 0.5) for n in (1, 2, 3, 4)] == pytest.approx([0.05, 0.1, 0.2, 0.4])
    assert policy.backoff(1, rng=lambda: 0.0) == 0.0


def test_backoff_is_capped() -> None:
    policy = RetryPolicy(backoff_base=1.0, backoff_cap=3.0)
    assert policy.backoff(5, rng=lambda: 1.0) == pytest.approx(3.0)
    assert policy.backoff(10_000, rng=lambda: 0.5) == pytest.approx(1.5)  # no OverflowError


def test_retry_after_replaces_jitter_and_is_capped() -> None:
    policy = RetryPolicy(max_retry_after=60.0)
    assert policy.backoff(1, 7.0, rng=lambda: 0.99) == 7.0
    assert policy.backoff(3, 0.0, rng=lambda: 0.99) == 0.0
    assert policy.backoff(1, 3600.0) == 60.0
    assert policy.backoff(1, -5.0) == 0.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"total_attempts": 0},
        {"total_attempts": True},
        {"total_attempts": 2.5},
        {"backoff_base": -0.1},
        {"backoff_cap": float("inf")},
        {"max_retry_after": float("nan")},
    ],
)
def test_invalid_policies_are_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_policy_is_an_immutable_value() -> None:
    policy = RetryPolicy()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        policy.total_attempts = 9  # type: ignore[misc]
    changed = attrs.evolve(policy, total_attempts=2)
    assert changed.total_attempts == 2
    assert policy.total_attempts == 5
    assert changed != policy
    assert hash(RetryPolicy()) == hash(RetryPolicy())


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3", 3.0), (" 2.5 ", 2.5), ("0", 0.0), ("-1", 0.0), ("", None), (None, None), ("soon", None)],
)
def test_parse_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_rejects_non_finite_numbers() -> None:
    assert parse_retry_after("inf") is None
    assert parse_retry_after("nan") is None


def test_parse_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    later = email.utils.formatdate(now + 10, usegmt=True)
    earlier = email.utils.formatdate(now - 10, usegmt=True)
    assert parse_retry_after(later, now=now) == pytest.approx(10.0)
    assert parse_retry_after(earlier, now=now) == 0.0


def test_budget_costs_and_refunds_follow_botocore_standard_mode() -> None:
    budget = RetryBudget()
    assert budget.capacity == budget.available == 500
    assert budget.acquire() == 5
    assert budget.acquire(timeout=True) == 10
    assert budget.available == 485
    budget.refund(10)  # success after a retry that cost 10
    assert budget.available == 495
    budget.refund()  # success without retry
    assert budget.available == 496


def test_budget_refunds_never_exceed_capacity() -> None:
    budget = RetryBudget(capacity=20)
    budget.refund()
    budget.refund(10)
    assert budget.available == 20


def test_empty_budget_refuses_retries_until_successes_refill_it() -> None:
    budget = RetryBudget(capacity=12)
    assert budget.acquire() == 5
    assert budget.acquire() == 5
    assert budget.acquire() is None  # 2 left, a retry costs 5
    assert budget.acquire(timeout=True) is None
    assert budget.available == 2
    for _ in range(3):
        budget.refund()
    assert budget.acquire() == 5


def test_budget_rejects_negative_numbers() -> None:
    with pytest.raises(ValueError, match="retry_cost"):
        RetryBudget(retry_cost=-1)
    with pytest.raises(ValueError, match="capacity"):
        RetryBudget(capacity=True)


def test_budget_is_consistent_under_concurrent_use() -> None:
    budget = RetryBudget(capacity=500)
    granted: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        mine = 0
        for _ in range(2000):
            if budget.acquire() is not None:
                mine += 1
                budget.refund(5)
        with lock:
            granted.append(mine)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert budget.available == 500
    assert sum(granted) == 8 * 2000  # 8 workers x 5 tokens never exceed 500 at once
