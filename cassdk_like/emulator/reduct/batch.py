"""The batch header formats: v1 (one entry, ``x-reduct-time-{ts}``) and v2 (several entries,
``x-reduct-{entry index}-{ts delta}`` with label deltas), parsed and written
(docs/reduct-protocol.md §6).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from cassdk_like.emulator.reduct.errors import reduct_error

__all__ = [
    "ENTRIES_HEADER",
    "LABELS_HEADER",
    "START_TS_HEADER",
    "BatchItem",
    "V2Writer",
    "decode_name",
    "encode_name",
    "entries_header",
    "label_delta_ops",
    "parse_v1",
    "parse_v2",
    "parse_v2_changes",
    "parse_v2_keys",
    "v1_header_value",
]

ENTRIES_HEADER = "x-reduct-entries"
START_TS_HEADER = "x-reduct-start-ts"
LABELS_HEADER = "x-reduct-labels"
_TIME_PREFIX = "x-reduct-time-"
_PREFIX = "x-reduct-"
_TCHAR = frozenset(b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_OCTET_STREAM = "application/octet-stream"


@dataclass(frozen=True)
class BatchItem:
    """One record of a batch request: where it goes and what it carries (or changes)."""

    entry: str
    timestamp: int
    size: int
    content_type: str
    labels: Dict[str, str] = field(default_factory=dict)
    #: v2 only: the index of ``entry`` in ``x-reduct-entries`` and the delta to the start time
    entry_index: int = 0
    delta: int = 0


# -- v1 -----------------------------------------------------------------------------------------


def _parse_v1_value(raw: str) -> Tuple[int, str, Dict[str, str]]:
    size_text, sep, rest = raw.partition(",")
    if not sep:
        raise reduct_error(422, "Invalid batched header")
    try:
        size = int(size_text.strip())
    except ValueError:
        raise reduct_error(422, "Invalid content length") from None
    if size < 0:
        raise reduct_error(422, "Invalid content length")
    content_type, sep, rest = rest.partition(",")
    if not sep:
        rest = ""
    content_type = content_type.strip() or _OCTET_STREAM
    labels: Dict[str, str] = {}
    while "=" in rest:
        key, _, value = rest.partition("=")
        key = key.strip()
        if value.startswith('"'):
            inner, quote, tail = value[1:].partition('"')
            if not quote:
                raise reduct_error(422, "Invalid batched header")
            labels[key] = inner.strip()
            rest = tail.lstrip(",").strip()
        elif "," in value:
            value, _, rest = value.partition(",")
            labels[key] = value.strip()
            rest = rest.strip()
        else:
            labels[key] = value.strip()
            break
    return size, content_type, labels


def parse_v1(headers: Mapping[str, str], entry: str, *, values: bool = True) -> List[BatchItem]:
    """The records of a v1 batch, in timestamp order; ``values=False`` for a remove batch, whose
    header values the server does not read (only the timestamps in the names count)."""
    found: List[Tuple[int, str]] = []
    for name, value in headers.items():
        if not name.startswith(_TIME_PREFIX):
            continue
        suffix = name[len(_TIME_PREFIX) :]
        if not suffix.isdigit():
            raise reduct_error(422, f"Invalid header '{name}': must be an unix timestamp in microseconds")
        found.append((int(suffix), value))
    found.sort(key=lambda item: item[0])
    items = []
    for ts, value in found:
        size, content_type, labels = _parse_v1_value(value) if values else (0, "", {})
        items.append(BatchItem(entry, ts, size, content_type, labels))
    return items


def v1_header_value(size: int, content_type: str, labels: Mapping[str, str]) -> str:
    """``size,content_type[,k=v...]``, labels sorted, values with a comma quoted."""
    parts = [f"{k}={_quote(v)}" for k, v in labels.items()]
    return ",".join([str(size), content_type, *sorted(parts)])


def _quote(value: str) -> str:
    return f'"{value}"' if "," in value else value


# -- v2 -----------------------------------------------------------------------------------------


def encode_name(name: str) -> str:
    """Percent-encode every byte outside RFC 7230 ``tchar`` (entry and label names in headers)."""
    return "".join(chr(b) if b in _TCHAR else f"%{b:02X}" for b in name.encode("utf-8"))


def decode_name(encoded: str, what: str = "entry") -> str:
    raw = encoded.encode("utf-8")
    out = bytearray()
    pos = 0
    while pos < len(raw):
        if raw[pos] == ord("%"):
            pair = raw[pos + 1 : pos + 3]
            try:
                if len(pair) != 2:
                    raise ValueError("short escape")
                out.append(int(pair.decode("ascii"), 16))
            except ValueError:
                if what == "label":
                    raise reduct_error(422, f"Invalid label encoding in header value: '{encoded}'") from None
                raise reduct_error(422, f"Invalid entry encoding in header name: '{encoded}'") from None
            pos += 3
        else:
            out.append(raw[pos])
            pos += 1
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        raise reduct_error(422, f"Entry name is not valid UTF-8 in header '{encoded}'") from None


def _parse_entries(headers: Mapping[str, str]) -> List[str]:
    raw = headers.get(ENTRIES_HEADER)
    if raw is None:
        return []
    if not raw.strip():
        raise reduct_error(422, "x-reduct-entries header is required")
    entries = []
    for piece in raw.split(","):
        part = piece.strip()
        if not part:
            raise reduct_error(422, "x-reduct-entries header must not contain empty entry names")
        entries.append(decode_name(part))
    return entries


def _parse_start(headers: Mapping[str, str]) -> int:
    raw = headers.get(START_TS_HEADER)
    if raw is None:
        raise reduct_error(422, "x-reduct-start-ts header is required")
    if not raw.strip().isdigit():
        raise reduct_error(422, "Invalid x-reduct-start-ts header")
    return int(raw.strip())


def _parse_label_names(headers: Mapping[str, str]) -> Optional[List[str]]:
    raw = headers.get(LABELS_HEADER)
    if raw is None:
        return None
    if not raw.strip():
        raise reduct_error(422, "x-reduct-labels header is empty")
    return [decode_name(part.strip(), "label") for part in raw.split(",")]


def _label_name(raw: str, names: Optional[List[str]]) -> str:
    if names is not None and raw.isdigit():
        index = int(raw)
        if index >= len(names):
            raise reduct_error(422, f"Label index '{raw}' is out of range")
        return names[index]
    if raw.startswith("@"):
        raise reduct_error(422, "Label names must not start with '@': reserved for computed labels")
    return raw


def label_delta_ops(raw: str, names: Optional[List[str]]) -> List[Tuple[str, Optional[str]]]:
    """``k=v,k2="a,b",k3=`` as (name, value or None to remove)."""
    ops: List[Tuple[str, Optional[str]]] = []
    rest = raw.strip()
    while rest:
        if "=" not in rest:
            raise reduct_error(422, "Invalid batched header")
        key, _, value_part = rest.partition("=")
        name = _label_name(key.strip(), names)
        if value_part.startswith('"'):
            value, quote, tail = value_part[1:].partition('"')
            if not quote:
                raise reduct_error(422, "Invalid batched header")
            rest = tail.lstrip(",").strip()
        elif "," in value_part:
            value, _, rest = value_part.partition(",")
            rest = rest.strip()
        else:
            value, rest = value_part, ""
        value = value.strip()
        ops.append((name, value or None))
    return ops


def _record_headers(headers: Mapping[str, str]) -> List[Tuple[int, int, str]]:
    found = []
    for name, value in headers.items():
        if not name.startswith(_PREFIX):
            continue
        head, sep, tail = name.rpartition("-")
        if not sep or not tail.isdigit() or len(head) < len(_PREFIX):
            continue
        index_text = head[len(_PREFIX) :]
        if not index_text.isdigit():
            raise reduct_error(422, f"Invalid header '{name}': entry index must be a number")
        found.append((int(index_text), int(tail), value))
    found.sort(key=lambda item: (item[0], item[1]))
    return found


def parse_v2(
    headers: Mapping[str, str], *, with_content: bool = True
) -> Tuple[List[str], int, List[BatchItem]]:
    """Entries, start time and records of a v2 batch, ordered by (entry index, time): the body's
    order. ``with_content=False`` for update and remove batches (labels are then the change)."""
    entries = _parse_entries(headers)
    start = _parse_start(headers)
    names = _parse_label_names(headers)
    previous: Dict[int, BatchItem] = {}
    items: List[BatchItem] = []
    for index, delta, raw in _record_headers(headers):
        if index >= len(entries):
            raise reduct_error(422, f"Invalid header 'x-reduct-{index}-{delta}': entry index out of range")
        prev = previous.get(index)
        size_text, sep, rest = raw.partition(",")
        try:
            size = int(size_text.strip())
        except ValueError:
            raise reduct_error(422, "Invalid batched header") from None
        if not sep:
            if prev is None:
                raise reduct_error(
                    422, "Content-type and labels must be provided for the first record of an entry"
                )
            content_type, labels = prev.content_type, dict(prev.labels)
        else:
            type_text, sep, labels_text = rest.partition(",")
            content_type = type_text.strip() or (prev.content_type if prev else _OCTET_STREAM)
            labels = dict(prev.labels) if prev else {}
            if sep:
                for name, value in label_delta_ops(labels_text, names):
                    if value is None:
                        labels.pop(name, None)
                    else:
                        labels[name] = value
        item = BatchItem(entries[index], start + delta, size, content_type, labels, index, delta)
        previous[index] = item
        items.append(item)
    return entries, start, items


def parse_v2_keys(headers: Mapping[str, str]) -> Tuple[List[str], int, List[BatchItem]]:
    """A remove batch: only the records' names count (entry index and time), not their values."""
    entries = _parse_entries(headers)
    start = _parse_start(headers)
    items = []
    for index, delta, _raw in _record_headers(headers):
        if index >= len(entries):
            raise reduct_error(422, f"Invalid header 'x-reduct-{index}-{delta}': entry index out of range")
        items.append(BatchItem(entries[index], start + delta, 0, "", {}, index, delta))
    return entries, start, items


