"""What the Transport hands back: status, headers, request id, and a body that is bytes or a stream.

A streamed body (job output) is read straight from the socket into the caller's buffer
(``zerocopy``). Every failure while reading it -- urllib3, http.client or socket errors, or a body
shorter than its Content-Length -- surfaces as one of our TransportError subclasses (``failures``).
An error answer is read and typed by the ``ErrorDecoder`` of the service that sent the request.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import weakref
from typing import Any, Callable, Iterator, List, Mapping, Optional, Protocol, Union

from requests.structures import CaseInsensitiveDict

from cassdk_like.core.errortable import ErrorCode, ErrorDecoder
from cassdk_like.core.exceptions import BadResponseError, CASServerError, TimedOutError, TransportError
from cassdk_like.core.http.failures import READ_ERRORS as _READ_ERRORS
from cassdk_like.core.http.failures import translate_read_error
from cassdk_like.core.http.stall import StallWatch
from cassdk_like.core.http.zerocopy import direct_reader as _direct_reader
from cassdk_like.core.http.zerocopy import direct_reader_for as _direct_reader_for
from cassdk_like.core.http.zerocopy import socket_of as _socket_of

__all__ = ["BodyStream", "HttpResponse", "RawBody"]

#: the decoder of a response built without one: JSON errors, no service codes
_PLAIN_ERRORS = ErrorDecoder()

Buffer = Union[bytearray, memoryview]


class RawBody(Protocol):
    """The part of urllib3's HTTPResponse (1.26 and 2.x) that BodyStream uses."""

    def read(self, amt: Optional[int] = None, decode_content: Optional[bool] = None) -> bytes: ...


