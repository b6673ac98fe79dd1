"""Vault and archive state, with the service's rules and no HTTP.

Why separate from the protocol: the rules (vault limit, delete-only-when-empty, tombstones for deleted
archives) can be read and tested without a socket, and both dialects share them unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from cassdk_like.emulator.cas.errors import bad_request, limit_exceeded, not_found
from cassdk_like.emulator.cas.util import ARCHIVE_ID_BYTES, new_id
from cassdk_like.emulator.db import Blob, Database

__all__ = ["Archive", "Store", "Vault"]

#: the vault configuration documents kept per vault (each a JSON text or NULL)
CONFIG_FIELDS = ("policy", "notifications", "lock")


@dataclass(frozen=True)
class Vault:
    name: str
    created: float
    last_inventory: Optional[float]
    number_of_archives: Optional[int]
    size_in_bytes: Optional[int]


@dataclass(frozen=True)
class Archive:
    archive_id: str
    vault: str
    size: int
    tree_hash: str
    description: Optional[str]
    created: float
    blob: Optional[str]
    deleted: bool


def _archive(row: Any) -> Archive:
    return Archive(
        archive_id=row["id"],
        vault=row["vault"],
        size=row["size"],
        tree_hash=row["tree_hash"],
        description=row["description"],
        created=row["created"],
        blob=row["blob"],
        deleted=bool(row["deleted"]),
    )


class Store:
    """Vaults, their configuration documents, and archives. Thread-safe (through the Database)."""

    def __init__(self, db: Database, *, max_vaults: int) -> None:
        self.db = db
        self.max_vaults = max_vaults

    # -- vaults -------------------------------------------------------------------------------

    def create_vault(self, name: str, now: float) -> None:
        """Create ``name``; creating an existing vault succeeds again, as in Glacier."""
        with self.db.tx() as conn:
            if conn.execute("SELECT 1 FROM vaults WHERE name = ?", (name,)).fetchone():
                return
            (count,) = conn.execute("SELECT COUNT(*) FROM vaults").fetchone()
            if count >= self.max_vaults:
                raise limit_exceeded(f"an account can have at most {self.max_vaults} vaults")
            conn.execute("INSERT INTO vaults(name, created) VALUES (?, ?)", (name, now))

    def vault(self, name: str) -> Vault:
        """Describe Vault; counts are null until the vault's first inventory (first archive)."""
        row = self.db.row("SELECT name, created, last_inventory FROM vaults WHERE name = ?", (name,))
        if row is None:
            raise not_found(f"vault {name!r} does not exist")
        return self._vault(row)

    def _vault(self, row: Any) -> Vault:
        if row["last_inventory"] is None:
            return Vault(row["name"], row["created"], None, None, None)
        count, size = self.db.rows(
            "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM archives WHERE vault = ? AND deleted = 0",
            (row["name"],),
        )[0]
        return Vault(row["name"], row["created"], row["last_inventory"], int(count), int(size))

    def list_vaults(self, start: Optional[str], limit: int) -> Tuple[List[Vault], Optional[str]]:
        """Vaults in name order from ``start`` (inclusive); returns the next start or None."""
        rows = self.db.rows(
            "SELECT name, created, last_inventory FROM vaults WHERE name >= ? ORDER BY name LIMIT ?",
            (start or "", limit + 1),
        )
        following = rows[limit]["name"] if len(rows) > limit else None
        return [self._vault(r) for r in rows[:limit]], following

    def delete_vault(self, name: str) -> None:
        """Delete an empty vault with no upload in progress; its policy and config go with it."""
        with self.db.tx() as conn:
            self.require_in(conn, name)
            live = conn.execute(
                "SELECT COUNT(*) FROM archives WHERE vault = ? AND deleted = 0", (name,)
            ).fetchone()[0]
            if live:
                raise bad_request("vault is not empty, only empty vault can be delete")
            if conn.execute("SELECT 1 FROM uploads WHERE vault = ?", (name,)).fetchone():
                raise bad_request("vault has multipart uploads in progress; abort or complete them first")
            outputs = [r[0] for r in conn.execute("SELECT output FROM jobs WHERE vault = ?", (name,))]
            conn.execute("DELETE FROM jobs WHERE vault = ?", (name,))
            conn.execute("DELETE FROM archives WHERE vault = ?", (name,))
            conn.execute("DELETE FROM vaults WHERE name = ?", (name,))
        self.db.discard(*outputs)

    def require_in(self, conn: Any, name: str) -> None:
        """Inside a transaction: refuse with 404 unless vault ``name`` exists."""
        if not conn.execute("SELECT 1 FROM vaults WHERE name = ?", (name,)).fetchone():
            raise not_found(f"vault {name!r} does not exist")

    # -- configuration documents (policy, notifications, lock, tags) -------------------------

    def get_config(self, name: str, field: str) -> Optional[Dict[str, Any]]:
        """A vault's configuration document (``policy``, ``notifications`` or ``lock``) or None."""
        assert field in CONFIG_FIELDS
        row = self.db.row(f"SELECT {field} FROM vaults WHERE name = ?", (name,))  # noqa: S608
        if row is None:
            raise not_found(f"vault {name!r} does not exist")
        text = row[field]
        return None if text is None else dict(json.loads(text))

    def set_config(self, name: str, field: str, value: Optional[Dict[str, Any]]) -> None:
        assert field in CONFIG_FIELDS
        text = None if value is None else json.dumps(value)
        with self.db.tx() as conn:
            self.require_in(conn, name)
            conn.execute(f"UPDATE vaults SET {field} = ? WHERE name = ?", (text, name))  # noqa: S608

    def get_tags(self, name: str) -> Dict[str, str]:
        row = self.db.row("SELECT tags FROM vaults WHERE name = ?", (name,))
        if row is None:
            raise not_found(f"vault {name!r} does not exist")
        return dict(json.loads(row["tags"]))

    def update_tags(self, name: str, add: Dict[str, str], remove: List[str], max_tags: int) -> None:
        """Merge ``add`` and drop ``remove`` atomically; more than ``max_tags`` is refused."""
        with self.db.tx() as conn:
            row = conn.execute("SELECT tags FROM vaults WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise not_found(f"vault {name!r} does not exist")
            tags = dict(json.loads(row["tags"]))
            tags.update(add)
            for key in remove:
                tags.pop(key, None)
            if len(tags) > max_tags:
                raise limit_exceeded(f"a vault can have at most {max_tags} tags ({len(tags)} requested)")
            conn.execute("UPDATE vaults SET tags = ? WHERE name = ?", (json.dumps(tags), name))

    # -- archives -----------------------------------------------------------------------------

    def add_archive(self, vault: str, blob: Blob, description: Optional[str], now: float) -> str:
        """Record a stored blob as a new archive; returns the new opaque archive id."""
        archive_id = new_id(ARCHIVE_ID_BYTES)
        try:
            with self.db.tx() as conn:
                self.require_in(conn, vault)
                conn.execute(
                    "INSERT INTO archives(id, vault, size, tree_hash, description, created, blob)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (archive_id, vault, blob.size, blob.tree_hash, description, now, blob.token),
                )
                conn.execute("UPDATE vaults SET last_inventory = ? WHERE name = ?", (now, vault))
        except BaseException:
            self.db.discard(blob.token)
            raise
        return archive_id

    def archive(self, vault: str, archive_id: str) -> Archive:
        """An archive of ``vault``, deleted ones included (their tombstone has no blob)."""
        row = self.db.row("SELECT * FROM archives WHERE id = ? AND vault = ?", (archive_id, vault))
        if row is None:
            raise not_found(f"archive {archive_id!r} does not exist in vault {vault!r}")
        return _archive(row)

    def delete_archive(self, vault: str, archive_id: str, now: float) -> None:
        """Delete an archive; a tombstone stays so jobs started on it fail (docs/vault-protocol.md §1.2)."""
        with self.db.tx() as conn:
            self.require_in(conn, vault)
            row = conn.execute(
                "SELECT blob FROM archives WHERE id = ? AND vault = ? AND deleted = 0", (archive_id, vault)
            ).fetchone()
            if row is None:
                raise not_found(f"archive {archive_id!r} does not exist in vault {vault!r}")
            conn.execute("UPDATE archives SET deleted = 1, blob = NULL WHERE id = ?", (archive_id,))
            conn.execute("UPDATE vaults SET last_inventory = ? WHERE name = ?", (now, vault))
        self.db.discard(row["blob"])

    def inventory(
        self, vault: str, start: Optional[float], end: Optional[float], marker: Optional[str], limit: int
    ) -> Tuple[List[Archive], Optional[str]]:
        """Live archives in ArchiveId order from ``marker``, created within [start, end]."""
        rows = self.db.rows(
            "SELECT * FROM archives WHERE vault = ? AND deleted = 0 AND id >= ?"
            " AND created >= ? AND created <= ? ORDER BY id LIMIT ?",
            (
                vault,
                marker or "",
                start if start is not None else 0.0,
                end if end is not None else 1e18,
                limit + 1,
            ),
        )
        following = rows[limit]["id"] if len(rows) > limit else None
        return [_archive(r) for r in rows[:limit]], following
