"""Reading and writing through a PAR: ``ObjectReader``, ``ObjectWriter``, ``BucketWriter``,
``BucketReader`` (the seed's names), streamed through the shared engine (docs/par.md §4).

* A read PAR downloads with the engine's parallel ranged GETs: a presigned GET URL does not sign
  ``Range`` (nor ``If-Match``), so every range is the same URL with its own header. The first
  request learns the size, the ETag and the stored checksum; every later one is pinned to that ETag
  and verified as a bucket download is; the file appears at its path only when complete (partial
  file, fsync, rename), and a failed download resumes.
* A write PAR uploads with one streamed PUT carrying ``Content-MD5`` (the service checks it): a
  multipart upload needs URLs signed for an upload id that does not exist when the PAR is made, so
  no presigned grant allows it, and a single PUT is capped at 5 GiB.
* A bucket PAR writes with the POST form it seals, whose policy pins the key prefix.
* Before each request the PAR's expiry is checked again; the opened grant lives in a
  ``_Session`` for the one call and is never logged or shown.
"""

from __future__ import annotations

import base64
import io
import os
import re
import secrets
from typing import Any, BinaryIO, List, Mapping, Optional, Tuple, Union

import attrs

from cassdk_like.bucket import InvalidObjectKeyError, get_dialect, integrity_of, object_from_headers
from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.cancel import CancelToken, cancel_scope
from cassdk_like.core.checksums import MD5, NO_INTEGRITY, SHA256, IntegrityStrategy, digest_file
from cassdk_like.core.exceptions import CASServerError, LocalFileError, TransportError
from cassdk_like.core.http import HttpResponse, RequestBody, RetryPolicy, Transport
from cassdk_like.engine import DownloadResult, ProgressCallback, TransferConfig, download_to_path
from cassdk_like.engine.progress import ProgressTracker
from cassdk_like.par.errors import PARError, PARPermissionsError, PARReadError, PARWriteError
from cassdk_like.par.grant import Grant
from cassdk_like.par.http import par_request, par_transport
from cassdk_like.par.par import PAR, open_grant

__all__ = [
    "BucketReader",
    "BucketWriter",
    "ObjectReader",
    "ObjectWriter",
    "UploadedThroughPAR",
    "check_par_key",
]

#: the largest single PUT or POST upload S3 and COS accept
MAX_SINGLE_UPLOAD = 5 * 1024**3
_CONTENT_RANGE = re.compile(r"^bytes (?:\d+-\d+|\*)/(\d+)$")
_HEX32 = re.compile(r"^[0-9a-f]{32}$")


def check_par_key(key: Any, operation: str, *, prefix: bool = False) -> str:
    """An object key a PAR may name: non-empty, not absolute, no empty, ``.`` or ``..`` segment
    (``/`` or ``\\`` separated); a prefix may be empty or end with ``/``. Checked before sending."""
    what = "key prefix" if prefix else "key"
    resource = f"{what} {key!r}"
    if not isinstance(key, str) or (not key and not prefix):
        raise InvalidObjectKeyError(
            f"the {what} must be a non-empty str", operation=operation, resource=resource
        )
    if not key:
        return key
    if key.startswith(("/", "\\")):
        raise InvalidObjectKeyError(f"the {what} is an absolute path", operation=operation, resource=resource)
    segments = re.split(r"[/\\]", key)
    if prefix and segments[-1] == "":
        segments.pop()
    if any(segment == "" for segment in segments):
        raise InvalidObjectKeyError(
            f"the {what} has an empty path segment", operation=operation, resource=resource
        )
    if any(segment in (".", "..") for segment in segments):
        raise InvalidObjectKeyError(
            f"the {what} has a '.' or '..' segment (it would leave its place)",
            operation=operation,
            resource=resource,
        )
    return key


@attrs.frozen
class UploadedThroughPAR:
    """What a write through a PAR stored: the key, its size and ETag, and the SHA-256 sent."""

    key: str
    size: int
    etag: str
    sha256: str


