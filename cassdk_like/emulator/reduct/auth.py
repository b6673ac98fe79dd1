"""ReductStore's tokens: how a request is authenticated, what a token may do, and the token
repository behind ``/tokens`` (docs/reduct-protocol.md §4).

A token's value is ``<name>-<32 hex>``; only a salted SHA-256 of it is stored. With no init token
configured, authentication is disabled: every request runs as a full-access pseudo token and the
token endpoints answer as the server does in that mode.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
import secrets
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Optional

from cassdk_like.emulator.db import Database
from cassdk_like.emulator.reduct.errors import reduct_error

__all__ = [
    "DISABLED_TOKEN_NAME",
    "INIT_TOKEN_NAME",
    "Permissions",
    "Token",
    "TokenRequest",
    "TokenStore",
    "format_time",
    "parse_time",
    "parse_token_request",
]

INIT_TOKEN_NAME = "init-token"  # noqa: S105 - a name, not a secret
DISABLED_TOKEN_NAME = "AUTHENTICATION-DISABLED"  # noqa: S105

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rs_tokens(
    name TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    created_at REAL NOT NULL,
    permissions TEXT NOT NULL,
    is_provisioned INTEGER NOT NULL,
    expires_at REAL,
    ttl INTEGER,
    last_access REAL,
    ip_allowlist TEXT NOT NULL
);
"""

#: what a read or write list may hold besides ``$``-names (docs/reduct-protocol.md §4.3)
_PERMISSION_NAME = re.compile(r"^[*a-zA-Z0-9_\-]+$")
#: last-access times are written back at most this often (seconds) per token
_LAST_ACCESS_WRITE_INTERVAL = 1.0


