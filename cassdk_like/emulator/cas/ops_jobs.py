"""Job operations (docs/vault-protocol.md §1.4) and the job document as clients see it.

Get Job Output honours ``Range`` (206 + Content-Range) and sends the tree-hash header only when both
the job's range and the requested range are tree-hash-aligned in archive terms (docs/vault-protocol.md §3.4).
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping, Optional, Tuple

from cassdk_like.core.integrity import MiB, combine_tree_hashes, is_tree_aligned
from cassdk_like.emulator.cas.context import Context, OperationTable, Settings
from cassdk_like.emulator.cas.errors import invalid_value
from cassdk_like.emulator.cas.jobs import JobOutput
from cassdk_like.emulator.cas.protocol import Dialect
from cassdk_like.emulator.cas.util import parse_limit
from cassdk_like.emulator.wire import FileBody, Response, empty_response, json_response

__all__ = ["OPERATIONS", "render_job"]

_RANGE = re.compile(r"\s*bytes=(\d+)-(\d+)\s*")
_STATUSES = ("InProgress", "Succeeded", "Failed")


def render_job(settings: Settings, dialect: Dialect, vault: str, doc: Mapping[str, Any]) -> Dict[str, Any]:
    """The public job object: internal ``_`` fields dropped, the dialect's vault and callback names."""
    out: Dict[str, Any] = {}
    for key, value in doc.items():
        if key.startswith("_"):
            continue
        out[dialect.callback_field if key == "CallBackUrl" else key] = value
    out[dialect.qcs_field] = settings.qcs(vault, dialect)
    return out


def initiate_job(ctx: Context) -> Response:
    body = ctx.request.read_json()
    rules = ctx.state.settings.job_rules(ctx.dialect)
    job_id = ctx.state.jobs.initiate(ctx.vault, body, rules, ctx.dialect.name)
    return empty_response(202, [ctx.location(ctx.vault, "jobs", job_id), (ctx.h("job-id"), job_id)])


def describe_job(ctx: Context) -> Response:
    doc = ctx.state.jobs.describe(ctx.vault, ctx.route.params["job_id"])
    return json_response(200, render_job(ctx.state.settings, ctx.dialect, ctx.vault, doc))


def _bool_param(ctx: Context, name: str) -> Optional[bool]:
    raw = ctx.request.param(name)
    if raw is None:
        return None
    if raw.lower() not in ("true", "false"):
        raise invalid_value(f"{name} must be 'true' or 'false', got {raw[:40]!r}")
    return raw.lower() == "true"


def list_jobs(ctx: Context) -> Response:
    limit = parse_limit(
        ctx.request.param("limit"), default=ctx.dialect.list_defaults["ListJobs"], maximum=1000
    )
    status = ctx.request.param("statuscode")
    if status is not None and status not in _STATUSES:
        raise invalid_value(f"statuscode must be one of {list(_STATUSES)}, got {status[:40]!r}")
    docs, following = ctx.state.jobs.list(
        ctx.vault,
        completed=_bool_param(ctx, "completed"),
        status=status,
        marker=ctx.request.param("marker"),
        limit=limit,
    )
    rendered = [render_job(ctx.state.settings, ctx.dialect, ctx.vault, d) for d in docs]
    return json_response(200, {"JobList": rendered, "Marker": following})


def _requested_range(ctx: Context, size: int) -> Optional[Tuple[int, int]]:
    raw = ctx.request.header("range")
    if raw is None:
        return None
    match = _RANGE.fullmatch(raw)
    if match is None:
        raise invalid_value(f"Range {raw[:80]!r} must be 'bytes=<start>-<end>' (inclusive, no open ends)")
    start, end = int(match.group(1)), int(match.group(2))
    if end < start or end >= size:
        raise invalid_value(f"Range {raw!r} is not within the job output (bytes 0-{size - 1})")
    return start, end


def _range_tree_hash(ctx: Context, out: JobOutput, start: int, end: int) -> Optional[str]:
    """The tree hash of output bytes [start, end], when that range is tree-aligned in the archive."""
    doc = out.doc
    if doc["Action"] != "ArchiveRetrieval" or not doc["_aligned"]:
        return None
    if start == 0 and end == out.size - 1:
        return str(doc["SHA256TreeHash"])
    offset = int(doc["_start"])
    if not is_tree_aligned(offset + start, offset + end, int(doc["ArchiveSizeInBytes"])):
        return None
    leaves = ctx.state.store.db.read_leaves(out.token, start // MiB, -(-(end - start + 1) // MiB))
    return combine_tree_hashes(leaves)


def get_job_output(ctx: Context) -> Response:
    out = ctx.state.jobs.output(ctx.vault, ctx.route.params["job_id"])
    requested = _requested_range(ctx, out.size)
    start, end = requested if requested is not None else (0, out.size - 1)
    headers: List[Tuple[str, str]] = [("Content-Type", out.content_type), ("Accept-Ranges", "bytes")]
    if requested is not None:
        headers.append(("Content-Range", f"bytes {start}-{end}/{out.size}"))
    tree_hash = _range_tree_hash(ctx, out, start, end)
    if tree_hash is not None:
        headers.append((ctx.h("sha256-tree-hash"), tree_hash))
    if out.doc["Action"] == "ArchiveRetrieval":
        archive = ctx.state.store.archive(ctx.vault, out.doc["ArchiveId"])
        if archive.description:
            headers.append((ctx.h("archive-description"), archive.description))
    body = FileBody(out.path, start, end - start + 1)
    return Response(206 if requested is not None else 200, headers, file=body, job_output=True)


OPERATIONS: OperationTable = {
    "InitiateJob": initiate_job,
    "DescribeJob": describe_job,
    "ListJobs": list_jobs,
    "GetJobOutput": get_job_output,
}
