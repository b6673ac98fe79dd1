"""Entry operations: one record (write, read, update, remove), an entry (remove, rename), and the
v1 batch and query routes under ``/b/{bucket}/{entry}`` (docs/reduct-protocol.md §5 and §6.1).
"""

from __future__ import annotations

from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from cassdk_like.emulator.errors import ApiError
from cassdk_like.emulator.reduct.batch import BatchItem, parse_v1, v1_header_value
from cassdk_like.emulator.reduct.context import Context, empty, json_response
from cassdk_like.emulator.reduct.errors import reduct_error
from cassdk_like.emulator.reduct.query import Query, QueryRequest, parse_query_request
from cassdk_like.emulator.reduct.store import MAX_TIMESTAMP, RecordMeta, Reservation
from cassdk_like.emulator.wire import FileBody, Response

__all__ = [
    "OPERATIONS",
    "content_length",
    "file_parts",
    "open_query",
    "receive",
    "remove_by_query",
    "skip",
]

_OCTET_STREAM = "application/octet-stream"


# -- request pieces -----------------------------------------------------------------------------


def _u64(text: str, message: str) -> int:
    if not text.isdigit() or int(text) > MAX_TIMESTAMP:
        raise reduct_error(422, message)
    return int(text)


def timestamp(ctx: Context) -> int:
    raw = ctx.param("ts")
    if raw is None:
        raise reduct_error(422, "'ts' parameter is required")
    return _u64(raw, "'ts' must be an unix timestamp in microseconds")


def content_length(ctx: Context, required: bool = True) -> Optional[int]:
    """``Content-Length``, else ``x-reduct-content-length`` (docs/reduct-protocol.md §5.5)."""
    for name in ("content-length", "x-reduct-content-length"):
        raw = ctx.request.header(name)
        if raw is not None:
            if not raw.strip().isdigit():
                raise reduct_error(422, f"{name} header must be a number")
            return int(raw.strip())
    if required:
        raise reduct_error(422, "content-length header is required")
    return None


def receive(ctx: Context, reservation: Reservation) -> None:
    """Stream the record's body to a blob and attach it; a body that never arrives whole leaves
    no record behind."""
    try:
        blob = ctx.state.db.spool(ctx.request.body.read, reservation.size)
    except BaseException:
        ctx.store.abandon(reservation)
        raise
    ctx.store.commit(reservation, blob.token)


def skip(ctx: Context, size: int) -> None:
    """Read past a refused record's bytes in a batch body."""
    remaining = size
    while remaining > 0:
        chunk = ctx.request.body.read(min(remaining, 1024 * 1024))
        if not chunk:
            break
        remaining -= len(chunk)


def file_parts(ctx: Context, metas: Sequence[RecordMeta]) -> List[FileBody]:
    return [FileBody(ctx.store.blob_path(m), 0, m.size) for m in metas if m.size > 0]


def _record_response(ctx: Context, meta: RecordMeta, head: bool) -> Response:
    headers = [(f"x-reduct-label-{name}", value) for name, value in meta.labels.items()]
    headers += [
        ("Content-Type", meta.content_type),
        ("Content-Disposition", "attachment"),
        ("x-reduct-time", str(meta.timestamp)),
        ("x-reduct-entry", meta.entry),
    ]
    response = Response(200, headers)
    if meta.size > 0:
        response.file = FileBody(ctx.store.blob_path(meta), 0, meta.size)
    return response


# -- one record ---------------------------------------------------------------------------------


def write_record(ctx: Context) -> Response:
    ctx.write_access(ctx.bucket)
    ts = timestamp(ctx)
    size = content_length(ctx)
    assert size is not None
    content_type = ctx.request.header("content-type") or _OCTET_STREAM
    reservation = ctx.store.reserve(ctx.bucket, ctx.entry, ts, size, content_type, ctx.labels())
    receive(ctx, reservation)
    return empty()


