"""Buckets, entries and records on disk: an index in the shared sqlite database and one blob
file per record body (docs/reduct-protocol.md §5).

A record is indexed before its body arrives (state ``writing``: reads answer 425, a second write
of the same time 409) and becomes ``ready`` once the body is in its blob. A removed bucket is
marked ``DELETING`` and dropped by the service's background sweep shortly after.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from cassdk_like.emulator.db import Database
from cassdk_like.emulator.reduct.errors import reduct_error

__all__ = [
    "DEFAULT_SETTINGS",
    "MAX_TIMESTAMP",
    "U64_MAX",
    "BucketSettings",
    "RecordMeta",
    "RecordStore",
    "Reservation",
    "check_bucket_name",
    "check_entry_name",
]

U64_MAX = 2**64 - 1
#: the largest timestamp the index holds (sqlite integers are signed 64-bit)
MAX_TIMESTAMP = 2**63 - 1
QUOTA_TYPES = ("NONE", "FIFO", "HARD")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rs_buckets(
    name TEXT PRIMARY KEY,
    quota_type TEXT NOT NULL,
    quota_size INTEGER NOT NULL,
    max_block_size INTEGER NOT NULL,
    max_block_records INTEGER NOT NULL,
    status TEXT NOT NULL,
    delete_after REAL
);
CREATE TABLE IF NOT EXISTS rs_entries(
    bucket TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY(bucket, name)
);
CREATE TABLE IF NOT EXISTS rs_records(
    bucket TEXT NOT NULL,
    entry TEXT NOT NULL,
    ts INTEGER NOT NULL,
    size INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    labels TEXT NOT NULL,
    blob TEXT,
    state TEXT NOT NULL,
    PRIMARY KEY(bucket, entry, ts)
);
CREATE INDEX IF NOT EXISTS rs_records_by_time ON rs_records(bucket, ts, entry);
"""

_BUCKET_NAME = re.compile(r"^[A-Za-z0-9_-]*$")
_ENTRY_NAME = re.compile(r"^[A-Za-z0-9_/-]*$")
_META = "$meta"


def check_bucket_name(name: str) -> None:
    if not _BUCKET_NAME.match(name):
        raise reduct_error(422, "Bucket or entry name can contain only letters, digests and [-,_] symbols")


def check_entry_name(name: str) -> None:
    """Letters, digits, ``-``, ``_`` and ``/`` between non-empty segments; or a ``$meta``
    attachment entry (docs/reduct-protocol.md §5.2)."""
    if not name or name.startswith("/") or name.endswith("/") or "" in name.split("/"):
        raise reduct_error(422, "Entry name must be non-empty and must not contain empty path segments")
    if _ENTRY_NAME.match(name) or name == _META:
        return
    if name.endswith("/" + _META) and _ENTRY_NAME.match(name[: -len(_META) - 1]):
        return
    raise reduct_error(
        422, "Entry name can contain only letters, digits and [-,_,/] symbols or end with '/$meta'"
    )


def is_meta_entry(name: str) -> bool:
    return name == _META or name.endswith("/" + _META)


@dataclass(frozen=True)
class BucketSettings:
    quota_type: str = "NONE"
    quota_size: int = 0
    max_block_size: int = 64000000
    max_block_records: int = 1024

    def doc(self) -> Dict[str, Any]:
        return {
            "quota_type": self.quota_type,
            "quota_size": self.quota_size,
            "max_block_size": self.max_block_size,
            "max_block_records": self.max_block_records,
        }

    def filled(self, changes: Mapping[str, Any]) -> BucketSettings:
        """These settings with every non-null field of ``changes`` taken over."""
        values = self.doc()
        values.update({k: v for k, v in changes.items() if v is not None})
        return BucketSettings(**values)


DEFAULT_SETTINGS = BucketSettings()


def parse_settings(raw: bytes) -> Dict[str, Any]:
    """A BucketSettings JSON body as field -> value or None; an empty body changes nothing."""
    if not raw.strip():
        return {}
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise reduct_error(422, f"Invalid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise reduct_error(422, "Invalid JSON: invalid type: expected struct BucketSettings")
    changes: Dict[str, Any] = {}
    for name in ("quota_size", "max_block_size", "max_block_records"):
        value = doc.get(name)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= U64_MAX
        ):
            raise reduct_error(422, f"Invalid JSON: invalid value for '{name}': expected u64")
        changes[name] = value
    quota = doc.get("quota_type")
    if quota is not None and quota not in QUOTA_TYPES:
        raise reduct_error(
            422, f"Invalid JSON: unknown variant `{quota}`, expected one of `NONE`, `FIFO`, `HARD`"
        )
    changes["quota_type"] = quota
    return changes


