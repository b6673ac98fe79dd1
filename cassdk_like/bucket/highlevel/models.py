"""What the bucket API answers, as values: buckets, objects, listing pages, uploads and parts.

Frozen attrs classes, so they can be shared between threads and compared in tests.  ETags are kept
without their quotes (peers differ in whether they send them); times are aware UTC datetimes.
"""

from __future__ import annotations

import datetime as _dt
from typing import Dict, Mapping, Optional, Tuple

import attrs

__all__ = [
    "BucketInfo",
    "BucketObject",
    "CompletedUpload",
    "DeleteFailure",
    "DeleteResult",
    "ObjectPage",
    "ObjectSummary",
    "PartSummary",
    "PartsPage",
    "PutResult",
    "UploadSummary",
]


@attrs.frozen
class BucketInfo:
    """One bucket of List Buckets (COS says where it is; S3 does not)."""

    name: str
    creation_date: Optional[_dt.datetime] = None
    region: Optional[str] = None


@attrs.frozen
class ObjectSummary:
    """One object of a listing."""

    key: str
    size: int
    etag: str
    last_modified: Optional[_dt.datetime] = None
    storage_class: Optional[str] = None

    @property
    def is_multipart(self) -> bool:
        """A multipart object's ETag is not a digest of its bytes (it ends in ``-<parts>``)."""
        return "-" in self.etag


@attrs.frozen
class ObjectPage:
    """One page of List Objects: the objects, the common prefixes (with a delimiter), and where the
    next page starts (``next_token``: a continuation token on S3, a marker on COS)."""

    objects: Tuple[ObjectSummary, ...]
    prefixes: Tuple[str, ...]
    truncated: bool
    next_token: Optional[str] = None


@attrs.frozen
class BucketObject:
    """An object as Head Object describes it.

    ``metadata`` holds the user metadata by lower-case name without its ``x-amz-meta-`` /
    ``x-cos-meta-`` prefix; ``sha256`` is the whole-object SHA-256 this SDK stores there on upload
    (None for objects uploaded by others); ``crc64`` is COS's CRC-64/ECMA of the stored bytes.
    """

    bucket: str
    key: str
    size: int
    etag: str
    last_modified: Optional[_dt.datetime] = None
    content_type: Optional[str] = None
    storage_class: Optional[str] = None
    metadata: Mapping[str, str] = attrs.field(factory=dict)
    checksum_sha256: Optional[str] = None
    crc64: Optional[str] = None
    encryption: Optional[str] = None
    version_id: Optional[str] = None

    @property
    def sha256(self) -> Optional[str]:
        """The SHA-256 the SDK stored in the object's metadata at upload, if any."""
        value = self.metadata.get("sha256")
        return value.lower() if value else None

    @property
    def is_multipart(self) -> bool:
        """True when the ETag is a multipart one ("...-N"), so it is not the MD5 of the bytes."""
        return "-" in self.etag


@attrs.frozen
class PutResult:
    """What Put Object (or Upload Part) answered: the ETag and the checksums the service reports."""

    etag: str
    checksum_sha256: Optional[str] = None
    crc64: Optional[str] = None
    version_id: Optional[str] = None


@attrs.frozen
class UploadSummary:
    """One multipart upload in progress."""

    key: str
    upload_id: str
    initiated: Optional[_dt.datetime] = None
    storage_class: Optional[str] = None


@attrs.frozen
class PartSummary:
    """One stored part: number, size, ETag, and its SHA-256 or CRC-32 (base64) when the upload
    carries one."""

    number: int
    size: int
    etag: str
    last_modified: Optional[_dt.datetime] = None
    checksum_sha256: Optional[str] = None
    checksum_crc32: Optional[str] = None


@attrs.frozen
class PartsPage:
    """One page of List Parts: its parts, the marker of the next page (None: the last), and the
    checksum algorithm the upload was created with (lower case, None when the answer names none)."""

    parts: Tuple[PartSummary, ...]
    next_marker: Optional[int] = None
    checksum_algorithm: Optional[str] = None


@attrs.frozen
class CompletedUpload:
    """Complete Multipart Upload's answer."""

    bucket: str
    key: str
    etag: str
    location: Optional[str] = None
    crc64: Optional[str] = None


@attrs.frozen
class DeleteFailure:
    """A key Delete Objects could not delete, with the service's code and message."""

    key: str
    code: Optional[str]
    message: Optional[str]


@attrs.frozen
class DeleteResult:
    """Delete Objects' answer (over as many requests as the keys needed)."""

    deleted: Tuple[str, ...]
    failed: Tuple[DeleteFailure, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no key failed to delete."""
        return not self.failed


def plain_etag(value: Optional[str]) -> str:
    """An ETag without quotes (and without a weak ``W/`` marker)."""
    text = (value or "").strip()
    if text.startswith("W/"):
        text = text[2:]
    return text.strip('"')


def user_metadata(headers: Mapping[str, str], prefix: str) -> Dict[str, str]:
    """The ``<prefix>*`` headers by lower-case name without the prefix."""
    return {
        name.lower()[len(prefix) :]: value
        for name, value in headers.items()
        if name.lower().startswith(prefix)
    }