def _require(par: PAR, kind: str, permission: str, operation: str) -> None:
    if par.is_null:
        raise PARError("this PAR is null: it grants nothing", operation=operation)
    allowed = par.is_readable if permission == "read" else par.is_writeable
    if par.kind != kind or not allowed:
        raise PARPermissionsError(
            f"this {par.kind} PAR grants {'/'.join(_perms(par)) or 'nothing'}, not {permission} "
            f"on {'an object' if kind == 'object' else 'a bucket'}",
            operation=operation,
            resource=f"PAR {par.uid}",
        )


def _perms(par: PAR) -> List[str]:
    return [name for name, on in (("read", par.is_readable), ("write", par.is_writeable)) if on]


class _Session:
    """One call through a PAR: the opened grant and one Transport. Dropped when the call returns."""

    def __init__(
        self,
        par: PAR,
        decrypt_key: Any,
        operation: str,
        *,
        buffer: float,
        connect_url: Optional[str],
        retry_policy: Optional[RetryPolicy],
        workers: int = 10,
        headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        self.par = par
        self._headers = dict(headers or {})
        self.operation = operation
        self.buffer = buffer
        self.connect_url = connect_url
        self.resource = f"PAR {par.uid}"
        grant = open_grant(par, decrypt_key, operation, buffer=buffer)
        self._grant = grant
        first = grant.get or grant.put or (grant.post.url if grant.post else "")
        self.transport: Transport = par_transport(
            str(par.service), first, connect_url=connect_url, retry_policy=retry_policy, max_pool_size=workers
        )

    @property
    def grant(self) -> Grant:
        return self._grant

    def send(
        self,
        method: str,
        url: str,
        *,
        headers: Optional[Mapping[str, str]] = None,
        body: Any = None,
        stream: bool = False,
    ) -> HttpResponse:
        """One request with the grant's ``url``; the PAR's expiry is checked first, every time."""
        self.par.check_usable(self.operation, self.buffer)
        request = par_request(
            method,
            url,
            operation=self.operation,
            resource=self.resource,
            connect_url=self.connect_url,
            headers={**self._headers, **(headers or {})},
            body=body,
            stream=stream,
        )
        return self.transport.send(request)

    def close(self) -> None:
        self.transport.close()

    def __repr__(self) -> str:
        return f"<PAR session {self.resource} {self.operation}>"


class _PresignedSource:
    """The object behind a read PAR as the engine's ``DownloadSource``."""

    def __init__(
        self, session: _Session, size: int, etag: str, integrity: IntegrityStrategy, expected: Optional[str]
    ) -> None:
        self._session = session
        self.size = size
        self.etag = etag
        self.integrity = integrity
        self.expected_digest = expected

    @property
    def identity(self) -> str:
        """What the resume journal matches on (never the URL)."""
        return "/".join(
            ["par", str(self._session.par.uid), self.etag or "-", str(self.size), self.expected_digest or "-"]
        )

    def open_range(self, byte_range: ByteRange) -> HttpResponse:
        headers = {"Range": byte_range.to_header()}
        if self.etag:
            headers["If-Match"] = f'"{self.etag}"'
        url = self._session.grant.get
        assert url is not None
        response = self._session.send("GET", url, headers=headers, stream=True)
        if not response.ok:
            error = response.to_error()
            response.close()
            raise error
        return response

    def __repr__(self) -> str:
        return f"_PresignedSource({self._session.resource}, size={self.size})"


def _read_error(
    exc: BaseException, session_resource: str, operation: str, path: Optional[str] = None
) -> PARReadError:
    if isinstance(exc, CASServerError):
        text = f"the service refused the read (HTTP {exc.status}{' ' + exc.code if exc.code else ''})"
        if exc.status == 403:
            text += ": the PAR was revoked, has expired at the service, or its URL was altered"
        return PARReadError(
            text,
            status=exc.status,
            code=exc.code,
            operation=operation,
            resource=session_resource,
            local_path=path,
        )
    return PARReadError(
        f"the read failed ({type(exc).__name__})",
        operation=operation,
        resource=session_resource,
        local_path=path,
    )


def _write_error(exc: BaseException, resource: str, operation: str, path: Optional[str]) -> PARWriteError:
    if isinstance(exc, CASServerError):
        text = f"the service refused the write (HTTP {exc.status}{' ' + exc.code if exc.code else ''})"
        if exc.status == 403:
            text += ": the PAR was revoked, has expired at the service, or the key is outside its grant"
        return PARWriteError(
            text, status=exc.status, code=exc.code, operation=operation, resource=resource, local_path=path
        )
    return PARWriteError(
        f"the write failed ({type(exc).__name__})", operation=operation, resource=resource, local_path=path
    )


class ObjectReader:
    """Reads the object behind a read PAR. ``buffer``: seconds of validity a request needs left;
    ``connect_url``: where connections go when not to the URL's host (the Host header keeps it);
    ``headers``: sent with every request (a presigned GET does not sign them; a shared token's
    redemption id travels this way, docs/transfer.md §8.4)."""

    _operation = "get_object_as_file"

    def __init__(
        self,
        par: PAR,
        decrypt_key: Any = None,
        *,
        buffer: float = 30,
        connect_url: Optional[str] = None,
        config: Optional[TransferConfig] = None,
        retry_policy: Optional[RetryPolicy] = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        if not isinstance(par, PAR):
            raise PARError(f"expected a PAR, got {type(par).__name__}", operation=type(self).__name__)
        self._par = par
        self._headers = dict(headers or {})
        self._decrypt_key = decrypt_key
        self._buffer = buffer
        self._connect_url = connect_url
        self._config = config or TransferConfig()
        self._retry_policy = retry_policy

    @property
    def par(self) -> PAR:
        """The PAR this reader (or writer) uses."""
        return self._par

    def _session(self, operation: str) -> _Session:
        return _Session(
            self._par,
            self._decrypt_key,
            operation,
            buffer=self._buffer,
            connect_url=self._connect_url,
            retry_policy=self._retry_policy,
            workers=self._config.max_workers,
            headers=self._headers,
        )

    def get_object_as_file(
        self,
        filename: Union[str, os.PathLike[str]],
        *,
        progress: Optional[ProgressCallback] = None,
        cancel_token: Optional[CancelToken] = None,
        resume: bool = True,
        keep_partial: bool = True,
        verify: bool = True,
    ) -> DownloadResult:
        """Download the object to ``filename`` in parallel ranges, verified and resumable."""
        operation = self._operation
        _require(self._par, "object", "read", operation)
        session = self._session(operation)
        path = os.fspath(filename)
        try:
            with cancel_scope(cancel_token):
                source = self._describe(session, verify)
            return download_to_path(
                source,
                path,
                config=self._config,
                progress=progress,
                cancel_token=cancel_token,
                resume=resume,
                keep_partial=keep_partial,
            )
        except (CASServerError, TransportError) as exc:
            raise _read_error(exc, session.resource, operation, path) from exc
        finally:
            session.close()

    def _describe(self, session: _Session, verify: bool) -> _PresignedSource:
        """Size, ETag and checksum from a one-byte ranged GET (a presigned GET cannot HEAD)."""
        url = session.grant.get
        assert url is not None
        response = session.send("GET", url, headers={"Range": "bytes=0-0"})
        try:
            headers = response.headers
            if response.status == 416:
                size = _total(headers.get("Content-Range")) or 0
            elif response.ok:
                total = _total(headers.get("Content-Range"))
                size = total if total is not None else int(headers.get("Content-Length", "0") or 0)
            else:
                raise response.to_error()
        finally:
            response.close()
        dialect = get_dialect(str(self._par.service))
        described = object_from_headers(dialect, str(self._par.bucket), str(self._par.key()), headers, size)
        strategy, expected = integrity_of(described) if verify else (NO_INTEGRITY, None)
        if response.status == 416:
            strategy, expected = NO_INTEGRITY, None
        return _PresignedSource(session, size, described.etag, strategy, expected)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._par!r})"


