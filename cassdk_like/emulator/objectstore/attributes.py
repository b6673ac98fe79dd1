"""What an object carries besides its bytes: representation headers, user metadata, storage class
and tags, read from a request and written back on GET/HEAD (docs/bucket-protocol.md §3.1).
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence, Tuple
from urllib.parse import parse_qsl

from cassdk_like.emulator.objectstore.conditions import http_date
from cassdk_like.emulator.objectstore.context import Context
from cassdk_like.emulator.objectstore.errors import StoreError
from cassdk_like.emulator.objectstore.records import ObjectRecord

__all__ = [
    "REPRESENTATION_HEADERS",
    "RESPONSE_OVERRIDES",
    "Attributes",
    "check_tags",
    "object_headers",
    "parse_tagging_header",
    "read_attributes",
]

#: the headers stored with an object and returned by GET/HEAD (besides Content-Type)
REPRESENTATION_HEADERS = (
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
)
#: ``response-*`` query parameters of a signed GET and the header each one replaces
RESPONSE_OVERRIDES = {
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
    "response-content-language": "Content-Language",
    "response-content-type": "Content-Type",
    "response-expires": "Expires",
}
_STORAGE_CLASSES = frozenset(
    {
        "STANDARD",
        "REDUCED_REDUNDANCY",
        "STANDARD_IA",
        "ONEZONE_IA",
        "INTELLIGENT_TIERING",
        "GLACIER",
        "GLACIER_IR",
        "DEEP_ARCHIVE",
        "EXPRESS_ONEZONE",
        "ARCHIVE",
        "MAZ_STANDARD",
        "MAZ_STANDARD_IA",
        "MAZ_INTELLIGENT_TIERING",
    }
)
_TAG_TEXT = re.compile(r"^[\w .:/=+\-@]*$", re.UNICODE)


class Attributes:
    """The attributes a PUT (or CreateMultipartUpload, or a replacing copy) gives an object."""

    def __init__(
        self,
        content_type: str,
        headers: Dict[str, str],
        metadata: Dict[str, str],
        storage_class: str,
        tags: List[Tuple[str, str]],
    ) -> None:
        self.content_type = content_type
        self.headers = headers
        self.metadata = metadata
        self.storage_class = storage_class
        self.tags = tags


def _invalid_tag(message: str) -> StoreError:
    return StoreError("InvalidTag", message, status=400)


def check_tags(tags: Sequence[Tuple[str, str]], limit: int) -> None:
    """S3's tag rules: at most ``limit`` tags, unique keys of 1-128 and values of 0-256 characters."""
    if len(tags) > limit:
        raise _invalid_tag(f"Object tags cannot be greater than {limit}")
    seen = set()
    for key, value in tags:
        if not key or len(key) > 128:
            raise _invalid_tag(
                "The TagKey you have provided is too long, max 128"
                if key
                else "The TagKey you have provided is invalid"
            )
        if len(value) > 256:
            raise _invalid_tag("The TagValue you have provided is too long, max 256")
        if not _TAG_TEXT.match(key):
            raise _invalid_tag("The TagKey you have provided is invalid")
        if not _TAG_TEXT.match(value):
            raise _invalid_tag("The TagValue you have provided is invalid")
        if key in seen:
            raise _invalid_tag("Cannot provide multiple Tags with the same key")
        seen.add(key)


def parse_tagging_header(value: Optional[str], limit: int) -> List[Tuple[str, str]]:
    """The ``x-amz-tagging`` header: a URL-encoded query string of key=value pairs."""
    if value is None or not value.strip():
        return []
    tags = parse_qsl(value.strip(), keep_blank_values=True)
    check_tags(tags, limit)
    return tags


def read_attributes(ctx: Context) -> Attributes:
    """The attributes a write request declares (InvalidStorageClass, MetadataTooLarge...)."""
    dialect = ctx.dialect
    headers: Dict[str, str] = {}
    for name in REPRESENTATION_HEADERS:
        value = ctx.header(name)
        if value is None:
            continue
        if name == "content-encoding":
            kept = [
                item.strip() for item in value.split(",") if item.strip() and item.strip() != "aws-chunked"
            ]
            if not kept:
                continue
            value = ",".join(kept)
        headers[name] = value
    metadata: Dict[str, str] = {}
    size = 0
    for name, value in ctx.request.headers.items():
        if name.startswith(dialect.meta_prefix):
            metadata[name[len(dialect.meta_prefix) :]] = value
            size += len(name) - len(dialect.meta_prefix) + len(value.encode("utf-8"))
    if size > dialect.max_metadata_bytes:
        raise StoreError(
            "MetadataTooLarge",
            "Your metadata headers exceed the maximum allowed metadata size",
            status=400,
            fields=[("Size", str(size)), ("MaxSizeAllowed", str(dialect.max_metadata_bytes))],
        )
    storage_class = (ctx.h("storage-class") or "STANDARD").strip().upper()
    if storage_class not in _STORAGE_CLASSES:
        raise StoreError("InvalidStorageClass", "The storage class you specified is not valid", status=400)
    tags = parse_tagging_header(ctx.h("tagging"), dialect.max_tags)
    content_type = ctx.header("content-type") or dialect.default_content_type
    return Attributes(content_type, headers, metadata, storage_class, tags)


def object_headers(ctx: Context, obj: ObjectRecord) -> List[Tuple[str, str]]:
    """The headers GET and HEAD answer with (before Content-Length and Content-Range)."""
    dialect = ctx.dialect
    out: Dict[str, str] = {
        "Content-Type": obj.content_type,
        "ETag": f'"{obj.etag}"',
        "Last-Modified": http_date(obj.modified),
        "Accept-Ranges": "bytes",
    }
    for name in REPRESENTATION_HEADERS:
        if name in obj.headers:
            out[name.title()] = obj.headers[name]
    for parameter, header in RESPONSE_OVERRIDES.items():
        value = ctx.param(parameter)
        if value is not None:
            out[header] = value
    pairs = list(out.items())
    pairs += [(dialect.meta_prefix + name, value) for name, value in sorted(obj.metadata.items())]
    if obj.storage_class != "STANDARD":
        pairs.append((dialect.h("storage-class"), obj.storage_class))
    if obj.tags:
        pairs.append((dialect.h("tagging-count"), str(len(obj.tags))))
    if dialect.crc64_header is not None and obj.crc64 is not None:
        pairs.append((dialect.crc64_header, str(obj.crc64)))
    return pairs
