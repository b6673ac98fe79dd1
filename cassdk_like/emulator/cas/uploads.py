"""Multipart uploads: the part-size, alignment, last-part and 10,000-part rules (docs/vault-protocol.md §3.3).

Parts are stored as separate blobs and only concatenated on Complete, after the sizes and the
combined tree hash have been checked against what the client claims.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from cassdk_like.core.integrity import MiB, combine_tree_hashes, is_valid_part_size
from cassdk_like.emulator.cas.errors import invalid_value, not_found
from cassdk_like.emulator.cas.store import Store
from cassdk_like.emulator.cas.util import JOB_ID_BYTES, new_id
from cassdk_like.emulator.db import Blob, Database

__all__ = ["MAX_PARTS", "MAX_PART_SIZE", "Part", "Upload", "Uploads"]

MAX_PARTS = 10_000
#: Glacier's documented maximum; CAS documents none (docs/vault-protocol.md §3.3)
MAX_PART_SIZE = 4096 * MiB


@dataclass(frozen=True)
class Upload:
    upload_id: str
    vault: str
    part_size: int
    description: Optional[str]
    created: float


@dataclass(frozen=True)
class Part:
    start: int
    size: int
    tree_hash: str
    blob: str

    @property
    def end(self) -> int:
        return self.start + self.size - 1


def _upload(row: Any) -> Upload:
    return Upload(row["id"], row["vault"], row["part_size"], row["description"], row["created"])


class Uploads:
    """Multipart upload state. Thread-safe; parts of one upload may arrive in parallel."""

    def __init__(self, db: Database, store: Store, *, retention: float) -> None:
        self.db = db
        self.store = store
        self.retention = retention
        self._guard = threading.Lock()
        self._locks: Dict[str, threading.Lock] = {}
        #: upload id -> (vault, size, tree hash, archive id, when) of uploads completed lately, so a
        #: repeated Complete (a client retrying after a lost answer) gets the same archive, as Glacier
        #: documents; kept in memory for ``retention`` seconds
        self._completed: Dict[str, Tuple[str, int, str, str, float]] = {}

    def _lock(self, upload_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(upload_id, threading.Lock())

    def initiate(self, vault: str, part_size: int, description: Optional[str], now: float) -> str:
        if not is_valid_part_size(part_size) or part_size > MAX_PART_SIZE:
            raise invalid_value(
                f"invalid part size {part_size}: it must be 1 MiB (1048576) times a power of two,"
                f" at most {MAX_PART_SIZE}"
            )
        upload_id = new_id(JOB_ID_BYTES)
        with self.db.tx() as conn:
            self.store.require_in(conn, vault)
            conn.execute(
                "INSERT INTO uploads(id, vault, part_size, description, created) VALUES (?, ?, ?, ?, ?)",
                (upload_id, vault, part_size, description, now),
            )
        return upload_id

    def get(self, vault: str, upload_id: str, now: float) -> Upload:
        self.store.vault(vault)
        row = self.db.row("SELECT * FROM uploads WHERE id = ? AND vault = ?", (upload_id, vault))
        if row is None or row["created"] + self.retention < now:
            raise not_found(f"multipart upload {upload_id!r} does not exist in vault {vault!r}")
        return _upload(row)

    def list(self, vault: str, marker: Optional[str], limit: int) -> Tuple[List[Upload], Optional[str]]:
        """Uploads by creation time; the marker is the id of the first upload of the next page."""
        self.store.vault(vault)
        after = (-1.0, -1)
        if marker is not None:
            found = self.db.row(
                "SELECT created, rowid FROM uploads WHERE id = ? AND vault = ?", (marker, vault)
            )
            if found is None:
                raise invalid_value(f"marker {marker!r} does not name an upload of this vault")
            after = (found[0], found[1])
        rows = self.db.rows(
            "SELECT *, rowid FROM uploads WHERE vault = ? AND (created > ? OR (created = ? AND rowid >= ?))"
            " ORDER BY created, rowid LIMIT ?",
            (vault, after[0], after[0], after[1], limit + 1),
        )
        following = rows[limit]["id"] if len(rows) > limit else None
        return [_upload(r) for r in rows[:limit]], following

    def parts(
        self, upload_id: str, start: int = 0, limit: int = MAX_PARTS
    ) -> Tuple[List[Part], Optional[int]]:
        """Parts by offset from ``start``; returns the offset of the next page or None."""
        rows = self.db.rows(
            "SELECT start, size, tree_hash, blob FROM parts WHERE upload_id = ? AND start >= ?"
            " ORDER BY start LIMIT ?",
            (upload_id, start, limit + 1),
        )
        parts = [Part(r["start"], r["size"], r["tree_hash"], r["blob"]) for r in rows]
        return parts[:limit], (parts[limit].start if len(parts) > limit else None)

    def check_part(self, upload: Upload, start: int, end: int) -> None:
        """Refuse a part range that breaks docs/vault-protocol.md §3.3 (checked before and after the body)."""
        size, part_size = end - start + 1, upload.part_size
        if start % part_size:
            raise invalid_value(
                f"Content-Range bytes {start}-{end} is not aligned to the part size {part_size}:"
                " a part must start at a multiple of the part size"
            )
        if size > part_size:
            raise invalid_value(f"Content-Range bytes {start}-{end} is longer than the part size {part_size}")
        if start // part_size >= MAX_PARTS:
            raise invalid_value(
                f"an upload can have at most {MAX_PARTS} parts; offset {start} is part "
                f"{start // part_size + 1}"
            )
        if size < part_size:
            later = self.db.row(
                "SELECT start FROM parts WHERE upload_id = ? AND start > ? LIMIT 1", (upload.upload_id, start)
            )
            if later is not None:
                raise invalid_value(
                    f"part {start}-{end} is shorter than the part size but a part exists at offset"
                    f" {later[0]}: only the last part may be short"
                )
        short = self.db.row(
            "SELECT start FROM parts WHERE upload_id = ? AND start < ? AND size < ? LIMIT 1",
            (upload.upload_id, start, part_size),
        )
        if short is not None:
            raise invalid_value(
                f"a short part was already uploaded at offset {short[0]}: only the last part may be"
                " shorter than the part size"
            )

    def put_part(self, upload: Upload, start: int, blob: Blob, now: float) -> None:
        """Record (or overwrite) the part at ``start``; the blob is discarded on any refusal."""
        replaced: Optional[str] = None
        try:
            with self._lock(upload.upload_id):
                current = self.get(upload.vault, upload.upload_id, now)
                self.check_part(current, start, start + blob.size - 1)
                with self.db.tx() as conn:
                    old = conn.execute(
                        "SELECT blob FROM parts WHERE upload_id = ? AND start = ?", (upload.upload_id, start)
                    ).fetchone()
                    replaced = None if old is None else str(old[0])
                    conn.execute(
                        "INSERT OR REPLACE INTO parts(upload_id, start, size, tree_hash, blob)"
                        " VALUES (?, ?, ?, ?, ?)",
                        (upload.upload_id, start, blob.size, blob.tree_hash, blob.token),
                    )
        except BaseException:
            self.db.discard(blob.token)
            raise
        self.db.discard(replaced)

    def completed_again(
        self, vault: str, upload_id: str, size: int, tree_hash: str, now: float
    ) -> Optional[Tuple[str, str]]:
        """(archive id, tree hash) when this upload was completed lately with the same size and hash."""
        with self._guard:
            self._completed = {
                key: done for key, done in self._completed.items() if now - done[4] < self.retention
            }
            done = self._completed.get(upload_id)
        if done is None or done[0] != vault or (done[1], done[2]) != (size, tree_hash):
            return None
        return done[3], done[2]

    def complete(self, upload: Upload, size: int, tree_hash: str, now: float) -> Tuple[str, str]:
        """Check the parts against ``size`` and ``tree_hash``, then build the archive."""
        with self._lock(upload.upload_id):
            again = self.completed_again(upload.vault, upload.upload_id, size, tree_hash, now)
            if again is not None:  # a concurrent Complete of the same upload won the lock
                return again
            self.get(upload.vault, upload.upload_id, now)
            parts = self.parts(upload.upload_id)[0]
            combined = self._check_complete(upload, parts, size, tree_hash)
            token = self.db.concat([p.blob for p in parts])
            blob = Blob(token, size, "", combined)
            archive_id = self.store.add_archive(upload.vault, blob, upload.description, now)
            self._drop(upload.upload_id)
            with self._guard:
                self._completed[upload.upload_id] = (upload.vault, size, combined, archive_id, now)
        return archive_id, combined

    def _check_complete(self, upload: Upload, parts: List[Part], size: int, tree_hash: str) -> str:
        if not parts:
            raise invalid_value("the upload has no parts; upload at least one part before completing")
        expected = 0
        for part in parts:
            if part.start != expected:
                raise invalid_value(
                    f"parts are not contiguous: bytes {expected}-{part.start - 1} are missing"
                )
            if part.size != upload.part_size and part is not parts[-1]:
                raise invalid_value(f"part at offset {part.start} is short but is not the last part")
            expected += part.size
        if expected != size:
            raise invalid_value(
                f"archive size {size} does not match the total size of the uploaded parts ({expected})"
            )
        combined = combine_tree_hashes([p.tree_hash for p in parts])
        if combined != tree_hash:
            raise invalid_value(
                f"the tree hash {tree_hash} does not match the tree hash of the uploaded parts ({combined})"
            )
        return combined

    def abort(self, upload: Upload) -> None:
        with self._lock(upload.upload_id):
            self._drop(upload.upload_id)

    def _drop(self, upload_id: str) -> None:
        with self.db.tx() as conn:
            blobs = [r[0] for r in conn.execute("SELECT blob FROM parts WHERE upload_id = ?", (upload_id,))]
            conn.execute("DELETE FROM parts WHERE upload_id = ?", (upload_id,))
            conn.execute("DELETE FROM uploads WHERE id = ?", (upload_id,))
        self.db.discard(*blobs)
        with self._guard:
            self._locks.pop(upload_id, None)

    def purge_expired(self, now: float) -> None:
        """Forget uploads older than the retention period (the service keeps them 24 h)."""
        for row in self.db.rows("SELECT id FROM uploads WHERE created + ? < ?", (self.retention, now)):
            self._drop(str(row[0]))