def _total(content_range: Optional[str]) -> Optional[int]:
    match = _CONTENT_RANGE.match((content_range or "").strip())
    return int(match.group(1)) if match else None


class _CountingFile:
    """A file window read by the transport, counted into a progress tracker (rewinds retract)."""

    def __init__(self, fileobj: BinaryIO, tracker: ProgressTracker) -> None:
        self._file = fileobj
        self._tracker = tracker
        self._sent = 0

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if self._sent:
            self._tracker.retract(self._sent)
            self._sent = 0
        return self._file.seek(offset, whence)

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(size)
        self._sent += len(data)
        self._tracker.add(len(data))
        self._tracker.emit()
        return data


class _FormFile:
    """``multipart/form-data``: the policy's fields, then the file, streamed from disk (seekable)."""

    def __init__(self, head: bytes, body: _CountingFile, size: int, tail: bytes) -> None:
        self._head = head
        self._tail = tail
        self._body = body
        self._size = size
        self.length = len(head) + size + len(tail)
        self._pos = 0
        self._body_pos = -1  # where the file was left; -1: seek before the next read

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._pos = offset
        self._body_pos = -1
        return offset

    def read(self, size: int = -1) -> bytes:
        left = self.length - self._pos
        want = left if size is None or size < 0 else min(size, left)
        head, body_end = len(self._head), len(self._head) + self._size
        out = bytearray()
        while want > 0:
            if self._pos < head:
                chunk = self._head[self._pos : self._pos + want]
            elif self._pos < body_end:
                inner = self._pos - head
                if self._body_pos != inner:
                    self._body.seek(inner)
                chunk = self._body.read(min(want, body_end - self._pos))
                if not chunk:
                    break
                self._body_pos = inner + len(chunk)
            else:
                start = self._pos - body_end
                chunk = self._tail[start : start + want]
            out += chunk
            self._pos += len(chunk)
            want -= len(chunk)
        return bytes(out)


