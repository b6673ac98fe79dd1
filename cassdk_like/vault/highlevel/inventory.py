"""Vault inventories (the output of an inventory-retrieval job) parsed into typed records.

JSON is the documented shape (docs/vault-protocol.md §1.5): ``VaultQCS`` (``VaultARN`` in Glacier),
``InventoryDate`` and ``ArchiveList``. CSV is under-documented: the page names four of "five"
columns. We read the header row when there is one (so any column order works) and otherwise
assume Glacier's order ``ArchiveId, ArchiveDescription, CreationDate, Size, SHA256TreeHash``.
Nothing is ever run through YAML (the original SDK mangled CSV that way, docs/original-sdk-defects.md #5).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Iterator, List, Mapping, Optional, Sequence, Tuple

import attrs

from cassdk_like.core.exceptions import BadResponseError

__all__ = ["CSV_COLUMNS", "Inventory", "InventoryArchive", "parse_inventory"]

#: the assumed column order of a CSV inventory without a header row
CSV_COLUMNS = ("ArchiveId", "ArchiveDescription", "CreationDate", "Size", "SHA256TreeHash")
_QCS_FIELDS = ("VaultQCS", "VaultARN")


@attrs.frozen(kw_only=True)
class InventoryArchive:
    """One archive as the inventory lists it."""

    archive_id: str
    description: str = ""
    creation_date: Optional[str] = None
    size: int = 0
    tree_hash: Optional[str] = None


@attrs.frozen(kw_only=True)
class Inventory:
    """A parsed inventory; iterate it for the archives.

    ``marker`` is the job's ``InventoryRetrievalParameters.Marker`` once it finished: where the
    next inventory job should start when the listing was cut at ``Limit`` (None: it is complete).
    """

    format: str
    archives: Tuple[InventoryArchive, ...] = ()
    vault_qcs: Optional[str] = None
    inventory_date: Optional[str] = None
    marker: Optional[str] = None

    def __iter__(self) -> Iterator[InventoryArchive]:
        return iter(self.archives)

    def __len__(self) -> int:
        return len(self.archives)

    @property
    def size(self) -> int:
        """Total bytes of the archives listed."""
        return sum(a.size for a in self.archives)


def _bad(reason: str, operation: str, resource: Optional[str]) -> BadResponseError:
    return BadResponseError(f"malformed inventory: {reason}", operation=operation, resource=resource)


def _size(value: Any, operation: str, resource: Optional[str]) -> int:
    text = str(value).strip() if value is not None else ""
    if not text.isdigit():
        raise _bad(f"archive Size {value!r} is not a whole number", operation, resource)
    return int(text)


def _record(entry: Mapping[str, Any], operation: str, resource: Optional[str]) -> InventoryArchive:
    archive_id = entry.get("ArchiveId")
    if not isinstance(archive_id, str) or not archive_id:
        raise _bad(f"an entry has no ArchiveId: {dict(entry)!r}"[:300], operation, resource)
    tree = entry.get("SHA256TreeHash")
    return InventoryArchive(
        archive_id=archive_id,
        description=str(entry.get("ArchiveDescription") or ""),
        creation_date=entry.get("CreationDate") or None,
        size=_size(entry.get("Size"), operation, resource),
        tree_hash=str(tree).lower() if tree else None,
    )


def _parse_json(data: bytes, operation: str, resource: Optional[str]) -> Inventory:
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad(f"not valid JSON ({exc})", operation, resource) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("ArchiveList", []), list):
        raise _bad("expected an object with an ArchiveList array", operation, resource)
    entries = doc.get("ArchiveList") or []
    if not all(isinstance(e, dict) for e in entries):
        raise _bad("ArchiveList entries must be objects", operation, resource)
    qcs = next((doc[f] for f in _QCS_FIELDS if doc.get(f)), None)
    return Inventory(
        format="JSON",
        archives=tuple(_record(e, operation, resource) for e in entries),
        vault_qcs=qcs,
        inventory_date=doc.get("InventoryDate"),
    )


def _columns(first: Sequence[str]) -> Tuple[Tuple[str, ...], bool]:
    """The column names and whether ``first`` was a header row."""
    cleaned = tuple(cell.strip().lstrip("\ufeff") for cell in first)
    if "ArchiveId" in cleaned:
        return cleaned, True
    return CSV_COLUMNS, False


def _parse_csv(data: bytes, operation: str, resource: Optional[str]) -> Inventory:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _bad(f"CSV is not UTF-8 ({exc})", operation, resource) from exc
    rows: List[List[str]] = [row for row in csv.reader(io.StringIO(text, newline="")) if any(row)]
    if not rows:
        return Inventory(format="CSV")
    names, has_header = _columns(rows[0])
    body = rows[1:] if has_header else rows
    records = []
    for number, row in enumerate(body, start=2 if has_header else 1):
        if len(row) > len(names):
            raise _bad(f"row {number} has {len(row)} columns, expected {len(names)}", operation, resource)
        records.append(_record(dict(zip(names, row)), operation, resource))
    return Inventory(format="CSV", archives=tuple(records))


def parse_inventory(
    data: bytes,
    format: Optional[str] = None,
    *,
    marker: Optional[str] = None,
    operation: str = "inventory",
    resource: Optional[str] = None,
) -> Inventory:
    """Parse an inventory document; ``format`` is "JSON" or "CSV" (None: sniffed from the bytes)."""
    fmt = (format or "").strip().upper()
    if fmt not in ("JSON", "CSV"):
        fmt = "JSON" if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{" else "CSV"
    inventory = (
        _parse_json(data, operation, resource) if fmt == "JSON" else _parse_csv(data, operation, resource)
    )
    return attrs.evolve(inventory, marker=marker) if marker else inventory
