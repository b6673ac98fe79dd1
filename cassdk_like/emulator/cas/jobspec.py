"""Initiate Job bodies (docs/vault-protocol.md §1.4), checked strictly, turned into job documents.

Why strict: a misspelt optional field (``Retrievalbyterange``) would otherwise be ignored silently and
the client would retrieve the whole archive; the emulator names unknown fields instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Tuple

from cassdk_like.core.integrity import MiB, is_tree_aligned
from cassdk_like.emulator.cas.errors import invalid_value, missing_value
from cassdk_like.emulator.cas.store import Archive, Store
from cassdk_like.emulator.cas.util import (
    check_description,
    iso_ms,
    parse_iso_date,
    parse_range_value,
    require_str,
)

__all__ = ["ACTIONS", "EVENTS", "JobRules", "parse_job_request"]

#: job Type -> (Action, notification event)
ACTIONS = {
    "archive-retrieval": ("ArchiveRetrieval", "ArchiveRetrievalCompleted"),
    "inventory-retrieval": ("InventoryRetrieval", "InventoryRetrievalCompleted"),
    "push-to-cos": ("PushToCOS", "PushToCOSCompleted"),
    "pull-from-cos": ("PullFromCOS", "PullFromCOSCompleted"),
}
EVENTS = frozenset(event for _, event in ACTIONS.values())
TIERS = ("Expedited", "Standard", "Bulk")

_FIELDS = {
    "archive-retrieval": {"Type", "ArchiveId", "Description", "RetrievalByteRange", "Tier"},
    "inventory-retrieval": {"Type", "Description", "Format", "InventoryRetrievalParameters"},
    "push-to-cos": {"Type", "ArchiveId", "Bucket", "Object", "Description", "RetrievalByteRange", "Tier"},
    "pull-from-cos": {"Type", "Bucket", "Object", "Range", "Condition", "ArchiveDescription", "Description"},
}
_CONDITION_KEYS = {
    "If-Modified-Since",
    "If-Unmodified-Since",
    "If-Umodified-Since",
    "If-Match",
    "If-None-Match",
}
_INVENTORY_KEYS = {"StartDate", "EndDate", "Limit", "Marker"}


@dataclass(frozen=True)
class JobRules:
    """The knobs that decide job timing and limits (from the Emulator's options)."""

    tier_delays: Mapping[str, float]
    scale: float
    expedited_max_bytes: Optional[int]
    callback_field: str  # "CallBackUrl" (cas) or "SNSTopic" (glacier)
    cos_jobs: bool  # the glacier dialect has no COS job types


def parse_job_request(
    body: Mapping[str, Any], *, vault: str, store: Store, rules: JobRules, job_id: str, now: float
) -> Tuple[Dict[str, Any], float]:
    """Validate a request body; return the job document and its delay in seconds."""
    job_type = require_str(body, "Type")
    if job_type not in ACTIONS or (not rules.cos_jobs and job_type in ("push-to-cos", "pull-from-cos")):
        allowed = sorted(ACTIONS) if rules.cos_jobs else ["archive-retrieval", "inventory-retrieval"]
        raise invalid_value(f"unknown job Type {job_type!r}; expected one of {allowed}")
    allowed_fields = _FIELDS[job_type] | {rules.callback_field}
    unknown = sorted(set(body) - allowed_fields)
    if unknown:
        raise invalid_value(
            f"unknown field(s) {unknown} for a {job_type} job; expected some of {sorted(allowed_fields)}"
        )
    action, _ = ACTIONS[job_type]
    doc: Dict[str, Any] = {
        "Action": action,
        "JobId": job_id,
        "JobDescription": check_description(require_str(body, "Description", required=False), "Description"),
        "CallBackUrl": _callback(body.get(rules.callback_field), rules.callback_field),
        "CreationDate": iso_ms(now),
        "CompletionDate": None,
        "Completed": False,
        "StatusCode": "InProgress",
        "StatusMessage": None,
        "_type": job_type,
    }
    if job_type == "inventory-retrieval":
        doc.update(_inventory(body))
        return doc, rules.tier_delays["Standard"] * rules.scale
    if job_type == "pull-from-cos":
        doc.update(_pull(body))
        return doc, rules.tier_delays["Expedited"] * rules.scale
    tier = _tier(body.get("Tier"))
    doc.update(_retrieval(body, store.archive(vault, str(require_str(body, "ArchiveId"))), tier, rules))
    if job_type == "push-to-cos":
        doc["Bucket"] = require_str(body, "Bucket")
        doc["Object"] = require_str(body, "Object")
        del doc["SHA256TreeHash"], doc["ArchiveSHA256TreeHash"]
    return doc, rules.tier_delays[tier] * rules.scale


def _callback(value: Any, field: str) -> Optional[str]:
    """CallBackUrl must be http(s); Glacier's SNSTopic is kept as given (only URLs get a POST)."""
    if value is None:
        return None
    if field == "SNSTopic" and isinstance(value, str) and value:
        return value
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise invalid_value(f"{field} must be an http:// or https:// URL")
    return value


def _tier(value: Any) -> str:
    if value is None:
        return "Standard"
    if value not in TIERS:
        raise invalid_value(f"Tier must be one of {list(TIERS)}, got {value!r}")
    return str(value)


def _retrieval(body: Mapping[str, Any], archive: Archive, tier: str, rules: JobRules) -> Dict[str, Any]:
    """The archive-retrieval / push-to-cos fields and their MiB alignment (docs/vault-protocol.md §3.4)."""
    size = archive.size
    start, end = 0, size - 1
    raw = body.get("RetrievalByteRange")
    if raw is not None:
        start, end = parse_range_value(raw, "RetrievalByteRange")
        if end >= size:
            raise invalid_value(f"RetrievalByteRange {raw!r} ends past the archive's last byte ({size - 1})")
        if start % MiB or ((end + 1) % MiB and end != size - 1):
            raise invalid_value(
                f"RetrievalByteRange {raw!r} is not megabyte-aligned: the start must be a multiple of"
                " 1048576 and the end + 1 a multiple of 1048576 or the archive size"
            )
    if tier == "Expedited" and rules.expedited_max_bytes is not None and size > rules.expedited_max_bytes:
        raise invalid_value(
            f"the Expedited tier is only for archives of at most {rules.expedited_max_bytes} bytes"
            f" (this archive has {size}); use Standard or Bulk"
        )
    whole = start == 0 and end == size - 1
    return {
        "ArchiveId": archive.archive_id,
        "ArchiveSizeInBytes": size,
        "ArchiveSHA256TreeHash": archive.tree_hash,
        "RetrievalByteRange": f"{start}-{end}",
        "SHA256TreeHash": archive.tree_hash if whole else None,
        "Tier": tier,
        "_start": start,
        "_end": end,
        "_aligned": whole or is_tree_aligned(start, end, size),
    }


def _inventory(body: Mapping[str, Any]) -> Dict[str, Any]:
    fmt = body.get("Format", "JSON")
    if fmt not in ("JSON", "CSV"):
        raise invalid_value(f"Format must be 'JSON' or 'CSV', got {fmt!r}")
    params = body.get("InventoryRetrievalParameters") or {}
    if not isinstance(params, dict):
        raise invalid_value("InventoryRetrievalParameters must be an object")
    unknown = sorted(set(params) - _INVENTORY_KEYS)
    if unknown:
        raise invalid_value(f"unknown InventoryRetrievalParameters field(s) {unknown}")
    limit = params.get("Limit")
    if limit is not None:
        text = str(limit) if isinstance(limit, (str, int)) and not isinstance(limit, bool) else ""
        if not text.isdigit() or not 1 <= int(text) <= 10000:
            raise invalid_value(f"InventoryRetrievalParameters.Limit must be '1'..'10000', got {limit!r}")
    for key in ("StartDate", "EndDate"):
        if params.get(key) is not None:
            parse_iso_date(params[key], f"InventoryRetrievalParameters.{key}")
    marker = params.get("Marker")
    if marker is not None and not isinstance(marker, str):
        raise invalid_value("InventoryRetrievalParameters.Marker must be a string")
    return {
        "InventorySizeInBytes": 0,
        "InventoryRetrievalParameters": {
            "Format": fmt,
            "StartDate": params.get("StartDate"),
            "EndDate": params.get("EndDate"),
            "Limit": None if limit is None else str(limit),
            "Marker": marker,
        },
    }


def _pull(body: Mapping[str, Any]) -> Dict[str, Any]:
    start, end = parse_range_value(require_str(body, "Range"), "Range")
    condition = body.get("Condition")
    if condition is not None and (not isinstance(condition, dict) or set(condition) - _CONDITION_KEYS):
        raise invalid_value(f"Condition must be an object with keys from {sorted(_CONDITION_KEYS)}")
    bucket, key = require_str(body, "Bucket"), require_str(body, "Object")
    if not bucket or not key:
        raise missing_value("a pull-from-cos job needs a non-empty Bucket and Object")
    return {
        "ArchiveId": None,
        "ArchiveSizeInBytes": None,
        "Bucket": bucket,
        "Object": key,
        "Range": f"{start}-{end}",
        "Condition": condition,
        "ArchiveDescription": check_description(
            require_str(body, "ArchiveDescription", required=False), "ArchiveDescription"
        ),
    }
