"""Queries: the ``when`` conditions the emulator evaluates, the query request body, and the
registry of open queries with their time to live (docs/reduct-protocol.md §7).

A query is a cursor over the index in (time, entry) order; each read takes the next batch. The
emulator evaluates label comparisons, ``$and``/``$or``/``$not``, ``$in``/``$nin``,
``$exists`` and ``$limit``; any other operator or directive is refused with 422.
"""

from __future__ import annotations

import fnmatch
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from cassdk_like.emulator.reduct.errors import reduct_error
from cassdk_like.emulator.reduct.store import RecordMeta, RecordStore, is_meta_entry

__all__ = ["Condition", "Query", "QueryRegistry", "QueryRequest", "compile_when", "parse_query_request"]

#: how many records one read of a query returns at most, and how large its body and headers grow
#: (the server's defaults: a batch stops after the record that crosses a limit)
BATCH_MAX_RECORDS = 85
BATCH_MAX_SIZE = 8_000_000
BATCH_MAX_METADATA = 512_000
DEFAULT_TTL = 60
_PAGE = 256

_COMPARISONS: Mapping[str, Callable[[Any, Any], bool]] = {
    "$eq": lambda a, b: a == b,
    "$ne": lambda a, b: a != b,
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
}
_ALL = ("$and", "$all_of")
_ANY = ("$or", "$any_of")
_NONE = ("$not", "$none_of")
_NUMBER = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")


class _LimitReached(Exception):
    """``$limit`` let its last record through: the query ends."""


