"""``ReductClient``: one method per ReductStore HTTP operation, returning the raw ``HttpResponse``.

Like the other services' low levels, it never raises on an HTTP status (``Client`` does); it
raises for input it can refuse before sending (docs/reduct-client.md §11), when the transport
gives up (``ConnectionFailedError``, ``TimedOutError``), and when the server speaks another major
API version (docs/reduct-client.md §2).  Every request says whether it is idempotent, which is
what the shared retry policy goes by (docs/reduct-client.md §7).
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import logging
import os
import threading
import warnings
from typing import Any, BinaryIO, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import urlsplit

from cassdk_like.core.exceptions import InvalidArgumentError, LocalFileError
from cassdk_like.core.http.bodies import check_binary_reader, request_body
from cassdk_like.core.http.request import BodyLike, HttpRequest, RequestBody
from cassdk_like.core.http.response import HttpResponse
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.core.http.transport import Transport
from cassdk_like.reduct.batch import DEFAULT_CONTENT_TYPE, BatchRecord
from cassdk_like.reduct.bodies import IteratorReader, joined_body
from cassdk_like.reduct.errors import REDUCT_ERROR_DECODER, ApiVersionError
from cassdk_like.reduct.models import BucketSettings
from cassdk_like.reduct.protocol import (
    QUERY_ID_HEADER,
    encode_v1,
    encode_v2_removal,
    encode_v2_update,
    encode_v2_write,
)
from cassdk_like.reduct.timestamps import TimestampLike, to_microseconds
from cassdk_like.reduct.validation import (
    BatchTooLargeError,
    bucket_resource,
    check_bucket_name,
    check_content_type,
    check_entry_name,
    check_labels,
    check_token_name,
    entry_resource,
)

__all__ = [
    "API_PREFIX",
    "CLIENT_API_VERSION",
    "DEFAULT_BATCH_MAX_METADATA_SIZE",
    "DEFAULT_BATCH_MAX_RECORDS",
    "Data",
    "ReductClient",
    "parse_api_version",
]

logger = logging.getLogger("cassdk_like.reduct")

API_PREFIX = "/api/v1"
#: the API version this client speaks (ReductStore 1.21)
CLIENT_API_VERSION: Tuple[int, int] = (1, 21)
#: a server older than this many minor versions gets a warning, as reduct-py gives one
_MINOR_LAG_WARNED = 2
#: the server's defaults for RS_IO_BATCH_MAX_RECORDS and RS_IO_BATCH_MAX_METADATA_SIZE: its HTTP
#: parser takes at most that many records' headers (plus 15 others) and that many header bytes
DEFAULT_BATCH_MAX_RECORDS = 85
DEFAULT_BATCH_MAX_METADATA_SIZE = 512_000
#: how much of a pipe is read at a time
_PIPE_CHUNK = 256 * 1024
#: header bytes kept free for the request line and the non-record headers of a batch
_HEADER_ALLOWANCE = 2048

#: what ``write`` sends: bytes, a binary file object (from its position) or an iterator of bytes
Data = Union[bytes, bytearray, memoryview, BinaryIO, Iterable[bytes]]
Labels = Optional[Mapping[str, Any]]


def parse_api_version(text: str) -> Optional[Tuple[int, int]]:
    """``"1.21"`` -> (1, 21); None when the text is not ``<major>.<minor>``."""
    major, dot, minor = text.strip().partition(".")
    minor = minor.split(".", 1)[0]
    if not dot or not major.isdigit() or not minor.isdigit():
        return None
    return int(major), int(minor)


def _split_url(url: str) -> Tuple[str, str]:
    """(``scheme://host[:port]``, path prefix) of the server URL (a proxy may serve it under a path)."""
    if not isinstance(url, str):
        raise InvalidArgumentError(f"url must be a string such as http://127.0.0.1:8383, got {url!r}")
    parts = urlsplit(url.strip())
    if parts.query or parts.fragment:
        raise InvalidArgumentError("url must not carry a query or a fragment", operation="Client")
    return f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")


def _rfc3339(value: Union[_dt.datetime, str], operation: str, resource: str) -> str:
    micros = to_microseconds(value, what="expires_at", operation=operation, resource=resource)
    moment = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc) + _dt.timedelta(microseconds=micros)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ReductClient:
    """Low-level ReductStore client (docs/reduct-client.md §1). Thread-safe; close it, or use ``with``.

    ``timeout`` bounds each request as a whole (connect, send and the answer's headers; a streamed
    body is watched for stalls instead); None keeps the transport's per-phase timeouts only.
    ``batch_max_records`` / ``batch_max_metadata_size`` mirror the server's RS_IO_BATCH_MAX_RECORDS
    and RS_IO_BATCH_MAX_METADATA_SIZE: set them when the server's are changed.
    """

    def __init__(
        self,
        url: str,
        api_token: Optional[str] = None,
        *,
        timeout: Optional[float] = None,
        retry_policy: Optional[RetryPolicy] = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        max_pool_size: int = 10,
        verify: Union[bool, str] = True,
        extra_headers: Optional[Mapping[str, str]] = None,
        batch_max_records: int = DEFAULT_BATCH_MAX_RECORDS,
        batch_max_metadata_size: int = DEFAULT_BATCH_MAX_METADATA_SIZE,
    ) -> None:
        if api_token is not None and (not isinstance(api_token, str) or not api_token):
            raise InvalidArgumentError("api_token must be a non-empty string or None", operation="Client")
        base, prefix = _split_url(url)
        self._url = base + prefix
        self._prefix = prefix + API_PREFIX
        headers = dict(extra_headers or {})
        if api_token is not None:
            headers["Authorization"] = f"Bearer {api_token}"
        if timeout is not None:
            connect_timeout = min(connect_timeout, timeout)
            read_timeout = min(read_timeout, timeout)
        self._transport = Transport(
            base,
            retry_policy=retry_policy,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            request_timeout=timeout,
            max_pool_size=max_pool_size,
            verify=verify,
            default_headers=headers,
            request_id_headers=(),
            secrets=(api_token,) if api_token else (),
            errors=REDUCT_ERROR_DECODER,
        )
        self._has_token = api_token is not None
        self.batch_max_records = batch_max_records
        self.batch_max_metadata_size = batch_max_metadata_size
        self._lock = threading.Lock()
        self._api_version: Optional[Tuple[int, int]] = None
        self._version_text: Optional[str] = None

    # -- state ----------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The server URL."""
        return self._url

    @property
    def transport(self) -> Transport:
        """The transport requests go through."""
        return self._transport

    @property
    def api_version(self) -> Optional[Tuple[int, int]]:
        """(major, minor) of the server's ``x-reduct-api``, from its first answer that carried one."""
        with self._lock:
            return self._api_version

    def set_api_version(self, version: Tuple[int, int]) -> None:
        """Remember a version learnt another way (``info().version`` when the header is missing)."""
        self._check_version(version, f"{version[0]}.{version[1]}")

    def register_secret(self, value: str) -> None:
        """Keep ``value`` (a token the server returned) out of every log line from now on."""
        self._transport.register_secret(value)

    def close(self) -> None:
        """Close the connections."""
        self._transport.close()

    def __enter__(self) -> ReductClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ReductClient({self._url!r}, token={'set' if self._has_token else 'none'})"

    # -- sending --------------------------------------------------------------------------------

    def _check_version(self, version: Tuple[int, int], text: str) -> None:
        with self._lock:
            if self._api_version == version:
                return
            first = self._api_version is None
            self._api_version = version
            self._version_text = text
        if version[0] != CLIENT_API_VERSION[0]:
            with self._lock:
                self._api_version = None
            raise ApiVersionError(
                f"the server speaks API {text}; this client speaks API "
                f"{CLIENT_API_VERSION[0]}.{CLIENT_API_VERSION[1]} (majors must match)",
                operation="connect",
                resource=self._url,
            )
        if version[1] + _MINOR_LAG_WARNED < CLIENT_API_VERSION[1] and first:
            warnings.warn(
                f"the ReductStore server at {self._url} speaks API {text}, more than "
                f"{_MINOR_LAG_WARNED} minor versions older than this client's "
                f"{CLIENT_API_VERSION[0]}.{CLIENT_API_VERSION[1]}: some calls may fail",
                UserWarning,
                stacklevel=4,
            )

    def _note_version(self, response: HttpResponse) -> None:
        text = response.headers.get("x-reduct-api")
        if text is None:
            return
        version = parse_api_version(text)
        if version is None:
            logger.debug("ignoring a malformed x-reduct-api header %r", text[:40])
            return
        try:
            self._check_version(version, text.strip())
        except ApiVersionError:
            response.close()
            raise

    def _send(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        resource: str,
        query: Sequence[Tuple[str, str]] = (),
        headers: Optional[Mapping[str, str]] = None,
        body: BodyLike = None,
        stream: bool = False,
        idempotent: bool = True,
    ) -> HttpResponse:
        request = HttpRequest(
            method,
            self._prefix + path,
            list(query),
            dict(headers or {}),
            body,
            stream=stream,
            operation=operation,
            resource=resource,
            idempotent=idempotent,
        )
        response = self._transport.send(request)
        self._note_version(response)
        return response

    def _json(self, document: Any) -> Tuple[bytes, Dict[str, str]]:
        body = json.dumps(document, separators=(",", ":")).encode("utf-8")
        return body, {"Content-Type": "application/json"}

    # -- server ---------------------------------------------------------------------------------

    def info(self) -> HttpResponse:
        """GET the server info."""
        return self._send("GET", "/info", operation="info", resource="server")

    def list_buckets(self) -> HttpResponse:
        """GET the list of buckets."""
        return self._send("GET", "/list", operation="list", resource="server")

    def alive(self) -> HttpResponse:
        """HEAD /alive: whether the server answers."""
        return self._send("HEAD", "/alive", operation="alive", resource="server")

    def me(self) -> HttpResponse:
        """GET the calling token's own info."""
        return self._send("GET", "/me", operation="me", resource="the calling token")

    # -- buckets --------------------------------------------------------------------------------

    def get_bucket(self, bucket: str, *, operation: str = "get_bucket") -> HttpResponse:
        """GET the settings and entries of ``bucket`` (``operation`` names the caller in errors)."""
        check_bucket_name(bucket, operation)
        return self._send("GET", f"/b/{bucket}", operation=operation, resource=bucket_resource(bucket))

    def head_bucket(self, bucket: str) -> HttpResponse:
        """HEAD ``bucket``: whether it exists."""
        check_bucket_name(bucket, "head_bucket")
        return self._send("HEAD", f"/b/{bucket}", operation="head_bucket", resource=bucket_resource(bucket))

    def create_bucket(self, bucket: str, settings: Optional[BucketSettings] = None) -> HttpResponse:
        """No body without settings (the server's defaults apply), else all four keys."""
        check_bucket_name(bucket, "create_bucket")
        body, headers = self._json(settings.to_json()) if settings is not None else (None, {})
        return self._send(
            "POST",
            f"/b/{bucket}",
            operation="create_bucket",
            resource=bucket_resource(bucket),
            headers=headers,
            body=body,
            idempotent=False,
        )

    def update_bucket(self, bucket: str, settings: BucketSettings) -> HttpResponse:
        """``PUT /b/{bucket}``: a ``None`` field keeps the bucket's current value."""
        check_bucket_name(bucket, "set_settings")
        if not isinstance(settings, BucketSettings):
            raise InvalidArgumentError(
                f"settings must be BucketSettings, not {type(settings).__name__}",
                operation="set_settings",
                resource=bucket_resource(bucket),
            )
        body, headers = self._json(settings.to_json())
        return self._send(
            "PUT",
            f"/b/{bucket}",
            operation="set_settings",
            resource=bucket_resource(bucket),
            headers=headers,
            body=body,
        )

    def remove_bucket(self, bucket: str) -> HttpResponse:
        """DELETE ``bucket`` and everything in it."""
        check_bucket_name(bucket, "remove")
        return self._send(
            "DELETE", f"/b/{bucket}", operation="remove", resource=bucket_resource(bucket), idempotent=False
        )

    def rename_bucket(self, bucket: str, new_name: str) -> HttpResponse:
        """Rename ``bucket`` to ``new_name``."""
        check_bucket_name(bucket, "rename")
        check_bucket_name(new_name, "rename")
        body, headers = self._json({"new_name": new_name})
        return self._send(
            "PUT",
            f"/b/{bucket}/rename",
            operation="rename",
            resource=bucket_resource(bucket),
            headers=headers,
            body=body,
            idempotent=False,
        )

    # -- tokens ---------------------------------------------------------------------------------

    def list_tokens(self) -> HttpResponse:
        """GET the list of tokens."""
        return self._send("GET", "/tokens", operation="get_token_list", resource="tokens")

    def get_token(self, name: str) -> HttpResponse:
        """GET token ``name``."""
        check_token_name(name, "get_token")
        return self._send("GET", f"/tokens/{name}", operation="get_token", resource=f"token {name!r}")

    def create_token(
        self,
        name: str,
        permissions: Mapping[str, Any],
        *,
        expires_at: Optional[Union[_dt.datetime, str]] = None,
        ttl: Optional[int] = None,
        ip_allowlist: Sequence[str] = (),
        legacy: bool = False,
    ) -> HttpResponse:
        """``legacy``: the bare permissions object of servers before API 1.19 (no expiry, TTL or
        allow-list)."""
        check_token_name(name, "create_token")
        resource = f"token {name!r}"
        if legacy:
            if expires_at is not None or ttl is not None or ip_allowlist:
                raise InvalidArgumentError(
                    "this server (API before 1.19) cannot give a token an expiry, a TTL or an IP allow-list",
                    operation="create_token",
                    resource=resource,
                )
            document: Dict[str, Any] = dict(permissions)
        else:
            document = {"permissions": dict(permissions), "ip_allowlist": list(ip_allowlist)}
            if expires_at is not None:
                document["expires_at"] = _rfc3339(expires_at, "create_token", resource)
            if ttl is not None:
                document["ttl"] = ttl
        body, headers = self._json(document)
        return self._send(
            "POST",
            f"/tokens/{name}",
            operation="create_token",
            resource=resource,
            headers=headers,
            body=body,
            idempotent=False,
        )

    def rotate_token(self, name: str) -> HttpResponse:
        """Give token ``name`` a new value (the answer carries it)."""
        check_token_name(name, "rotate_token")
        return self._send(
            "POST",
            f"/tokens/{name}/rotate",
            operation="rotate_token",
            resource=f"token {name!r}",
            idempotent=False,
        )

    def remove_token(self, name: str) -> HttpResponse:
        """DELETE token ``name``."""
        check_token_name(name, "remove_token")
        return self._send(
            "DELETE",
            f"/tokens/{name}",
            operation="remove_token",
            resource=f"token {name!r}",
            idempotent=False,
        )

    # -- single records -------------------------------------------------------------------------

    def _entry(self, operation: str, bucket: str, entry: str) -> str:
        check_bucket_name(bucket, operation)
        check_entry_name(entry, operation, bucket)
        return entry_resource(bucket, entry)

    def _body(
        self, data: Data, content_length: Optional[int], operation: str, resource: str
    ) -> Tuple[Union[bytes, bytearray, memoryview, RequestBody], int]:
        context = {"operation": operation, "resource": resource}
        if content_length is not None and (
            isinstance(content_length, bool) or not isinstance(content_length, int) or content_length < 0
        ):
            raise InvalidArgumentError(
                f"content_length must be a non-negative integer, got {content_length!r}", **context
            )
        if isinstance(data, (bytes, bytearray, memoryview)):
            return request_body(data, content_length, operation=operation, resource=resource)
        if hasattr(data, "read"):
            fileobj: BinaryIO = data  # type: ignore[assignment]
            if content_length is None:
                content_length = _remaining_size(fileobj, operation, resource)
            elif not _seekable(fileobj):  # a pipe: read once, like an iterator
                check_binary_reader(fileobj, operation, resource)
                chunks = iter(lambda: fileobj.read(_PIPE_CHUNK), b"")
                return RequestBody(IteratorReader(chunks, content_length), 0, content_length), content_length  # type: ignore[arg-type]
            return request_body(fileobj, content_length, operation=operation, resource=resource)
        if isinstance(data, str):  # type: ignore[unreachable]
            raise InvalidArgumentError("data must be bytes, not str (encode it first)", **context)
        if not hasattr(data, "__iter__"):
            raise InvalidArgumentError(
                "data must be bytes, a binary file object or an iterator of bytes, "
                f"not {type(data).__name__}",
                **context,
            )
        if content_length is None:
            raise InvalidArgumentError(
                "content_length is required when data is an iterator (the server needs Content-Length)",
                **context,
            )
        reader = IteratorReader(data, content_length)
        return RequestBody(reader, 0, content_length), content_length  # type: ignore[arg-type]

    def write_record(
        self,
        bucket: str,
        entry: str,
        timestamp: TimestampLike,
        data: Data,
        *,
        content_length: Optional[int] = None,
        content_type: Optional[str] = None,
        labels: Labels = None,
    ) -> HttpResponse:
        """POST one record of ``entry`` in ``bucket`` at ``timestamp``."""
        resource = self._entry("write", bucket, entry)
        ts = to_microseconds(timestamp, operation="write", resource=resource)
        headers = {
            f"x-reduct-label-{name}": text for name, text in check_labels(labels, "write", resource).items()
        }
        headers["Content-Type"] = check_content_type(
            DEFAULT_CONTENT_TYPE if content_type is None else content_type, "write", resource
        )
        body, length = self._body(data, content_length, "write", resource)
        headers["Content-Length"] = str(length)
        return self._send(
            "POST",
            f"/b/{bucket}/{entry}",
            operation="write",
            resource=resource,
            query=[("ts", str(ts))],
            headers=headers,
            body=body,
            idempotent=False,
        )

    def read_record(
        self, bucket: str, entry: str, timestamp: Optional[TimestampLike] = None, *, head: bool = False
    ) -> HttpResponse:
        """GET (HEAD with ``head``) a record; the latest without ``timestamp``. A 2xx body streams."""
        resource = self._entry("read", bucket, entry)
        query = (
            []
            if timestamp is None
            else [("ts", str(to_microseconds(timestamp, operation="read", resource=resource)))]
        )
        return self._send(
            "HEAD" if head else "GET",
            f"/b/{bucket}/{entry}",
            operation="read",
            resource=resource,
            query=query,
            stream=True,
        )

    def update_record(
        self, bucket: str, entry: str, timestamp: TimestampLike, labels: Mapping[str, Any]
    ) -> HttpResponse:
        """Set labels; an empty value (or None) removes one."""
        resource = self._entry("update", bucket, entry)
        ts = to_microseconds(timestamp, operation="update", resource=resource)
        checked = check_labels(labels, "update", resource, removable=True)
        headers = {f"x-reduct-label-{name}": text for name, text in checked.items()}
        return self._send(
            "PATCH",
            f"/b/{bucket}/{entry}",
            operation="update",
            resource=resource,
            query=[("ts", str(ts))],
            headers=headers,
        )

    def remove_record(self, bucket: str, entry: str, timestamp: TimestampLike) -> HttpResponse:
        """DELETE the record of ``entry`` in ``bucket`` at ``timestamp``."""
        resource = self._entry("remove_record", bucket, entry)
        ts = to_microseconds(timestamp, operation="remove_record", resource=resource)
        return self._send(
            "DELETE",
            f"/b/{bucket}/{entry}",
            operation="remove_record",
            resource=resource,
            query=[("ts", str(ts))],
            idempotent=False,
        )

    def remove_entry(self, bucket: str, entry: str) -> HttpResponse:
        """DELETE ``entry`` of ``bucket``."""
        resource = self._entry("remove_entry", bucket, entry)
        return self._send(
            "DELETE", f"/b/{bucket}/{entry}", operation="remove_entry", resource=resource, idempotent=False
        )

    def rename_entry(self, bucket: str, entry: str, new_name: str) -> HttpResponse:
        """Rename ``entry`` of ``bucket`` to ``new_name``."""
        resource = self._entry("rename_entry", bucket, entry)
        check_entry_name(new_name, "rename_entry", bucket)
        body, headers = self._json({"new_name": new_name})
        return self._send(
            "PUT",
            f"/b/{bucket}/{entry}/rename",
            operation="rename_entry",
            resource=resource,
            headers=headers,
            body=body,
            idempotent=False,
        )

    # -- batches --------------------------------------------------------------------------------

    def _checked_records(
        self,
        records: Sequence[BatchRecord],
        operation: str,
        resource: str,
        protocol: str,
        *,
        updates: bool = False,
    ) -> List[BatchRecord]:
        checked: List[BatchRecord] = []
        for record in records:
            where = resource if record.entry is None else f"{resource}, entry {record.entry!r}"
            labels = check_labels(record.labels, operation, where, removable=updates, in_batch=protocol)
            check_content_type(record.content_type, operation, where, in_batch=True)
            checked.append(
                BatchRecord(record.entry, record.timestamp, record.data, record.content_type, labels)
            )
        return checked

    def _check_size(self, headers: Mapping[str, str], count: int, operation: str, resource: str) -> None:
        if count > self.batch_max_records:
            raise BatchTooLargeError(
                f"{count} records in one batch; the server reads at most {self.batch_max_records} "
                "(RS_IO_BATCH_MAX_RECORDS): each record is one header and its HTTP parser drops a request "
                "with more headers. Split the batch, or raise batch_max_records if the server's is higher",
                operation=operation,
                resource=resource,
            )
        size = sum(len(name) + len(value) + 4 for name, value in headers.items()) + _HEADER_ALLOWANCE
        if size > self.batch_max_metadata_size:
            raise BatchTooLargeError(
                f"the batch's headers take about {size} bytes; the server reads at most "
                f"{self.batch_max_metadata_size} (RS_IO_BATCH_MAX_METADATA_SIZE) and drops a larger request. "
                "Split the batch or shorten its labels",
                operation=operation,
                resource=resource,
            )

    def _batch_call(
        self,
        method: str,
        path: str,
        headers: Dict[str, str],
        payload: Sequence[BatchRecord],
        *,
        count: int,
        operation: str,
        resource: str,
        idempotent: bool,
    ) -> HttpResponse:
        self._check_size(headers, count, operation, resource)
        body = joined_body(record.data for record in payload) if payload else b""
        headers["Content-Type"] = DEFAULT_CONTENT_TYPE
        headers["Content-Length"] = str(sum(record.size for record in payload))
        return self._send(
            method,
            path,
            operation=operation,
            resource=resource,
            headers=headers,
            body=body,
            idempotent=idempotent,
        )

    def write_batch(self, bucket: str, entry: str, records: Sequence[BatchRecord]) -> HttpResponse:
        """v1 ``POST /b/{bucket}/{entry}/batch`` (payloads in timestamp order)."""
        resource = self._entry("write_batch", bucket, entry)
        checked = self._checked_records(records, "write_batch", resource, "v1")
        ordered = sorted(checked, key=lambda r: r.timestamp)
        return self._batch_call(
            "POST", f"/b/{bucket}/{entry}/batch", encode_v1(ordered), ordered,
            count=len(ordered), operation="write_batch", resource=resource, idempotent=False,
        )  # fmt: skip

    def update_batch(self, bucket: str, entry: str, records: Sequence[BatchRecord]) -> HttpResponse:
        """v1 ``PATCH /b/{bucket}/{entry}/batch``: each record's labels set, empty values removed."""
        resource = self._entry("update_batch", bucket, entry)
        checked = self._checked_records(records, "update_batch", resource, "v1", updates=True)
        return self._batch_call(
            "PATCH", f"/b/{bucket}/{entry}/batch", encode_v1(checked, updates=True), (),
            count=len(checked), operation="update_batch", resource=resource, idempotent=True,
        )  # fmt: skip

    def remove_batch(self, bucket: str, entry: str, records: Sequence[BatchRecord]) -> HttpResponse:
        """v1 ``DELETE /b/{bucket}/{entry}/batch``."""
        resource = self._entry("remove_batch", bucket, entry)
        bare = [BatchRecord(None, r.timestamp, memoryview(b"")) for r in records]
        return self._batch_call(
            "DELETE", f"/b/{bucket}/{entry}/batch", encode_v1(bare, updates=True), (),
            count=len(bare), operation="remove_batch", resource=resource, idempotent=False,
        )  # fmt: skip

    def _v2_records(self, bucket: str, records: Sequence[BatchRecord], operation: str) -> str:
        resource = bucket_resource(bucket)
        check_bucket_name(bucket, operation)
        if not records:
            raise InvalidArgumentError("the batch is empty", operation=operation, resource=resource)
        for record in records:
            if record.entry is None:
                raise InvalidArgumentError(
                    "a multi-entry batch needs each record's entry (use RecordBatch)",
                    operation=operation,
                    resource=resource,
                )
            check_entry_name(record.entry, operation, bucket)
        return resource

    def write_record_batch(self, bucket: str, records: Sequence[BatchRecord]) -> HttpResponse:
        """v2 ``POST /io/{bucket}/write`` (API 1.18+)."""
        resource = self._v2_records(bucket, records, "write_record_batch")
        checked = self._checked_records(records, "write_record_batch", resource, "v2")
        headers, ordered = encode_v2_write(checked)
        return self._batch_call(
            "POST", f"/io/{bucket}/write", headers, ordered,
            count=len(ordered), operation="write_record_batch", resource=resource, idempotent=False,
        )  # fmt: skip

    def update_record_batch(self, bucket: str, records: Sequence[BatchRecord]) -> HttpResponse:
        """v2 ``PATCH /io/{bucket}/update`` of one request's worth (see ``protocol.update_groups``)."""
        resource = self._v2_records(bucket, records, "update_record_batch")
        checked = self._checked_records(records, "update_record_batch", resource, "v2", updates=True)
        return self._batch_call(
            "PATCH", f"/io/{bucket}/update", encode_v2_update(checked), (),
            count=len(checked), operation="update_record_batch", resource=resource, idempotent=True,
        )  # fmt: skip

    def remove_record_batch(self, bucket: str, records: Sequence[BatchRecord]) -> HttpResponse:
        """v2 ``DELETE /io/{bucket}/remove``."""
        resource = self._v2_records(bucket, records, "remove_record_batch")
        return self._batch_call(
            "DELETE", f"/io/{bucket}/remove", encode_v2_removal(records), (),
            count=len(records), operation="remove_record_batch", resource=resource, idempotent=False,
        )  # fmt: skip

    # -- queries --------------------------------------------------------------------------------

    def query(self, bucket: str, document: Mapping[str, Any], *, entry: Optional[str] = None) -> HttpResponse:
        """Start a query: v2 ``POST /io/{bucket}/q``, or v1 ``POST /b/{bucket}/{entry}/q`` with ``entry``.

        A REMOVE query is not idempotent (a repeat would count nothing); starting a QUERY twice only
        leaves an unused query behind until its TTL, so that one may be retried.
        """
        operation = "remove_query" if document.get("query_type") == "REMOVE" else "query"
        if entry is None:
            check_bucket_name(bucket, operation)
            path, resource = f"/io/{bucket}/q", bucket_resource(bucket)
        else:
            resource = self._entry(operation, bucket, entry)
            path = f"/b/{bucket}/{entry}/q"
        body, headers = self._json(document)
        return self._send(
            "POST", path, operation=operation, resource=resource, headers=headers, body=body,
            idempotent=operation == "query",
        )  # fmt: skip

    def read_query(
        self, bucket: str, query_id: int, *, head: bool = False, entry: Optional[str] = None
    ) -> HttpResponse:
        """The next batch of a query (v2 ``/io/{bucket}/read``, v1 ``/b/{bucket}/{entry}/batch?q=``).

        Never retried once sent: each read moves the query on, so a repeat would skip records.
        """
        method = "HEAD" if head else "GET"
        if entry is None:
            check_bucket_name(bucket, "query")
            return self._send(
                method, f"/io/{bucket}/read", operation="query", resource=bucket_resource(bucket),
                headers={QUERY_ID_HEADER: str(query_id)}, stream=True, idempotent=False,
            )  # fmt: skip
        resource = self._entry("query", bucket, entry)
        return self._send(
            method, f"/b/{bucket}/{entry}/batch", operation="query", resource=resource,
            query=[("q", str(query_id))], stream=True, idempotent=False,
        )  # fmt: skip


def _seekable(fileobj: BinaryIO) -> bool:
    try:
        return bool(fileobj.seekable())
    except (OSError, ValueError):
        return False


def _remaining_size(fileobj: BinaryIO, operation: str, resource: str) -> int:
    """Bytes from a seekable file's position to its end (the record's length when none is given)."""
    check_binary_reader(fileobj, operation, resource)
    try:
        if not fileobj.seekable():
            raise InvalidArgumentError(
                "content_length is required for a file object that cannot seek",
                operation=operation,
                resource=resource,
            )
        position = fileobj.tell()
        try:
            end = os.fstat(fileobj.fileno()).st_size
        except (OSError, AttributeError, io.UnsupportedOperation):
            end = fileobj.seek(0, io.SEEK_END)
            fileobj.seek(position)
    except (OSError, ValueError) as exc:
        raise LocalFileError(
            f"cannot size the file object: {exc}", operation=operation, resource=resource
        ) from exc
    return max(end - position, 0)
