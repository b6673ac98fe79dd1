"""The bucket service: object storage over S3 and Tencent COS, two dialects of one bucket API.

Low level: ``BucketClient`` (built as ``S3Client`` or ``COSClient``) sends one HTTP request per
operation and returns the raw response.  High level: ``BucketAPI`` raises typed errors and answers
values; ``Bucket`` is a bucket with its objects, uploads and presigned access.  Errors: the
services' code classes (``NoSuchKey``, ``SlowDown``, ...) live in ``cassdk_like.bucket.errors`` and
are re-exported here; the dialects in ``bucket.dialect``.
"""

from cassdk_like.bucket.dialect import COS, S3, BucketDialect, get_dialect
from cassdk_like.bucket.errors import (
    BUCKET_ERRORS,
    AccessDenied,
    BadDigest,
    BucketAlreadyExists,
    BucketAlreadyOwnedByYou,
    BucketNotEmpty,
    BucketServerError,
    EntityTooSmall,
    Forbidden,
    InvalidPart,
    InvalidRange,
    NoSuchBucket,
    NoSuchKey,
    NoSuchUpload,
    NotFound,
    PreconditionFailed,
    SignatureDoesNotMatch,
    SlowDown,
)
from cassdk_like.bucket.highlevel import (
    Bucket,
    BucketAPI,
    BucketInfo,
    BucketObject,
    CompletedUpload,
    DeleteFailure,
    DeleteResult,
    ObjectPage,
    ObjectSummary,
    PartSummary,
    PutResult,
    UploadedObject,
    UploadSummary,
    integrity_of,
    list_all_buckets,
    object_from_headers,
)
from cassdk_like.bucket.lowlevel import BucketClient, CompletedPart, COSClient, PresignedPost, S3Client
from cassdk_like.bucket.validation import MAX_PRESIGN_SECONDS, InvalidBucketNameError, InvalidObjectKeyError

__all__ = [
    "BUCKET_ERRORS",
    "COS",
    "MAX_PRESIGN_SECONDS",
    "S3",
    "AccessDenied",
    "BadDigest",
    "Bucket",
    "BucketAPI",
    "BucketAlreadyExists",
    "BucketAlreadyOwnedByYou",
    "BucketClient",
    "BucketDialect",
    "BucketInfo",
    "BucketNotEmpty",
    "BucketObject",
    "BucketServerError",
    "COSClient",
    "CompletedPart",
    "CompletedUpload",
    "DeleteFailure",
    "DeleteResult",
    "EntityTooSmall",
    "Forbidden",
    "InvalidBucketNameError",
    "InvalidObjectKeyError",
    "InvalidPart",
    "InvalidRange",
    "NoSuchBucket",
    "NoSuchKey",
    "NoSuchUpload",
    "NotFound",
    "ObjectPage",
    "ObjectSummary",
    "PartSummary",
    "PreconditionFailed",
    "PresignedPost",
    "PutResult",
    "S3Client",
    "SignatureDoesNotMatch",
    "SlowDown",
    "UploadSummary",
    "UploadedObject",
    "get_dialect",
    "integrity_of",
    "list_all_buckets",
    "object_from_headers",
]
