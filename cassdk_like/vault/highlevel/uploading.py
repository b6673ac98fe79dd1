"""The upload path behind ``Vault.upload_archive``: one request, or a multipart upload via the engine.

Small files go in one Upload Archive request, hashed in one pass and then streamed (never held in
memory; with a progress callback the streaming pass is reported as it goes). Above the threshold
the file is uploaded in parts by the parallel engine (``MultipartUpload.upload``). Everything that
can be checked locally -- the description, the size, an empty file (the service refuses zero-byte
archives) -- is checked before the first request.
"""

from __future__ import annotations

import io
import os
import time
from typing import IO, TYPE_CHECKING, Any, BinaryIO, Optional, Tuple, Union, cast

from cassdk_like.core.exceptions import (
    BadResponseError,
    InvalidArgumentError,
    InvalidPartSizeError,
    LocalFileError,
    TransferCancelledError,
)
from cassdk_like.core.integrity import hash_file
from cassdk_like.core.labels import labelled, source_label
from cassdk_like.engine import CancelToken, Pacer, ProgressCallback, ProgressEvent, TransferConfig
from cassdk_like.engine.progress import ProgressTracker
from cassdk_like.vault.highlevel.multipart import empty_file_error, initiate_for, is_path, local_file_size
from cassdk_like.vault.lowlevel.validation import check_binary_reader, check_description

if TYPE_CHECKING:
    from cassdk_like.vault.highlevel.response import CASResponse
    from cassdk_like.vault.highlevel.vault import Vault

__all__ = ["check_readable", "upload_archive"]

Source = Union[str, "os.PathLike[str]", IO[bytes]]


def _measure(source: Any, size: Optional[int], operation: str, resource: str) -> Tuple[Optional[str], int]:
    """(local path or file name, bytes to upload) of what the caller gave."""
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise InvalidArgumentError(
            f"size must be a non-negative integer, got {size!r}", operation=operation, resource=resource
        )
    if is_path(source):
        path = os.fspath(source)
        actual = local_file_size(path, operation, resource)
        if size is not None and size != actual:
            raise InvalidArgumentError(
                f"size {size} was given but the file has {actual} bytes",
                operation=operation, resource=resource, local_path=path,
            )  # fmt: skip
        return path, actual
    if not hasattr(source, "read"):
        raise InvalidArgumentError(
            f"cannot upload from {type(source).__name__}: give a path or a binary file object",
            operation=operation, resource=resource,
        )  # fmt: skip
    name = getattr(source, "name", None)
    label = name if isinstance(name, str) else None
    check_binary_reader(source, operation, resource, label)
    if size is not None:
        return label, size
    try:
        if source.seekable():
            here = source.tell()
            end = source.seek(0, io.SEEK_END)
            source.seek(here)
            return label, end - here
    except (OSError, ValueError, AttributeError) as exc:
        raise LocalFileError(
            f"cannot measure the file object: {exc}", operation=operation, resource=resource, local_path=label
        ) from exc
    raise InvalidArgumentError(
        "size is required for a file object that cannot seek",
        operation=operation,
        resource=resource,
        local_path=label,
    )


def check_readable(path: str, operation: str, resource: str) -> None:
    """Open the file once before anything is sent, so an unreadable file never leaves an upload behind.

    ``stat`` succeeds on a file the caller may not read (mode 000, an ACL, a lease); only ``open``
    tells, and a multipart upload initiated before that would be an orphan in the vault.
    """
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise LocalFileError(
            f"cannot open the file: {reason}", operation=operation, resource=resource, local_path=path
        ) from exc


def _read_exactly(stream: Any, total: int) -> bytes:
    """Up to ``total`` bytes; short reads (pipes, raw files) are repeated until the end of the stream."""
    chunks, got = [], 0
    while got < total:
        chunk = stream.read(total - got)
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


class _ReportingReader:
    """The request body of one upload, counting (and pacing) what the transport reads from it.

    A retry seeks back to the start: what that attempt had sent is taken back from the count
    (the tracker's reports hold still until real progress passes them); the limit is paid again,
    since the bytes go out again.
    """

    mode = "rb"

    def __init__(
        self,
        raw: IO[bytes],
        tracker: ProgressTracker,
        limiter: Optional[Pacer] = None,
        token: Optional[CancelToken] = None,
    ) -> None:
        self._raw = raw
        self._tracker = tracker
        self._limiter = limiter
        self._token = token
        self._sent = 0

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._raw.tell()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._tracker.retract(self._sent)
        self._sent = 0
        return self._raw.seek(offset, whence)

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        if self._limiter is not None:
            self._limiter.consume(len(data), self._token)
        self._sent += len(data)
        self._tracker.add(len(data))
        self._tracker.emit()
        return data


