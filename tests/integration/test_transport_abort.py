"""Cancel, request deadline and stall watch against raw-socket servers that hold or drip.

Only orderings and counts are asserted: the server thread is still holding (or dripping) when
the call returns, and it saw exactly one request.
"""

from __future__ import annotations

import socket
import threading
from typing import Iterator, List

import pytest

from cassdk_like.core.cancel import CancelToken, cancel_scope
from cassdk_like.core.exceptions import TimedOut, TransferCancelledError
from cassdk_like.core.http import HttpRequest, RetryPolicy, Transport

HOLD = 10.0


class HoldServer:
    """Reads each request head, then runs ``mode``: 'hold' (silent), 'drip-head', 'drip-body'."""

    def __init__(self, mode: str, read_body: bool = True) -> None:
        self.mode = mode
        self.read_body = read_body
        self.requests = 0
        self.done = threading.Event()  # set once the server's hold or drip is over
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._conns: List[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def _serve(self) -> None:
        try:
            conn, _ = self._listener.accept()
        except OSError:  # closed by a test that sent nothing
            return
        self._conns.append(conn)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return
            data += chunk
        self.requests += 1
        if self.mode == "hold":
            self._stop.wait(HOLD)
        else:
            body = b"x" * 1000
            if self.mode == "drip-head":
                payload = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
            else:
                conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode())
                payload = body
            for index in range(50):  # 10 s of one byte per 0.2 s
                if self._stop.wait(0.2):
                    break
                try:
                    conn.sendall(payload[index : index + 1])
                except OSError:
                    break
        self.done.set()

    def close(self) -> None:
        self._stop.set()
        for conn in self._conns:
            conn.close()
        self._listener.close()
        self._thread.join(5)


@pytest.fixture
def servers() -> Iterator[List[HoldServer]]:
    made: List[HoldServer] = []
    yield made
    for server in made:
        server.close()


def _cancel_later(token: CancelToken, delay: float = 0.3) -> threading.Timer:
    timer = threading.Timer(delay, token.cancel)
    timer.start()
    return timer


def test_cancel_aborts_an_attempt_waiting_for_the_status_line(servers: List[HoldServer]) -> None:
    server = HoldServer("hold")
    servers.append(server)
    token = CancelToken()
    with Transport(server.url, read_timeout=30.0) as transport, cancel_scope(token):
        _cancel_later(token)
        with pytest.raises(TransferCancelledError) as info:
            transport.send(HttpRequest("GET", "/held", operation="get_object", resource="'k'"))
        assert not server.done.is_set()  # returned while the server still holds the request
    assert server.requests == 1  # no retry after the cancel
    assert "get_object" in str(info.value)


def test_cancel_aborts_an_attempt_blocked_sending_its_body(servers: List[HoldServer]) -> None:
    server = HoldServer("hold")  # reads the head only, so the body fills the socket buffers
    servers.append(server)
    token = CancelToken()
    with Transport(server.url, read_timeout=30.0) as transport, cancel_scope(token):
        _cancel_later(token)
        with pytest.raises(TransferCancelledError):
            transport.send(HttpRequest("PUT", "/big", body=b"z" * (64 << 20)))
        assert not server.done.is_set()
    assert server.requests == 1


def test_an_already_cancelled_token_sends_nothing(servers: List[HoldServer]) -> None:
    server = HoldServer("hold")
    servers.append(server)
    token = CancelToken()
    token.cancel("stopped by the user")
    with Transport(server.url) as transport, cancel_scope(token):
        with pytest.raises(TransferCancelledError, match="stopped by the user"):
            transport.send(HttpRequest("GET", "/"))
        assert transport.request_count == 0


def test_request_timeout_ends_a_dripping_status_line(servers: List[HoldServer]) -> None:
    server = HoldServer("drip-head")
    servers.append(server)
    with Transport(server.url, read_timeout=3.0, request_timeout=1.0, retry_policy=RetryPolicy.never()) as t:
        with pytest.raises(TimedOut, match="deadline") as info:
            t.send(HttpRequest("GET", "/slow"))
        assert not server.done.is_set()
    assert "1 s deadline (request_timeout)" in str(info.value)
    assert server.requests == 1


def test_request_timeout_covers_a_buffered_body(servers: List[HoldServer]) -> None:
    server = HoldServer("drip-body")
    servers.append(server)
    with Transport(server.url, read_timeout=3.0, request_timeout=1.0, retry_policy=RetryPolicy.never()) as t:
        with pytest.raises(TimedOut, match="deadline"):
            t.send(HttpRequest("GET", "/slow"))
        assert not server.done.is_set()


def test_a_streamed_body_below_min_rate_fails_as_stalled(servers: List[HoldServer]) -> None:
    server = HoldServer("drip-body")
    servers.append(server)
    with Transport(server.url, read_timeout=3.0, min_rate=100.0, stall_window=1.0) as transport:
        response = transport.send(HttpRequest("GET", "/slow", stream=True))
        got: List[int] = []

        def drain() -> None:
            while True:
                chunk = response.read(4096)
                if not chunk:
                    return
                got.append(len(chunk))

        with pytest.raises(TimedOut, match="body stalled") as info:
            drain()
        assert not server.done.is_set()
    assert sum(got) < 1000
    assert "min_rate 100 bytes/s" in str(info.value)
