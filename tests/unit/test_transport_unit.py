"""Transport behaviour on the wire, with ``responses`` standing in for the server."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest
import requests
import responses

from cassdk_like._version import __version__
from cassdk_like.core.exceptions import (
    BadResponseError,
    CASClientError,
    ConnectionFailedError,
    InvalidArgumentError,
    LocalFileError,
    TimedOutError,
)
from cassdk_like.core.http import (
    HttpRequest,
    HttpResponse,
    RequestBody,
    RetryBudget,
    RetryPolicy,
    Transport,
    default_user_agent,
)
from cassdk_like.core.http import transport as transport_module
from cassdk_like.core.redact import LogRedactionFilter, redact_headers, redact_text
from cassdk_like.vault.dialect import CAS
from cassdk_like.vault.errors import ThrottlingException

BASE = "https://cas.example.com"
URL = BASE + "/-/vaults/v1"


class Sleeps(List[float]):
    """A fake ``sleep`` that records the delays instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make(sleeps: Sleeps) -> Iterator[Callable[..., Transport]]:
    made: List[Transport] = []

    def factory(**kwargs: Any) -> Transport:
        kwargs.setdefault("sleep", sleeps)
        kwargs.setdefault("rng", lambda: 0.5)
        kwargs.setdefault("retry_policy", RetryPolicy(total_attempts=5, backoff_base=0.2))
        kwargs.setdefault("errors", CAS.errors)  # the vault's JSON errors and code table
        transport = Transport(kwargs.pop("endpoint", BASE), **kwargs)
        made.append(transport)
        return transport

    yield factory
    for transport in made:
        transport.close()


def _error(code: str, status: int = 400) -> Dict[str, Any]:
    return {"status": status, "json": {"code": code, "message": "m", "type": "Client"}}


# -- which answers are retried -----------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
@responses.activate
def test_each_retryable_status_is_retried_then_succeeds(
    status: int, make: Callable[..., Transport], sleeps: Sleeps
) -> None:
    responses.get(URL, status=status)
    responses.get(URL, status=200, json={"ok": True})
    transport = make()
    response = transport.send(HttpRequest("GET", "/-/vaults/v1"))
    assert response.status == 200
    assert response.json() == {"ok": True}
    assert response.attempts == 2
    assert len(responses.calls) == 2
    assert transport.request_count == 2
    assert sleeps == pytest.approx([0.1])


@pytest.mark.parametrize(
    ("status", "code"), [(400, "InvalidParameterValueException"), (404, "ResourceNotFoundException")]
)
@responses.activate
def test_plain_4xx_is_returned_after_one_attempt(
    status: int, code: str, make: Callable[..., Transport], sleeps: Sleeps
) -> None:
    responses.get(URL, **_error(code, status))
    response = make().send(HttpRequest("GET", "/-/vaults/v1"))
    assert response.status == status
    assert not response.ok
    assert response.error_code == code
    assert len(responses.calls) == 1
    assert sleeps == []


@responses.activate
def test_400_throttling_exception_is_retried(make: Callable[..., Transport]) -> None:
    responses.get(URL, **_error("ThrottlingException"))
    responses.get(URL, status=200)
    assert make().send(HttpRequest("GET", "/-/vaults/v1")).status == 200
    assert len(responses.calls) == 2


@responses.activate
def test_final_retryable_answer_is_returned_not_raised(make: Callable[..., Transport]) -> None:
    responses.get(URL, **_error("ThrottlingException"))
    transport = make(retry_policy=RetryPolicy(total_attempts=3, backoff_base=0.0))
    response = transport.send(HttpRequest("GET", "/-/vaults/v1", operation="describe_vault"))
    assert response.status == 400
    assert response.attempts == 3
    assert len(responses.calls) == 3
    error = response.to_error()
    assert isinstance(error, ThrottlingException)
    assert error.operation == "describe_vault"
    with pytest.raises(ThrottlingException):
        response.raise_for_status()


@responses.activate
def test_backoff_doubles_with_a_fixed_rng(make: Callable[..., Transport], sleeps: Sleeps) -> None:
    for _ in range(4):
        responses.get(URL, status=503)
    responses.get(URL, status=200)
    transport = make(retry_policy=RetryPolicy(total_attempts=5, backoff_base=0.2, backoff_cap=0.5))
    assert transport.send(HttpRequest("GET", "/-/vaults/v1")).ok
    assert sleeps == pytest.approx([0.1, 0.2, 0.25, 0.25])