@dataclass(frozen=True)
class RecordMeta:
    bucket: str
    entry: str
    timestamp: int
    size: int
    content_type: str
    labels: Dict[str, str]
    blob: Optional[str]
    state: str


@dataclass(frozen=True)
class Reservation:
    """A record indexed as ``writing``, waiting for its body."""

    bucket: str
    entry: str
    timestamp: int
    size: int


def _meta(row: sqlite3.Row) -> RecordMeta:
    return RecordMeta(
        bucket=str(row["bucket"]),
        entry=str(row["entry"]),
        timestamp=int(row["ts"]),
        size=int(row["size"]),
        content_type=str(row["content_type"]),
        labels=dict(json.loads(str(row["labels"]))),
        blob=None if row["blob"] is None else str(row["blob"]),
        state=str(row["state"]),
    )


def _labels_json(labels: Mapping[str, str]) -> str:
    return json.dumps(dict(sorted(labels.items())))


class RecordStore:
    """The index and the blobs. Thread-safe (the database lock serialises index changes)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        db.add_tables(_SCHEMA, "SELECT blob FROM rs_records")

    # -- buckets ----------------------------------------------------------------------------------

    def _bucket_row(self, conn: Any, name: str) -> Optional[sqlite3.Row]:
        row: Optional[sqlite3.Row] = conn.execute(
            "SELECT * FROM rs_buckets WHERE name = ?", (name,)
        ).fetchone()
        return row

    def _live_bucket(self, conn: Any, name: str) -> sqlite3.Row:
        """The bucket's row: 404 if there is none, 409 while it is being deleted."""
        row = self._bucket_row(conn, name)
        if row is None:
            raise reduct_error(404, f"Bucket '{name}' is not found")
        if row["status"] == "DELETING":
            raise reduct_error(409, f"Bucket '{name}' is being deleted")
        return row

    def require_bucket(self, name: str) -> BucketSettings:
        """The settings of a bucket that can be used (404 missing, 409 being deleted)."""
        row = self.db.row("SELECT * FROM rs_buckets WHERE name = ?", (name,))
        if row is None:
            raise reduct_error(404, f"Bucket '{name}' is not found")
        if row["status"] == "DELETING":
            raise reduct_error(409, f"Bucket '{name}' is being deleted")
        return _settings(row)

    def create_bucket(self, name: str, changes: Mapping[str, Any]) -> None:
        check_bucket_name(name)
        settings = DEFAULT_SETTINGS.filled(changes)
        with self.db.tx() as conn:
            if self._bucket_row(conn, name) is not None:
                raise reduct_error(409, f"Bucket '{name}' already exists")
            conn.execute(
                "INSERT INTO rs_buckets(name, quota_type, quota_size, max_block_size, max_block_records,"
                " status) VALUES (?, ?, ?, ?, ?, 'READY')",
                (
                    name,
                    settings.quota_type,
                    settings.quota_size,
                    settings.max_block_size,
                    settings.max_block_records,
                ),
            )

    def update_settings(self, name: str, changes: Mapping[str, Any]) -> None:
        with self.db.tx() as conn:
            settings = _settings(self._live_bucket(conn, name)).filled(changes)
            conn.execute(
                "UPDATE rs_buckets SET quota_type = ?, quota_size = ?, max_block_size = ?,"
                " max_block_records = ? WHERE name = ?",
                (
                    settings.quota_type,
                    settings.quota_size,
                    settings.max_block_size,
                    settings.max_block_records,
                    name,
                ),
            )

    def mark_deleting(self, name: str, due: float) -> None:
        with self.db.tx() as conn:
            self._live_bucket(conn, name)
            conn.execute(
                "UPDATE rs_buckets SET status = 'DELETING', delete_after = ? WHERE name = ?", (due, name)
            )

    def deleting(self) -> List[Tuple[str, float]]:
        rows = self.db.rows("SELECT name, delete_after FROM rs_buckets WHERE status = 'DELETING'")
        return [(str(r["name"]), float(r["delete_after"] or 0.0)) for r in rows]

    def drop_bucket(self, name: str) -> None:
        """Remove a bucket being deleted, with its entries, records and blobs."""
        with self.db.tx() as conn:
            blobs = [
                str(r[0])
                for r in conn.execute("SELECT blob FROM rs_records WHERE bucket = ?", (name,))
                if r[0]
            ]
            conn.execute("DELETE FROM rs_records WHERE bucket = ?", (name,))
            conn.execute("DELETE FROM rs_entries WHERE bucket = ?", (name,))
            conn.execute("DELETE FROM rs_buckets WHERE name = ? AND status = 'DELETING'", (name,))
        self.db.discard(*blobs)

    def rename_bucket(self, old: str, new: str) -> None:
        check_bucket_name(new)
        with self.db.tx() as conn:
            if self._bucket_row(conn, new) is not None:
                raise reduct_error(409, f"Bucket '{new}' already exists")
            self._live_bucket(conn, old)
            conn.execute("UPDATE rs_buckets SET name = ? WHERE name = ?", (new, old))
            conn.execute("UPDATE rs_entries SET bucket = ? WHERE bucket = ?", (new, old))
            conn.execute("UPDATE rs_records SET bucket = ? WHERE bucket = ?", (new, old))

    def bucket_names(self) -> List[str]:
        return [str(r["name"]) for r in self.db.rows("SELECT name FROM rs_buckets ORDER BY name")]

    # -- statistics (docs/reduct-protocol.md §5.3) --------------------------------------------------

    def entry_infos(self, bucket: str, settings: BucketSettings) -> List[Dict[str, Any]]:
        rows = self.db.rows(
            "SELECT e.name AS name, COUNT(r.ts) AS n, COALESCE(SUM(r.size), 0) AS size,"
            " MIN(r.ts) AS oldest, MAX(r.ts) AS latest FROM rs_entries e LEFT JOIN rs_records r"
            " ON r.bucket = e.bucket AND r.entry = e.name WHERE e.bucket = ? GROUP BY e.name ORDER BY e.name",
            (bucket,),
        )
        infos = []
        for row in rows:
            count, size = int(row["n"]), int(row["size"])
            blocks = 0
            if count:
                blocks = max(
                    math.ceil(count / max(settings.max_block_records, 1)),
                    math.ceil(size / max(settings.max_block_size, 1)),
                    1,
                )
            infos.append(
                {
                    "name": str(row["name"]),
                    "size": size,
                    "record_count": count,
                    "block_count": blocks,
                    "oldest_record": int(row["oldest"]) if count else 0,
                    "latest_record": int(row["latest"]) if count else 0,
                    "status": "READY",
                }
            )
        return infos

    def bucket_info(self, name: str) -> Dict[str, Any]:
        """``{info, settings, entries}`` (BucketFullInfo) of a bucket in any state."""
        row = self.db.row("SELECT * FROM rs_buckets WHERE name = ?", (name,))
        if row is None:
            raise reduct_error(404, f"Bucket '{name}' is not found")
        settings = _settings(row)
        entries = self.entry_infos(name, settings)
        visible = [e for e in entries if not is_meta_entry(e["name"])]
        counted = [e for e in visible if e["record_count"]]
        info = {
            "name": name,
            "entry_count": len(visible),
            "size": sum(e["size"] for e in entries),
            "oldest_record": min((e["oldest_record"] for e in counted), default=0),
            "latest_record": max((e["latest_record"] for e in counted), default=0),
            "is_provisioned": False,
            "status": str(row["status"]),
        }
        return {"info": info, "settings": settings.doc(), "entries": visible}

    def bucket_size(self, conn: Any, bucket: str) -> int:
        return int(
            conn.execute(
                "SELECT COALESCE(SUM(size), 0) FROM rs_records WHERE bucket = ?", (bucket,)
            ).fetchone()[0]
        )

    # -- entries ----------------------------------------------------------------------------------

    def _entry_exists(self, conn: Any, bucket: str, entry: str) -> bool:
        return (
            conn.execute("SELECT 1 FROM rs_entries WHERE bucket = ? AND name = ?", (bucket, entry)).fetchone()
            is not None
        )

    def require_entry(self, bucket: str, entry: str) -> None:
        self.require_bucket(bucket)
        if self.db.row("SELECT 1 FROM rs_entries WHERE bucket = ? AND name = ?", (bucket, entry)) is None:
            raise reduct_error(404, f"Entry '{entry}' not found in bucket '{bucket}'")

    def entry_names(self, bucket: str) -> List[str]:
        rows = self.db.rows("SELECT name FROM rs_entries WHERE bucket = ? ORDER BY name", (bucket,))
        return [str(r["name"]) for r in rows]

    def remove_entry(self, bucket: str, entry: str) -> None:
        """Remove an entry and the entries under it (``entry/...``)."""
        with self.db.tx() as conn:
            self._live_bucket(conn, bucket)
            if is_meta_entry(entry):
                raise reduct_error(409, f"System entry '{entry}' can be removed only with its parent entry")
            names = [
                str(r[0])
                for r in conn.execute("SELECT name FROM rs_entries WHERE bucket = ?", (bucket,))
                if r[0] == entry or str(r[0]).startswith(entry + "/")
            ]
            if not names:
                raise reduct_error(404, f"Entry '{entry}' not found in bucket '{bucket}'")
            blobs: List[str] = []
            for name in names:
                blobs += [
                    str(r[0])
                    for r in conn.execute(
                        "SELECT blob FROM rs_records WHERE bucket = ? AND entry = ?", (bucket, name)
                    )
                    if r[0]
                ]
                conn.execute("DELETE FROM rs_records WHERE bucket = ? AND entry = ?", (bucket, name))
                conn.execute("DELETE FROM rs_entries WHERE bucket = ? AND name = ?", (bucket, name))
        self.db.discard(*blobs)

    def rename_entry(self, bucket: str, old: str, new: str) -> None:
        """Rename an entry with the entries under it; parents of the new name are created."""
        with self.db.tx() as conn:
            self._live_bucket(conn, bucket)
            check_entry_name(new)
            if new == old or new.startswith(old + "/"):
                raise reduct_error(409, f"Entry '{new}' already exists in bucket '{bucket}'")
            names = [
                str(r[0])
                for r in conn.execute("SELECT name FROM rs_entries WHERE bucket = ?", (bucket,))
                if r[0] == old or str(r[0]).startswith(old + "/")
            ]
            if not names:
                raise reduct_error(404, f"Entry '{old}' not found in bucket '{bucket}'")
            if self._entry_exists(conn, bucket, new):
                raise reduct_error(409, f"Entry '{new}' already exists in bucket '{bucket}'")
            for prefix in _parents(new)[:-1]:
                conn.execute("INSERT OR IGNORE INTO rs_entries(bucket, name) VALUES (?, ?)", (bucket, prefix))
            for name in names:
                renamed = new + name[len(old) :]
                conn.execute(
                    "UPDATE rs_entries SET name = ? WHERE bucket = ? AND name = ?", (renamed, bucket, name)
                )
                conn.execute(
                    "UPDATE rs_records SET entry = ? WHERE bucket = ? AND entry = ?", (renamed, bucket, name)
                )

    # -- records ----------------------------------------------------------------------------------

    def reserve(
        self, bucket: str, entry: str, ts: int, size: int, content_type: str, labels: Mapping[str, str]
    ) -> Reservation:
        """Index a record as ``writing`` after the quota and duplicate checks; the entry (and its
        parents) are created on the first write."""
        evicted: List[str] = []
        with self.db.tx() as conn:
            settings = _settings(self._live_bucket(conn, bucket))
            check_entry_name(entry)
            evicted = self._keep_quota(conn, bucket, settings, size)  # before the duplicate check
            for prefix in _parents(entry):
                conn.execute("INSERT OR IGNORE INTO rs_entries(bucket, name) VALUES (?, ?)", (bucket, prefix))
            if conn.execute(
                "SELECT 1 FROM rs_records WHERE bucket = ? AND entry = ? AND ts = ?", (bucket, entry, ts)
            ).fetchone():
                raise reduct_error(409, f"A record with timestamp {ts} already exists")
            conn.execute(
                "INSERT INTO rs_records(bucket, entry, ts, size, content_type, labels, blob, state)"
                " VALUES (?, ?, ?, ?, ?, ?, NULL, 'writing')",
                (bucket, entry, ts, size, content_type, _labels_json(labels)),
            )
        self.db.discard(*evicted)
        return Reservation(bucket, entry, ts, size)

    def _keep_quota(self, conn: Any, bucket: str, settings: BucketSettings, size: int) -> List[str]:
        """HARD refuses a record that does not fit; FIFO drops the oldest records until it fits
        (docs/reduct-protocol.md §5.4). Returns the blobs to discard after the commit."""
        if settings.quota_type == "NONE":
            return []
        total = self.bucket_size(conn, bucket)
        if settings.quota_type == "HARD":
            if total + size > settings.quota_size:
                raise reduct_error(400, f"Quota of '{bucket}' exceeded")
            return []
        evicted: List[str] = []
        while total + size > settings.quota_size:
            row = conn.execute(
                "SELECT entry, ts, size, blob FROM rs_records WHERE bucket = ? AND state = 'ready'"
                " AND entry NOT LIKE '%$meta' ORDER BY ts LIMIT 1",
                (bucket,),
            ).fetchone()
            if row is None:
                raise reduct_error(500, f"Failed to keep quota of '{bucket}'")
            conn.execute(
                "DELETE FROM rs_records WHERE bucket = ? AND entry = ? AND ts = ?",
                (bucket, row["entry"], row["ts"]),
            )
            total -= int(row["size"])
            if row["blob"]:
                evicted.append(str(row["blob"]))
        return evicted

    def commit(self, reservation: Reservation, blob: str) -> bool:
        """Attach the body; False (and the blob discarded) if the record went away meanwhile."""
        with self.db.tx() as conn:
            done = conn.execute(
                "UPDATE rs_records SET blob = ?, state = 'ready' WHERE bucket = ? AND entry = ? AND ts = ?"
                " AND state = 'writing'",
                (blob, reservation.bucket, reservation.entry, reservation.timestamp),
            ).rowcount
        if not done:
            self.db.discard(blob)
        return bool(done)

    def abandon(self, reservation: Reservation) -> None:
        """The body never arrived: forget the record."""
        with self.db.tx() as conn:
            conn.execute(
                "DELETE FROM rs_records WHERE bucket = ? AND entry = ? AND ts = ? AND state = 'writing'",
                (reservation.bucket, reservation.entry, reservation.timestamp),
            )

    def abandon_all_writing(self) -> None:
        """At start-up: records whose body was still arriving when the emulator stopped."""
        with self.db.tx() as conn:
            conn.execute("DELETE FROM rs_records WHERE state = 'writing'")

    def latest_timestamp(self, bucket: str, entry: str) -> int:
        row = self.db.row("SELECT MAX(ts) FROM rs_records WHERE bucket = ? AND entry = ?", (bucket, entry))
        return 0 if row is None or row[0] is None else int(row[0])

    def record(self, bucket: str, entry: str, ts: int) -> RecordMeta:
        """A readable record: 404 when missing (worded as the server words it), 425 while its body
        is still arriving."""
        row = self.db.row(
            "SELECT * FROM rs_records WHERE bucket = ? AND entry = ? AND ts = ?", (bucket, entry, ts)
        )
        if row is None:
            raise self._missing(bucket, entry, ts)
        meta = _meta(row)
        if meta.state == "writing":
            raise reduct_error(425, f"Record with timestamp {ts} in {bucket}/{entry} is still being written")
        return meta

    def _missing(self, bucket: str, entry: str, ts: int) -> Exception:
        """``not found in entry`` before the first record, else ``in block`` (the block that would
        hold it: blocks are runs of ``max_block_records`` records)."""
        row = self.db.row(
            "SELECT COUNT(*) FROM rs_records WHERE bucket = ? AND entry = ? AND ts <= ?", (bucket, entry, ts)
        )
        before = 0 if row is None else int(row[0])
        if before == 0:
            return reduct_error(404, f"Record {ts} not found in entry {bucket}/{entry}")
        settings_row = self.db.row("SELECT * FROM rs_buckets WHERE name = ?", (bucket,))
        per_block = max(_settings(settings_row).max_block_records, 1) if settings_row is not None else 1024
        first = ((before - 1) // per_block) * per_block
        block = self.db.row(
            "SELECT ts FROM rs_records WHERE bucket = ? AND entry = ? ORDER BY ts LIMIT 1 OFFSET ?",
            (bucket, entry, first),
        )
        block_id = int(block[0]) if block is not None else ts
        return reduct_error(404, f"Record {ts} not found in block {bucket}/{entry}/{block_id}")

    def update_labels(
        self, bucket: str, entry: str, ts: int, changes: Mapping[str, Optional[str]]
    ) -> Dict[str, str]:
        """Set (value) or remove (None) labels of a record; its labels afterwards."""
        with self.db.tx() as conn:
            row = conn.execute(
                "SELECT labels FROM rs_records WHERE bucket = ? AND entry = ? AND ts = ?", (bucket, entry, ts)
            ).fetchone()
            if row is None:
                raise reduct_error(404, f"Record {ts} not found in entry {bucket}/{entry}")
            labels: Dict[str, str] = dict(json.loads(str(row["labels"])))
            for name, value in changes.items():
                if value is None:
                    labels.pop(name, None)
                else:
                    labels[name] = value
            conn.execute(
                "UPDATE rs_records SET labels = ? WHERE bucket = ? AND entry = ? AND ts = ?",
                (_labels_json(labels), bucket, entry, ts),
            )
        return labels

    def remove_record(self, bucket: str, entry: str, ts: int) -> None:
        with self.db.tx() as conn:
            row = conn.execute(
                "SELECT blob FROM rs_records WHERE bucket = ? AND entry = ? AND ts = ?", (bucket, entry, ts)
            ).fetchone()
            if row is None:
                raise reduct_error(404, f"Record {ts} not found in entry {bucket}/{entry}")
            conn.execute(
                "DELETE FROM rs_records WHERE bucket = ? AND entry = ? AND ts = ?", (bucket, entry, ts)
            )
        if row["blob"]:
            self.db.discard(str(row["blob"]))

    def remove_records(self, keys: Iterable[Tuple[str, int]], bucket: str) -> int:
        """Remove these (entry, ts) records if present; how many went."""
        blobs: List[str] = []
        removed = 0
        with self.db.tx() as conn:
            for entry, ts in keys:
                row = conn.execute(
                    "SELECT blob FROM rs_records WHERE bucket = ? AND entry = ? AND ts = ?",
                    (bucket, entry, ts),
                ).fetchone()
                if row is None:
                    continue
                conn.execute(
                    "DELETE FROM rs_records WHERE bucket = ? AND entry = ? AND ts = ?", (bucket, entry, ts)
                )
                removed += 1
                if row["blob"]:
                    blobs.append(str(row["blob"]))
        self.db.discard(*blobs)
        return removed

    def scan(
        self,
        bucket: str,
        entries: Sequence[str],
        start: int,
        stop: int,
        after: Optional[Tuple[int, str]],
        limit: int,
    ) -> List[RecordMeta]:
        """Ready records of ``entries`` with ``start <= ts < stop``, in (time, entry) order, after
        the (ts, entry) cursor ``after``; at most ``limit``."""
        if not entries:
            return []
        marks = ",".join("?" for _ in entries)
        sql = (
            f"SELECT * FROM rs_records WHERE bucket = ? AND entry IN ({marks}) AND state = 'ready'"  # noqa: S608
            " AND ts >= ? AND ts < ?"
        )
        args: List[Any] = [bucket, *entries, start, stop]
        if after is not None:
            sql += " AND (ts > ? OR (ts = ? AND entry > ?))"
            args += [after[0], after[0], after[1]]
        sql += " ORDER BY ts, entry LIMIT ?"
        args.append(limit)
        return [_meta(row) for row in self.db.rows(sql, args)]

    def time_range(self, bucket: str, entries: Sequence[str]) -> Tuple[int, int]:
        """(oldest, latest) over ``entries``, 0 for both without records."""
        if not entries:
            return 0, 0
        marks = ",".join("?" for _ in entries)
        row = self.db.row(
            f"SELECT MIN(ts), MAX(ts) FROM rs_records WHERE bucket = ? AND entry IN ({marks})",  # noqa: S608
            [bucket, *entries],
        )
        if row is None or row[0] is None:
            return 0, 0
        return int(row[0]), int(row[1])

    def blob_path(self, meta: RecordMeta) -> str:
        assert meta.blob is not None
        return str(self.db.path(meta.blob))

    def totals(self) -> Tuple[int, int, int, int]:
        """(bucket count, bytes, oldest, latest) over the server: oldest is u64::MAX without records."""
        buckets = self.db.row("SELECT COUNT(*) FROM rs_buckets")
        row = self.db.row("SELECT COALESCE(SUM(size), 0), MIN(ts), MAX(ts) FROM rs_records")
        count = int(buckets[0]) if buckets is not None else 0
        if row is None:
            return count, 0, U64_MAX, 0
        oldest = U64_MAX if row[1] is None else int(row[1])
        latest = 0 if row[2] is None else int(row[2])
        return count, int(row[0]), oldest, latest


def _settings(row: Any) -> BucketSettings:
    return BucketSettings(
        quota_type=str(row["quota_type"]),
        quota_size=int(row["quota_size"]),
        max_block_size=int(row["max_block_size"]),
        max_block_records=int(row["max_block_records"]),
    )


def _parents(entry: str) -> List[str]:
    """``a/b/c`` -> ``["a", "a/b", "a/b/c"]`` (a write creates every level)."""
    parts = entry.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]
