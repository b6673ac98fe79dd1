"""In-memory implementations of the engine's interfaces, with fault injection.

``FakeSource`` serves ranges of a bytes object like Get Job Output (206, Content-Range, the
tree-hash header on tree-aligned ranges) and can cut a body mid-way, corrupt a byte, lie in
Content-Range or the hash header, or raise.  ``FakeTarget`` stores numbered parts like Upload
Part (it reads the body the engine gives it and checks both checksums), lists them, completes
with a combined-hash check, and can fail parts.
Both record every call so tests can count what was (not) transferred again.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import attrs
from requests.structures import CaseInsensitiveDict

from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.checksums import SHA256, IntegrityStrategy, TreeHashIntegrity
from cassdk_like.core.exceptions import CASServerError, ConnectionFailedError
from cassdk_like.core.integrity import combine_tree_hashes, hash_bytes, is_tree_aligned, tree_hash
from cassdk_like.engine import CompletedUpload, PartBody
from cassdk_like.vault.dialect import CAS
from cassdk_like.vault.errors import InvalidDigest
from cassdk_like.vault.highlevel.adapters import VAULT_PART_SIZER

__all__ = ["FakeFault", "FakeResponse", "FakeSource", "FakeTarget", "PartFailure", "server_error"]

HEADER = "x-cas-sha256-tree-hash"


def server_error(status: int = 500, code: str = "InternalError") -> CASServerError:
    body = json.dumps({"code": code, "message": "injected", "type": "Server"}).encode()
    return CAS.errors.decode(status, {}, body, operation="fake")


@attrs.define
class FakeFault:
    """kinds: cut (after ``after`` bytes), corrupt (byte ``after``), wrong_range, bad_hash, no_hash,
    error (raise ``error`` from open_range), status200 (answer 200 to a partial range)."""

    kind: str
    start: Optional[int] = None
    times: int = 1
    after: int = 0
    error: Optional[Exception] = None

    def matches(self, start: int) -> bool:
        return self.times != 0 and (self.start is None or self.start == start)


class FakeResponse:
    def __init__(
        self,
        status: int,
        headers: Dict[str, str],
        body: bytes,
        cut_after: Optional[int] = None,
        hook: Optional[Callable[[int], None]] = None,
    ) -> None:
        self.status = status
        self.headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(headers)
        self._body = memoryview(body)
        self._pos = 0
        self._cut = len(body) if cut_after is None else cut_after
        self._hook = hook
        self.closed = False

    def readinto(self, buf: memoryview) -> int:
        if self._hook is not None:
            self._hook(self._pos)
        if self._pos >= self._cut and self._pos < len(self._body):
            raise ConnectionFailedError(f"injected cut after {self._pos} bytes")
        count = min(len(buf), len(self._body) - self._pos, self._cut - self._pos)
        buf[:count] = self._body[self._pos : self._pos + count]
        self._pos += count
        return count

    def close(self) -> None:
        self.closed = True


class FakeSource:
    """A job output in memory. Thread-safe."""

    def __init__(
        self,
        data: bytes,
        *,
        expected_tree_hash: Optional[str] = "auto",
        identity: str = "fake/job-1",
        send_hash: bool = True,
        faults: Sequence[FakeFault] = (),
        read_hook: Optional[Callable[[ByteRange, int], None]] = None,
        integrity: Optional[IntegrityStrategy] = None,
    ) -> None:
        """``integrity``: another strategy than the tree hash (then no per-range header is sent)."""
        self.data = data
        self.size = len(data)
        self.integrity: IntegrityStrategy = integrity or TreeHashIntegrity(range_header=HEADER)
        if expected_tree_hash == "auto":
            hasher = self.integrity.new_hasher()
            hasher.update(data)
            expected_tree_hash = hasher.hexdigest()
        self.expected_digest = expected_tree_hash
        self.identity = identity
        self.send_hash = send_hash
        self.faults = list(faults)
        self.read_hook = read_hook
        self.requests: List[ByteRange] = []
        self.responses: List[FakeResponse] = []
        self._lock = threading.Lock()

    def _take(self, start: int) -> Optional[FakeFault]:
        with self._lock:
            for fault in self.faults:
                if fault.matches(start):
                    if fault.times > 0:
                        fault.times -= 1
                    return fault
        return None

    def open_range(self, byte_range: ByteRange) -> FakeResponse:
        with self._lock:
            self.requests.append(byte_range)
        fault = self._take(byte_range.start)
        kind = fault.kind if fault else ""
        if fault is not None and kind == "error":
            raise fault.error or server_error()
        start, end = byte_range.start, byte_range.end
        body = bytearray(self.data[start : end + 1])
        headers = {"Content-Length": str(len(body))}
        shift = 1 if kind == "wrong_range" else 0
        headers["Content-Range"] = f"bytes {start + shift}-{end + shift}/{self.size}"
        status = 206
        if kind == "status200":
            status = 200
            del headers["Content-Range"]
        tree = self.integrity.name == "sha256-tree"
        if tree and self.send_hash and kind != "no_hash" and is_tree_aligned(start, end, self.size):
            headers[HEADER] = "0" * 64 if kind == "bad_hash" else tree_hash(bytes(body))
        if kind == "corrupt":
            body[fault.after] ^= 0xFF  # type: ignore[union-attr]
        hook = None
        if self.read_hook is not None:
            read_hook = self.read_hook
            hook = lambda pos: read_hook(byte_range, pos)  # noqa: E731
        response = FakeResponse(status, headers, bytes(body), fault.after if kind == "cut" else None, hook)
        with self._lock:
            self.responses.append(response)
        return response

    def bytes_requested(self) -> int:
        with self._lock:
            return sum(r.length for r in self.requests)


@attrs.define
class PartFailure:
    """Raise ``error`` for the part starting at ``start``, ``times`` times (-1: always)."""

    start: int
    error: Exception
    times: int = 1


def read_body(body: PartBody) -> bytes:
    """What an HTTP client would send: the bytes in memory, or the reader read to its end."""
    content: Any = body.content()
    if isinstance(content, memoryview):
        return bytes(content)
    content.seek(0)
    chunks = []
    while True:
        chunk = content.read(64 * 1024)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


class FakeTarget:
    """A vault multipart upload in memory; checks checksums like the service. Thread-safe."""

    part_sizer = VAULT_PART_SIZER
    part_checksums = (SHA256, TreeHashIntegrity())

    def __init__(
        self,
        *,
        upload_id: str = "upload-1",
        failures: Sequence[PartFailure] = (),
        on_part: Optional[Callable[[ByteRange], None]] = None,
    ) -> None:
        self.upload_id = upload_id
        self.failures = list(failures)
        self.on_part = on_part
        self.parts: Dict[int, Tuple[int, bytes, str]] = {}  # start -> (number, bytes, tree hash)
        self.calls: List[ByteRange] = []
        self.completed: Optional[Tuple[int, str]] = None
        self.aborted = False
        self._lock = threading.Lock()

    def upload_part(self, number: int, body: PartBody) -> str:
        byte_range = body.byte_range
        with self._lock:
            self.calls.append(byte_range)
            for failure in self.failures:
                if failure.start == byte_range.start and failure.times != 0:
                    failure.times -= 1 if failure.times > 0 else 0
                    raise failure.error
        if self.on_part is not None:
            self.on_part(byte_range)
        data = read_body(body)
        hashes = hash_bytes(data)
        sent = (body.digests["sha256"], body.digests["sha256-tree"])
        if len(data) != byte_range.length or (hashes.sha256, hashes.tree_hash) != sent:
            raise InvalidDigest(400, "InvalidDigest", "checksum mismatch")
        with self._lock:
            self.parts[byte_range.start] = (number, data, hashes.tree_hash)
        return hashes.tree_hash

    def token_for(self, number: int, digests: Mapping[str, str]) -> Optional[str]:
        return digests.get("sha256-tree")

    def list_parts(self) -> List[Tuple[int, ByteRange, str]]:
        with self._lock:
            return [
                (number, ByteRange(start, start + len(body) - 1), part_hash)
                for start, (number, body, part_hash) in sorted(self.parts.items())
            ]

    def complete(self, parts: Sequence[Tuple[int, str]], size: int) -> CompletedUpload:
        with self._lock:
            stored = [self.parts[s] for s in sorted(self.parts)]
        total = sum(len(body) for _, body, _ in stored)
        if [(n, h) for n, _, h in stored] != list(parts) or total != size:
            raise InvalidDigest(400, "InvalidDigest", "size or parts do not match the stored parts")
        tree = combine_tree_hashes([h for _, h in parts])
        self.completed = (size, tree)
        return CompletedUpload(f"archive-{tree[:16]}", tree)

    def abort(self) -> None:
        self.aborted = True

    def archive(self) -> bytes:
        with self._lock:
            return b"".join(self.parts[s][1] for s in sorted(self.parts))

    def damage(self, start: int) -> None:
        """Make a stored part wrong (its bytes and hash no longer match the local file)."""
        with self._lock:
            number, body, _ = self.parts[start]
            bad = bytes([body[0] ^ 0xFF]) + body[1:]
            self.parts[start] = (number, bad, tree_hash(bad))
