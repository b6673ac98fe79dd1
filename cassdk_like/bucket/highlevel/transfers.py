"""Uploads and downloads of whole objects on the shared transfer engine (docs/bucket-protocol.md §10).

Upload: up to ``threshold`` bytes go in one Put Object; above it the engine uploads parts in
parallel (bounded memory, per-part retries, resume by upload id).  Every request body carries a
checksum the service verifies: a single PUT the dialect's (S3 SHA-256, COS MD5), a part
``part_checksum`` (S3 CRC-32 by default, SHA-256 over plain HTTP where SigV4 hashes the body
anyway; COS MD5).  The SHA-256 of the whole object is stored as user metadata (``sha256``) when
the source can be read before the upload starts (a path or a seekable file object: one
sequential pass; a pipe cannot, so its object gets none); checked by every download, it is the
end-to-end guarantee, while a part's checksum guards its trip.  A resumed upload keeps the
checksum it was created with (List Parts names it); its metadata was written at Create, from the
file as it was then, so once it completes the stored SHA-256 is compared with the file's and
rewritten when the file changed in between.
A failed, cancelled or interrupted multipart upload is aborted, so nothing is left in the bucket,
unless ``keep_for_resume=True``: then the error carries the upload id for a later call.

Download: one HEAD gives size, ETag and the stored SHA-256; the engine then fetches ranges in
parallel, each pinned with ``If-Match`` to that ETag and checked against its ``Content-Range``,
resumes broken bodies from the byte received, journals pieces for a resume after a crash, and
puts the file in place (temp file, fsync, atomic rename) only after the whole object matched.
"""

from __future__ import annotations

import logging
import os
import time
from typing import IO, Any, Dict, Iterator, Mapping, Optional, Sequence, Tuple, Union

import attrs

from cassdk_like.bucket.highlevel.adapters import (
    ObjectSource,
    ObjectUploadTarget,
    part_checksum_of,
    part_sizer_for,
)
from cassdk_like.bucket.highlevel.api import BucketAPI
from cassdk_like.bucket.validation import MAX_SINGLE_PUT, check_bucket_name, check_key
from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.cancel import CancelToken
from cassdk_like.core.checksums import MD5, SHA256, IntegrityStrategy
from cassdk_like.core.exceptions import (
    CASError,
    HashDoesNotMatchError,
    InvalidArgumentError,
    TransferCancelledError,
    UploadArchiveError,
)
from cassdk_like.core.http.bodies import check_binary_reader
from cassdk_like.core.labels import labelled, source_label
from cassdk_like.engine import (
    DownloadResult,
    MultipartUploadError,
    Pacer,
    ProgressCallback,
    ProgressEvent,
    TransferConfig,
    TransferContext,
    download_to_path,
    iter_range,
    open_upload_source,
    upload_multipart,
)
from cassdk_like.engine.destination import check_destination
from cassdk_like.engine.download import partial_paths
from cassdk_like.engine.interfaces import UploadSource
from cassdk_like.engine.journal import remove_quietly

__all__ = ["DEFAULT_THRESHOLD", "UploadedObject", "download_object", "iter_object", "upload_object"]

log = logging.getLogger("cassdk_like.bucket")
MiB = 1024 * 1024
#: objects up to this size go in one Put Object (held in one buffer of at most this size)
DEFAULT_THRESHOLD = 16 * MiB
Source = Union[str, "os.PathLike[str]", IO[bytes]]


@attrs.frozen
class UploadedObject:
    """What ``upload_file`` made: the object's key, size and ETag, the SHA-256 stored with it (None
    for a pipe), and for a multipart upload its id, part size and how many parts were sent or
    found stored already (resume)."""

    bucket: str
    key: str
    size: int
    etag: str
    sha256: Optional[str]
    multipart: bool
    upload_id: Optional[str] = None
    part_size: Optional[int] = None
    parts_uploaded: int = 0
    parts_skipped: int = 0
    crc64: Optional[str] = None


def _read_all(source: UploadSource, token: Optional[CancelToken]) -> bytes:
    buf = bytearray(source.size)
    view = memoryview(buf)
    step = 8 * MiB
    for offset in range(0, source.size, step):
        if token is not None:
            token.raise_if_cancelled()
        source.read_into(offset, view[offset : offset + step])
    return bytes(buf)


def _digests(
    source: UploadSource,
    strategies: Sequence[IntegrityStrategy],
    chunk: int,
    token: Optional[CancelToken],
) -> Dict[str, str]:
    """Whole-source digests in one sequential pass (before a multipart upload is created)."""
    hashers = {strategy.name: strategy.new_hasher() for strategy in strategies}
    buf = memoryview(bytearray(min(chunk, max(source.size, 1))))
    offset = 0
    while offset < source.size:
        if token is not None:
            token.raise_if_cancelled()
        view = buf[: min(len(buf), source.size - offset)]
        source.read_into(offset, view)
        for hasher in hashers.values():
            hasher.update(view)
        offset += len(view)
    return {name: hasher.hexdigest() for name, hasher in hashers.items()}