def _send_seekable(
    vault: Vault,
    fileobj: BinaryIO,
    total: int,
    desc: Optional[str],
    progress: Optional[ProgressCallback],
    pacing: Tuple[Optional[Pacer], Optional[CancelToken]] = (None, None),
) -> CASResponse:
    """Hash, then send; with ``progress`` or a limiter, the sending pass is reported (and paced)
    as it goes."""
    api = vault.cas_api
    limiter, token = pacing
    if progress is None and limiter is None:  # the client hashes in one pass, then streams
        return api.upload_archive(vault.name, fileobj, size=total, desc=desc)
    start = fileobj.tell()
    hashes = hash_file(fileobj, start, total, operation="upload_archive")
    fileobj.seek(start)
    tracker = ProgressTracker(total, progress)
    tracker.emit(force=True)
    body = cast(BinaryIO, _ReportingReader(fileobj, tracker, limiter, token))
    response = api.upload_archive(vault.name, body, hashes.sha256, hashes.tree_hash, total, desc)
    tracker.finish()
    return response


def _single_request(
    vault: Vault,
    source: Any,
    total: int,
    desc: Optional[str],
    label: Optional[str],
    progress: Optional[ProgressCallback] = None,
    pacing: Tuple[Optional[Pacer], Optional[CancelToken]] = (None, None),
) -> str:
    """One Upload Archive request: the file is read twice (hashed, then streamed), never held."""
    api, op = vault.cas_api, "upload_archive"
    if is_path(source):
        try:
            fileobj = open(os.fspath(source), "rb")  # noqa: SIM115 - closed right below
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise LocalFileError(f"cannot open the file: {reason}", operation=op, local_path=label) from exc
        with fileobj:
            response = _send_seekable(vault, fileobj, total, desc, progress, pacing)
    elif source.seekable():
        response = _send_seekable(vault, source, total, desc, progress, pacing)
    else:  # a pipe below the threshold: small enough to hold, and the body must be re-sendable
        data = _read_exactly(source, total)
        if len(data) != total:
            raise LocalFileError(
                f"the stream ended after {len(data)} of {total} bytes", operation=op, local_path=label
            )
        limiter, token = pacing
        if limiter is not None:  # held in memory: paid for as a whole
            limiter.consume(len(data), token)
        response = api.upload_archive(vault.name, data, desc=desc)
    archive_id = response.headers.get(api.dialect.h("archive-id"))
    if not archive_id:
        raise BadResponseError(
            "Upload Archive succeeded but returned no archive id",
            operation=op,
            resource=f"vault {vault.name!r}",
        )
    return archive_id


def upload_archive(
    vault: Vault,
    source: Source,
    desc: Optional[str],
    *,
    size: Optional[int],
    upload_id: Optional[str],
    part_size: Optional[int],
    threshold: int,
    config: Optional[TransferConfig],
    progress: Optional[ProgressCallback],
    cancel_token: Optional[CancelToken],
    limiter: Optional[Pacer] = None,
    keep_for_resume: bool = False,
) -> str:
    """``Vault.upload_archive``: one request up to ``threshold`` bytes, else multipart via the engine."""
    op, res = "upload_archive", f"vault {vault.name!r}"
    with labelled(op, res, source_label(source)):
        desc = check_description(desc, op, res)
        label, total = _measure(source, size, op, res)
        if total == 0:
            raise empty_file_error(op, res, label)
        if isinstance(source, (str, os.PathLike)):
            check_readable(os.fspath(source), op, res)
        if upload_id is not None:
            upload = vault.get_multipart_uploader(upload_id)
            if part_size is not None and part_size != upload.part_size:
                raise InvalidPartSizeError(
                    f"upload {upload_id!r} was initiated with {upload.part_size}-byte parts, not {part_size}",
                    operation=op, resource=res, local_path=label,
                )  # fmt: skip
            return upload.resume(
                source,
                size=size,
                config=config,
                progress=progress,
                cancel_token=cancel_token,
                limiter=limiter,
                keep_for_resume=keep_for_resume,
            )
        if total > threshold:
            file_path = os.fspath(source) if isinstance(source, (str, os.PathLike)) else None
            upload = initiate_for(vault, total, desc, part_size, file_path, config)
            return upload.upload(
                source,
                size=size,
                config=config,
                progress=progress,
                cancel_token=cancel_token,
                resume=False,
                limiter=limiter,
                keep_for_resume=keep_for_resume,
            )
        if cancel_token is not None and cancel_token.cancelled:
            raise TransferCancelledError(
                f"upload cancelled ({cancel_token.reason})", operation=op, resource=res, local_path=label
            )
        started = time.monotonic()
        reported = is_path(source) or bool(cast(Any, source).seekable())
        archive_id = _single_request(vault, source, total, desc, label, progress, (limiter, cancel_token))
        if progress is not None and not reported:  # a small pipe: one event at the end
            elapsed = time.monotonic() - started
            rate = total / elapsed if elapsed > 0 else 0.0
            progress(ProgressEvent(done=total, total=total, rate=rate, elapsed=elapsed, finished=True))
        return archive_id
