"""``Bucket``: a bucket and everything done through it (objects, uploads, presigned access, transfers).

Equal (and hashed) by name, like ``Vault``; the API handle is neither compared nor shown.  Every
listing follows all its pages; every failure is a typed error from ``cassdk_like.bucket.errors``.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence

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
from cassdk_like.bucket.lowlevel import PresignedPost
from cassdk_like.bucket.lowlevel._base import Content
from cassdk_like.core.auth.presigned import PresignedURL

__all__ = ["Bucket", "list_all_buckets"]


@attrs.define(unsafe_hash=True)
class Bucket:
    """A bucket: ``name`` (COS: ``<name>-<appid>``), ``region`` and ``creation_date`` when known.

    Thread-safe for every operation (it holds no state besides its description).
    """

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
        self.api.delete_object(self.name, key)

    def delete_objects(self, keys: Sequence[str]) -> DeleteResult:
        """Delete any number of keys (1000 per request); failures are in the result."""
        return self.api.delete_objects(self.name, keys)

    def copy_from(self, key: str, source_bucket: str, source_key: str, **options: Any) -> str:
        """Server-side copy into this bucket; returns the copy's ETag."""
        return self.api.copy_object(self.name, key, source_bucket, source_key, **options)

    def tags(self, key: str) -> Dict[str, str]:
        return self.api.get_object_tagging(self.name, key)

    def set_tags(self, key: str, tags: Mapping[str, str]) -> None:
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

    # -- presigned access -------------------------------------------------------------------------------

    def presigned_get_url(self, key: str, expires: int = 3600) -> PresignedURL:
        return self.api.presigned_get_url(self.name, key, expires)

    def presigned_put_url(self, key: str, expires: int = 3600, **options: Any) -> PresignedURL:
        return self.api.presigned_put_url(self.name, key, expires, **options)

    def presigned_post(self, **options: Any) -> PresignedPost:
        """A POST policy for uploads to this bucket (``key=`` or ``key_prefix=``, see ``BucketClient``)."""
        return self.api.presigned_post(self.name, **options)


def list_all_buckets(api: BucketAPI) -> List[Bucket]:
    """Every bucket of the account as ``Bucket`` objects."""
    return [Bucket.from_info(api, info) for info in api.list_buckets()]
