"""The one request-building path every bucket operation goes through.

Operations say *what* they want (method, bucket, key, query, headers, body); this module turns
that into an ``HttpRequest`` routed by the client's addressing (the bucket's host or path), with
the operation/resource labels errors are reported with, and bodies with their checksum headers
computed in one pass when the caller gave none (docs/bucket-protocol.md §3.2).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Dict, Mapping, Optional, Sequence, Tuple, Union

import attrs

from cassdk_like.bucket.addressing import COSAddressing, Route, S3Addressing
from cassdk_like.bucket.dialect import BucketDialect
from cassdk_like.bucket.validation import check_bucket_name, check_key
from cassdk_like.core.auth.sigv4_canonical import UNSIGNED_PAYLOAD
from cassdk_like.core.checksums import MD5, SHA256, IntegrityStrategy, digest_bytes, digest_file
from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.core.http.bodies import Content, request_body
from cassdk_like.core.http.request import HttpRequest, RequestBody
from cassdk_like.core.http.response import HttpResponse
from cassdk_like.core.http.transport import Transport

__all__ = ["ClientCore", "Content", "Target", "b64_of_hex", "content_md5"]

Body = Union[bytes, bytearray, memoryview, RequestBody]
Addressing = Union[S3Addressing, COSAddressing]

_HEX = frozenset("0123456789abcdef")


@attrs.frozen
class Target:
    """Where an operation goes, and how errors name it."""

    operation: str
    route: Route
    path: str
    resource: str
    bucket: Optional[str] = None
    key: Optional[str] = None


def b64_of_hex(digest: str) -> str:
    """A hex digest in the base64 form Content-MD5 and x-amz-checksum-* carry."""
    return base64.b64encode(binascii.unhexlify(digest)).decode("ascii")


def content_md5(data: bytes) -> str:
    """The Content-MD5 header of an XML body (S3 requires it on Delete Objects)."""
    return base64.b64encode(hashlib.md5(data).digest()).decode("ascii")  # noqa: S324 - the header's hash


def _hashes_payload(route: Route) -> bool:
    """Whether a body on ``route`` is signed by its SHA-256 even when it carries a CRC-32: over
    plain HTTP nothing else guards it against tampering (over HTTPS it is ``UNSIGNED-PAYLOAD``)."""
    return not route.base_url.lower().startswith("https:")


def _check_hex(value: Optional[str], length: int, what: str, target: Target) -> Optional[str]:
    if value is None:
        return None
    lowered = value.strip().lower() if isinstance(value, str) else ""
    if len(lowered) != length or not _HEX.issuperset(lowered):
        raise InvalidArgumentError(
            f"{what} must be {length} hexadecimal digits, got {value!r}",
            operation=target.operation,
            resource=target.resource,
        )
    return lowered


class ClientCore:
    """State and helpers shared by the operation mixins; see ``BucketClient`` for the public API."""

    _dialect: BucketDialect
    _transport: Transport
    _addressing: Addressing
    _appid: Optional[str]

    # -- targets --------------------------------------------------------------------------------

    def _service_target(self, operation: str) -> Target:
        route = self._addressing.service()
        return Target(operation, route, route.path(), "the account's buckets")

    def _bucket_target(self, operation: str, bucket: str) -> Target:
        """Validate the bucket name and route the request to the bucket."""
        check_bucket_name(bucket, self._dialect.name, operation, appid=self._appid)
        try:
            route = self._addressing.bucket(bucket)
        except InvalidArgumentError as exc:
            exc.operation = operation
            raise
        return Target(operation, route, route.path(), f"bucket {bucket!r}", bucket)

    def _object_target(self, operation: str, bucket: str, key: str) -> Target:
        """Validate both names and route the request to the object."""
        route = self._bucket_target(operation, bucket).route
        check_key(key, operation, bucket, self._dialect.max_key_bytes)
        resource = f"object {key!r} in bucket {bucket!r}"
        return Target(operation, route, route.path(key), resource, bucket, key)

    def hashes_payload(self, bucket: str) -> bool:
        """True when a body sent to ``bucket`` is SHA-256 hashed for its signature whatever
        checksum it carries (a plain-HTTP connection), so that SHA-256 is the cheapest one to send."""
        return _hashes_payload(self._bucket_target("hashes_payload", bucket).route)

    # -- sending --------------------------------------------------------------------------------

    def _send(
        self,
        target: Target,
        method: str,
        *,
        query: Sequence[Tuple[str, str]] = (),
        headers: Optional[Mapping[str, str]] = None,
        body: Optional[Body] = None,
        stream: bool = False,
    ) -> HttpResponse:
        """Build and send one request; never raises on HTTP status."""
        all_headers: Dict[str, str] = {}
        if target.route.host is not None:
            all_headers["Host"] = target.route.host
        all_headers.update(headers or {})
        request = HttpRequest(
            method=method,
            path=target.path,
            query=list(query),
            headers=all_headers,
            body=body,
            stream=stream,
            operation=target.operation,
            resource=target.resource,
            base_url=target.route.base_url,
        )
        return self._transport.send(request)

    def _xml_body(self, data: bytes) -> Dict[str, str]:
        """Headers of an XML request body: its type, length and MD5 (and SHA-256 for SigV4)."""
        headers = {"Content-Type": "application/xml", "Content-MD5": content_md5(data)}
        if self._dialect.part_checksum == "sha256":
            headers["x-amz-content-sha256"] = hashlib.sha256(data).hexdigest()
        return headers

    # -- bodies ---------------------------------------------------------------------------------

    def _strategies(
        self, compute: bool, sha256: Optional[str], md5: Optional[str]
    ) -> Sequence[IntegrityStrategy]:
        wanted = []
        if sha256 is None and (compute and self._dialect.part_checksum == "sha256"):
            wanted.append(SHA256)
        if md5 is None and (compute and self._dialect.part_checksum == "md5"):
            wanted.append(MD5)
        return wanted

    def _payload(
        self,
        target: Target,
        content: Content,
        size: Optional[int],
        *,
        sha256: Optional[str] = None,
        md5: Optional[str] = None,
        crc32: Optional[str] = None,
        checksum: bool = True,
    ) -> Tuple[Body, Dict[str, str]]:
        """The body plus Content-Length and checksum headers.

        ``sha256`` / ``md5`` / ``crc32`` are the caller's hex digests of the body (sent as
        ``x-amz-checksum-sha256`` / ``Content-MD5`` / ``x-amz-checksum-crc32``); with ``checksum``
        the dialect's own checksum is computed in one pass when none is given.  SigV4's payload
        hash reuses the SHA-256.  A CRC-32 body over HTTPS is signed as ``UNSIGNED-PAYLOAD`` (TLS
        and the CRC the service verifies guard it, as botocore does), so it is never SHA-256
        hashed; over plain HTTP nothing else guards it against tampering, so its SHA-256 is
        computed here, in one pass, for the signature only.
        """
        sha256 = _check_hex(sha256, 64, "sha256", target)
        md5 = _check_hex(md5, 32, "md5", target)
        crc32 = _check_hex(crc32, 8, "crc32", target)
        if crc32 is not None and (sha256 is not None or "crc32" not in self._dialect.multipart_checksums):
            raise InvalidArgumentError(
                f"crc32 is a {self._dialect.name} part checksum only if the dialect takes it (S3), "
                "and it is sent instead of sha256, not with it",
                operation=target.operation,
                resource=target.resource,
            )
        body, length = request_body(content, size, operation=target.operation, resource=target.resource)
        unsigned = crc32 is not None and not _hashes_payload(target.route)
        strategies = self._strategies(checksum and crc32 is None, sha256, md5)
        if crc32 is not None and not unsigned:
            strategies = [*strategies, SHA256]
        if not strategies:
            digests: Dict[str, str] = {}
        elif isinstance(body, RequestBody):
            digests = digest_file(body.fileobj, body.offset, length, strategies, operation=target.operation)
        else:
            digests = digest_bytes(body, strategies)
        md5 = md5 or digests.get(MD5.name)
        headers = {"Content-Length": str(length)}
        if crc32 is not None:
            headers["x-amz-checksum-crc32"] = b64_of_hex(crc32)
            headers["x-amz-content-sha256"] = UNSIGNED_PAYLOAD if unsigned else digests[SHA256.name]
        else:
            sha256 = sha256 or digests.get(SHA256.name)
            if sha256 is not None and self._dialect.part_checksum == "sha256":
                headers["x-amz-content-sha256"] = sha256
                headers["x-amz-checksum-sha256"] = b64_of_hex(sha256)
        if md5 is not None:
            headers["Content-MD5"] = b64_of_hex(md5)
        return body, headers
