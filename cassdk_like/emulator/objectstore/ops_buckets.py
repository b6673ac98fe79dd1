"""Bucket operations both dialects share: HeadBucket, DeleteBucket, ListObjects (v1) and
ListObjectsV2 (docs/bucket-protocol.md §1.1 and §3.4). ListBuckets, CreateBucket and
GetBucketLocation differ per dialect and live with each service."""

from __future__ import annotations

from typing import Callable, Dict, List
from urllib.parse import quote

from cassdk_like.emulator.objectstore.context import Context
from cassdk_like.emulator.objectstore.errors import invalid_argument
from cassdk_like.emulator.objectstore.listing import Listing, decode_token, encode_token, list_keys
from cassdk_like.emulator.objectstore.records import ObjectRecord
from cassdk_like.emulator.objectstore.xmldoc import Node, iso_time, xml_response
from cassdk_like.emulator.wire import Response, empty_response

__all__ = ["OPERATIONS", "content_node", "encoder", "max_keys_param", "owner_node"]

Operation = Callable[[Context], Response]


def owner_node(ctx: Context, tag: str = "Owner") -> Node:
    return (tag, [("ID", ctx.owner.id), ("DisplayName", ctx.owner.display_name)])


def encoder(ctx: Context) -> Callable[[str], str]:
    """How keys are written in a listing: as they are, or URL-encoded with ``encoding-type=url``."""
    kind = ctx.param("encoding-type")
    if kind is None:
        return lambda text: text
    if kind.lower() != "url":
        raise invalid_argument("Invalid Encoding Method specified in Request", "encoding-type", kind)
    return lambda text: quote(text, safe="/")


def content_node(ctx: Context, obj: ObjectRecord, with_owner: bool, encode: Callable[[str], str]) -> Node:
    nodes: List[Node] = [
        ("Key", encode(obj.key)),
        ("LastModified", iso_time(obj.modified)),
        ("ETag", f'"{obj.etag}"'),
    ]
    for algorithm in sorted(obj.checksums):
        nodes.append(("ChecksumAlgorithm", algorithm.upper()))
    if obj.checksum_type:
        nodes.append(("ChecksumType", obj.checksum_type))
    nodes += [("Size", str(obj.size)), ("StorageClass", obj.storage_class)]
    if with_owner:
        nodes.append(owner_node(ctx))
    return ("Contents", nodes)


def max_keys_param(ctx: Context, name: str = "max-keys", limit: int = 1000) -> int:
    """A page size parameter: an integer >= 0, capped at ``limit`` (1000 by default, as S3 does)."""
    raw = ctx.param(name)
    if raw is None:
        return limit
    if not raw.strip().lstrip("-").isdigit():
        raise invalid_argument(f"Provided {name} not an integer or within integer range", name, raw)
    value = int(raw)
    if value < 0:
        raise invalid_argument(f"Argument {name} must be an integer between 0 and 2147483647", name, raw)
    return min(value, limit)


def head_bucket(ctx: Context) -> Response:
    bucket = ctx.store.require_bucket(ctx.bucket)
    return empty_response(200, [(ctx.dialect.h("bucket-region"), bucket.region)])


def delete_bucket(ctx: Context) -> Response:
    ctx.store.delete_bucket(ctx.bucket)
    return empty_response(204)


def _listing(ctx: Context, start: str, inclusive: bool, max_keys: int) -> Listing:
    ctx.store.require_bucket(ctx.bucket)
    return list_keys(
        ctx.store,
        ctx.bucket,
        prefix=ctx.param("prefix") or "",
        delimiter=ctx.param("delimiter") or "",
        start=start,
        inclusive=inclusive,
        max_keys=max_keys,
    )


def _common(
    ctx: Context, page: Listing, encode: Callable[[str], str], max_keys: int
) -> Dict[str, List[Node]]:
    delimiter = ctx.param("delimiter")
    head: List[Node] = [
        ("Name", ctx.bucket),
        ("Prefix", encode(ctx.param("prefix") or "")),
        ("Delimiter", encode(delimiter) if delimiter else None),
        ("MaxKeys", str(max_keys)),
        ("EncodingType", "url" if ctx.param("encoding-type") else None),
        ("IsTruncated", "true" if page.truncated else "false"),
    ]
    tail: List[Node] = [("CommonPrefixes", [("Prefix", encode(prefix))]) for prefix in page.prefixes]
    return {"head": head, "tail": tail}


def list_objects_v2(ctx: Context) -> Response:
    encode = encoder(ctx)
    max_keys = max_keys_param(ctx)
    token = ctx.param("continuation-token")
    start_after = ctx.param("start-after") or ""
    if token is not None:
        start, inclusive = decode_token(token)
    else:
        start, inclusive = start_after, False
    page = _listing(ctx, start, inclusive, max_keys)
    fetch_owner = (ctx.param("fetch-owner") or "").lower() == "true"
    parts = _common(ctx, page, encode, max_keys)
    nodes: List[Node] = parts["head"] + [
        ("KeyCount", str(len(page.contents) + len(page.prefixes))),
        ("ContinuationToken", token),
        ("NextContinuationToken", encode_token(page.resume) if page.truncated and page.resume else None),
        ("StartAfter", encode(start_after) if ctx.param("start-after") is not None else None),
    ]
    nodes += [content_node(ctx, obj, fetch_owner, encode) for obj in page.contents]
    return xml_response(200, "ListBucketResult", nodes + parts["tail"], ctx.dialect.xmlns)


def list_objects(ctx: Context) -> Response:
    """ListObjects v1: ``marker``; NextMarker only with a delimiter (S3), or always (COS)."""
    encode = encoder(ctx)
    max_keys = max_keys_param(ctx)
    marker = ctx.param("marker") or ""
    page = _listing(ctx, marker, False, max_keys)
    parts = _common(ctx, page, encode, max_keys)
    give_next = page.truncated and (ctx.dialect.next_marker_always or bool(ctx.param("delimiter")))
    nodes: List[Node] = parts["head"] + [
        ("Marker", encode(marker)),
        ("NextMarker", encode(page.last) if give_next else None),
    ]
    nodes += [content_node(ctx, obj, True, encode) for obj in page.contents]
    return xml_response(200, "ListBucketResult", nodes + parts["tail"], ctx.dialect.xmlns)


OPERATIONS: Dict[str, Operation] = {
    "HeadBucket": head_bucket,
    "DeleteBucket": delete_bucket,
    "ListObjects": list_objects,
    "ListObjectsV2": list_objects_v2,
}