class BodyStream:
    """A response body still on the socket; checks it against Content-Length. Not thread-safe.

    With ``min_rate`` (bytes/s) a read fails with ``TimedOutError`` once fewer than ``min_rate`` bytes
    per second arrived over ``stall_window`` seconds of reading; ``interrupt`` (default
    :meth:`abort`) is how the watchdog wakes a read blocked meanwhile.
    """

    def __init__(
        self,
        raw: RawBody,
        *,
        expected_length: Optional[int],
        closer: Callable[[], None],
        attempts: int = 1,
        operation: str = "",
        resource: str = "",
        min_rate: Optional[float] = None,
        stall_window: float = 30.0,
        interrupt: Optional[Callable[[], None]] = None,
    ) -> None:
        self._raw = raw
        self._expected = expected_length
        self._attempts = attempts
        self._operation = operation or None
        self._resource = resource or None
        self.bytes_read = 0
        self._eof = False
        self._direct = _direct_reader(raw)
        self._direct_for = _direct_reader_for(raw)
        # a stream dropped without close() must still give its pooled connection back
        self._finalizer = weakref.finalize(self, closer)
        self._abort_lock = threading.Lock()
        self._released = False
        self._aborted = False
        self._stall = (
            StallWatch(min_rate, stall_window, interrupt or self.abort) if min_rate is not None else None
        )

    def abort(self) -> None:
        """From any thread: wake a read blocked on a silent connection by shutting its socket down.

        The reading thread then fails and the connection is closed, never pooled.  Does nothing
        once the body is complete (the connection may already serve another request) or when the
        body is not read straight from the socket.
        """
        with self._abort_lock:
            if self._released or self._aborted or self.closed or self._direct is None:
                return
            self._aborted = True
            sock = _socket_of(self._raw)
        if sock is not None:
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain socket's, also under TLS

    def _fail(self, exc: BaseException) -> TransportError:
        self.close()
        return translate_read_error(
            exc,
            bytes_read=self.bytes_read,
            attempts=self._attempts,
            operation=self._operation,
            resource=self._resource,
        )

    def _bad(self, message: str) -> BadResponseError:
        self.close()
        return BadResponseError(
            message, attempts=self._attempts, operation=self._operation, resource=self._resource
        )

    def _account(self, count: int, wanted: int) -> None:
        self.bytes_read += count
        if self._expected is not None and self.bytes_read > self._expected:
            raise self._bad(f"response body is longer than its Content-Length ({self._expected})")
        if self._expected is not None and self.bytes_read == self._expected and count:
            self._eof = True  # the whole body is in: later reads answer 0, never touch a released fp
        if count == 0 and wanted != 0:
            self._eof = True
            if self._expected is not None and self.bytes_read < self._expected:
                raise self._bad(f"response body ended after {self.bytes_read} of {self._expected} bytes")

    def _stalled_error(self, cause: Optional[BaseException] = None) -> Optional[TimedOutError]:
        """The stall failure, once the watch has seen one (also when it made the read fail)."""
        if self._stall is None or self._stall.stalled is None:
            return None
        self.close()
        return TimedOutError(
            f"{self._stall.stalled} (min_rate {self._stall.min_rate:g} bytes/s)",
            attempts=self._attempts,
            operation=self._operation,
            resource=self._resource,
        )

    def _watched(self, read: Callable[[int], Any], wanted: int) -> Any:
        """Run one read under the stall watch (reads of at most ``cap`` bytes)."""
        watch = self._stall
        if watch is None or self._eof:
            return read(wanted)
        watch.begin()
        count = 0
        try:
            result = read(watch.cap(wanted))
            count = result if isinstance(result, int) else len(result)
        except TransportError as exc:
            stalled = self._stalled_error(exc)
            if stalled is not None:
                raise stalled from exc
            raise
        finally:
            watch.end(count)
        stalled = self._stalled_error()
        if stalled is not None:
            raise stalled
        return result

    def read(self, amt: Optional[int] = None, *, decode_content: bool = False) -> bytes:
        """Up to ``amt`` bytes (all the rest when None); b"" at the end."""
        if self._stall is None:
            return self._read(amt, decode_content=decode_content)
        # the watch caps each read; gather pieces so that read(n) still means n bytes unless the end
        pieces: List[bytes] = []
        left = (1 << 62) if amt is None else amt
        while left > 0:
            piece: bytes = self._watched(
                lambda n: self._read(n, decode_content=decode_content), min(left, 1 << 30)
            )
            if not piece:
                break
            pieces.append(piece)
            left -= len(piece)
        return b"".join(pieces)

    def _read(self, amt: Optional[int] = None, *, decode_content: bool = False) -> bytes:
        if self._eof:
            return b""
        try:
            data = self._raw.read(amt, decode_content=decode_content)
        except _READ_ERRORS as exc:
            raise self._fail(exc) from exc
        self._account(len(data), 1 if amt is None else amt)
        if amt is None and data:
            self._account(0, 1)  # a read-all has reached the end: check the length now
        return data

    def readinto(self, buf: Buffer) -> int:
        """Fill ``buf`` from the socket; 0 at the end (urllib3's readinto when it has one)."""
        view = memoryview(buf).cast("B")
        count: int = self._watched(lambda n: self._readinto(view[:n], self._direct), len(view))
        return count

    def readinto_for(self, buf: Buffer, seconds: float) -> int:
        """Like :meth:`readinto`, but returns ``seconds`` after the first bytes even if ``buf`` is not full.

        Lets a caller on a slow link check for cancel between reads while reading large buffers
        on a fast one; falls back to :meth:`readinto` where the body cannot be read directly.
        """
        if self._direct_for is None:
            return self.readinto(buf)
        direct_for = self._direct_for
        view = memoryview(buf).cast("B")
        count: int = self._watched(
            lambda n: self._readinto(view[:n], lambda part: direct_for(part, seconds)), len(view)
        )
        return count

    def _readinto(self, buf: Buffer, direct: Optional[Callable[[memoryview], int]]) -> int:
        if self._eof:
            return 0
        view = memoryview(buf).cast("B")
        try:
            if direct is not None:
                count = int(direct(view) or 0)
            else:
                readinto = getattr(self._raw, "readinto", None)
                if readinto is not None:
                    count = int(readinto(view))
                else:
                    data = self._raw.read(len(view), decode_content=False)
                    count = len(data)
                    view[:count] = data
        except _READ_ERRORS as exc:
            raise self._fail(exc) from exc
        self._account(count, len(view))
        if self._direct is not None and self._complete():
            self._eof = True  # the connection's body is closed: later reads answer 0
            # read past urllib3, so hand the connection back ourselves -- only after a whole body,
            # and never one that abort() shut down
            with self._abort_lock:
                release = None if self._aborted else getattr(self._raw, "release_conn", None)
                self._released = release is not None
            if release is not None:
                release()
            elif self._aborted:
                self.close()
        return count

    def _complete(self) -> bool:
        fp = getattr(self._raw, "_fp", None)
        closed = fp is None or bool(getattr(fp, "isclosed", lambda: False)())
        return closed and (self._expected is None or self.bytes_read == self._expected)

    def close(self) -> None:
        """Release the connection (returned to the pool if the body was fully read)."""
        if self._stall is not None:
            self._stall.stop()
        self._finalizer()

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive


