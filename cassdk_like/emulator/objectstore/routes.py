"""Which operation a bucket request asks for, from method, addressed bucket and key, and the
sub-resource query parameters (docs/bucket-protocol.md §1). The same for S3 and COS.

Sub-resources the emulator does not implement (``?acl``, ``?policy``, ``?lifecycle``...) are
refused with 501 NotImplemented rather than mistaken for a plain object request.
"""

from __future__ import annotations

from typing import AbstractSet, Mapping

from cassdk_like.emulator.objectstore.errors import method_not_allowed, not_implemented

__all__ = ["OPERATION_NAMES", "operation_for"]

OPERATION_NAMES = frozenset(
    {
        "ListBuckets",
        "CreateBucket",
        "HeadBucket",
        "DeleteBucket",
        "GetBucketLocation",
        "ListObjects",
        "ListObjectsV2",
        "ListMultipartUploads",
        "DeleteObjects",
        "PostObject",
        "PutObject",
        "CopyObject",
        "GetObject",
        "HeadObject",
        "DeleteObject",
        "CreateMultipartUpload",
        "UploadPart",
        "UploadPartCopy",
        "ListParts",
        "CompleteMultipartUpload",
        "AbortMultipartUpload",
        "GetObjectTagging",
        "PutObjectTagging",
        "DeleteObjectTagging",
    }
)

#: sub-resources of the real APIs that this emulator does not serve
_UNSUPPORTED = frozenset(
    {
        "accelerate", "acl", "analytics", "attributes", "cors", "encryption", "intelligent-tiering",
        "inventory", "legal-hold", "lifecycle", "logging", "metrics", "notification", "object-lock",
        "ownershipControls", "policy", "policyStatus", "publicAccessBlock", "replication",
        "requestPayment", "restore", "retention", "select", "torrent", "versioning", "versions",
        "website", "referer", "domain", "origin", "append", "symlink",
    }
)  # fmt: skip


def _bucket_operation(method: str, query: Mapping[str, str]) -> str:
    if method == "GET":
        if "location" in query:
            return "GetBucketLocation"
        if "uploads" in query:
            return "ListMultipartUploads"
        if "tagging" in query:
            raise not_implemented("?tagging (bucket tagging)")
        return "ListObjectsV2" if query.get("list-type") == "2" else "ListObjects"
    if method == "PUT":
        if "tagging" in query:
            raise not_implemented("?tagging (bucket tagging)")
        return "CreateBucket"
    if method == "HEAD":
        return "HeadBucket"
    if method == "DELETE":
        if "tagging" in query:
            raise not_implemented("?tagging (bucket tagging)")
        return "DeleteBucket"
    if method == "POST":
        if "delete" in query:
            return "DeleteObjects"
        return "PostObject"
    raise method_not_allowed(method, "BUCKET", "GET, PUT, HEAD, DELETE, POST")


def _object_operation(method: str, query: AbstractSet[str], copy_header: bool) -> str:
    if method == "GET":
        if "uploadId" in query:
            return "ListParts"
        return "GetObjectTagging" if "tagging" in query else "GetObject"
    if method == "HEAD":
        return "HeadObject"
    if method == "PUT":
        if "uploadId" in query or "partNumber" in query:
            return "UploadPartCopy" if copy_header else "UploadPart"
        if "tagging" in query:
            return "PutObjectTagging"
        return "CopyObject" if copy_header else "PutObject"
    if method == "DELETE":
        if "uploadId" in query:
            return "AbortMultipartUpload"
        return "DeleteObjectTagging" if "tagging" in query else "DeleteObject"
    if method == "POST":
        if "uploads" in query:
            return "CreateMultipartUpload"
        if "uploadId" in query:
            return "CompleteMultipartUpload"
        raise method_not_allowed(method, "OBJECT", "GET, PUT, HEAD, DELETE")
    raise method_not_allowed(method, "OBJECT", "GET, PUT, HEAD, DELETE, POST")


def operation_for(method: str, bucket: str, key: str, query: Mapping[str, str], copy_header: bool) -> str:
    """The operation name; ``query`` maps each parameter name to its (first) value."""
    names = frozenset(query)
    unsupported = sorted(names & _UNSUPPORTED)
    if unsupported:
        raise not_implemented(f"?{unsupported[0]}")
    if not bucket:
        if method == "GET":
            return "ListBuckets"
        raise method_not_allowed(method, "SERVICE", "GET")
    if not key:
        return _bucket_operation(method, query)
    return _object_operation(method, names, copy_header)
