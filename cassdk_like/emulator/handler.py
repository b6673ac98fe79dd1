"""The HTTP/1.1 side, the same for every service: parse a request off the socket, hand it to the
service's pipeline (or the admin endpoints), write the response.

Why here and nowhere else: keep-alive bookkeeping (draining unread bodies or hanging up), the
sendfile fast path for file bodies, and the two socket-level faults (send-rate cap and cutting a
body short) all need the raw connection. One server per service, each on its own port.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Mapping, Optional, Set, Tuple
from urllib.parse import parse_qsl, unquote, urlsplit

from cassdk_like.core.redact import redact_line
from cassdk_like.emulator.admin import ADMIN_PREFIX, Admin
from cassdk_like.emulator.db import CHUNK, IncompleteBody
from cassdk_like.emulator.faults import Decision
from cassdk_like.emulator.pipeline import Pipeline
from cassdk_like.emulator.service import BAD_REQUEST, INTERNAL_ERROR, LENGTH_REQUIRED, REQUEST_TIMEOUT
from cassdk_like.emulator.wire import BodyReader, FileBody, Request, Response

__all__ = ["EmulatorHTTPServer", "Handler"]

_log = logging.getLogger("cassdk_like.emulator")

#: an unread request body up to this size is drained to keep the connection; larger ones hang up
DRAIN_LIMIT = 256 * 1024 * 1024


class EmulatorHTTPServer(ThreadingHTTPServer):
    """A threading server that knows its open connections, so stop() can close idle keep-alives."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(
        self, address: Tuple[str, int], pipeline: Pipeline, admin: Admin, socket_timeout: float
    ) -> None:
        self.pipeline = pipeline
        self.admin = admin
        self.socket_timeout = socket_timeout
        self._open: Set[socket.socket] = set()
        self._open_lock = threading.Lock()
        self._idle = threading.Condition(self._open_lock)
        super().__init__(address, Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log instead of printing to stderr (a handler bug must not spam a test run)."""
        _log.exception("error while serving %s", client_address)

    def track(self, conn: socket.socket) -> None:
        with self._open_lock:
            self._open.add(conn)

    def untrack(self, conn: socket.socket) -> None:
        with self._open_lock:
            self._open.discard(conn)
            self._idle.notify_all()

    def close_connections(self, wait: float = 5.0) -> None:
        """Shut every open connection down and wait for their handler threads to finish."""
        with self._open_lock:
            for conn in list(self._open):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            self._idle.wait_for(lambda: not self._open, timeout=wait)


class Handler(BaseHTTPRequestHandler):
    """One connection; requests on it are served in order (HTTP/1.1 keep-alive)."""

    protocol_version = "HTTP/1.1"
    server_version = "cassdk_like-emulator"
    sys_version = ""
    server: EmulatorHTTPServer
    _counted = True

    def setup(self) -> None:
        self.request.settimeout(self.server.socket_timeout)
        with contextlib.suppress(OSError):  # headers and body go out as separate writes: no Nagle stall
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.untrack(self.connection)

    def send_error(self, code: int, message: Optional[str] = None, explain: Optional[str] = None) -> None:
        """Errors found by http.server itself (bad request line, unknown method) get the service's
        error format too."""
        self.close_connection = True
        text = message or explain or HTTPStatus(code).phrase
        if code in (HTTPStatus.NOT_IMPLEMENTED, HTTPStatus.HTTP_VERSION_NOT_SUPPORTED):
            code = HTTPStatus.BAD_REQUEST  # an unknown method or version is the client's mistake
        condition = INTERNAL_ERROR if code >= 500 else BAD_REQUEST
        request = Request(self.command or "GET", "", [], {}, BodyReader(self.rfile, 0))
        self._send(self.server.pipeline.host_error_response(request, condition, code, text), Decision())

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        # the request line of a presigned request carries its signature
        _log.debug("%s - %s", self.address_string(), redact_line(format % args))

    def do_GET(self) -> None:
        self._serve()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_GET

    def _serve(self) -> None:
        split = urlsplit(self.path)
        raw_headers = list(self.headers.items())
        headers = {name.lower(): value for name, value in raw_headers}
        reader, problem = self._body_reader(headers)
        request = Request(
            self.command,
            unquote(split.path),
            parse_qsl(split.query, keep_blank_values=True),
            headers,
            reader,
            raw_path=split.path,
            raw_headers=raw_headers,
            client_ip=str(self.client_address[0]) if self.client_address else "",
        )
        pipeline = self.server.pipeline
        decision = Decision()
        self._counted = not request.path.startswith(ADMIN_PREFIX)
        try:
            if problem is not None:
                response = pipeline.host_error_response(request, *problem)
            elif not self._counted:
                response = self.server.admin.handle(request, pipeline.service)
            else:
                response, decision = pipeline.handle(request)
        except IncompleteBody:
            self.close_connection = True
            return
        except (socket.timeout, TimeoutError):
            self.close_connection = True
            response = pipeline.host_error_response(
                request, REQUEST_TIMEOUT, 408, "timed out reading the request body"
            )
        except ConnectionError:
            self.close_connection = True
            return
        self._settle_body(reader)
        self._send(response, decision)

    def _body_reader(self, headers: Mapping[str, str]) -> Tuple[BodyReader, Optional[Tuple[str, int, str]]]:
        """The body reader, and the host condition (with status and message) that refuses it."""
        if "chunked" in headers.get("transfer-encoding", "").lower():
            self.close_connection = True
            problem = (LENGTH_REQUIRED, 411, "Content-Length is required (chunked bodies are refused)")
            return BodyReader(self.rfile, 0), problem
        raw = headers.get("content-length", "0").strip() or "0"
        if not raw.isdigit():
            self.close_connection = True
            return BodyReader(self.rfile, 0), (BAD_REQUEST, 400, f"invalid Content-Length {raw[:40]!r}")
        return BodyReader(self.rfile, int(raw)), None

    def _settle_body(self, reader: BodyReader) -> None:
        """Drain what the operation did not read (keeps keep-alive in sync), or hang up if large."""
        if self.close_connection or reader.remaining <= 0:
            return
        if reader.remaining > DRAIN_LIMIT:
            self.close_connection = True
            return
        try:
            while reader.remaining > 0:
                if not reader.read(CHUNK):
                    self.close_connection = True
                    return
        except OSError:
            self.close_connection = True

    def _send(self, response: Response, decision: Decision) -> None:
        length = response.length
        try:
            self.log_request(response.status)
            self.send_response_only(response.status)
            if not any(name.lower() == "server" for name, _ in response.headers):
                self.send_header("Server", self.version_string())  # a service may name its own
            self.send_header("Date", self.date_time_string())
            for name, value in response.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(length))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command == "HEAD":
                return
            limit = length if decision.cut_after is None else min(decision.cut_after, length)
            self._write_body(response, limit, decision.rate)
            if limit < length:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_WR)
        except OSError:
            self.close_connection = True

    def count_sent(self, nbytes: int, job_output: bool, stored: bool = False) -> None:
        if self._counted:
            self.server.pipeline.count_sent(nbytes, job_output, stored)

    def _write_body(self, response: Response, limit: int, rate: Optional[float]) -> None:
        job_output = response.job_output
        parts = response.file_parts
        sender = _Sender(self, rate, job_output, stored=bool(parts))
        if not parts:
            sender.write(memoryview(response.body)[:limit])
            return
        for part in parts:
            if limit <= 0:
                return
            self._write_file(part, min(limit, part.length), sender)
            limit -= part.length

    def _write_file(self, part: FileBody, limit: int, sender: _Sender) -> None:
        if limit <= 0:
            return
        with open(part.path, "rb") as source:
            if sender.rate is None and limit == part.length:
                sent = self.connection.sendfile(source, part.offset, limit)
                self.count_sent(sent, sender.job_output, True)
                if sent != limit:
                    raise ConnectionError("sendfile stopped early")
                return
            source.seek(part.offset)
            remaining = limit
            while remaining > 0:
                chunk = source.read(min(CHUNK, remaining))
                if not chunk:
                    raise OSError("file body shorter than recorded")
                sender.write(memoryview(chunk))
                remaining -= len(chunk)


class _Sender:
    """Writes body bytes, paced to ``rate`` bytes/s when a cap is set, counting what was sent."""

    def __init__(self, handler: Handler, rate: Optional[float], job_output: bool, *, stored: bool) -> None:
        self.handler = handler
        self.rate = rate
        self.job_output = job_output
        self.stored = stored  # bytes of stored data (files), not an error or listing document
        self.started = time.monotonic()
        self.sent = 0
        self.piece = CHUNK if rate is None else max(1024, min(64 * 1024, int(rate / 50)))

    def write(self, data: memoryview) -> None:
        for pos in range(0, len(data), self.piece):
            piece = data[pos : pos + self.piece]
            self.handler.wfile.write(piece)
            self.sent += len(piece)
            self.handler.count_sent(len(piece), self.job_output, self.stored)
            if self.rate is not None:
                delay = self.started + self.sent / self.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