def read_record(ctx: Context) -> Response:
    """By ``ts``, the latest record without it, or the next record of a v1 query (``q``)."""
    ctx.read_access(ctx.bucket)
    ctx.store.require_entry(ctx.bucket, ctx.entry)
    head = ctx.request.method == "HEAD"
    raw_ts, raw_query = ctx.param("ts"), ctx.param("q")
    if raw_ts is not None:
        ts = _u64(raw_ts, "'ts' must be an unix timestamp in microseconds")
        return _record_response(ctx, ctx.store.record(ctx.bucket, ctx.entry, ts), head)
    if raw_query is not None:
        if not raw_query.isdigit():
            raise reduct_error(422, "'query' must be a number")
        query = ctx.state.queries.get(int(raw_query), ctx.bucket, ctx.entry)
        metas, _last = query.next_batch(ctx.store, head, limit=1)
        if not metas:
            raise reduct_error(204, "No more records")
        return _record_response(ctx, metas[0], head)
    latest = ctx.store.latest_timestamp(ctx.bucket, ctx.entry)
    return _record_response(ctx, ctx.store.record(ctx.bucket, ctx.entry, latest), head)


def label_changes(labels: Mapping[str, str]) -> Dict[str, Optional[str]]:
    """An empty value removes the label."""
    return {name: (value or None) for name, value in labels.items()}


def update_record(ctx: Context) -> Response:
    ctx.write_access(ctx.bucket)
    ts = timestamp(ctx)
    ctx.store.require_entry(ctx.bucket, ctx.entry)
    ctx.store.update_labels(ctx.bucket, ctx.entry, ts, label_changes(ctx.labels()))
    return empty()


def remove_entry_or_record(ctx: Context) -> Response:
    """No query parameters: the entry (and those under it); otherwise the record ``ts``."""
    ctx.write_access(ctx.bucket)
    if not ctx.request.query:
        ctx.store.remove_entry(ctx.bucket, ctx.entry)
        return empty()
    ts = timestamp(ctx)
    ctx.store.require_entry(ctx.bucket, ctx.entry)
    ctx.store.remove_record(ctx.bucket, ctx.entry, ts)
    return empty()


def rename_entry(ctx: Context) -> Response:
    doc = ctx.json_body()
    new_name = doc.get("new_name")
    if not isinstance(new_name, str):
        raise reduct_error(422, "Invalid JSON: missing field `new_name`")
    ctx.write_access(ctx.bucket)
    ctx.store.rename_entry(ctx.bucket, ctx.entry, new_name)
    return empty()


# -- v1 batches ---------------------------------------------------------------------------------


def _error_headers(errors: Sequence[Tuple[int, ApiError]]) -> List[Tuple[str, str]]:
    return [(f"x-reduct-error-{ts}", f"{error.status},{error.message}") for ts, error in errors]


def check_batch_length(ctx: Context, items: Sequence[BatchItem]) -> int:
    total = sum(item.size for item in items)
    declared = content_length(ctx, required=False)
    if declared is not None and declared != total:
        raise reduct_error(
            422, "content-length header does not match the sum of the content-lengths in the headers"
        )
    return total


def write_items(ctx: Context, items: Sequence[BatchItem]) -> List[Tuple[BatchItem, ApiError]]:
    """Write each record in body order; a refused record's bytes are skipped and reported."""
    refused: List[Tuple[BatchItem, ApiError]] = []
    for item in items:
        try:
            reservation = ctx.store.reserve(
                ctx.bucket, item.entry, item.timestamp, item.size, item.content_type, item.labels
            )
        except ApiError as error:  # the server reports even a missing bucket per record
            refused.append((item, error))
            skip(ctx, item.size)
            continue
        receive(ctx, reservation)
    return refused


def write_batch(ctx: Context) -> Response:
    ctx.write_access(ctx.bucket)
    items = parse_v1(ctx.request.headers, ctx.entry)
    check_batch_length(ctx, items)
    refused = write_items(ctx, items)
    return empty(200, _error_headers([(item.timestamp, error) for item, error in refused]))


def update_batch(ctx: Context) -> Response:
    ctx.write_access(ctx.bucket)
    items = parse_v1(ctx.request.headers, ctx.entry)
    ctx.store.require_entry(ctx.bucket, ctx.entry)
    errors: List[Tuple[int, ApiError]] = []
    for item in items:
        try:
            ctx.store.update_labels(ctx.bucket, ctx.entry, item.timestamp, label_changes(item.labels))
        except ApiError as error:
            errors.append((item.timestamp, error))
    return empty(200, _error_headers(errors))