def parse_v2_changes(
    headers: Mapping[str, str],
) -> Tuple[List[str], int, List[Tuple[BatchItem, Dict[str, Optional[str]]]]]:
    """An update batch: each record with its label changes (value None: remove the label)."""
    entries = _parse_entries(headers)
    start = _parse_start(headers)
    names = _parse_label_names(headers)
    changes = []
    for index, delta, raw in _record_headers(headers):
        if index >= len(entries):
            raise reduct_error(422, f"Invalid header 'x-reduct-{index}-{delta}': entry index out of range")
        _size, _sep, rest = raw.partition(",")
        _type, sep, labels_text = rest.partition(",")
        ops: Dict[str, Optional[str]] = dict(label_delta_ops(labels_text, names)) if sep else {}
        item = BatchItem(entries[index], start + delta, 0, "", {}, index, delta)
        changes.append((item, ops))
    return entries, start, changes


class V2Writer:
    """Builds the headers of a v2 batch response: per-entry content-type and label deltas, the
    label-name table, names encoded (docs/reduct-protocol.md §6.2)."""

    def __init__(self) -> None:
        self._labels: List[str] = []
        self._label_index: Dict[str, int] = {}
        self._previous: Dict[str, Tuple[str, Dict[str, str]]] = {}

    def _index(self, name: str) -> int:
        if name not in self._label_index:
            self._label_index[name] = len(self._labels)
            self._labels.append(name)
        return self._label_index[name]

    def value(self, entry: str, size: int, content_type: str, labels: Mapping[str, str]) -> str:
        """The record's header value; call in the order the records are met (time order)."""
        prev = self._previous.get(entry)
        deltas: List[Tuple[int, str]] = []
        if prev is None:
            for key in sorted(labels):
                deltas.append((self._index(key), _quote(labels[key])))
        else:
            before = prev[1]
            for key in sorted(set(before) | set(labels)):
                if before.get(key) == labels.get(key):
                    continue
                deltas.append((self._index(key), _quote(labels[key]) if key in labels else ""))
        deltas.sort(key=lambda item: item[0])
        type_part = content_type if prev is None or prev[0] != content_type else ""
        parts = [str(size)]
        if type_part or deltas:
            parts.append(type_part)
        if deltas:
            parts.append(",".join(f"{i}={v}" for i, v in deltas))
        self._previous[entry] = (content_type, dict(labels))
        return ",".join(parts)

    def labels_header(self) -> Optional[str]:
        return ",".join(encode_name(name) for name in self._labels) if self._labels else None


def entries_header(entries: Sequence[str]) -> str:
    return ",".join(encode_name(entry) for entry in entries)
