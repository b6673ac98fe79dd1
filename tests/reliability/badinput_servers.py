"""Small local HTTP(S) servers that misbehave on purpose, for the bad-input and security suites.

``ScriptedServer`` answers every request with whatever a test's ``answer`` function returns (status,
headers, body) and records what it received, so a test can count the requests that reached it.
``job_output`` builds an ``answer`` that serves bytes like Get Job Output (``Range`` -> 206 with
Content-Range, the per-range tree-hash header on tree-aligned ranges) and can lie in any header.
``stored_object`` builds one serving an object like S3 (HEAD with its ETag and stored SHA-256,
ranged GET) whose bytes can be corrupted on the way.
``self_signed_tls`` makes a server certificate that no trust store knows (with ``cryptography``).
Standard library only otherwise; nothing here imports the SDK's client layers.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import ipaddress
import re
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import attrs

from cassdk_like.core.integrity import is_tree_aligned, tree_hash

__all__ = ["Answer", "Reply", "ScriptedServer", "Seen", "job_output", "self_signed_tls", "stored_object"]

_RANGE = re.compile(r"bytes=(\d+)-(\d+)")


@attrs.frozen
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: Mapping[str, str]


@attrs.frozen
class Reply:
    """One answer; Content-Length is added unless given (a lying one is allowed)."""

    status: int
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes = b""


Answer = Callable[[Seen], Reply]


class ScriptedServer:
    """An HTTP/1.1 server on 127.0.0.1:<free port> answering each request with ``answer(seen)``.

    Thread-safe; use it as a context manager. ``tls`` (an ``ssl.SSLContext``) makes it HTTPS.
    """

    def __init__(self, answer: Answer, *, tls: Optional[ssl.SSLContext] = None) -> None:
        self.answer = answer
        self.seen: List[Seen] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(_Handler):
            server_owner = owner

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.owner = self
        self.scheme = "http"
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
            self.scheme = "https"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def endpoint(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.seen)

    def record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: ScriptedServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up mid-answer is expected here; do not print tracebacks."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_owner: ScriptedServer

    def log_message(self, format: str, *args: object) -> None:
        return

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
        self.server_owner.record(seen)
        reply = self.server_owner.answer(seen)
        self.send_response(reply.status)
        names = {k.lower() for k in reply.headers}
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if "content-length" not in names:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _serve


def job_output(
    data: bytes,
    *,
    tree_hash_header: str = "x-cas-sha256-tree-hash",
    wrong_tree_hash: bool = False,
    content_range: Optional[Callable[[int, int, int], str]] = None,
    extra_headers: Optional[Mapping[str, str]] = None,
) -> Answer:
    """An ``answer`` serving ``data`` as a job's output on any path.

    ``wrong_tree_hash`` sends a well-formed tree hash of other bytes; ``content_range(start, end,
    size)`` replaces the honest Content-Range; ``extra_headers`` are added to every answer.
    """

    def answer(seen: Seen) -> Reply:
        start, end = 0, len(data) - 1
        header = seen.headers.get("range")
        status = 200
        if header is not None:
            match = _RANGE.fullmatch(header.strip())
            if match is None:
                return Reply(416, {"Content-Type": "application/json"}, b'{"code":"InvalidRange"}')
            start, end, status = int(match.group(1)), int(match.group(2)), 206
        body = data[start : end + 1]
        headers: Dict[str, str] = {"Content-Type": "application/octet-stream"}
        if status == 206:
            honest = f"bytes {start}-{end}/{len(data)}"
            headers["Content-Range"] = content_range(start, end, len(data)) if content_range else honest
        if is_tree_aligned(start, end, len(data)):
            headers[tree_hash_header] = tree_hash(b"\x00" + body) if wrong_tree_hash else tree_hash(body)
        headers.update(extra_headers or {})
        return Reply(status, headers, body)

    return answer


def stored_object(data: bytes, *, corrupt: bool = False) -> Answer:
    """An ``answer`` serving ``data`` as an S3 object on any path: HEAD tells its size, its MD5 ETag
    and the SHA-256 this SDK stores in ``x-amz-meta-sha256``; GET serves ``Range`` with 206.
    ``corrupt`` flips the first byte of every body (the headers still describe the true bytes)."""
    etag = hashlib.md5(data).hexdigest()  # the ETag of a single-part object is its MD5
    described = {
        "ETag": f'"{etag}"',
        "Last-Modified": "Wed, 02 Dec 2026 10:00:00 GMT",
        "Content-Type": "application/octet-stream",
        "Accept-Ranges": "bytes",
        "x-amz-meta-sha256": hashlib.sha256(data).hexdigest(),
    }

    def answer(seen: Seen) -> Reply:
        if seen.method == "HEAD":
            return Reply(200, {**described, "Content-Length": str(len(data))})
        start, end, status = 0, len(data) - 1, 200
        match = _RANGE.fullmatch((seen.headers.get("range") or "").strip())
        headers = dict(described)
        if match is not None:
            start, end, status = int(match.group(1)), min(int(match.group(2)), len(data) - 1), 206
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        body = data[start : end + 1]
        if corrupt and body:
            body = bytes([body[0] ^ 0xFF]) + body[1:]
        return Reply(status, headers, body)

    return answer


def self_signed_tls(folder: Path) -> Tuple[ssl.SSLContext, Path]:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1; returns (context, cert)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = _dt.datetime.now(_dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(minutes=5))
        .not_valid_after(now + _dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert_path), str(key_path))
    return context, cert_path
