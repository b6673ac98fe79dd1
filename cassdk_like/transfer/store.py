"""The transfer manager's durable state: one SQLite database under ``state_dir``.

Why SQLite: destinations, manifests, transfers, per-file progress, request results and user data
must survive a crash or kill -9 between any two statements, and a new manager on the same folder
must read them back (docs/transfer.md §5).  WAL mode lets readers run while a worker commits a
checkpoint; every write is one transaction, so a crash leaves either the old or the new state.
Each thread gets its own connection (sqlite3 connections are not shared across threads) and
writers take one lock, so no writer ever waits on SQLite's busy handler.

Several processes may open one folder, but one at a time runs its transfers: the *runner* holds
an exclusive ``flock`` on ``runner.lock`` (released by the kernel if it dies, even by kill -9).
Any process asks a transfer to suspend, resume or fail by writing a row of ``controls``; that and
every other change a runner must pick up (a new transfer, a priority or rate, a deleted transfer)
bumps ``meta.control_version`` in the same transaction, so the runner's tick is one query of one
row (docs/transfer.md §5).
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import attrs

from cassdk_like.core.exceptions import LocalFileError
from cassdk_like.transfer.errors import TransferError

__all__ = [
    "SCHEMA_VERSION",
    "DestinationRecord",
    "FileEntry",
    "ManifestRecord",
    "RequestRecord",
    "RunnerLock",
    "SharedTokenRecord",
    "Store",
    "TransferRecord",
]

#: bump with a migration step in ``Store._migrate`` whenever the tables change
SCHEMA_VERSION = 3
DB_NAME = "transfers.sqlite3"
LOCK_NAME = "runner.lock"
#: what ``controls.action`` asks of a transfer's runner
SUSPEND, RESUME, FAIL = "suspend", "resume", "fail"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS destinations (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, address TEXT NOT NULL, profile TEXT NOT NULL,
    send_rate_max REAL, lanes TEXT NOT NULL, defaults TEXT NOT NULL, exclusive INTEGER NOT NULL,
    permanent INTEGER NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS manifests (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, status TEXT NOT NULL, mappings TEXT NOT NULL,
    symlink_options INTEGER NOT NULL, file_count INTEGER NOT NULL, total_size INTEGER NOT NULL,
    error TEXT, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS manifest_files (
    manifest_id TEXT NOT NULL, idx INTEGER NOT NULL, dest TEXT NOT NULL, src TEXT NOT NULL,
    size INTEGER NOT NULL, mtime_ns INTEGER, flags INTEGER NOT NULL, access TEXT NOT NULL,
    PRIMARY KEY (manifest_id, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS transfers (
    id INTEGER PRIMARY KEY AUTOINCREMENT, destination_id TEXT NOT NULL, manifest_id TEXT NOT NULL,
    status TEXT NOT NULL, error TEXT, options TEXT NOT NULL, created REAL NOT NULL,
    updated REAL NOT NULL, checkpointed REAL);
CREATE TABLE IF NOT EXISTS transfer_files (
    transfer_id INTEGER NOT NULL, idx INTEGER NOT NULL, dest TEXT NOT NULL, src TEXT NOT NULL,
    size INTEGER NOT NULL, mtime_ns INTEGER, flags INTEGER NOT NULL, access TEXT NOT NULL,
    state TEXT NOT NULL, bytes INTEGER NOT NULL, PRIMARY KEY (transfer_id, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, target TEXT NOT NULL,
    status TEXT NOT NULL, result TEXT, error TEXT, created REAL NOT NULL, finished REAL);
CREATE TABLE IF NOT EXISTS user_data (
    object_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (object_id, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS shared_tokens (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, manifest_id TEXT NOT NULL, transfer_id INTEGER NOT NULL,
    destination_id TEXT NOT NULL, state TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS controls (
    transfer_id INTEGER PRIMARY KEY, action TEXT NOT NULL, message TEXT, created REAL NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('control_version', '0');
"""

#: file states in ``transfer_files``
PENDING, DONE, SKIPPED = "pending", "done", "skipped"


@attrs.frozen
class DestinationRecord:
    id: str
    seq: int
    address: str
    profile: str
    send_rate_max: Optional[float]  # bytes/s; None: unlimited
    lanes: Dict[str, float]
    defaults: Dict[str, Any]
    exclusive: bool
    permanent: bool
    created: float


