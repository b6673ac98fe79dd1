"""Requests and responses as the host and every service share them; no service's wire format here.

The handler parses the socket into a :class:`Request`, a service answers with a :class:`Response`
(bytes, or a file range sent with sendfile), and neither side touches the other's internals.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from cassdk_like.emulator.errors import ApiError

__all__ = [
    "MAX_JSON_BODY",
    "BodyReader",
    "FileBody",
    "Request",
    "Response",
    "empty_response",
    "json_response",
    "new_request_id",
]

#: JSON request bodies larger than this are refused (policies, job requests, admin documents)
MAX_JSON_BODY = 1024 * 1024


class BodyReader:
    """The request body, bounded by Content-Length; tracks how much was consumed."""

    def __init__(self, stream: Any, length: int) -> None:
        self._stream = stream
        self.length = length
        self.consumed = 0

    @property
    def remaining(self) -> int:
        return self.length - self.consumed

    def read(self, size: int) -> bytes:
        size = min(size, self.remaining)
        if size <= 0:
            return b""
        data: bytes = self._stream.read(size)
        self.consumed += len(data)
        return data


@dataclass
class Request:
    """A parsed request: ``path`` is percent-decoded, ``headers`` keys are lowercase.

    ``raw_path`` and ``raw_headers`` are as received (signature schemes that sign the encoded path or
    the original header case need them); ``client_ip`` is the peer's address (IP allow-lists). The
    host fills in ``service``, ``operation`` (``"Unknown"`` when the service's routing refused the
    request) and ``request_id`` before the service sees it.
    """

    method: str
    path: str
    query: List[Tuple[str, str]]
    headers: Dict[str, str]
    body: BodyReader
    raw_path: str = ""
    raw_headers: List[Tuple[str, str]] = field(default_factory=list)
    client_ip: str = ""
    service: str = ""
    operation: str = ""
    request_id: str = ""

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name.lower())

    def require_header(self, name: str) -> str:
        value = self.headers.get(name.lower())
        if value is None or not value.strip():
            raise ApiError("MissingParameterValueException", f"the {name} header is required")
        return value.strip()

    def param(self, name: str) -> Optional[str]:
        for key, value in self.query:
            if key == name:
                return value
        return None

    def read_json(self) -> Dict[str, Any]:
        """The whole body as a JSON object (SerializationException when it is not one)."""
        if self.body.length > MAX_JSON_BODY:
            message = f"the JSON body is larger than {MAX_JSON_BODY} bytes"
            raise ApiError("InvalidParameterValueException", message)
        raw = self.body.read(self.body.length)
        try:
            doc = json.loads(raw.decode("utf-8")) if raw.strip() else None
        except (UnicodeDecodeError, ValueError) as exc:
            raise ApiError("SerializationException", f"the request body is not valid JSON: {exc}") from exc
        if not isinstance(doc, dict):
            raise ApiError("SerializationException", "the request body must be a JSON object")
        return doc


@dataclass(frozen=True)
class FileBody:
    """A response body served from a file range, sent with os.sendfile when no fault is in the way."""

    path: str
    offset: int
    length: int


@dataclass
class Response:
    """``job_output`` marks bodies counted apart in the statistics (CAS job output). The body is
    ``body``, or ``file``, or ``files``: several file ranges sent one after another (a batch of
    records, each in its own file)."""

    status: int
    headers: List[Tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    file: Optional[FileBody] = None
    job_output: bool = False
    files: List[FileBody] = field(default_factory=list)

    @property
    def length(self) -> int:
        if self.files:
            return sum(part.length for part in self.files)
        return self.file.length if self.file is not None else len(self.body)

    @property
    def file_parts(self) -> List[FileBody]:
        """The file ranges of the body, in order (empty for a bytes body)."""
        return list(self.files) if self.files else ([self.file] if self.file is not None else [])


def new_request_id() -> str:
    return secrets.token_hex(16)


def json_response(status: int, doc: Any, headers: Optional[List[Tuple[str, str]]] = None) -> Response:
    body = json.dumps(doc).encode("utf-8")
    return Response(status, [("Content-Type", "application/json"), *(headers or [])], body)


def empty_response(status: int, headers: Optional[List[Tuple[str, str]]] = None) -> Response:
    return Response(status, list(headers or []))
