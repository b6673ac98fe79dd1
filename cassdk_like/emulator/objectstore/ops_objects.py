"""Object operations both dialects share: put, get, head, delete, batch delete, copy and tagging
(docs/bucket-protocol.md §1.2 and §3)."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Dict, List, Optional, Tuple

from cassdk_like.emulator.objectstore.attributes import (
    check_tags,
    object_headers,
    read_attributes,
)
from cassdk_like.emulator.objectstore.body import read_small
from cassdk_like.emulator.objectstore.conditions import (
    check_copy_source,
    check_read,
    check_write,
    parse_range,
)
from cassdk_like.emulator.objectstore.context import Context
from cassdk_like.emulator.objectstore.errors import (
    StoreError,
    invalid_argument,
    invalid_request,
    malformed_xml,
    no_such_key,
)
from cassdk_like.emulator.objectstore.ingest import check_document, ingest
from cassdk_like.emulator.objectstore.names import check_key
from cassdk_like.emulator.objectstore.records import ObjectRecord
from cassdk_like.emulator.objectstore.xmldoc import (
    MAX_XML_BODY,
    Node,
    child_text,
    children,
    iso_time,
    parse_xml,
    xml_response,
)
from cassdk_like.emulator.wire import FileBody, Response, empty_response

__all__ = ["OPERATIONS", "checksum_headers", "part_number_param", "require_content_length", "source_object"]

Operation = Callable[[Context], Response]

#: the largest object CopyObject copies in one request (S3's limit)
MAX_COPY_SOURCE = 5 * 1024 * 1024 * 1024
_MAX_DELETE_KEYS = 1000


def require_content_length(ctx: Context) -> None:
    if ctx.header("content-length") is None and ctx.body.length is not None:
        raise StoreError(
            "MissingContentLength", "You must provide the Content-Length HTTP header.", status=411
        )


def checksum_headers(
    ctx: Context, checksums: Dict[str, str], checksum_type: str = ""
) -> List[Tuple[str, str]]:
    headers = [(ctx.dialect.h(f"checksum-{name}"), value) for name, value in sorted(checksums.items())]
    if checksum_type and checksums:
        headers.append((ctx.dialect.h("checksum-type"), checksum_type))
    return headers


def _write_headers(ctx: Context, record: ObjectRecord) -> List[Tuple[str, str]]:
    headers = [("ETag", f'"{record.etag}"')]
    headers += checksum_headers(ctx, record.checksums, record.checksum_type)
    if ctx.dialect.crc64_header is not None and record.crc64 is not None:
        headers.append((ctx.dialect.crc64_header, str(record.crc64)))
    return headers


def put_object(ctx: Context) -> Response:
    ctx.store.require_bucket(ctx.bucket)
    check_key(ctx.key, ctx.dialect.max_key_bytes)
    require_content_length(ctx)
    attributes = read_attributes(ctx)
    if (ctx.header("if-none-match") or "*").strip() != "*":
        check_write(ctx.request.headers, None, ctx.key)  # NotImplemented before the body is read
    taken = ingest(ctx, max_size=ctx.dialect.max_put_size)
    record = ObjectRecord(
        bucket=ctx.bucket,
        key=ctx.key,
        size=taken.size,
        etag=taken.md5_hex,
        blob=taken.blob.token,
        modified=ctx.now,
        content_type=attributes.content_type,
        headers=attributes.headers,
        metadata=attributes.metadata,
        checksums=taken.checksums,
        checksum_type="FULL_OBJECT" if taken.checksums else "",
        tags=attributes.tags,
        crc64=taken.crc64,
        storage_class=attributes.storage_class,
    )
    try:
        ctx.store.put(record, lambda old: check_write(ctx.request.headers, old, ctx.key))
    except BaseException:
        ctx.store.db.discard(taken.blob.token)
        raise
    return empty_response(200, _write_headers(ctx, record))


def part_number_param(ctx: Context) -> Optional[int]:
    raw = ctx.param("partNumber")
    if raw is None:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 10000:
        raise invalid_argument(
            "Part number must be an integer between 1 and 10000, inclusive", "partNumber", raw
        )
    return int(raw)


def _part_range(obj: ObjectRecord, number: int) -> Tuple[int, int]:
    sizes = obj.part_sizes or [obj.size]
    if number > len(sizes):
        raise StoreError(
            "InvalidPartNumber",
            "The requested partnumber is not satisfiable",
            status=416,
            fields=[("PartNumberRequested", str(number)), ("ActualPartCount", str(len(sizes)))],
        )
    first = sum(sizes[: number - 1])
    return first, first + sizes[number - 1] - 1


def get_object(ctx: Context) -> Response:
    obj = ctx.store.require(ctx.bucket, ctx.key)
    check_read(ctx.request.headers, obj, ctx.now)
    number = part_number_param(ctx)
    if number is not None and ctx.header("range") is not None:
        raise invalid_request("Cannot specify both Range header and partNumber query parameter")
    chosen = _part_range(obj, number) if number is not None else parse_range(ctx.header("range"), obj.size)
    headers = object_headers(ctx, obj)
    if number is not None and obj.part_sizes:
        headers.append((ctx.dialect.h("mp-parts-count"), str(len(obj.part_sizes))))
    whole = chosen is None
    if whole and (ctx.h("checksum-mode") or "").upper() == "ENABLED":
        headers += checksum_headers(ctx, obj.checksums, obj.checksum_type)
    if chosen is None:
        return Response(200, headers, file=FileBody(str(ctx.store.db.path(obj.blob)), 0, obj.size))
    first, last = chosen
    if obj.size == 0:
        return Response(200, headers, file=FileBody(str(ctx.store.db.path(obj.blob)), 0, 0))
    headers.append(("Content-Range", f"bytes {first}-{last}/{obj.size}"))
    return Response(206, headers, file=FileBody(str(ctx.store.db.path(obj.blob)), first, last - first + 1))


def delete_object(ctx: Context) -> Response:
    ctx.store.require_bucket(ctx.bucket)
    ctx.store.delete(ctx.bucket, ctx.key)
    return empty_response(204)


def delete_objects(ctx: Context) -> Response:
    ctx.store.require_bucket(ctx.bucket)
    data = read_small(ctx.body, MAX_XML_BODY, malformed_xml())
    declared = check_document(ctx, data)
    if declared.md5 is None and not declared.checksums:
        raise invalid_request("Missing required header for this request: Content-MD5")
    root = parse_xml(data, "Delete")
    quiet = (child_text(root, "Quiet") or "false").strip().lower() == "true"
    targets = children(root, "Object")
    if not targets or len(targets) > _MAX_DELETE_KEYS:
        raise malformed_xml()
    nodes: List[Node] = []
    for target in targets:
        key = child_text(target, "Key")
        if key is None:
            raise malformed_xml()
        version = child_text(target, "VersionId")
        if version not in (None, "", "null"):
            nodes.append(("Error", [("Key", key), ("VersionId", version), ("Code", "NoSuchVersion"),
                                     ("Message", "The specified version does not exist.")]))  # fmt: skip
            continue
        try:
            check_key(key, ctx.dialect.max_key_bytes)
        except StoreError as error:
            nodes.append(("Error", [("Key", key), ("Code", error.code), ("Message", error.message)]))
            continue
        ctx.store.delete(ctx.bucket, key)
        if not quiet:
            nodes.append(("Deleted", [("Key", key)]))
    return xml_response(200, "DeleteResult", nodes, ctx.dialect.xmlns)


def source_object(ctx: Context) -> ObjectRecord:
    """The object a copy-source header names, its conditions checked."""
    header = ctx.dialect.h("copy-source")
    value = ctx.header(header)
    if value is None or not value.strip():
        raise invalid_argument(
            "Copy Source must mention the source bucket and key: sourcebucket/sourcekey", header
        )
    bucket, key = ctx.dialect.copy_source(value.strip())
    source = ctx.store.head(bucket, key)
    if source is None:
        ctx.store.require_bucket(bucket)
        raise no_such_key(key)
    check_copy_source(ctx.request.headers, ctx.dialect.prefix, source)
    return source


def _directive(ctx: Context, name: str) -> str:
    """COPY or REPLACE, from the dialect's own spelling (docs/bucket-protocol.md §7)."""
    value = ctx.h(name)
    if value is None:
        return "COPY"
    meaning = ctx.dialect.directives.get(value.strip())
    if meaning is None:
        raise invalid_argument(f"Unknown {name.replace('-', ' ')}.", ctx.dialect.h(name), value)
    return meaning


