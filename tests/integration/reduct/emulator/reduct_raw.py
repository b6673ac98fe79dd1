"""Raw HTTP to the ReductStore emulator (``requests`` and, where a client cannot be made to
misbehave, a socket), and what the reduct-py version under test can do."""

from __future__ import annotations

import asyncio
import socket
from typing import Any, Awaitable, Dict, Optional, Tuple, TypeVar
from urllib.parse import urlsplit

import reduct
import requests

API = "/api/v1"
T = TypeVar("T")

#: reduct-py's version as (major, minor): 1.21 where Python allows, 1.17 on Python 3.9
CLIENT_VERSION: Tuple[int, int] = tuple(int(p) for p in reduct.__version__.split(".")[:2])  # type: ignore[assignment]
#: the multi-entry API (``/io/...``, record batches, rotate_token) came with 1.18/1.19
HAS_V2 = CLIENT_VERSION >= (1, 18)
HAS_ROTATE = hasattr(reduct.Client, "rotate_token")


def run(awaitable: Awaitable[T]) -> T:
    """Drive one reduct-py coroutine to completion."""
    return asyncio.run(_wait(awaitable))


async def _wait(awaitable: Awaitable[T]) -> T:
    return await awaitable


class Raw:
    """``requests`` against ``/api/v1`` of one emulator, with or without a token."""

    def __init__(self, url: str, token: Optional[str] = None) -> None:
        self.url = url
        self.token = token
        self.session = requests.Session()

    def close(self) -> None:
        self.session.close()

    def with_token(self, token: Optional[str]) -> Raw:
        return Raw(self.url, token)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers: Dict[str, str] = dict(kwargs.pop("headers", {}) or {})
        if self.token is not None and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.token}"
        return self.session.request(method, self.url + API + path, headers=headers, timeout=30, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)


def error_of(response: requests.Response) -> Tuple[int, str]:
    """(status, x-reduct-error), after checking the error's JSON body says the same."""
    message = response.headers.get("x-reduct-error", "")
    if response.request.method != "HEAD" and response.status_code != 204:
        assert response.json() == {"detail": message.replace('"', "'")}
        assert response.headers["Content-Type"] == "application/json"
    assert response.headers["x-reduct-api"] == "1.21"
    return response.status_code, message


def open_socket(url: str) -> socket.socket:
    parts = urlsplit(url)
    assert parts.hostname is not None
    assert parts.port is not None
    return socket.create_connection((parts.hostname, parts.port), timeout=30)


def request_head(method: str, path: str, token: str, *headers: str) -> bytes:
    """The request line and headers of a hand-made request (``path`` after ``/api/v1``)."""
    lines = [f"{method} {API}{path} HTTP/1.1", "Host: x", f"Authorization: Bearer {token}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def read_head(sock: socket.socket) -> Tuple[int, Dict[str, str], bytes]:
    """Status, headers (lower-case names) and whatever body bytes came with them."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, rest
