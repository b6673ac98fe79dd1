"""What the Transport hands back: status, headers, request id, and a body that is bytes or a stream.

A streamed body (job output) is read straight from the socket into the caller's buffer. Every
failure while reading it -- urllib3, http.client or socket errors, or a body shorter than its
Content-Length -- surfaces as one of our TransportError subclasses, so download loops catch a
single family of exceptions (the aws-cli ``ProtocolError`` escape is the bug this prevents).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import ssl
import threading
import time
import weakref
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Protocol, Set, Union

import requests.exceptions
import urllib3.exceptions
from requests.structures import CaseInsensitiveDict

from cassdk_like.core.exceptions import (
    BadResponseError,
    CASError,
    CASServerError,
    ConnectionFailed,
    InvalidArgumentError,
    TimedOut,
    TransportError,
)
from cassdk_like.core.http.watchdog import WatchdogEntry, watchdog

__all__ = [
    "BodyStream",
    "HttpResponse",
    "RawBody",
    "describe_cause",
    "exception_chain",
    "translate_read_error",
    "translate_send_error",
]

Buffer = Union[bytearray, memoryview]


class RawBody(Protocol):
    """The part of urllib3's HTTPResponse (1.26 and 2.x) that BodyStream uses."""

    def read(self, amt: Optional[int] = None, decode_content: Optional[bool] = None) -> bytes: ...


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
    """Map an error raised while reading a body to TimedOut / BadResponseError / ConnectionFailed."""
    ctx: Dict[str, Any] = {"attempts": attempts, "operation": operation, "resource": resource}
    chain = list(exception_chain(exc))
    if any(isinstance(e, (urllib3.exceptions.ReadTimeoutError, socket.timeout)) for e in chain):
        return TimedOut(f"timed out reading the response body after {bytes_read} bytes", **ctx)
    if any(isinstance(e, http.client.IncompleteRead) for e in chain):
        return BadResponseError(f"response body ended early after {bytes_read} bytes", **ctx)
    if any(isinstance(e, (OSError, urllib3.exceptions.SSLError)) for e in chain):
        root = type(chain[-1]).__name__
        return ConnectionFailed(
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
        return TimedOut(f"timed out connecting to {host} ({cause})", **ctx)
    if isinstance(exc, requests.exceptions.Timeout):
        return TimedOut(f"timed out waiting for {host} to answer ({cause})", **ctx)
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return BadResponseError(f"malformed answer from {host} ({cause})", **ctx)
    failure = ConnectionFailed(f"could not talk to {host} ({cause})", **ctx)
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in exception_chain(exc)):
        failure.retryable = False  # a bad certificate will not fix itself on retry
    return failure


_READ_ERRORS = (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError)


def _direct_reader(raw: Any) -> Optional[Callable[[memoryview], int]]:
    """``http.client``'s zero-copy ``readinto`` under urllib3, when nothing needs decoding.

    urllib3's own ``readinto`` reads into a temporary ``bytes`` and copies it (measured: ~20% of the
    throughput of an uncapped parallel download). Used only for identity-encoded bodies that urllib3
    has not started buffering; anything else keeps the urllib3 path.
    """
    fp = getattr(raw, "_fp", None)
    readinto = getattr(fp, "readinto", None)
    headers = getattr(raw, "headers", None)
    if readinto is None or headers is None:
        return None
    encoding = str(headers.get("content-encoding", "")).strip().lower()
    if encoding not in ("", "identity") or len(getattr(raw, "_decoded_buffer", b"")) != 0:
        return None
    if getattr(raw, "_fp_bytes_read", 0):
        return None
    return readinto  # type: ignore[no-any-return]


def _direct_reader_for(raw: Any) -> Optional[Callable[[memoryview, float], int]]:
    """``http.client``'s ``readinto`` for a Content-Length body, but bounded in time.

    A plain ``readinto`` returns only once the whole buffer is full: 1 MiB at 50 KB/s blocks for
    20 s, and a cancel with it.  This one fills the buffer from successive socket reads (each at
    most one ``recv``) and returns when it is full or, checked between reads, ``seconds`` after
    the first bytes came; a read blocked on a link gone silent is woken by ``BodyStream.abort``.
    It keeps ``http.client``'s length bookkeeping and closes the connection at the end of the body
    exactly as its ``readinto`` does.  A failure after some bytes arrived returns those bytes; the
    next call meets it again.  (Polling the socket before each read was tried: 0.28 CPU s/GiB more
    against a capped server, and ``abort`` already covers the silent link.)
    """
    if _direct_reader(raw) is None:
        return None
    fp = raw._fp
    if getattr(fp, "chunked", True) or not isinstance(getattr(fp, "length", None), int):
        return None
    if not hasattr(getattr(fp, "fp", None), "readinto1") or not callable(getattr(fp, "_close_conn", None)):
        return None

    def read_for(view: memoryview, seconds: float) -> int:
        stream = fp.fp
        if stream is None:
            return 0
        left = fp.length
        if len(view) > left:
            view = view[:left]
        got = int(stream.readinto1(view) or 0)
        if got and got < len(view):
            deadline = time.monotonic() + seconds
            try:
                while got < len(view) and time.monotonic() < deadline:
                    count = stream.readinto1(view[got:])
                    if not count:
                        break
                    got += count
            except _READ_ERRORS:
                pass  # the bytes already here are returned; the next call raises
        if not got and view:
            fp._close_conn()
        else:
            fp.length = left - got
            if not fp.length:
                fp._close_conn()
        return got

    return read_for


