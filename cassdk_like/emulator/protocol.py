"""The wire format in one place: the two dialects, requests, responses, and the error body.

Every response, success or error, gets the dialect's request-id header here; every error is
``{"code", "message", "type"}`` with its documented status (docs/vault-protocol.md §4). Operations build
:class:`Response` objects and never touch the socket.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

from cassdk_like.emulator.errors import ApiError, invalid_value, missing_value

__all__ = [
    "CAS",
    "DIALECTS",
    "GLACIER",
    "MAX_JSON_BODY",
    "BodyReader",
    "Dialect",
    "FileBody",
    "Request",
    "Response",
    "empty_response",
    "error_response",
    "json_response",
    "new_request_id",
]

#: JSON request bodies larger than this are refused (they are policies and job requests)
MAX_JSON_BODY = 1024 * 1024


@dataclass(frozen=True)
class Dialect:
    """What differs between the CAS wire format and Glacier's (docs/vault-protocol.md §7)."""

    name: str
    prefix: str
    request_id_header: str
    qcs_field: str
    callback_field: str
    policy_key: str
    signature_status: int
    list_defaults: Mapping[str, int]

    def h(self, suffix: str) -> str:
        """``h("sha256-tree-hash")`` -> ``x-cas-sha256-tree-hash`` or ``x-amz-sha256-tree-hash``."""
        return self.prefix + suffix


CAS = Dialect(
    name="cas",
    prefix="x-cas-",
    request_id_header="x-cas-requestId",
    qcs_field="VaultQCS",
    callback_field="CallBackUrl",
    policy_key="policy",
    signature_status=400,
    list_defaults={"ListVaults": 1000, "ListJobs": 1000, "ListMultipartUploads": 1000, "ListParts": 1000},
)
GLACIER = Dialect(
    name="glacier",
    prefix="x-amz-",
    request_id_header="x-amzn-RequestId",
    qcs_field="VaultARN",
    callback_field="SNSTopic",
    policy_key="Policy",
    signature_status=403,
    list_defaults={"ListVaults": 10, "ListJobs": 50, "ListMultipartUploads": 50, "ListParts": 50},
)
DIALECTS = {"cas": CAS, "glacier": GLACIER}


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
    """A parsed request: ``path`` is percent-decoded (as signed), ``headers`` keys are lowercase."""

    method: str
    path: str
    query: List[Tuple[str, str]]
    headers: Dict[str, str]
    body: BodyReader

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name.lower())

    def require_header(self, name: str) -> str:
        value = self.headers.get(name.lower())
        if value is None or not value.strip():
            raise missing_value(f"the {name} header is required")
        return value.strip()

    def param(self, name: str) -> Optional[str]:
        for key, value in self.query:
            if key == name:
                return value
        return None

    def read_json(self) -> Dict[str, Any]:
        """The whole body as a JSON object (SerializationException when it is not one)."""
        if self.body.length > MAX_JSON_BODY:
            raise invalid_value(f"the JSON body is larger than {MAX_JSON_BODY} bytes")
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
    """A response body served from a file (job output), sent with os.sendfile when possible."""

    path: str
    offset: int
    length: int


@dataclass
class Response:
    status: int
    headers: List[Tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    file: Optional[FileBody] = None
    job_output: bool = False

    @property
    def length(self) -> int:
        return self.file.length if self.file is not None else len(self.body)


def new_request_id() -> str:
    return secrets.token_hex(16)


def json_response(status: int, doc: Any, headers: Optional[List[Tuple[str, str]]] = None) -> Response:
    body = json.dumps(doc).encode("utf-8")
    return Response(status, [("Content-Type", "application/json"), *(headers or [])], body)


def empty_response(status: int, headers: Optional[List[Tuple[str, str]]] = None) -> Response:
    return Response(status, list(headers or []))


def error_response(error: ApiError, dialect: Dialect) -> Response:
    """The documented error: JSON ``{"code","message","type"}``; Retry-After when throttling."""
    status = error.status
    if error.code == "InvalidSignatureException" and status == 400:
        status = dialect.signature_status
    response = json_response(status, {"code": error.code, "message": error.message, "type": error.error_type})
    if dialect is GLACIER:
        response.headers.append(("x-amzn-ErrorType", error.code))
    if error.retry_after is not None:
        seconds = error.retry_after
        response.headers.append(
            ("Retry-After", str(int(seconds)) if seconds == int(seconds) else str(seconds))
        )
    return response
