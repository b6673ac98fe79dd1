"""Parallel multipart upload with bounded memory, per-part retries and resume.

Why it is built this way (docs/vault-protocol.md §3.3, docs/peer-notes.md §2 and §3):

* parts are 1 MiB x 2^n, so the parts' tree hashes combine into the archive's tree hash;
* every byte is read once, into one of ``max_workers + 1`` pooled buffers, and hashed once for
  both the linear SHA-256 and the tree hash the service requires; memory does not grow with the
  file size;
* a failed upload is never aborted: ``MultipartUploadError`` carries the upload id and the parts
  already stored, and ``upload_multipart(..., resume=True)`` lists the target's parts, re-hashes
  the local bytes of each one, and sends only what is missing or different;
* ``cancel()`` aborts the upload unless ``keep_for_resume=True``; Ctrl-C always keeps it (an
  interrupted upload of many GiB is worth resuming) and re-raises ``KeyboardInterrupt``.
"""

from __future__ import annotations

import logging
from typing import Dict, List, Optional, Set, Tuple

import attrs

from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.cancel import CancelToken
from cassdk_like.core.exceptions import (
    CASError,
    InvalidArgumentError,
    TransferCancelledError,
    UploadArchiveError,
)
from cassdk_like.core.integrity import MAX_PARTS, ContentHashes, combine_tree_hashes, hash_bytes, tree_hash
from cassdk_like.core.integrity import validate_part_size as _validate_part_size
from cassdk_like.engine.buffers import BufferPool
from cassdk_like.engine.config import TransferConfig
from cassdk_like.engine.interfaces import MultipartTarget, UploadSource
from cassdk_like.engine.progress import ProgressCallback, ProgressTracker
from cassdk_like.engine.ratelimit import BandwidthLimiter, limiter_for
from cassdk_like.engine.retry import RetryCounter
from cassdk_like.engine.runner import Runner
from cassdk_like.engine.sources import PathSource, UploadSourceLike, open_upload_source

__all__ = ["MultipartUploadError", "UploadResult", "upload_multipart"]

_OPERATION = "upload_multipart"
log = logging.getLogger("cassdk_like.engine")


