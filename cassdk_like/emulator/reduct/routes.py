"""Which operation a request asks for, from its method and path (docs/reduct-protocol.md §2).

Everything lives under ``/api/v1``. Entry names may contain ``/``, so the entry routes take the
rest of the path and peel a trailing ``/batch``, ``/q`` or ``/rename`` off it, as the server does.
"""

from __future__ import annotations

from typing import Dict, FrozenSet, List, Mapping, Optional, Tuple

from cassdk_like.emulator.reduct.errors import reduct_error
from cassdk_like.emulator.service import Route

__all__ = ["API_PREFIX", "OPERATIONS", "route_for"]

API_PREFIX = "/api/v1"

# (method, route shape) -> operation; shapes: "info", "b/{bucket}", "b/{bucket}/{entry}/batch"...
_SERVER: Mapping[Tuple[str, str], str] = {
    ("GET", "info"): "GetInfo",
    ("GET", "list"): "ListBuckets",
    ("GET", "me"): "Me",
    ("GET", "alive"): "Alive",
    ("HEAD", "alive"): "Alive",
    ("GET", "ready"): "Ready",
    ("HEAD", "ready"): "Ready",
    ("GET", "replications"): "ListReplications",
    ("GET", "lifecycles"): "ListLifecycles",
    ("GET", "tokens"): "ListTokens",
}
_TOKEN: Mapping[str, str] = {"GET": "GetToken", "POST": "CreateToken", "DELETE": "RemoveToken"}
_BUCKET: Mapping[str, str] = {
    "GET": "GetBucket",
    "HEAD": "HeadBucket",
    "POST": "CreateBucket",
    "PUT": "UpdateBucket",
    "DELETE": "RemoveBucket",
}
_ENTRY: Mapping[str, str] = {
    "GET": "ReadRecord",
    "HEAD": "ReadRecord",
    "POST": "WriteRecord",
    "PATCH": "UpdateRecord",
    "DELETE": "RemoveEntryOrRecord",
}
_ENTRY_BATCH: Mapping[str, str] = {
    "GET": "ReadBatch",
    "HEAD": "ReadBatch",
    "POST": "WriteBatch",
    "PATCH": "UpdateBatch",
    "DELETE": "RemoveBatch",
}
_IO: Mapping[Tuple[str, str], str] = {
    ("POST", "write"): "IoWrite",
    ("GET", "read"): "IoRead",
    ("HEAD", "read"): "IoRead",
    ("PATCH", "update"): "IoUpdate",
    ("DELETE", "remove"): "IoRemove",
    ("POST", "q"): "IoQuery",
}

OPERATIONS: FrozenSet[str] = frozenset(
    [
        *_SERVER.values(),
        *_TOKEN.values(),
        "RotateToken",
        *_BUCKET.values(),
        "RenameBucket",
        *_ENTRY.values(),
        *_ENTRY_BATCH.values(),
        "EntryQuery",
        "RenameEntry",
        *_IO.values(),
    ]
)


def _not_found() -> Exception:
    return reduct_error(404, "Not found")


def _method_not_allowed() -> Exception:
    return reduct_error(405, "Method not allowed")


def route_for(method: str, path: str) -> Route:
    """The operation of ``method path`` (path percent-decoded), or raise the 404/405 ApiError."""
    if not (path == API_PREFIX or path.startswith(API_PREFIX + "/")):
        raise _not_found()
    parts: List[str] = path[len(API_PREFIX) :].strip("/").split("/") if path != API_PREFIX else []
    if not parts or not parts[0]:
        raise _not_found()
    head = parts[0]
    if len(parts) == 1:
        if (method, head) in _SERVER:
            return Route(_SERVER[(method, head)])
        if any(shape == head for _, shape in _SERVER):
            raise _method_not_allowed()
        raise _not_found()
    if head == "tokens":
        return _token_route(method, parts[1:])
    if head == "b":
        return _bucket_route(method, parts[1:])
    if head == "io" and len(parts) == 3:
        operation = _IO.get((method, parts[2]))
        if operation is None:
            if any(shape == parts[2] for _, shape in _IO):
                raise _method_not_allowed()
            raise _not_found()
        return Route(operation, {"bucket": parts[1]})
    raise _not_found()


def _token_route(method: str, rest: List[str]) -> Route:
    if len(rest) == 1 and rest[0]:
        operation = _TOKEN.get(method)
        if operation is None:
            raise _method_not_allowed()
        return Route(operation, {"token": rest[0]})
    if len(rest) == 2 and rest[1] == "rotate":
        if method != "POST":
            raise _method_not_allowed()
        return Route("RotateToken", {"token": rest[0]})
    raise _not_found()


def _bucket_route(method: str, rest: List[str]) -> Route:
    bucket = rest[0]
    if len(rest) == 1:
        operation = _BUCKET.get(method)
        if operation is None:
            raise _method_not_allowed()
        return Route(operation, {"bucket": bucket})
    if len(rest) == 2 and rest[1] == "rename" and method == "PUT":
        return Route("RenameBucket", {"bucket": bucket})
    entry = "/".join(rest[1:])
    params: Dict[str, str] = {"bucket": bucket, "entry": entry}
    if method == "PUT":
        stripped = _strip(entry, "/rename")
        if stripped is None:
            raise _not_found()
        return Route("RenameEntry", {**params, "entry": stripped})
    batch = _strip(entry, "/batch")
    if batch is not None:
        operation = _ENTRY_BATCH.get(method)
        if operation is None:
            raise _method_not_allowed()
        return Route(operation, {**params, "entry": batch})
    query = _strip(entry, "/q")
    if query is not None and method == "POST":
        return Route("EntryQuery", {**params, "entry": query})
    operation = _ENTRY.get(method)
    if operation is None:
        raise _method_not_allowed()
    return Route(operation, params)


def _strip(entry: str, suffix: str) -> Optional[str]:
    if entry.endswith(suffix) and len(entry) > len(suffix):
        return entry[: -len(suffix)]
    return None