@responses.activate
def test_retry_after_is_honoured_and_capped(make: Callable[..., Transport], sleeps: Sleeps) -> None:
    responses.get(URL, status=503, headers={"Retry-After": "7"})
    responses.get(URL, status=429, headers={"Retry-After": "3600"})
    responses.get(URL, status=200)
    transport = make(retry_policy=RetryPolicy(max_retry_after=30.0))
    assert transport.send(HttpRequest("GET", "/-/vaults/v1")).ok
    assert sleeps == [7.0, 30.0]


@responses.activate
def test_empty_budget_stops_retries(make: Callable[..., Transport], sleeps: Sleeps) -> None:
    responses.get(URL, status=503)
    budget = RetryBudget(capacity=5)
    transport = make(retry_budget=budget)
    assert transport.send(HttpRequest("GET", "/-/vaults/v1")).status == 503
    assert len(responses.calls) == 2  # one retry paid for, the second one refused
    assert budget.available == 0
    assert transport.send(HttpRequest("GET", "/-/vaults/v1")).status == 503
    assert len(responses.calls) == 3  # nothing left: no retry at all
    assert len(sleeps) == 1


@responses.activate
def test_success_refunds_the_budget(make: Callable[..., Transport]) -> None:
    responses.get(URL, status=500)
    responses.get(URL, status=200)
    responses.get(URL, status=200)
    budget = RetryBudget(capacity=100)
    transport = make(retry_budget=budget)
    transport.send(HttpRequest("GET", "/-/vaults/v1"))
    assert budget.available == 100  # paid 5, refunded 5
    budget.acquire()
    transport.send(HttpRequest("GET", "/-/vaults/v1"))
    assert budget.available == 96  # plain success refunds 1


# -- transport failures ------------------------------------------------------------------------


@responses.activate
def test_connection_errors_are_retried_then_raised_with_attempts(make: Callable[..., Transport]) -> None:
    responses.get(URL, body=requests.exceptions.ConnectionError("connection reset by peer"))
    transport = make(retry_policy=RetryPolicy(total_attempts=3, backoff_base=0.0))
    request = HttpRequest("GET", "/-/vaults/v1", operation="describe_vault", resource="vault 'v1'")
    with pytest.raises(ConnectionFailedError) as caught:
        transport.send(request)
    assert caught.value.attempts == 3
    assert caught.value.operation == "describe_vault"
    assert caught.value.resource == "vault 'v1'"
    assert "cas.example.com" in str(caught.value)
    assert len(responses.calls) == 3


@responses.activate
def test_timeouts_raise_timed_out_and_cost_more_budget(make: Callable[..., Transport]) -> None:
    responses.get(URL, body=requests.exceptions.ReadTimeout("read timed out"))
    budget = RetryBudget(capacity=100)
    transport = make(retry_policy=RetryPolicy(total_attempts=2, backoff_base=0.0), retry_budget=budget)
    with pytest.raises(TimedOutError) as caught:
        transport.send(HttpRequest("GET", "/-/vaults/v1"))
    assert caught.value.attempts == 2
    assert budget.available == 90


@responses.activate
def test_connection_error_then_success(make: Callable[..., Transport]) -> None:
    responses.get(URL, body=requests.exceptions.ConnectionError("reset"))
    responses.get(URL, status=200, body=b"fine")
    response = make().send(HttpRequest("GET", "/-/vaults/v1"))
    assert response.body == b"fine"
    assert response.attempts == 2


# -- what goes on the wire ---------------------------------------------------------------------


@responses.activate
def test_user_agent_format(make: Callable[..., Transport]) -> None:
    responses.get(URL, status=200)
    make().send(HttpRequest("GET", "/-/vaults/v1"))
    agent = responses.calls[0].request.headers["User-Agent"]
    assert re.fullmatch(r"cassdk_like/[0-9][^ ]* python/3\.[0-9]+", agent)
    assert agent == f"cassdk_like/{__version__} python/{sys.version_info[0]}.{sys.version_info[1]}"
    assert agent == default_user_agent()


@responses.activate
def test_custom_user_agent_and_default_headers(make: Callable[..., Transport]) -> None:
    responses.get(URL, status=200)
    transport = make(user_agent="cascmd/1.0", default_headers={"x-amz-glacier-version": "2012-06-01"})
    transport.send(HttpRequest("GET", "/-/vaults/v1", headers={"X-Extra": "1"}))
    headers = responses.calls[0].request.headers
    assert headers["User-Agent"] == "cascmd/1.0"
    assert headers["x-amz-glacier-version"] == "2012-06-01"
    assert headers["X-Extra"] == "1"
    assert headers["Accept-Encoding"] == "identity"


