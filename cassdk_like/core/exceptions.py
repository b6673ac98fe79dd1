"""The one exception tree of cassdk_like.

::

    CASError                                 every error this SDK raises
    +-- CASClientError                       raised on this side of the wire
    |   +-- InvalidArgumentError (ValueError)  bad input, known before anything is sent
    |   |   +-- InvalidVaultNameError
    |   |   +-- InvalidDescriptionError
    |   |   +-- InvalidPartSizeError
    |   |   +-- InvalidByteRangeError
    |   |   +-- PartsMismatchError
    |   +-- LocalFileError                   a local path is missing, unreadable, a folder, ...
    |   +-- MissingCredentialsError
    |   +-- TransportError                   retryable; carries ``attempts``
    |   |   +-- ConnectionFailedError        (deprecated alias: ConnectionFailed)
    |   |   +-- TimedOutError                (deprecated alias: TimedOut)
    |   |   +-- BadResponseError             truncated body, wrong Content-Range, ...
    |   +-- TransferCancelledError
    |   +-- UploadArchiveError               (seed name)
    |   +-- DownloadArchiveError             (seed name)
    |   |   +-- JobNotReadyError
    |   |   +-- JobFailedError
    |   +-- JobWaitTimeoutError
    |   +-- HashDoesNotMatchError            (seed name)
    +-- CASServerError                       a non-2xx answer
        +-- one subclass per documented code, named as the service names the code, defined by
            the service's package in its own table (``cassdk_like.vault.errors``: the vault's
            ``ResourceNotFoundException``, ``ThrottlingException``, ...; see ``core.errortable``)

The SDK's own errors end in ``Error``; a service's code classes keep the service's spelling.
Every error can name the user-level ``operation``, the ``resource`` (vault, upload, job, ...)
and the ``local_path`` involved, and says whether retrying could help (``retryable``).
Messages never contain secrets: callers pass identifiers, never credentials or signatures.
All classes pickle (keyword-only context is carried through ``__reduce__``).
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple, Type

__all__ = [
    "BadResponseError",
    "CASClientError",
    "CASError",
    "CASServerError",
    "ConnectionFailed",
    "ConnectionFailedError",
    "DownloadArchiveError",
    "HashDoesNotMatchError",
    "InvalidArgumentError",
    "InvalidByteRangeError",
    "InvalidDescriptionError",
    "InvalidPartSizeError",
    "InvalidVaultNameError",
    "JobFailedError",
    "JobNotReadyError",
    "JobWaitTimeoutError",
    "LocalFileError",
    "MissingCredentialsError",
    "PartsMismatchError",
    "TimedOut",
    "TimedOutError",
    "TransferCancelledError",
    "TransportError",
    "UploadArchiveError",
]


class CASError(Exception):
    """Root of every error raised by cassdk_like."""

    retryable: bool = False

    def __init__(
        self,
        message: str = "",
        *,
        operation: Optional[str] = None,
        resource: Optional[str] = None,
        local_path: Optional[str] = None,
    ) -> None:
        self.reason = message
        self.operation = operation
        self.resource = resource
        self.local_path = None if local_path is None else str(local_path)
        super().__init__(self._compose())

    def _compose(self) -> str:
        head = " ".join(part for part in (self.operation, self.resource) if part)
        text = f"{head}: {self.reason}" if head else self.reason
        if self.local_path is not None:
            text += f" (local path: {self.local_path})"
        return text

    def _context(self) -> Dict[str, Any]:
        return {"operation": self.operation, "resource": self.resource, "local_path": self.local_path}

    def __reduce__(self) -> Tuple[Any, ...]:
        return (_rebuild, (type(self), (self.reason,), self._context(), self.__dict__.copy()))

    def __str__(self) -> str:
        return self._compose()


def _rebuild(
    cls: Type[CASError], args: Tuple[Any, ...], kwargs: Dict[str, Any], state: Dict[str, Any]
) -> CASError:
    obj = cls.__new__(cls)
    CASError.__init__(obj, *args, **kwargs)
    obj.__dict__.update(state)
    return obj


class CASClientError(CASError):
    """Raised on this side of the wire: bad input, local files, transport, transfer state."""


class InvalidArgumentError(CASClientError, ValueError):
    """Bad input that is known before any request is sent."""


class InvalidVaultNameError(InvalidArgumentError):
    """A vault name outside 1-255 characters of ``a-z A-Z 0-9 _ - .``."""


class InvalidDescriptionError(InvalidArgumentError):
    """A description that is not printable ASCII of at most 1024 bytes."""


class InvalidPartSizeError(InvalidArgumentError):
    """A part size that is not 1 MiB x 2^n (or needs more than 10,000 parts)."""


class PartsMismatchError(InvalidArgumentError):
    """An unfinished upload's stored parts do not fit the local file: another part size, or the
    file changed since; that upload cannot become this file."""


class InvalidByteRangeError(InvalidArgumentError):
    """A byte range that is negative, reversed, open-ended, misaligned or past the end."""


class LocalFileError(CASClientError):
    """A local path cannot be used: missing, a folder, unreadable, changed while in use."""


class MissingCredentialsError(CASClientError):
    """No secret id / secret key could be found (arguments, environment, profile file)."""


class TransportError(CASClientError):
    """The request could not be completed at the transport level after all attempts.

    ``request_sent`` is False only when the failure is known to have happened before any byte of
    the request left (the connection was never opened): retrying then is safe for any request.
    """

    retryable = True
    request_sent = True

    def __init__(
        self,
        message: str = "",
        *,
        attempts: int = 1,
        operation: Optional[str] = None,
        resource: Optional[str] = None,
        local_path: Optional[str] = None,
    ) -> None:
        self.attempts = attempts
        super().__init__(message, operation=operation, resource=resource, local_path=local_path)


class ConnectionFailedError(TransportError):
    """The connection could not be opened, or was reset."""


class TimedOutError(TransportError):
    """Connecting or reading took longer than the configured timeout."""


#: deprecated alias of :class:`ConnectionFailedError` (the same class)
ConnectionFailed = ConnectionFailedError
#: deprecated alias of :class:`TimedOutError` (the same class)
TimedOut = TimedOutError


class BadResponseError(TransportError):
    """The server's answer is malformed: truncated body, wrong Content-Range, bad JSON."""