def format_time(seconds: float) -> str:
    """RFC 3339 in UTC with microseconds and ``Z``, as the server writes its times."""
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> float:
    """An RFC 3339 time with an offset, in UNIX seconds (ValueError if naive or malformed)."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    match = re.match(r"^(.*T\d\d:\d\d:\d\d)\.(\d+)(.*)$", value)
    if match:  # Python before 3.11 reads at most six fraction digits
        value = f"{match.group(1)}.{match.group(2)[:6].ljust(6, '0')}{match.group(3)}"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("a time needs an offset")
    return moment.timestamp()


def hash_secret(value: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.sha256(salt + value.encode("utf-8")).hexdigest()
    return f"sha256:{salt.hex()}:{digest}"


def verify_secret(stored: str, value: str) -> bool:
    scheme, _, rest = stored.partition(":")
    salt_hex, _, digest = rest.partition(":")
    if scheme != "sha256" or not digest:
        return False
    try:
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    computed = hashlib.sha256(salt + value.encode("utf-8")).hexdigest()
    return hmac.compare_digest(computed, digest)


def _bucket_matches(granted: List[str], bucket: str) -> bool:
    """Exact names, or a trailing ``*`` prefix that never matches a ``$`` (system) bucket."""
    for name in granted:
        if name == bucket:
            return True
        if bucket.startswith("$"):
            continue
        if name.endswith("*") and bucket.startswith(name[:-1]):
            return True
    return False


@dataclass(frozen=True)
class Permissions:
    full_access: bool = False
    read: List[str] = field(default_factory=list)
    write: List[str] = field(default_factory=list)

    def doc(self) -> Dict[str, Any]:
        return {"full_access": self.full_access, "read": list(self.read), "write": list(self.write)}


@dataclass(frozen=True, repr=False)
class Token:
    """A stored token; ``secret`` is the salted hash, never the value."""

    name: str
    secret: str
    created_at: float
    permissions: Permissions
    is_provisioned: bool = False
    expires_at: Optional[float] = None
    ttl: Optional[int] = None
    last_access: Optional[float] = None
    ip_allowlist: List[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"Token(name={self.name!r}, secret=<hidden>)"

    def is_expired(self, now: float) -> bool:
        if self.expires_at is not None and now >= self.expires_at:
            return True
        if self.ttl is not None:
            since = max(self.last_access or self.created_at, self.created_at)
            if int(now - since) > self.ttl:
                return True
        return False

    def doc(self, now: float) -> Dict[str, Any]:
        """The token as the server shows it: the value always blank."""
        return {
            "name": self.name,
            "value": "",
            "created_at": format_time(self.created_at),
            "permissions": self.permissions.doc(),
            "is_provisioned": self.is_provisioned,
            "expires_at": None if self.expires_at is None else format_time(self.expires_at),
            "ttl": self.ttl,
            "last_access": None if self.last_access is None else format_time(self.last_access),
            "ip_allowlist": list(self.ip_allowlist),
            "is_expired": self.is_expired(now),
        }

    # -- policies (docs/reduct-protocol.md §4.2) ------------------------------------------------

    def require_full_access(self) -> None:
        if not self.permissions.full_access:
            raise reduct_error(403, f"Token '{self.name}' doesn't have full access")

    def can_read(self, bucket: str) -> bool:
        return self.permissions.full_access or _bucket_matches(self.permissions.read, bucket)

    def require_read(self, bucket: str) -> None:
        if not self.can_read(bucket):
            raise reduct_error(403, f"Token '{self.name}' doesn't have read access to bucket '{bucket}'")

    def require_write(self, bucket: str) -> None:
        if not (self.permissions.full_access or _bucket_matches(self.permissions.write, bucket)):
            raise reduct_error(403, f"Token '{self.name}' doesn't have write access to bucket '{bucket}'")


@dataclass(frozen=True)
class TokenRequest:
    """A parsed ``POST /tokens/{name}`` body (either shape, docs/reduct-protocol.md §4.4)."""

    permissions: Permissions
    expires_at: Optional[float] = None
    ttl: Optional[int] = None
    ip_allowlist: List[str] = field(default_factory=list)


def parse_token_request(raw: bytes) -> TokenRequest:
    """The v2 body ``{permissions, expires_at, ttl, ip_allowlist}`` or the v1 flat permissions;
    anything else is 422 ``Invalid body``."""
    invalid = reduct_error(422, "Invalid body")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise invalid from None
    if not isinstance(doc, dict):
        raise invalid
    try:
        if "permissions" in doc:
            if set(doc) - {"permissions", "expires_at", "ttl", "ip_allowlist"}:
                raise ValueError("unknown field")
            expires = doc.get("expires_at")
            ttl = doc.get("ttl")
            if ttl is not None and (not isinstance(ttl, int) or isinstance(ttl, bool) or ttl < 0):
                raise ValueError("ttl")
            return TokenRequest(
                _permissions(doc["permissions"]),
                None if expires is None else parse_time(_text(expires)),
                ttl,
                _names(doc.get("ip_allowlist", [])),
            )
        if set(doc) - {"full_access", "read", "write", "ip_allowlist"}:
            raise ValueError("unknown field")
        return TokenRequest(_permissions(doc), ip_allowlist=_names(doc.get("ip_allowlist", [])))
    except (ValueError, TypeError, KeyError):
        raise invalid from None


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _names(value: Any) -> List[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TypeError("expected a list of strings")
    return list(value)


def _permissions(doc: Any) -> Permissions:
    if not isinstance(doc, dict) or set(doc) - {"full_access", "read", "write"}:
        raise TypeError("permissions")
    full = doc.get("full_access", False)
    if not isinstance(full, bool):
        raise TypeError("full_access")
    return Permissions(full, _names(doc.get("read", [])), _names(doc.get("write", [])))


def _ip_allowed(entry: str, client: str) -> bool:
    try:
        address = ipaddress.ip_address(client)
        if "/" in entry:
            return address in ipaddress.ip_network(entry, strict=False)
        return address == ipaddress.ip_address(entry)
    except ValueError:
        return False


class TokenStore:
    """The token repository, kept in the shared database. Thread-safe."""

    def __init__(self, db: Database, clock: Callable[[], float], api_token: Optional[str]) -> None:
        self.db = db
        self.clock = clock
        self.enabled = api_token is not None
        self._lock = threading.Lock()
        self._written_access: Dict[str, float] = {}
        self._last_seen: Dict[str, float] = {}
        db.add_tables(_SCHEMA, "SELECT NULL")
        if api_token is not None:
            self._provision_init_token(api_token)

    def __repr__(self) -> str:
        return f"TokenStore(enabled={self.enabled})"

    def _provision_init_token(self, value: str) -> None:
        existing = self.get(INIT_TOKEN_NAME, check_enabled=False)
        created = self.clock()
        secret = hash_secret(value)
        if existing is not None:
            if verify_secret(existing.secret, value):
                secret = existing.secret
            created = existing.created_at
        token = Token(INIT_TOKEN_NAME, secret, created, Permissions(True, [], []), is_provisioned=True)
        self._save(token)

    # -- reading ----------------------------------------------------------------------------------

    def _all(self) -> List[Token]:
        return [self._seen(_token_from_row(r)) for r in self.db.rows("SELECT * FROM rs_tokens ORDER BY name")]

    def _seen(self, token: Token) -> Token:
        """The token with its latest use, which reaches the database at most once a second."""
        with self._lock:
            seen = self._last_seen.get(token.name)
        if seen is None or (token.last_access is not None and token.last_access >= seen):
            return token
        return replace(token, last_access=seen)

    def get(self, name: str, *, check_enabled: bool = True) -> Optional[Token]:
        if check_enabled and not self.enabled:
            raise reduct_error(400, "Authentication is disabled")
        row = self.db.row("SELECT * FROM rs_tokens WHERE name = ?", (name,))
        return None if row is None else self._seen(_token_from_row(row))

    def require(self, name: str) -> Token:
        token = self.get(name)
        if token is None:
            raise reduct_error(404, f"Token '{name}' doesn't exist")
        return token

    def list(self) -> List[Token]:
        return self._all() if self.enabled else []

    # -- authentication (docs/reduct-protocol.md §4.1) -------------------------------------------

    def authenticate(self, authorization: Optional[str], client_ip: str) -> Token:
        """The calling token (or the full-access pseudo token when authentication is disabled)."""
        now = self.clock()
        if not self.enabled:
            return Token(DISABLED_TOKEN_NAME, "", now, Permissions(True, [], []))
        header = authorization or ""
        if not header.startswith("Bearer "):
            raise reduct_error(401, "No bearer token in request header")
        value = header[len("Bearer ") :]
        token = next((t for t in self._all() if verify_secret(t.secret, value)), None)
        if token is None:
            raise reduct_error(401, "Invalid token")
        if token.is_expired(now):
            raise reduct_error(401, "Token has expired")
        if token.ip_allowlist:
            if not client_ip:
                raise reduct_error(401, "Client IP is required for this token")
            if not any(_ip_allowed(entry, client_ip) for entry in token.ip_allowlist):
                raise reduct_error(401, f"Token is not allowed for client IP {client_ip}")
        self._touch(token.name, now)
        return replace(token, last_access=now)

    def _touch(self, name: str, now: float) -> None:
        with self._lock:
            self._last_seen[name] = now
            if now - self._written_access.get(name, float("-inf")) < _LAST_ACCESS_WRITE_INTERVAL:
                return
            self._written_access[name] = now
        with self.db.tx() as conn:
            conn.execute("UPDATE rs_tokens SET last_access = ? WHERE name = ?", (now, name))

    # -- changes ----------------------------------------------------------------------------------

    def create(self, name: str, request: TokenRequest) -> Dict[str, Any]:
        if not self.enabled:
            raise reduct_error(400, "Authentication is disabled")
        if not name:
            raise reduct_error(422, "Token name can't be empty")
        now = self.clock()
        for entry in [*request.permissions.read, *request.permissions.write]:
            if not entry.startswith("$") and not _PERMISSION_NAME.match(entry):
                raise reduct_error(
                    422, f"Permission can contain only bucket names or wildcard '*', got '{entry}'"
                )
        if request.ttl == 0:
            raise reduct_error(422, "Token TTL must be greater than zero")
        if request.expires_at is not None and request.expires_at < now:
            raise reduct_error(422, "Token expiration date must not be in the past")
        value = f"{name}-{secrets.token_hex(16)}"
        token = Token(
            name,
            hash_secret(value),
            now,
            request.permissions,
            expires_at=request.expires_at,
            ttl=request.ttl,
            ip_allowlist=list(request.ip_allowlist),
        )
        with self.db.tx() as conn:
            if conn.execute("SELECT 1 FROM rs_tokens WHERE name = ?", (name,)).fetchone():
                raise reduct_error(409, f"Token '{name}' already exists")
            _insert(conn, token)
        self._forget(name)
        return {"value": value, "created_at": format_time(now)}

    def rotate(self, name: str) -> Dict[str, Any]:
        token = self.require(name)
        if token.is_provisioned:
            raise reduct_error(409, f"Can't rotate provisioned token '{name}'")
        now = self.clock()
        if token.expires_at is not None and now >= token.expires_at:
            raise reduct_error(422, f"Can't rotate expired token '{name}'")
        value = f"{name}-{secrets.token_hex(16)}"
        with self.db.tx() as conn:
            conn.execute(
                "UPDATE rs_tokens SET secret = ?, created_at = ?, last_access = ? WHERE name = ?",
                (hash_secret(value), now, now, name),
            )
        return {"value": value, "created_at": format_time(now)}

    def remove(self, name: str) -> None:
        if not self.enabled:
            return
        with self.db.tx() as conn:
            row = conn.execute("SELECT * FROM rs_tokens WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise reduct_error(404, f"Token '{name}' doesn't exist")
            token = _token_from_row(row)
            if token.is_provisioned:
                raise reduct_error(409, f"Can't remove provisioned token '{name}'")
            if token.permissions.full_access:
                others = [
                    _token_from_row(r)
                    for r in conn.execute("SELECT * FROM rs_tokens WHERE name != ?", (name,))
                ]
                if not any(other.permissions.full_access for other in others):
                    raise reduct_error(
                        409, f"Can't remove token '{name}': at least one full-access token must remain"
                    )
            conn.execute("DELETE FROM rs_tokens WHERE name = ?", (name,))
        self._forget(name)

    def _forget(self, name: str) -> None:
        with self._lock:
            self._last_seen.pop(name, None)
            self._written_access.pop(name, None)

    def remove_bucket(self, bucket: str) -> None:
        """Strip a removed bucket's name from every token's read and write lists."""
        self._rewrite_lists(lambda names: [n for n in names if n != bucket])

    def rename_bucket(self, old: str, new: str) -> None:
        self._rewrite_lists(lambda names: [new if n == old else n for n in names])

    def _rewrite_lists(self, change: Callable[[List[str]], List[str]]) -> None:
        if not self.enabled:
            return
        with self.db.tx() as conn:
            for row in conn.execute("SELECT name, permissions FROM rs_tokens").fetchall():
                permissions = _permissions_from_json(str(row["permissions"]))
                updated = Permissions(
                    permissions.full_access, change(permissions.read), change(permissions.write)
                )
                if updated != permissions:
                    conn.execute(
                        "UPDATE rs_tokens SET permissions = ? WHERE name = ?",
                        (json.dumps(updated.doc()), row["name"]),
                    )

    def _save(self, token: Token) -> None:
        with self.db.tx() as conn:
            conn.execute("DELETE FROM rs_tokens WHERE name = ?", (token.name,))
            _insert(conn, token)


def _insert(conn: Any, token: Token) -> None:
    conn.execute(
        "INSERT INTO rs_tokens(name, secret, created_at, permissions, is_provisioned, expires_at, ttl,"
        " last_access, ip_allowlist) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            token.name,
            token.secret,
            token.created_at,
            json.dumps(token.permissions.doc()),
            int(token.is_provisioned),
            token.expires_at,
            token.ttl,
            token.last_access,
            json.dumps(token.ip_allowlist),
        ),
    )


def _permissions_from_json(text: str) -> Permissions:
    doc = json.loads(text)
    return Permissions(bool(doc["full_access"]), list(doc["read"]), list(doc["write"]))


def _token_from_row(row: Any) -> Token:
    return Token(
        name=str(row["name"]),
        secret=str(row["secret"]),
        created_at=float(row["created_at"]),
        permissions=_permissions_from_json(str(row["permissions"])),
        is_provisioned=bool(row["is_provisioned"]),
        expires_at=None if row["expires_at"] is None else float(row["expires_at"]),
        ttl=None if row["ttl"] is None else int(row["ttl"]),
        last_access=None if row["last_access"] is None else float(row["last_access"]),
        ip_allowlist=list(json.loads(str(row["ip_allowlist"]))),
    )