@pytest.mark.parametrize(
    ("endpoint", "host"),
    [
        ("https://cas.example.com", "cas.example.com"),
        ("https://cas.example.com:443/", "cas.example.com"),
        ("http://cas.example.com:80", "cas.example.com"),
        ("http://cas.example.com:8080", "cas.example.com:8080"),
        ("http://[::1]:9000", "[::1]:9000"),
    ],
)
def test_host_header_is_what_the_server_sees(
    endpoint: str, host: str, make: Callable[..., Transport]
) -> None:
    transport = make(endpoint=endpoint)
    assert transport.build_headers(HttpRequest("GET", "/"))["Host"] == host


@responses.activate
def test_sign_is_called_before_every_attempt_with_final_headers(make: Callable[..., Transport]) -> None:
    responses.put(URL + "/archives", status=503)
    responses.put(URL + "/archives", status=201)
    seen: List[Tuple[str, Dict[str, str]]] = []

    def sign(request: HttpRequest, headers: Dict[str, str]) -> None:
        seen.append((request.operation, dict(headers)))
        headers["Authorization"] = f"q-sign-algorithm=sha1&q-ak=AKID&q-signature=sig{len(seen)}"

    transport = make(sign=sign)
    request = HttpRequest("PUT", "/-/vaults/v1/archives", body=b"hello", operation="upload_archive")
    assert transport.send(request).status == 201
    assert len(seen) == 2
    for _, headers in seen:
        assert headers["Host"] == "cas.example.com"
        assert headers["Content-Length"] == "5"
        assert headers["User-Agent"] == default_user_agent()
        assert "Authorization" not in headers  # each attempt starts from fresh headers
    sent = [call.request.headers["Authorization"] for call in responses.calls]
    assert sent == [
        "q-sign-algorithm=sha1&q-ak=AKID&q-signature=sig1",
        "q-sign-algorithm=sha1&q-ak=AKID&q-signature=sig2",
    ]


@responses.activate
def test_file_body_is_rewound_and_resent_on_retry(make: Callable[..., Transport]) -> None:
    payload = bytes(range(256)) * 40
    source = io.BytesIO(b"HEAD" + payload + b"TAIL")
    bodies: List[bytes] = []

    def handler(request: requests.PreparedRequest) -> Tuple[int, Dict[str, str], bytes]:
        body = request.body
        bodies.append(body if isinstance(body, bytes) else b"?")
        return (503 if len(bodies) == 1 else 204), {}, b""

    responses.add_callback(responses.PUT, URL + "/multipart/u1", callback=handler)
    request = HttpRequest(
        "PUT", "/-/vaults/v1/multipart/u1", body=RequestBody(source, offset=4, length=len(payload))
    )
    assert make().send(request).status == 204
    assert bodies == [payload, payload]
    assert responses.calls[1].request.headers["Content-Length"] == str(len(payload))


@pytest.mark.parametrize(
    "body", [b"abc", bytearray(b"abc"), memoryview(b"xabcx")[1:4], memoryview(bytearray(b"abc"))]
)
@responses.activate
def test_in_memory_bodies_are_sent_as_is(body: Any, make: Callable[..., Transport]) -> None:
    responses.put(URL, status=200)
    make().send(HttpRequest("PUT", "/-/vaults/v1", body=body))
    sent = responses.calls[0].request
    assert isinstance(sent.body, (bytes, bytearray, memoryview))
    assert bytes(sent.body) == b"abc"
    assert sent.headers["Content-Length"] == "3"
    # on Python 3.9 requests took a memoryview for form fields and said so; servers then parsed it
    assert "Content-Type" not in sent.headers
    assert "Transfer-Encoding" not in sent.headers


@responses.activate
def test_a_file_window_body_gets_no_content_type_or_chunking(make: Callable[..., Transport]) -> None:
    responses.put(URL, status=200)
    body = RequestBody(io.BytesIO(b"0123456789"), offset=2, length=5)
    make().send(HttpRequest("PUT", "/-/vaults/v1", body=body))
    sent = responses.calls[0].request
    assert sent.headers["Content-Length"] == "5"
    assert "Content-Type" not in sent.headers
    assert "Transfer-Encoding" not in sent.headers


