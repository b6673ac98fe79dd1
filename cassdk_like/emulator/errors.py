"""The one error type every emulated service raises; each service renders it in its own format.

Store, job and operation code raise :class:`ApiError` with a code from the service's vocabulary; the
service's ``error_response`` is the only place that turns it into bytes on the wire. Services whose
codes are not in the SDK's exception tree (S3's ``NoSuchKey``...) pass ``status`` explicitly.
"""

from __future__ import annotations

from typing import Dict, Optional

__all__ = ["DOCUMENTED_STATUS", "ApiError", "status_for_code"]


#: the documented HTTP status of each CAS/Glacier code (docs/vault-protocol.md §4.2), the default for
#: ``ApiError``; the emulator keeps its own list, as a second implementation of the protocol, not the
#: SDK's table. Services with other vocabularies (S3's ``NoSuchKey``...) pass ``status`` explicitly.
DOCUMENTED_STATUS: Dict[str, int] = {
    "AccessDeniedException": 403,
    "BadRequest": 400,
    "ExpiredTokenException": 403,
    "InvalidParameterValueException": 400,
    "InvalidParameter": 400,
    "InvalidDigest": 400,
    "InvalidSignatureException": 400,
    "LimitExceededException": 400,
    "MissingAuthenticationTokenException": 400,
    "MissingParameterValueException": 400,
    "PolicyEnforcedException": 400,
    "ResourceNotFoundException": 404,
    "RequestTimeoutException": 408,
    "SerializationException": 400,
    "ThrottlingException": 400,
    "SlowDown": 503,
    "UnrecognizedClientException": 400,
    "ServiceUnavailableException": 500,
}


def status_for_code(code: str) -> int:
    """The documented HTTP status of ``code``; 400 if undocumented."""
    return DOCUMENTED_STATUS.get(code, 400)


class ApiError(Exception):
    """A request the service refuses: a code, a message and an HTTP status (``Retry-After`` optional)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: Optional[int] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status if status is not None else status_for_code(code)
        self.retry_after = retry_after

    @property
    def error_type(self) -> str:
        """``Client`` or ``Server`` (the CAS error body's ``type``; Glacier and S3 use the same split)."""
        return "Server" if self.status >= 500 else "Client"