class MultipartUploadError(UploadArchiveError):
    """A multipart upload stopped; the upload was kept so it can be resumed.

    ``upload_id`` (when the target exposes one), ``parts_done`` (indices stored and verified in
    this call) and ``parts_total`` say where it stands; ``__cause__`` is the failure itself.
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
    archive_id: str
    size: int
    tree_hash: str
    part_size: int
    parts_uploaded: int
    parts_skipped: int  # already stored and verified against the local bytes (resume)
    upload_id: Optional[str] = None


def upload_multipart(
    source: UploadSourceLike,
    target: MultipartTarget,
    *,
    size: Optional[int] = None,
    part_size: Optional[int] = None,
    config: Optional[TransferConfig] = None,
    progress: Optional[ProgressCallback] = None,
    cancel_token: Optional[CancelToken] = None,
    limiter: Optional[BandwidthLimiter] = None,
    resume: bool = False,
    keep_for_resume: bool = False,
) -> UploadResult:
    """Upload ``source`` (path, file object, or stream with ``size``) through ``target``; blocks.

    ``part_size`` must be the size the upload was initiated with (default
    ``config.part_size_for(size)``, which the high level should also use to initiate).
    ``resume=True`` first lists the target's parts and skips those whose tree hash matches the
    local bytes.  Raises ``MultipartUploadError`` (upload kept), ``TransferCancelledError``,
    ``KeyboardInterrupt``, or ``LocalFileError`` / ``InvalidArgumentError`` before anything is sent.
    """
    src, owned = open_upload_source(source, size)
    try:
        job = _Upload(src, target, config or TransferConfig(), part_size, cancel_token, limiter)
        return job.run(progress, resume=resume, keep_for_resume=keep_for_resume)
    finally:
        if owned:
            src.close()


class _Upload:
    """State of one upload call."""

    def __init__(
        self,
        source: UploadSource,
        target: MultipartTarget,
        config: TransferConfig,
        part_size: Optional[int],
        cancel_token: Optional[CancelToken],
        limiter: Optional[BandwidthLimiter],
    ) -> None:
        self.source = source
        self.target = target
        self.config = config
        self.size = source.size
        if self.size <= 0:
            raise InvalidArgumentError("cannot upload 0 bytes as a multipart upload", operation=_OPERATION)
        self.part_size = config.part_size_for(self.size) if part_size is None else part_size
        _validate_part_size(self.part_size, operation=_OPERATION)
        self.count = -(-self.size // self.part_size)
        if self.count > MAX_PARTS:
            raise InvalidArgumentError(
                f"{self.size} bytes need {self.count} parts of {self.part_size}; at most {MAX_PARTS}",
                operation=_OPERATION,
            )
        self.user_token = cancel_token
        self.limiter = limiter_for(config.bandwidth_limit, limiter)
        self.upload_id: Optional[str] = getattr(target, "upload_id", None)
        self.listed: Dict[int, str] = {}
        self.hashes: List[Optional[str]] = [None] * self.count
        self.done: Set[int] = set()
        self.uploaded = 0
        self.skipped = 0

    def run(
        self, progress: Optional[ProgressCallback], *, resume: bool, keep_for_resume: bool
    ) -> UploadResult:
        self.token = self.user_token.child() if self.user_token is not None else CancelToken()
        self.tracker = ProgressTracker(self.size, progress, min_interval=self.config.progress_interval)
        try:
            if resume:
                self.listed = self._list_parts()
            self._send_all()
            self.source.check_unchanged()
            tree = self._combined()
            archive_id = self.target.complete(self.size, tree)
        except BaseException as exc:
            failure = self._failure(exc, keep_for_resume)
            if failure is exc:
                raise
            raise failure from exc
        finally:
            self.token.detach()
        self.tracker.finish()
        return UploadResult(
            archive_id=archive_id,
            size=self.size,
            tree_hash=tree,
            part_size=self.part_size,
            parts_uploaded=self.uploaded,
            parts_skipped=self.skipped,
            upload_id=self.upload_id,
        )

    def _combined(self) -> str:
        hashes = [h for h in self.hashes if h is not None]
        if len(hashes) != self.count:  # never complete an archive from an incomplete set of parts
            missing = self.count - len(hashes)
            raise UploadArchiveError(f"{missing} of {self.count} parts are not done", operation=_OPERATION)
        return combine_tree_hashes(hashes)

    def _range(self, index: int) -> ByteRange:
        start = index * self.part_size
        return ByteRange(start, min(start + self.part_size, self.size) - 1)

    def _list_parts(self) -> Dict[int, str]:
        """The target's stored parts by index; a part off our grid means a different part size."""
        listed: Dict[int, str] = {}
        for rng, part_hash in self.target.list_parts():
            index, misaligned = divmod(rng.start, self.part_size)
            if misaligned or index >= self.count or rng != self._range(index):
                raise InvalidArgumentError(
                    f"stored part {rng} does not fit {self.part_size}-byte parts of {self.size} bytes "
                    "(wrong part size, or the file changed)",
                    operation=_OPERATION,
                )
            listed[index] = part_hash.strip().lower()
        return listed

    def _send_all(self) -> None:
        workers = min(self.config.max_workers, self.count)
        pool = BufferPool(workers + 1, min(self.part_size, self.size))
        self.pool = pool
        with Runner(workers, self.token, self.tracker, poll_interval=self.config.poll_interval) as runner:
            for index in range(self.count):
                buf = self._acquire(pool, runner)
                try:
                    if not self.source.random_access:  # streams: one reader, in order, right here
                        rng = self._range(index)
                        self.source.read_into(rng.start, memoryview(buf)[: rng.length])
                    runner.submit(self._part, index, buf)
                except BaseException:
                    pool.release(buf)
                    raise
            runner.drain(self._on_part)

    def _acquire(self, pool: BufferPool, runner: Runner) -> bytearray:
        while True:
            runner.collect(self._on_part, timeout=0)  # surface failures, cancel and progress
            buf = pool.acquire(timeout=runner.poll)
            if buf is not None:
                return buf

    def _part(self, index: int, buf: bytearray) -> Tuple[int, str, bool]:
        """Read (random-access sources), hash, and send or skip one part; frees its buffer."""
        try:
            rng = self._range(index)
            view = memoryview(buf)[: rng.length]
            if self.source.random_access:
                self.source.read_into(rng.start, view)
            stored = self.listed.get(index)
            if stored is not None and tree_hash(view) == stored:
                self.tracker.add(rng.length)
                return index, stored, False
            hashes = hash_bytes(view)
            self._send(rng, view, hashes)
            self.tracker.add(rng.length)
            return index, hashes.tree_hash, True
        finally:
            self.pool.release(buf)

    def _send(self, rng: ByteRange, view: memoryview, hashes: ContentHashes) -> None:
        retries = RetryCounter(self.config.retry_policy, self.token)
        while True:
            self.token.raise_if_cancelled()
            if self.limiter is not None:
                self.limiter.consume(rng.length, self.token)
            try:
                self.target.upload_part(rng, view, hashes.sha256, hashes.tree_hash)
                return
            except Exception as exc:
                retries.failed(exc)

    def _on_part(self, result: Tuple[int, str, bool]) -> None:
        index, part_hash, uploaded = result
        self.hashes[index] = part_hash
        self.done.add(index)
        if uploaded:
            self.uploaded += 1
        else:
            self.skipped += 1

    def _failure(self, exc: BaseException, keep_for_resume: bool) -> BaseException:
        """What to raise: Ctrl-C as is; a cancel (aborting unless kept); else the kept upload's error."""
        if isinstance(exc, KeyboardInterrupt):
            return exc
        upload = f"upload {self.upload_id!r}" if self.upload_id else "the upload"
        if self.user_token is not None and self.user_token.cancelled:
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
        local_path = self.source.name if isinstance(self.source, PathSource) else None
        return MultipartUploadError(
            f"stopped after {len(self.done)} of {self.count} parts; {upload} kept for resume: "
            f"{_describe(exc, local_path)}",
            upload_id=self.upload_id,
            parts_done=tuple(sorted(self.done)),
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
