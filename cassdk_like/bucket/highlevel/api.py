"""``BucketAPI``: the ``BucketClient`` operations, raising typed errors and answering values.

Named after the vault's ``CasAPI``: the same split (one low-level client, one high-level API over
it).  Every method raises the bucket code class of a non-2xx answer (with operation, resource,
status, code, message and request id) and returns the answer read into ``models``; the
``list_all_*`` generators follow every page.  Two S3 traps are closed here: a Complete or Copy
that fails after its 200 status line (an ``<Error>`` body) raises, and a bodyless 404 of a HEAD is
``NoSuchKey`` / ``NoSuchBucket`` as the operation implies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Mapping, Optional, Sequence, Type

from cassdk_like.bucket.dialect import BucketDialect
from cassdk_like.bucket.errors import (
    BucketAlreadyExists,
    BucketAlreadyOwnedByYou,
    NoSuchBucket,
    NoSuchKey,
    NoSuchUpload,
)
from cassdk_like.bucket.highlevel.models import (
    BucketInfo,
    BucketObject,
    CompletedUpload,
    DeleteFailure,
    DeleteResult,
    ObjectPage,
    ObjectSummary,
    PartsPage,
    PartSummary,
    PutResult,
    UploadSummary,
    plain_etag,
    user_metadata,
)
from cassdk_like.bucket.highlevel.parsing import (
    document,
    error_document,
    http_date,
    parse_buckets,
    parse_complete,
    parse_delete,
    parse_location,
    parse_object_page,
    parse_parts,
    parse_tags,
    parse_upload_id,
    parse_uploads,
)
from cassdk_like.bucket.lowlevel import BucketClient, PresignedPost
from cassdk_like.bucket.lowlevel._base import Content
from cassdk_like.bucket.validation import MAX_LIST_KEYS
from cassdk_like.core.auth.presigned import PresignedURL
from cassdk_like.core.exceptions import CASServerError
from cassdk_like.core.http.response import HttpResponse
from cassdk_like.core.xmldoc import text_of

if TYPE_CHECKING:
    from cassdk_like.bucket.highlevel.bucket import Bucket

__all__ = ["BucketAPI", "object_from_headers"]


class BucketAPI:
    """High-level API over one ``BucketClient``. Thread-safe like the client."""

    def __init__(self, client: BucketClient) -> None:
        self._client = client

    @property
    def client(self) -> BucketClient:
        """The ``BucketClient`` every call goes through."""
        return self._client

    @property
    def dialect(self) -> BucketDialect:
        """The client's dialect (S3 or COS)."""
        return self._client.dialect

    def __repr__(self) -> str:
        return f"BucketAPI({self._client!r})"

    # -- answers --------------------------------------------------------------------------------

    def _ok(self, response: HttpResponse, missing: Optional[Type[CASServerError]] = None) -> HttpResponse:
        """Raise the typed error of a non-2xx answer, else hand it back."""
        if not response.ok:
            raise self.dialect.parse_error(response, missing=missing)
        return response

    def _ok_document(self, response: HttpResponse) -> HttpResponse:
        """As ``_ok``, and also raise for a 200 whose body is an ``<Error>`` (Complete, Copy)."""
        self._ok(response)
        error = error_document(response)
        if error is not None:
            raise self.dialect.errors.decode(
                response.status,
                response.headers,
                response.body,
                request_id=response.request_id,
                operation=response.operation or None,
                resource=response.resource or None,
            )
        return response

    def _put_result(self, response: HttpResponse) -> PutResult:
        headers = response.headers
        crc = self.dialect.crc64_header
        return PutResult(
            etag=plain_etag(headers.get("ETag")),
            checksum_sha256=headers.get("x-amz-checksum-sha256") if self.dialect.name == "s3" else None,
            crc64=headers.get(crc) if crc else None,
            version_id=headers.get(self.dialect.h("version-id")),
        )

    # -- buckets --------------------------------------------------------------------------------

    def list_buckets(self) -> List[BucketInfo]:
        """Every bucket of the account."""
        return parse_buckets(self._ok(self._client.list_buckets()))

    def create_bucket(self, bucket: str, *, location: Optional[str] = None, exist_ok: bool = False) -> None:
        """Create the bucket; with ``exist_ok`` a bucket that already exists and is ours is fine."""
        try:
            self._ok(self._client.create_bucket(bucket, location=location))
        except BucketAlreadyOwnedByYou:
            if not exist_ok:
                raise
        except BucketAlreadyExists:
            # COS says "exists" for our own buckets too: ours if we may HEAD it
            if not exist_ok or not self._client.head_bucket(bucket).ok:
                raise

    def head_bucket(self, bucket: str) -> HttpResponse:
        """Check that ``bucket`` exists and is reachable (``NoSuchBucket`` otherwise)."""
        return self._ok(self._client.head_bucket(bucket), NoSuchBucket)

    def delete_bucket(self, bucket: str) -> None:
        """Delete the empty ``bucket`` (``NoSuchBucket``, ``BucketNotEmpty``)."""
        self._ok(self._client.delete_bucket(bucket), NoSuchBucket)

    def get_bucket_location(self, bucket: str) -> str:
        """The region ``bucket`` lives in."""
        return parse_location(self._ok(self._client.get_bucket_location(bucket)))

    def get_bucket(self, bucket: str) -> Bucket:
        """The bucket as a domain object (one HEAD; ``NoSuchBucket`` when it does not exist)."""
        from cassdk_like.bucket.highlevel.bucket import Bucket  # noqa: PLC0415 - bucket imports this module

        return Bucket.get_bucket(self, bucket)

    # -- listing --------------------------------------------------------------------------------

    def list_objects(
        self,
        bucket: str,
        *,
        prefix: Optional[str] = None,
        delimiter: Optional[str] = None,
        start_after: Optional[str] = None,
        continuation_token: Optional[str] = None,
        max_keys: Optional[int] = None,
    ) -> ObjectPage:
        """One page; ``page.next_token`` goes into the next call's ``continuation_token``."""
        response = self._client.list_objects(
            bucket,
            prefix=prefix,
            delimiter=delimiter,
            start_after=start_after,
            continuation_token=continuation_token,
            max_keys=max_keys,
        )
        return parse_object_page(self._ok(response, NoSuchBucket))

    def list_all_pages(
        self,
        bucket: str,
        *,
        prefix: Optional[str] = None,
        delimiter: Optional[str] = None,
        start_after: Optional[str] = None,
        page_size: Optional[int] = None,
    ) -> Iterator[ObjectPage]:
        """Every page, in order, until the listing is no longer truncated."""
        token: Optional[str] = None
        while True:
            page = self.list_objects(
                bucket,
                prefix=prefix,
                delimiter=delimiter,
                start_after=start_after if token is None else None,
                continuation_token=token,
                max_keys=page_size,
            )
            yield page
            if not page.truncated:
                return
            token = page.next_token

    def list_all_objects(
        self,
        bucket: str,
        *,
        prefix: Optional[str] = None,
        delimiter: Optional[str] = None,
        start_after: Optional[str] = None,
        page_size: Optional[int] = None,
    ) -> Iterator[ObjectSummary]:
        """Every object (all pages) under ``prefix``, in key order."""
        for page in self.list_all_pages(
            bucket, prefix=prefix, delimiter=delimiter, start_after=start_after, page_size=page_size
        ):
            yield from page.objects

    def list_all_prefixes(
        self,
        bucket: str,
        *,
        prefix: Optional[str] = None,
        delimiter: str = "/",
        page_size: Optional[int] = None,
    ) -> Iterator[str]:
        """Every common prefix (the "folders") one level below ``prefix``."""
        for page in self.list_all_pages(bucket, prefix=prefix, delimiter=delimiter, page_size=page_size):
            yield from page.prefixes

    def list_all_uploads(self, bucket: str, *, prefix: Optional[str] = None) -> Iterator[UploadSummary]:
        """Every multipart upload in progress (all pages)."""
        key_marker: Optional[str] = None
        id_marker: Optional[str] = None
        while True:
            response = self._client.list_multipart_uploads(
                bucket, prefix=prefix, key_marker=key_marker, upload_id_marker=id_marker
            )
            if not response.ok:
                error = self.dialect.parse_error(response, missing=NoSuchBucket)
                if isinstance(error, NoSuchUpload) and key_marker is None:
                    return  # rclone's answer for a bucket that never had an upload (docs/peer-notes.md §8)
                raise error
            uploads, after = parse_uploads(response)
            yield from uploads
            if after is None or (after == (key_marker, id_marker)):
                return
            key_marker, id_marker = after

    def list_parts(self, bucket: str, key: str, upload_id: str, **options: Any) -> PartsPage:
        """One page of List Parts (``part_number_marker``, ``max_parts``), with the upload's
        checksum algorithm when the service names it."""
        return parse_parts(self._ok(self._client.list_parts(bucket, key, upload_id, **options)))

    def list_all_parts(self, bucket: str, key: str, upload_id: str) -> Iterator[PartSummary]:
        """Every stored part of one upload (all pages), by number."""
        marker: Optional[int] = None
        while True:
            page = self.list_parts(bucket, key, upload_id, part_number_marker=marker)
            after = page.next_marker
            yield from page.parts
            if after is None or after == marker:
                return
            marker = after

    # -- objects --------------------------------------------------------------------------------

    def put_object(self, bucket: str, key: str, content: Content, **options: Any) -> PutResult:
        """Put Object (see ``BucketClient.put_object`` for the options)."""
        return self._put_result(self._ok(self._client.put_object(bucket, key, content, **options)))

    def get_object(self, bucket: str, key: str, **options: Any) -> HttpResponse:
        """Get Object (``stream=True`` to read the body from the socket; close it afterwards)."""
        return self._ok(self._client.get_object(bucket, key, **options), NoSuchKey)

    def head_object(self, bucket: str, key: str, **options: Any) -> BucketObject:
        """Head Object as a ``BucketObject``; ``NoSuchKey`` when it does not exist."""
        response = self._ok(self._client.head_object(bucket, key, **options), NoSuchKey)
        size = int(response.headers.get("Content-Length", "0") or 0)
        return object_from_headers(self.dialect, bucket, key, response.headers, size)

    def delete_object(self, bucket: str, key: str) -> None:
        """Delete object ``key`` of ``bucket`` (no error when it is already gone)."""
        self._ok(self._client.delete_object(bucket, key))

    def delete_objects(self, bucket: str, keys: Sequence[str], *, quiet: bool = True) -> DeleteResult:
        """Delete any number of keys, 1000 per request; the failures are reported, not raised."""
        deleted: List[str] = []
        failed: List[DeleteFailure] = []
        keys = list(keys)
        for start in range(0, len(keys), MAX_LIST_KEYS):
            chunk = keys[start : start + MAX_LIST_KEYS]
            done, errors = parse_delete(self._ok(self._client.delete_objects(bucket, chunk, quiet=quiet)))
            failed += errors
            if quiet:
                bad = {error.key for error in errors}
                done = [key for key in chunk if key not in bad]
            deleted += done
        return DeleteResult(tuple(deleted), tuple(failed))

    def copy_object(self, bucket: str, key: str, source_bucket: str, source_key: str, **options: Any) -> str:
        """Server-side copy; returns the new object's ETag (a failure inside a 200 raises)."""
        response = self._ok_document(
            self._client.copy_object(bucket, key, source_bucket, source_key, **options)
        )
        return plain_etag(text_of(document(response, "CopyObjectResult"), "ETag"))

    # -- multipart --------------------------------------------------------------------------------

    def create_multipart_upload(self, bucket: str, key: str, **options: Any) -> str:
        """Create Multipart Upload; returns the upload id."""
        return parse_upload_id(self._ok(self._client.create_multipart_upload(bucket, key, **options)))

    def upload_part(
        self, bucket: str, key: str, upload_id: str, part_number: int, content: Content, **options: Any
    ) -> PutResult:
        """Upload ``content`` as part ``part_number`` of upload ``upload_id`` of ``key``; returns its ETag."""
        response = self._client.upload_part(bucket, key, upload_id, part_number, content, **options)
        return self._put_result(self._ok(response))

    def complete_multipart_upload(
        self, bucket: str, key: str, upload_id: str, parts: Sequence[Any]
    ) -> CompletedUpload:
        """Complete; a failure reported inside the 200 answer raises its typed error."""
        response = self._ok_document(self._client.complete_multipart_upload(bucket, key, upload_id, parts))
        crc = self.dialect.crc64_header
        return parse_complete(response, bucket, key, response.headers.get(crc) if crc else None)

    def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> None:
        """Abandon upload ``upload_id`` of ``key`` in ``bucket``; its parts are discarded."""
        self._ok(self._client.abort_multipart_upload(bucket, key, upload_id))

    # -- tags and presigning ------------------------------------------------------------------------

    def put_object_tagging(self, bucket: str, key: str, tags: Mapping[str, str]) -> None:
        """Replace the tags of ``key`` in ``bucket`` with ``tags``."""
        self._ok(self._client.put_object_tagging(bucket, key, tags), NoSuchKey)

    def get_object_tagging(self, bucket: str, key: str) -> Dict[str, str]:
        """The tags of ``key`` in ``bucket`` as a dict."""
        return parse_tags(self._ok(self._client.get_object_tagging(bucket, key), NoSuchKey))

    def delete_object_tagging(self, bucket: str, key: str) -> None:
        """Remove every tag of ``key`` in ``bucket``."""
        self._ok(self._client.delete_object_tagging(bucket, key), NoSuchKey)

    def presigned_get_url(self, bucket: str, key: str, expires: int = 3600) -> PresignedURL:
        """A URL anyone can GET ``key`` of ``bucket`` with for ``expires`` seconds."""
        return self._client.presigned_get_url(bucket, key, expires)

    def presigned_put_url(self, bucket: str, key: str, expires: int = 3600, **options: Any) -> PresignedURL:
        """A URL anyone can PUT ``key`` of ``bucket`` with for ``expires`` seconds."""
        return self._client.presigned_put_url(bucket, key, expires, **options)

    def presigned_post(self, bucket: str, **options: Any) -> PresignedPost:
        """A browser POST form for ``bucket`` (``options``: key, conditions, expiry)."""
        return self._client.presigned_post(bucket, **options)


def object_from_headers(
    dialect: BucketDialect, bucket: str, key: str, headers: Mapping[str, str], size: int
) -> BucketObject:
    """The object an answer's headers describe (Head Object, or a ranged GET whose ``size`` comes
    from ``Content-Range``)."""
    crc = dialect.crc64_header
    return BucketObject(
        bucket=bucket,
        key=key,
        size=size,
        etag=plain_etag(headers.get("ETag")),
        last_modified=http_date(headers.get("Last-Modified")),
        content_type=headers.get("Content-Type"),
        storage_class=headers.get(dialect.h("storage-class")),
        metadata=user_metadata(headers, dialect.meta_prefix),
        checksum_sha256=headers.get("x-amz-checksum-sha256") if dialect.name == "s3" else None,
        crc64=headers.get(crc) if crc else None,
        encryption=headers.get(dialect.h("server-side-encryption")),
        version_id=headers.get(dialect.h("version-id")),
    )
