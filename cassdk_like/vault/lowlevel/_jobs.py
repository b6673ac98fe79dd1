"""Job operations (docs/vault-protocol.md §1.4): initiate the four job types, describe, list, get output.

``initiate_job`` keeps the original SDK's positional parameters and adds the fields it lacked
(``Format``, ``CallBackUrl``, pull-from-cos) as keywords. A parameter that a job type does not use is
refused rather than silently dropped, so a mistyped call fails before anything is sent.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

from cassdk_like.core.byterange import ByteRange, ByteRangeLike
from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.core.http.response import HttpResponse
from cassdk_like.vault.dialect import VaultDialect
from cassdk_like.vault.lowlevel._base import ClientCore, Target
from cassdk_like.vault.lowlevel._vaults import paging_query
from cassdk_like.vault.lowlevel.validation import (
    bool_text,
    check_description,
    check_id,
    check_text,
    date_text,
    positive_int,
)

__all__ = ["JOB_PARAMETERS", "JobOps"]

DateLike = Union[str, _dt.datetime, _dt.date]

#: which ``initiate_job`` parameters each job type takes, and which of those it requires
JOB_PARAMETERS: Dict[str, Tuple[Tuple[str, ...], Tuple[str, ...]]] = {
    "archive-retrieval": (("archive_id", "desc", "byte_range", "tier", "callback_url"), ("archive_id",)),
    "inventory-retrieval": (
        ("desc", "format", "marker", "limit", "start_date", "end_date", "callback_url"),
        (),
    ),
    "push-to-cos": (
        ("archive_id", "desc", "byte_range", "tier", "callback_url", "bucket_endpoint", "object_name"),
        ("archive_id", "bucket_endpoint", "object_name"),
    ),
    "pull-from-cos": (
        ("desc", "byte_range", "callback_url", "bucket_endpoint", "object_name", "condition", "archive_desc"),
        ("bucket_endpoint", "object_name", "byte_range"),
    ),
}
_TIERS = {"expedited": "Expedited", "standard": "Standard", "bulk": "Bulk"}
_FORMATS = ("CSV", "JSON")
_STATUS_CODES = ("InProgress", "Succeeded", "Failed")


def _fail(target: Target, message: str) -> InvalidArgumentError:
    return InvalidArgumentError(message, operation=target.operation, resource=target.resource)


def _choice(target: Target, value: Any, what: str, choices: Mapping[str, str]) -> str:
    """Case-insensitive match against the documented spellings."""
    found = choices.get(value.strip().lower()) if isinstance(value, str) else None
    if found is None:
        raise _fail(target, f"invalid {what} {value!r}: expected one of {sorted(set(choices.values()))}")
    return found


def _text(target: Target, value: Any, what: str) -> str:
    return check_text(value, what, target.operation, target.resource)


def _check_parameters(dialect: VaultDialect, target: Target, job_type: Any, args: Mapping[str, Any]) -> None:
    if job_type not in dialect.job_types:
        raise _fail(
            target,
            f"job type {job_type!r} is not offered by {dialect.name}; use one of {sorted(dialect.job_types)}",
        )
    allowed, required = JOB_PARAMETERS[job_type]
    unused = sorted(k for k, v in args.items() if v is not None and k not in allowed)
    if unused:
        raise _fail(target, f"{job_type} jobs do not take {', '.join(unused)}")
    missing = [k for k in required if args.get(k) is None]
    if missing:
        raise _fail(target, f"{job_type} jobs require {', '.join(missing)}")


def _inventory_parameters(target: Target, args: Mapping[str, Any]) -> Dict[str, str]:
    """``InventoryRetrievalParameters``; ``Limit`` is a string on the wire (docs/vault-protocol.md §1.4)."""
    op, res = target.operation, target.resource
    params: Dict[str, str] = {}
    if args["start_date"] is not None:
        params["StartDate"] = date_text(args["start_date"], "start_date", op, res)
    if args["end_date"] is not None:
        params["EndDate"] = date_text(args["end_date"], "end_date", op, res)
    if args["limit"] is not None:
        params["Limit"] = str(positive_int(args["limit"], "limit", op, res))
    if args["marker"] is not None:
        params["Marker"] = _text(target, args["marker"], "marker")
    return params


def _condition(target: Target, value: Any) -> Dict[str, str]:
    """pull-from-cos ``Condition``: If-* headers as an object (the page says Array; its sample is not)."""
    if not isinstance(value, Mapping) or not value:
        raise _fail(
            target, f"condition must be a non-empty dict such as {{'If-Match': '...'}}, got {value!r}"
        )
    return {str(k): str(v) for k, v in value.items()}


def job_body(dialect: VaultDialect, target: Target, job_type: str, args: Mapping[str, Any]) -> Dict[str, Any]:
    """The Initiate Job JSON body for one of the four shapes of docs/vault-protocol.md §1.4."""
    _check_parameters(dialect, target, job_type, args)
    op, res = target.operation, target.resource
    converters: List[Tuple[str, str, Callable[[Any], Any]]] = [
        ("archive_id", "ArchiveId", lambda v: check_id(v, "archive", op, res)),
        ("desc", "Description", lambda v: check_description(v, op, res)),
        ("bucket_endpoint", "Bucket", lambda v: _text(target, v, "bucket_endpoint")),
        ("object_name", "Object", lambda v: _text(target, v, "object_name")),
        (
            "byte_range",
            "Range" if job_type == "pull-from-cos" else "RetrievalByteRange",
            lambda v: str(ByteRange.parse(v, operation=op, resource=res)),
        ),
        ("tier", "Tier", lambda v: _choice(target, v, "tier", _TIERS)),
        ("format", "Format", lambda v: _choice(target, v, "format", {f.lower(): f for f in _FORMATS})),
        ("callback_url", dialect.callback_field, lambda v: _text(target, v, "callback_url")),
        ("condition", "Condition", lambda v: _condition(target, v)),
        ("archive_desc", "ArchiveDescription", lambda v: check_description(v, op, res)),
    ]
    body: Dict[str, Any] = {"Type": job_type}
    for arg, field, convert in converters:
        value = args.get(arg)
        converted = None if value is None else convert(value)
        if converted is not None:
            body[field] = converted
    if job_type == "inventory-retrieval":
        params = _inventory_parameters(target, args)
        if params:
            body["InventoryRetrievalParameters"] = params
    return body


class JobOps(ClientCore):
    """Job operations of ``CASClient``."""

    def initiate_job(
        self,
        vault_name: str,
        job_type: str,
        archive_id: Optional[str] = None,
        desc: Optional[str] = None,
        byte_range: Optional[ByteRangeLike] = None,
        tier: Optional[str] = None,
        marker: Optional[str] = None,
        limit: Optional[Union[int, str]] = None,
        start_date: Optional[DateLike] = None,
        end_date: Optional[DateLike] = None,
        bucket_endpoint: Optional[str] = None,
        object_name: Optional[str] = None,
        *,
        format: Optional[str] = None,
        callback_url: Optional[str] = None,
        condition: Optional[Mapping[str, str]] = None,
        archive_desc: Optional[str] = None,
    ) -> HttpResponse:
        """Initiate Job of type archive-retrieval, inventory-retrieval, push-to-cos or pull-from-cos.

        ``byte_range`` is ``RetrievalByteRange`` for retrieval and push jobs and the source ``Range``
        for pull-from-cos. The job id comes back in ``x-cas-job-id`` (glacier: ``x-amz-job-id``).
        """
        target = self._target("initiate_job", vault_name)
        args = {
            "archive_id": archive_id, "desc": desc, "byte_range": byte_range, "tier": tier,
            "marker": marker, "limit": limit, "start_date": start_date, "end_date": end_date,
            "bucket_endpoint": bucket_endpoint, "object_name": object_name, "format": format,
            "callback_url": callback_url, "condition": condition, "archive_desc": archive_desc,
        }  # fmt: skip
        body = job_body(self._dialect, target, job_type, args)
        return self._send(target, "POST", "/jobs", json_body=body)

    def describe_job(self, vault_name: str, job_id: str) -> HttpResponse:
        """Describe Job: the job object of docs/vault-protocol.md §1.4."""
        return self._send(self._target("describe_job", vault_name, "job", job_id), "GET")

    def get_job_output(
        self,
        vault_name: str,
        job_id: str,
        byte_range: Optional[ByteRangeLike] = None,
        *,
        stream: bool = True,
        orange: Optional[str] = None,
    ) -> HttpResponse:
        """Get Job Output, optionally one output-relative range (``Range: bytes=a-b``, 206).

        ``orange`` is the original SDK's keyword: the ``Range`` value ``"bytes=a-b"`` (or ``"a-b"``).
        With ``stream=True`` the body is left unread: read it from the returned response and close it.
        """
        target = self._target("get_job_output", vault_name, "job", job_id)
        if orange is not None:
            if byte_range is not None:
                raise _fail(target, "give byte_range or orange (the original SDK's name), not both")
            byte_range = orange.removeprefix("bytes=") if isinstance(orange, str) else orange
        headers: Dict[str, str] = {}
        if byte_range is not None:
            part = ByteRange.parse(byte_range, operation=target.operation, resource=target.resource)
            headers["Range"] = part.to_header()
        return self._send(target, "GET", "/output", headers=headers, stream=stream)

    def list_jobs(
        self,
        vault_name: str,
        completed: Optional[Union[bool, str]] = None,
        marker: Optional[str] = None,
        limit: Optional[Union[int, str]] = None,
        status_code: Optional[str] = None,
    ) -> HttpResponse:
        """List Jobs: one page; ``completed`` is sent as true/false, ``status_code`` as ``statuscode``."""
        target = self._target("list_jobs", vault_name)
        query: List[Tuple[str, str]] = []
        if completed is not None:
            query.append(("completed", bool_text(completed, "completed", target.operation, target.resource)))
        query.extend(paging_query(target, marker, limit))
        if status_code is not None:
            codes = {code.lower(): code for code in _STATUS_CODES}
            query.append(("statuscode", _choice(target, status_code, "status_code", codes)))
        return self._send(target, "GET", "/jobs", query=query)