def copy_object(ctx: Context) -> Response:
    ctx.store.require_bucket(ctx.bucket)
    check_key(ctx.key, ctx.dialect.max_key_bytes)
    source = source_object(ctx)
    if source.size > MAX_COPY_SOURCE:
        raise invalid_request(
            "The specified copy source is larger than the maximum allowable size for a copy source:"
            f" {MAX_COPY_SOURCE}"
        )
    metadata_directive = _directive(ctx, "metadata-directive")
    tagging_directive = _directive(ctx, "tagging-directive")
    attributes = read_attributes(ctx)
    same = (source.bucket, source.key) == (ctx.bucket, ctx.key)
    if same and metadata_directive == "COPY" and attributes.storage_class == source.storage_class:
        raise invalid_request(
            "This copy request is illegal because it is trying to copy an object to itself without changing"
            " the object's metadata, storage class, website redirect location or encryption attributes."
        )
    token = ctx.store.db.slice(source.blob, 0, source.size, source.size)
    record = replace(source, bucket=ctx.bucket, key=ctx.key, blob=token, modified=ctx.now)
    if metadata_directive == "REPLACE":
        record = replace(
            record,
            content_type=attributes.content_type,
            headers=attributes.headers,
            metadata=attributes.metadata,
        )
    record = replace(
        record,
        storage_class=attributes.storage_class,
        tags=attributes.tags if tagging_directive == "REPLACE" else source.tags,
    )
    try:
        ctx.store.put(record, lambda old: check_write(ctx.request.headers, old, ctx.key))
    except BaseException:
        ctx.store.db.discard(token)
        raise
    nodes: List[Node] = [("ETag", f'"{record.etag}"'), ("LastModified", iso_time(record.modified))]
    nodes += [(f"Checksum{name.upper()}", value) for name, value in sorted(record.checksums.items())]
    headers = checksum_headers(ctx, record.checksums, record.checksum_type)
    if ctx.dialect.crc64_header is not None and record.crc64 is not None:
        headers.append((ctx.dialect.crc64_header, str(record.crc64)))
    return xml_response(200, "CopyObjectResult", nodes, ctx.dialect.xmlns, headers)


