"""HTTP layer of cassdk_like: requests as data, a pooled retrying Transport, typed responses.

Re-exports only; see the modules for the reasons behind each piece.
"""

from __future__ import annotations

from cassdk_like.core.http.failures import translate_read_error
from cassdk_like.core.http.request import BodyLike, BodyReader, HttpRequest, RequestBody
from cassdk_like.core.http.response import BodyStream, HttpResponse
from cassdk_like.core.http.retry import (
    DEFAULT_RETRY_STATUSES,
    RetryBudget,
    RetryPolicy,
    parse_retry_after,
)
from cassdk_like.core.http.transport import SEND_BLOCKSIZE, SignFn, Transport, default_user_agent

__all__ = [
    "DEFAULT_RETRY_STATUSES",
    "SEND_BLOCKSIZE",
    "BodyLike",
    "BodyReader",
    "BodyStream",
    "HttpRequest",
    "HttpResponse",
    "RequestBody",
    "RetryBudget",
    "RetryPolicy",
    "SignFn",
    "Transport",
    "default_user_agent",
    "parse_retry_after",
    "translate_read_error",
]
