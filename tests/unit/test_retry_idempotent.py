"""Requests that are not idempotent are retried only when they never left this machine."""

from __future__ import annotations

from typing import Iterator, List

import pytest
import requests.exceptions
import responses
import urllib3.exceptions

from cassdk_like.core.exceptions import ConnectionFailedError, TimedOutError
from cassdk_like.core.http.request import HttpRequest
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.core.http.transport import Transport

URL = "http://127.0.0.1:8383/api/v1/b/data/cam"


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def transport() -> Iterator[Transport]:
    waits: List[float] = []
    with Transport(
        "http://127.0.0.1:8383", retry_policy=RetryPolicy(total_attempts=3), sleep=waits.append
    ) as value:
        yield value


def _refused() -> requests.exceptions.ConnectionError:
    reason = urllib3.exceptions.NewConnectionError(None, "Connection refused")  # type: ignore[arg-type]
    return requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, URL, reason))  # type: ignore[arg-type]


def _post(idempotent: bool) -> HttpRequest:
    return HttpRequest("POST", "/api/v1/b/data/cam", body=b"x", idempotent=idempotent)


def test_a_refused_connect_is_retried_even_for_a_post(
    mock: responses.RequestsMock, transport: Transport
) -> None:
    mock.add(responses.POST, URL, body=_refused())
    mock.add(responses.POST, URL, status=200)
    assert transport.send(_post(idempotent=False)).status == 200
    assert len(mock.calls) == 2


def test_a_reset_after_sending_is_not_retried_for_a_post(
    mock: responses.RequestsMock, transport: Transport
) -> None:
    mock.add(responses.POST, URL, body=requests.exceptions.ConnectionError("Connection reset by peer"))
    with pytest.raises(ConnectionFailedError) as caught:
        transport.send(_post(idempotent=False))
    assert caught.value.request_sent
    assert caught.value.attempts == 1
    assert len(mock.calls) == 1


def test_a_read_timeout_is_not_retried_for_a_post_but_is_for_a_get(
    mock: responses.RequestsMock, transport: Transport
) -> None:
    mock.add(responses.POST, URL, body=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(TimedOutError):
        transport.send(_post(idempotent=False))
    assert len(mock.calls) == 1
    mock.add(responses.GET, URL, body=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(TimedOutError) as caught:
        transport.send(HttpRequest("GET", "/api/v1/b/data/cam"))
    assert caught.value.attempts == 3


def test_an_error_answer_is_not_retried_for_a_post(
    mock: responses.RequestsMock, transport: Transport
) -> None:
    mock.add(responses.POST, URL, status=500)
    assert transport.send(_post(idempotent=False)).status == 500
    assert len(mock.calls) == 1
    assert transport.send(_post(idempotent=True)).status == 500
    assert len(mock.calls) == 4


def test_the_policy_decides_from_request_sent() -> None:
    policy = RetryPolicy()
    never_sent = ConnectionFailedError("refused")
    never_sent.request_sent = False
    assert policy.should_retry_error(never_sent, idempotent=False)
    assert not policy.should_retry_error(ConnectionFailedError("reset"), idempotent=False)
    assert policy.should_retry_error(ConnectionFailedError("reset"))
    assert not policy.should_retry_status(503, None, idempotent=False)
    assert policy.should_retry_status(503, None)


def test_a_real_refused_connection_says_it_was_never_sent() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        Transport(
            f"http://127.0.0.1:{port}", retry_policy=RetryPolicy(total_attempts=2), sleep=lambda _s: None
        ) as transport,
        pytest.raises(ConnectionFailedError) as caught,
    ):
        transport.send(HttpRequest("POST", "/x", body=b"x", idempotent=False))
    assert not caught.value.request_sent
    assert caught.value.attempts == 2
