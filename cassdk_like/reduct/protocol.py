"""The batch protocols' headers, both ways (docs/reduct-client.md §8 and §9).

* v1 (``/b/{bucket}/{entry}/batch``, one entry): one header per record,
  ``x-reduct-time-<ts>: <size>,<content type>[,<name>=<value>...]``; errors come back as
  ``x-reduct-error-<ts>: <status>,<message>``.
* v2 (``/io/{bucket}/...``, API 1.18+, many entries): ``x-reduct-entries`` (percent-encoded names,
  index = position), ``x-reduct-start-ts``, an optional ``x-reduct-labels`` table of label names,
  and per record ``x-reduct-<entry index>-<ts - start>: <size>[,<content type>[,<label delta>]]``
  where the content type is left empty when unchanged and the labels are a delta against the
  previous record of the same entry (``<index>=`` removes one).  Payloads follow in (entry index,
  timestamp) order.  Errors: ``x-reduct-error-<entry index>-<delta>: <status>,<message>``.

In both, a label value containing ``,`` is sent in double quotes.  Query answers use the same v2
headers, which :func:`decode_v2` reads back in the order their payloads arrive.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import attrs

from cassdk_like.core.exceptions import BadResponseError
from cassdk_like.reduct.batch import DEFAULT_CONTENT_TYPE, BatchRecord
from cassdk_like.reduct.errors import ReductError, error_for

__all__ = [
    "ENTRIES_HEADER",
    "LABELS_HEADER",
    "LAST_HEADER",
    "QUERY_ID_HEADER",
    "START_TS_HEADER",
    "RecordMeta",
    "decode_entry_name",
    "decode_v1",
    "decode_v2",
    "encode_entry_name",
    "encode_v1",
    "encode_v2_removal",
    "encode_v2_update",
    "encode_v2_write",
    "errors_v1",
    "errors_v2",
    "update_groups",
]

ENTRIES_HEADER = "x-reduct-entries"
START_TS_HEADER = "x-reduct-start-ts"
LABELS_HEADER = "x-reduct-labels"
LAST_HEADER = "x-reduct-last"
QUERY_ID_HEADER = "x-reduct-query-id"
TIME_PREFIX = "x-reduct-time-"
ERROR_PREFIX = "x-reduct-error-"
_PREFIX = "x-reduct-"
_TCHAR = frozenset(b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


@attrs.frozen
class RecordMeta:
    """What a batch header says about one record of an answer."""

    entry: str
    timestamp: int
    size: int
    content_type: str
    labels: Mapping[str, str]


# -- names ----------------------------------------------------------------------------------------


def encode_entry_name(name: str) -> str:
    """Percent-encode every byte that is not an RFC 7230 token character (``/`` -> ``%2F``)."""
    return "".join(chr(b) if b in _TCHAR else f"%{b:02X}" for b in name.encode("utf-8"))


def decode_entry_name(encoded: str) -> str:
    raw = encoded.encode("latin-1", "replace")
    out = bytearray()
    pos = 0
    while pos < len(raw):
        if raw[pos] == ord("%"):
            digits = raw[pos + 1 : pos + 3].decode("ascii", "replace")
            if len(digits) != 2 or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise BadResponseError(f"bad percent-encoding in a batch header: {encoded!r}")
            out.append(int(digits, 16))
            pos += 3
        else:
            out.append(raw[pos])
            pos += 1
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        raise BadResponseError(f"a batch header name is not UTF-8: {encoded!r}") from None


def _quoted(value: str) -> str:
    return f'"{value}"' if "," in value else value


# -- encoding -------------------------------------------------------------------------------------


def encode_v1(records: Sequence[BatchRecord], *, updates: bool = False) -> Dict[str, str]:
    """The v1 headers of one entry's records (sorted by timestamp); ``updates``: labels are
    set-or-remove operations (an empty value removes)."""
    headers: Dict[str, str] = {}
    for record in sorted(records, key=lambda r: r.timestamp):
        size = 0 if updates else record.size
        value = f"{size},{record.content_type}"
        value += "".join(f",{name}={_quoted(text)}" for name, text in sorted(record.labels.items()))
        headers[f"{TIME_PREFIX}{record.timestamp}"] = value
    return headers


class _LabelTable:
    def __init__(self) -> None:
        self.names: List[str] = []
        self._index: Dict[str, int] = {}

    def index(self, name: str) -> int:
        found = self._index.get(name)
        if found is None:
            found = self._index[name] = len(self.names)
            self.names.append(name)
        return found

    def ops(self, pairs: Iterable[Tuple[str, str]]) -> str:
        coded = sorted((self.index(name), _quoted(text)) for name, text in pairs)
        return ",".join(f"{idx}={text}" for idx, text in coded)


def _v2_frame(records: Sequence[BatchRecord]) -> Tuple[List[str], int, List[Tuple[int, BatchRecord]]]:
    entries: List[str] = []
    index: Dict[str, int] = {}
    for record in records:
        name = record.entry or ""
        if name not in index:
            index[name] = len(entries)
            entries.append(name)
    start = min(record.timestamp for record in records)
    ordered = sorted(
        ((index[r.entry or ""], r) for r in records), key=lambda item: (item[0], item[1].timestamp)
    )
    return entries, start, ordered


def _v2_headers(entries: List[str], start: int, table: Optional[_LabelTable]) -> Dict[str, str]:
    headers = {ENTRIES_HEADER: ",".join(encode_entry_name(e) for e in entries), START_TS_HEADER: str(start)}
    if table is not None and table.names:
        headers[LABELS_HEADER] = ",".join(encode_entry_name(name) for name in table.names)
    return headers


def encode_v2_write(records: Sequence[BatchRecord]) -> Tuple[Dict[str, str], List[BatchRecord]]:
    """The v2 headers of a write, and the records in the order their payloads must be sent."""
    entries, start, ordered = _v2_frame(records)
    table = _LabelTable()
    previous: Dict[int, BatchRecord] = {}
    per_record: Dict[str, str] = {}
    for idx, record in ordered:
        before = previous.get(idx)
        if before is None:
            content_type = record.content_type
            delta = table.ops(record.labels.items())
        else:
            content_type = "" if record.content_type == before.content_type else record.content_type
            changed = [
                (name, record.labels.get(name, ""))
                for name in sorted(set(before.labels) | set(record.labels))
                if before.labels.get(name) != record.labels.get(name)
            ]
            delta = table.ops(changed)
        parts = [str(record.size)]
        if content_type or delta:
            parts.append(content_type)
        if delta:
            parts.append(delta)
        per_record[f"{_PREFIX}{idx}-{record.timestamp - start}"] = ",".join(parts)
        previous[idx] = record
    headers = _v2_headers(entries, start, table)
    headers.update(per_record)
    return headers, [record for _idx, record in ordered]


def update_groups(records: Sequence[BatchRecord]) -> List[List[BatchRecord]]:
    """Split label updates into requests the v2 update can carry exactly.

    The server accumulates an entry's label operations over the records of one request (a record
    gets every operation sent for earlier records of its entry, plus its own), so a record that
    leaves alone a label an earlier record of its entry touched must go into a later request.
    """
    groups: List[List[BatchRecord]] = []
    touched: List[Dict[str, set]] = []  # type: ignore[type-arg]
    for record in sorted(records, key=lambda r: (r.entry or "", r.timestamp)):
        keys = set(record.labels)
        entry = record.entry or ""
        for group, seen in zip(groups, touched):
            if seen.get(entry, set()) <= keys:
                group.append(record)
                seen[entry] = keys
                break
        else:
            groups.append([record])
            touched.append({entry: keys})
    return groups


def encode_v2_update(records: Sequence[BatchRecord]) -> Dict[str, str]:
    """The v2 headers of one request of label updates (see :func:`update_groups`)."""
    entries, start, ordered = _v2_frame(records)
    table = _LabelTable()
    per_record = {
        f"{_PREFIX}{idx}-{record.timestamp - start}": f"0,,{table.ops(record.labels.items())}"
        if record.labels
        else "0,"
        for idx, record in ordered
    }
    headers = _v2_headers(entries, start, table)
    headers.update(per_record)
    return headers


def encode_v2_removal(records: Sequence[BatchRecord]) -> Dict[str, str]:
    """The v2 headers naming records to remove."""
    entries, start, ordered = _v2_frame(records)
    headers = _v2_headers(entries, start, None)
    headers.update({f"{_PREFIX}{idx}-{record.timestamp - start}": "0," for idx, record in ordered})
    return headers


# -- decoding -------------------------------------------------------------------------------------


def _split_status(value: str, operation: Optional[str], resource: Optional[str]) -> ReductError:
    status, _, message = value.partition(",")
    try:
        code = int(status.strip())
    except ValueError:
        raise BadResponseError(f"a record error header is not '<status>,<message>': {value!r}") from None
    return error_for(code, message.strip(), operation=operation, resource=resource)


def errors_v1(
    headers: Mapping[str, str], *, operation: Optional[str] = None, resource: Optional[str] = None
) -> Dict[int, ReductError]:
    """``x-reduct-error-<ts>`` headers as ``{timestamp: error}``."""
    found: Dict[int, ReductError] = {}
    for name, value in headers.items():
        lowered = name.lower()
        if lowered.startswith(ERROR_PREFIX) and lowered[len(ERROR_PREFIX) :].isdigit():
            found[int(lowered[len(ERROR_PREFIX) :])] = _split_status(value, operation, resource)
    return found


def _header(headers: Mapping[str, str], name: str) -> Optional[str]:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _frame_of(headers: Mapping[str, str]) -> Tuple[Optional[List[str]], Optional[int]]:
    entries = _header(headers, ENTRIES_HEADER)
    start = _header(headers, START_TS_HEADER)
    names = [decode_entry_name(e.strip()) for e in entries.split(",")] if entries else None
    try:
        begin = int(start) if start is not None else None
    except ValueError:
        raise BadResponseError(f"{START_TS_HEADER} is not an integer: {start!r}") from None
    return names, begin


def errors_v2(
    headers: Mapping[str, str],
    sent_entries: Sequence[str],
    sent_start: int,
    *,
    operation: Optional[str] = None,
    resource: Optional[str] = None,
) -> Dict[str, Dict[int, ReductError]]:
    """``x-reduct-error-<index>-<delta>`` headers as ``{entry: {timestamp: error}}``; the entry table
    and start are the answer's echo, or what was sent when the answer leaves them out."""
    entries, start = _frame_of(headers)
    entries = entries if entries is not None else list(sent_entries)
    start = start if start is not None else sent_start
    found: Dict[str, Dict[int, ReductError]] = {}
    for name, value in headers.items():
        lowered = name.lower()
        if not lowered.startswith(ERROR_PREFIX):
            continue
        idx_text, _, delta_text = lowered[len(ERROR_PREFIX) :].rpartition("-")
        if not (idx_text.isdigit() and delta_text.isdigit()):
            continue
        idx = int(idx_text)
        if idx >= len(entries):
            raise BadResponseError(
                f"{name} names entry index {idx}, but the batch has {len(entries)} entries"
            )
        found.setdefault(entries[idx], {})[start + int(delta_text)] = _split_status(
            value, operation, resource
        )
    return found


