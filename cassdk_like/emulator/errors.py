"""The one error type the emulator's model raises.

Store, job and operation code raise :class:`ApiError` with a documented code; ``protocol.py`` is the
only place that turns it into the wire format, so every error has the same shape and status rules.
"""

from __future__ import annotations

from typing import Optional

from cassdk_like.core.exceptions import documented_codes

__all__ = [
    "ApiError",
    "access_denied",
    "bad_request",
    "invalid_value",
    "limit_exceeded",
    "missing_value",
    "not_found",
    "status_for_code",
]


def status_for_code(code: str) -> int:
    """The documented HTTP status of ``code`` (docs/vault-protocol.md §4.2); 400 if undocumented."""
    klass = documented_codes().get(code)
    status = getattr(klass, "default_status", None) if klass is not None else None
    return int(status) if status else 400


class ApiError(Exception):
    """A request the service refuses: ``{"code", "message", "type"}`` with an HTTP status."""

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
        """``Client`` or ``Server``, capitalised as the service sends it (docs/vault-protocol.md §4.1)."""
        return "Server" if self.status >= 500 else "Client"


def not_found(message: str) -> ApiError:
    return ApiError("ResourceNotFoundException", message)


def invalid_value(message: str) -> ApiError:
    return ApiError("InvalidParameterValueException", message)


def missing_value(message: str) -> ApiError:
    return ApiError("MissingParameterValueException", message)


def bad_request(message: str) -> ApiError:
    return ApiError("BadRequest", message)


def access_denied(message: str) -> ApiError:
    return ApiError("AccessDeniedException", message)


def limit_exceeded(message: str) -> ApiError:
    return ApiError("LimitExceededException", message)