@attrs.frozen
class ManifestRecord:
    id: str
    seq: int
    status: str
    mappings: Dict[str, Any]
    symlink_options: int
    file_count: int
    total_size: int
    error: Optional[str]
    created: float


@attrs.frozen
class FileEntry:
    """One file (or empty folder) of a manifest: where it goes, where it comes from."""

    dest: str
    src: str
    size: int
    mtime_ns: Optional[int]
    flags: int
    access: str = ""


@attrs.frozen
class TransferRecord:
    id: int
    destination_id: str
    manifest_id: str
    status: str
    error: Optional[str]
    options: Dict[str, Any]
    created: float
    updated: float
    checkpointed: Optional[float]


@attrs.frozen
class RequestRecord:
    id: int
    kind: str
    target: str
    status: str
    result: Optional[Any]
    error: Optional[str]
    created: float
    finished: Optional[float]


@attrs.frozen(repr=False)
class SharedTokenRecord:
    """A shared token as kept here (docs/transfer.md §8.5): never its secret nor its password.
    ``state`` holds the public key its file list is sealed to, the sealed (not opened) key, the
    file list, the limits and the grant registry's revocation proof."""

    id: str
    seq: int
    manifest_id: str
    transfer_id: int
    destination_id: str
    state: Dict[str, Any]
    created: float
    updated: float

    def __repr__(self) -> str:
        return f"SharedTokenRecord(id={self.id!r}, manifest_id={self.manifest_id!r})"


Row = Tuple[Any, ...]


