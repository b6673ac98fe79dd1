"""What finishing a job does, per job type: cut the archive range, write the inventory, copy to or
from the COS stand-in. Each function returns the fields to update and the output blob, or raises
:class:`JobFailure` with the StatusMessage the job should end with.
"""

from __future__ import annotations

import csv
import email.utils
import io
import json
from dataclasses import dataclass
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from cassdk_like.core.integrity import MiB, combine_tree_hashes
from cassdk_like.emulator.cas.cos import CosObject, CosStore
from cassdk_like.emulator.cas.store import Store
from cassdk_like.emulator.cas.util import iso_ms, iso_s, parse_iso_date
from cassdk_like.emulator.db import Database

__all__ = ["CSV_COLUMNS", "Finisher", "JobFailure"]

#: the CSV inventory columns (the page names four of "five"; the fifth is Glacier's SHA256TreeHash)
CSV_COLUMNS = ("ArchiveId", "ArchiveDescription", "CreationDate", "Size", "SHA256TreeHash")

Result = Tuple[Dict[str, Any], Optional[str]]


class JobFailure(Exception):
    """The job ends Failed with this message."""


@dataclass
class Finisher:
    """Runs the type-specific end of a job against the stores."""

    db: Database
    store: Store
    cos: CosStore
    qcs: Callable[[str, str], Tuple[str, str]]  # (vault, dialect) -> (field name, value)

    def finish(self, vault: str, doc: Mapping[str, Any], now: float) -> Result:
        kind = doc["_type"]
        if kind == "archive-retrieval":
            return self._archive(vault, doc)
        if kind == "inventory-retrieval":
            return self._inventory(vault, doc, now)
        if kind == "push-to-cos":
            return self._push(vault, doc)
        return self._pull(vault, doc)

    def _live_blob(self, vault: str, archive_id: str) -> Tuple[str, int]:
        archive = self.store.archive(vault, archive_id)
        if archive.deleted or archive.blob is None:
            raise JobFailure(f"archive {archive_id} was deleted before the job completed")
        return archive.blob, archive.size

    def _archive(self, vault: str, doc: Mapping[str, Any]) -> Result:
        blob, size = self._live_blob(vault, doc["ArchiveId"])
        start, end = int(doc["_start"]), int(doc["_end"])
        try:
            token = self.db.slice(blob, start, end - start + 1, size)
        except FileNotFoundError as exc:
            raise JobFailure(f"archive {doc['ArchiveId']} was deleted before the job completed") from exc
        updates: Dict[str, Any] = {}
        if doc["_aligned"] and doc["SHA256TreeHash"] is None:
            leaves = self.db.read_leaves(token, 0, -(-(end - start + 1) // MiB))
            updates["SHA256TreeHash"] = combine_tree_hashes(leaves)
        return updates, token

    def _inventory(self, vault: str, doc: Mapping[str, Any], now: float) -> Result:
        params = dict(doc["InventoryRetrievalParameters"])
        start = parse_iso_date(params["StartDate"], "StartDate") if params.get("StartDate") else None
        end = parse_iso_date(params["EndDate"], "EndDate") if params.get("EndDate") else None
        limit = int(params["Limit"]) if params.get("Limit") else 10000
        archives, following = self.store.inventory(vault, start, end, params.get("Marker"), limit)
        entries = [
            {
                "ArchiveId": a.archive_id,
                "ArchiveDescription": a.description or "",
                "CreationDate": iso_ms(a.created),
                "Size": a.size,
                "SHA256TreeHash": a.tree_hash,
            }
            for a in archives
        ]
        if params["Format"] == "CSV":
            text = io.StringIO()
            writer = csv.writer(text, lineterminator="\r\n")
            writer.writerow(CSV_COLUMNS)
            writer.writerows([[e[c] for c in CSV_COLUMNS] for e in entries])
            data = text.getvalue().encode("utf-8")
        else:
            field, qcs = self.qcs(vault, doc["_dialect"])
            document = {field: qcs, "InventoryDate": iso_s(now), "ArchiveList": entries}
            data = json.dumps(document, indent=1).encode("utf-8")
        blob = self.db.write_small(data)
        params["Marker"] = following
        return {"InventorySizeInBytes": len(data), "InventoryRetrievalParameters": params}, blob.token

    def _push(self, vault: str, doc: Mapping[str, Any]) -> Result:
        blob, _ = self._live_blob(vault, doc["ArchiveId"])
        start, end = int(doc["_start"]), int(doc["_end"])
        try:
            with open(self.db.path(blob), "rb") as source:
                source.seek(start)
                self.cos.put_stream(doc["Bucket"], doc["Object"], source.read, end - start + 1)
        except FileNotFoundError as exc:
            raise JobFailure(f"archive {doc['ArchiveId']} was deleted before the job completed") from exc
        return {}, None

    def _pull(self, vault: str, doc: Mapping[str, Any]) -> Result:
        obj = self.cos.head(doc["Bucket"], doc["Object"])
        if obj is None:
            raise JobFailure(
                f"NoSuchKey: object {doc['Object']!r} does not exist in bucket {doc['Bucket']!r}"
            )
        _check_condition(obj, doc.get("Condition") or {})
        first, last = (int(x) for x in str(doc["Range"]).split("-"))
        if last >= obj.size:
            raise JobFailure(
                f"InvalidRange: Range {doc['Range']} is past the object's end ({obj.size} bytes)"
            )
        with self.cos.open(obj) as source:
            source.seek(first)
            stored = self.db.spool(source.read, last - first + 1)
        archive_id = self.store.add_archive(vault, stored, doc.get("ArchiveDescription"), obj.modified)
        return {"ArchiveId": archive_id, "ArchiveSizeInBytes": stored.size}, None


def _moment(value: str) -> float:
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        try:
            return parse_iso_date(value, "Condition")
        except Exception as exc:
            raise JobFailure(f"InvalidArgument: cannot read the date {value!r} in Condition") from exc


def _check_condition(obj: CosObject, condition: Mapping[str, Any]) -> None:
    """The COS preconditions; both spellings of If-Unmodified-Since work (docs/vault-protocol.md §1.4)."""
    etag = obj.etag.strip('"')
    if "If-Match" in condition and str(condition["If-Match"]).strip('"') != etag:
        raise JobFailure("PreconditionFailed: If-Match does not match the object's ETag")
    if "If-None-Match" in condition and str(condition["If-None-Match"]).strip('"') == etag:
        raise JobFailure("PreconditionFailed: If-None-Match matches the object's ETag")
    if "If-Modified-Since" in condition and obj.modified <= _moment(str(condition["If-Modified-Since"])):
        raise JobFailure("PreconditionFailed: the object was not modified since If-Modified-Since")
    for key in ("If-Unmodified-Since", "If-Umodified-Since"):
        if key in condition and obj.modified > _moment(str(condition[key])):
            raise JobFailure(f"PreconditionFailed: the object was modified after {key}")
