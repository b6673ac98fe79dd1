"""Turning what requests, urllib3, http.client and sockets raise into the SDK's TransportError family.

Every failure of a send or of a body read leaves the HTTP layer as one of ours (ConnectionFailedError,
TimedOutError, BadResponseError, or InvalidArgumentError for a request that cannot be built), so
callers catch a single family of exceptions (the aws-cli ``ProtocolError`` escape is the bug this
prevents).  The messages name the cause, never a secret: callers pass a redactor for URLs.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from typing import Any, Callable, Dict, Iterator, Optional, Set

import requests.exceptions
import urllib3.exceptions

from cassdk_like.core.exceptions import (
    BadResponseError,
    CASError,
    ConnectionFailedError,
    InvalidArgumentError,
    TimedOutError,
    TransportError,
)

__all__ = [
    "READ_ERRORS",
    "describe_cause",
    "exception_chain",
    "translate_read_error",
    "translate_send_error",
]


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what it wraps (args, reason, cause, context), depth-limited."""
    seen: Set[int] = set()
    todo = [exc]
    while todo and len(seen) < 16:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        nested = [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            nested.append(reason)
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                nested.append(linked)
        todo.extend(nested)


def translate_read_error(
    exc: BaseException,
    *,
    bytes_read: int,
    attempts: int = 1,
    operation: Optional[str] = None,
    resource: Optional[str] = None,
) -> TransportError:
    """Map an error raised while reading a body to TimedOutError, BadResponseError, ConnectionFailedError."""
    ctx: Dict[str, Any] = {"attempts": attempts, "operation": operation, "resource": resource}
    chain = list(exception_chain(exc))
    if any(isinstance(e, (urllib3.exceptions.ReadTimeoutError, socket.timeout)) for e in chain):
        return TimedOutError(f"timed out reading the response body after {bytes_read} bytes", **ctx)
    if any(isinstance(e, http.client.IncompleteRead) for e in chain):
        return BadResponseError(f"response body ended early after {bytes_read} bytes", **ctx)
    if any(isinstance(e, (OSError, urllib3.exceptions.SSLError)) for e in chain):
        root = type(chain[-1]).__name__
        return ConnectionFailedError(
            f"connection broken while reading the response body after {bytes_read} bytes ({root})", **ctx
        )
    return BadResponseError(f"malformed response body after {bytes_read} bytes ({type(exc).__name__})", **ctx)


def describe_cause(exc: BaseException) -> str:
    """A short cause for messages: the innermost exception's type and text."""
    root = list(exception_chain(exc))[-1]
    text = getattr(root, "strerror", None) or str(root)
    return f"{type(root).__name__}: {text}"[:300]


_BAD_REQUEST_ERRORS = (
    requests.exceptions.InvalidURL,
    requests.exceptions.InvalidHeader,
    requests.exceptions.InvalidSchema,
    requests.exceptions.MissingSchema,
    requests.exceptions.URLRequired,
)


#: failures that happen while opening a connection, before any byte of the request is sent
_NOT_SENT = (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError)


def translate_send_error(
    exc: BaseException,
    *,
    host: str,
    redact: Callable[[str], str],
    attempts: int = 1,
    operation: Optional[str] = None,
    resource: Optional[str] = None,
) -> CASError:
    """Map a requests (or socket) exception raised before any answer arrived to one of ours."""
    cause = redact(describe_cause(exc))
    if isinstance(exc, _BAD_REQUEST_ERRORS):
        return InvalidArgumentError(
            f"cannot send the request: {cause}", operation=operation, resource=resource
        )
    ctx: Dict[str, Any] = {"attempts": attempts, "operation": operation, "resource": resource}
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        timed_out = TimedOutError(f"timed out connecting to {host} ({cause})", **ctx)
        timed_out.request_sent = False
        return timed_out
    if isinstance(exc, requests.exceptions.Timeout):
        return TimedOutError(f"timed out waiting for {host} to answer ({cause})", **ctx)
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return BadResponseError(f"malformed answer from {host} ({cause})", **ctx)
    failure = ConnectionFailedError(f"could not talk to {host} ({cause})", **ctx)
    chain = list(exception_chain(exc))
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in chain):
        failure.retryable = False  # a bad certificate will not fix itself on retry
    if any(isinstance(e, _NOT_SENT) for e in chain):
        failure.request_sent = False
    return failure


#: what reading a body from urllib3 may raise (translated by :func:`translate_read_error`)
READ_ERRORS = (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError)