def _metadata(metadata: Optional[Mapping[str, str]], sha256: Optional[str]) -> Dict[str, str]:
    merged = dict(metadata or {})
    if sha256 is not None:
        merged = {k: v for k, v in merged.items() if k.lower() != "sha256"}
        merged["sha256"] = sha256
    return merged


def upload_object(
    api: BucketAPI,
    bucket: str,
    source: Source,
    key: str,
    *,
    size: Optional[int] = None,
    content_type: Optional[str] = None,
    metadata: Optional[Mapping[str, str]] = None,
    storage_class: Optional[str] = None,
    part_size: Optional[int] = None,
    threshold: int = DEFAULT_THRESHOLD,
    config: Optional[TransferConfig] = None,
    progress: Optional[ProgressCallback] = None,
    cancel_token: Optional[CancelToken] = None,
    upload_id: Optional[str] = None,
    keep_for_resume: bool = False,
    limiter: Optional[Pacer] = None,
    part_checksum: Optional[str] = None,
) -> UploadedObject:
    """``Bucket.upload_file``: see the module docstring.  Every mistake knowable locally (names,
    sizes, the source, the part checksum) is refused before the first request, naming the object
    and the file."""
    operation = "upload_file"
    label = source_label(source)
    with labelled(operation, _resource(bucket, key), label):
        _check_names(api, bucket, key, operation)
        resource = _resource(bucket, key)
        checksum = part_checksum_of(
            api.dialect, part_checksum, resource=resource, hashed_payload=api.client.hashes_payload(bucket)
        )
        if (
            isinstance(threshold, bool)
            or not isinstance(threshold, int)
            or not 0 <= threshold <= MAX_SINGLE_PUT
        ):
            raise InvalidArgumentError(
                f"threshold must be 0..{MAX_SINGLE_PUT} bytes, got {threshold!r}", operation=operation
            )
        if not isinstance(source, (str, bytes, os.PathLike)):
            check_binary_reader(source, operation, resource, label)
        ctx = TransferContext.create(config, progress=progress, cancel_token=cancel_token, limiter=limiter)
        src, owned = _open_source(source, size, operation, resource)
        try:
            if upload_id is None and (src.size <= threshold or src.size == 0):
                return _single_put(api, bucket, key, src, ctx, content_type, metadata, storage_class)
            return _multipart(
                api,
                bucket,
                key,
                src,
                ctx,
                part_size,
                content_type,
                metadata,
                storage_class,
                upload_id,
                keep_for_resume,
                checksum,
            )
        finally:
            if owned:
                src.close()


def _resource(bucket: str, key: str) -> str:
    return f"object {key!r} in bucket {bucket!r}"


def _check_names(api: BucketAPI, bucket: str, key: str, operation: str) -> None:
    """The bucket name and the key, under the transfer's own operation name."""
    check_bucket_name(bucket, api.dialect.name, operation, appid=api.client.appid)
    check_key(key, operation, bucket, api.dialect.max_key_bytes)


def _open_source(
    source: Source, size: Optional[int], operation: str, resource: str
) -> Tuple[UploadSource, bool]:
    """The engine's view of the source; its refusals (a missing file, a folder, a pipe without a
    size) are the caller's ``upload_file`` mistakes and are named so."""
    try:
        return open_upload_source(source, size)
    except CASError as exc:
        exc.operation, exc.resource = operation, resource
        raise


def _single_put(
    api: BucketAPI,
    bucket: str,
    key: str,
    src: UploadSource,
    ctx: TransferContext,
    content_type: Optional[str],
    metadata: Optional[Mapping[str, str]],
    storage_class: Optional[str],
) -> UploadedObject:
    """One Put Object from one buffer, with the dialect's checksum and the SHA-256 in metadata."""
    started = time.monotonic()
    data = _read_all(src, ctx.cancel_token)
    src.check_unchanged()
    strategies: Sequence[IntegrityStrategy] = (
        (SHA256, MD5) if api.dialect.part_checksum == "md5" else (SHA256,)
    )
    digests = {strategy.name: _hex(strategy, data) for strategy in strategies}
    sha256 = digests[SHA256.name]
    if ctx.limiter is not None:
        ctx.limiter.consume(len(data), ctx.cancel_token)
    if ctx.cancel_token is not None:
        ctx.cancel_token.raise_if_cancelled()
    result = api.put_object(
        bucket,
        key,
        data,
        content_type=content_type,
        metadata=_metadata(metadata, sha256),
        storage_class=storage_class,
        sha256=sha256,
        md5=digests.get(MD5.name),
    )
    if ctx.progress is not None:
        elapsed = time.monotonic() - started
        rate = len(data) / elapsed if elapsed > 0 else 0.0
        ctx.progress(
            ProgressEvent(done=len(data), total=len(data), rate=rate, elapsed=elapsed, finished=True)
        )
    return UploadedObject(bucket, key, len(data), result.etag, sha256, False, crc64=result.crc64)


