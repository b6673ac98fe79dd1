"""``RetryPolicy.max_total_wait`` and a cancel during the backoff wait, with an injected sleep."""

from __future__ import annotations

from typing import List, Optional

import pytest
import requests
import responses

from cassdk_like.core.cancel import CancelToken, cancel_scope
from cassdk_like.core.exceptions import ConnectionFailed, TransferCancelledError
from cassdk_like.core.http import HttpRequest, RetryPolicy, Transport

URL = "https://cas.example.com/x"


def _transport(policy: RetryPolicy, sleeps: List[float]) -> Transport:
    return Transport("https://cas.example.com", retry_policy=policy, sleep=sleeps.append, rng=lambda: 0.5)


@responses.activate
def test_retry_after_waits_stop_at_the_total_wait_cap_and_return_the_last_answer() -> None:
    responses.get(URL, status=503, headers={"Retry-After": "3600"})
    sleeps: List[float] = []
    policy = RetryPolicy(total_attempts=5, max_retry_after=60, max_total_wait=130)
    with _transport(policy, sleeps) as transport:
        response = transport.send(HttpRequest("GET", "/x"))
    assert response.status == 503
    assert sleeps == [60, 60]  # a third wait would reach 180 s > 130 s
    assert len(responses.calls) == 3


@responses.activate
def test_the_default_cap_is_120_seconds_and_none_removes_it() -> None:
    responses.get(URL, status=503, headers={"Retry-After": "3600"})
    assert RetryPolicy().max_total_wait == 120
    sleeps: List[float] = []
    with _transport(RetryPolicy(total_attempts=5), sleeps) as transport:
        transport.send(HttpRequest("GET", "/x"))
    assert sleeps == [60, 60]
    uncapped: List[float] = []
    with _transport(RetryPolicy(total_attempts=5, max_total_wait=None), uncapped) as transport:
        transport.send(HttpRequest("GET", "/x"))
    assert uncapped == [60, 60, 60, 60]


@responses.activate
def test_a_transport_error_is_raised_once_the_next_wait_would_pass_the_cap() -> None:
    responses.get(URL, body=requests.exceptions.ConnectionError("reset"))
    sleeps: List[float] = []
    policy = RetryPolicy(total_attempts=5, backoff_base=1.0, max_total_wait=0.6)
    with _transport(policy, sleeps) as transport, pytest.raises(ConnectionFailed):
        transport.send(HttpRequest("GET", "/x"))
    assert sleeps == [0.5]  # the next jittered wait (1.0) would make 1.5 s
    assert len(responses.calls) == 2


@pytest.mark.parametrize("bad", [-1, float("inf"), True, "5"])
def test_a_bad_cap_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="max_total_wait"):
        RetryPolicy(max_total_wait=bad)  # type: ignore[arg-type]


@responses.activate
def test_a_cancel_during_the_backoff_wait_stops_the_call_without_another_attempt() -> None:
    responses.get(URL, status=503)
    token = CancelToken()

    def sleep(seconds: float) -> None:
        token.cancel("user pressed stop")

    with Transport("https://cas.example.com", sleep=sleep) as transport, cancel_scope(token):  # noqa: SIM117
        with pytest.raises(TransferCancelledError, match="user pressed stop"):
            transport.send(HttpRequest("GET", "/x", operation="list_vaults"))
    assert len(responses.calls) == 1


@responses.activate
def test_the_default_sleep_waits_on_the_token_so_a_cancel_wakes_it() -> None:
    responses.get(URL, status=503, headers={"Retry-After": "50"})
    token = CancelToken()
    waits: List[float] = []
    original = token.wait

    def recording_wait(timeout: Optional[float] = None) -> bool:
        waits.append(timeout)  # type: ignore[arg-type]
        token.cancel()
        return original(timeout)

    token.wait = recording_wait  # type: ignore[method-assign]
    with Transport("https://cas.example.com") as transport, cancel_scope(token):  # noqa: SIM117
        with pytest.raises(TransferCancelledError):
            transport.send(HttpRequest("GET", "/x"))
    assert waits == [50]
    assert len(responses.calls) == 1
