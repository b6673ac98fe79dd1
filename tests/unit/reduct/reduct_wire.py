"""Helpers of the ReductStore wire tests: canned answers at ``/api/v1`` and what a call sent."""

from __future__ import annotations

from typing import Any, Dict, Optional

import responses

BASE = "http://127.0.0.1:8383"
API = f"{BASE}/api/v1"
TOKEN = "init-token-secret-3fa9c0ffee"
API_HEADER = {"x-reduct-api": "1.21"}


def add(
    mock: responses.RequestsMock,
    method: str,
    path: str,
    *,
    status: int = 200,
    json: Optional[Any] = None,
    body: bytes = b"",
    headers: Optional[Dict[str, str]] = None,
    api: Optional[str] = "1.21",
) -> None:
    """One canned answer at ``/api/v1<path>`` (any query string), with ``x-reduct-api`` by default."""
    all_headers = dict(headers or {})
    if api is not None:
        all_headers.setdefault("x-reduct-api", api)
    kwargs: Dict[str, Any] = {"status": status, "headers": all_headers}
    if "content-type" in all_headers:
        kwargs["content_type"] = all_headers.pop("content-type")
    if json is not None:
        kwargs["json"] = json
    else:
        kwargs["body"] = body
    mock.add(method, f"{API}{path}", **kwargs)


def error(status: int, message: str) -> Dict[str, Any]:
    """The keyword arguments of an error answer as the server sends it."""
    return {"status": status, "headers": {"x-reduct-error": message}, "json": {"detail": message}}


class Sent:
    """What one call put on the wire."""

    def __init__(self, call: Any) -> None:
        from urllib.parse import parse_qsl, urlsplit

        request = call.request
        parts = urlsplit(request.url or "")
        self.method: str = request.method
        self.path = parts.path
        self.query = dict(parse_qsl(parts.query, keep_blank_values=True))
        self.headers = request.headers
        body: Any = request.body
        if hasattr(body, "read"):
            body = body.read()
        self.body: bytes = body.encode() if isinstance(body, str) else (bytes(body) if body else b"")

    def json(self) -> Any:
        import json

        return json.loads(self.body)


def sent(mock: responses.RequestsMock, index: int = -1) -> Sent:
    return Sent(mock.calls[index])