def _hex(strategy: IntegrityStrategy, data: bytes) -> str:
    hasher = strategy.new_hasher()
    hasher.update(data)
    return hasher.hexdigest()


def _resumed(
    api: BucketAPI, bucket: str, key: str, upload_id: str, size: int
) -> Tuple[Optional[int], Optional[str]]:
    """Of an upload begun earlier, from one List Parts of its first part: the part size (part 1's
    size when it does not cover the whole file) and the checksum its parts carry (the algorithm
    the answer names, else the one part 1 carries; None: neither says)."""
    page = api.list_parts(bucket, key, upload_id, max_parts=1)
    first = page.parts[0] if page.parts else None
    part_size = first.size if first is not None and first.number == 1 and first.size < size else None
    algorithm = page.checksum_algorithm
    if algorithm is None and first is not None:
        algorithm = "crc32" if first.checksum_crc32 else "sha256" if first.checksum_sha256 else None
    return part_size, algorithm


def _resumed_checksum(
    api: BucketAPI, upload_id: str, algorithm: Optional[str], chosen: str, resource: str
) -> str:
    """The upload's own checksum wins over the one asked for (or the default): its parts must all
    carry what Create declared.  None named leaves ``chosen``; one this SDK does not send (another
    tool's CRC32C, say) is refused before any part is sent."""
    if algorithm is None or algorithm == chosen:
        return chosen
    if algorithm not in api.dialect.multipart_checksums:
        raise InvalidArgumentError(
            f"upload {upload_id!r} was created with {algorithm.upper()} part checksums, which "
            f"upload_file does not send (it sends {', '.join(api.dialect.multipart_checksums)})",
            operation="upload_file",
            resource=resource,
        )
    log.debug(
        "upload %r of %s was created with %s part checksums: sending those, not %s",
        upload_id,
        resource,
        algorithm,
        chosen,
    )
    return algorithm


def _multipart(
    api: BucketAPI,
    bucket: str,
    key: str,
    src: UploadSource,
    ctx: TransferContext,
    part_size: Optional[int],
    content_type: Optional[str],
    metadata: Optional[Mapping[str, str]],
    storage_class: Optional[str],
    upload_id: Optional[str],
    keep_for_resume: bool,
    checksum: str,
) -> UploadedObject:
    resume = upload_id is not None
    if upload_id is not None:
        listed_size, algorithm = _resumed(api, bucket, key, upload_id, src.size)
        part_size = listed_size if part_size is None else part_size
        checksum = _resumed_checksum(api, upload_id, algorithm, checksum, _resource(bucket, key))
    chosen = part_sizer_for(api.dialect).part_size(
        src.size,
        requested=part_size if part_size is not None else ctx.config.part_size,
        minimum=ctx.config.min_part_size,
    )
    sha256: Optional[str] = None
    if src.random_access:
        sha256 = _digests(src, (SHA256,), ctx.config.io_chunk_size, ctx.cancel_token)[SHA256.name]
    if upload_id is None:
        options: Dict[str, Any] = {
            "content_type": content_type,
            "metadata": _metadata(metadata, sha256),
            "storage_class": storage_class,
        }
        if checksum != "md5":
            options["checksum_algorithm"] = checksum.upper()
        upload_id = api.create_multipart_upload(bucket, key, **options)
    target = ObjectUploadTarget(api, bucket, key, upload_id, part_size=chosen, checksum=checksum)
    try:
        result = upload_multipart(
            src, target, part_size=chosen, resume=resume, keep_for_resume=keep_for_resume, context=ctx
        )
    except TransferCancelledError:
        raise  # the engine aborted it, or kept it as asked
    except (MultipartUploadError, KeyboardInterrupt) as exc:
        if keep_for_resume:
            raise
        _abort_quietly(target)
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise MultipartUploadError(
            f"upload of {key!r} to bucket {bucket!r} failed; upload {upload_id!r} was aborted "
            f"(pass keep_for_resume=True to keep it): {exc.__cause__ or exc}",
            parts_done=exc.parts_done,
            parts_total=exc.parts_total,
            operation="upload_file",
            resource=f"object {key!r} in bucket {bucket!r}",
            local_path=exc.local_path,
        ) from exc.__cause__
    etag = result.archive_id
    if resume and sha256 is not None:
        try:
            etag = _restamp_digest(api, bucket, key, sha256, content_type, metadata, storage_class) or etag
        except UploadArchiveError:
            raise
        except CASError as exc:
            raise UploadArchiveError(
                f"the object was written, but whether its stored SHA-256 is the file's could not be "
                f"checked (the file may have changed after upload {upload_id!r} began): {exc}",
                operation="upload_file",
                resource=_resource(bucket, key),
                local_path=exc.local_path,
            ) from exc
    return UploadedObject(
        bucket,
        key,
        src.size,
        etag,
        sha256,
        True,
        upload_id=upload_id,
        part_size=chosen,
        parts_uploaded=result.parts_uploaded,
        parts_skipped=result.parts_skipped,
        crc64=result.tree_hash or None,
    )


