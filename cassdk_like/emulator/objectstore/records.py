"""The bucket services' stored records and their tables (one set of tables, a ``realm`` per service).

Why one schema with a realm column: S3 and COS keep separate namespaces (a bucket made through one
service does not exist in the other) while sharing every line of storage code. Rows keep the
queried fields as columns and the rest as one JSON document.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Tuple

__all__ = [
    "REFERENCED_BLOBS",
    "SCHEMA",
    "BucketRecord",
    "ObjectRecord",
    "PartRecord",
    "UploadRecord",
]

SCHEMA = """
CREATE TABLE IF NOT EXISTS os_buckets(
    realm TEXT NOT NULL, name TEXT NOT NULL, region TEXT NOT NULL, created REAL NOT NULL,
    PRIMARY KEY(realm, name));
CREATE TABLE IF NOT EXISTS os_objects(
    realm TEXT NOT NULL, bucket TEXT NOT NULL, key TEXT NOT NULL, size INTEGER NOT NULL,
    etag TEXT NOT NULL, blob TEXT NOT NULL, modified REAL NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY(realm, bucket, key));
CREATE TABLE IF NOT EXISTS os_uploads(
    upload_id TEXT PRIMARY KEY, realm TEXT NOT NULL, bucket TEXT NOT NULL, key TEXT NOT NULL,
    initiated REAL NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS os_uploads_by_key ON os_uploads(realm, bucket, key, initiated);
CREATE TABLE IF NOT EXISTS os_parts(
    upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, size INTEGER NOT NULL,
    etag TEXT NOT NULL, blob TEXT NOT NULL, modified REAL NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY(upload_id, part_number));
"""

#: every blob token the tables refer to (the start-up sweep keeps these)
REFERENCED_BLOBS = "SELECT blob FROM os_objects UNION ALL SELECT blob FROM os_parts"


@dataclass(frozen=True)
class BucketRecord:
    name: str
    region: str
    created: float


@dataclass(frozen=True)
class ObjectRecord:
    """One stored object. ``etag`` is unquoted; ``headers`` are the stored representation headers
    (lower-case names: cache-control, content-disposition, ...); ``metadata`` the user metadata
    without its prefix; ``checksums`` algorithm -> base64 value; ``part_sizes`` is empty for an
    object written in one request."""

    bucket: str
    key: str
    size: int
    etag: str
    blob: str
    modified: float
    content_type: str
    headers: Dict[str, str] = field(default_factory=dict)
    metadata: Dict[str, str] = field(default_factory=dict)
    checksums: Dict[str, str] = field(default_factory=dict)
    checksum_type: str = ""
    tags: List[Tuple[str, str]] = field(default_factory=list)
    part_sizes: List[int] = field(default_factory=list)
    crc64: Optional[int] = None
    storage_class: str = "STANDARD"

    def doc(self) -> str:
        fields = asdict(self)
        for name in ("bucket", "key", "size", "etag", "blob", "modified"):
            del fields[name]
        return json.dumps(fields)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> ObjectRecord:
        doc = _load(row["doc"])
        doc["tags"] = [tuple(pair) for pair in doc.get("tags", [])]
        return cls(row["bucket"], row["key"], row["size"], row["etag"], row["blob"], row["modified"], **doc)


@dataclass(frozen=True)
class UploadRecord:
    """A multipart upload in progress and what the object will carry once completed."""

    upload_id: str
    bucket: str
    key: str
    initiated: float
    content_type: str
    headers: Dict[str, str] = field(default_factory=dict)
    metadata: Dict[str, str] = field(default_factory=dict)
    tags: List[Tuple[str, str]] = field(default_factory=list)
    checksum_algorithm: str = ""
    checksum_type: str = ""
    storage_class: str = "STANDARD"

    def doc(self) -> str:
        fields = asdict(self)
        for name in ("upload_id", "bucket", "key", "initiated"):
            del fields[name]
        return json.dumps(fields)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> UploadRecord:
        doc = _load(row["doc"])
        doc["tags"] = [tuple(pair) for pair in doc.get("tags", [])]
        return cls(row["upload_id"], row["bucket"], row["key"], row["initiated"], **doc)


@dataclass(frozen=True)
class PartRecord:
    upload_id: str
    part_number: int
    size: int
    etag: str
    blob: str
    modified: float
    checksums: Dict[str, str] = field(default_factory=dict)
    crc64: Optional[int] = None

    def doc(self) -> str:
        return json.dumps({"checksums": self.checksums, "crc64": self.crc64})

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> PartRecord:
        doc = _load(row["doc"])
        return cls(
            row["upload_id"],
            row["part_number"],
            row["size"],
            row["etag"],
            row["blob"],
            row["modified"],
            doc.get("checksums", {}),
            doc.get("crc64"),
        )


def _load(text: str) -> Dict[str, Any]:
    doc = json.loads(text)
    if not isinstance(doc, dict):
        raise ValueError("a stored record document is not an object")
    return doc