def get_object_tagging(ctx: Context) -> Response:
    obj = ctx.store.require(ctx.bucket, ctx.key)
    tags: List[Node] = [("Tag", [("Key", key), ("Value", value)]) for key, value in obj.tags]
    return xml_response(200, "Tagging", [("TagSet", tags)], ctx.dialect.xmlns)


def _read_tag_set(ctx: Context) -> List[Tuple[str, str]]:
    data = read_small(ctx.body, MAX_XML_BODY, malformed_xml())
    check_document(ctx, data)
    root = parse_xml(data, "Tagging")
    sets = children(root, "TagSet")
    if len(sets) != 1:
        raise malformed_xml()
    tags = []
    for tag in children(sets[0], "Tag"):
        key, value = child_text(tag, "Key"), child_text(tag, "Value")
        if key is None or value is None:
            raise malformed_xml()
        tags.append((key, value))
    check_tags(tags, ctx.dialect.max_tags)
    return tags


def put_object_tagging(ctx: Context) -> Response:
    ctx.store.require(ctx.bucket, ctx.key)
    tags = _read_tag_set(ctx)
    ctx.store.replace_doc(ctx.bucket, ctx.key, lambda obj: replace(obj, tags=tags))
    return empty_response(200)


def delete_object_tagging(ctx: Context) -> Response:
    ctx.store.require(ctx.bucket, ctx.key)
    ctx.store.replace_doc(ctx.bucket, ctx.key, lambda obj: replace(obj, tags=[]))
    return empty_response(204)


OPERATIONS: Dict[str, Operation] = {
    "PutObject": put_object,
    "GetObject": get_object,
    "HeadObject": get_object,
    "DeleteObject": delete_object,
    "DeleteObjects": delete_objects,
    "CopyObject": copy_object,
    "GetObjectTagging": get_object_tagging,
    "PutObjectTagging": put_object_tagging,
    "DeleteObjectTagging": delete_object_tagging,
}