class HttpResponse:
    """One HTTP answer; never raises on status (call :meth:`raise_for_status` or :meth:`to_error`).

    ``body`` holds the bytes unless the request asked to stream a 2xx answer; then use
    :meth:`read` / :meth:`readinto` / :meth:`iter_chunks` and :meth:`close` (or ``with``).
    A 404 is still truthy: test ``ok``, not the object.
    """

    def __init__(
        self,
        status: int,
        headers: Optional[Mapping[str, str]] = None,
        body: bytes = b"",
        *,
        request_id: Optional[str] = None,
        stream: Optional[BodyStream] = None,
        attempts: int = 1,
        operation: str = "",
        resource: str = "",
        errors: Optional[ErrorDecoder] = None,
    ) -> None:
        self.status = status
        self.headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(headers or {})
        self.body = body
        self.request_id = request_id
        self.attempts = attempts
        self.operation = operation
        self.resource = resource
        self._stream = stream
        self._errors = errors if errors is not None else _PLAIN_ERRORS
        self._offset = 0  # read position in ``body`` when not streaming

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def streaming(self) -> bool:
        return self._stream is not None

    @property
    def error_code(self) -> Optional[ErrorCode]:
        """The service error code of a non-2xx answer (as the service's parser reads it), else None.

        It carries the service table's retry verdict (``.retryable``), which the retry policy uses.
        """
        if self.ok or self._stream is not None:
            return None
        return self._errors.code_of(self.status, self.headers, self.body)

    def to_error(self) -> CASServerError:
        """The typed exception for this (non-2xx) answer, from the service's error table."""
        return self._errors.decode(
            self.status,
            self.headers,
            self.body,
            request_id=self.request_id,
            operation=self.operation or None,
            resource=self.resource or None,
        )

    def raise_for_status(self) -> None:
        if not self.ok:
            raise self.to_error()

    def json(self) -> Any:
        """The body parsed as JSON; BadResponseError when it is not JSON."""
        data = self.read() if self._stream is not None else self.body
        try:
            return json.loads(data.decode("utf-8")) if data else None
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadResponseError(
                f"response body is not valid JSON ({len(data)} bytes)",
                attempts=self.attempts,
                operation=self.operation or None,
                resource=self.resource or None,
            ) from exc

    def read(self, amt: Optional[int] = None) -> bytes:
        if self._stream is not None:
            return self._stream.read(amt)
        end = len(self.body) if amt is None or amt < 0 else min(len(self.body), self._offset + amt)
        data = self.body[self._offset : end]
        self._offset = end
        return data

    def readinto_for(self, buf: Buffer, seconds: float) -> int:
        """A time-bounded ``readinto`` when streaming (see :meth:`BodyStream.readinto_for`)."""
        if self._stream is not None:
            return self._stream.readinto_for(buf, seconds)
        return self.readinto(buf)

    def readinto(self, buf: Buffer) -> int:
        if self._stream is not None:
            return self._stream.readinto(buf)
        view = memoryview(buf).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def iter_chunks(self, size: int = 256 * 1024) -> Iterator[bytes]:
        while True:
            chunk = self.read(size)
            if not chunk:
                return
            yield chunk

    def abort(self) -> None:
        """Wake a read blocked on a silent connection, from any thread (see :meth:`BodyStream.abort`)."""
        if self._stream is not None:
            self._stream.abort()

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()

    def __enter__(self) -> HttpResponse:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        size = "streaming" if self._stream is not None else f"{len(self.body)} bytes"
        return f"<HttpResponse {self.status} request_id={self.request_id!r} {size}>"
