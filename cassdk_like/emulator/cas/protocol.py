"""The CAS wire format: the two dialects (CAS and Glacier) and the error body.

Every error is ``{"code", "message", "type"}`` with its documented status
(docs/vault-protocol.md §4); the dialect names the request-id header. Operations build
:class:`~cassdk_like.emulator.wire.Response` objects and never touch the socket.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from cassdk_like.emulator.errors import ApiError
from cassdk_like.emulator.wire import Response, json_response

__all__ = ["CAS", "DIALECTS", "GLACIER", "Dialect", "error_response"]


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
