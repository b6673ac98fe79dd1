"""Bucket operations: create, read, settings, rename and the background removal
(docs/reduct-protocol.md §5.1)."""

from __future__ import annotations

from typing import Callable, Dict

from cassdk_like.emulator.reduct.context import Context, empty, json_response
from cassdk_like.emulator.reduct.errors import reduct_error
from cassdk_like.emulator.reduct.store import check_bucket_name, parse_settings
from cassdk_like.emulator.wire import Response

__all__ = ["OPERATIONS"]


def get_bucket(ctx: Context) -> Response:
    ctx.read_access(ctx.bucket)
    ctx.store.require_bucket(ctx.bucket)
    return json_response(ctx.store.bucket_info(ctx.bucket))


def head_bucket(ctx: Context) -> Response:
    ctx.token()
    ctx.store.require_bucket(ctx.bucket)
    return empty()


def create_bucket(ctx: Context) -> Response:
    changes = parse_settings(ctx.body())
    ctx.full_access()
    ctx.store.create_bucket(ctx.bucket, changes)
    return empty()


def update_bucket(ctx: Context) -> Response:
    """A ``null`` (or missing) field keeps its current value."""
    changes = parse_settings(ctx.body())
    ctx.full_access()
    ctx.store.update_settings(ctx.bucket, changes)
    return empty()


def remove_bucket(ctx: Context) -> Response:
    ctx.full_access()
    ctx.state.remove_bucket(ctx.bucket)
    ctx.state.tokens.remove_bucket(ctx.bucket)
    return empty()


def rename_bucket(ctx: Context) -> Response:
    doc = ctx.json_body()
    new_name = doc.get("new_name")
    if not isinstance(new_name, str):
        raise reduct_error(
            422, "Failed to deserialize the JSON body into the target type: missing field `new_name`"
        )
    ctx.full_access()
    check_bucket_name(new_name)
    ctx.store.rename_bucket(ctx.bucket, new_name)
    ctx.state.tokens.rename_bucket(ctx.bucket, new_name)
    return empty()


OPERATIONS: Dict[str, Callable[[Context], Response]] = {
    "GetBucket": get_bucket,
    "HeadBucket": head_bucket,
    "CreateBucket": create_bucket,
    "UpdateBucket": update_bucket,
    "RemoveBucket": remove_bucket,
    "RenameBucket": rename_bucket,
}
