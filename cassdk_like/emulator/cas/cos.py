"""An in-emulator stand-in for COS buckets: the target of push-to-cos, the source of pull-from-cos.

The real COS jobs need another service; here they complete against this small bucket store so that
clients can exercise both job types offline. Buckets need no creation: any bucket name (the COS
domain name a job names) exists. ETags are the object's SHA-256 hex (the emulator computes no MD5).
Tests and scripts reach the store through ``Emulator.cos`` or ``/_emulator/cos/<bucket>/<key>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, Callable, List, Optional

from cassdk_like.emulator.db import Blob, Database

__all__ = ["CosObject", "CosStore"]


@dataclass(frozen=True)
class CosObject:
    bucket: str
    key: str
    size: int
    etag: str
    modified: float
    blob: str


class CosStore:
    """Objects by (bucket, key). Thread-safe (through the Database)."""

    def __init__(self, db: Database, clock: Callable[[], float]) -> None:
        self.db = db
        self.clock = clock

    def put_object(self, bucket: str, key: str, data: bytes) -> str:
        """Store ``data``; returns the ETag."""
        return self.put_blob(bucket, key, self.db.write_small(data))

    def put_stream(self, bucket: str, key: str, read: Callable[[int], bytes], length: int) -> str:
        return self.put_blob(bucket, key, self.db.spool(read, length))

    def put_blob(self, bucket: str, key: str, blob: Blob) -> str:
        etag = blob.sha256
        with self.db.tx() as conn:
            old = conn.execute(
                "SELECT blob FROM cos_objects WHERE bucket = ? AND key = ?", (bucket, key)
            ).fetchone()
            conn.execute(
                "INSERT OR REPLACE INTO cos_objects(bucket, key, size, etag, modified, blob)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (bucket, key, blob.size, etag, self.clock(), blob.token),
            )
        if old is not None:
            self.db.discard(old[0])
        return etag

    def head(self, bucket: str, key: str) -> Optional[CosObject]:
        row = self.db.row("SELECT * FROM cos_objects WHERE bucket = ? AND key = ?", (bucket, key))
        if row is None:
            return None
        return CosObject(row["bucket"], row["key"], row["size"], row["etag"], row["modified"], row["blob"])

    def open(self, obj: CosObject) -> BinaryIO:
        return open(self.db.path(obj.blob), "rb")

    def get_object(self, bucket: str, key: str) -> Optional[bytes]:
        """The whole object (for tests and the admin endpoint), or None when it does not exist."""
        obj = self.head(bucket, key)
        if obj is None:
            return None
        with self.open(obj) as handle:
            return handle.read()

    def list_objects(self, bucket: str) -> List[str]:
        return [
            str(r[0])
            for r in self.db.rows("SELECT key FROM cos_objects WHERE bucket = ? ORDER BY key", (bucket,))
        ]

    def delete_object(self, bucket: str, key: str) -> bool:
        with self.db.tx() as conn:
            row = conn.execute(
                "SELECT blob FROM cos_objects WHERE bucket = ? AND key = ?", (bucket, key)
            ).fetchone()
            conn.execute("DELETE FROM cos_objects WHERE bucket = ? AND key = ?", (bucket, key))
        if row is None:
            return False
        self.db.discard(row[0])
        return True
