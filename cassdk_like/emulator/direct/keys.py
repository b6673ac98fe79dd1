"""The portal's access keys: an id the reader sends as its bearer token, and a secret it never sends.

The secret is base64 of 32 random bytes (docs/directio-protocol.md §5); it wraps the data key of
every file the key owns. A default pair is created on first use and kept in the data directory, so
an example can read what it publishes without any set-up.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass
from typing import Callable, List, Optional

from cassdk_like.emulator.db import Database

__all__ = ["AccessKey", "AccessKeys"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS dio_keys (
    access_key_id TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL
);
"""
_NO_BLOBS = "SELECT NULL WHERE 0"
_DEFAULT_META = "direct_default_access_key_id"


@dataclass(frozen=True, repr=False)
class AccessKey:
    """One access key pair; the repr hides the secret."""

    access_key_id: str
    secret_access_key: str

    def __repr__(self) -> str:
        return f"AccessKey(access_key_id={self.access_key_id!r}, secret_access_key=<hidden>)"


def new_secret() -> str:
    """A fresh secret: base64 of 32 random bytes."""
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _check_secret(secret: str) -> None:
    try:
        raw = base64.b64decode(secret.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError("a DirectIO secret access key is base64") from None
    if len(raw) < 32:
        raise ValueError("a DirectIO secret access key decodes to at least 32 bytes")


class AccessKeys:
    """Access keys in the shared database. Thread-safe (through the Database)."""

    def __init__(self, db: Database, clock: Callable[[], float]) -> None:
        db.add_tables(_SCHEMA, _NO_BLOBS)
        self._db = db
        self._clock = clock

    def create(
        self, access_key_id: Optional[str] = None, secret_access_key: Optional[str] = None
    ) -> AccessKey:
        """Add a key (generated parts where not given); ValueError if the id is taken."""
        key_id = access_key_id or "DIO" + secrets.token_hex(10).upper()
        secret = secret_access_key or new_secret()
        if not key_id.isascii() or not key_id.isprintable() or " " in key_id:
            raise ValueError("an access key id is printable ASCII without spaces")
        _check_secret(secret)
        with self._db.tx() as conn:
            if conn.execute("SELECT 1 FROM dio_keys WHERE access_key_id = ?", (key_id,)).fetchone():
                raise ValueError(f"access key {key_id!r} already exists")
            conn.execute(
                "INSERT INTO dio_keys(access_key_id, secret, revoked, created) VALUES (?, ?, 0, ?)",
                (key_id, secret, self._clock()),
            )
        return AccessKey(key_id, secret)

    def default(self) -> AccessKey:
        """The default pair (created and remembered on first use)."""
        key_id = self._db.meta_get(_DEFAULT_META)
        found = self.get(key_id) if key_id else None
        if found is not None:
            return found
        created = self.create()
        self._db.meta_set(_DEFAULT_META, created.access_key_id)
        return created

    def get(self, access_key_id: Optional[str]) -> Optional[AccessKey]:
        """The active key of that id (None: unknown or revoked)."""
        if not access_key_id:
            return None
        row = self._db.row(
            "SELECT access_key_id, secret FROM dio_keys WHERE access_key_id = ? AND revoked = 0",
            (access_key_id,),
        )
        return None if row is None else AccessKey(str(row["access_key_id"]), str(row["secret"]))

    def revoke(self, access_key_id: str) -> bool:
        """Refuse the key from now on (its files' metadata answers 401); False if it was not active."""
        with self._db.tx() as conn:
            done = conn.execute(
                "UPDATE dio_keys SET revoked = 1 WHERE access_key_id = ? AND revoked = 0", (access_key_id,)
            ).rowcount
        return bool(done)

    def ids(self) -> List[str]:
        return [str(r[0]) for r in self._db.rows("SELECT access_key_id FROM dio_keys WHERE revoked = 0")]