class Store:
    """The state database of one ``state_dir``. Thread-safe."""

    def __init__(self, state_dir: Union[str, os.PathLike[str]]) -> None:
        self.state_dir = Path(state_dir).expanduser()
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LocalFileError(
                f"cannot make the state folder: {exc.strerror or exc}",
                operation="TransferManager",
                local_path=str(self.state_dir),
            ) from exc
        self.path = self.state_dir / DB_NAME
        self._local = threading.local()
        self._write = threading.Lock()
        self._connections: List[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._migrate()

    # -- connections --------------------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn: Optional[sqlite3.Connection] = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA busy_timeout=10000")
            except sqlite3.Error as exc:
                raise LocalFileError(
                    f"cannot open the state database: {exc}",
                    operation="TransferManager",
                    local_path=str(self.path),
                ) from exc
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    def _query(self, sql: str, args: Sequence[Any] = ()) -> List[Row]:
        return list(self._conn().execute(sql, args).fetchall())

    def _transaction(self) -> _Transaction:
        return _Transaction(self)

    def close(self) -> None:
        """Close every thread's connection (the manager's ``close``)."""
        with self._connections_lock:
            conns, self._connections = self._connections, []
        for conn in conns:
            conn.close()
        self._local = threading.local()

    def _migrate(self) -> None:
        with self._transaction() as conn:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is None:
                conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            elif int(row[0]) > SCHEMA_VERSION:
                raise TransferError(
                    f"the state database has schema {row[0]}, newer than this SDK's {SCHEMA_VERSION}",
                    operation="TransferManager",
                    resource=str(self.path),
                )
            elif int(row[0]) < SCHEMA_VERSION:  # 2: shared_tokens, 3: controls, made by the script above
                conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))

    @property
    def schema_version(self) -> int:
        return int(self._query("SELECT value FROM meta WHERE key = 'schema_version'")[0][0])

    # -- destinations -------------------------------------------------------------------------------

    def add_destination(self, record: DestinationRecord) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO destinations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.seq,
                    record.address,
                    record.profile,
                    record.send_rate_max,
                    json.dumps(record.lanes),
                    json.dumps(record.defaults),
                    int(record.exclusive),
                    int(record.permanent),
                    record.created,
                ),
            )

    def update_destination(
        self,
        destination_id: str,
        *,
        send_rate_max: Optional[float] = None,
        change_rate: bool = False,
        lanes: Optional[Mapping[str, float]] = None,
        defaults: Optional[Mapping[str, Any]] = None,
    ) -> None:
        """Change what is given; ``change_rate`` sets ``send_rate_max`` (None: unlimited)."""
        with self._transaction() as conn:
            _bump(conn)
            if change_rate:
                conn.execute(
                    "UPDATE destinations SET send_rate_max = ? WHERE id = ?", (send_rate_max, destination_id)
                )
            if lanes is not None:
                text = json.dumps(dict(lanes))
                conn.execute("UPDATE destinations SET lanes = ? WHERE id = ?", (text, destination_id))
            if defaults is not None:
                conn.execute(
                    "UPDATE destinations SET defaults = ? WHERE id = ?",
                    (json.dumps(dict(defaults)), destination_id),
                )

    def destinations(self) -> List[DestinationRecord]:
        rows = self._query("SELECT * FROM destinations ORDER BY seq")
        return [_destination(row) for row in rows]

    def destination(self, destination_id: str) -> Optional[DestinationRecord]:
        rows = self._query("SELECT * FROM destinations WHERE id = ?", (destination_id,))
        return _destination(rows[0]) if rows else None

    def delete_destination(self, destination_id: str) -> None:
        """The destination, its transfers and their progress, and all their user data."""
        with self._transaction() as conn:
            _bump(conn)
            ids = [row[0] for row in conn.execute(
                "SELECT id FROM transfers WHERE destination_id = ?", (destination_id,)
            )]  # fmt: skip
            for transfer_id in ids:
                _delete_transfer(conn, transfer_id)
            conn.execute("DELETE FROM destinations WHERE id = ?", (destination_id,))
            conn.execute("DELETE FROM user_data WHERE object_id = ?", (destination_id,))

    def next_seq(self, table: str) -> int:
        assert table in ("destinations", "manifests", "shared_tokens")
        rows = self._query(f"SELECT COALESCE(MAX(seq), 0) + 1 FROM {table}")  # noqa: S608 (fixed names)
        return int(rows[0][0])

    # -- manifests ----------------------------------------------------------------------------------

    def add_manifest(self, record: ManifestRecord, files: Sequence[FileEntry] = ()) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO manifests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.seq,
                    record.status,
                    json.dumps(record.mappings),
                    record.symlink_options,
                    record.file_count,
                    record.total_size,
                    record.error,
                    record.created,
                ),
            )
            _insert_files(conn, record.id, 0, files)

    def add_manifest_files(self, manifest_id: str, start: int, files: Sequence[FileEntry]) -> bool:
        """Append walked entries; False (nothing written) when the manifest was deleted meanwhile."""
        with self._transaction() as conn:
            if conn.execute("SELECT 1 FROM manifests WHERE id = ?", (manifest_id,)).fetchone() is None:
                return False
            _insert_files(conn, manifest_id, start, files)
            conn.execute(
                "UPDATE manifests SET file_count = file_count + ?, total_size = total_size + ? WHERE id = ?",
                (len(files), sum(f.size for f in files), manifest_id),
            )
            return True

    def finish_manifest(self, manifest_id: str, status: str, error: Optional[str] = None) -> None:
        with self._transaction() as conn:
            conn.execute(
                "UPDATE manifests SET status = ?, error = ? WHERE id = ?", (status, error, manifest_id)
            )

    def restart_manifest(self, manifest_id: str) -> None:
        """Forget a traversal a crash interrupted, so it can run again from the start."""
        with self._transaction() as conn:
            conn.execute("DELETE FROM manifest_files WHERE manifest_id = ?", (manifest_id,))
            conn.execute(
                "UPDATE manifests SET file_count = 0, total_size = 0, status = 'processing', error = NULL "
                "WHERE id = ?",
                (manifest_id,),
            )

    def manifests(self) -> List[ManifestRecord]:
        return [_manifest(row) for row in self._query("SELECT * FROM manifests ORDER BY seq")]

    def manifest(self, manifest_id: str) -> Optional[ManifestRecord]:
        rows = self._query("SELECT * FROM manifests WHERE id = ?", (manifest_id,))
        return _manifest(rows[0]) if rows else None

    def manifest_files(self, manifest_id: str, limit: Optional[int] = None) -> List[FileEntry]:
        sql = (
            "SELECT dest, src, size, mtime_ns, flags, access FROM manifest_files "
            "WHERE manifest_id = ? ORDER BY idx"
        )
        args: List[Any] = [manifest_id]
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [FileEntry(*row) for row in self._query(sql, args)]

    def delete_manifest(self, manifest_id: str) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM manifest_files WHERE manifest_id = ?", (manifest_id,))
            conn.execute("DELETE FROM manifests WHERE id = ?", (manifest_id,))
            conn.execute("DELETE FROM user_data WHERE object_id = ?", (manifest_id,))

    # -- transfers ----------------------------------------------------------------------------------

    def add_transfer(
        self, destination_id: str, manifest_id: str, options: Mapping[str, Any], now: float
    ) -> int:
        """A new queued transfer with its own copy of the manifest's files (the manifest may go)."""
        with self._transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO transfers (destination_id, manifest_id, status, error, options, created, "
                "updated, checkpointed) VALUES (?, ?, 'queued', NULL, ?, ?, ?, NULL)",
                (destination_id, manifest_id, json.dumps(dict(options)), now, now),
            )
            transfer_id = int(cursor.lastrowid or 0)
            _bump(conn)
            conn.execute(
                "INSERT INTO transfer_files SELECT ?, idx, dest, src, size, mtime_ns, flags, access, "
                "'pending', 0 FROM manifest_files WHERE manifest_id = ?",
                (transfer_id, manifest_id),
            )
            return transfer_id

    def transfers(self) -> List[TransferRecord]:
        return [_transfer(row) for row in self._query("SELECT * FROM transfers ORDER BY id")]

    def transfer(self, transfer_id: int) -> Optional[TransferRecord]:
        rows = self._query("SELECT * FROM transfers WHERE id = ?", (transfer_id,))
        return _transfer(rows[0]) if rows else None

    def transfer_files(self, transfer_id: int) -> List[Tuple[int, FileEntry, str, int]]:
        """(index, entry, state, bytes) of every file of the transfer, in manifest order."""
        rows = self._query(
            "SELECT idx, dest, src, size, mtime_ns, flags, access, state, bytes FROM transfer_files "
            "WHERE transfer_id = ? ORDER BY idx",
            (transfer_id,),
        )
        return [(row[0], FileEntry(*row[1:7]), row[7], row[8]) for row in rows]

    def transfer_counts(self, transfer_id: int) -> Dict[str, Tuple[int, int]]:
        """state -> (files, bytes recorded) of the transfer's files."""
        rows = self._query(
            "SELECT state, COUNT(*), COALESCE(SUM(bytes), 0), COALESCE(SUM(size), 0) FROM transfer_files "
            "WHERE transfer_id = ? GROUP BY state",
            (transfer_id,),
        )
        return {row[0]: (int(row[1]), int(row[2]) if row[0] != PENDING else int(row[3])) for row in rows}

    def set_transfer(
        self,
        transfer_id: int,
        *,
        status: Optional[str] = None,
        error: Optional[str] = None,
        options: Optional[Mapping[str, Any]] = None,
        now: Optional[float] = None,
    ) -> None:
        with self._transaction() as conn:
            _set_transfer(conn, transfer_id, status, error, options, now or time.time())

    def checkpoint(
        self,
        transfer_id: int,
        files: Iterable[Tuple[int, str, int]],
        *,
        status: Optional[str] = None,
        error: Optional[str] = None,
        now: Optional[float] = None,
    ) -> None:
        """Record finished files (index, state, bytes) and, in the same transaction, the status."""
        stamp = now or time.time()
        with self._transaction() as conn:
            conn.executemany(
                "UPDATE transfer_files SET state = ?, bytes = ? WHERE transfer_id = ? AND idx = ?",
                [(state, nbytes, transfer_id, idx) for idx, state, nbytes in files],
            )
            conn.execute("UPDATE transfers SET checkpointed = ? WHERE id = ?", (stamp, transfer_id))
            _set_transfer(conn, transfer_id, status, error, None, stamp)

    def delete_transfer(self, transfer_id: int) -> None:
        with self._transaction() as conn:
            _bump(conn)
            _delete_transfer(conn, transfer_id)

    # -- controls: what any process asks of the runner -------------------------------------------

    def request_control(self, transfer_id: int, action: str, message: Optional[str], now: float) -> None:
        """Ask the runner to ``action`` (SUSPEND, RESUME, FAIL) ``transfer_id``; a newer request for
        the same transfer replaces one not yet taken."""
        with self._transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO controls VALUES (?, ?, ?, ?)", (transfer_id, action, message, now)
            )
            _bump(conn)

    def take_controls(self) -> List[Tuple[int, str, Optional[str]]]:
        """The requests not yet taken, (transfer id, action, message) oldest first, removed as taken."""
        with self._transaction() as conn:
            rows = conn.execute(
                "SELECT transfer_id, action, message FROM controls ORDER BY created"
            ).fetchall()
            conn.execute("DELETE FROM controls")
        return [(int(row[0]), str(row[1]), row[2]) for row in rows]

    def control_version(self) -> int:
        """A counter every change a runner must pick up bumps: the runner's tick reads only this."""
        rows = self._query("SELECT value FROM meta WHERE key = 'control_version'")
        return int(rows[0][0]) if rows else 0

    def lock_runner(self) -> Optional[RunnerLock]:
        """The runner's lock when no other manager holds it, else None (never waits)."""
        return RunnerLock.acquire(self.state_dir / LOCK_NAME)

    def runner_pid(self) -> Optional[int]:
        """The process id of the manager now running this folder's transfers, None when there is none."""
        lock = self.lock_runner()
        if lock is not None:
            lock.release()
            return None
        try:
            text = (self.state_dir / LOCK_NAME).read_text(encoding="ascii").strip()
        except OSError:
            return -1
        return int(text) if text.isdigit() else -1

    # -- requests -----------------------------------------------------------------------------------

    def add_request(self, kind: str, target: str, now: float) -> int:
        with self._transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO requests (kind, target, status, created) VALUES (?, ?, 'pending', ?)",
                (kind, target, now),
            )
            return int(cursor.lastrowid or 0)

    def finish_request(
        self, request_id: int, result: Optional[Any], error: Optional[str], now: float
    ) -> None:
        status = "failed" if error is not None else "complete"
        with self._transaction() as conn:
            conn.execute(
                "UPDATE requests SET status = ?, result = ?, error = ?, finished = ? WHERE id = ?",
                (status, json.dumps(result), error, now, request_id),
            )

    def request(self, request_id: int) -> Optional[RequestRecord]:
        rows = self._query("SELECT * FROM requests WHERE id = ?", (request_id,))
        if not rows:
            return None
        row = rows[0]
        result = json.loads(row[4]) if row[4] is not None else None
        return RequestRecord(row[0], row[1], row[2], row[3], result, row[5], row[6], row[7])

    def pending_requests(self) -> List[RequestRecord]:
        rows = self._query("SELECT id FROM requests WHERE status = 'pending' ORDER BY id")
        found = [self.request(int(row[0])) for row in rows]
        return [r for r in found if r is not None]

    # -- user data ----------------------------------------------------------------------------------

    def user_data(self, object_id: str) -> Dict[str, str]:
        rows = self._query("SELECT key, value FROM user_data WHERE object_id = ? ORDER BY key", (object_id,))
        return {row[0]: row[1] for row in rows}

    def set_user_data(self, object_id: str, values: Mapping[str, str]) -> None:
        with self._transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO user_data VALUES (?, ?, ?)",
                [(object_id, key, value) for key, value in values.items()],
            )

    def delete_user_data(self, object_id: str, key: str) -> bool:
        with self._transaction() as conn:
            cursor = conn.execute("DELETE FROM user_data WHERE object_id = ? AND key = ?", (object_id, key))
            return cursor.rowcount > 0

    # -- shared tokens ------------------------------------------------------------------------------

    def add_shared_token(self, record: SharedTokenRecord) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO shared_tokens VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.seq,
                    record.manifest_id,
                    record.transfer_id,
                    record.destination_id,
                    json.dumps(record.state, sort_keys=True),
                    record.created,
                    record.updated,
                ),
            )

    def shared_tokens(self) -> List[SharedTokenRecord]:
        return [_shared_token(row) for row in self._query("SELECT * FROM shared_tokens ORDER BY seq")]

    def shared_token(self, token_id: str) -> Optional[SharedTokenRecord]:
        rows = self._query("SELECT * FROM shared_tokens WHERE id = ?", (token_id,))
        return _shared_token(rows[0]) if rows else None

    def set_shared_token(self, token_id: str, state: Mapping[str, Any], updated: float) -> None:
        with self._transaction() as conn:
            conn.execute(
                "UPDATE shared_tokens SET state = ?, updated = ? WHERE id = ?",
                (json.dumps(dict(state), sort_keys=True), updated, token_id),
            )

    def delete_shared_token(self, token_id: str) -> None:
        """The token and its user data, in one transaction."""
        with self._transaction() as conn:
            conn.execute("DELETE FROM shared_tokens WHERE id = ?", (token_id,))
            conn.execute("DELETE FROM user_data WHERE object_id = ?", (token_id,))