def _socket_of(raw: Any) -> Optional[socket.socket]:
    """The socket under a urllib3 response that is still reading its body, if it can be found."""
    sock = getattr(getattr(raw, "_connection", None), "sock", None)
    if not isinstance(sock, socket.socket):
        reader = getattr(getattr(raw, "_fp", None), "fp", None)
        sock = getattr(getattr(reader, "raw", None), "_sock", None)
    return sock if isinstance(sock, socket.socket) else None


class _StallWatch:
    """Fails a body that delivers fewer than ``min_rate`` bytes/s over ``window`` seconds of reading.

    A read timeout applies to each socket read, so a server dripping one byte a second never trips
    it. Only time spent inside reads counts (a caller pausing between reads is not a stall). Reads
    are capped at a quarter of what the observed rate delivers in a window, so the bytes of a
    flowing body become visible within the window; a read still blocked when the window is up
    is ended by the watchdog thread, which interrupts the connection.
    """

    def __init__(self, min_rate: float, window: float, interrupt: Callable[[], None]) -> None:
        self.min_rate = min_rate
        self.window = window
        self._interrupt = interrupt
        self._need = min_rate * window
        self._lock = threading.Lock()
        self._busy = 0.0  # seconds inside reads in this window
        self._bytes = 0  # bytes delivered in this window
        self._total_busy = 0.0
        self._total_bytes = 0
        self._started: Optional[float] = None
        self._check: Optional[WatchdogEntry] = None
        self.stalled: Optional[str] = None

    def cap(self, wanted: int) -> int:
        """How much one read may ask for, so that it returns within about a quarter window."""
        rate = self._total_bytes / self._total_busy if self._total_busy > 0 else 0.0
        return max(1, min(wanted, int(max(self._need, rate * self.window) / 4)))

    def begin(self) -> None:
        with self._lock:
            now = time.monotonic()
            self._started = now
            if self._check is None:
                self._check = watchdog.call_later(self.window - self._busy, self._on_check)

    def end(self, count: int) -> None:
        """Account one read; raises (via ``stalled``) when a full window delivered too little."""
        with self._lock:
            now = time.monotonic()
            spent = now - self._started if self._started is not None else 0.0
            self._started = None
            self._busy += spent
            self._bytes += count
            self._total_busy += spent
            self._total_bytes += count
            if self._busy >= self.window:
                self._close_window()

    def _close_window(self) -> None:
        if self._bytes < self._need and self.stalled is None:
            self.stalled = f"body stalled: {self._bytes} bytes in {self._busy:.3g} s"
        self._busy, self._bytes = 0.0, 0

    def _on_check(self) -> None:
        interrupt = False
        with self._lock:
            self._check = None
            if self._started is None or self.stalled is not None:
                return  # not reading now: the next read schedules the next check
            now = time.monotonic()
            busy = self._busy + (now - self._started)
            if busy < self.window:
                self._check = watchdog.call_later(self.window - busy, self._on_check)
                return
            self._busy = busy
            self._close_window()
            interrupt = self.stalled is not None
            self._started = now  # the read in flight opens the next window
            if not interrupt:
                self._check = watchdog.call_later(self.window, self._on_check)
        if interrupt:
            self._interrupt()

    def stop(self) -> None:
        with self._lock:
            if self._check is not None:
                self._check.cancel()
                self._check = None


class BodyStream:
    """A response body still on the socket; checks it against Content-Length. Not thread-safe.

    With ``min_rate`` (bytes/s) a read fails with ``TimedOut`` once fewer than ``min_rate`` bytes
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
            _StallWatch(min_rate, stall_window, interrupt or self.abort) if min_rate is not None else None
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
        if count == 0 and wanted != 0:
            self._eof = True
            if self._expected is not None and self.bytes_read < self._expected:
                raise self._bad(f"response body ended after {self.bytes_read} of {self._expected} bytes")

    def _stalled_error(self, cause: Optional[BaseException] = None) -> Optional[TimedOut]:
        """The stall failure, once the watch has seen one (also when it made the read fail)."""
        if self._stall is None or self._stall.stalled is None:
            return None
        self.close()
        return TimedOut(
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
        if amt is not None:
            data: bytes = self._watched(lambda n: self._read(n, decode_content=decode_content), amt)
            return data
        pieces: list[bytes] = []
        while True:
            piece = self._watched(lambda n: self._read(n, decode_content=decode_content), 1 << 30)
            if not piece:
                return b"".join(pieces)
            pieces.append(piece)

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
    ) -> None:
        self.status = status
        self.headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(headers or {})
        self.body = body
        self.request_id = request_id
        self.attempts = attempts
        self.operation = operation
        self.resource = resource
        self._stream = stream
        self._offset = 0  # read position in ``body`` when not streaming

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def streaming(self) -> bool:
        return self._stream is not None

    @property
    def error_code(self) -> Optional[str]:
        """The service error code of a non-2xx answer (JSON ``code`` or x-amzn-ErrorType), else None."""
        if self.ok or self._stream is not None:
            return None
        return self.to_error().code

    def to_error(self) -> CASServerError:
        """The typed exception for this (non-2xx) answer."""
        return CASServerError.from_response(
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
