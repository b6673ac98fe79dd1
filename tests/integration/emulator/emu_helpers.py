"""Raw signed requests for the emulator conformance tests: core signers + ``requests``, no client class.

The tree hash here is a deliberately separate implementation (plain hashlib), so a bug shared by the
SDK's ``TreeHasher`` and the emulator cannot cancel out in these tests.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import quote, urlencode

import requests

from cassdk_like.core.auth.qsign import QSigner
from cassdk_like.core.auth.sigv4 import SigV4Signer
from cassdk_like.emulator import Emulator

MiB = 1024 * 1024


def ref_tree_hash(data: bytes) -> str:
    """SHA-256 tree hash written from docs/vault-protocol.md §3.2, independent of cassdk_like.core."""
    if not data:
        return hashlib.sha256(b"").hexdigest()
    level = [hashlib.sha256(data[i : i + MiB]).digest() for i in range(0, len(data), MiB)]
    while len(level) > 1:
        pairs = [level[i : i + 2] for i in range(0, len(level), 2)]
        level = [hashlib.sha256(p[0] + p[1]).digest() if len(p) == 2 else p[0] for p in pairs]
    return level[0].hex()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pattern(size: int, seed: int = 1) -> bytes:
    """Deterministic pseudo-random bytes (fast)."""
    return random.Random(seed).randbytes(size)


def error_of(response: requests.Response) -> Tuple[int, str, str]:
    """(status, code, type) of an error response, checking the documented body shape."""
    body = response.json()
    assert set(body) == {"code", "message", "type"}, body
    assert body["message"], body
    return response.status_code, body["code"], body["type"]


class Raw:
    """Sends signed requests in one dialect to one emulator."""

    def __init__(
        self,
        emu: Emulator,
        dialect: str = "cas",
        *,
        uid: str = "-",
        secret_id: Optional[str] = None,
        secret_key: Optional[str] = None,
        clock: Any = time.time,
        region: Optional[str] = None,
    ) -> None:
        self.emu = emu
        self.dialect = dialect
        self.uid = uid
        self.prefix = "x-cas-" if dialect == "cas" else "x-amz-"
        self.session = requests.Session()
        self.session.trust_env = False
        sid, key = secret_id or emu.secret_id, secret_key or emu.secret_key
        self.qsigner = QSigner(sid, key, clock=clock)
        self.sigv4 = SigV4Signer(
            sid, key, region=region or emu.settings.glacier_region, service="glacier", clock=clock
        )

    def close(self) -> None:
        self.session.close()

    def h(self, suffix: str) -> str:
        return self.prefix + suffix

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Sequence[Tuple[str, str]] = (),
        headers: Optional[Mapping[str, str]] = None,
        body: Optional[bytes] = None,
        json_body: Any = None,
        sign: bool = True,
        stream: bool = False,
        tamper: bool = False,
    ) -> requests.Response:
        """One request to the full ``path``; ``tamper`` flips the signature's last digit."""
        if json_body is not None:
            body = json.dumps(json_body).encode()
        host = f"127.0.0.1:{self.emu.port}"
        sent: Dict[str, str] = {"Host": host}
        if self.dialect == "glacier":
            sent["x-amz-glacier-version"] = "2012-06-01"
        sent.update(headers or {})
        if body is not None:
            sent["Content-Length"] = str(len(body))
        if sign:
            self._sign(method, path, list(params), sent, body)
        if tamper:
            value = sent["Authorization"]
            sent["Authorization"] = value[:-1] + ("0" if value[-1] != "0" else "1")
        url = f"http://{host}{quote(path, safe='/-_.~')}"
        if params:
            url += "?" + urlencode(list(params), quote_via=quote)
        return self.session.request(method, url, headers=sent, data=body, stream=stream, timeout=30)

    def _sign(
        self,
        method: str,
        path: str,
        params: List[Tuple[str, str]],
        sent: Dict[str, str],
        body: Optional[bytes],
    ) -> None:
        if self.dialect == "cas":
            signed = {
                k.lower(): v
                for k, v in sent.items()
                if k.lower() in ("host", "content-length", "range") or k.lower().startswith("x-cas-")
            }
            sent["Authorization"] = self.qsigner.sign(method, path, params, signed)
            return
        signed = {k: v for k, v in sent.items() if k.lower() == "host" or k.lower().startswith("x-amz-")}
        payload = sent.get("x-amz-content-sha256") or sha256_hex(body or b"")
        sent.update(self.sigv4.sign(method, quote(path, safe="/-_.~"), params, signed, payload))

    # -- conveniences ---------------------------------------------------------------------------

    def vault_path(self, vault: str, *rest: str) -> str:
        return "/".join((f"/{self.uid}/vaults/{vault}", *rest))

    def call(self, method: str, vault: str, *rest: str, **kwargs: Any) -> requests.Response:
        return self.request(method, self.vault_path(vault, *rest), **kwargs)

    def create_vault(self, vault: str) -> None:
        response = self.call("PUT", vault)
        assert response.status_code == 201, response.text

    def upload(
        self, vault: str, data: bytes, description: Optional[str] = None, **extra: str
    ) -> requests.Response:
        headers = {
            self.h("content-sha256"): sha256_hex(data),
            self.h("sha256-tree-hash"): ref_tree_hash(data),
        }
        if description is not None:
            headers[self.h("archive-description")] = description
        headers.update(extra)
        return self.call("POST", vault, "archives", headers=headers, body=data)

    def upload_ok(self, vault: str, data: bytes, description: Optional[str] = None) -> str:
        response = self.upload(vault, data, description)
        assert response.status_code == 201, response.text
        return response.headers[self.h("archive-id")]

    def initiate_upload(self, vault: str, part_size: int) -> requests.Response:
        return self.call("POST", vault, "multipart-uploads", headers={self.h("part-size"): str(part_size)})

    def upload_part(
        self, vault: str, upload_id: str, start: int, data: bytes, **over: str
    ) -> requests.Response:
        headers = {
            "Content-Range": f"bytes {start}-{start + len(data) - 1}/*",
            self.h("content-sha256"): sha256_hex(data),
            self.h("sha256-tree-hash"): ref_tree_hash(data),
        }
        headers.update(over)
        return self.call("PUT", vault, "multipart-uploads", upload_id, headers=headers, body=data)

    def complete(self, vault: str, upload_id: str, size: int, tree_hash: str) -> requests.Response:
        headers = {self.h("archive-size"): str(size), self.h("sha256-tree-hash"): tree_hash}
        return self.call("POST", vault, "multipart-uploads", upload_id, headers=headers)

    def initiate_job(self, vault: str, body: Mapping[str, Any]) -> requests.Response:
        return self.call("POST", vault, "jobs", json_body=dict(body))

    def job_ok(self, vault: str, body: Mapping[str, Any]) -> str:
        response = self.initiate_job(vault, body)
        assert response.status_code == 202, response.text
        return response.headers[self.h("job-id")]

    def describe_job(self, vault: str, job_id: str) -> Dict[str, Any]:
        response = self.call("GET", vault, "jobs", job_id)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def wait_job(self, vault: str, job_id: str, timeout: float = 10.0) -> Dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            doc = self.describe_job(vault, job_id)
            if doc["Completed"] or time.monotonic() > deadline:
                return doc
            time.sleep(0.005)

    def output(
        self, vault: str, job_id: str, byte_range: Optional[Tuple[int, int]] = None
    ) -> requests.Response:
        headers = {} if byte_range is None else {"Range": f"bytes={byte_range[0]}-{byte_range[1]}"}
        return self.call("GET", vault, "jobs", job_id, "output", headers=headers)


def admin(emu: Emulator, method: str, path: str, body: Any = None) -> requests.Response:
    """Unsigned admin call (``/_emulator/...``)."""
    session = requests.Session()
    session.trust_env = False
    with session:
        return session.request(method, f"{emu.endpoint}/_emulator/{path}", json=body, timeout=30)


class CallbackReceiver:
    """A tiny local HTTP server that records the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        received: List[Tuple[str, Dict[str, Any]]] = []
        arrived = threading.Condition()

        class _Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with arrived:
                    received.append((self.path, json.loads(body)))
                    arrived.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.received = received
        self._arrived = arrived
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str = "/callback") -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def wait_for(self, count: int, timeout: float = 10.0) -> List[Tuple[str, Dict[str, Any]]]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.received) >= count, timeout=timeout)
            return list(self.received)

    def __enter__(self) -> CallbackReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
