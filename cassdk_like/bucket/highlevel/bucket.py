"""``Bucket``: a bucket and everything done through it (objects, uploads, presigned access, transfers).

Equal (and hashed) by name, like ``Vault``; the API handle is neither compared nor shown.  Every
listing follows all its pages; every failure is a typed error from ``cassdk_like.bucket.errors``.
"""

from __future__ import annotations

import datetime as _dt
import os
from typing import Any, ClassVar, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import attrs

from cassdk_like.bucket.errors import NoSuchBucket
from cassdk_like.bucket.highlevel.api import BucketAPI
from cassdk_like.bucket.highlevel.models import (
    BucketInfo,
    BucketObject,
    DeleteResult,
    ObjectSummary,
    PutResult,
    UploadSummary,
)
from cassdk_like.bucket.highlevel.sharing import par_factory
from cassdk_like.bucket.highlevel.transfers import (
    DEFAULT_THRESHOLD,
    Source,
    UploadedObject,
    download_object,
    iter_object,
    upload_object,
)
from cassdk_like.bucket.lowlevel import PresignedPost
from cassdk_like.bucket.lowlevel._base import Content
from cassdk_like.core.auth.presigned import PresignedURL
from cassdk_like.core.cancel import CancelToken
from cassdk_like.engine import DownloadResult, Pacer, ProgressCallback, TransferConfig

__all__ = ["Bucket", "list_all_buckets"]