def _open_local(filename: Any, operation: str) -> BinaryIO:
    try:
        return open(os.fspath(filename), "rb")
    except OSError as exc:
        raise LocalFileError(
            f"cannot open the file ({exc.strerror or type(exc).__name__})",
            operation=operation,
            local_path=str(filename),
        ) from exc


def _file_size(fileobj: BinaryIO, filename: Any, operation: str, resource: str) -> int:
    size = os.fstat(fileobj.fileno()).st_size
    if size > MAX_SINGLE_UPLOAD:
        raise PARWriteError(
            f"the file has {size} bytes; a PAR uploads in one request, at most {MAX_SINGLE_UPLOAD} bytes "
            "(presigned URLs cannot carry a multipart upload)",
            operation=operation,
            resource=resource,
            local_path=str(filename),
        )
    return size


def _check_etag(etag: Optional[str], md5_hex: str, operation: str, resource: str, path: str) -> str:
    plain = (etag or "").strip().strip('"').lower()
    if _HEX32.match(plain) and plain != md5_hex:
        raise PARWriteError(
            f"the service stored other bytes than were sent (ETag {plain}, MD5 {md5_hex})",
            operation=operation,
            resource=resource,
            local_path=path,
        )
    return plain


class ObjectWriter(ObjectReader):
    """Writes (and, when the PAR allows, reads) the object behind a write PAR."""

    def set_object_from_file(
        self,
        filename: Union[str, os.PathLike[str]],
        *,
        progress: Optional[ProgressCallback] = None,
        cancel_token: Optional[CancelToken] = None,
    ) -> UploadedThroughPAR:
        """Upload ``filename`` as the PAR's object in one streamed PUT with ``Content-MD5``."""
        operation = "set_object_from_file"
        _require(self._par, "object", "write", operation)
        path = os.fspath(filename)
        with _open_local(path, operation) as fileobj:
            size = _file_size(fileobj, path, operation, f"PAR {self._par.uid}")
            sums = digest_file(fileobj, 0, size, (MD5, SHA256), label=path, operation=operation)
            session = self._session(operation)
            tracker = ProgressTracker(size, progress)
            headers = {"Content-MD5": base64.b64encode(bytes.fromhex(sums["md5"])).decode("ascii")}
            url = session.grant.put
            assert url is not None
            body = RequestBody(_CountingFile(fileobj, tracker), 0, size)  # type: ignore[arg-type]
            etag = _send_upload(
                session, "PUT", url, headers, body, sums["md5"], operation, path, cancel_token
            )
            tracker.emit(finished=True)
        return UploadedThroughPAR(str(self._par.key()), size, etag, sums["sha256"])