class _MissingLabel(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(f"Reference '{name}' not found")
        self.name = name


def _label_value(text: str) -> Any:
    """A label as the server reads it in a condition: bool, integer, float or string."""
    if text in ("true", "false"):
        return text == "true"
    if _NUMBER.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def _comparable(a: Any, b: Any) -> Tuple[Any, Any]:
    numeric = (int, float)
    if isinstance(a, numeric) and isinstance(b, numeric):
        return a, b
    return str(a).lower() if isinstance(a, bool) else str(a), str(b).lower() if isinstance(b, bool) else str(
        b
    )


_Node = Callable[[Mapping[str, str]], Any]


class Condition:
    """A compiled ``when``: call :meth:`matches` per record in query order."""

    def __init__(self, node: _Node, strict: bool) -> None:
        self._node = node
        self.strict = strict

    def matches(self, labels: Mapping[str, str]) -> bool:
        """True to return the record; raises _LimitReached when the query is over."""
        try:
            return bool(self._node(labels))
        except _MissingLabel as missing:
            if self.strict:
                raise reduct_error(404, str(missing)) from None
            return False


def compile_when(when: Any, strict: bool) -> Condition:
    """Compile a ``when`` object (422 for what the emulator does not evaluate)."""
    if not isinstance(when, dict):
        raise reduct_error(422, "The 'when' condition must be a JSON object")
    for key in when:
        if key.startswith("#"):
            raise reduct_error(422, f"Directive '{key}' is not supported by the emulator")
    nodes = _object(when)
    return Condition(_all_of(nodes), strict)


def _all_of(nodes: Sequence[_Node]) -> _Node:
    return lambda labels: all(node(labels) for node in nodes)


def _object(doc: Mapping[str, Any]) -> List[_Node]:
    nodes: List[_Node] = []
    for key, value in doc.items():
        if isinstance(value, list):
            nodes.append(_operator(key, [n for item in value for n in _operand(item)]))
        elif isinstance(value, dict):
            if len(value) != 1:
                raise reduct_error(422, "Object notation must have exactly one operator")
            operator, right = next(iter(value.items()))
            nodes.append(_operator(operator, [*_operand(key), *_operand(right)]))
        else:
            nodes.append(_operator(key, _operand(value)))
    return nodes


def _constant(value: Any) -> _Node:
    def constant(labels: Mapping[str, str]) -> Any:
        return value

    return constant


def _operand(value: Any) -> List[_Node]:
    if isinstance(value, dict):
        return _object(value)
    if isinstance(value, (bool, int, float)):
        return [_constant(value)]
    if isinstance(value, str):
        if value.startswith("&"):
            name = value[1:]

            def reference(labels: Mapping[str, str], name: str = name) -> Any:
                if name not in labels:
                    raise _MissingLabel(name)
                return _label_value(labels[name])

            return [reference]
        if value.startswith("@"):
            raise reduct_error(422, f"Computed label '{value}' is not supported by the emulator")
        if value.startswith("$$"):
            return [_constant(value[1:])]
        if value.startswith("$"):
            raise reduct_error(422, f"Unknown '$' literal '{value}'; use '$$' to escape a string value")
        return [_constant(value)]
    if isinstance(value, list):
        raise reduct_error(422, f"Array type is not supported: {json.dumps(value)}")
    raise reduct_error(422, f"Null type is not supported: {json.dumps(value)}")


def _operator(name: str, operands: List[_Node]) -> _Node:
    if not name.startswith("$"):
        raise reduct_error(422, f"Operator '{name}' must start with '$'")
    if name in _COMPARISONS:
        if len(operands) != 2:
            raise reduct_error(422, f"Comparison operator '{name}' requires exactly two operands")
        compare = _COMPARISONS[name]
        left, right = operands

        def comparison(labels: Mapping[str, str]) -> bool:
            try:
                return compare(*_comparable(left(labels), right(labels)))
            except TypeError:
                return False

        return comparison
    if name in _ALL:
        return _all_of(operands)
    if name in _ANY:
        return lambda labels: any(node(labels) for node in operands)
    if name in _NONE:
        return lambda labels: not any(node(labels) for node in operands)
    if name in ("$in", "$nin"):
        if len(operands) < 2:
            raise reduct_error(422, f"Operator '{name}' requires at least two operands")
        needle, hay = operands[0], operands[1:]

        def membership(labels: Mapping[str, str]) -> bool:
            value = needle(labels)
            found = False
            for option in hay:
                left, right = _comparable(value, option(labels))
                if left == right:
                    found = True
                    break
            return found if name == "$in" else not found

        return membership
    if name in ("$exists", "$has"):
        return _exists(operands)
    if name == "$limit":
        return _limit(operands)
    raise reduct_error(422, f"Operator '{name}' is not supported by the emulator")


def _exists(operands: List[_Node]) -> _Node:
    def exists(labels: Mapping[str, str]) -> bool:
        for operand in operands:
            try:
                operand(labels)
            except _MissingLabel:
                return False
        return True

    return exists


def _limit(operands: List[_Node]) -> _Node:
    if len(operands) != 1:
        raise reduct_error(422, "$limit requires exactly one operand")
    limit = operands[0]({})
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise reduct_error(422, "$limit requires a non-negative integer")
    passed = itertools.count(1)

    def limiter(labels: Mapping[str, str]) -> bool:
        if next(passed) > limit:
            raise _LimitReached()
        return True

    return limiter


# -- the request body -------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryRequest:
    """A parsed QueryEntry body (docs/reduct-protocol.md §7.1)."""

    query_type: str
    entries: Optional[List[str]] = None
    start: Optional[int] = None
    stop: Optional[int] = None
    ttl: Optional[int] = None
    only_metadata: bool = False
    continuous: bool = False
    when: Optional[Dict[str, Any]] = None
    strict: bool = False
    ext: Optional[Dict[str, Any]] = None

    @property
    def is_empty_remove(self) -> bool:
        return self == QueryRequest("REMOVE")


def parse_query_request(raw: bytes) -> QueryRequest:
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise reduct_error(422, f"Invalid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise reduct_error(422, "Invalid JSON: invalid type: expected struct QueryEntry")
    kind = doc.get("query_type")
    if kind not in ("QUERY", "REMOVE"):
        if kind is None:
            raise reduct_error(422, "Invalid JSON: missing field `query_type`")
        raise reduct_error(422, f"Invalid JSON: unknown variant `{kind}`, expected `QUERY` or `REMOVE`")

    def number(name: str) -> Optional[int]:
        value = doc.get(name)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise reduct_error(422, f"Invalid JSON: invalid value for '{name}': expected u64")
        return value

    def flag(name: str) -> bool:
        value = doc.get(name)
        if value is not None and not isinstance(value, bool):
            raise reduct_error(422, f"Invalid JSON: invalid value for '{name}': expected a boolean")
        return bool(value)

    entries = doc.get("entries")
    if entries is not None and (
        not isinstance(entries, list) or not all(isinstance(e, str) for e in entries)
    ):
        raise reduct_error(422, "Invalid JSON: invalid value for 'entries': expected a sequence of strings")
    when = doc.get("when")
    if when is not None and not isinstance(when, dict):
        raise reduct_error(422, "Invalid JSON: invalid value for 'when': expected a map")
    ext = doc.get("ext")
    if ext is not None:
        raise reduct_error(422, "Extensions ('ext') are not supported by the emulator")
    return QueryRequest(
        query_type=str(kind),
        entries=None if entries is None else list(entries),
        start=number("start"),
        stop=number("stop"),
        ttl=number("ttl"),
        only_metadata=flag("only_metadata"),
        continuous=flag("continuous"),
        when=when,
        strict=flag("strict"),
        ext=None,
    )


def select_entries(names: Sequence[str], patterns: Optional[Sequence[str]]) -> List[str]:
    """The entries a query names: exact names or ``*`` patterns, ``!pattern`` excludes; attachment
    (``$meta``) entries only by their exact name (docs/reduct-protocol.md §7.2)."""
    include = [p for p in patterns or [] if not (p.startswith("!") and len(p) > 1)]
    exclude = [p[1:] for p in patterns or [] if p.startswith("!") and len(p) > 1]
    chosen = []
    for name in names:
        if not include or "*" in include:
            picked = not is_meta_entry(name)
        elif name in include:
            picked = True
        else:
            picked = not is_meta_entry(name) and any(fnmatch.fnmatchcase(name, p) for p in include)
        if picked and not any(p == name or fnmatch.fnmatchcase(name, p) for p in exclude):
            chosen.append(name)
    return chosen


# -- open queries -----------------------------------------------------------------------------


@dataclass
class Query:
    id: int
    bucket: str
    entry: Optional[str]  # the entry of a v1 query (read through that entry only)
    entries: List[str]
    start: int
    stop: int
    condition: Optional[Condition]
    only_metadata: bool
    continuous: bool
    ttl: float
    last_access: float
    cursor: Optional[Tuple[int, str]] = None
    finished: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_batch(
        self, store: RecordStore, head: bool, limit: int = BATCH_MAX_RECORDS
    ) -> Tuple[List[RecordMeta], bool]:
        """The next records (at most ``limit``) and whether the query ran out while collecting
        them (``last``)."""
        with self.lock:
            taken: List[RecordMeta] = []
            size = 0
            metadata = 0
            while not self.finished:
                page = store.scan(self.bucket, self.entries, self.start, self.stop, self.cursor, _PAGE)
                if not page:
                    if not self.continuous:
                        self.finished = True
                    break
                for meta in page:
                    self.cursor = (meta.timestamp, meta.entry)
                    try:
                        if self.condition is not None and not self.condition.matches(meta.labels):
                            continue
                    except _LimitReached:
                        self.finished = True
                        break
                    taken.append(meta)
                    size += meta.size
                    metadata += (
                        40 + len(meta.content_type) + sum(len(k) + len(v) + 2 for k, v in meta.labels.items())
                    )
                    if (
                        len(taken) >= limit
                        or (not head and size > BATCH_MAX_SIZE)
                        or metadata > BATCH_MAX_METADATA
                    ):
                        return taken, False
                if self.continuous and len(page) < _PAGE:
                    break
            return taken, self.finished and bool(taken)


class QueryRegistry:
    """Open queries by id; a query not read for ``ttl`` seconds is gone. Thread-safe."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._queries: Dict[int, Query] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def open(
        self,
        bucket: str,
        entry: Optional[str],
        entries: List[str],
        start: int,
        stop: int,
        request: QueryRequest,
    ) -> Query:
        condition = None if request.when is None else compile_when(request.when, request.strict)
        now = self.clock()
        with self._lock:
            self._expire(now)
            query = Query(
                id=next(self._ids),
                bucket=bucket,
                entry=entry,
                entries=entries,
                start=start,
                stop=stop,
                condition=condition,
                only_metadata=request.only_metadata,
                continuous=request.continuous,
                ttl=float(DEFAULT_TTL if request.ttl is None else request.ttl),
                last_access=now,
            )
            self._queries[query.id] = query
        return query

    def get(self, query_id: int, bucket: str, entry: Optional[str]) -> Query:
        """The open query (its TTL restarts), or 404 with the server's sentence."""
        now = self.clock()
        with self._lock:
            self._expire(now)
            found = self._queries.get(query_id)
            if found is None or found.bucket != bucket or found.entry != entry:
                raise reduct_error(
                    404,
                    f"Query {query_id} not found and it might have expired. Check TTL in your query request.",
                )
            found.last_access = now
            return found

    def _expire(self, now: float) -> None:
        """Forget the queries not read for their TTL (call with the lock held)."""
        for key in [k for k, q in self._queries.items() if now - q.last_access >= q.ttl]:
            del self._queries[key]

    def close(self, query_id: int) -> None:
        with self._lock:
            self._queries.pop(query_id, None)

    def drop_bucket(self, bucket: str) -> None:
        with self._lock:
            for key in [k for k, q in self._queries.items() if q.bucket == bucket]:
                del self._queries[key]

    def __len__(self) -> int:
        with self._lock:
            return len(self._queries)
