"""The published files: owner, block layout, wrapped key fields and the state of their URLs.

A file's ``grant`` is signed into every block URL minted for it; rotating the grant or revoking
the file makes the object store refuse all URLs minted before (docs/directio-protocol.md §7.3).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

from cassdk_like.emulator.db import Database

__all__ = ["FileRecord", "FileRegistry"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS dio_files (
    file_id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner TEXT NOT NULL,
    grant_id TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0,
    unsupported INTEGER NOT NULL DEFAULT 0,
    url_ttl INTEGER NOT NULL,
    created REAL NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dio_files_grant ON dio_files(grant_id);
"""
_NO_BLOBS = "SELECT NULL WHERE 0"


@dataclass(frozen=True)
class FileRecord:
    """One published file. ``fields`` is the format part of its metadata document (both schemas);
    ``lengths`` the plaintext length of each block, in order; ``keys`` its block objects."""

    file_id: int
    owner: str
    grant_id: str
    revoked: bool
    unsupported: bool
    url_ttl: int
    fields: Dict[str, Any] = field(default_factory=dict)
    lengths: List[int] = field(default_factory=list)
    keys: List[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(self.lengths)


def _new_grant() -> str:
    return secrets.token_hex(16)


class FileRegistry:
    """Published files in the shared database. Thread-safe (through the Database)."""

    def __init__(self, db: Database, clock: Callable[[], float]) -> None:
        db.add_tables(_SCHEMA, _NO_BLOBS)
        self._db = db
        self._clock = clock

    def next_id(self) -> int:
        """Reserve a file id (a row in state ``revoked`` until :meth:`complete` fills it in)."""
        with self._db.tx() as conn:
            cursor = conn.execute(
                "INSERT INTO dio_files(owner, grant_id, revoked, unsupported, url_ttl, created, doc)"
                " VALUES ('', ?, 1, 0, 1, ?, '{}')",
                (_new_grant(), self._clock()),
            )
            file_id = cursor.lastrowid
        assert file_id is not None
        return int(file_id)

    def complete(
        self,
        file_id: int,
        *,
        owner: str,
        url_ttl: int,
        unsupported: bool,
        fields: Dict[str, Any],
        lengths: List[int],
        keys: List[str],
    ) -> FileRecord:
        doc = json.dumps({"fields": fields, "lengths": lengths, "keys": keys})
        with self._db.tx() as conn:
            conn.execute(
                "UPDATE dio_files SET owner = ?, revoked = 0, unsupported = ?, url_ttl = ?, doc = ?"
                " WHERE file_id = ?",
                (owner, int(unsupported), url_ttl, doc, file_id),
            )
        found = self.get(file_id)
        assert found is not None
        return found

    def get(self, file_id: int) -> Optional[FileRecord]:
        row = self._db.row("SELECT * FROM dio_files WHERE file_id = ?", (file_id,))
        if row is None or not row["owner"]:
            return None
        doc = json.loads(row["doc"])
        return FileRecord(
            int(row["file_id"]),
            str(row["owner"]),
            str(row["grant_id"]),
            bool(row["revoked"]),
            bool(row["unsupported"]),
            int(row["url_ttl"]),
            doc["fields"],
            [int(n) for n in doc["lengths"]],
            [str(k) for k in doc["keys"]],
        )

    def grant_is_live(self, grant_id: str) -> bool:
        """Whether URLs carrying this grant may still be used."""
        row = self._db.row("SELECT revoked FROM dio_files WHERE grant_id = ? AND owner != ''", (grant_id,))
        return row is not None and not row["revoked"]

    def _update(self, file_id: int, sql: str, args: List[Any]) -> bool:
        with self._db.tx() as conn:
            done = conn.execute(
                f"UPDATE dio_files SET {sql} WHERE file_id = ? AND owner != ''",  # noqa: S608 - fixed columns
                (*args, file_id),
            ).rowcount
        return bool(done)

    def revoke(self, file_id: int) -> bool:
        """Refuse the file's metadata and every URL minted for it; False for an unknown file."""
        return self._update(file_id, "revoked = 1", [])

    def rotate(self, file_id: int) -> bool:
        """A new grant: URLs minted so far are refused, the next metadata answer mints working ones."""
        return self._update(file_id, "grant_id = ?", [_new_grant()])

    def set_unsupported(self, file_id: int, unsupported: bool = True) -> bool:
        """Make the file's storage one the portal cannot serve directly (metadata answers 422)."""
        return self._update(file_id, "unsupported = ?", [int(unsupported)])

    def set_url_ttl(self, file_id: int, url_ttl: int) -> bool:
        return self._update(file_id, "url_ttl = ?", [int(url_ttl)])

    def count(self) -> int:
        row = self._db.row("SELECT COUNT(*) AS n FROM dio_files WHERE owner != ''")
        return 0 if row is None else int(row["n"])
