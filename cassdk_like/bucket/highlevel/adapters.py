"""Adapters from a bucket's objects and multipart uploads to the transfer engine's interfaces.

The engine knows nothing of buckets (engine/interfaces.py); these classes are the only glue:

* :class:`ObjectSource` serves ranges of one object, every request pinned with ``If-Match`` to the
  ETag the download started from, so an object replaced meanwhile fails the download
  (``PreconditionFailed``) instead of mixing two versions (aws/aws-cli#2321).  Its integrity is the
  whole-object SHA-256 this SDK stores in user metadata, else the ETag when that is the object's
  MD5 (single-part, not encrypted with KMS or customer keys), else none (docs/bucket-protocol.md §10).
* :class:`ObjectUploadTarget` is one multipart upload: every part carries the upload's checksum
  (S3 ``x-amz-checksum-crc32`` or ``x-amz-checksum-sha256``, COS ``Content-MD5``), which the
  service verifies; a part's token is that digest, so a resumed upload recognises the parts
  already stored from List Parts.
* :data:`S3_PART_SIZER`: parts of 5 MiB to 5 GiB (the last may be smaller), at most 10,000.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from typing import Dict, Iterator, Mapping, Optional, Sequence, Tuple

import attrs

from cassdk_like.bucket.dialect import BucketDialect
from cassdk_like.bucket.errors import PreconditionFailed
from cassdk_like.bucket.highlevel.api import BucketAPI
from cassdk_like.bucket.highlevel.models import BucketObject, PartSummary
from cassdk_like.bucket.lowlevel import CompletedPart
from cassdk_like.bucket.validation import MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE
from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.checksums import CRC32, MD5, NO_INTEGRITY, SHA256, IntegrityStrategy
from cassdk_like.core.exceptions import BadResponseError, InvalidArgumentError, InvalidPartSizeError
from cassdk_like.engine import CompletedUpload, PartBody, RangeResponse

__all__ = [
    "S3_PART_SIZER",
    "ObjectSource",
    "ObjectUploadTarget",
    "S3PartSizer",
    "integrity_of",
    "part_checksum_of",
    "part_sizer_for",
]

MiB = 1024 * 1024
GiB = 1024 * MiB
_HEX32 = re.compile(r"[0-9a-f]{32}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
#: server-side encryption whose ETag is not the MD5 of the bytes
_OPAQUE_ETAG_ENCRYPTION = ("aws:kms", "aws:kms:dsse", "cos/kms")
#: the part checksums by the name ``upload_file(part_checksum=...)`` and the dialect give them
_PART_CHECKSUMS: Mapping[str, IntegrityStrategy] = {s.name: s for s in (CRC32, SHA256, MD5)}


@attrs.frozen
class S3PartSizer:
    """The S3 and COS part rules: 5 MiB..5 GiB per part (the last may be smaller), at most 10,000.

    The default size is ``minimum`` (``TransferConfig.min_part_size``), raised in whole MiB until
    the object fits in 10,000 parts.
    """

    max_parts: int = MAX_PARTS
    min_size: int = MIN_PART_SIZE
    max_size: int = MAX_PART_SIZE

    def part_size(self, size: int, *, requested: Optional[int], minimum: int) -> int:
        operation = "upload_file"
        if requested is not None:
            if isinstance(requested, bool) or not isinstance(requested, int):
                raise InvalidPartSizeError(
                    f"part size must be an integer, got {requested!r}", operation=operation
                )
            too_small = requested < self.min_size and requested < size
            if too_small or requested > self.max_size:
                raise InvalidPartSizeError(
                    f"part size must be {self.min_size}..{self.max_size} bytes "
                    f"({self.min_size / MiB:g} MiB..{self.max_size / GiB:g} GiB), got {requested}",
                    operation=operation,
                )
            if -(-size // requested) > self.max_parts:
                raise InvalidPartSizeError(
                    f"{size} bytes in {requested}-byte parts need more than {self.max_parts} parts",
                    operation=operation,
                )
            return requested
        part = max(minimum, self.min_size, -(-size // self.max_parts))
        part = -(-part // MiB) * MiB
        if part > self.max_size:
            raise InvalidArgumentError(
                f"an object of {size} bytes does not fit in {self.max_parts} parts of at most "
                f"{self.max_size} bytes",
                operation=operation,
            )
        return part


S3_PART_SIZER = S3PartSizer()


def part_sizer_for(dialect: BucketDialect) -> S3PartSizer:
    """The dialect's part rules (COS allows parts down to 1 MiB)."""
    if dialect.min_part_size == S3_PART_SIZER.min_size:
        return S3_PART_SIZER
    return S3PartSizer(min_size=dialect.min_part_size)