def _parse_label_ops(raw: str, names: Optional[List[str]]) -> List[Tuple[str, Optional[str]]]:
    """``k=v,k2="a,b",k3=`` -> [(k, v), (k2, 'a,b'), (k3, None)] with indices resolved."""
    ops: List[Tuple[str, Optional[str]]] = []
    rest = raw.strip()
    while rest:
        key, eq, value_part = rest.partition("=")
        if not eq:
            raise BadResponseError(f"a batch header's labels are not name=value pairs: {raw!r}")
        key = key.strip()
        if names is not None and key.isdigit():
            idx = int(key)
            if idx >= len(names):
                raise BadResponseError(f"label index {idx} is past the {LABELS_HEADER} table")
            key = names[idx]
        if value_part.startswith('"'):
            value, quote, rest = value_part[1:].partition('"')
            if not quote:
                raise BadResponseError(f"an unterminated quoted label value: {raw!r}")
            rest = rest.lstrip(",").strip()
        else:
            value, _, rest = value_part.partition(",")
            rest = rest.strip()
        value = value.strip()
        ops.append((key, value or None))
    return ops


def _v2_rows(headers: Mapping[str, str]) -> List[Tuple[int, int, str]]:
    rows: List[Tuple[int, int, str]] = []
    for name, value in headers.items():
        lowered = name.lower()
        if not lowered.startswith(_PREFIX) or lowered.startswith(ERROR_PREFIX):
            continue
        idx_text, _, delta_text = lowered[len(_PREFIX) :].rpartition("-")
        if idx_text.isdigit() and delta_text.isdigit():
            rows.append((int(idx_text), int(delta_text), value))
    rows.sort(key=lambda row: (row[0], row[1]))
    return rows


