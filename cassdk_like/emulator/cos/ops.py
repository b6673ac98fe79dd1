"""The COS operations whose wire form is COS's own: GET Service (ListBuckets), PUT Bucket and GET
Bucket location (docs/bucket-protocol.md §7.1).

A COS bucket is named ``<name>-<appid>`` and lives in the region of the host it was created on;
the appid must be the account's. PUT Bucket on a bucket that exists answers 409
BucketAlreadyExists, whoever owns it.
"""

from __future__ import annotations

from typing import Dict, List

from cassdk_like.emulator.objectstore.body import read_small
from cassdk_like.emulator.objectstore.context import Context
from cassdk_like.emulator.objectstore.errors import (
    StoreError,
    access_denied,
    invalid_bucket_name,
    malformed_xml,
)
from cassdk_like.emulator.objectstore.ingest import check_document
from cassdk_like.emulator.objectstore.names import split_cos_bucket
from cassdk_like.emulator.objectstore.ops_buckets import max_keys_param, owner_node
from cassdk_like.emulator.objectstore.service import Operation
from cassdk_like.emulator.objectstore.xmldoc import Node, iso_time, parse_xml, xml_response
from cassdk_like.emulator.wire import Response, empty_response

__all__ = ["COS_OPERATIONS", "check_bucket"]

_MAX_CONFIGURATION = 64 * 1024


def _cos_time(timestamp: float) -> str:
    """COS writes bucket creation times without milliseconds."""
    return iso_time(timestamp)[:-5] + "Z"


def check_bucket(bucket: str, appid: str) -> None:
    """A COS bucket name of this account (InvalidBucketName, AccessDenied)."""
    parts = split_cos_bucket(bucket)
    if parts is None:
        raise invalid_bucket_name(bucket)
    if parts[1] != appid:
        raise access_denied("Access Denied.")


def create_bucket(ctx: Context) -> Response:
    data = read_small(ctx.body, _MAX_CONFIGURATION, malformed_xml())
    if data.strip():
        check_document(ctx, data)
        parse_xml(data, "CreateBucketConfiguration")
    if ctx.store.create_bucket(ctx.bucket, ctx.region) is not None:
        raise StoreError(
            "BucketAlreadyExists",
            "The requested bucket name is not available. The bucket namespace is shared by all users of the"
            " system. Please select a different name and try again.",
            status=409,
        )
    return empty_response(200)


def list_buckets(ctx: Context) -> Response:
    limit = max_keys_param(ctx, "max-keys", 2000)
    marker = ctx.param("marker") or ""
    region = ctx.param("region")
    found = ctx.store.buckets(after=marker, limit=limit + 1, region=region)
    shown = found[:limit]
    buckets: List[Node] = [
        (
            "Bucket",
            [
                ("Name", b.name),
                ("Location", b.region),
                ("CreationDate", _cos_time(b.created)),
                ("BucketType", "cos"),
            ],
        )
        for b in shown
    ]
    truncated = len(found) > limit
    nodes: List[Node] = [
        owner_node(ctx),
        ("Buckets", buckets),
        ("Marker", marker),
        ("MaxKeys", str(limit)),
        ("IsTruncated", "true" if truncated else "false"),
        ("NextMarker", shown[-1].name if truncated and shown else None),
    ]
    return xml_response(200, "ListAllMyBucketsResult", nodes, None)


def get_bucket_location(ctx: Context) -> Response:
    bucket = ctx.store.require_bucket(ctx.bucket)
    return xml_response(200, "LocationConstraint", [], None, text=bucket.region)


COS_OPERATIONS: Dict[str, Operation] = {
    "ListBuckets": list_buckets,
    "CreateBucket": create_bucket,
    "GetBucketLocation": get_bucket_location,
}
