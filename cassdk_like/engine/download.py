"""Parallel ranged download of a whole output to a local path, verified and resumable.

Why it is built this way (docs/vault-protocol.md §3.4, docs/peer-notes.md §1 and §3):

* pieces are 1 MiB x 2^n bytes laid out from output offset 0, so a combinable strategy's piece
  digests (tree hashes) combine into the output's, and each piece is tree-aligned whenever the job
  is; a strategy that does not combine (a whole-object SHA-256) is checked by hashing the finished
  partial file in order; a piece is the unit of verification and of the journal, while one
  request covers a run of consecutive pieces sized by ``engine.planner`` from what earlier
  requests measured (each task takes the next run when it starts, so fast connections take more
  and all finish together);
* workers ``pwrite`` at their own offsets into ``<dest>.cassdk-partial`` (created at full size),
  so there is no writer thread and no reordering buffer; memory is one ``io_chunk_size`` buffer per
  worker whatever the file size;
* the destination never holds partial bytes: the partial file is fsync'ed (flushed in the
  background as it fills, ``engine.writeback``) and renamed over it only after every piece and
  the whole-output check passed;
* on failure, cancel or Ctrl-C the partial file and its journal stay (``keep_partial=True``), and
  a later call -- in this process or a new one after kill -9 -- fetches only the missing pieces
  (each piece is journaled as soon as its bytes are in, also inside a run, so a kill -9 costs at
  most the piece each worker was receiving plus those finished during the last journal commit);
* what is checked is what is on disk: pieces fetched in this call were hashed as they arrived and
  written by us, but a journaled piece is hashed again from the partial file before it is trusted
  (the file may have changed between the calls), and a piece that differs is fetched again; when
  the whole output still does not match, the resumed pieces are fetched again once, so a wrong
  journal never leaves a download stuck.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from typing import Dict, List, Optional, Set, Tuple, Union

import attrs

from cassdk_like.core.cancel import CancelToken
from cassdk_like.core.checksums import describe
from cassdk_like.core.exceptions import (
    CASError,
    HashDoesNotMatchError,
    InvalidArgumentError,
    LocalFileError,
    TransferCancelledError,
)
from cassdk_like.core.integrity import is_valid_part_size
from cassdk_like.engine.config import TransferConfig
from cassdk_like.engine.context import TransferContext, resolve_context
from cassdk_like.engine.destination import check_destination
from cassdk_like.engine.fetch import FetchCounters, Piece, PieceFetcher, PieceResult, plan_pieces
from cassdk_like.engine.fileio import pread_into
from cassdk_like.engine.interfaces import DownloadSource, source_integrity
from cassdk_like.engine.journal import (
    JOURNAL_SUFFIX,
    PARTIAL_SUFFIX,
    DownloadJournal,
    JournalPiece,
    JournalWriter,
    load_journal,
    remove_quietly,
    write_journal,
)
from cassdk_like.engine.placement import flush_file, local_error, move_into_place
from cassdk_like.engine.planner import RunPlanner
from cassdk_like.engine.prefix_hash import PrefixHasher
from cassdk_like.engine.progress import ProgressCallback, ProgressTracker
from cassdk_like.engine.ratelimit import Pacer
from cassdk_like.engine.runner import Runner
from cassdk_like.engine.writeback import Writeback

__all__ = ["DownloadResult", "download_to_path", "partial_paths"]

_OPERATION = "download"
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
log = logging.getLogger("cassdk_like.engine")


@attrs.frozen
class DownloadResult:
    """What a finished download did; ``verified``: the whole output matched the expected digest.

    ``tree_hash`` is the output's digest under the source's strategy (``integrity``; "" when the
    strategy does not combine and nothing was expected).
    """

    path: str
    size: int
    tree_hash: str
    verified: bool
    pieces_fetched: int
    pieces_resumed: int
    bytes_fetched: int
    requests: int
    integrity: str = "sha256-tree"

    @property
    def digest(self) -> str:
        """The output's digest (``tree_hash``), under the name other services use."""
        return self.tree_hash


def partial_paths(path: Union[str, os.PathLike[str]]) -> Tuple[str, str]:
    """(partial file, journal) used while downloading to ``path``."""
    temp = os.fspath(path) + PARTIAL_SUFFIX
    return temp, temp + JOURNAL_SUFFIX


