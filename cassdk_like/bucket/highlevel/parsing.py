"""Reading the bucket API's XML answers (docs/bucket-protocol.md §1) into the values of ``models``.

Every element is looked up by its local name, so S3's namespaced documents and COS's bare ones
(and peers that name the root differently) read alike.  Keys, prefixes and markers are decoded
when the answer says ``EncodingType=url`` (as ``+``-for-space form encoding: what S3 sends).  An
answer that is not the document expected is a ``BadResponseError``, never a silent empty list.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple
from urllib.parse import unquote_plus
from xml.etree import ElementTree

from cassdk_like.bucket.highlevel.models import (
    BucketInfo,
    CompletedUpload,
    DeleteFailure,
    ObjectPage,
    ObjectSummary,
    PartsPage,
    PartSummary,
    UploadSummary,
    plain_etag,
)
from cassdk_like.core.dates import http_date, iso_date
from cassdk_like.core.exceptions import BadResponseError
from cassdk_like.core.http.response import HttpResponse
from cassdk_like.core.xmldoc import child, children, local_name, parse_xml, text_of

__all__ = [
    "MAX_LISTING",
    "document",
    "http_date",
    "iso_date",
    "parse_buckets",
    "parse_complete",
    "parse_delete",
    "parse_location",
    "parse_object_page",
    "parse_parts",
    "parse_tags",
    "parse_upload_id",
    "parse_uploads",
]

#: the largest listing document read (a page of 1000 keys of 1 KiB is about 1.3 MB)
MAX_LISTING = 16 * 1024 * 1024


def document(response: HttpResponse, what: str) -> ElementTree.Element:
    """The answer's root element; ``BadResponseError`` naming ``what`` when it is not readable XML."""
    root = parse_xml(response.body, max_bytes=MAX_LISTING)
    if root is None:
        raise BadResponseError(
            f"the answer is not a readable {what} document ({len(response.body)} bytes)",
            attempts=response.attempts,
            operation=response.operation or None,
            resource=response.resource or None,
        )
    return root


def _int(value: Optional[str], default: int = 0) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _decoder(root: ElementTree.Element):  # type: ignore[no-untyped-def]
    encoded = (text_of(root, "EncodingType") or "").lower() == "url"
    return (lambda text: unquote_plus(text) if text is not None else None) if encoded else (lambda text: text)


def _raw_text(node: ElementTree.Element, name: str) -> Optional[str]:
    """A child's text as sent (keys may begin or end with spaces: never strip them)."""
    found = child(node, name)
    return None if found is None else (found.text or "")


def parse_buckets(response: HttpResponse) -> List[BucketInfo]:
    root = document(response, "ListAllMyBucketsResult")
    holder = child(root, "Buckets")
    return [
        BucketInfo(
            name=text_of(item, "Name") or "",
            creation_date=iso_date(text_of(item, "CreationDate")),
            region=text_of(item, "Location") or text_of(item, "BucketRegion"),
        )
        for item in (children(holder, "Bucket") if holder is not None else ())
    ]


def parse_location(response: HttpResponse) -> str:
    """The LocationConstraint ("" means us-east-1 on S3)."""
    root = document(response, "LocationConstraint")
    if local_name(root.tag) == "LocationConstraint":
        return (root.text or "").strip()
    return text_of(root, "LocationConstraint") or ""


def parse_object_page(response: HttpResponse) -> ObjectPage:
    """A List Objects page, V2 (``NextContinuationToken``) or V1 (``NextMarker``, else the last key)."""
    root = document(response, "ListBucketResult")
    decode = _decoder(root)
    objects = tuple(
        ObjectSummary(
            key=decode(_raw_text(item, "Key")) or "",
            size=_int(text_of(item, "Size")),
            etag=plain_etag(text_of(item, "ETag")),
            last_modified=iso_date(text_of(item, "LastModified")),
            storage_class=text_of(item, "StorageClass"),
        )
        for item in children(root, "Contents")
    )
    prefixes = tuple(decode(_raw_text(item, "Prefix")) or "" for item in children(root, "CommonPrefixes"))
    truncated = (text_of(root, "IsTruncated") or "").lower() == "true"
    token = text_of(root, "NextContinuationToken")
    if token is None:
        marker = _raw_text(root, "NextMarker")
        token = decode(marker) if marker else None
        if token is None and truncated:
            last = [*(o.key for o in objects), *prefixes]
            token = max(last) if last else None
    if truncated and not token:
        raise BadResponseError(
            "a truncated listing gave no continuation token or marker",
            operation=response.operation or None,
            resource=response.resource or None,
        )
    return ObjectPage(objects, prefixes, truncated, token if truncated else None)


