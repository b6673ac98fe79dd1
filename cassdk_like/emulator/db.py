"""The emulator's on-disk layout: a sqlite3 index for metadata and plain files ("blobs") for bytes.

Shared by every service: the host owns the one ``meta`` table (the account), each service adds its
own tables with :meth:`Database.add_tables`.

Why this shape: bytes never pass through memory whole, and every write is crash-safe. A blob is
written under ``tmp/``, fsynced, renamed into ``blobs/`` (and the folder fsynced) before any index
row refers to it; the index itself runs in WAL mode with ``synchronous=FULL``. A crash can therefore
only leave an unreferenced blob, which :meth:`Database.sweep` removes on the next start.

Each blob ``T`` has a sidecar ``T.leaves``: the raw 32-byte SHA-256 of every 1 MiB leaf, so tree
hashes of aligned sub-ranges (job output, docs/vault-protocol.md §3.4) come from the sidecar, not the data.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import sys
import threading
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator, List, Optional, Sequence, Tuple

from cassdk_like.core.integrity import MiB, TreeHasher

if sys.platform != "win32":
    import fcntl

__all__ = ["CHUNK", "Blob", "DataDirInUse", "Database", "IncompleteBody"]

#: bodies are streamed in pieces of this size (never a whole archive or part in memory)
CHUNK = MiB

_META = "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"


class DataDirInUse(RuntimeError):
    """Another running emulator holds this data dir (two writers would corrupt each other)."""


class IncompleteBody(Exception):
    """The client sent fewer body bytes than its Content-Length announced (it went away)."""


class Blob:
    """A stored byte string: its token, size and checksums (sha256 only when computed)."""

    __slots__ = ("sha256", "size", "token", "tree_hash")

    def __init__(self, token: str, size: int, sha256: str, tree_hash: str) -> None:
        self.token = token
        self.size = size
        self.sha256 = sha256
        self.tree_hash = tree_hash


class Database:
    """The index connection plus the blob folder. Thread-safe: one lock serialises index access."""

    def __init__(self, root: Path, *, fsync: bool) -> None:
        self.root = root
        self.fsync = fsync
        self.blobs = root / "blobs"
        self.tmp = root / "tmp"
        for folder in (root, self.blobs, self.tmp):
            folder.mkdir(parents=True, exist_ok=True)
        self._lock_file = open(root / "emulator.lock", "a+b")  # noqa: SIM115 - held until close()
        if sys.platform != "win32":
            try:
                fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                self._lock_file.close()
                raise DataDirInUse(f"{root} is in use by another running emulator") from exc
        self.lock = threading.RLock()
        self._conn = sqlite3.connect(
            str(root / "emulator.sqlite3"), check_same_thread=False, isolation_level=None
        )
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(f"PRAGMA synchronous={'FULL' if fsync else 'OFF'}")
        self._conn.executescript(_META)
        self._referenced: List[str] = []

    def add_tables(self, schema: str, referenced: str) -> None:
        """Create a service's tables (``CREATE ... IF NOT EXISTS``) and say where they name blobs:
        ``referenced`` is a ``SELECT`` of one column of blob tokens (NULLs allowed). The start-up
        sweep deletes every blob that no registered query returns, so a service that stores blobs
        must register before :meth:`sweep` runs."""
        with self.lock:
            self._conn.executescript(schema)
            self._referenced.append(referenced)

    def close(self) -> None:
        with self.lock:
            self._conn.close()
            self._lock_file.close()

    @contextlib.contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One atomic write transaction (BEGIN IMMEDIATE ... COMMIT, rolled back on error)."""
        with self.lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def rows(self, sql: str, args: Sequence[Any] = ()) -> List[sqlite3.Row]:
        with self.lock:
            return list(self._conn.execute(sql, tuple(args)).fetchall())

    def row(self, sql: str, args: Sequence[Any] = ()) -> Optional[sqlite3.Row]:
        found = self.rows(sql, args)
        return found[0] if found else None

    def meta_get(self, key: str) -> Optional[str]:
        found = self.row("SELECT value FROM meta WHERE key = ?", (key,))
        return None if found is None else str(found["value"])

    def meta_set(self, key: str, value: str) -> None:
        with self.tx() as conn:
            conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # -- blobs --------------------------------------------------------------------------------

    def path(self, token: str) -> Path:
        return self.blobs / token

    def spool(self, read: Callable[[int], bytes], length: Optional[int]) -> Blob:
        """Stream ``length`` bytes from ``read`` into a new blob, hashing as they pass; with
        ``length=None``, until ``read`` returns nothing (a form field whose end is a delimiter)."""
        token = secrets.token_hex(16)
        hasher = TreeHasher(also_linear=True)
        tmp = self.tmp / token
        size = 0
        try:
            with open(tmp, "wb") as out:
                while length is None or size < length:
                    chunk = read(CHUNK if length is None else min(CHUNK, length - size))
                    if not chunk:
                        if length is None:
                            break
                        raise IncompleteBody(f"body ended {length - size} bytes early")
                    hasher.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                self._sync(out)
            self._write_leaves(token, b"".join(hasher.leaves()))
            self._install(tmp, token)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        return Blob(token, size, hasher.linear_hexdigest(), hasher.hexdigest())

    def write_small(self, data: bytes) -> Blob:
        """Store a small generated document (an inventory) as a blob."""
        return self.spool(_BytesReader(data).read, len(data))

    def concat(self, tokens: Sequence[str]) -> str:
        """A new blob made of ``tokens`` end to end (multipart complete); leaves concatenate too."""
        token = secrets.token_hex(16)
        self._build(token, [(t, 0, None) for t in tokens])
        return token

    def slice(self, source: str, start: int, length: int, total: int) -> str:
        """A new blob holding ``length`` bytes of ``source`` from MiB-aligned ``start``."""
        token = secrets.token_hex(16)
        if start == 0 and length == total:
            try:
                os.link(self.path(source), self.tmp / token)
                os.link(self.leaves_path(source), self.tmp / (token + ".leaves"))
            except OSError:
                for leftover in (self.tmp / token, self.tmp / (token + ".leaves")):
                    with contextlib.suppress(FileNotFoundError):
                        leftover.unlink()
            else:
                self._install(self.tmp / (token + ".leaves"), token + ".leaves")
                self._install(self.tmp / token, token)
                return token
        self._build(token, [(source, start, length)])
        return token

    def leaves_path(self, token: str) -> Path:
        return self.blobs / (token + ".leaves")

    def read_leaves(self, token: str, first: int, count: int) -> List[bytes]:
        """Leaf digests ``first .. first+count-1`` of a blob."""
        with open(self.leaves_path(token), "rb") as handle:
            handle.seek(first * 32)
            raw = handle.read(count * 32)
        return [raw[i : i + 32] for i in range(0, len(raw), 32)]

    def discard(self, *tokens: Optional[str]) -> None:
        """Delete blobs nothing refers to any more (after the index commit that dropped them)."""
        for token in tokens:
            if token:
                for path in (self.path(token), self.leaves_path(token)):
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()

    def sweep(self) -> int:
        """Remove temp files and blobs no index row refers to (left by a crash); count them."""
        removed = 0
        for leftover in self.tmp.iterdir():
            with contextlib.suppress(OSError):
                leftover.unlink()
                removed += 1
        referenced = {str(r[0]) for query in self._referenced for r in self.rows(query) if r[0] is not None}
        for path in self.blobs.iterdir():
            if path.name.split(".", 1)[0] not in referenced:
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed += 1
        return removed

    def _build(self, token: str, pieces: Sequence[Tuple[str, int, Optional[int]]]) -> None:
        data_tmp, leaves_tmp = self.tmp / token, self.tmp / (token + ".leaves")
        try:
            with open(data_tmp, "wb") as out, open(leaves_tmp, "wb") as leaves_out:
                for source, start, length in pieces:
                    size = self.path(source).stat().st_size if length is None else length
                    with open(self.path(source), "rb") as src:
                        _copy_range(src, out, start, size)
                    leaf_count = -(-size // MiB)
                    leaves_out.write(b"".join(self.read_leaves(source, start // MiB, leaf_count)))
                self._sync(out)
                self._sync(leaves_out)
            self._install(leaves_tmp, token + ".leaves")
            self._install(data_tmp, token)
        finally:
            for leftover in (data_tmp, leaves_tmp):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()

    def _write_leaves(self, token: str, leaves: bytes) -> None:
        tmp = self.tmp / (token + ".leaves")
        with open(tmp, "wb") as out:
            out.write(leaves)
            self._sync(out)
        self._install(tmp, token + ".leaves")

    def _sync(self, handle: BinaryIO) -> None:
        if self.fsync:
            handle.flush()
            os.fsync(handle.fileno())

    def _install(self, tmp: Path, name: str) -> None:
        os.replace(tmp, self.blobs / name)
        if self.fsync and hasattr(os, "O_DIRECTORY"):
            fd = os.open(self.blobs, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self._view = memoryview(data)
        self._pos = 0

    def read(self, size: int) -> bytes:
        chunk = bytes(self._view[self._pos : self._pos + size])
        self._pos += len(chunk)
        return chunk


def _copy_range(src: BinaryIO, dst: BinaryIO, offset: int, length: int) -> None:
    """Copy in the kernel when it can (copy_file_range), else through a 1 MiB buffer."""
    dst.flush()
    copy_file_range = getattr(os, "copy_file_range", None)
    remaining, position = length, offset
    if copy_file_range is not None:
        try:
            while remaining:
                done = int(copy_file_range(src.fileno(), dst.fileno(), remaining, position))
                if done <= 0:
                    break
                remaining -= done
                position += done
        except OSError:
            pass
        dst.seek(0, os.SEEK_END)
    src.seek(position)
    while remaining:
        chunk = src.read(min(CHUNK, remaining))
        if not chunk:
            raise OSError(f"blob shorter than expected ({remaining} bytes missing)")
        dst.write(chunk)
        remaining -= len(chunk)