@responses.activate
def test_a_content_type_the_caller_sets_is_kept(make: Callable[..., Transport]) -> None:
    responses.put(URL, status=200)
    typed = HttpRequest("PUT", "/-/vaults/v1", headers={"Content-Type": "text/csv"}, body=memoryview(b"a,b"))
    make().send(typed)
    assert responses.calls[0].request.headers["Content-Type"] == "text/csv"


def test_content_length_is_explicit(make: Callable[..., Transport]) -> None:
    transport = make()
    assert transport.build_headers(HttpRequest("PUT", "/x"))["Content-Length"] == "0"
    assert transport.build_headers(HttpRequest("DELETE", "/x"))["Content-Length"] == "0"
    assert "Content-Length" not in transport.build_headers(HttpRequest("GET", "/x"))
    body = RequestBody(io.BytesIO(b"0123456789"), offset=2, length=5)
    assert transport.build_headers(HttpRequest("PUT", "/x", body=body))["Content-Length"] == "5"
    overridden = HttpRequest("PUT", "/x", headers={"content-length": "99"}, body=b"ab")
    headers = transport.build_headers(overridden)
    assert [k for k in headers if k.lower() == "content-length"] == ["Content-Length"]
    assert headers["Content-Length"] == "2"


@responses.activate
def test_path_and_query_are_rfc3986_encoded(make: Callable[..., Transport]) -> None:
    responses.get(re.compile(r".*"), status=200)
    transport = make()
    request = HttpRequest("GET", "/-/vaults/my vault/jobs", query=[("marker", "a/b c~"), ("limit", "10")])
    transport.send(request)
    assert responses.calls[0].request.url == BASE + "/-/vaults/my%20vault/jobs?marker=a%2Fb%20c~&limit=10"


def test_request_path_must_be_absolute(make: Callable[..., Transport]) -> None:
    with pytest.raises(InvalidArgumentError):
        make().url_for(HttpRequest("GET", "vaults"))


@responses.activate
def test_non_latin1_header_is_an_argument_error(make: Callable[..., Transport]) -> None:
    transport = make()
    with pytest.raises(InvalidArgumentError, match="x-cas-archive-description"):
        transport.send(HttpRequest("POST", "/a", headers={"x-cas-archive-description": "\u6863\u6848"}))
    assert transport.request_count == 0


# -- responses ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({"x-cas-requestId": "r-cas"}, "r-cas"), ({"x-amzn-RequestId": "r-aws"}, "r-aws"), ({}, None)],
)
@responses.activate
def test_request_id_from_either_dialect(
    headers: Dict[str, str], expected: str | None, make: Callable[..., Transport]
) -> None:
    responses.get(URL, status=200, headers=headers)
    assert make().send(HttpRequest("GET", "/-/vaults/v1")).request_id == expected


@responses.activate
def test_request_id_header_names_are_configurable(make: Callable[..., Transport]) -> None:
    responses.get(URL, status=200, headers={"x-trace": "t1", "x-cas-requestId": "ignored"})
    transport = make(request_id_headers=("X-Trace",))
    assert transport.send(HttpRequest("GET", "/-/vaults/v1")).request_id == "t1"


@responses.activate
def test_response_headers_are_case_insensitive_and_repr_is_short(make: Callable[..., Transport]) -> None:
    responses.get(
        URL, status=404, json={"code": "ResourceNotFoundException"}, headers={"X-Cas-Requestid": "r1"}
    )
    response = make().send(HttpRequest("GET", "/-/vaults/v1"))
    assert response.headers["x-cas-requestid"] == "r1"
    assert response  # no __bool__ trick: test ``ok`` instead
    assert not response.ok
    assert repr(response) == f"<HttpResponse 404 request_id='r1' {len(response.body)} bytes>"


@responses.activate
def test_stream_leaves_2xx_body_unread(make: Callable[..., Transport]) -> None:
    data = bytes(range(256)) * 100
    responses.get(URL + "/jobs/j/output", status=200, body=data)
    request = HttpRequest("GET", "/-/vaults/v1/jobs/j/output", stream=True)
    with make().send(request) as response:
        assert response.streaming
        assert response.body == b""
        first = response.read(100)
        buf = bytearray(1000)
        count = response.readinto(buf)
        rest = b"".join(response.iter_chunks(4096))
    assert first + bytes(buf[:count]) + rest == data
    assert "streaming" in repr(response)


@responses.activate
def test_stream_reads_error_bodies_so_they_can_be_parsed(make: Callable[..., Transport]) -> None:
    responses.get(URL + "/jobs/j/output", **_error("ResourceNotFoundException", 404))
    response = make().send(HttpRequest("GET", "/-/vaults/v1/jobs/j/output", stream=True))
    assert not response.streaming
    assert response.error_code == "ResourceNotFoundException"


