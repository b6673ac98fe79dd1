"""The multi-entry ``/io/{bucket}/...`` routes (batch protocol v2, API 1.18 and later): write,
update and remove batches, queries and their reads (docs/reduct-protocol.md §6.2 and §7).
"""

from __future__ import annotations

from typing import Callable, Dict, List, Sequence, Tuple

from cassdk_like.emulator.errors import ApiError
from cassdk_like.emulator.reduct.batch import (
    ENTRIES_HEADER,
    LABELS_HEADER,
    START_TS_HEADER,
    BatchItem,
    V2Writer,
    entries_header,
    parse_v2,
    parse_v2_changes,
    parse_v2_keys,
)
from cassdk_like.emulator.reduct.context import Context, empty, json_response
from cassdk_like.emulator.reduct.errors import reduct_error
from cassdk_like.emulator.reduct.ops_records import (
    check_batch_length,
    file_parts,
    open_query,
    remove_by_query,
    write_items,
)
from cassdk_like.emulator.reduct.query import parse_query_request, select_entries
from cassdk_like.emulator.reduct.store import RecordMeta
from cassdk_like.emulator.wire import Response

__all__ = ["OPERATIONS"]

QUERY_ID_HEADER = "x-reduct-query-id"


def _echo(
    entries: Sequence[str], start: int, errors: Sequence[Tuple[BatchItem, ApiError]]
) -> List[Tuple[str, str]]:
    """The response headers of a v2 batch: the entries and start time echoed, then each refused
    record as ``x-reduct-error-{entry index}-{delta}``."""
    headers = [(ENTRIES_HEADER, entries_header(entries)), (START_TS_HEADER, str(start))]
    headers += [(f"x-reduct-error-{i.entry_index}-{i.delta}", f"{e.status},{e.message}") for i, e in errors]
    return headers


def io_write(ctx: Context) -> Response:
    ctx.write_access(ctx.bucket)
    entries, start, items = parse_v2(ctx.request.headers)
    check_batch_length(ctx, items)
    return empty(200, _echo(entries, start, write_items(ctx, items)))


def io_update(ctx: Context) -> Response:
    """Labels of existing records: a value sets, an empty value removes."""
    ctx.write_access(ctx.bucket)
    entries, start, changes = parse_v2_changes(ctx.request.headers)
    ctx.store.require_bucket(ctx.bucket)
    errors: List[Tuple[BatchItem, ApiError]] = []
    for item, ops in changes:
        try:
            ctx.store.require_entry(ctx.bucket, item.entry)
            ctx.store.update_labels(ctx.bucket, item.entry, item.timestamp, ops)
        except ApiError as error:
            errors.append((item, error))
    return empty(200, _echo(entries, start, errors))


def io_remove(ctx: Context) -> Response:
    ctx.write_access(ctx.bucket)
    entries, start, items = parse_v2_keys(ctx.request.headers)
    ctx.store.require_bucket(ctx.bucket)
    errors: List[Tuple[BatchItem, ApiError]] = []
    for item in items:
        try:
            ctx.store.require_entry(ctx.bucket, item.entry)
            ctx.store.remove_record(ctx.bucket, item.entry, item.timestamp)
        except ApiError as error:
            errors.append((item, error))
    return empty(200, _echo(entries, start, errors))


def io_query(ctx: Context) -> Response:
    """QUERY opens a query over the selected entries (``{"id"}``); REMOVE removes what it selects
    (``{"removed_records"}``)."""
    request = parse_query_request(ctx.body())
    if request.query_type == "REMOVE":
        ctx.write_access(ctx.bucket)
        if request.is_empty_remove:
            raise reduct_error(422, "Define at least one query parameter to delete records")
        ctx.store.require_bucket(ctx.bucket)
        entries = select_entries(ctx.store.entry_names(ctx.bucket), request.entries)
        return json_response({"removed_records": remove_by_query(ctx, entries, request)})
    ctx.read_access(ctx.bucket)
    ctx.store.require_bucket(ctx.bucket)
    entries = select_entries(ctx.store.entry_names(ctx.bucket), request.entries)
    return json_response({"id": open_query(ctx, None, entries, request).id})


def io_read(ctx: Context) -> Response:
    """The next batch of a query: 204 once it has no more records, 404 once it expired."""
    ctx.read_access(ctx.bucket)
    raw = ctx.request.header(QUERY_ID_HEADER)
    if raw is None:
        raise reduct_error(422, f"{QUERY_ID_HEADER} header is required for batched reads")
    if not raw.strip().isdigit():
        raise reduct_error(422, "Invalid query id")
    ctx.store.require_bucket(ctx.bucket)
    head = ctx.request.method == "HEAD"
    query = ctx.state.queries.get(int(raw.strip()), ctx.bucket, None)
    metas, last = query.next_batch(ctx.store, head)
    if not metas:
        raise reduct_error(204, "No more records")
    response = Response(200, [*_batch_headers(metas), ("x-reduct-last", "true" if last else "false")])
    order = _entry_order(metas)
    ordered = sorted(metas, key=lambda m: (order[m.entry], m.timestamp))
    response.files = file_parts(ctx, ordered)
    return response


def _entry_order(metas: Sequence[RecordMeta]) -> Dict[str, int]:
    """Entry indices by first appearance (the records come in time order)."""
    order: Dict[str, int] = {}
    for meta in metas:
        order.setdefault(meta.entry, len(order))
    return order


def _batch_headers(metas: Sequence[RecordMeta]) -> List[Tuple[str, str]]:
    """Record headers as deltas per entry in time order, listed (like the body) by entry index,
    then time (docs/reduct-protocol.md §6.2)."""
    order = _entry_order(metas)
    start = min(m.timestamp for m in metas)
    writer = V2Writer()
    values = [
        (order[m.entry], m.timestamp, writer.value(m.entry, m.size, m.content_type, m.labels)) for m in metas
    ]
    values.sort(key=lambda item: (item[0], item[1]))
    headers = [(ENTRIES_HEADER, entries_header(list(order))), (START_TS_HEADER, str(start))]
    labels = writer.labels_header()
    if labels is not None:
        headers.append((LABELS_HEADER, labels))
    headers += [(f"x-reduct-{index}-{ts - start}", value) for index, ts, value in values]
    headers.append(("Content-Type", "application/octet-stream"))
    return headers


OPERATIONS: Dict[str, Callable[[Context], Response]] = {
    "IoWrite": io_write,
    "IoUpdate": io_update,
    "IoRemove": io_remove,
    "IoQuery": io_query,
    "IoRead": io_read,
}
