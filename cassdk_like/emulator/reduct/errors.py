"""ReductStore's errors: a status, the server's exact sentence, and nothing else.

The server has no error codes, only statuses; the code names here exist for the host's fault rules
and statistics. The wire form (``x-reduct-error`` header and ``{"detail": ...}`` body) is built by
the service (docs/reduct-protocol.md §3).
"""

from __future__ import annotations

from typing import Mapping

from cassdk_like.emulator.errors import ApiError

__all__ = ["STATUS_NAMES", "reduct_error"]

#: a name per status, for fault rules and statistics (the wire carries only the status)
STATUS_NAMES: Mapping[int, str] = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    408: "RequestTimeout",
    409: "Conflict",
    411: "LengthRequired",
    413: "PayloadTooLarge",
    422: "UnprocessableEntity",
    425: "TooEarly",
    429: "TooManyRequests",
    500: "InternalServerError",
    503: "ServiceUnavailable",
}


def reduct_error(status: int, message: str) -> ApiError:
    """An error the server answers with ``status`` and ``message`` (its own wording)."""
    return ApiError(STATUS_NAMES.get(status, f"Status{status}"), message, status=status)
