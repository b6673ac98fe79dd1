"""A real HTTP/1.1 server on 127.0.0.1 that follows a script of misbehaviours.

Each incoming request takes the next action of the script (then ``default``): answer normally,
answer late, announce more body than it sends (truncation), or reset the connection without
answering. It records every request and counts TCP connections, so tests can assert how many
attempts really reached the wire and whether keep-alive reused a connection.

    with FlakyServer([Reply(503), Reply(503)], default=Reply(200, b"ok")) as server:
        ... Transport(server.url) ...
        assert server.hits == 3
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import attrs

__all__ = ["Action", "FlakyServer", "RecordedRequest", "Reply", "Reset", "free_port"]


@attrs.frozen
class Reply:
    """Answer with ``status`` / ``body`` after ``delay`` seconds.

    ``declared_length`` larger than the body announces bytes that never come: the server sends
    what it has and closes the connection (a body cut mid-way).
    """

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = attrs.field(factory=dict)
    delay: float = 0.0
    declared_length: Optional[int] = None


@attrs.frozen
class Reset:
    """Read the request, then reset the connection (SO_LINGER 0) without answering."""


Action = Union[Reply, Reset]


@attrs.frozen
class RecordedRequest:
    method: str
    path: str
    headers: Dict[str, str]
    body: bytes


def free_port() -> int:
    """A local port that nothing listens on (for connection-refused tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: FlakyServer

    def process_request(self, request: Any, client_address: Any) -> None:
        self.owner._count_connection()
        super().process_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # clients that gave up (timeouts, cut bodies) make our late writes fail: expected here
        return


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10  # idle keep-alive connections die on their own
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output quiet

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        owner = self.server.owner
        action = owner._record_and_pick(
            RecordedRequest(self.command, self.path, dict(self.headers.items()), body)
        )
        if isinstance(action, Reset):
            self._reset()
            return
        if action.delay and owner.stopping.wait(action.delay):
            self.close_connection = True
            return
        self._reply(action)

    def _reply(self, action: Reply) -> None:
        declared = len(action.body) if action.declared_length is None else action.declared_length
        self.send_response(action.status)
        for name, value in action.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(declared))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(action.body)
        self.wfile.flush()
        if declared != len(action.body):
            self.close_connection = True

    def _reset(self) -> None:
        self._abort = True  # done in finish(), once the stdlib is through with the files
        self.close_connection = True

    def finish(self) -> None:
        if not getattr(self, "_abort", False):
            super().finish()
            return
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()
        self.wfile.close()
        self.connection.close()  # linger 0 + last reference gone: the kernel sends RST, not FIN

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle


class FlakyServer:
    """Scripted HTTP server in a background thread; use as a context manager."""

    def __init__(self, script: Sequence[Action] = (), default: Action = Reply(200, b"ok")) -> None:
        self._script: List[Action] = list(script)
        self._default = default
        self._lock = threading.Lock()
        self.requests: List[RecordedRequest] = []
        self.connections = 0
        self.stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="flaky-server",
            daemon=True,
        )

    @property
    def port(self) -> int:
        port: int = self._server.server_address[1]
        return port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def hits(self) -> int:
        with self._lock:
            return len(self.requests)

    def _count_connection(self) -> None:
        with self._lock:
            self.connections += 1

    def _record_and_pick(self, recorded: RecordedRequest) -> Action:
        with self._lock:
            self.requests.append(recorded)
            return self._script.pop(0) if self._script else self._default

    def __enter__(self) -> FlakyServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        with contextlib.suppress(OSError):
            self._server.socket.close()
