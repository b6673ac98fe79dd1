"""The one error type every emulated service raises; each service renders it in its own format.

Store, job and operation code raise :class:`ApiError` with a code from the service's vocabulary; the
service's ``error_response`` is the only place that turns it into bytes on the wire. Services whose
codes are not in the SDK's exception tree (S3's ``NoSuchKey``...) pass ``status`` explicitly.
"""

from __future__ import annotations

from typing import Optional

from cassdk_like.core.exceptions import documented_codes

__all__ = ["ApiError", "status_for_code"]


def status_for_code(code: str) -> int:
    """The documented HTTP status of ``code`` (cas-protocol.md section 4.2); 400 if undocumented."""
    klass = documented_codes().get(code)
    status = getattr(klass, "default_status", None) if klass is not None else None
    return int(status) if status else 400


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
