"""A body read blocked on a silent connection is woken by ``abort()`` from another thread.

The server here sends its headers and part of the body, then goes silent without closing: the
case the read timeout alone would end only after a minute.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Iterator, List

import pytest

from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.exceptions import TransferCancelledError
from cassdk_like.core.http import HttpRequest, HttpResponse, Transport
from cassdk_like.core.integrity import MiB
from cassdk_like.engine import CancelToken, TransferConfig, download_to_path

BODY = 1_000_000
SENT = 100_000


@pytest.fixture
def silent_server() -> Iterator[str]:
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    conns: List[socket.socket] = []

    def serve() -> None:
        conn, _ = listener.accept()
        conns.append(conn)
        request = b""
        while b"\r\n\r\n" not in request:
            request += conn.recv(4096)
        head = (
            f"HTTP/1.1 206 Partial Content\r\nContent-Length: {BODY}\r\n"
            f"Content-Range: bytes 0-{BODY - 1}/{BODY}\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        conn.sendall(head.encode() + b"x" * SENT)
        stop.wait(30)  # silent, connection open

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    for conn in conns:
        conn.close()
    listener.close()


def test_abort_wakes_a_read_blocked_on_a_silent_connection(silent_server: str) -> None:
    transport = Transport(silent_server, read_timeout=30.0)
    try:
        response = transport.send(HttpRequest("GET", "/output", stream=True, operation="get_job_output"))
        assert response.status == 206
        buf = bytearray(256 * 1024)
        received: List[int] = []
        outcome: List[BaseException] = []

        def reader() -> None:
            try:
                while True:
                    received.append(response.readinto_for(memoryview(buf), 0.2))
            except BaseException as exc:
                outcome.append(exc)

        thread = threading.Thread(target=reader)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive()  # blocked: the server is silent and the read timeout is 30 s
        aborted_at = time.monotonic()
        response.abort()
        thread.join(5)
        assert not thread.is_alive()
        assert time.monotonic() - aborted_at < 1.0
        assert sum(received) == SENT  # what arrived before the silence is kept
        assert outcome, "after an abort the read fails instead of waiting"
        response.abort()  # idempotent
        response.close()
    finally:
        transport.close()


class _SilentSource:
    """A download source on the silent server (one piece: the whole body)."""

    size = BODY
    expected_tree_hash = None
    identity = "silent/1"
    tree_hash_header = "x-cas-sha256-tree-hash"

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def open_range(self, byte_range: ByteRange) -> HttpResponse:
        headers = {"Range": f"bytes={byte_range.start}-{byte_range.end}"}
        return self._transport.send(HttpRequest("GET", "/output", headers=headers, stream=True))


def test_cancel_stops_a_download_stalled_on_a_silent_connection(silent_server: str, tmp_path: Path) -> None:
    transport = Transport(silent_server, read_timeout=30.0)
    token = CancelToken()
    timer = threading.Timer(0.8, token.cancel)
    config = TransferConfig(max_workers=1, piece_size=MiB, poll_interval=0.01)
    started = time.monotonic()
    try:
        timer.start()
        with pytest.raises(TransferCancelledError):
            download_to_path(_SilentSource(transport), tmp_path / "o", config=config, cancel_token=token)
        stopped = time.monotonic()
    finally:
        timer.cancel()
        transport.close()
    assert token.cancelled
    assert stopped - started < 0.8 + 1.0  # cancelled at 0.8 s, stopped within a second (read timeout: 30 s)
    assert not (tmp_path / "o").exists()