def parse_upload_id(response: HttpResponse) -> str:
    root = document(response, "InitiateMultipartUploadResult")
    upload_id = text_of(root, "UploadId")
    if not upload_id:
        raise BadResponseError(
            "Create Multipart Upload answered without an UploadId",
            operation=response.operation or None,
            resource=response.resource or None,
        )
    return upload_id


def parse_uploads(response: HttpResponse) -> Tuple[List[UploadSummary], Optional[Tuple[str, str]]]:
    """The uploads of one page, and (next key marker, next upload-id marker) when truncated."""
    root = document(response, "ListMultipartUploadsResult")
    decode = _decoder(root)
    uploads = [
        UploadSummary(
            key=decode(_raw_text(item, "Key")) or "",
            upload_id=text_of(item, "UploadId") or "",
            initiated=iso_date(text_of(item, "Initiated")),
            storage_class=text_of(item, "StorageClass"),
        )
        for item in children(root, "Upload")
    ]
    if (text_of(root, "IsTruncated") or "").lower() != "true":
        return uploads, None
    key_marker = decode(_raw_text(root, "NextKeyMarker")) or (uploads[-1].key if uploads else "")
    id_marker = text_of(root, "NextUploadIdMarker") or (uploads[-1].upload_id if uploads else "")
    return uploads, (key_marker, id_marker)


def parse_parts(response: HttpResponse) -> PartsPage:
    """One page of List Parts (the next part-number marker only when truncated)."""
    root = document(response, "ListPartsResult")
    parts = tuple(
        PartSummary(
            number=_int(text_of(item, "PartNumber")),
            size=_int(text_of(item, "Size")),
            etag=plain_etag(text_of(item, "ETag")),
            last_modified=iso_date(text_of(item, "LastModified")),
            checksum_sha256=text_of(item, "ChecksumSHA256"),
            checksum_crc32=text_of(item, "ChecksumCRC32"),
        )
        for item in children(root, "Part")
    )
    algorithm = (text_of(root, "ChecksumAlgorithm") or "").strip().lower() or None
    marker: Optional[int] = None
    if (text_of(root, "IsTruncated") or "").lower() == "true":
        marker = _int(text_of(root, "NextPartNumberMarker"), parts[-1].number if parts else 0)
    return PartsPage(parts, marker, algorithm)


def parse_complete(response: HttpResponse, bucket: str, key: str, crc64: Optional[str]) -> CompletedUpload:
    root = document(response, "CompleteMultipartUploadResult")
    return CompletedUpload(
        bucket=text_of(root, "Bucket") or bucket,
        key=key,
        etag=plain_etag(text_of(root, "ETag")),
        location=text_of(root, "Location"),
        crc64=crc64,
    )


def parse_delete(response: HttpResponse) -> Tuple[List[str], List[DeleteFailure]]:
    root = document(response, "DeleteResult")
    deleted = [_raw_text(item, "Key") or "" for item in children(root, "Deleted")]
    failed = [
        DeleteFailure(_raw_text(item, "Key") or "", text_of(item, "Code"), text_of(item, "Message"))
        for item in children(root, "Error")
    ]
    return deleted, failed


def parse_tags(response: HttpResponse) -> Dict[str, str]:
    root = document(response, "Tagging")
    holder = child(root, "TagSet")
    return {
        text_of(tag, "Key") or "": _raw_text(tag, "Value") or ""
        for tag in (children(holder, "Tag") if holder is not None else ())
    }


def error_document(response: HttpResponse) -> Optional[ElementTree.Element]:
    """The ``<Error>`` root of a 2xx answer that failed after its status line (Complete, Copy)."""
    root = parse_xml(response.body, max_bytes=MAX_LISTING)
    return root if root is not None and local_name(root.tag) == "Error" else None