@attrs.define(unsafe_hash=True)
class Bucket:
    """A bucket: ``name`` (COS: ``<name>-<appid>``), ``region`` and ``creation_date`` when known.

    Thread-safe for every operation (it holds no state besides its description).
    """

    #: ``upload_file`` sends up to this many bytes as one Put Object by default, more as multipart
    SinglePutThreshold: ClassVar[int] = DEFAULT_THRESHOLD

    api: BucketAPI = attrs.field(eq=False, repr=False)
    name: str
    region: Optional[str] = attrs.field(default=None, eq=False)
    creation_date: Optional[_dt.datetime] = attrs.field(default=None, eq=False)

    # -- finding and making buckets -----------------------------------------------------------------

    @classmethod
    def create(
        cls, api: BucketAPI, name: str, exist_ok: bool = False, *, location: Optional[str] = None
    ) -> Bucket:
        """Create the bucket (``BucketAlreadyOwnedByYou`` / ``BucketAlreadyExists`` unless
        ``exist_ok`` and it is ours).  COS short names get ``-<appid>`` appended."""
        full = api.client.bucket_name(name)
        api.create_bucket(full, location=location, exist_ok=exist_ok)
        return cls(api, full, region=location or api.client.region)

    @classmethod
    def get_bucket(cls, api: BucketAPI, name: str) -> Bucket:
        """One HEAD; ``NoSuchBucket`` when there is no such bucket (``Forbidden`` when it is another's)."""
        full = api.client.bucket_name(name)
        response = api.head_bucket(full)
        region = response.headers.get(api.dialect.h("bucket-region")) or api.client.region
        return cls(api, full, region=region)

    @classmethod
    def from_info(cls, api: BucketAPI, info: BucketInfo) -> Bucket:
        """A ``Bucket`` for a ``BucketInfo`` ``info`` from a listing, using ``api``."""
        return cls(api, info.name, region=info.region, creation_date=info.creation_date)

    def exists(self) -> bool:
        """True when the bucket exists and is ours."""
        try:
            self.api.head_bucket(self.name)
        except NoSuchBucket:
            return False
        return True

    def delete(self) -> None:
        """Delete the bucket (``BucketNotEmpty`` while it holds objects or uploads)."""
        self.api.delete_bucket(self.name)

    def location(self) -> str:
        """The region the service reports ("" means us-east-1 on S3)."""
        return self.api.get_bucket_location(self.name)

    # -- objects ------------------------------------------------------------------------------------

    def objects(
        self,
        prefix: Optional[str] = None,
        *,
        start_after: Optional[str] = None,
        page_size: Optional[int] = None,
    ) -> Iterator[ObjectSummary]:
        """Every object under ``prefix`` in key order (all pages, fetched as iterated)."""
        return self.api.list_all_objects(
            self.name, prefix=prefix, start_after=start_after, page_size=page_size
        )

    def prefixes(self, prefix: Optional[str] = None, delimiter: str = "/") -> Iterator[str]:
        """The common prefixes one level below ``prefix`` (the "folders")."""
        return self.api.list_all_prefixes(self.name, prefix=prefix, delimiter=delimiter)

    def head(self, key: str) -> BucketObject:
        """The object's description (``NoSuchKey`` when absent)."""
        return self.api.head_object(self.name, key)

    def put(self, key: str, content: Content, **options: Any) -> PutResult:
        """One Put Object (small data; ``upload_file`` for files of any size)."""
        return self.api.put_object(self.name, key, content, **options)

    def get_bytes(self, key: str, byte_range: Optional[Any] = None) -> bytes:
        """The object's bytes (or a range of them) in memory (``download_file`` for large ones)."""
        return self.api.get_object(self.name, key, byte_range=byte_range).body

    def delete_object(self, key: str) -> None:
        """Delete object ``key`` (no error when it is already gone)."""
        self.api.delete_object(self.name, key)

    def delete_objects(self, keys: Sequence[str]) -> DeleteResult:
        """Delete any number of keys (1000 per request); failures are in the result."""
        return self.api.delete_objects(self.name, keys)

    def copy_from(self, key: str, source_bucket: str, source_key: str, **options: Any) -> str:
        """Server-side copy into this bucket; returns the copy's ETag."""
        return self.api.copy_object(self.name, key, source_bucket, source_key, **options)

    def tags(self, key: str) -> Dict[str, str]:
        """The tags of ``key`` as a dict (``NoSuchKey`` when there is no such object)."""
        return self.api.get_object_tagging(self.name, key)

    def set_tags(self, key: str, tags: Mapping[str, str]) -> None:
        """Replace the tags of ``key`` with ``tags``."""
        self.api.put_object_tagging(self.name, key, tags)

    # -- uploads --------------------------------------------------------------------------------------

    def uploads(self, prefix: Optional[str] = None) -> Iterator[UploadSummary]:
        """Every multipart upload in progress (all pages)."""
        return self.api.list_all_uploads(self.name, prefix=prefix)

    def abort_uploads(self, prefix: Optional[str] = None) -> List[UploadSummary]:
        """Abort every upload in progress under ``prefix``; returns what was aborted."""
        aborted = list(self.uploads(prefix))
        for upload in aborted:
            self.api.abort_multipart_upload(self.name, upload.key, upload.upload_id)
        return aborted

    # -- transfers (the shared engine) ------------------------------------------------------------------

    def upload_file(
        self,
        path_or_fileobj: Source,
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
        """Upload a path, a file object or a stream (``size`` then required) as ``key``.

        One Put Object up to ``threshold`` bytes, else parallel multipart (5 MiB..5 GiB parts, at
        most 10,000); every body checksummed, the whole object's SHA-256 stored as metadata.
        A failure aborts the multipart upload unless ``keep_for_resume=True``; then pass the
        error's ``upload_id`` back to finish it, sending only the parts still missing.
        ``limiter`` (a ``BandwidthLimiter``, or any ``Pacer``, also one shared with other
        transfers) is paid for each part before it is sent, and for a single-PUT object as a
        whole; ``config.bandwidth_limit`` makes one of its own.
        ``part_checksum`` is what each multipart part carries for the service to verify: on S3
        ``"crc32"`` (the default over HTTPS: a third of SHA-256's CPU) or ``"sha256"`` (the
        default over plain HTTP, where the signature hashes every body anyway), on COS ``"md5"``;
        a resumed upload keeps the one it was created with.
        """
        return upload_object(
            self.api,
            self.name,
            path_or_fileobj,
            key,
            size=size,
            content_type=content_type,
            metadata=metadata,
            storage_class=storage_class,
            part_size=part_size,
            threshold=threshold,
            config=config,
            progress=progress,
            cancel_token=cancel_token,
            upload_id=upload_id,
            keep_for_resume=keep_for_resume,
            limiter=limiter,
            part_checksum=part_checksum,
        )

    def download_file(
        self,
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
        """Download ``key`` to ``path``: parallel ranges pinned to the object's ETag, verified
        against its stored SHA-256 (or MD5 ETag), resumable after a failure or a crash, and put in
        place only when complete."""
        return download_object(
            self.api,
            self.name,
            key,
            path,
            config=config,
            progress=progress,
            cancel_token=cancel_token,
            resume=resume,
            keep_partial=keep_partial,
            verify=verify,
        )

    def iter_bytes(
        self,
        key: str,
        byte_range: Optional[Any] = None,
        *,
        config: Optional[TransferConfig] = None,
        cancel_token: Optional[CancelToken] = None,
    ) -> Iterator[bytes]:
        """The object's bytes in order, read ahead in parallel within ``config.stream_window`` pieces."""
        return iter_object(
            self.api, self.name, key, byte_range=byte_range, config=config, cancel_token=cancel_token
        )

    # -- presigned access -------------------------------------------------------------------------------

    def presigned_get_url(self, key: str, expires: int = 3600) -> PresignedURL:
        """A URL anyone can GET ``key`` with for ``expires`` seconds."""
        return self.api.presigned_get_url(self.name, key, expires)

    def presigned_put_url(self, key: str, expires: int = 3600, **options: Any) -> PresignedURL:
        """A URL anyone can PUT ``key`` with for ``expires`` seconds (``options``: headers to sign)."""
        return self.api.presigned_put_url(self.name, key, expires, **options)

    def presigned_post(self, **options: Any) -> PresignedPost:
        """A POST policy for uploads to this bucket (``key=`` or ``key_prefix=``, see ``BucketClient``)."""
        return self.api.presigned_post(self.name, **options)

    def create_par(
        self,
        key: Optional[str] = None,
        *,
        readable: bool = False,
        writeable: bool = False,
        expires: Optional[_dt.datetime] = None,
        duration: Optional[int] = None,
        encrypt_key: Any = None,
        key_prefix: str = "",
        content_length_range: Optional[Tuple[int, int]] = None,
        registry: Optional[str] = None,
        **options: Any,
    ) -> Any:
        """A ``cassdk_like.par.PAR`` for ``key`` (None: write under ``key_prefix``), sealed to
        ``encrypt_key``; the same as ``cassdk_like.par.create_par(bucket, ...)`` (docs/par.md §1).

        Typed ``Any`` because this package cannot name the PAR class (the PAR package is the one
        that depends on buckets); ``PARUnavailableError`` if no PAR factory is registered.
        """
        factory = par_factory("create_par", f"bucket {self.name!r}")
        return factory(
            self,
            key,
            readable=readable,
            writeable=writeable,
            expires=expires,
            duration=duration,
            encrypt_key=encrypt_key,
            key_prefix=key_prefix,
            content_length_range=content_length_range,
            registry=registry,
            **options,
        )


def list_all_buckets(api: BucketAPI) -> List[Bucket]:
    """Every bucket of the account as ``Bucket`` objects."""
    return [Bucket.from_info(api, info) for info in api.list_buckets()]