def part_checksum_of(
    dialect: BucketDialect, requested: Optional[str], *, resource: str, hashed_payload: bool = False
) -> str:
    """The checksum a multipart upload's parts carry: ``requested``, else the dialect's default,
    else, when each body is SHA-256 hashed for its signature anyway (``hashed_payload``: S3 over
    plain HTTP), the single PUT's checksum if parts take it: that hash then doubles as the checksum,
    where a CRC-32 would be one more pass.

    Refused before any request when the dialect's service does not verify it on a part.
    """
    if requested is None:
        if hashed_payload and dialect.part_checksum in dialect.multipart_checksums:
            return dialect.part_checksum
        return dialect.multipart_checksums[0]
    name = requested.strip().lower() if isinstance(requested, str) else None
    if name not in dialect.multipart_checksums:
        raise InvalidArgumentError(
            f"part_checksum must be one of {', '.join(map(repr, dialect.multipart_checksums))} "
            f"on {dialect.name}, got {requested!r}",
            operation="upload_file",
            resource=resource,
        )
    return name


def integrity_of(obj: BucketObject) -> Tuple[IntegrityStrategy, Optional[str]]:
    """What a download of ``obj`` is checked against: (strategy, expected hex digest or None)."""
    sha256 = obj.sha256
    if sha256 is not None and _HEX64.fullmatch(sha256):
        return SHA256, sha256
    etag = obj.etag.lower()
    encryption = (obj.encryption or "").lower()
    if _HEX32.fullmatch(etag) and encryption not in _OPAQUE_ETAG_ENCRYPTION:
        return MD5, etag
    return NO_INTEGRITY, None


class ObjectSource:
    """One object as the engine's ``DownloadSource``, pinned to the ETag it was described with."""

    def __init__(self, api: BucketAPI, obj: BucketObject, *, verify: bool = True) -> None:
        self._api = api
        self.object = obj
        self.size = obj.size
        strategy, expected = integrity_of(obj) if verify else (NO_INTEGRITY, None)
        self.integrity: IntegrityStrategy = strategy
        self.expected_digest = expected

    @property
    def identity(self) -> str:
        """What the resume journal matches on: a changed object never resumes a partial file."""
        obj = self.object
        return "/".join(["bucket", obj.bucket, obj.key, obj.etag or "-", self.expected_digest or "-"])

    def open_range(self, byte_range: ByteRange) -> RangeResponse:
        obj = self.object
        try:
            return self._api.get_object(
                obj.bucket, obj.key, byte_range=byte_range, if_match=f'"{obj.etag}"', stream=True
            )
        except PreconditionFailed as exc:
            raise PreconditionFailed(
                exc.status,
                exc.code,
                f"the object changed since the download began (its ETag is no longer {obj.etag!r})",
                exc.type,
                exc.request_id,
                exc.body,
                operation="download_file",
                resource=f"object {obj.key!r} in bucket {obj.bucket!r}",
            ) from exc

    def __repr__(self) -> str:
        return f"ObjectSource({self.object.bucket!r}, {self.object.key!r}, size={self.size})"


