"""Scrub credentials out of text before it reaches a log line, a repr or an error message.

Signatures, session tokens and registered secret values are replaced by ``***``. Access-key ids
(``q-ak=``, ``Credential=``/``X-Amz-Credential=``) are kept on purpose: they identify the key without
granting anything and are what an operator needs to debug a signature mismatch.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Dict, Iterable, Mapping, Tuple

__all__ = [
    "REDACTED",
    "SENSITIVE_HEADERS",
    "LogRedactionFilter",
    "Redactor",
    "redact_headers",
    "redact_library_logs",
    "redact_line",
    "redact_text",
    "redact_url",
    "redact_url_queries",
]

#: what every scrubbed value becomes
REDACTED = "***"

#: headers whose whole value is secret (compared lower-case)
SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-amz-security-token",
        "x-cas-security-token",
        "x-cos-security-token",
        "cookie",
        "set-cookie",
    }
)

# key=value fields that carry a signature or a token, wherever they appear (query strings,
# Authorization values, exception texts). ``Signature=`` also matches q-signature and X-Amz-Signature.
_SECRET_FIELDS = re.compile(
    r"(?i)((?:q-|x-amz-)?signature=|x-(?:amz|cas|cos)-security-token=)[^&\s,;\"'<>]+",
)
# Authorization schemes whose non-signature fields are safe to show
_SIGNED_SCHEME = re.compile(r"(?i)(q-sign-algorithm=|AWS4-HMAC-SHA256\s)")


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Mask signature/token fields and every occurrence of a registered secret in ``text``."""
    result = _SECRET_FIELDS.sub(lambda m: m.group(1) + REDACTED, text)
    # longest first, so a secret that contains another one is masked whole
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        result = result.replace(secret, REDACTED)
    return result


def redact_url(url: str) -> str:
    """``url`` with its whole query (and fragment) masked: every field of a signed URL's query may
    be what grants access (SigV4, SAS ``sig=``, a portal's own), so none is shown."""
    head, mark, _query = url.partition("?")
    head = head.partition("#")[0]
    return f"{head}?{REDACTED}" if mark else head


_URL_QUERY = re.compile(r"(?i)((?:https?://|/)[^\s?'\"<>]*)\?[^\s'\"<>#]*")


def redact_url_queries(text: str) -> str:
    """``text`` with the query of every URL or path in it masked (see :func:`redact_url`)."""
    return _URL_QUERY.sub(lambda m: f"{m.group(1)}?{REDACTED}", text)


def redact_line(text: str) -> str:
    """A log line with signatures and tokens masked and the query of every URL in it hidden."""
    return redact_url_queries(redact_text(text))


def _redact_header_value(name: str, value: str, secrets: Iterable[str]) -> str:
    lowered = name.lower()
    if lowered in ("authorization", "proxy-authorization") and _SIGNED_SCHEME.search(value):
        # keep the key id, times and signed-header list; hide only the signature
        return redact_text(value, secrets)
    if lowered in SENSITIVE_HEADERS:
        return REDACTED
    return redact_text(value, secrets)


def redact_headers(headers: Mapping[str, str], secrets: Iterable[str] = ()) -> Dict[str, str]:
    """A copy of ``headers`` that is safe to log."""
    secrets = tuple(secrets)
    return {name: _redact_header_value(name, value, secrets) for name, value in headers.items()}


class Redactor:
    """Holds the secret values of one client; thread-safe, values can be added at any time.

    The Transport owns one, and credential providers register refreshed tokens with it.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: Tuple[str, ...] = tuple(s for s in secrets if s)

    def register(self, *values: str) -> None:
        """Scrub these values from now on (empty values are ignored)."""
        with self._lock:
            known = set(self._secrets)
            self._secrets += tuple(v for v in values if v and v not in known)

    def text(self, text: str) -> str:
        return redact_text(text, self._secrets)

    def headers(self, headers: Mapping[str, str]) -> Dict[str, str]:
        return redact_headers(headers, self._secrets)

    def __repr__(self) -> str:
        return f"<Redactor with {len(self._secrets)} secret(s)>"


class LogRedactionFilter(logging.Filter):
    """Rewrites a record's message with signatures, tokens and URL queries masked.

    For loggers this package does not write itself: their messages are formatted before any of
    our scrubbing could see them.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact_line(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


#: third-party loggers whose DEBUG lines carry request URLs (urllib3 logs each request line whole,
#: presigned query included)
LIBRARY_LOGGERS = ("urllib3.connectionpool",)

_LIBRARY_FILTER = LogRedactionFilter()


def redact_library_logs() -> None:
    """Attach the redaction filter to :data:`LIBRARY_LOGGERS`; idempotent."""
    for name in LIBRARY_LOGGERS:
        library_logger = logging.getLogger(name)
        if _LIBRARY_FILTER not in library_logger.filters:
            library_logger.addFilter(_LIBRARY_FILTER)
