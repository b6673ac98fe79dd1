"""A real HTTP/1.1 range server on 127.0.0.1 for the transfer engine's tests and measurements.

It serves one file (or bytes) with ``Range: bytes=a-b`` support, optionally sends the per-range
tree-hash header on tree-aligned ranges (like Get Job Output), can cap each response's rate,
and can misbehave on purpose (cut the body after K bytes, corrupt a byte, lie in Content-Range,
answer with an error status).  Every request is recorded (range, status, body bytes sent), so
tests can assert what was, and was not, fetched again.

    with RangeServer(data=payload, faults=[Fault("cut", after=100_000)]) as server:
        source = HttpRangeSource(server.url, len(payload))
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import List, Optional, Sequence, Tuple

import attrs

from cassdk_like.core.integrity import is_tree_aligned, tree_hash

__all__ = ["Fault", "RangeServer", "ServedRequest"]

_RANGE = re.compile(r"bytes=(\d+)-(\d+)")


@attrs.define
class Fault:
    """A misbehaviour applied to a matching response, ``times`` times (-1: always).

    kinds: "cut" (close the connection after ``after`` body bytes), "corrupt" (flip the byte at
    body offset ``after``), "wrong_range" (Content-Range shifted by one), "bad_hash" (wrong tree
    hash header), "status" (answer ``status`` with a JSON error body).
    ``start`` restricts the fault to requests whose range starts there (None: any request).
    """

    kind: str
    after: int = 0
    start: Optional[int] = None
    times: int = 1
    status: int = 500
    code: str = "InternalError"

    def matches(self, start: int) -> bool:
        return self.times != 0 and (self.start is None or self.start == start)


@attrs.frozen
class ServedRequest:
    start: int
    end: int
    status: int
    sent: int  # body bytes written
    range_header: Optional[str]


class RangeServer:
    """Serve ``data`` (or the file at ``path``) on 127.0.0.1:<free port>; use as a context manager."""

    def __init__(
        self,
        data: Optional[bytes] = None,
        *,
        path: Optional[str] = None,
        rate: Optional[float] = None,
        faults: Sequence[Fault] = (),
        tree_hash_header: Optional[str] = "x-cas-sha256-tree-hash",
    ) -> None:
        if (data is None) == (path is None):
            raise ValueError("give exactly one of data or path")
        self.data = data
        self.path = path
        self.size = len(data) if data is not None else os.path.getsize(str(path))
        self.rate = rate
        self.faults: List[Fault] = list(faults)
        self.tree_hash_header = tree_hash_header
        self.served: List[ServedRequest] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="range-server",
            daemon=True,
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/output"

    def __enter__(self) -> RangeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def take_fault(self, start: int) -> Optional[Fault]:
        with self._lock:
            for fault in self.faults:
                if fault.matches(start):
                    fault.times -= 1 if fault.times > 0 else 0
                    return fault
        return None

    def record(self, item: ServedRequest) -> None:
        with self._lock:
            self.served.append(item)

    def reset_log(self) -> None:
        with self._lock:
            self.served.clear()

    @property
    def bytes_sent(self) -> int:
        with self._lock:
            return sum(r.sent for r in self.served)

    def read(self, start: int, length: int) -> bytes:
        if self.data is not None:
            return self.data[start : start + length]
        with open(str(self.path), "rb") as handle:
            handle.seek(start)
            return handle.read(length)


def _handler_for(server: RangeServer) -> type:
    class Handler(_RangeHandler):
        owner = server

    return Handler


class _RangeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner: RangeServer

    def log_message(self, format: str, *args: object) -> None:
        return

    def setup(self) -> None:
        super().setup()
        with self.owner._lock:
            self.owner.connections += 1

    def do_GET(self) -> None:
        owner = self.owner
        header = self.headers.get("Range")
        start, end, status = 0, owner.size - 1, 200
        if header is not None:
            match = _RANGE.fullmatch(header.strip())
            bounds = (int(match.group(1)), int(match.group(2))) if match else (1, 0)
            if bounds[1] >= owner.size or bounds[0] > bounds[1]:
                self._error(416, "InvalidRange", 0, 0, header)
                return
            start, end, status = bounds[0], bounds[1], 206
        fault = owner.take_fault(start)
        if fault is not None and fault.kind == "status":
            self._error(fault.status, fault.code, start, end, header)
            return
        sent = self._send_body(start, end, status, fault)
        owner.record(ServedRequest(start, end, status, sent, header))

    def _error(self, status: int, code: str, start: int, end: int, header: Optional[str]) -> None:
        body = json.dumps({"code": code, "message": "injected", "type": "Server"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.owner.record(ServedRequest(start, end, status, 0, header))

    def _headers_for(
        self, start: int, end: int, status: int, fault: Optional[Fault]
    ) -> List[Tuple[str, str]]:
        owner = self.owner
        headers = [("Content-Type", "application/octet-stream"), ("Content-Length", str(end - start + 1))]
        if status == 206:
            shift = 1 if fault is not None and fault.kind == "wrong_range" else 0
            headers.append(("Content-Range", f"bytes {start + shift}-{end + shift}/{owner.size}"))
        if owner.tree_hash_header and is_tree_aligned(start, end, owner.size):
            value = tree_hash(owner.read(start, end - start + 1))
            if fault is not None and fault.kind == "bad_hash":
                value = "0" * 64
            headers.append((owner.tree_hash_header, value))
        return headers

    def _send_body(self, start: int, end: int, status: int, fault: Optional[Fault]) -> int:
        self.send_response(status)
        for name, value in self._headers_for(start, end, status, fault):
            self.send_header(name, value)
        self.end_headers()
        limit = end - start + 1
        if fault is not None and fault.kind == "cut":
            limit = min(limit, fault.after)
        if self.owner.data is None and fault is None:
            return self._sendfile(start, limit)
        return self._write_paced(start, limit, end - start + 1, fault)

    def _pace(self, began: float, sent: int) -> None:
        rate = self.owner.rate
        if rate:
            delay = began + sent / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def _sendfile(self, start: int, count: int) -> int:
        """Zero-copy body from the file; paced in 256 KiB steps when a rate cap is set."""
        self.wfile.flush()
        sent, began = 0, time.monotonic()
        step = 256 * 1024 if self.owner.rate else count
        try:
            with open(str(self.owner.path), "rb") as handle:
                while sent < count:
                    done = os.sendfile(
                        self.connection.fileno(), handle.fileno(), start + sent, min(step, count - sent)
                    )
                    if done == 0:
                        break
                    sent += done
                    self._pace(began, sent)
        except OSError:
            self.close_connection = True
        return sent

    def _write_paced(self, start: int, limit: int, length: int, fault: Optional[Fault]) -> int:
        owner, sent, began = self.owner, 0, time.monotonic()
        step = 64 * 1024
        try:
            while sent < limit:
                chunk = bytearray(owner.read(start + sent, min(step, limit - sent)))
                if fault is not None and fault.kind == "corrupt" and sent <= fault.after < sent + len(chunk):
                    chunk[fault.after - sent] ^= 0xFF
                self.wfile.write(chunk)
                sent += len(chunk)
                self._pace(began, sent)
            self.wfile.flush()
        except OSError:
            self.close_connection = True
            return sent
        if limit < length:  # cut: drop the connection with the body incomplete
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        return sent


def main(argv: Optional[Sequence[str]] = None) -> None:
    """``python -m tests.helpers.range_server FILE [RATE_BYTES_PER_S]``: serve until killed."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    rate = float(args[1]) if len(args) > 1 and float(args[1]) > 0 else None
    server = RangeServer(path=args[0], rate=rate, tree_hash_header=None)
    with server:
        print(server.url, flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
