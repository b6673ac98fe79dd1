"""Abort the HTTP attempt in flight from another thread: a cancel or a deadline shuts its socket down.

``requests`` gives no handle on the connection an attempt uses, so the Transport's adapter mounts
urllib3 pools whose ``_get_conn`` binds the connection they hand out to the calling thread's
:class:`AttemptGuard`, and whose ``_put_conn`` asks the guard before pooling it again. A guard
that was aborted keeps its connection out of the pool for good; one that finished first makes a
late abort a no-op, so a cancel can never shut down a connection that already serves another
request. A thread blocked sending a body or waiting for the status line then fails at once.
The connect phase (and a TLS handshake) is bounded by the connect timeout: its socket is checked
right after it connects.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any, Iterator, Optional

import urllib3.connection
import urllib3.connectionpool

__all__ = ["CANCELLED", "DEADLINE", "GUARDED_POOL_CLASSES", "STALLED", "AttemptGuard"]

#: why an attempt was aborted
CANCELLED = "cancelled"
DEADLINE = "deadline"
STALLED = "stalled"

_current = threading.local()
_GUARD_ATTR = "_cassdk_guard"


def _shutdown(conn: Any) -> None:
    """Shut the connection's socket down (the plain socket's call, so it works under TLS too)."""
    for sock in (getattr(conn, "sock", None), getattr(conn, "_cassdk_raw", None)):
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


class AttemptGuard:
    """The live connection of one attempt, and whether (and why) it was aborted. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conn: Any = None
        self._done = False
        self.reason: Optional[str] = None

    @contextlib.contextmanager
    def active(self) -> Iterator[AttemptGuard]:
        """Connections taken from a guarded pool by this thread in the block belong to this guard."""
        previous = getattr(_current, "guard", None)
        _current.guard = self
        try:
            yield self
        finally:
            _current.guard = previous

    def abort(self, reason: str) -> None:
        """From any thread: fail the attempt now; a no-op once it finished or was aborted."""
        with self._lock:
            if self._done or self.reason is not None:
                return
            self.reason = reason
            conn = self._conn
        if conn is not None:
            _shutdown(conn)

    def finish(self) -> None:
        """The attempt is over (its answer is here, or it failed): later aborts do nothing."""
        with self._lock:
            self._done = True
            self._conn = None

    def bind(self, conn: Any) -> None:
        with self._lock:
            if self._done:
                return
            self._conn = conn
            setattr(conn, _GUARD_ATTR, self)
            aborted = self.reason is not None
        if aborted:
            _shutdown(conn)

    @property
    def aborted(self) -> bool:
        return self.reason is not None

    def release(self, conn: Any) -> bool:
        """Called as ``conn`` goes back to the pool: True when it must be closed instead."""
        with self._lock:
            if self._conn is conn:
                self._conn = None
                self._done = True
            return self.reason is not None


def _guard_of(conn: Any) -> Optional[AttemptGuard]:
    guard = getattr(conn, _GUARD_ATTR, None)
    return guard if isinstance(guard, AttemptGuard) else None


class _GuardedConnectionMixin:
    """Checks right after connecting whether the attempt was aborted while the socket was made."""

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        self._cassdk_raw = sock
        guard = _guard_of(self)
        if guard is not None and guard.aborted:
            with contextlib.suppress(OSError):
                sock.close()
            raise ConnectionAbortedError("the request attempt was aborted")
        return sock


class _GuardedHTTPConnection(_GuardedConnectionMixin, urllib3.connection.HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, urllib3.connection.HTTPSConnection):
    pass


class _GuardedPoolMixin:
    """Binds handed-out connections to the thread's guard; keeps aborted ones out of the pool."""

    def _get_conn(self, timeout: Optional[float] = None) -> Any:
        conn = super()._get_conn(timeout)  # type: ignore[misc]
        guard = getattr(_current, "guard", None)
        if isinstance(guard, AttemptGuard):
            guard.bind(conn)
        return conn

    def _put_conn(self, conn: Any) -> None:
        guard = _guard_of(conn) if conn is not None else None
        if guard is not None and guard.release(conn):
            conn.close()
            conn = None  # the pool keeps its size; the next request opens a fresh connection
        super()._put_conn(conn)  # type: ignore[misc]


class _GuardedHTTPConnectionPool(_GuardedPoolMixin, urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSConnectionPool(_GuardedPoolMixin, urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


#: ``PoolManager.pool_classes_by_scheme`` for managers whose attempts can be aborted
GUARDED_POOL_CLASSES = {"http": _GuardedHTTPConnectionPool, "https": _GuardedHTTPSConnectionPool}