@responses.activate
def test_invalid_json_is_a_bad_response(make: Callable[..., Transport]) -> None:
    responses.get(URL, status=200, body=b"{not json")
    response = make().send(HttpRequest("GET", "/-/vaults/v1", operation="describe_vault"))
    with pytest.raises(BadResponseError, match="describe_vault"):
        response.json()


def test_http_response_can_be_built_directly_and_read_like_a_stream() -> None:
    response = HttpResponse(206, {"Content-Range": "bytes 0-4/10"}, b"01234")
    buf = bytearray(3)
    assert response.readinto(buf) == 3
    assert bytes(buf) == b"012"
    assert response.read() == b"34"
    assert response.read() == b""
    assert response.headers["content-range"] == "bytes 0-4/10"


# -- logging and redaction ---------------------------------------------------------------------


@responses.activate
def test_debug_logs_never_contain_signatures_or_secrets(
    make: Callable[..., Transport], caplog: pytest.LogCaptureFixture
) -> None:
    secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    token = "FQoGZXIvYXdzEJr-session-token"
    signature = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"

    def sign(request: HttpRequest, headers: Dict[str, str]) -> None:
        headers["Authorization"] = (
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/glacier/aws4_request, "
            f"SignedHeaders=host;x-amz-date, Signature={signature}"
        )
        headers["X-Amz-Security-Token"] = token

    responses.get(re.compile(r".*"), status=503)
    responses.get(re.compile(r".*"), status=200)
    transport = make(sign=sign, secrets=(secret_key,))
    caplog.set_level(logging.DEBUG, logger="cassdk_like.http")
    path = f"/-/vaults/{secret_key}"  # a secret that leaked into a path still gets scrubbed
    transport.send(HttpRequest("GET", path, query=[("X-Amz-Signature", signature)]))
    text = caplog.text
    assert signature not in text
    assert token not in text
    assert secret_key not in text
    assert "AKIDEXAMPLE" in text  # key ids are not secret and help debugging
    assert "***" in text
    attempts = [r for r in caplog.records if "attempt" in r.getMessage() and "->" in r.getMessage()]
    assert [r.levelno for r in attempts] == [logging.DEBUG, logging.DEBUG]
    assert "503" in attempts[0].getMessage()
    assert "200" in attempts[1].getMessage()


def test_redaction_helpers() -> None:
    qsign = (
        "q-sign-algorithm=sha1&q-ak=AKID&q-sign-time=1;2&q-key-time=1;2&q-header-list=host&q-signature=abc123"
    )
    assert redact_text(qsign) == qsign.replace("abc123", "***")
    url = "https://h/p?X-Amz-Credential=AKID%2F2015&X-Amz-Signature=feed&X-Amz-Security-Token=tok&x=1"
    assert (
        redact_text(url)
        == "https://h/p?X-Amz-Credential=AKID%2F2015&X-Amz-Signature=***&X-Amz-Security-Token=***&x=1"
    )
    headers = redact_headers(
        {
            "Authorization": "Basic dXNlcjpwYXNz",
            "x-amz-security-token": "tok",
            "Host": "h",
            "X": "has s3cr3t",
        },
        secrets=("s3cr3t",),
    )
    assert headers == {"Authorization": "***", "x-amz-security-token": "***", "Host": "h", "X": "has ***"}
    assert redact_headers({"Authorization": qsign})["Authorization"].endswith("q-signature=***")


def test_a_transport_masks_signed_queries_in_urllib3_request_lines(make: Callable[..., Transport]) -> None:
    make()
    pool_logger = logging.getLogger("urllib3.connectionpool")
    assert sum(isinstance(f, LogRedactionFilter) for f in pool_logger.filters) == 1
    make()  # a second transport adds no second filter
    assert sum(isinstance(f, LogRedactionFilter) for f in pool_logger.filters) == 1
    line = '%s://%s:%s "%s %s %s" %s %s'
    signed = (
        "http",
        "h",
        80,
        "GET",
        "/b/k?X-Amz-Credential=AK%2F1&X-Amz-Signature=abc123",
        "HTTP/1.1",
        200,
        3,
    )
    record = pool_logger.makeRecord("urllib3.connectionpool", logging.DEBUG, "f", 1, line, signed, None)
    assert pool_logger.filters[0].filter(record)
    assert record.getMessage() == 'http://h:80 "GET /b/k?*** HTTP/1.1" 200 3'
    plain = ("http", "h", 80, "GET", "/b/k", "HTTP/1.1", 200, 3)
    untouched = pool_logger.makeRecord("urllib3.connectionpool", logging.DEBUG, "f", 1, line, plain, None)
    assert LogRedactionFilter().filter(untouched)
    assert untouched.args == plain  # still formatted lazily


