"""Multipart uploads of one realm: the uploads in progress, their parts, completion and abort.

Parts are blobs of their own; completion joins them into one new blob (kernel copy where it can),
stores the object and drops the upload in one transaction, then removes the part blobs. The
rules a completion checks (order, ETags, sizes) live in ``ops_multipart``; this module only
keeps the records (docs/bucket-protocol.md §4).
"""

from __future__ import annotations

import secrets
from typing import Callable, List, Optional, Sequence

from cassdk_like.emulator.db import Database
from cassdk_like.emulator.objectstore.errors import no_such_bucket, no_such_upload
from cassdk_like.emulator.objectstore.records import ObjectRecord, PartRecord, UploadRecord
from cassdk_like.emulator.objectstore.store import ObjectStore, Precondition

__all__ = ["Uploads"]


class Uploads:
    """Multipart uploads beside an :class:`ObjectStore` (same database and realm). Thread-safe."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self.db: Database = store.db
        self.realm = store.realm

    def create(self, record: UploadRecord) -> UploadRecord:
        """Open an upload; ``record.upload_id`` is replaced by a new id."""
        upload_id = secrets.token_urlsafe(48)
        chosen = UploadRecord(
            upload_id,
            record.bucket,
            record.key,
            record.initiated,
            record.content_type,
            record.headers,
            record.metadata,
            record.tags,
            record.checksum_algorithm,
            record.checksum_type,
            record.storage_class,
        )
        with self.db.tx() as conn:
            if (
                conn.execute(
                    "SELECT 1 FROM os_buckets WHERE realm = ? AND name = ?", (self.realm, record.bucket)
                ).fetchone()
                is None
            ):
                raise no_such_bucket(record.bucket)
            conn.execute(
                "INSERT INTO os_uploads(upload_id, realm, bucket, key, initiated, doc)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (upload_id, self.realm, chosen.bucket, chosen.key, chosen.initiated, chosen.doc()),
            )
        return chosen

    def get(self, bucket: str, key: str, upload_id: str) -> UploadRecord:
        """The upload ``upload_id`` of this bucket and key (NoSuchUpload otherwise)."""
        row = self.db.row(
            "SELECT * FROM os_uploads WHERE upload_id = ? AND realm = ? AND bucket = ? AND key = ?",
            (upload_id, self.realm, bucket, key),
        )
        if row is None:
            self.store.require_bucket(bucket)
            raise no_such_upload(upload_id)
        return UploadRecord.from_row(row)

    def put_part(self, bucket: str, key: str, part: PartRecord) -> None:
        """Store a part (its blob written), replacing a part of the same number."""
        with self.db.tx() as conn:
            if (
                conn.execute(
                    "SELECT 1 FROM os_uploads WHERE upload_id = ? AND realm = ? AND bucket = ? AND key = ?",
                    (part.upload_id, self.realm, bucket, key),
                ).fetchone()
                is None
            ):
                raise no_such_upload(part.upload_id)
            old = conn.execute(
                "SELECT blob FROM os_parts WHERE upload_id = ? AND part_number = ?",
                (part.upload_id, part.part_number),
            ).fetchone()
            conn.execute(
                "INSERT OR REPLACE INTO os_parts(upload_id, part_number, size, etag, blob, modified, doc)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    part.upload_id,
                    part.part_number,
                    part.size,
                    part.etag,
                    part.blob,
                    part.modified,
                    part.doc(),
                ),
            )
        if old is not None and str(old[0]) != part.blob:
            self.db.discard(str(old[0]))

    def parts(self, upload_id: str, after: int = 0, limit: Optional[int] = None) -> List[PartRecord]:
        sql = "SELECT * FROM os_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number"
        args: List[object] = [upload_id, after]
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [PartRecord.from_row(r) for r in self.db.rows(sql, args)]

    def uploads(
        self, bucket: str, prefix: str, key_marker: str, upload_id_marker: str, limit: int
    ) -> List[UploadRecord]:
        """Open uploads in (key, initiation time) order after the markers, up to ``limit``."""
        rows = self.db.rows(
            "SELECT * FROM os_uploads WHERE realm = ? AND bucket = ? AND substr(key, 1, ?) = ?"
            " AND key >= ? ORDER BY key, initiated, upload_id",
            (self.realm, bucket, len(prefix), prefix, key_marker),
        )
        found: List[UploadRecord] = []
        passed_marker = not upload_id_marker
        for row in rows:
            record = UploadRecord.from_row(row)
            if record.key == key_marker:
                if not upload_id_marker:
                    continue  # a key marker alone means: keys after it
                if not passed_marker:
                    passed_marker = record.upload_id == upload_id_marker
                    continue
            found.append(record)
            if len(found) >= limit:
                break
        return found

    def complete(
        self,
        upload: UploadRecord,
        parts: Sequence[PartRecord],
        build: Callable[[str], ObjectRecord],
        precondition: Optional[Precondition] = None,
    ) -> ObjectRecord:
        """Join ``parts`` into the object ``build(blob)`` describes and close the upload."""
        blob = self.db.concat([part.blob for part in parts])
        record = build(blob)
        try:
            with self.db.tx() as conn:
                still_open = conn.execute(
                    "SELECT 1 FROM os_uploads WHERE upload_id = ?", (upload.upload_id,)
                ).fetchone()
                if still_open is None:
                    raise no_such_upload(upload.upload_id)
                old = self.store.put_within(conn, record, precondition)
                part_blobs = [
                    str(r[0])
                    for r in conn.execute(
                        "SELECT blob FROM os_parts WHERE upload_id = ?", (upload.upload_id,)
                    )
                ]
                conn.execute("DELETE FROM os_parts WHERE upload_id = ?", (upload.upload_id,))
                conn.execute("DELETE FROM os_uploads WHERE upload_id = ?", (upload.upload_id,))
        except BaseException:
            self.db.discard(blob)
            raise
        self.db.discard(*part_blobs, old.blob if old is not None else None)
        return record

    def abort(self, bucket: str, key: str, upload_id: str) -> None:
        self.get(bucket, key, upload_id)
        with self.db.tx() as conn:
            blobs = [
                str(r[0]) for r in conn.execute("SELECT blob FROM os_parts WHERE upload_id = ?", (upload_id,))
            ]
            conn.execute("DELETE FROM os_parts WHERE upload_id = ?", (upload_id,))
            deleted = conn.execute("DELETE FROM os_uploads WHERE upload_id = ?", (upload_id,)).rowcount
        self.db.discard(*blobs)
        if not deleted:
            raise no_such_upload(upload_id)
