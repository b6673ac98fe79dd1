"""Parallel multipart upload with bounded memory, per-part retries and resume.

Why it is built this way (docs/peer-notes.md §2 and §3):

* the target decides the part sizes (``part_sizer``) and which digests go with each part
  (``part_checksums``); every part is answered with a token, and ``complete`` gets them all;
* a part of a file (``rereadable`` source: a path, a file object with a descriptor) is hashed in
  one streaming pass over its window and then streamed from the file, re-hashed as it is sent
  (``engine.parts``), so memory is a chunk per worker whatever the part size; other sources
  (pipes, in-memory or remote file objects), and files with ``TransferConfig.buffer_parts``, are
  read once, each part into one of ``max_workers + 1`` pooled buffers, so their memory is
  ``(max_workers + 1) x part size``;
* a failed upload is never aborted: ``MultipartUploadError`` carries the upload id and the parts
  already stored, and ``upload_multipart(..., resume=True)`` lists the target's parts, re-hashes
  the local bytes of each one, and sends only what is missing or different;
* ``cancel()`` aborts the upload unless ``keep_for_resume=True``; Ctrl-C always keeps it (an
  interrupted upload of many GiB is worth resuming) and re-raises ``KeyboardInterrupt``.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Dict, List, Optional, Set, Tuple

import attrs

from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.cancel import CancelToken, cancel_scope
from cassdk_like.core.checksums import Hasher
from cassdk_like.core.exceptions import (
    CASError,
    InvalidArgumentError,
    PartsMismatchError,
    TransferCancelledError,
    TransportError,
    UploadArchiveError,
)
from cassdk_like.engine.buffers import BufferPool
from cassdk_like.engine.config import TransferConfig
from cassdk_like.engine.context import TransferContext, resolve_context
from cassdk_like.engine.interfaces import CompletedUpload, MultipartTarget, PartBody, PartSizer, UploadSource
from cassdk_like.engine.parts import (
    BufferBody,
    GenericPartSizer,
    WindowBody,
    check_part_count,
    hash_parts_with,
    part_digests,
    witness_of,
)
from cassdk_like.engine.progress import ProgressCallback, ProgressTracker
from cassdk_like.engine.ratelimit import Pacer
from cassdk_like.engine.retry import RetryCounter
from cassdk_like.engine.runner import Runner
from cassdk_like.engine.sources import PathSource, UploadSourceLike, open_upload_source

__all__ = ["MultipartUploadError", "UploadResult", "upload_multipart"]

_OPERATION = "upload_multipart"
log = logging.getLogger("cassdk_like.engine")


class MultipartUploadError(UploadArchiveError):
    """A multipart upload stopped; the upload was kept so it can be resumed.

    ``upload_id`` (when the target exposes one), ``parts_done`` (numbers of the parts stored and
    verified in this call) and ``parts_total`` say where it stands; ``__cause__`` is the failure itself.
    """

    def __init__(
        self,
        message: str = "",
        *,
        upload_id: Optional[str] = None,
        parts_done: Tuple[int, ...] = (),
        parts_total: int = 0,
        operation: Optional[str] = None,
        resource: Optional[str] = None,
        local_path: Optional[str] = None,
    ) -> None:
        self.upload_id = upload_id
        self.parts_done = parts_done
        self.parts_total = parts_total
        super().__init__(message, operation=operation, resource=resource, local_path=local_path)


@attrs.frozen
class UploadResult:
    """``tree_hash``: the whole-object checksum the target reported ("" if none); ``parts``:
    (number, token) of every part, in order."""

    archive_id: str
    size: int
    tree_hash: str
    part_size: int
    parts_uploaded: int
    parts_skipped: int  # already stored and verified against the local bytes (resume)
    upload_id: Optional[str] = None
    parts: Tuple[Tuple[int, str], ...] = ()

    @property
    def checksum(self) -> str:
        return self.tree_hash


def upload_multipart(
    source: UploadSourceLike,
    target: MultipartTarget,
    *,
    size: Optional[int] = None,
    part_size: Optional[int] = None,
    config: Optional[TransferConfig] = None,
    progress: Optional[ProgressCallback] = None,
    cancel_token: Optional[CancelToken] = None,
    limiter: Optional[Pacer] = None,
    resume: bool = False,
    keep_for_resume: bool = False,
    context: Optional[TransferContext] = None,
) -> UploadResult:
    """Upload ``source`` (path, file object, or stream with ``size``) through ``target``; blocks.

    ``part_size`` must be the size the upload was initiated with (default: the target's
    ``part_sizer`` choice for ``config.part_size`` / ``config.min_part_size``).  ``resume=True``
    first lists the target's parts and skips those whose token matches the local bytes.
    ``context`` replaces ``config``/``progress``/``cancel_token``/``limiter``.  Raises
    ``MultipartUploadError`` (upload kept), ``TransferCancelledError``, ``KeyboardInterrupt``, or
    ``LocalFileError`` / ``InvalidArgumentError`` before anything is sent.
    """
    ctx = resolve_context(context, config, progress, cancel_token, limiter, operation=_OPERATION)
    src, owned = open_upload_source(source, size)
    try:
        job = _Upload(src, target, ctx, part_size)
        return job.run(resume=resume, keep_for_resume=keep_for_resume)
    finally:
        if owned:
            src.close()


class _Upload:
    """State of one upload call."""

    def __init__(
        self, source: UploadSource, target: MultipartTarget, ctx: TransferContext, part_size: Optional[int]
    ) -> None:
        self.source = source
        self.target = target
        self.ctx = ctx
        self.config = ctx.config
        self.size = source.size
        if self.size <= 0:
            raise InvalidArgumentError("cannot upload 0 bytes as a multipart upload", operation=_OPERATION)
        sizer: PartSizer = getattr(target, "part_sizer", None) or GenericPartSizer()
        requested = self.config.part_size if part_size is None else part_size
        self.part_size = sizer.part_size(self.size, requested=requested, minimum=self.config.min_part_size)
        self.count = check_part_count(self.size, self.part_size, sizer.max_parts, _OPERATION)
        self.checksums = list(getattr(target, "part_checksums", ()) or ())
        #: hash a file's part window, then stream it from the file (else: one read into a buffer)
        self.streams = bool(getattr(source, "rereadable", False)) and not self.config.buffer_parts
        self.hashed_with = hash_parts_with(self.checksums, rereads=self.streams)
        self.witness = witness_of(self.checksums)
        self.upload_id: Optional[str] = getattr(target, "upload_id", None)
        self.listed: Dict[int, str] = {}
        self.tokens: List[Optional[str]] = [None] * self.count
        self.done: Set[int] = set()
        self.uploaded = 0
        self.skipped = 0
        self.completing_failed = False
        self._local = threading.local()

    def run(self, *, resume: bool, keep_for_resume: bool) -> UploadResult:
        user = self.ctx.cancel_token
        self.token = user.child() if user is not None else CancelToken()
        self.tracker = ProgressTracker(
            self.size, self.ctx.progress, min_interval=self.config.progress_interval
        )
        try:
            if resume:
                with cancel_scope(self.token):
                    self.listed = self._list_parts()
            self._send_all()
            self.source.check_unchanged()
            parts = self._parts()
            completed = self._complete(parts)
        except BaseException as exc:
            failure = self._failure(exc, keep_for_resume)
            if failure is exc:
                raise
            raise failure from exc
        finally:
            self.token.detach()
        self.tracker.finish()
        return UploadResult(
            archive_id=completed.object_id,
            size=self.size,
            tree_hash=completed.checksum or "",
            part_size=self.part_size,
            parts_uploaded=self.uploaded,
            parts_skipped=self.skipped,
            upload_id=self.upload_id,
            parts=tuple(parts),
        )

    def _complete(self, parts: List[Tuple[int, str]]) -> CompletedUpload:
        """Complete, seen through to its answer whatever the caller does meanwhile.

        Once Complete is sent the object may exist, so neither a cancel nor one Ctrl-C may turn it
        into a reported failure: the request runs on its own thread outside the transfer's cancel
        scope, and the caller's thread waits for it (a second Ctrl-C stops the wait, saying that
        the object may exist).
        """
        outcome: Dict[str, Any] = {}
        finished = threading.Event()

        def complete() -> None:
            try:
                outcome["completed"] = self.target.complete(parts, self.size)
            except BaseException as exc:  # handed to the caller's thread
                outcome["error"] = exc
            finally:
                finished.set()

        worker = threading.Thread(target=complete, name="cassdk-complete", daemon=True)
        interrupted = False
        worker.start()
        while not finished.is_set():
            try:
                finished.wait(max(self.config.poll_interval, 0.01))
            except KeyboardInterrupt:
                if interrupted:
                    log.warning("stopped waiting for Complete of %s: the object may exist", self._name())
                    raise
                interrupted = True
                log.warning(
                    "Complete of %s was already sent: waiting for its answer (Ctrl-C again to stop "
                    "waiting; the object may then exist)",
                    self._name(),
                )
            self.tracker.emit()
        if "error" in outcome:
            self.completing_failed = True
            raise outcome["error"]
        completed: CompletedUpload = outcome["completed"]
        if interrupted:
            log.warning("Complete of %s finished after Ctrl-C: %s exists", self._name(), completed.object_id)
        return completed

    def _name(self) -> str:
        return f"upload {self.upload_id!r}" if self.upload_id else "the upload"

    def _parts(self) -> List[Tuple[int, str]]:
        parts = [(index + 1, token) for index, token in enumerate(self.tokens) if token is not None]
        if len(parts) != self.count:  # never complete an object from an incomplete set of parts
            missing = self.count - len(parts)
            raise UploadArchiveError(f"{missing} of {self.count} parts are not done", operation=_OPERATION)
        return parts

    def _range(self, index: int) -> ByteRange:
        start = index * self.part_size
        return ByteRange(start, min(start + self.part_size, self.size) - 1)

    def _list_parts(self) -> Dict[int, str]:
        """The target's stored parts by index; a part off our grid means a different part size."""
        listed: Dict[int, str] = {}
        for number, rng, token in self.target.list_parts():
            index = number - 1
            if not 0 <= index < self.count or rng != self._range(index):
                raise PartsMismatchError(
                    f"stored part {rng} does not fit {self.part_size}-byte parts of {self.size} bytes "
                    "(wrong part size, or the file changed)",
                    operation=_OPERATION,
                )
            listed[index] = token.strip().lower()
        return listed

    def _send_all(self) -> None:
        workers = min(self.config.max_workers, self.count)
        with Runner(workers, self.token, self.tracker, self.ctx) as runner:
            if self.streams:
                self._send_windows(runner, workers)
            else:
                self._send_buffered(runner, workers)
            runner.drain(self._on_part)

    def _send_windows(self, runner: Runner, workers: int) -> None:
        """Files: every task hashes its part's window, then streams it from the file."""
        for index in range(self.count):
            while runner.in_flight >= workers:  # queue no more than can run: other transfers stay fair
                runner.collect(self._on_part)
            runner.submit(self._window_part, index)

    def _send_buffered(self, runner: Runner, workers: int) -> None:
        """Other sources are read once, into ``workers + 1`` pooled part buffers: by the tasks when
        the source allows reads from any thread, else by this thread, in order."""
        pool = BufferPool(workers + 1, min(self.part_size, self.size))
        for index in range(self.count):
            buf = self._acquire(pool, runner)
            try:
                if not self.source.random_access:
                    rng = self._range(index)
                    self.source.read_into(rng.start, memoryview(buf)[: rng.length])
                runner.submit(self._buffered_part, index, buf, pool)
            except BaseException:
                pool.release(buf)
                raise

    def _acquire(self, pool: BufferPool[bytearray], runner: Runner) -> bytearray:
        while True:
            runner.collect(self._on_part, timeout=0)  # surface failures, cancel and progress
            buf = pool.acquire(timeout=runner.poll)
            if buf is not None:
                return buf

    def _hashers(self) -> Dict[str, Hasher]:
        return {strategy.name: strategy.new_hasher() for strategy in self.hashed_with}

    def _chunk(self) -> memoryview:
        buf: Optional[memoryview] = getattr(self._local, "buf", None)
        if buf is None:
            buf = self._local.buf = memoryview(bytearray(self.config.io_chunk_size))
        return buf

    def _window_part(self, index: int) -> Tuple[int, str, bool]:
        """Hash the part in one streaming pass, skip it if stored already, else stream it."""
        rng = self._range(index)
        hashers = self._hashers()
        chunk = self._chunk()
        offset = rng.start
        while offset <= rng.end:
            self.token.raise_if_cancelled()
            view = chunk[: min(len(chunk), rng.end + 1 - offset)]
            self.source.read_into(offset, view)
            for hasher in hashers.values():
                hasher.update(view)
            offset += len(view)
        digests = part_digests(hashers)
        body = WindowBody(index + 1, rng, digests, self.source, self.witness)
        return self._send_or_skip(index, body)

    def _buffered_part(
        self, index: int, buf: bytearray, pool: BufferPool[bytearray]
    ) -> Tuple[int, str, bool]:
        try:
            rng = self._range(index)
            view = memoryview(buf)[: rng.length]
            if self.source.random_access:
                self.source.read_into(rng.start, view)
            hashers = self._hashers()
            for hasher in hashers.values():
                hasher.update(view)
            return self._send_or_skip(index, BufferBody(index + 1, rng, part_digests(hashers), view))
        finally:
            pool.release(buf)

    def _send_or_skip(self, index: int, body: PartBody) -> Tuple[int, str, bool]:
        length = body.byte_range.length
        stored = self.listed.get(index)
        if stored is not None and self.target.token_for(body.number, body.digests) == stored:
            self.tracker.add(length)
            return index, stored, False
        token = self._send(body)
        self.tracker.add(length)
        return index, token, True

    def _send(self, body: PartBody) -> str:
        retries = RetryCounter(self.config.retry_policy, self.token)
        limiter = self.ctx.limiter
        while True:
            self.token.raise_if_cancelled()
            if limiter is not None:
                limiter.consume(body.byte_range.length, self.token)
            try:
                return self.target.upload_part(body.number, body)
            except Exception as exc:
                changed = getattr(body, "changed", None)
                if changed is not None:
                    raise changed from exc
                retries.failed(exc)

    def _on_part(self, result: Tuple[int, str, bool]) -> None:
        index, token, uploaded = result
        self.tokens[index] = token
        self.done.add(index)
        if uploaded:
            self.uploaded += 1
        else:
            self.skipped += 1

    def _failure(self, exc: BaseException, keep_for_resume: bool) -> BaseException:
        """What to raise: Ctrl-C as is; a cancel (aborting unless kept); else the kept upload's error."""
        if isinstance(exc, KeyboardInterrupt):
            return exc
        upload = self._name()
        user = self.ctx.cancel_token
        if user is not None and user.cancelled and not self.completing_failed:
            if keep_for_resume:
                kept = f"upload cancelled; {upload} kept for resume"
                return TransferCancelledError(kept, operation=_OPERATION)
            try:
                self.target.abort()
            except Exception as abort_exc:  # the cancel still stands; the service expires uploads itself
                log.warning("could not abort %s after cancel: %s", upload, abort_exc)
            return TransferCancelledError(f"upload cancelled; {upload} aborted", operation=_OPERATION)
        if isinstance(exc, InvalidArgumentError) or not isinstance(exc, Exception):
            return exc
        if self.completing_failed and isinstance(exc, TransportError):
            state = (
                f"Complete was sent but its answer was lost, so the object may exist (check before "
                f"uploading again); {upload} kept"
            )
        else:
            state = f"stopped after {len(self.done)} of {self.count} parts; {upload} kept for resume"
        local_path = self.source.name if isinstance(self.source, PathSource) else None
        return MultipartUploadError(
            f"{state}: {_describe(exc, local_path)}",
            upload_id=self.upload_id,
            parts_done=tuple(sorted(index + 1 for index in self.done)),
            parts_total=self.count,
            operation=_OPERATION,
            local_path=local_path,
        )


def _describe(exc: Exception, local_path: Optional[str]) -> str:
    """The cause's text without repeating the local path the wrapping error names anyway."""
    if not isinstance(exc, CASError):
        return f"{type(exc).__name__}: {exc}"
    head = " ".join(part for part in (exc.operation, exc.resource) if part)
    text = f"{head}: {exc.reason}" if head else exc.reason
    if exc.local_path is not None and exc.local_path != local_path:
        text += f" (local path: {exc.local_path})"
    return text
