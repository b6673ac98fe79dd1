"""Server-wide operations: info, the bucket list, the caller's token, health checks and the empty
replication and lifecycle lists (docs/reduct-protocol.md §2)."""

from __future__ import annotations

from typing import Callable, Dict

from cassdk_like.emulator.reduct.context import Context, empty, json_response
from cassdk_like.emulator.reduct.store import DEFAULT_SETTINGS
from cassdk_like.emulator.wire import Response

__all__ = ["OPERATIONS", "SERVER_VERSION"]

SERVER_VERSION = "1.21.0"


def get_info(ctx: Context) -> Response:
    ctx.token()
    count, usage, oldest, latest = ctx.store.totals()
    return json_response(
        {
            "version": SERVER_VERSION,
            "instance_name": "unknown",
            "instance_role": "PRIMARY",
            "bucket_count": count,
            "usage": usage,
            "uptime": int(max(ctx.now - ctx.state.started, 0)),
            "oldest_record": oldest,
            "latest_record": latest,
            "license": None,
            "defaults": {"bucket": DEFAULT_SETTINGS.doc()},
        }
    )


def list_buckets(ctx: Context) -> Response:
    """Every bucket the caller may read (docs/reduct-protocol.md §4.2)."""
    token = ctx.token()
    buckets = [
        ctx.store.bucket_info(name)["info"] for name in ctx.store.bucket_names() if token.can_read(name)
    ]
    return json_response({"buckets": buckets})


def me(ctx: Context) -> Response:
    return json_response(ctx.token().doc(ctx.now))


def alive(ctx: Context) -> Response:
    return empty()


def list_replications(ctx: Context) -> Response:
    ctx.token()
    return json_response({"replications": []})


def list_lifecycles(ctx: Context) -> Response:
    ctx.token()
    return json_response({"lifecycles": []})


OPERATIONS: Dict[str, Callable[[Context], Response]] = {
    "GetInfo": get_info,
    "ListBuckets": list_buckets,
    "Me": me,
    "Alive": alive,
    "Ready": alive,
    "ListReplications": list_replications,
    "ListLifecycles": list_lifecycles,
}
