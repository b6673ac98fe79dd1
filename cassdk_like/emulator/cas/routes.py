"""URL routing: (method, path, query) -> operation name and path parameters, for both dialects.

Both dialects share the paths of docs/vault-protocol.md §1 (``/<uid>/vaults/...``); only headers differ.
Named groups carry the parameters, so no handler re-splits the path.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Pattern, Tuple

from cassdk_like.emulator.cas.errors import invalid_value, not_found
from cassdk_like.emulator.errors import ApiError
from cassdk_like.emulator.service import Route

__all__ = ["OPERATION_NAMES", "match_route"]

_SEG = r"[^/]+"
_V = rf"/(?P<uid>{_SEG})/vaults/(?P<vault>{_SEG})"

_TABLE: List[Tuple[Pattern[str], Dict[str, str]]] = [
    (re.compile(rf"/(?P<uid>{_SEG})/vaults"), {"GET": "ListVaults"}),
    (re.compile(_V), {"PUT": "CreateVault", "GET": "DescribeVault", "DELETE": "DeleteVault"}),
    (
        re.compile(_V + "/access-policy"),
        {"GET": "GetVaultAccessPolicy", "PUT": "SetVaultAccessPolicy", "DELETE": "DeleteVaultAccessPolicy"},
    ),
    (
        re.compile(_V + "/notification-configuration"),
        {
            "GET": "GetVaultNotifications",
            "PUT": "SetVaultNotifications",
            "DELETE": "DeleteVaultNotifications",
        },
    ),
    (
        re.compile(_V + "/lock-policy"),
        {"POST": "InitiateVaultLock", "GET": "GetVaultLock", "DELETE": "AbortVaultLock"},
    ),
    (re.compile(_V + rf"/lock-policy/(?P<lock_id>{_SEG})"), {"POST": "CompleteVaultLock"}),
    (re.compile(_V + "/tags"), {"POST": "AddOrRemoveTags", "GET": "ListTagsForVault"}),
    (re.compile(_V + "/archives"), {"POST": "UploadArchive"}),
    (re.compile(_V + rf"/archives/(?P<archive_id>{_SEG})"), {"DELETE": "DeleteArchive"}),
    (
        re.compile(_V + "/multipart-uploads"),
        {"POST": "InitiateMultipartUpload", "GET": "ListMultipartUploads"},
    ),
    (
        re.compile(_V + rf"/multipart-uploads/(?P<upload_id>{_SEG})"),
        {
            "PUT": "UploadMultipartPart",
            "POST": "CompleteMultipartUpload",
            "DELETE": "AbortMultipartUpload",
            "GET": "ListParts",
        },
    ),
    (re.compile(_V + "/jobs"), {"POST": "InitiateJob", "GET": "ListJobs"}),
    (re.compile(_V + rf"/jobs/(?P<job_id>{_SEG})"), {"GET": "DescribeJob"}),
    (re.compile(_V + rf"/jobs/(?P<job_id>{_SEG})/output"), {"GET": "GetJobOutput"}),
]


def match_route(method: str, path: str, query: Dict[str, str]) -> Route:
    """Find the operation, or refuse: 404 for an unknown path, 400 for a wrong method."""
    for pattern, methods in _TABLE:
        found = pattern.fullmatch(path)
        if found is None:
            continue
        operation: Optional[str] = methods.get(method)
        if operation is None:
            raise ApiError(
                "BadRequest", f"{method} is not supported on {path}; use one of {sorted(methods)}", status=405
            )
        if operation == "AddOrRemoveTags":
            operation = _tags_operation(query.get("operation"))
        return Route(operation, {k: v for k, v in found.groupdict().items() if v is not None})
    raise not_found(f"no such resource: {path} (paths start with /<appid or ->/vaults)")


#: every operation name match_route can return
OPERATION_NAMES = frozenset(
    ({op for _pattern, methods in _TABLE for op in methods.values()} - {"AddOrRemoveTags"})
    | {"AddTagsToVault", "RemoveTagsFromVault"}
)


def _tags_operation(value: Optional[str]) -> str:
    if value == "add":
        return "AddTagsToVault"
    if value == "remove":
        return "RemoveTagsFromVault"
    raise invalid_value(f"POST .../tags needs ?operation=add or ?operation=remove, got {value!r}")