def remove_batch(ctx: Context) -> Response:
    ctx.write_access(ctx.bucket)
    items = parse_v1(ctx.request.headers, ctx.entry, values=False)
    ctx.store.require_entry(ctx.bucket, ctx.entry)
    errors: List[Tuple[int, ApiError]] = []
    for item in items:
        try:
            ctx.store.remove_record(ctx.bucket, ctx.entry, item.timestamp)
        except ApiError as error:
            errors.append((item.timestamp, error))
    return empty(200, _error_headers(errors))


# -- v1 queries ---------------------------------------------------------------------------------


def open_query(ctx: Context, entry: Optional[str], entries: List[str], request: QueryRequest) -> Query:
    """Resolve the time range and register. Each entry defaults to its own range (its oldest
    record, one past its latest), and each must have ``start <= stop``, as on the server."""
    if not request.continuous:
        for name in entries:
            oldest, latest = ctx.store.time_range(ctx.bucket, [name])
            first = oldest if request.start is None else request.start
            end = latest + 1 if request.stop is None else request.stop
            if first > end:
                raise reduct_error(422, "Start time must be before stop time")
    oldest, latest = ctx.store.time_range(ctx.bucket, entries)
    start = oldest if request.start is None else request.start
    stop = latest + 1 if request.stop is None else request.stop
    if request.continuous and request.stop is None:
        stop = MAX_TIMESTAMP
    return ctx.state.queries.open(ctx.bucket, entry, entries, start, stop, request)


def remove_by_query(ctx: Context, entries: List[str], request: QueryRequest) -> int:
    """Remove what a REMOVE query selects; the count."""
    query = open_query(ctx, None, entries, request)
    removed = 0
    try:
        while True:
            metas, _last = query.next_batch(ctx.store, True, limit=1000)
            if not metas:
                return removed
            removed += ctx.store.remove_records(((m.entry, m.timestamp) for m in metas), ctx.bucket)
    finally:
        ctx.state.queries.close(query.id)


def entry_query(ctx: Context) -> Response:
    """``POST /b/{bucket}/{entry}/q``: QUERY opens a query on this entry, REMOVE removes."""
    request = parse_query_request(ctx.body())
    if request.query_type == "REMOVE":
        ctx.write_access(ctx.bucket)
        if request.is_empty_remove:
            raise reduct_error(422, "Define at least one query parameter to delete records")
        ctx.store.require_bucket(ctx.bucket)
        return json_response({"removed_records": remove_by_query(ctx, [ctx.entry], request)})
    ctx.read_access(ctx.bucket)
    ctx.store.require_entry(ctx.bucket, ctx.entry)
    return json_response({"id": open_query(ctx, ctx.entry, [ctx.entry], request).id})


def read_batch(ctx: Context) -> Response:
    """``GET|HEAD /b/{bucket}/{entry}/batch?q=ID``: the next records of a v1 query."""
    ctx.read_access(ctx.bucket)
    raw = ctx.param("q")
    if raw is None:
        raise reduct_error(422, "'q' parameter is required for batched reads")
    if not raw.isdigit():
        raise reduct_error(422, "'query' must be a number")
    ctx.store.require_entry(ctx.bucket, ctx.entry)
    head = ctx.request.method == "HEAD"
    query = ctx.state.queries.get(int(raw), ctx.bucket, ctx.entry)
    metas, last = query.next_batch(ctx.store, head)
    if not metas:
        raise reduct_error(204, "No more records")
    headers = [
        (f"x-reduct-time-{m.timestamp}", v1_header_value(m.size, m.content_type, m.labels)) for m in metas
    ]
    headers += [("Content-Type", _OCTET_STREAM), ("x-reduct-last", "true" if last else "false")]
    response = Response(200, headers)
    response.files = file_parts(ctx, metas)
    return response


OPERATIONS: Dict[str, Callable[[Context], Response]] = {
    "WriteRecord": write_record,
    "ReadRecord": read_record,
    "UpdateRecord": update_record,
    "RemoveEntryOrRecord": remove_entry_or_record,
    "RenameEntry": rename_entry,
    "WriteBatch": write_batch,
    "UpdateBatch": update_batch,
    "RemoveBatch": remove_batch,
    "ReadBatch": read_batch,
    "EntryQuery": entry_query,
}