class ObjectUploadTarget:
    """One multipart upload of an object, as the engine's ``MultipartTarget``. Thread-safe.

    ``part_size`` numbers the byte ranges of the parts List Parts reports; ``checksum`` is the one
    the upload was created with (``part_checksum_of``; None: the dialect's default).
    """

    def __init__(
        self,
        api: BucketAPI,
        bucket: str,
        key: str,
        upload_id: str,
        *,
        part_size: int,
        checksum: Optional[str] = None,
    ) -> None:
        self._api = api
        self.part_sizer = part_sizer_for(api.dialect)
        self.bucket = bucket
        self.key = key
        self.upload_id = upload_id
        self.part_size = part_size
        resource = f"object {key!r} in bucket {bucket!r}"
        self._checksum = _PART_CHECKSUMS[part_checksum_of(api.dialect, checksum, resource=resource)]
        self.part_checksums: Sequence[IntegrityStrategy] = (self._checksum,)
        self._etags: Dict[int, str] = {}
        self._lock = threading.Lock()

    def upload_part(self, number: int, body: PartBody) -> str:
        """Upload Part with the checksum the engine computed; the token is that digest."""
        digest = body.digests[self._checksum.name]
        content = body.content()
        size = body.byte_range.length
        sums = {self._checksum.name: digest}
        result = self._api.upload_part(
            self.bucket, self.key, self.upload_id, number, content, size=size, **sums
        )
        if not result.etag:
            raise self._bad(f"Upload Part {number} answered without an ETag")
        with self._lock:
            self._etags[number] = result.etag
        return digest

    def token_for(self, number: int, digests: Mapping[str, str]) -> Optional[str]:
        return digests.get(self._checksum.name)

    def list_parts(self) -> Iterator[Tuple[int, ByteRange, str]]:
        """Every stored part (all pages), its range from ``part_size``, and its digest when the
        service lists it (S3 ``ChecksumCRC32`` / ``ChecksumSHA256``; COS: the ETag, which is the
        part's MD5)."""
        for part in self._api.list_all_parts(self.bucket, self.key, self.upload_id):
            if part.size <= 0:
                continue
            start = (part.number - 1) * self.part_size
            with self._lock:
                self._etags[part.number] = part.etag
            yield (
                part.number,
                ByteRange(start, start + part.size - 1),
                self._listed_token(part),
            )

    def _listed_token(self, part: PartSummary) -> str:
        if self._checksum is not MD5:
            checksum = part.checksum_crc32 if self._checksum is CRC32 else part.checksum_sha256
            if not checksum:
                return ""  # unknown: the engine sends the part again
            try:
                return base64.b64decode(checksum, validate=True).hex()
            except (binascii.Error, ValueError):
                return ""
        etag = part.etag.lower()
        return etag if _HEX32.fullmatch(etag) else ""

    def complete(self, parts: Sequence[Tuple[int, str]], size: int) -> CompletedUpload:
        """Complete Multipart Upload with every part's ETag (and its CRC-32 or SHA-256 on S3)."""
        listed = []
        with self._lock:
            etags = dict(self._etags)
        for number, token in sorted(parts):
            etag = etags.get(number)
            if etag is None:
                raise self._bad(f"part {number} has no ETag to complete with")
            sums = {self._checksum.name: token} if self._checksum is not MD5 else {}
            listed.append(CompletedPart(number, etag, **sums))
        done = self._api.complete_multipart_upload(self.bucket, self.key, self.upload_id, listed)
        return CompletedUpload(done.etag, done.crc64)

    def abort(self) -> None:
        self._api.abort_multipart_upload(self.bucket, self.key, self.upload_id)

    def _bad(self, message: str) -> BadResponseError:
        return BadResponseError(
            message,
            operation="upload_file",
            resource=f"upload {self.upload_id!r} of object {self.key!r} in bucket {self.bucket!r}",
        )

    def __repr__(self) -> str:
        return f"ObjectUploadTarget({self.bucket!r}, {self.key!r}, upload_id={self.upload_id!r})"
