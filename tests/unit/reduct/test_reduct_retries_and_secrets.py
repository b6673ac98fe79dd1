"""Retries only where they are safe, and the token kept out of logs, reprs and messages."""

from __future__ import annotations

import logging
from typing import Iterator

import pytest
import requests.exceptions
import responses
import urllib3.exceptions

from cassdk_like.core.exceptions import ConnectionFailedError, TimedOutError
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.reduct import Bucket, Client, InternalServerError, Permissions
from tests.unit.reduct.reduct_wire import API, BASE, TOKEN, add, error, sent

INFO = {
    "version": "1.21.0",
    "bucket_count": 0,
    "usage": 0,
    "uptime": 1,
    "oldest_record": 0,
    "latest_record": 0,
    "defaults": {"bucket": {}},
}


@pytest.fixture
def retrying() -> Iterator[Client]:
    policy = RetryPolicy(total_attempts=3, backoff_base=0.0, backoff_cap=0.0)
    with Client(BASE, api_token=TOKEN, retry_policy=policy) as client:
        client.lowlevel.set_api_version((1, 21))
        yield client


def _refused() -> requests.exceptions.ConnectionError:
    reason = urllib3.exceptions.NewConnectionError(None, "Connection refused")  # type: ignore[arg-type]
    return requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, API, reason))  # type: ignore[arg-type]


def test_reads_are_retried_on_a_server_error(retrying: Client, mock: responses.RequestsMock) -> None:
    add(mock, "GET", "/info", **error(500, "boom"))
    add(mock, "GET", "/info", json=INFO)
    assert retrying.info().version == "1.21.0"
    assert len(mock.calls) == 2


def test_a_write_that_reached_the_server_is_not_retried(
    retrying: Client, mock: responses.RequestsMock
) -> None:
    add(mock, "POST", "/b/data/cam", **error(500, "disk hiccup"))
    with pytest.raises(InternalServerError):
        Bucket("data", retrying).write("cam", b"x", timestamp=1)
    assert len(mock.calls) == 1
    mock.replace("POST", f"{API}/b/data/cam", body=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(TimedOutError):
        Bucket("data", retrying).write("cam", b"x", timestamp=1)
    assert len(mock.calls) == 2


def test_a_write_whose_connection_was_refused_is_retried(
    retrying: Client, mock: responses.RequestsMock
) -> None:
    mock.add("POST", f"{API}/b/data/cam", body=_refused())
    add(mock, "POST", "/b/data/cam")
    Bucket("data", retrying).write("cam", b"payload", timestamp=1)
    assert len(mock.calls) == 2
    assert sent(mock).body == b"payload"


def test_a_query_read_is_never_repeated(retrying: Client, mock: responses.RequestsMock) -> None:
    """A read moves the query on: repeating one would skip a batch of records."""
    add(mock, "POST", "/io/data/q", json={"id": 1})
    add(mock, "GET", "/io/data/read", **error(500, "boom"))
    with pytest.raises(InternalServerError):
        list(Bucket("data", retrying).query("cam"))
    assert [c.request.method for c in mock.calls] == ["POST", "GET"]


def test_connection_failures_are_typed_not_status_minus_one(
    retrying: Client, mock: responses.RequestsMock
) -> None:
    mock.add("GET", f"{API}/info", body=_refused())
    with pytest.raises(ConnectionFailedError) as caught:
        retrying.info()
    assert caught.value.attempts == 3
    assert not hasattr(caught.value, "status_code")


def test_the_token_stays_out_of_logs_reprs_and_errors(
    retrying: Client, mock: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="cassdk_like")
    add(mock, "POST", "/tokens/new", json={"value": "new-0123456789abcdef0123456789abcdef"})
    add(mock, "GET", "/tokens/new-0123456789abcdef0123456789abcdef", **error(404, "nope"))
    value = retrying.create_token("new", Permissions())
    with pytest.raises(Exception) as caught:
        retrying.get_token(value)  # a careless caller passing the secret as a name
    text = caplog.text + repr(retrying) + repr(retrying.lowlevel) + str(caught.value) + repr(caught.value)
    text += repr(retrying.lowlevel.transport)
    assert "Authorization" in caplog.text  # the headers were logged ...
    assert TOKEN not in text  # ... without the client's token
    assert value not in caplog.text  # nor the one the server returned
    assert "Bearer ***" in caplog.text or "'Authorization': '***'" in caplog.text


def test_a_bad_token_type_is_refused() -> None:
    with pytest.raises(ValueError, match="api_token"):
        Client(BASE, api_token="")