class RunnerLock:
    """An exclusive, non-blocking ``flock`` on the folder's ``runner.lock``, holding the owner's pid.

    Per open file, so a second manager in the same process is refused as one in another process
    is; without ``flock`` (Windows) every manager gets it and one runner per folder is up to the user.
    """

    def __init__(self, fd: int) -> None:
        self._fd: Optional[int] = fd

    @classmethod
    def acquire(cls, path: Path) -> Optional[RunnerLock]:
        """The lock, with this process's pid written in it; None while another holder has it."""
        try:
            fd = os.open(str(path), os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise LocalFileError(
                f"cannot open the runner lock: {exc.strerror or exc}",
                operation="TransferManager",
                local_path=str(path),
            ) from exc
        if sys.platform != "win32":
            import fcntl  # noqa: PLC0415 - POSIX only

            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                return None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode("ascii"))
        return cls(fd)

    def release(self) -> None:
        """Let another manager run the folder's transfers (closing the file drops the lock)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


class _Transaction:
    """``with store._transaction() as conn``: one IMMEDIATE transaction under the writer lock."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __enter__(self) -> sqlite3.Connection:
        self.store._write.acquire()
        try:
            conn = self.store._conn()
            conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.store._write.release()
            raise
        self.conn = conn
        return conn

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            self.conn.execute("ROLLBACK" if exc_type is not None else "COMMIT")
        finally:
            self.store._write.release()


