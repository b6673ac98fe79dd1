"""A JSON journal beside a partial download, so a new process resumes without refetching.

Layout: ``<dest>.cassdk-partial`` holds the bytes (created at full size), and
``<dest>.cassdk-partial.json`` lists finished pieces (offset, length, digest, whether the
server's per-range digest confirmed it) plus what identifies the download (source identity, size,
piece size, integrity strategy and expected digest).  A journal that does not parse, or names
another source or size, is ignored and the download starts over: resuming someone else's bytes
would be worse than refetching.

Durability rule: the journal is a hint, never trusted blindly.  A piece is named once its bytes
were written to the partial file; a resume hashes every named piece again from disk and fetches
the ones that differ (``engine.download``), so a journal that names bytes a power loss or anyone
else destroyed costs a refetch, never a wrong file.  That is why a commit needs no fsync: it is a
rewrite of a small JSON file (piece entries encoded once and reused) and a rename, atomic for
every other process, cheap enough to keep up with the network, so a kill -9 loses only the pieces
that were still arriving (and those finished during the last commit, well under a millisecond).
Commits run on one background thread, at most one every ``interval`` seconds
(``TransferConfig.journal_interval``, default 0: as soon as a piece finishes; pieces finishing
during a commit share the next one).  Nothing is synced when a download stops with its state
kept either (a Ctrl-C must not wait for gigabytes of writeback): a clean shutdown writes the page
cache out anyway, and after a power loss the re-hash on resume sorts out what survived.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from typing import Any, Dict, List, Optional, Union

import attrs

__all__ = [
    "JOURNAL_SUFFIX",
    "PARTIAL_SUFFIX",
    "DownloadJournal",
    "JournalPiece",
    "JournalWriter",
    "fsync_folder",
    "load_journal",
    "remove_quietly",
    "write_journal",
]

PARTIAL_SUFFIX = ".cassdk-partial"
JOURNAL_SUFFIX = ".json"
_FORMAT = "cassdk_like/download-journal"
_VERSION = 1
_HEX = re.compile(r"[0-9a-f]{0,128}")  # a digest under any strategy ("" when pieces are not hashed)
_DEFAULT_INTEGRITY = "sha256-tree"  # journals written before strategies existed
log = logging.getLogger("cassdk_like.engine")


@attrs.frozen
class JournalPiece:
    """A finished piece: its bytes are durable in the partial file."""

    offset: int
    length: int
    digest: str
    verified: bool = False


@attrs.define
class DownloadJournal:
    """What a partial download has finished. Not thread-safe (JournalWriter serialises access)."""

    identity: str
    size: int
    piece_size: int
    expected_digest: Optional[str] = None
    pieces: Dict[int, JournalPiece] = attrs.Factory(dict)
    integrity: str = _DEFAULT_INTEGRITY
    #: each piece's JSON text, kept between commits: a commit then costs a join, not an encode
    _encoded: Dict[JournalPiece, str] = attrs.field(factory=dict, init=False, repr=False, eq=False)

    def to_text(self) -> str:
        """``to_json()`` as compact JSON text; pieces already encoded by an earlier call are reused."""
        encoded = self._encoded
        fragments = []
        for offset in sorted(self.pieces):
            piece = self.pieces[offset]
            text = encoded.get(piece)
            if text is None:
                text = encoded[piece] = json.dumps(_entry(piece), separators=(",", ":"))
            fragments.append(text)
        if len(encoded) > 2 * len(self.pieces) + 64:  # forget pieces replaced or dropped since
            live = set(self.pieces.values())
            self._encoded = {p: t for p, t in encoded.items() if p in live}
        head = json.dumps(self._header(), separators=(",", ":"))
        return head[:-1] + ',"pieces":[' + ",".join(fragments) + "]}"

    def to_json(self) -> Dict[str, Any]:
        return {**self._header(), "pieces": [_entry(self.pieces[offset]) for offset in sorted(self.pieces)]}

    def _header(self) -> Dict[str, Any]:
        return {
            "format": _FORMAT,
            "version": _VERSION,
            "identity": self.identity,
            "size": self.size,
            "piece_size": self.piece_size,
            "integrity": self.integrity,
            "expected_digest": self.expected_digest,
        }

    @classmethod
    def from_json(cls, doc: Any) -> DownloadJournal:
        """Parse and check every field; ValueError when anything is off."""
        if not isinstance(doc, dict) or doc.get("format") != _FORMAT or doc.get("version") != _VERSION:
            raise ValueError("not a cassdk_like download journal of a known version")
        identity: Any = doc.get("identity")
        size: Any = doc.get("size")
        piece_size: Any = doc.get("piece_size")
        expected: Any = doc.get("expected_digest", doc.get("expected_tree_hash"))
        integrity: Any = doc.get("integrity", _DEFAULT_INTEGRITY)
        if not isinstance(identity, str) or not _is_count(size) or not _is_count(piece_size):
            raise ValueError("bad identity, size or piece size")
        if piece_size < 1:
            raise ValueError("bad identity, size or piece size")
        if expected is not None and not isinstance(expected, str):
            raise ValueError("bad expected digest")
        if not isinstance(integrity, str):
            raise ValueError("bad integrity strategy")
        journal = cls(identity, size, piece_size, expected, integrity=integrity)
        raw_pieces = doc.get("pieces")
        if not isinstance(raw_pieces, list):
            raise ValueError("bad piece list")
        for item in raw_pieces:
            journal.add(_parse_piece(item, size, piece_size))
        return journal

    def add(self, piece: JournalPiece) -> None:
        self.pieces[piece.offset] = piece

    def matches(
        self, identity: str, size: int, expected_digest: Optional[str], integrity: str = _DEFAULT_INTEGRITY
    ) -> bool:
        return (
            self.identity == identity
            and self.size == size
            and self.integrity == integrity
            and (self.expected_digest or "").lower() == (expected_digest or "").lower()
        )


def _entry(piece: JournalPiece) -> List[Any]:
    return [piece.offset, piece.length, piece.digest, piece.verified]


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _parse_piece(item: Any, size: int, piece_size: int) -> JournalPiece:
    if not isinstance(item, list) or len(item) != 4:
        raise ValueError("bad piece entry")
    offset, length, digest, verified = item
    if not _is_count(offset) or not _is_count(length) or offset % piece_size or offset >= size:
        raise ValueError(f"bad piece offset {offset!r}")
    if length != min(piece_size, size - offset):
        raise ValueError(f"bad piece length {length!r} at offset {offset}")
    if not isinstance(digest, str) or not _HEX.fullmatch(digest) or not isinstance(verified, bool):
        raise ValueError(f"bad piece digest at offset {offset}")
    return JournalPiece(offset, length, digest, verified)


def load_journal(path: str) -> Optional[DownloadJournal]:
    """The journal at ``path``, or None if it is missing or unusable (logged, never raised)."""
    try:
        with open(path, "rb") as handle:
            doc = json.loads(handle.read().decode("utf-8"))
        return DownloadJournal.from_json(doc)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        log.warning("ignoring unusable download journal %s: %s", path, exc)
        return None


def write_journal(path: str, doc: Union[str, Dict[str, Any]], *, durable: bool = True) -> None:
    """Atomic rewrite with ``to_text()`` or ``to_json()``: temp file, rename (``durable``: the temp
    file fsync'ed before, the folder after).

    On failure the temp file is removed: a journal write that failed leaves nothing new behind.
    """
    text = doc if isinstance(doc, str) else json.dumps(doc, separators=(",", ":"))
    data = text.encode("utf-8")
    tmp = f"{path}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        remove_quietly(tmp)  # a failed rewrite leaves the old journal, and nothing else
        raise
    if durable:
        fsync_folder(path)


def fsync_folder(path: str) -> None:
    """Make a rename in the folder of ``path`` durable (best effort: not every OS allows it)."""
    try:
        fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_quietly(*paths: str) -> None:
    for path in paths:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("could not remove %s: %s", path, exc)


class JournalWriter:
    """Commits finished pieces from a background thread (a cheap rewrite of the journal).

    ``record()`` never blocks on disk, so workers keep the network busy; ``close()`` stops the
    thread and can make a final commit.  Journal write errors are logged, not raised: they only
    cost the ability to resume.
    """

    def __init__(self, path: str, journal: DownloadJournal, *, interval: float) -> None:
        self.path = path
        self.journal = journal
        self._interval = interval
        self._cond = threading.Condition()
        self._commit_lock = threading.Lock()
        self._pending: List[JournalPiece] = []
        self._closing = False
        self.commits = 0
        self._thread = threading.Thread(target=self._run, name="cassdk-journal", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def record(self, piece: JournalPiece) -> None:
        with self._cond:
            self._pending.append(piece)
            self._cond.notify()

    def forget(self, offsets: List[int]) -> None:
        """Drop pieces (e.g. ones that failed the whole-output check); takes effect at the next commit."""
        with self._commit_lock, self._cond:
            for offset in offsets:
                self.journal.pieces.pop(offset, None)
            self._pending = [p for p in self._pending if p.offset not in offsets]

    def _run(self) -> None:
        last = 0.0
        while True:
            with self._cond:
                while not self._closing and not self._pending:
                    self._cond.wait()
                if self._closing:
                    return
                delay = last + self._interval - time.monotonic()
                if delay > 0 and self._wait_closing(delay):
                    return
            self.commit()
            last = time.monotonic()

    def _wait_closing(self, timeout: float) -> bool:
        """Wait (lock held) for ``timeout`` or ``close()``; True when closing.

        ``record()`` notifies the same condition, so wake-ups before the deadline are slept through:
        otherwise every finished piece would cost a commit and the interval would mean nothing.
        """
        deadline = time.monotonic() + timeout
        while not self._closing:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._cond.wait(remaining)
        return True

    def commit(self, *, force: bool = False) -> None:
        """Write every recorded piece (no fsync, see the module's durability rule); disk I/O outside
        ``record``'s lock.

        ``force`` rewrites the journal even with nothing new (after ``forget``, or to start one).
        """
        with self._commit_lock:
            with self._cond:
                pending, self._pending = self._pending, []
            if not pending and not force:
                return
            try:
                with self._cond:
                    for piece in pending:
                        self.journal.add(piece)
                    doc = self.journal.to_text()
                write_journal(self.path, doc, durable=False)
                self.commits += 1
            except OSError as exc:
                log.warning("could not update download journal %s: %s", self.path, exc)

    def close(self, *, commit: bool) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join()
        if commit:
            self.commit()