def _v2_meta(
    entry: str, timestamp: int, value: str, before: Optional[RecordMeta], names: Optional[List[str]]
) -> RecordMeta:
    size_text, has_rest, rest = value.partition(",")
    try:
        size = int(size_text.strip())
    except ValueError:
        raise BadResponseError(
            f"the batch header of {entry!r} at {timestamp} has no size: {value!r}"
        ) from None
    if not has_rest:
        if before is None:
            raise BadResponseError(f"the first record of entry {entry!r} names no content type")
        return RecordMeta(entry, timestamp, size, before.content_type, dict(before.labels))
    type_text, has_labels, label_text = rest.partition(",")
    content_type = type_text.strip() or (before.content_type if before else DEFAULT_CONTENT_TYPE)
    labels = dict(before.labels) if before else {}
    if has_labels:
        for key, text in _parse_label_ops(label_text, names):
            if text is None:
                labels.pop(key, None)
            else:
                labels[key] = text
    return RecordMeta(entry, timestamp, size, content_type, labels)


def decode_v2(headers: Mapping[str, str]) -> List[RecordMeta]:
    """The records of a v2 answer in the order their payloads follow (entry index, then time)."""
    rows = _v2_rows(headers)
    if not rows:
        return []
    entries, start = _frame_of(headers)
    if entries is None or start is None:
        raise BadResponseError(f"a batch answer without {ENTRIES_HEADER} or {START_TS_HEADER}")
    table_text = _header(headers, LABELS_HEADER)
    names = [decode_entry_name(n.strip()) for n in table_text.split(",")] if table_text else None
    previous: Dict[int, RecordMeta] = {}
    found: List[RecordMeta] = []
    for idx, delta, value in rows:
        if idx >= len(entries):
            raise BadResponseError(
                f"batch header x-reduct-{idx}-{delta} names an entry past {ENTRIES_HEADER}"
            )
        meta = _v2_meta(entries[idx], start + delta, value, previous.get(idx), names)
        previous[idx] = meta
        found.append(meta)
    return found


def decode_v1(headers: Mapping[str, str], entry: str) -> List[RecordMeta]:
    """The records of a v1 answer (``x-reduct-time-<ts>`` headers), in time order."""
    rows: List[Tuple[int, str]] = []
    for name, value in headers.items():
        lowered = name.lower()
        if lowered.startswith(TIME_PREFIX) and lowered[len(TIME_PREFIX) :].isdigit():
            rows.append((int(lowered[len(TIME_PREFIX) :]), value))
    found: List[RecordMeta] = []
    for ts, value in sorted(rows):
        size_text, _, rest = value.partition(",")
        type_text, has_labels, label_text = rest.partition(",")
        try:
            size = int(size_text.strip())
        except ValueError:
            raise BadResponseError(f"batch header x-reduct-time-{ts} has no size: {value!r}") from None
        labels = {k: v or "" for k, v in _parse_label_ops(label_text, None)} if has_labels else {}
        found.append(RecordMeta(entry, ts, size, type_text.strip() or DEFAULT_CONTENT_TYPE, labels))
    return found
