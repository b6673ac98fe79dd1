"""Service- and bucket-level operations (docs/bucket-protocol.md §1.1)."""

from __future__ import annotations

from typing import List, Optional, Tuple

from cassdk_like.bucket.lowlevel._base import ClientCore
from cassdk_like.bucket.lowlevel._xml import create_bucket_document
from cassdk_like.bucket.validation import check_max_keys
from cassdk_like.core.http.response import HttpResponse

__all__ = ["BucketOps"]


def _optional(query: List[Tuple[str, str]], name: str, value: Optional[object]) -> None:
    if value is not None and value != "":
        query.append((name, str(value)))


class BucketOps(ClientCore):
    """Bucket operations of ``BucketClient``."""

    def list_buckets(self) -> HttpResponse:
        """List Buckets (S3 ``GET /`` on the endpoint; COS GET Service on ``service.cos.myqcloud.com``)."""
        return self._send(self._service_target("list_buckets"), "GET")

    def create_bucket(
        self, bucket: str, *, location: Optional[str] = None, acl: Optional[str] = None
    ) -> HttpResponse:
        """Create Bucket; ``location`` is S3's LocationConstraint (leave it out for us-east-1 and COS)."""
        target = self._bucket_target("create_bucket", bucket)
        headers = {}
        body = None
        if acl is not None:
            headers[self._dialect.h("acl")] = acl
        if location:
            body = create_bucket_document(location, self._dialect.xml_namespace)
            headers.update(self._xml_body(body))
        return self._send(target, "PUT", headers=headers, body=body)

    def head_bucket(self, bucket: str) -> HttpResponse:
        """Head Bucket: 200 when it exists and is ours, 404/403 (no body) otherwise."""
        return self._send(self._bucket_target("head_bucket", bucket), "HEAD")

    def delete_bucket(self, bucket: str) -> HttpResponse:
        """Delete Bucket (204); ``BucketNotEmpty`` while it holds objects or uploads."""
        return self._send(self._bucket_target("delete_bucket", bucket), "DELETE")

    def get_bucket_location(self, bucket: str) -> HttpResponse:
        """Get Bucket Location: ``<LocationConstraint>`` (empty for us-east-1 on S3)."""
        return self._send(self._bucket_target("get_bucket_location", bucket), "GET", query=[("location", "")])

    def list_objects(
        self,
        bucket: str,
        *,
        prefix: Optional[str] = None,
        delimiter: Optional[str] = None,
        start_after: Optional[str] = None,
        continuation_token: Optional[str] = None,
        max_keys: Optional[int] = None,
        url_encoded: bool = True,
    ) -> HttpResponse:
        """One page of List Objects: V2 on S3 (``list-type=2``), GET Bucket with ``marker`` on COS.

        ``continuation_token`` is the previous page's ``NextContinuationToken`` (S3) or
        ``NextMarker`` (COS); on COS ``start_after`` becomes the first page's marker.
        ``url_encoded`` asks for ``encoding-type=url`` so keys with any character survive XML.
        """
        target = self._bucket_target("list_objects", bucket)
        query: List[Tuple[str, str]] = []
        if self._dialect.list_v2:
            query.append(("list-type", "2"))
            _optional(query, "continuation-token", continuation_token)
            _optional(query, "start-after", start_after)
        else:
            _optional(query, "marker", continuation_token or start_after)
        _optional(query, "prefix", prefix)
        _optional(query, "delimiter", delimiter)
        _optional(query, "max-keys", check_max_keys(max_keys, target.operation, target.resource))
        if url_encoded:
            query.append(("encoding-type", "url"))
        return self._send(target, "GET", query=query)

    list_objects_v2 = list_objects

    def list_multipart_uploads(
        self,
        bucket: str,
        *,
        prefix: Optional[str] = None,
        key_marker: Optional[str] = None,
        upload_id_marker: Optional[str] = None,
        max_uploads: Optional[int] = None,
    ) -> HttpResponse:
        """One page of List Multipart Uploads (``?uploads``), paged by key and upload-id markers."""
        target = self._bucket_target("list_multipart_uploads", bucket)
        query: List[Tuple[str, str]] = [("uploads", "")]
        _optional(query, "prefix", prefix)
        _optional(query, "key-marker", key_marker)
        _optional(query, "upload-id-marker", upload_id_marker)
        _optional(query, "max-uploads", check_max_keys(max_uploads, target.operation, target.resource))
        return self._send(target, "GET", query=query)