class TransferCancelledError(CASClientError):
    """The transfer was cancelled (``cancel()`` or Ctrl-C); its resumable state was kept."""


class UploadArchiveError(CASClientError):
    """An upload could not be completed (seed name)."""


class DownloadArchiveError(CASClientError):
    """A job's output could not be downloaded (seed name)."""


class JobNotReadyError(DownloadArchiveError):
    """The job has not finished and the caller asked not to wait (``block=False``)."""


class JobFailedError(DownloadArchiveError):
    """The job ended with StatusCode ``Failed``."""


class JobWaitTimeoutError(CASClientError):
    """``Job.wait`` gave up because its timeout passed."""

    retryable = True


class HashDoesNotMatchError(CASClientError):
    """A checksum computed here does not match the one the server reported (seed name)."""

    def __init__(
        self,
        message: str = "",
        *,
        expected: Optional[str] = None,
        actual: Optional[str] = None,
        operation: Optional[str] = None,
        resource: Optional[str] = None,
        local_path: Optional[str] = None,
    ) -> None:
        self.expected = expected
        self.actual = actual
        if expected is not None or actual is not None:
            message = f"{message} (expected {expected}, got {actual})"
        super().__init__(message, operation=operation, resource=resource, local_path=local_path)

    def __reduce__(self) -> Tuple[Any, ...]:
        # the message already carries expected/actual; rebuild without composing it twice
        return (_rebuild, (type(self), (self.reason,), self._context(), self.__dict__.copy()))


class CASServerError(CASError):
    """The service answered with a non-2xx status.

    ``code``, ``message``, ``type`` and ``request_id`` are always set (``None`` when the answer did
    not say), and ``body`` keeps the raw bytes (at most 64 KiB).  Built by the service's
    :class:`~cassdk_like.core.errortable.ErrorDecoder` (``HttpResponse.to_error()``).
    """

    #: the documented HTTP status for this code, when there is one
    default_status: Optional[int] = None

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
        self.status = status
        self.code = code
        self.message = message
        self.type = type
        self.request_id = request_id
        self.body = body[:65536]
        text = f"HTTP {status}"
        if code and code != str(status):  # services that use the status as the code
            text += f" {code}"
        if message:
            text += f": {message}"
        elif not code and body:
            snippet = body[:200].decode("utf-8", "replace").strip()
            text += f": unexpected response body {snippet!r}"
        if request_id:
            text += f" (request id {request_id})"
        super().__init__(text, operation=operation, resource=resource, local_path=local_path)

    @property
    def is_client_fault(self) -> bool:
        """True when the service blames the request (``type`` "Client", any case) or status is 4xx."""
        if self.type:
            return self.type.strip().lower() == "client"
        return 400 <= self.status < 500

    @property
    def is_server_fault(self) -> bool:
        """True when the service blames itself (``type`` "Server", any case) or status is 5xx."""
        if self.type:
            return self.type.strip().lower() == "server"
        return self.status >= 500

    def __reduce__(self) -> Tuple[Any, ...]:
        args = (self.status, self.code, self.message, self.type, self.request_id, self.body)
        return (_rebuild_server, (type(self), args, self._context()))


def _rebuild_server(
    cls: Type[CASServerError], args: Tuple[Any, ...], kwargs: Dict[str, Any]
) -> CASServerError:
    return cls(*args, **kwargs)
