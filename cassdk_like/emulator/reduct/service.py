"""``ReductService``: the ReductStore HTTP API v1 as a service of the emulator host.

What is the service's own: every response, errors included, carries ``x-reduct-api`` and the
server's ``Server`` header; an error is a status, an ``x-reduct-error`` header with the server's
sentence and a ``{"detail": ...}`` body (docs/reduct-protocol.md §3).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from cassdk_like.emulator.errors import ApiError
from cassdk_like.emulator.reduct.errors import STATUS_NAMES, reduct_error
from cassdk_like.emulator.reduct.routes import OPERATIONS, route_for
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

#: the server version the service speaks, and the ``major.minor`` every response announces
SERVER_VERSION = "1.21.0"
API_VERSION = "1.21"


@dataclass(frozen=True, repr=False)
class ReductSettings:
    """``api_token``: the init token's value (None: authentication disabled)."""

    api_token: Optional[str] = None

    def __repr__(self) -> str:
        token = "<hidden>" if self.api_token is not None else "None"
        return f"ReductSettings(api_token={token})"


_HOST_MESSAGES: Mapping[str, Tuple[int, str]] = {
    LENGTH_REQUIRED: (411, "content-length header is required"),
    REQUEST_TIMEOUT: (408, "Timeout while reading the request body"),
    INTERNAL_ERROR: (500, "Internal server error"),
}

Operation = Callable[[Route, Request], Response]


class ReductService(ServiceBase):
    """ReductStore on one port. Thread-safe."""

    name = "reduct"
    operations = OPERATIONS

    def __init__(self, env: Environment, settings: Optional[ReductSettings] = None) -> None:
        self.env = env
        self.settings = settings or ReductSettings()
        self._started = time.monotonic()
        self._operations: Dict[str, Operation] = {
            "GetInfo": self._info,
            "Alive": self._alive,
            "Ready": self._alive,
        }

    def __repr__(self) -> str:
        return f"ReductService(auth={'on' if self.settings.api_token is not None else 'off'})"

    # -- the Service protocol -------------------------------------------------------------------

    def route(self, request: Request) -> Route:
        return route_for(request.method, request.path)

    def verify(self, request: Request) -> None:
        return None

    def invoke(self, route: Route, request: Request) -> Response:
        operation = self._operations.get(route.operation)
        if operation is None:
            raise reduct_error(405, "Method not allowed")
        response = operation(route, request)
        response.headers.extend(self.default_headers())
        return response

    def error_response(self, error: ApiError, request: Request) -> Response:
        status = error.status
        message = error.message
        header = message if _header_safe(message) else "Unparsable message"
        body = '{"detail": "' + message.replace('"', "'") + '"}'
        headers: List[Tuple[str, str]] = [("Content-Type", "application/json"), ("x-reduct-error", header)]
        if error.retry_after is not None:
            seconds = error.retry_after
            headers.append(("Retry-After", str(int(seconds)) if seconds == int(seconds) else str(seconds)))
        headers.extend(self.default_headers())
        return Response(status, headers, body.encode("utf-8"))

    def host_error(self, condition: str, status: int, message: str) -> ApiError:
        if condition == INJECTED:
            return reduct_error(status, message)
        if condition == BAD_REQUEST:
            return reduct_error(status, message)
        chosen, text = _HOST_MESSAGES.get(condition, (status, message))
        return ApiError(STATUS_NAMES.get(chosen, "Error"), text, status=chosen)

    def default_headers(self) -> List[Tuple[str, str]]:
        return [("x-reduct-api", API_VERSION), ("Server", f"ReductStore {SERVER_VERSION}")]

    def info(self) -> Dict[str, Any]:
        return {"version": SERVER_VERSION, "auth": self.settings.api_token is not None}

    # -- server endpoints -------------------------------------------------------------------------

    def _info(self, route: Route, request: Request) -> Response:
        doc = {
            "version": SERVER_VERSION,
            "bucket_count": 0,
            "usage": 0,
            "uptime": int(time.monotonic() - self._started),
            "oldest_record": 2**64 - 1,
            "latest_record": 0,
            "license": None,
            "defaults": {
                "bucket": {
                    "max_block_size": 64000000,
                    "max_block_records": 1024,
                    "quota_type": "NONE",
                    "quota_size": 0,
                }
            },
        }
        return Response(200, [("Content-Type", "application/json")], json.dumps(doc).encode())

    def _alive(self, route: Route, request: Request) -> Response:
        return Response(200)


def _header_safe(text: str) -> bool:
    """Whether ``text`` can go out as a header value as it is (visible ASCII, spaces and tabs)."""
    return all(ch == "\t" or 0x20 <= ord(ch) < 0x7F for ch in text)