def test_register_secret_scrubs_later_values(make: Callable[..., Transport]) -> None:
    transport = make()
    transport.register_secret("later-secret", "")
    assert transport.redactor.text("x later-secret y") == "x *** y"


def test_verify_false_warns_once(
    make: Callable[..., Transport], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transport_module, "_insecure_warned", False)
    caplog.set_level(logging.WARNING, logger="cassdk_like.http")
    make(verify=False)
    make(verify=False)
    make()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "verify=False" in warnings[0].getMessage()


# -- construction and lifecycle ----------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"connect_timeout": None},
        {"read_timeout": 0},
        {"read_timeout": float("inf")},
        {"connect_timeout": True},
        {"max_pool_size": 0},
    ],
)
def test_timeouts_and_pool_size_are_validated(kwargs: Dict[str, Any]) -> None:
    with pytest.raises(InvalidArgumentError):
        Transport(BASE, **kwargs)


@pytest.mark.parametrize(
    "endpoint", ["cas.example.com", "ftp://h", "https://h/base", "https://h?x=1", "https://"]
)
def test_bad_endpoints_are_rejected(endpoint: str) -> None:
    with pytest.raises(InvalidArgumentError):
        Transport(endpoint)


def test_endpoint_credentials_are_rejected_without_echoing_them() -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        Transport("https://user:hunter2@cas.example.com")
    assert "hunter2" not in str(caught.value)


def test_timeouts_are_separate_and_never_none(make: Callable[..., Transport]) -> None:
    transport = make(connect_timeout=3, read_timeout=45.5)
    assert transport.timeouts == (3.0, 45.5)


def test_pool_is_sized_and_blocking(make: Callable[..., Transport]) -> None:
    transport = make(max_pool_size=16)
    adapter = transport._adapter
    assert transport._session.get_adapter(BASE) is adapter
    assert adapter.poolmanager.connection_pool_kw["maxsize"] == 16
    assert adapter.poolmanager.connection_pool_kw["block"] is True


@responses.activate
def test_closed_transport_refuses_to_send(make: Callable[..., Transport]) -> None:
    with make() as transport:
        pass
    with pytest.raises(CASClientError, match="closed"):
        transport.send(HttpRequest("GET", "/"))


@responses.activate
def test_unreadable_body_source_is_a_local_file_error(make: Callable[..., Transport]) -> None:
    source = io.BytesIO(b"data")
    source.close()
    transport = make()
    with pytest.raises(LocalFileError):
        transport.send(HttpRequest("PUT", "/x", body=RequestBody(source, offset=0, length=4)))
    assert transport.request_count == 0


def test_request_body_rejects_negative_ranges() -> None:
    with pytest.raises(ValueError, match="offset"):
        RequestBody(io.BytesIO(b""), offset=-1, length=1)


@responses.activate
def test_json_body_round_trip(make: Callable[..., Transport]) -> None:
    responses.post(URL + "/jobs", status=202, headers={"x-cas-job-id": "j1"})
    body = json.dumps({"Type": "archive-retrieval"}).encode()
    response = make().send(HttpRequest("POST", "/-/vaults/v1/jobs", body=body))
    assert response.status == 202
    assert response.headers["X-CAS-Job-Id"] == "j1"
    assert json.loads(responses.calls[0].request.body or b"") == {"Type": "archive-retrieval"}


def test_the_attempt_deadline_grows_with_the_request_body_at_min_rate() -> None:
    """A 256 MiB part on a 1 MB/s link takes minutes: the deadline is for a server gone silent."""
    with Transport(BASE, request_timeout=10.0, min_rate=1000.0) as transport:
        assert transport._deadline_for(HttpRequest("GET", "/x")) == 10.0
        assert transport._deadline_for(HttpRequest("PUT", "/x", body=b"a" * 5000)) == 15.0
    with Transport(BASE, request_timeout=10.0, min_rate=None) as transport:
        assert transport._deadline_for(HttpRequest("PUT", "/x", body=b"a" * 5000)) == 10.0
    with Transport(BASE, request_timeout=None) as transport:
        assert transport._deadline_for(HttpRequest("PUT", "/x", body=b"a" * 5000)) is None
