"""ReductStore's errors: one ``ReductError`` base inside the SDK's tree, one class per status.

The server names no error codes: it answers a status and puts the message in ``x-reduct-error``
(docs/reduct-client.md §6).  The code this table is keyed by is therefore the status as text
(``"404"``), except for the HARD quota's 400, which gets its own code (``QuotaExceeded``) from its
message so ``except QuotaExceeded`` can tell a full bucket from a malformed request.
``str(error)`` is ``"Status <code>: <message>"`` as reduct-py prints it, so code written for
reduct-py that matches on the text keeps working; ``operation`` and ``resource`` are attributes.
"""

from __future__ import annotations

import re
from typing import Dict, Mapping, Optional, Tuple, Type

from cassdk_like.core.errorparse import ParsedError, header_error_parser
from cassdk_like.core.errortable import ErrorDecoder, ErrorTable
from cassdk_like.core.exceptions import CASClientError, CASServerError

__all__ = [
    "ERROR_HEADER",
    "REDUCT_ERRORS",
    "REDUCT_ERROR_DECODER",
    "ApiVersionError",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "InternalServerError",
    "MethodNotAllowed",
    "NotFound",
    "PayloadTooLarge",
    "PreconditionFailed",
    "QuotaExceeded",
    "ReductError",
    "ServiceUnavailable",
    "TooEarly",
    "Unauthorized",
    "UnprocessableEntity",
    "error_for",
    "parse_reduct_error",
]

#: where the server puts an error's message (the body is a JSON copy of it)
ERROR_HEADER = "x-reduct-error"
#: reduct-py's text when an answer carries no message
UNKNOWN_ERROR = "Unknown error"
#: the code given to the HARD quota's 400 (docs/reduct-client.md §6)
QUOTA_EXCEEDED = "QuotaExceeded"
_QUOTA_MESSAGE = re.compile(r"^Quota of .* exceeded")


class ReductError(CASServerError):
    """A non-2xx answer of a ReductStore server (or a failed record of a batch).

    ``status_code`` and ``message`` as in reduct-py; ``status``, ``code``, ``operation`` and
    ``resource`` as every ``CASServerError``.
    """

    def __init__(
        self,
        status: int,
        code: Optional[str] = None,
        message: Optional[str] = None,
        type: Optional[str] = None,
        request_id: Optional[str] = None,
        body: bytes = b"",
        *,
        operation: Optional[str] = None,
        resource: Optional[str] = None,
        local_path: Optional[str] = None,
    ) -> None:
        super().__init__(
            status,
            code if code is not None else str(status),
            message if message else UNKNOWN_ERROR,
            type,
            request_id,
            body,
            operation=operation,
            resource=resource,
            local_path=local_path,
        )

    @property
    def status_code(self) -> int:
        """The HTTP status (reduct-py's name)."""
        return self.status

    def __str__(self) -> str:
        return f"Status {self.status}: {self.message}"

    def __eq__(self, other: object) -> bool:
        """Equal when status and message are, as reduct-py's errors compare."""
        if not isinstance(other, ReductError):
            return NotImplemented
        return (self.status, self.message) == (other.status, other.message)

    def __hash__(self) -> int:
        return hash((self.status, self.message))


class ApiVersionError(CASClientError):
    """The server speaks another major version of the API than this client (docs/reduct-client.md §2)."""


class BadRequest(ReductError):
    """The server could not read the request (400)."""

    default_status = 400


class QuotaExceeded(BadRequest):
    """A HARD quota refused a write: the bucket is full (``Quota of '<bucket>' exceeded``)."""


class Unauthorized(ReductError):
    """No token, an unknown or expired one, or one not allowed from this address."""

    default_status = 401


class Forbidden(ReductError):
    """The token lacks the permission the operation needs."""

    default_status = 403


class NotFound(ReductError):
    """No such bucket, entry, record or token (404)."""

    default_status = 404


class MethodNotAllowed(ReductError):
    """The method is not allowed on this path (405)."""

    default_status = 405


class Conflict(ReductError):
    """Already exists, being deleted, provisioned, or a record with this timestamp exists."""

    default_status = 409


class PreconditionFailed(ReductError):
    """A condition of the request did not hold (412)."""

    default_status = 412


class PayloadTooLarge(ReductError):
    """The request body is larger than the server accepts (413)."""

    default_status = 413


class UnprocessableEntity(ReductError):
    """The server could not read the request (a bad name, header, timestamp or JSON body)."""

    default_status = 422


class TooEarly(ReductError):
    """The record is still being written; reading it again later can succeed."""

    default_status = 425


class InternalServerError(ReductError):
    """The server failed (500); retried."""

    default_status = 500
    retryable = True


class ServiceUnavailable(ReductError):
    """The server is temporarily unavailable (503); retried."""

    default_status = 503
    retryable = True


_STATUS_CLASSES: Tuple[Type[ReductError], ...] = (
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PreconditionFailed,
    PayloadTooLarge,
    UnprocessableEntity,
    TooEarly,
    InternalServerError,
    ServiceUnavailable,
)

_CODES: Dict[str, Type[ReductError]] = {str(k.default_status): k for k in _STATUS_CLASSES}
_CODES[QUOTA_EXCEEDED] = QuotaExceeded


class _ReductTable(ErrorTable):
    """A table whose unknown codes (a status the server does not document) still give a
    ``ReductError``, so ``except ReductError`` catches every answer of the server."""

    def class_for(self, code: Optional[str]) -> Type[CASServerError]:
        found = super().class_for(code)
        return ReductError if found is CASServerError else found


#: ReductStore's code -> class table (codes are statuses, plus ``QuotaExceeded``)
REDUCT_ERRORS: ErrorTable = _ReductTable("reduct", _CODES)

_read_header = header_error_parser(ERROR_HEADER)


def _code_for(status: int, message: Optional[str]) -> str:
    if status == 400 and message is not None and _QUOTA_MESSAGE.match(message):
        return QUOTA_EXCEEDED
    return str(status)


def parse_reduct_error(status: int, headers: Mapping[str, str], body: bytes) -> ParsedError:
    """The core header parser, with the quota's 400 told apart by its message."""
    parsed = _read_header(status, headers, body)
    return ParsedError(code=_code_for(status, parsed.message), message=parsed.message)


#: how the transport reads and types ReductStore's error answers
REDUCT_ERROR_DECODER = ErrorDecoder(parser=parse_reduct_error, table=REDUCT_ERRORS)


def error_for(
    status: int,
    message: Optional[str],
    *,
    operation: Optional[str] = None,
    resource: Optional[str] = None,
) -> ReductError:
    """The typed error of a status and message that came without a response of their own
    (a batch's per-record ``x-reduct-error-*`` headers)."""
    code = _code_for(status, message)
    klass = REDUCT_ERRORS.class_for(code)
    if not issubclass(klass, ReductError):
        klass = ReductError
    return klass(status, code, message, operation=operation, resource=resource)