def _restamp_digest(
    api: BucketAPI,
    bucket: str,
    key: str,
    sha256: str,
    content_type: Optional[str],
    metadata: Optional[Mapping[str, str]],
    storage_class: Optional[str],
) -> Optional[str]:
    """After a resumed upload: its parts hold the file as it is now (each was checked against the
    local bytes), but its ``sha256`` metadata is the file's as it was at Create.  When the two
    differ, a copy of the object onto itself replaces the metadata, so that downloads verify the
    bytes the object holds; returns the new ETag (None: nothing to change).  No copy can do that
    above 5 GiB, and the object is then reported as written but stamped with a stale digest."""
    head = api.head_object(bucket, key)
    if head.sha256 == sha256:
        return None
    resource = _resource(bucket, key)
    if head.size > MAX_SINGLE_PUT:
        raise UploadArchiveError(
            f"the object was written with the file's current bytes, but its stored SHA-256 is "
            f"{head.sha256 or 'missing'} (the file changed after upload {key!r} began), not "
            f"{sha256}; no copy can correct the metadata of an object over 5 GiB, so downloads will "
            "refuse it: upload the file again without upload_id",
            operation="upload_file",
            resource=resource,
        )
    log.info("%s: the file changed since its upload began; rewriting its stored SHA-256", resource)
    return api.copy_object(
        bucket,
        key,
        bucket,
        key,
        metadata=_metadata({**head.metadata, **(metadata or {})}, sha256),
        content_type=content_type or head.content_type,
        storage_class=storage_class,
        source_if_match=f'"{head.etag}"',
    )


def _abort_quietly(target: ObjectUploadTarget) -> None:
    try:
        target.abort()
    except Exception as exc:  # the original failure is what the caller must see
        log.warning("could not abort upload %r of %r: %s", target.upload_id, target.key, exc)


def download_object(
    api: BucketAPI,
    bucket: str,
    key: str,
    path: Union[str, os.PathLike[str]],
    *,
    config: Optional[TransferConfig] = None,
    progress: Optional[ProgressCallback] = None,
    cancel_token: Optional[CancelToken] = None,
    resume: bool = True,
    keep_partial: bool = True,
    verify: bool = True,
) -> DownloadResult:
    """``Bucket.download_file``: see the module docstring.  ``verify=False`` skips the
    whole-object check (the ranges are still checked against their Content-Range).

    The names and the destination are checked before the first request.  A download whose bytes
    do not match the object's digest leaves nothing: no range of an object is vouched for by the
    service, so its partial file could never be resumed from.
    """
    operation, resource = "download_file", _resource(bucket, key)
    with labelled(operation, resource, source_label(path)):
        _check_names(api, bucket, key, operation)
        dest = check_destination(path, operation=operation, resource=resource)
    with labelled(operation, resource, dest):
        obj = api.head_object(bucket, key)
        source = ObjectSource(api, obj, verify=verify)
        try:
            return download_to_path(
                source,
                dest,
                config=config,
                progress=progress,
                cancel_token=cancel_token,
                resume=resume,
                keep_partial=keep_partial,
            )
        except HashDoesNotMatchError:
            remove_quietly(*partial_paths(dest))
            raise


def iter_object(
    api: BucketAPI,
    bucket: str,
    key: str,
    *,
    byte_range: Optional[Any] = None,
    config: Optional[TransferConfig] = None,
    cancel_token: Optional[CancelToken] = None,
) -> Iterator[bytes]:
    """The object's bytes in order, fetched ahead in parallel within a bounded window of pieces;
    a whole-object mismatch raises after the last chunk (the bytes were already handed out).
    A malformed range is refused before the first request, one past the end after the HEAD."""
    operation, resource = "iter_bytes", _resource(bucket, key)
    with labelled(operation, resource):
        _check_names(api, bucket, key, operation)
        wanted = (
            None
            if byte_range is None
            else ByteRange.parse(byte_range, operation=operation, resource=resource)
        )
        obj = api.head_object(bucket, key)
        if wanted is not None:
            wanted.check_within(obj.size, operation=operation, resource=resource)
        return iter_range(ObjectSource(api, obj), wanted, config=config, cancel_token=cancel_token)