def download_to_path(
    source: DownloadSource,
    path: Union[str, os.PathLike[str]],
    *,
    config: Optional[TransferConfig] = None,
    progress: Optional[ProgressCallback] = None,
    cancel_token: Optional[CancelToken] = None,
    limiter: Optional[Pacer] = None,
    resume: bool = True,
    keep_partial: bool = True,
    context: Optional[TransferContext] = None,
) -> DownloadResult:
    """Download all of ``source`` to ``path``; blocks, safe to run in a background thread.

    ``resume``: continue from a matching partial file + journal left by an earlier attempt.
    ``keep_partial``: on failure/cancel keep them for a later resume (else delete them).
    ``context`` replaces ``config``/``progress``/``cancel_token``/``limiter``.
    Raises ``HashDoesNotMatchError`` (nothing at ``path``), ``TransferCancelledError`` after
    ``cancel_token.cancel()``, ``KeyboardInterrupt`` after Ctrl-C, or the source's
    ``CASServerError`` / ``TransportError`` once retries are spent (``local_path`` set).
    """
    ctx = resolve_context(context, config, progress, cancel_token, limiter, operation=_OPERATION)
    if getattr(source, "transform", None) is not None:
        raise InvalidArgumentError(
            "this source transforms its bytes: download it with stream_range", operation=_OPERATION
        )
    # no resource in the message: a source's identity may hold a presigned URL
    dest = check_destination(path, operation=_OPERATION, resource="")
    return _Download(source, dest, ctx, keep_partial).run(resume=resume)


class _FileSink:
    """pwrite into the partial file from per-thread reusable buffers, one writer at a time.

    Why the lock: the kernel lets one buffered write into a file run at a time anyway (the inode
    lock, on every Linux filesystem), and a writer that waits for it spins on a CPU while the
    holder runs; waiting on our lock sleeps instead.  When the page cache is slow to grow (a VM
    whose memory went back to its host) that spinning is a large share of a download's CPU.
    """

    def __init__(
        self, fd: int, chunk_size: int, write_size: int, path: str, writeback: Optional[Writeback]
    ) -> None:
        self._fd = fd
        self._chunk = chunk_size
        self._write = write_size
        self._path = path
        self._writeback = writeback
        self._local = threading.local()
        self._writing = threading.Lock()

    def buffer(self, offset: int, size: int) -> memoryview:
        buf: Optional[memoryview] = getattr(self._local, "buf", None)
        if buf is None:
            buf = self._local.buf = memoryview(bytearray(self._chunk))
        return buf[:size]

    def commit(self, view: memoryview, offset: int) -> None:
        try:
            with self._writing:
                while view:
                    written = os.pwrite(self._fd, view[: self._write], offset)
                    view, offset = view[written:], offset + written
                    if self._writeback is not None:
                        self._writeback.wrote(written)
        except OSError as exc:
            raise _local_error("cannot write the partial file", self._path, exc) from exc


