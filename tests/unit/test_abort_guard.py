"""AttemptGuard: an aborted connection never goes back to the pool; a finished one is never shut."""

from __future__ import annotations

import socket
from typing import List

from cassdk_like.core.http.abort import CANCELLED, DEADLINE, AttemptGuard


class FakeConn:
    def __init__(self) -> None:
        self.sock, peer = socket.socketpair()
        self.peer = peer
        self.closed: List[bool] = []

    def close(self) -> None:
        self.closed.append(True)
        self.sock.close()
        self.peer.close()


def test_an_aborted_connection_is_shut_down_and_refused_by_the_pool() -> None:
    conn = FakeConn()
    guard = AttemptGuard()
    guard.bind(conn)
    guard.abort(CANCELLED)
    assert conn.peer.recv(1) == b""  # shut down: the peer sees the end of the stream
    assert guard.release(conn) is True  # _put_conn closes it instead of pooling it
    guard.abort(DEADLINE)
    assert guard.reason == CANCELLED  # the first reason stays
    conn.close()


def test_an_abort_after_the_attempt_finished_leaves_the_connection_alone() -> None:
    conn = FakeConn()
    guard = AttemptGuard()
    guard.bind(conn)
    assert guard.release(conn) is False  # back to the pool: the attempt is over
    guard.abort(CANCELLED)
    assert guard.reason is None
    conn.sock.sendall(b"ok")
    assert conn.peer.recv(2) == b"ok"  # still usable by the next request
    conn.close()


def test_a_connection_bound_after_the_abort_is_shut_at_once() -> None:
    conn = FakeConn()
    guard = AttemptGuard()
    guard.abort(CANCELLED)
    guard.bind(conn)
    assert conn.peer.recv(1) == b""
    conn.close()
