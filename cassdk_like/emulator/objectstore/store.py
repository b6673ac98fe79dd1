"""Buckets and objects of one realm (``s3`` or ``cos``) in the shared database.

Writes are one transaction each; a conditional write checks its condition inside that
transaction, so two racing ``If-None-Match: *`` uploads cannot both win. Bytes live in blobs
written before the row that names them; a replaced or deleted object's blob is removed after the
commit (docs/bucket-protocol.md §3).
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Callable, Dict, List, Optional

from cassdk_like.emulator.db import Database
from cassdk_like.emulator.objectstore.errors import bucket_not_empty, no_such_bucket, no_such_key
from cassdk_like.emulator.objectstore.records import (
    REFERENCED_BLOBS,
    SCHEMA,
    BucketRecord,
    ObjectRecord,
)

__all__ = ["ObjectStore", "Precondition"]

#: checked inside the write transaction with the object being replaced (None: there is none)
Precondition = Callable[[Optional[ObjectRecord]], None]


class ObjectStore:
    """The buckets and objects of one realm. Thread-safe (through the Database).

    Bucket records are cached once found: every request looks its bucket up (the signature check
    wants its region), and on the database's one connection those look-ups queued behind other
    requests' commits (benchmarks/ANALYSIS.md, "Buckets"). Only this store creates or deletes its
    realm's buckets, and one process holds the database, so the cache is never stale.
    """

    def __init__(self, db: Database, realm: str, clock: Callable[[], float]) -> None:
        db.add_tables(SCHEMA, REFERENCED_BLOBS)
        self.db = db
        self.realm = realm
        self.clock = clock
        self._buckets: Dict[str, BucketRecord] = {}
        #: held over a miss's database read, so a delete cannot be undone by a read begun before it
        self._buckets_lock = threading.Lock()

    # -- buckets --------------------------------------------------------------------------------

    def create_bucket(self, name: str, region: str) -> Optional[BucketRecord]:
        """Create ``name``; returns the bucket that already had the name (nothing created), or None."""
        with self.db.tx() as conn:
            row = conn.execute(
                "SELECT * FROM os_buckets WHERE realm = ? AND name = ?", (self.realm, name)
            ).fetchone()
            if row is not None:
                return BucketRecord(row["name"], row["region"], row["created"])
            conn.execute(
                "INSERT INTO os_buckets(realm, name, region, created) VALUES (?, ?, ?, ?)",
                (self.realm, name, region, self.clock()),
            )
        return None

    def bucket(self, name: str) -> Optional[BucketRecord]:
        found = self._buckets.get(name)
        if found is not None:
            return found
        with self._buckets_lock:
            row = self.db.row("SELECT * FROM os_buckets WHERE realm = ? AND name = ?", (self.realm, name))
            if row is None:
                return None  # absence is never cached: the bucket may be created next
            found = self._buckets[name] = BucketRecord(row["name"], row["region"], row["created"])
        return found

    def require_bucket(self, name: str) -> BucketRecord:
        found = self.bucket(name)
        if found is None:
            raise no_such_bucket(name)
        return found

    def buckets(
        self, *, prefix: str = "", after: str = "", limit: Optional[int] = None, region: Optional[str] = None
    ) -> List[BucketRecord]:
        """Buckets in name order: names starting with ``prefix``, after ``after``, in ``region``."""
        sql = "SELECT * FROM os_buckets WHERE realm = ? AND name > ? AND substr(name, 1, ?) = ?"
        args: List[object] = [self.realm, after, len(prefix), prefix]
        if region is not None:
            sql += " AND region = ?"
            args.append(region)
        sql += " ORDER BY name"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [BucketRecord(r["name"], r["region"], r["created"]) for r in self.db.rows(sql, args)]

    def delete_bucket(self, name: str) -> None:
        """Delete an empty bucket and the uploads still open in it (BucketNotEmpty otherwise)."""
        with self.db.tx() as conn:
            found = conn.execute(
                "SELECT 1 FROM os_buckets WHERE realm = ? AND name = ?", (self.realm, name)
            ).fetchone()
            if found is None:
                raise no_such_bucket(name)
            if conn.execute(
                "SELECT 1 FROM os_objects WHERE realm = ? AND bucket = ? LIMIT 1", (self.realm, name)
            ).fetchone():
                raise bucket_not_empty(name)
            uploads = [
                str(r[0])
                for r in conn.execute(
                    "SELECT upload_id FROM os_uploads WHERE realm = ? AND bucket = ?", (self.realm, name)
                )
            ]
            blobs = []
            for upload_id in uploads:
                blobs += [
                    str(r[0])
                    for r in conn.execute("SELECT blob FROM os_parts WHERE upload_id = ?", (upload_id,))
                ]
                conn.execute("DELETE FROM os_parts WHERE upload_id = ?", (upload_id,))
            conn.execute("DELETE FROM os_uploads WHERE realm = ? AND bucket = ?", (self.realm, name))
            conn.execute("DELETE FROM os_buckets WHERE realm = ? AND name = ?", (self.realm, name))
        with self._buckets_lock:
            self._buckets.pop(name, None)
        self.db.discard(*blobs)

    # -- objects --------------------------------------------------------------------------------

    def head(self, bucket: str, key: str) -> Optional[ObjectRecord]:
        row = self.db.row(
            "SELECT * FROM os_objects WHERE realm = ? AND bucket = ? AND key = ?", (self.realm, bucket, key)
        )
        return None if row is None else ObjectRecord.from_row(row)

    def require(self, bucket: str, key: str) -> ObjectRecord:
        found = self.head(bucket, key)
        if found is None:
            self.require_bucket(bucket)
            raise no_such_key(key)
        return found

    def put(self, record: ObjectRecord, precondition: Optional[Precondition] = None) -> None:
        """Store ``record`` (its blob already written), replacing the object of that key.

        ``precondition`` sees the object being replaced inside the transaction and may raise; the
        caller then still owns (and discards) the new blob.
        """
        with self.db.tx() as conn:
            old = self.put_within(conn, record, precondition)
        if old is not None and old.blob != record.blob:
            self.db.discard(old.blob)

    def put_within(
        self, conn: sqlite3.Connection, record: ObjectRecord, precondition: Optional[Precondition]
    ) -> Optional[ObjectRecord]:
        """:meth:`put` inside the caller's transaction; returns the replaced object (its blob is
        the caller's to discard after the commit)."""
        if (
            conn.execute(
                "SELECT 1 FROM os_buckets WHERE realm = ? AND name = ?", (self.realm, record.bucket)
            ).fetchone()
            is None
        ):
            raise no_such_bucket(record.bucket)
        row = conn.execute(
            "SELECT * FROM os_objects WHERE realm = ? AND bucket = ? AND key = ?",
            (self.realm, record.bucket, record.key),
        ).fetchone()
        old = None if row is None else ObjectRecord.from_row(row)
        if precondition is not None:
            precondition(old)
        conn.execute(
            "INSERT OR REPLACE INTO os_objects(realm, bucket, key, size, etag, blob, modified, doc)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.realm,
                record.bucket,
                record.key,
                record.size,
                record.etag,
                record.blob,
                record.modified,
                record.doc(),
            ),
        )
        return old

    def delete(self, bucket: str, key: str) -> bool:
        """Remove an object; False when there was none (deleting a missing key is not an error)."""
        with self.db.tx() as conn:
            row = conn.execute(
                "SELECT blob FROM os_objects WHERE realm = ? AND bucket = ? AND key = ?",
                (self.realm, bucket, key),
            ).fetchone()
            conn.execute(
                "DELETE FROM os_objects WHERE realm = ? AND bucket = ? AND key = ?", (self.realm, bucket, key)
            )
        if row is None:
            return False
        self.db.discard(str(row[0]))
        return True

    def replace_doc(
        self, bucket: str, key: str, change: Callable[[ObjectRecord], ObjectRecord]
    ) -> ObjectRecord:
        """Rewrite an object's document (tags) in one transaction; NoSuchKey when it is gone."""
        with self.db.tx() as conn:
            row = conn.execute(
                "SELECT * FROM os_objects WHERE realm = ? AND bucket = ? AND key = ?",
                (self.realm, bucket, key),
            ).fetchone()
            if row is None:
                raise no_such_key(key)
            changed = change(ObjectRecord.from_row(row))
            conn.execute(
                "UPDATE os_objects SET doc = ? WHERE realm = ? AND bucket = ? AND key = ?",
                (changed.doc(), self.realm, bucket, key),
            )
        return changed

    def scan(self, bucket: str, prefix: str, start: str, inclusive: bool, limit: int) -> List[ObjectRecord]:
        """Up to ``limit`` objects whose keys start with ``prefix``, from ``start`` on, in key order
        (UTF-8 byte order: sqlite compares TEXT bytewise)."""
        op = ">=" if inclusive else ">"
        sql = (
            f"SELECT * FROM os_objects WHERE realm = ? AND bucket = ? AND key {op} ?"  # noqa: S608 - op is > or >=
            " AND substr(key, 1, ?) = ? ORDER BY key LIMIT ?"
        )
        rows = self.db.rows(sql, (self.realm, bucket, start, len(prefix), prefix, limit))
        return [ObjectRecord.from_row(r) for r in rows]
