"""``ReductService``: the ReductStore HTTP API v1 (server 1.21) as a service of the emulator host.

What is the service's own: every response, errors included, carries ``x-reduct-api`` and the
server's ``Server`` header; an error is a status, an ``x-reduct-error`` header with the server's
sentence and a ``{"detail": ...}`` body (docs/reduct-protocol.md §3). Authentication happens
inside each operation, where the server checks its policy (docs/reduct-protocol.md §4).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from cassdk_like.emulator.errors import ApiError
from cassdk_like.emulator.reduct import ops_buckets, ops_io, ops_records, ops_server, ops_tokens
from cassdk_like.emulator.reduct.auth import TokenStore
from cassdk_like.emulator.reduct.context import Context, ReductState
from cassdk_like.emulator.reduct.errors import STATUS_NAMES, reduct_error
from cassdk_like.emulator.reduct.query import QueryRegistry
from cassdk_like.emulator.reduct.routes import OPERATIONS, route_for
from cassdk_like.emulator.reduct.store import RecordStore
from cassdk_like.emulator.service import (
    BAD_REQUEST,
    INJECTED,
    INTERNAL_ERROR,
    LENGTH_REQUIRED,
    REQUEST_TIMEOUT,
    Environment,
    Route,
    ServiceBase,
)
from cassdk_like.emulator.wire import Request, Response

__all__ = ["API_VERSION", "SERVER_VERSION", "ReductService", "ReductSettings"]

SERVER_VERSION = ops_server.SERVER_VERSION
#: the ``major.minor`` every response announces in ``x-reduct-api``
API_VERSION = ".".join(SERVER_VERSION.split(".")[:2])


@dataclass(frozen=True, repr=False)
class ReductSettings:
    """``api_token``: the init token's value (None: authentication disabled); ``deletion_delay``:
    how long a removed bucket stays ``DELETING`` before the background sweep drops it (s)."""

    api_token: Optional[str] = None
    deletion_delay: float = 0.1

    def __repr__(self) -> str:
        token = "<hidden>" if self.api_token is not None else "None"
        return f"ReductSettings(api_token={token}, deletion_delay={self.deletion_delay})"


_HOST_MESSAGES: Mapping[str, Tuple[int, str]] = {
    LENGTH_REQUIRED: (411, "content-length header is required"),
    REQUEST_TIMEOUT: (408, "Timeout while receiving data"),
    INTERNAL_ERROR: (500, "Internal server error"),
}

Operation = Callable[[Context], Response]

_log = logging.getLogger("cassdk_like.emulator")


class ReductService(ServiceBase):
    """ReductStore on one port. Thread-safe."""

    name = "reduct"
    operations = OPERATIONS

    def __init__(self, env: Environment, settings: Optional[ReductSettings] = None) -> None:
        self.env = env
        self.settings = settings or ReductSettings()
        self.store = RecordStore(env.db)
        self.tokens = TokenStore(env.db, env.clock, self.settings.api_token)
        self.queries = QueryRegistry(env.clock)
        self.store.abandon_all_writing()
        self.state = ReductState(
            db=env.db,
            store=self.store,
            tokens=self.tokens,
            queries=self.queries,
            clock=env.clock,
            started=env.clock(),
            remove_bucket=self._remove_bucket,
        )
        self._operations: Dict[str, Operation] = {
            **ops_server.OPERATIONS,
            **ops_tokens.OPERATIONS,
            **ops_buckets.OPERATIONS,
            **ops_records.OPERATIONS,
            **ops_io.OPERATIONS,
        }
        self._timers: List[threading.Timer] = []
        self._timers_lock = threading.Lock()
        self._running = False

    def __repr__(self) -> str:
        return f"ReductService(auth={'on' if self.tokens.enabled else 'off'})"

    # -- background bucket removal (docs/reduct-protocol.md §5.1) ----------------------------------

    def _remove_bucket(self, name: str) -> None:
        self.store.mark_deleting(name, self.env.clock() + self.settings.deletion_delay)
        self.queries.drop_bucket(name)
        timer = threading.Timer(self.settings.deletion_delay, self._sweep_in_background)
        timer.daemon = True
        with self._timers_lock:
            self._timers = [t for t in self._timers if t.is_alive()]
            self._timers.append(timer)
            if self._running:
                timer.start()

    def _sweep_in_background(self) -> None:
        try:
            self.finish_deletions()
        except Exception:  # the emulator stopped under the timer; the next start finishes the job
            _log.debug("background bucket removal interrupted", exc_info=True)

    def finish_deletions(self, *, now: Optional[float] = None) -> None:
        """Drop every bucket whose removal is due (all of them with ``now=inf``)."""
        moment = self.env.clock() if now is None else now
        for name, due in self.store.deleting():
            if due <= moment:
                self.store.drop_bucket(name)

    def start(self) -> None:
        self._running = True
        self.finish_deletions(now=float("inf"))  # removals a stopped emulator left unfinished

    def stop(self) -> None:
        self._running = False
        with self._timers_lock:
            timers, self._timers = self._timers, []
        for timer in timers:
            timer.cancel()

    # -- the Service protocol -------------------------------------------------------------------

    def route(self, request: Request) -> Route:
        return route_for(request.method, request.path)

    def verify(self, request: Request) -> None:
        """Nothing here: each operation authenticates where the server does (after a JSON body
        is parsed, before storage is touched), so the statuses come in the server's order."""

    def invoke(self, route: Route, request: Request) -> Response:
        operation = self._operations.get(route.operation)
        if operation is None:
            raise reduct_error(405, "Method not allowed")
        self.finish_deletions()
        response = operation(Context(request, route.params, self.state, self.env.clock()))
        response.headers.extend(self.default_headers())
        return response

    def error_response(self, error: ApiError, request: Request) -> Response:
        message = error.message
        header = message if _header_safe(message) else "Unparsable message"
        headers: List[Tuple[str, str]] = [("Content-Type", "application/json"), ("x-reduct-error", header)]
        if error.retry_after is not None:
            seconds = error.retry_after
            headers.append(("Retry-After", str(int(seconds)) if seconds == int(seconds) else str(seconds)))
        headers.extend(self.default_headers())
        if error.status in (204, 304):
            return Response(error.status, headers)  # no body with these statuses
        body = '{"detail": "' + message.replace('"', "'") + '"}'
        return Response(error.status, headers, body.encode("utf-8"))

    def host_error(self, condition: str, status: int, message: str) -> ApiError:
        if condition in (INJECTED, BAD_REQUEST):
            return reduct_error(status, message)
        chosen, text = _HOST_MESSAGES.get(condition, (status, message))
        return ApiError(STATUS_NAMES.get(chosen, "Error"), text, status=chosen)

    def default_headers(self) -> List[Tuple[str, str]]:
        return [("x-reduct-api", API_VERSION), ("Server", f"ReductStore {SERVER_VERSION}")]

    def info(self) -> Dict[str, Any]:
        return {"version": SERVER_VERSION, "api": API_VERSION, "auth": self.tokens.enabled}

    def stats(self) -> Dict[str, Any]:
        row = self.env.db.row("SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM rs_records")
        records, stored = (int(row["n"]), int(row["bytes"])) if row is not None else (0, 0)
        return {
            "reduct_records": records,
            "reduct_bytes_stored": stored,
            "reduct_open_queries": len(self.queries),
        }


def _header_safe(text: str) -> bool:
    """Whether ``text`` can go out as a header value as it is (visible ASCII, spaces and tabs)."""
    return all(ch == "\t" or 0x20 <= ord(ch) < 0x7F for ch in text)