def _insert_files(conn: sqlite3.Connection, manifest_id: str, start: int, files: Sequence[FileEntry]) -> None:
    conn.executemany(
        "INSERT INTO manifest_files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (manifest_id, start + i, f.dest, f.src, f.size, f.mtime_ns, f.flags, f.access)
            for i, f in enumerate(files)
        ],
    )


def _set_transfer(
    conn: sqlite3.Connection,
    transfer_id: int,
    status: Optional[str],
    error: Optional[str],
    options: Optional[Mapping[str, Any]],
    now: float,
) -> None:
    if status is not None:
        conn.execute("UPDATE transfers SET status = ?, error = ? WHERE id = ?", (status, error, transfer_id))
    if options is not None:
        text = json.dumps(dict(options))
        conn.execute("UPDATE transfers SET options = ? WHERE id = ?", (text, transfer_id))
        _bump(conn)
    conn.execute("UPDATE transfers SET updated = ? WHERE id = ?", (now, transfer_id))


def _bump(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'control_version'")


def _delete_transfer(conn: sqlite3.Connection, transfer_id: int) -> None:
    conn.execute("DELETE FROM controls WHERE transfer_id = ?", (transfer_id,))
    conn.execute("DELETE FROM transfer_files WHERE transfer_id = ?", (transfer_id,))
    conn.execute("DELETE FROM transfers WHERE id = ?", (transfer_id,))
    conn.execute("DELETE FROM user_data WHERE object_id = ?", (f"transfer:{transfer_id}",))


def _destination(row: Row) -> DestinationRecord:
    return DestinationRecord(
        row[0], row[1], row[2], row[3], row[4], json.loads(row[5]), json.loads(row[6]),
        bool(row[7]), bool(row[8]), row[9],
    )  # fmt: skip


def _manifest(row: Row) -> ManifestRecord:
    return ManifestRecord(row[0], row[1], row[2], json.loads(row[3]), row[4], row[5], row[6], row[7], row[8])


def _transfer(row: Row) -> TransferRecord:
    return TransferRecord(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]), row[6], row[7], row[8])


def _shared_token(row: Row) -> SharedTokenRecord:
    return SharedTokenRecord(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]), row[6], row[7])