class _Download:
    """State of one download call."""

    def __init__(self, source: DownloadSource, path: str, ctx: TransferContext, keep_partial: bool) -> None:
        self.source = source
        self.path = path
        self.ctx = ctx
        self.config = ctx.config
        self.user_token = ctx.cancel_token
        self.token = self.user_token.child() if self.user_token is not None else CancelToken()
        self.keep_partial = keep_partial
        self.temp, self.journal_path = partial_paths(path)
        self.size = source.size
        self.strategy, self.expected = source_integrity(source)
        self.results: Dict[int, PieceResult] = {}
        #: pieces taken from the journal (and not fetched again in this call)
        self.resumed: Set[int] = set()
        self.counters = FetchCounters()
        self.pieces_fetched = 0
        self.refetched = False
        self.runner: Optional[Runner] = None
        #: follows the download with the whole-object digest when pieces cannot be combined
        self.prefix: Optional[PrefixHasher] = None
        #: flushes the partial file while it downloads, so the final fsync has little left
        self.writeback: Optional[Writeback] = None
        self.fd_closed = False
        self.lock = threading.Lock()

    def run(self, *, resume: bool) -> DownloadResult:
        try:
            fd, journal = self._open_partial(resume)
            pieces = plan_pieces(0, self.size - 1, journal.piece_size) if self.size else []
            try:
                self._resume_from(journal, pieces, fd)
            except BaseException:
                os.close(fd)
                raise
            resumed = len(self.results)
            initial = sum(self.results[i].piece.length for i in self.results)
            self.tracker = ProgressTracker(
                self.size, self.ctx.progress, initial=initial, min_interval=self.config.progress_interval
            )
            self.writer = JournalWriter(self.journal_path, journal, interval=self.config.journal_interval)
            self.writer.start()
            try:
                self._follow(pieces, fd)
                self.writeback = Writeback(fd, self.config.writeback_size)
                self._fetch([p for p in pieces if p.index not in self.results], fd)
                tree_hash, verified = self._verify(pieces, fd)
                self._finish(fd)
            except BaseException:
                self._abandon(fd)
                raise
            self.tracker.finish()
        except BaseException as exc:
            translated = self._translate(exc)
            if translated is exc:
                raise
            raise translated from exc
        finally:
            self.token.detach()
        return DownloadResult(
            path=self.path,
            size=self.size,
            tree_hash=tree_hash,
            verified=verified,
            pieces_fetched=self.pieces_fetched,
            pieces_resumed=resumed,
            bytes_fetched=self.counters.bytes_fetched,
            requests=self.counters.requests,
            integrity=self.strategy.name,
        )

    def _resume_from(self, journal: DownloadJournal, pieces: List[Piece], fd: int) -> None:
        """Trust a journaled piece only if its bytes on disk still hash to its journaled digest.

        The pieces are hashed in parallel on the transfer's workers (hashlib releases the GIL).
        Pieces whose digests are "" (a strategy that hashes only the whole) are checked by the
        final in-order hash of the partial file instead.
        """
        found = [(p, journal.pieces[p.start]) for p in pieces if p.start in journal.pieces]
        to_hash = [(p, done) for p, done in found if done.digest]
        bad: Set[int] = set()
        if to_hash:
            local = threading.local()

            def matches(piece: Piece, digest: str) -> Tuple[Piece, bool]:
                buf: Optional[memoryview] = getattr(local, "buf", None)
                if buf is None:
                    buf = local.buf = memoryview(bytearray(self.config.io_chunk_size))
                return piece, self._hash_range(fd, piece.start, piece.length, buf) == digest

            def note(result: Tuple[Piece, bool]) -> None:
                piece, same = result
                if not same:
                    bad.add(piece.index)
                    log.warning(
                        "bytes %d-%d of %s no longer match the journal: fetching them again",
                        piece.start,
                        piece.end,
                        self.temp,
                    )

            workers = min(self.config.max_workers, len(to_hash))
            quiet = ProgressTracker(self.size)
            with Runner(workers, self.token, quiet, self.ctx) as runner:
                for piece, done in to_hash:
                    while runner.in_flight >= workers:  # queue no more than can run, as uploads do
                        runner.collect(note)
                    runner.submit(matches, piece, done.digest)
                runner.drain(note)
        for piece, done in found:
            if piece.index in bad:
                del journal.pieces[piece.start]
                continue
            self.results[piece.index] = PieceResult(piece, done.digest, done.verified)
            self.resumed.add(piece.index)

    def _open_partial(self, resume: bool) -> Tuple[int, DownloadJournal]:
        """Reopen a matching partial file + journal, or start a fresh one at full size.

        The partial file is locked (``flock``) so two downloads to one path cannot mix their bytes.
        A fresh start that fails (no space, file too large, the journal path a folder) removes what
        it made: a partial file that no journal describes is of no use to anyone.
        """
        try:
            fd = os.open(self.temp, os.O_RDWR | os.O_CREAT | _O_CLOEXEC, 0o666)
        except OSError as exc:
            raise _local_error("cannot create the partial file", self.temp, exc) from exc
        try:
            _lock(fd, self.temp)
        except BaseException:
            os.close(fd)  # another download owns the partial file: leave it alone
            raise
        try:
            journal = load_journal(self.journal_path) if resume else None
            if journal is not None and self._usable(journal):
                return fd, journal
            journal = DownloadJournal(
                self.source.identity,
                self.size,
                self.config.piece_size_for(self.size),
                self.expected,
                integrity=self.strategy.name,
            )
            os.ftruncate(fd, 0)  # drop stale bytes, then allocate the full size (sparse)
            os.ftruncate(fd, self.size)
            write_journal(self.journal_path, journal.to_json())
            return fd, journal
        except BaseException as exc:
            remove_quietly(self.temp)  # still locked by us: no other download uses it
            if os.path.isfile(self.journal_path):
                remove_quietly(self.journal_path)
            os.close(fd)
            if isinstance(exc, OSError):
                raise _local_error("cannot prepare the partial file", self.temp, exc) from exc
            raise

    def _usable(self, journal: DownloadJournal) -> bool:
        if not journal.matches(self.source.identity, self.size, self.expected, self.strategy.name):
            return False
        if not is_valid_part_size(journal.piece_size):
            return False
        try:
            return os.stat(self.temp).st_size == self.size
        except OSError:
            return False

    def _fetch(self, pieces: List[Piece], fd: int) -> None:
        if not pieces:
            return
        cfg = self.config
        workers = min(cfg.max_workers, len(pieces))
        planner = RunPlanner(
            pieces,
            workers=workers,
            max_span=max(cfg.max_request_size, pieces[0].length),
            request_seconds=cfg.request_seconds,
        )
        fetcher = PieceFetcher(
            source=self.source,
            ctx=self.ctx,
            token=self.token,
            tracker=self.tracker,
            counters=self.counters,
            local_path=self.path,
            on_timing=planner.observe,
        )
        sink = _FileSink(fd, cfg.io_chunk_size, cfg.write_chunk_size, self.temp, self.writeback)

        def more(got_run: bool) -> None:
            if got_run:  # one task per run, so other transfers' tasks interleave on the scheduler
                runner.submit(self._work, planner, fetcher, sink)

        with Runner(workers, self.token, self.tracker, self.ctx) as runner:
            self.runner = runner
            for _ in range(workers):
                runner.submit(self._work, planner, fetcher, sink)
            runner.drain(more)

    def _work(self, planner: RunPlanner, fetcher: PieceFetcher, sink: _FileSink) -> bool:
        """One task: fetch the next run the planner hands out; False when none was left."""
        run = planner.take()
        if not run:
            return False
        fetcher.fetch_run(run, sink, self._on_piece, on_received=self._on_received)
        return True

    def _follow(self, pieces: List[Piece], fd: int) -> None:
        """Start hashing the output in order while it downloads (a digest that does not combine
        from pieces, such as a bucket object's SHA-256); the resumed pieces are there already."""
        if self.strategy.combinable or self.expected is None or not pieces:
            return
        self.prefix = PrefixHasher(self.strategy, fd, pieces, self.config.io_chunk_size).start()
        for index in self.results:
            self.prefix.landed(self.results[index].piece)

    def _on_piece(self, result: PieceResult) -> None:
        """A piece is complete (and verified when the server vouched for it); called from workers."""
        piece = result.piece
        with self.lock:
            self.results[piece.index] = result
            self.pieces_fetched += 1
        if self.prefix is not None:
            self.prefix.landed(piece)
        self.writer.record(JournalPiece(piece.start, piece.length, result.digest, result.verified))

    def _on_received(self, result: PieceResult) -> None:
        """A piece's bytes are in and hashed, its run not yet checked: journal it unverified now,
        so a crash before the run ends loses at most this worker's unfinished piece."""
        piece = result.piece
        self.writer.record(JournalPiece(piece.start, piece.length, result.digest, False))

    def _verify(self, pieces: List[Piece], fd: int) -> Tuple[str, bool]:
        """Whole-output check; on a mismatch the pieces no server vouched for in this call (fetched
        unvouched, or taken from the journal) are fetched again, once."""
        if self.strategy.combinable:
            hashes = [self.results[p.index].digest for p in pieces]
            actual = self.strategy.combine(hashes) if hashes else self.strategy.new_hasher().hexdigest()
        elif self.expected is not None:
            followed = self.prefix.result() if self.prefix is not None else None
            self.prefix = None  # a refetch below rewrites pieces it hashed: hash the file again
            if followed is not None:
                actual = followed
            else:
                buf = memoryview(bytearray(self.config.io_chunk_size))
                actual = self._hash_range(fd, 0, self.size, buf)
        else:
            actual = ""
        if self.expected is None:
            return actual, False
        if actual == self.expected:
            return actual, True
        suspects = [p for p in pieces if not self.results[p.index].verified or p.index in self.resumed]
        self.writer.forget([p.start for p in suspects])
        if suspects and not self.refetched:
            self.refetched = True
            self.resumed.clear()
            self.tracker.retract(sum(p.length for p in suspects))
            self._fetch(suspects, fd)
            return self._verify(pieces, fd)
        self.writer.commit(force=True)
        kept = len(pieces) > len(suspects)
        hint = (
            f" (the pieces the server vouched for stay in {self.journal_path}: a later call checks them"
            " on disk and fetches them again if the whole still does not match)"
        )
        raise HashDoesNotMatchError(
            f"downloaded bytes do not match the source's {describe(self.strategy)}" + (hint if kept else ""),
            expected=self.expected,
            actual=actual,
            operation=_OPERATION,
            local_path=self.path,
        )

    def _hash_range(self, fd: int, start: int, length: int, buf: memoryview) -> str:
        """``length`` bytes of the partial file from ``start``, hashed under the source's strategy."""
        hasher = self.strategy.new_hasher()
        offset, end = start, start + length
        while offset < end:
            self.token.raise_if_cancelled()
            view = buf[: min(len(buf), end - offset)]
            try:
                count = pread_into(fd, view, offset)
            except OSError as exc:
                raise _local_error("cannot read the partial file", self.temp, exc) from exc
            if count == 0:
                raise LocalFileError(
                    "the partial file is shorter than the download",
                    operation=_OPERATION,
                    local_path=self.temp,
                )
            hasher.update(view[:count])
            offset += count
        return hasher.hexdigest()

    def _finish(self, fd: int) -> None:
        """fsync, then atomically put the bytes at the destination; the journal is no longer needed.

        The journal is committed first: a process killed between here and the rename must not
        fetch again the pieces it finished since the last background commit.
        """
        self.writer.close(commit=True)
        flush_file(fd, self.temp, operation=_OPERATION, writeback=self.writeback)
        self.fd_closed = True
        os.close(fd)
        move_into_place(self.temp, self.path, operation=_OPERATION)
        remove_quietly(self.journal_path)

    def _abandon(self, fd: int) -> None:
        """After a failure: keep a resumable partial file + journal, or remove both."""
        if self.prefix is not None:
            self.prefix.stop()  # before the fd can be closed under its reads
        if self.writeback is not None:
            self.writeback.stop()  # likewise, before the fd can be closed under a flush
        self.writer.close(commit=self.keep_partial and not self.fd_closed)
        if self.runner is not None and not self.runner.joined:
            return  # a worker may still write: never close an fd number it could reuse
        if not self.fd_closed:
            self.fd_closed = True
            with contextlib.suppress(OSError):
                os.close(fd)
        if not self.keep_partial:
            remove_quietly(self.temp, self.journal_path)

    def _translate(self, exc: BaseException) -> BaseException:
        if isinstance(exc, KeyboardInterrupt):
            return exc
        if self.user_token is not None and self.user_token.cancelled:
            kept = f"; partial file kept for resume: {self.temp}" if self.keep_partial else ""
            reason = self.user_token.reason
            return TransferCancelledError(
                f"download cancelled ({reason}){kept}", operation=_OPERATION, local_path=self.path
            )
        if isinstance(exc, CASError) and exc.local_path is None:
            exc.local_path = self.path
        return exc


def _ignore(_result: object) -> None:
    return None


def _lock(fd: int, path: str) -> None:
    if sys.platform == "win32":  # pragma: no cover - no flock there
        return
    import fcntl  # noqa: PLC0415 - POSIX only

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise LocalFileError(
            "another download to this destination is running", operation=_OPERATION, local_path=path
        ) from None


def _local_error(message: str, path: str, exc: OSError) -> LocalFileError:
    return local_error(message, path, exc, operation=_OPERATION)
