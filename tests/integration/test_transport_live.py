"""Transport against real sockets: local servers that fail on purpose (tests/helpers/flaky_server.py)."""

from __future__ import annotations

import gc
import threading
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest

from cassdk_like.core.exceptions import BadResponseError, ConnectionFailedError, LocalFileError, TimedOutError
from cassdk_like.core.http import HttpRequest, HttpResponse, RequestBody, RetryPolicy, Transport
from tests.helpers.flaky_server import FlakyServer, Reply, Reset, free_port

FAST = RetryPolicy(total_attempts=3, backoff_base=0.001, backoff_cap=0.01)


class Sleeps(List[float]):
    """Records requested waits and waits for real only a token amount."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def connect(sleeps: Sleeps) -> Iterator[Callable[..., Transport]]:
    made: List[Transport] = []

    def factory(url: str, **kwargs: Any) -> Transport:
        kwargs.setdefault("retry_policy", FAST)
        kwargs.setdefault("sleep", sleeps)
        kwargs.setdefault("connect_timeout", 2.0)
        kwargs.setdefault("read_timeout", 5.0)
        transport = Transport(url, **kwargs)
        made.append(transport)
        return transport

    yield factory
    for transport in made:
        transport.close()


def get(path: str = "/-/vaults/v1", **kwargs: Any) -> HttpRequest:
    return HttpRequest("GET", path, **kwargs)


def test_two_503_then_success_hits_the_server_three_times(
    connect: Callable[..., Transport], sleeps: Sleeps
) -> None:
    with FlakyServer([Reply(503), Reply(503)], default=Reply(200, b'{"VaultName": "v1"}')) as server:
        transport = connect(server.url)
        response = transport.send(get())
        assert response.status == 200
        assert response.json() == {"VaultName": "v1"}
        assert server.hits == 3
        assert transport.request_count == 3
        assert response.attempts == 3
        assert len(sleeps) == 2


def test_retry_after_header_sets_the_wait(connect: Callable[..., Transport], sleeps: Sleeps) -> None:
    with FlakyServer([Reply(503, headers={"Retry-After": "1"})]) as server:
        response = connect(server.url).send(get())
        assert response.ok
        assert server.hits == 2
        assert sleeps == [1.0]  # exactly the header, not the jittered backoff


def test_connection_reset_on_first_attempt_is_retried(
    connect: Callable[..., Transport], sleeps: Sleeps
) -> None:
    with FlakyServer([Reset()], default=Reply(200, b"second time")) as server:
        response = connect(server.url).send(get())
        assert response.body == b"second time"
        assert server.hits == 2
        assert len(sleeps) == 1


def test_400_is_returned_after_exactly_one_attempt(connect: Callable[..., Transport], sleeps: Sleeps) -> None:
    body = b'{"code": "InvalidParameterValueException", "message": "bad part size", "type": "Client"}'
    with FlakyServer(default=Reply(400, body, {"x-cas-requestId": "rid-1"})) as server:
        transport = connect(server.url)
        response = transport.send(get())
        assert response.status == 400
        assert response.error_code == "InvalidParameterValueException"
        assert response.request_id == "rid-1"
        assert server.hits == 1
        assert transport.request_count == 1
        assert sleeps == []


def _drain(response: HttpResponse, counts: List[int]) -> None:
    buf = bytearray(4096)
    while True:
        count = response.readinto(buf)
        counts.append(count)
        assert count, "a truncated body must not end quietly"


def test_stream_cut_mid_way_raises_our_error_on_read(connect: Callable[..., Transport]) -> None:
    with FlakyServer(default=Reply(200, b"x" * 1000, declared_length=5000)) as server:
        transport = connect(server.url)
        response = transport.send(get("/-/vaults/v1/jobs/j/output", stream=True, operation="get_job_output"))
        assert response.streaming
        received: List[int] = []
        with pytest.raises((BadResponseError, ConnectionFailedError)) as caught:
            _drain(response, received)
        assert sum(received) == 1000
        assert caught.value.operation == "get_job_output"
        response.close()
        assert server.hits == 1  # streamed bodies are the caller's to retry


def test_truncated_buffered_body_is_retried(connect: Callable[..., Transport]) -> None:
    with FlakyServer([Reply(200, b"abc", declared_length=10)], default=Reply(200, b"0123456789")) as server:
        response = connect(server.url).send(get())
        assert response.body == b"0123456789"
        assert server.hits == 2


def test_connection_refused_gives_connection_failed_after_all_attempts(
    connect: Callable[..., Transport], sleeps: Sleeps
) -> None:
    transport = connect(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ConnectionFailedError) as caught:
        transport.send(get(operation="describe_vault", resource="vault 'v1'"))
    assert caught.value.attempts == FAST.total_attempts
    assert transport.request_count == FAST.total_attempts
    assert caught.value.resource == "vault 'v1'"
    assert len(sleeps) == FAST.total_attempts - 1


def test_read_timeout_gives_timed_out(connect: Callable[..., Transport]) -> None:
    with FlakyServer(default=Reply(200, b"late", delay=3.0)) as server:
        transport = connect(
            server.url, read_timeout=0.2, retry_policy=RetryPolicy(total_attempts=2, backoff_base=0)
        )
        with pytest.raises(TimedOutError) as caught:
            transport.send(get())
        assert caught.value.attempts == 2
        assert server.hits == 2


def test_keep_alive_reuses_one_connection(connect: Callable[..., Transport]) -> None:
    with FlakyServer(default=Reply(200, b"payload" * 100)) as server:
        transport = connect(server.url)
        assert transport.send(get()).ok
        assert transport.send(get()).ok
        with transport.send(get(stream=True)) as streamed:
            assert streamed.read() == b"payload" * 100
        assert transport.send(get()).ok
        assert server.hits == 4
        assert server.connections == 1


def test_streams_read_with_readinto_keep_the_connection_alive(connect: Callable[..., Transport]) -> None:
    body = bytes(range(256)) * 4096  # 1 MiB
    with FlakyServer(default=Reply(200, body)) as server:
        transport = connect(server.url)
        for _ in range(3):
            with transport.send(get(stream=True)) as streamed:
                buf = bytearray(64 * 1024)
                got = bytearray()
                while count := streamed.readinto(buf):
                    got += buf[:count]
                assert bytes(got) == body
        assert server.hits == 3
        assert server.connections == 1


def test_a_truncated_stream_does_not_return_its_connection_to_the_pool(
    connect: Callable[..., Transport],
) -> None:
    script = [Reply(200, b"x" * 1000, declared_length=5000)]
    with FlakyServer(script, default=Reply(200, b"ok")) as server:
        transport = connect(server.url)
        response = transport.send(get(stream=True))
        with pytest.raises((BadResponseError, ConnectionFailedError)):
            _drain(response, [])
        response.close()
        assert transport.send(get()).body == b"ok"
        assert server.connections == 2  # the half-read connection was dropped, not reused


def test_file_body_is_resent_from_its_offset(connect: Callable[..., Transport], tmp_path: Path) -> None:
    payload = bytes(range(256)) * 4096  # 1 MiB
    path = tmp_path / "archive.bin"
    path.write_bytes(b"<prefix>" + payload + b"<suffix>")
    with FlakyServer([Reply(503)], default=Reply(204)) as server, path.open("rb") as source:
        body = RequestBody(source, offset=len(b"<prefix>"), length=len(payload))
        request = HttpRequest("PUT", "/-/vaults/v1/multipart/u1", body=body, operation="upload_part")
        assert connect(server.url).send(request).status == 204
        assert [r.body == payload for r in server.requests] == [True, True]
        assert server.requests[1].headers["Content-Length"] == str(len(payload))


def test_signature_is_fresh_on_every_attempt_and_host_matches(connect: Callable[..., Transport]) -> None:
    calls: List[Dict[str, str]] = []

    def sign(request: HttpRequest, headers: Dict[str, str]) -> None:
        calls.append(dict(headers))
        headers["Authorization"] = f"q-sign-algorithm=sha1&q-ak=AK&q-signature=s{len(calls)}"

    with FlakyServer([Reply(500)]) as server:
        assert connect(server.url, sign=sign).send(get()).ok
        assert [c["Host"] for c in calls] == [f"127.0.0.1:{server.port}"] * 2
        assert [r.headers["Host"] for r in server.requests] == [f"127.0.0.1:{server.port}"] * 2
        assert [r.headers["Authorization"][-2:] for r in server.requests] == ["s1", "s2"]


def test_short_source_file_is_a_local_error_not_retried(
    connect: Callable[..., Transport], tmp_path: Path
) -> None:
    path = tmp_path / "short.bin"
    path.write_bytes(b"only ten b")
    with FlakyServer() as server, path.open("rb") as source:
        transport = connect(server.url)
        request = HttpRequest("PUT", "/x", body=RequestBody(source, offset=0, length=1000))
        with pytest.raises(LocalFileError):
            transport.send(request)
        assert transport.request_count == 1


def test_parallel_sends_share_a_bounded_pool(connect: Callable[..., Transport]) -> None:
    with FlakyServer(default=Reply(200, b"ok", delay=0.01)) as server:
        transport = connect(server.url, max_pool_size=3)
        results: List[int] = []
        lock = threading.Lock()

        def worker() -> None:
            for _ in range(5):
                status = transport.send(get()).status
                with lock:
                    results.append(status)

        threads = [threading.Thread(target=worker) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert results == [200] * 30
        assert server.connections <= 3


def test_abandoned_stream_gives_its_connection_back(connect: Callable[..., Transport]) -> None:
    with FlakyServer(default=Reply(200, b"z" * 100_000)) as server:
        transport = connect(server.url, max_pool_size=1)
        abandoned = transport.send(get(stream=True))
        assert abandoned.read(10) == b"z" * 10
        del abandoned
        gc.collect()
        done: List[HttpResponse] = []
        thread = threading.Thread(target=lambda: done.append(transport.send(get())), daemon=True)
        thread.start()
        thread.join(timeout=10)
        assert done, "the pool slot of a dropped stream was never released"
        assert done[0].body == b"z" * 100_000
