"""The presigned URL type: a ``str`` whose repr hides the signature and the session token.

A presigned URL grants access to whoever holds it, so it is a secret; making it a ``str`` keeps it
usable anywhere a URL is (``requests.get(url)``, ``HttpRequest.from_url``), while a repr that
lands in a log line, a traceback or a test failure shows ``X-Amz-Signature=***``.
"""

from __future__ import annotations

from cassdk_like.core.redact import redact_text

__all__ = ["PresignedURL"]


class PresignedURL(str):
    """A URL that carries its signature in the query; ``str(url)`` is the usable URL."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"PresignedURL({redact_text(str.__str__(self))!r})"

    def redacted(self) -> str:
        """The URL with signature and token fields masked, for messages."""
        return redact_text(str.__str__(self))