def _send_upload(
    session: _Session,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: RequestBody,
    md5: str,
    operation: str,
    path: str,
    cancel_token: Optional[CancelToken],
) -> str:
    """Send one upload through the PAR's session (closed afterwards); the ETag, checked against
    the body's MD5.  Service and transport failures become the PAR's write error."""
    try:
        with cancel_scope(cancel_token):
            response = session.send(method, url, headers=headers, body=body)
        with response:
            if not response.ok:
                raise response.to_error()
            return _check_etag(response.headers.get("ETag"), md5, operation, session.resource, path)
    except (CASServerError, TransportError) as exc:
        raise _write_error(exc, session.resource, operation, path) from exc
    finally:
        session.close()


class BucketWriter:
    """Writes objects under a bucket PAR's key prefix, with the POST policy it seals."""

    def __init__(
        self,
        par: PAR,
        decrypt_key: Any = None,
        *,
        buffer: float = 30,
        connect_url: Optional[str] = None,
        retry_policy: Optional[RetryPolicy] = None,
    ) -> None:
        if not isinstance(par, PAR):
            raise PARError(f"expected a PAR, got {type(par).__name__}", operation="BucketWriter")
        self._reader = ObjectReader(
            par, decrypt_key, buffer=buffer, connect_url=connect_url, retry_policy=retry_policy
        )
        self._par = par

    def set_object_from_file(
        self,
        key: str,
        filename: Union[str, os.PathLike[str]],
        *,
        progress: Optional[ProgressCallback] = None,
        cancel_token: Optional[CancelToken] = None,
    ) -> UploadedThroughPAR:
        """Upload ``filename`` as ``<key_prefix><key>`` (one form POST, at most 5 GiB)."""
        operation = "set_object_from_file"
        _require(self._par, "bucket", "write", operation)
        check_par_key(key, operation)
        full_key = check_par_key(str(self._par.key_prefix or "") + key, operation)
        path = os.fspath(filename)
        with _open_local(path, operation) as fileobj:
            size = _file_size(fileobj, path, operation, f"PAR {self._par.uid}")
            sums = digest_file(fileobj, 0, size, (MD5, SHA256), label=path, operation=operation)
            session = self._reader._session(operation)
            form = session.grant.post
            assert form is not None
            tracker = ProgressTracker(size, progress)
            fields = dict(form.fields)
            fields["key"] = full_key
            boundary = "cassdk-par-" + secrets.token_hex(16)
            head, tail = _form_parts(fields, boundary, os.path.basename(path) or "file")
            body_file = _FormFile(head, _CountingFile(fileobj, tracker), size, tail)
            headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
            body = RequestBody(body_file, 0, body_file.length)  # type: ignore[arg-type]
            etag = _send_upload(
                session, "POST", form.url, headers, body, sums["md5"], operation, path, cancel_token
            )
            tracker.emit(finished=True)
        return UploadedThroughPAR(full_key, size, etag, sums["sha256"])

    def __repr__(self) -> str:
        return f"BucketWriter({self._par!r})"


def _form_parts(fields: Mapping[str, str], boundary: str, filename: str) -> Tuple[bytes, bytes]:
    lines: List[bytes] = []
    for name, value in fields.items():
        lines.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode("utf-8")
            + b"\r\n"
        )
    safe = filename.replace('"', "_").replace("\r", "_").replace("\n", "_")
    lines.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{safe}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
    )
    return b"".join(lines), f"\r\n--{boundary}--\r\n".encode("ascii")


class BucketReader:
    """Reading a whole bucket through one PAR: S3 and COS cannot grant it (docs/par.md §4.4)."""

    def __init__(self, par: PAR, decrypt_key: Any = None, **_options: Any) -> None:
        self._par = par

    def get_object_as_file(self, key: str, filename: Union[str, os.PathLike[str]]) -> DownloadResult:
        """Always ``PARPermissionsError``: a presigned URL names one object, and a POST policy only
        uploads; ask the issuer for a read PAR per object."""
        check_par_key(key, "get_object_as_file")
        raise PARPermissionsError(
            "S3 and COS cannot grant read access to a whole bucket with a presigned URL (each URL names "
            "one object): ask the issuer for one read PAR per object",
            operation="get_object_as_file",
            resource=f"PAR {self._par.uid}",
        )

    def __repr__(self) -> str:
        return f"BucketReader({self._par!r})"
