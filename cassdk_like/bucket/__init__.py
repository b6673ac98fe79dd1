"""The bucket service: object storage over S3 and Tencent COS, two dialects of one bucket API.

Low level: ``BucketClient`` (built as ``S3Client`` or ``COSClient``) sends one HTTP request per
operation and returns the raw response.  Errors: the services' code classes (``NoSuchKey``,
``SlowDown``, ...) live in ``cassdk_like.bucket.errors`` and are re-exported here; the dialects
in ``bucket.dialect``.
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
from cassdk_like.bucket.lowlevel import BucketClient, CompletedPart, COSClient, PresignedPost, S3Client
from cassdk_like.bucket.validation import InvalidBucketNameError, InvalidObjectKeyError

__all__ = [
    "BUCKET_ERRORS",
    "COS",
    "S3",
    "AccessDenied",
    "BadDigest",
    "BucketAlreadyExists",
    "BucketAlreadyOwnedByYou",
    "BucketClient",
    "BucketDialect",
    "BucketNotEmpty",
    "BucketServerError",
    "COSClient",
    "CompletedPart",
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
    "PreconditionFailed",
    "PresignedPost",
    "S3Client",
    "SignatureDoesNotMatch",
    "SlowDown",
    "get_dialect",
]
