"""The zero-copy body path on the urllib3 that is installed (CI runs both majors: 1.26 on Python 3.9,
2.x on newer Pythons).  ``zerocopy`` reaches into urllib3's private attributes; these tests fail
the day a urllib3 release moves them, instead of the SDK silently falling back to the copying path.

No network: the response is real ``http.client`` + urllib3 parsing over a ``socket.socketpair``.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import socket
import threading
from typing import Any, Iterator, List, Tuple

import pytest
import urllib3

from cassdk_like.core.http.response import BodyStream
from cassdk_like.core.http.zerocopy import direct_reader, direct_reader_for, socket_of

BODY = bytes(range(256)) * 1024  # 256 KiB


def _answer(body: bytes, *extra: str) -> bytes:
    head = ["HTTP/1.1 200 OK", f"Content-Length: {len(body)}", *extra, "", ""]
    return "\r\n".join(head).encode("latin-1") + body


@pytest.fixture
def pair() -> Iterator[Tuple[socket.socket, socket.socket]]:
    client, server = socket.socketpair()
    client.settimeout(30)
    yield client, server
    client.close()
    server.close()


def _urllib3_response(client: socket.socket, server: socket.socket, wire: bytes) -> Any:
    """What requests hands BodyStream: a urllib3 HTTPResponse over http.client, body unread."""

    def serve() -> None:
        with contextlib.suppress(OSError):  # the test may stop reading early
            server.sendall(wire)
            server.shutdown(socket.SHUT_WR)

    threading.Thread(target=serve, daemon=True).start()  # the body is larger than a socket buffer
    original = http.client.HTTPResponse(client, method="GET")
    original.begin()
    return urllib3.HTTPResponse(
        body=original,
        headers=dict(original.getheaders()),
        status=original.status,
        preload_content=False,
        decode_content=False,
        original_response=original,
    )


def test_the_zero_copy_readers_are_found(pair: Tuple[socket.socket, socket.socket]) -> None:
    raw = _urllib3_response(*pair, _answer(BODY))
    assert direct_reader(raw) is not None, f"urllib3 {urllib3.__version__} moved _fp/_fp_bytes_read"
    assert direct_reader_for(raw) is not None, f"urllib3 {urllib3.__version__}: no readinto1 under _fp"
    assert socket_of(raw) is pair[0]


@pytest.mark.parametrize("bounded", [False, True], ids=["readinto", "readinto_for"])
def test_a_body_is_read_past_urllib3_and_checked(
    pair: Tuple[socket.socket, socket.socket], monkeypatch: pytest.MonkeyPatch, bounded: bool
) -> None:
    raw = _urllib3_response(*pair, _answer(BODY))

    def copying_path(*_args: Any, **_kwargs: Any) -> int:
        raise AssertionError("urllib3's copying readinto was used")

    monkeypatch.setattr(raw, "readinto", copying_path)
    monkeypatch.setattr(raw, "read", copying_path)
    released: List[bool] = []
    monkeypatch.setattr(raw, "release_conn", lambda: released.append(True))
    stream = BodyStream(raw, expected_length=len(BODY), closer=raw.close)
    got = bytearray()
    buf = bytearray(100_000)  # not a divisor of the body: the last read is short
    while True:
        count = stream.readinto_for(buf, 5.0) if bounded else stream.readinto(buf)
        if not count:
            break
        got += buf[:count]
    assert bytes(got) == BODY
    assert stream.bytes_read == len(BODY)
    assert released  # the whole body was read, so the connection goes back to the pool


def test_an_encoded_body_keeps_urllib3s_path(pair: Tuple[socket.socket, socket.socket]) -> None:
    raw = _urllib3_response(*pair, _answer(gzip.compress(BODY), "Content-Encoding: gzip"))
    assert direct_reader(raw) is None
    assert direct_reader_for(raw) is None


def test_a_started_body_keeps_urllib3s_path(pair: Tuple[socket.socket, socket.socket]) -> None:
    raw = _urllib3_response(*pair, _answer(BODY))
    assert raw.read(10) == BODY[:10]
    assert direct_reader(raw) is None  # urllib3 has counted bytes: its bookkeeping must stay right


def test_objects_without_the_private_attributes_fall_back() -> None:
    class Plain:
        headers: dict = {}  # type: ignore[type-arg]

        def read(self, amt: Any = None, decode_content: Any = None) -> bytes:
            return b""

    assert direct_reader(Plain()) is None
    assert direct_reader_for(Plain()) is None
    assert socket_of(Plain()) is None
