"""What an operation sees: the request, its path parameters, the service's state, and the calling
token (authenticated on first use, so each operation checks its own policy at the point the
server does: after parsing a JSON body, before touching storage)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from cassdk_like.emulator.db import Database
from cassdk_like.emulator.reduct.auth import Token, TokenStore
from cassdk_like.emulator.reduct.errors import reduct_error
from cassdk_like.emulator.reduct.query import QueryRegistry
from cassdk_like.emulator.reduct.store import RecordStore
from cassdk_like.emulator.wire import MAX_JSON_BODY, Request, Response

__all__ = ["Context", "ReductState", "empty", "json_response"]


@dataclass
class ReductState:
    """Everything the operations share. ``remove_bucket`` schedules a bucket's removal."""

    db: Database
    store: RecordStore
    tokens: TokenStore
    queries: QueryRegistry
    clock: Callable[[], float]
    started: float
    remove_bucket: Callable[[str], None]


@dataclass
class Context:
    request: Request
    params: Mapping[str, str]
    state: ReductState
    now: float
    _token: Optional[Token] = field(default=None, repr=False)

    @property
    def bucket(self) -> str:
        return self.params["bucket"]

    @property
    def entry(self) -> str:
        return self.params["entry"]

    @property
    def store(self) -> RecordStore:
        return self.state.store

    # -- authentication and policies (docs/reduct-protocol.md §4) ------------------------------------

    def token(self) -> Token:
        """The calling token (any valid token: the authenticated policy)."""
        if self._token is None:
            self._token = self.state.tokens.authenticate(
                self.request.header("authorization"), self.request.client_ip
            )
        return self._token

    def full_access(self) -> Token:
        token = self.token()
        token.require_full_access()
        return token

    def read_access(self, bucket: str) -> Token:
        token = self.token()
        token.require_read(bucket)
        return token

    def write_access(self, bucket: str) -> Token:
        token = self.token()
        token.require_write(bucket)
        return token

    # -- request pieces -------------------------------------------------------------------------------

    def body(self) -> bytes:
        """The whole (small, JSON) body."""
        if self.request.body.length > MAX_JSON_BODY:
            raise reduct_error(413, f"The request body is larger than {MAX_JSON_BODY} bytes")
        return self.request.body.read(self.request.body.length)

    def json_body(self) -> Dict[str, Any]:
        raw = self.body()
        try:
            doc = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise reduct_error(422, f"Invalid JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise reduct_error(422, "Invalid JSON: expected an object")
        return doc

    def labels(self) -> Dict[str, str]:
        """``x-reduct-label-*`` headers (names lower-cased, as HTTP/2 and hyper give them)."""
        prefix = "x-reduct-label-"
        return {
            name[len(prefix) :]: value
            for name, value in self.request.headers.items()
            if name.startswith(prefix)
        }

    def param(self, name: str) -> Optional[str]:
        return self.request.param(name)


def json_response(doc: Any, status: int = 200, headers: Optional[List[Tuple[str, str]]] = None) -> Response:
    body = json.dumps(doc).encode("utf-8")
    return Response(status, [("Content-Type", "application/json"), *(headers or [])], body)


def empty(status: int = 200, headers: Optional[List[Tuple[str, str]]] = None) -> Response:
    return Response(status, list(headers or []))
