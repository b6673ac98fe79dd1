"""Object operations (docs/bucket-protocol.md §1.2): put, get, head, delete, batch delete, copy, tags."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import quote

from cassdk_like.bucket.lowlevel._base import ClientCore, Content, Target
from cassdk_like.bucket.lowlevel._xml import delete_document, tagging_document
from cassdk_like.bucket.validation import (
    MAX_LIST_KEYS,
    check_bucket_name,
    check_key,
    check_metadata,
    check_part_number,
    check_tags,
    range_header,
)
from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.core.http.response import HttpResponse

__all__ = ["ObjectOps"]


class ObjectOps(ClientCore):
    """Object operations of ``BucketClient``."""

    def _object_headers(
        self,
        target: Target,
        *,
        content_type: Optional[str] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        storage_class: Optional[str] = None,
        if_match: Optional[str] = None,
        if_none_match: Optional[str] = None,
    ) -> Dict[str, str]:
        headers: Dict[str, str] = {}
        if content_type is not None:
            headers["Content-Type"] = content_type
        for name, value in check_metadata(metadata, target.operation, target.resource).items():
            headers[self._dialect.meta_prefix + name] = value
        if storage_class is not None:
            headers[self._dialect.h("storage-class")] = storage_class
        if if_match is not None:
            headers["If-Match"] = if_match
        if if_none_match is not None:
            headers["If-None-Match"] = if_none_match
        return headers

    def put_object(
        self,
        bucket: str,
        key: str,
        content: Content,
        *,
        size: Optional[int] = None,
        content_type: Optional[str] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        storage_class: Optional[str] = None,
        sha256: Optional[str] = None,
        md5: Optional[str] = None,
        checksum: bool = True,
        if_match: Optional[str] = None,
        if_none_match: Optional[str] = None,
    ) -> HttpResponse:
        """Put Object from bytes, or from a seekable file object (``size`` bytes from its position).

        The dialect's checksum (S3: ``x-amz-checksum-sha256``, COS: ``Content-MD5``) is computed in
        the same pass as nothing else reads the body, unless given (hex) or ``checksum=False``.
        ``if_none_match="*"`` creates the object only if it does not exist.
        """
        target = self._object_target("put_object", bucket, key)
        headers = self._object_headers(
            target,
            content_type=content_type or "application/octet-stream",
            metadata=metadata,
            storage_class=storage_class,
            if_match=if_match,
            if_none_match=if_none_match,
        )
        body, body_headers = self._payload(target, content, size, sha256=sha256, md5=md5, checksum=checksum)
        headers.update(body_headers)
        return self._send(target, "PUT", headers=headers, body=body)

    def get_object(
        self,
        bucket: str,
        key: str,
        *,
        byte_range: Optional[Any] = None,
        if_match: Optional[str] = None,
        if_none_match: Optional[str] = None,
        part_number: Optional[int] = None,
        checksum_mode: bool = False,
        stream: bool = False,
    ) -> HttpResponse:
        """Get Object; ``byte_range`` is ``"a-b"``, ``"a-"``, ``"-n"``, ``(a, b)`` or a ``ByteRange``.

        ``stream=True`` leaves a 2xx body on the socket (read it, then close the response).
        ``checksum_mode`` asks S3 for the stored ``x-amz-checksum-*`` headers.
        """
        target = self._object_target("get_object", bucket, key)
        headers = self._object_headers(target, if_match=if_match, if_none_match=if_none_match)
        query: List[Tuple[str, str]] = []
        if byte_range is not None:
            if part_number is not None:
                raise InvalidArgumentError(
                    "give byte_range or part_number, not both",
                    operation=target.operation,
                    resource=target.resource,
                )
            headers["Range"] = range_header(byte_range, target.operation, target.resource)
        if part_number is not None:
            query.append(
                ("partNumber", str(check_part_number(part_number, target.operation, target.resource)))
            )
        if checksum_mode:
            headers[self._dialect.h("checksum-mode")] = "ENABLED"
        return self._send(target, "GET", query=query, headers=headers, stream=stream)

    def head_object(
        self,
        bucket: str,
        key: str,
        *,
        if_match: Optional[str] = None,
        if_none_match: Optional[str] = None,
        part_number: Optional[int] = None,
        checksum_mode: bool = False,
    ) -> HttpResponse:
        """Head Object: size, ETag, metadata and checksums in headers; errors come without a body."""
        target = self._object_target("head_object", bucket, key)
        headers = self._object_headers(target, if_match=if_match, if_none_match=if_none_match)
        query: List[Tuple[str, str]] = []
        if part_number is not None:
            query.append(
                ("partNumber", str(check_part_number(part_number, target.operation, target.resource)))
            )
        if checksum_mode:
            headers[self._dialect.h("checksum-mode")] = "ENABLED"
        return self._send(target, "HEAD", query=query, headers=headers)

    def delete_object(self, bucket: str, key: str) -> HttpResponse:
        """Delete Object (204, also when the key does not exist)."""
        return self._send(self._object_target("delete_object", bucket, key), "DELETE")

    def delete_objects(self, bucket: str, keys: Sequence[str], *, quiet: bool = False) -> HttpResponse:
        """Delete Multiple Objects (``POST ?delete``): up to 1000 keys in one request, with the body's
        Content-MD5 the services require.  Failures per key come back in the 200 answer."""
        target = self._bucket_target("delete_objects", bucket)
        keys = list(keys)
        if not 1 <= len(keys) <= MAX_LIST_KEYS:
            raise InvalidArgumentError(
                f"delete_objects takes 1..{MAX_LIST_KEYS} keys, got {len(keys)}",
                operation=target.operation,
                resource=target.resource,
            )
        for key in keys:
            check_key(key, target.operation, bucket, self._dialect.max_key_bytes)
        body = delete_document(keys, quiet, self._dialect.xml_namespace)
        return self._send(target, "POST", query=[("delete", "")], headers=self._xml_body(body), body=body)

    def copy_object(
        self,
        bucket: str,
        key: str,
        source_bucket: str,
        source_key: str,
        *,
        metadata: Optional[Mapping[str, Any]] = None,
        content_type: Optional[str] = None,
        source_if_match: Optional[str] = None,
        storage_class: Optional[str] = None,
    ) -> HttpResponse:
        """Copy Object (server side, up to 5 GiB).  With ``metadata`` the copy gets exactly that
        metadata (directive REPLACE), else the source's.  A 200 answer may still carry an
        ``<Error>`` document: the high level checks the body."""
        target = self._object_target("copy_object", bucket, key)
        check_bucket_name(source_bucket, self._dialect.name, target.operation, appid=self._appid)
        check_key(source_key, target.operation, source_bucket, self._dialect.max_key_bytes)
        headers = self._object_headers(
            target, content_type=content_type, metadata=metadata, storage_class=storage_class
        )
        headers[self._dialect.h("copy-source")] = self._copy_source(source_bucket, source_key)
        if metadata is not None or content_type is not None:
            headers[self._dialect.h("metadata-directive")] = self._dialect.replace_directive
        if source_if_match is not None:
            headers[self._dialect.h("copy-source-if-match")] = source_if_match
        return self._send(target, "PUT", headers=headers)

    def _copy_source(self, bucket: str, key: str) -> str:
        """S3: ``/<bucket>/<key>``; COS: ``<bucket>.cos.<region>.myqcloud.com/<key>`` (URL-encoded)."""
        encoded = quote(key, safe="/")
        if self._dialect.name == "cos":
            host = self._addressing.bucket(bucket).public_url.split("://", 1)[1]
            return f"{host}/{encoded}"
        return f"/{bucket}/{encoded}"

    def put_object_tagging(self, bucket: str, key: str, tags: Mapping[str, str]) -> HttpResponse:
        """Put Object Tagging: replaces the object's whole tag set (at most 10 tags)."""
        target = self._object_target("put_object_tagging", bucket, key)
        body = tagging_document(
            check_tags(tags, target.operation, target.resource), self._dialect.xml_namespace
        )
        return self._send(target, "PUT", query=[("tagging", "")], headers=self._xml_body(body), body=body)

    def get_object_tagging(self, bucket: str, key: str) -> HttpResponse:
        """Get Object Tagging: ``<Tagging><TagSet>``."""
        return self._send(
            self._object_target("get_object_tagging", bucket, key), "GET", query=[("tagging", "")]
        )

    def delete_object_tagging(self, bucket: str, key: str) -> HttpResponse:
        """Delete Object Tagging (204)."""
        target = self._object_target("delete_object_tagging", bucket, key)
        return self._send(target, "DELETE", query=[("tagging", "")])
