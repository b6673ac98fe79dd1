"""The S3 operations whose wire form is S3's own: ListBuckets, CreateBucket (LocationConstraint),
GetBucketLocation (docs/bucket-protocol.md §1.1 and §2.2).

Regions: a bucket lives in its LocationConstraint (none: ``us-east-1``). As on S3, a regional
endpoint (a request signed for region R other than us-east-1) only creates buckets in R, an
explicit ``us-east-1`` constraint is refused, and re-creating a bucket you own answers 200 in
us-east-1 (the legacy behaviour) and 409 BucketAlreadyOwnedByYou elsewhere.
"""

from __future__ import annotations

import base64
import binascii
from typing import Dict, List

from cassdk_like.emulator.objectstore.body import read_small
from cassdk_like.emulator.objectstore.context import Context
from cassdk_like.emulator.objectstore.errors import (
    StoreError,
    invalid_argument,
    invalid_bucket_name,
    malformed_xml,
)
from cassdk_like.emulator.objectstore.ingest import check_document
from cassdk_like.emulator.objectstore.names import is_region, is_s3_bucket_name
from cassdk_like.emulator.objectstore.ops_buckets import owner_node
from cassdk_like.emulator.objectstore.service import Operation
from cassdk_like.emulator.objectstore.xmldoc import Node, child_text, iso_time, parse_xml, xml_response
from cassdk_like.emulator.wire import Response, empty_response

__all__ = ["LEGACY_REGION", "S3_OPERATIONS"]

#: the region of the global endpoint, where buckets without a LocationConstraint live
LEGACY_REGION = "us-east-1"
_MAX_CONFIGURATION = 64 * 1024


def _invalid_location(constraint: str) -> StoreError:
    return StoreError(
        "InvalidLocationConstraint",
        "The specified location-constraint is not valid",
        status=400,
        fields=[("LocationConstraint", constraint)],
    )


def _constraint(ctx: Context) -> str:
    data = read_small(ctx.body, _MAX_CONFIGURATION, malformed_xml())
    if not data.strip():
        return ""
    check_document(ctx, data)
    root = parse_xml(data, "CreateBucketConfiguration")
    return (child_text(root, "LocationConstraint") or "").strip()


def create_bucket(ctx: Context) -> Response:
    if not is_s3_bucket_name(ctx.bucket):
        raise invalid_bucket_name(ctx.bucket)
    constraint = _constraint(ctx)
    if constraint and (constraint == LEGACY_REGION or not is_region(constraint)):
        raise _invalid_location(constraint)
    target = constraint or LEGACY_REGION
    if ctx.region not in (target, LEGACY_REGION):
        raise StoreError(
            "IllegalLocationConstraintException",
            f"The {constraint or 'unspecified'} location constraint is incompatible for the region specific"
            " endpoint this request was sent to.",
            status=400,
        )
    existing = ctx.store.create_bucket(ctx.bucket, target)
    if existing is not None and existing.region != LEGACY_REGION:
        raise StoreError(
            "BucketAlreadyOwnedByYou",
            "Your previous request to create the named bucket succeeded and you already own it.",
            status=409,
            fields=[("BucketName", ctx.bucket)],
        )
    return empty_response(200, [("Location", f"/{ctx.bucket}")])


def _bucket_token(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode("utf-8")).decode("ascii")


def _token_bucket(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeError):
        raise invalid_argument(
            "The continuation token provided is incorrect", "continuation-token", token
        ) from None


def list_buckets(ctx: Context) -> Response:
    raw_max = ctx.param("max-buckets")
    limit = 10000
    if raw_max is not None:
        if not raw_max.isdigit() or not 1 <= int(raw_max) <= 10000:
            raise invalid_argument(
                "Argument max-buckets must be an integer between 1 and 10000", "max-buckets", raw_max
            )
        limit = int(raw_max)
    token = ctx.param("continuation-token")
    after = _token_bucket(token) if token else ""
    prefix = ctx.param("prefix") or ""
    region = ctx.param("bucket-region")
    found = ctx.store.buckets(prefix=prefix, after=after, limit=limit + 1, region=region)
    shown = found[:limit]
    buckets: List[Node] = [
        ("Bucket", [("Name", b.name), ("CreationDate", iso_time(b.created)), ("BucketRegion", b.region)])
        for b in shown
    ]
    nodes: List[Node] = [("Buckets", buckets), owner_node(ctx)]
    if len(found) > limit:
        nodes.append(("ContinuationToken", _bucket_token(shown[-1].name)))
    if prefix:
        nodes.append(("Prefix", prefix))
    return xml_response(200, "ListAllMyBucketsResult", nodes, ctx.dialect.xmlns)


def get_bucket_location(ctx: Context) -> Response:
    bucket = ctx.store.require_bucket(ctx.bucket)
    text = "" if bucket.region == LEGACY_REGION else bucket.region
    return xml_response(200, "LocationConstraint", [], ctx.dialect.xmlns, text=text)


S3_OPERATIONS: Dict[str, Operation] = {
    "ListBuckets": list_buckets,
    "CreateBucket": create_bucket,
    "GetBucketLocation": get_bucket_location,
}
