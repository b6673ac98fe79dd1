"""The bucket service's error codes (S3 and COS share them, docs/bucket-protocol.md §5): one class per code.

Each class is named as S3 and COS name the code in their XML error documents, so
``except NoSuchKey`` reads like the services' documentation.  They belong to :data:`BUCKET_ERRORS`
only: the vault's ``SlowDown`` is another class in another table, so codes of the two services
never collide.  Answers without a body (HEAD, 304, 412) are typed by their status through the
status classes (``NotFound``, ``Forbidden``, ...), which the specific codes subclass: ``except
NotFound`` catches a HEAD's bodyless 404 and a GET's ``NoSuchKey`` alike.
"""

from __future__ import annotations

from typing import Dict, FrozenSet, Mapping, Tuple, Type

from cassdk_like.core.errortable import ErrorTable
from cassdk_like.core.exceptions import CASServerError

__all__ = [
    "BODYLESS_CODES",
    "BUCKET_ERRORS",
    "RETRYABLE_CODES",
    "AccessDenied",
    "BadDigest",
    "BadRequest",
    "BucketAlreadyExists",
    "BucketAlreadyOwnedByYou",
    "BucketNotEmpty",
    "BucketServerError",
    "Conflict",
    "EntityTooLarge",
    "EntityTooSmall",
    "ExpiredToken",
    "Forbidden",
    "IncompleteBody",
    "InternalError",
    "InvalidAccessKeyId",
    "InvalidArgument",
    "InvalidBucketName",
    "InvalidDigest",
    "InvalidObjectState",
    "InvalidPart",
    "InvalidPartOrder",
    "InvalidRange",
    "InvalidRequest",
    "InvalidToken",
    "KeyTooLongError",
    "MalformedXML",
    "MethodNotAllowed",
    "MissingContentLength",
    "NoSuchBucket",
    "NoSuchKey",
    "NoSuchTagSet",
    "NoSuchUpload",
    "NotFound",
    "NotImplemented",
    "NotModified",
    "PreconditionFailed",
    "RequestTimeTooSkewed",
    "RequestTimeout",
    "ServiceUnavailable",
    "SignatureDoesNotMatch",
    "SlowDown",
    "TooManyBuckets",
    "XAmzContentSHA256Mismatch",
    "documented_codes",
]


class BucketServerError(CASServerError):
    """Base of every bucket code class (an unknown code is a plain ``CASServerError``)."""


# -- status classes: what an answer without a body is typed as ----------------------------------


class NotModified(BucketServerError):
    default_status = 304


class BadRequest(BucketServerError):
    default_status = 400


class Forbidden(BucketServerError):
    """The request was refused (403)."""

    default_status = 403


class NotFound(BucketServerError):
    """Nothing at this bucket or key (404)."""

    default_status = 404


class MethodNotAllowed(BucketServerError):
    default_status = 405


class Conflict(BucketServerError):
    default_status = 409


class PreconditionFailed(BucketServerError):
    """If-Match / If-None-Match did not hold: the object changed (or exists) since it was read."""

    default_status = 412


class InvalidRange(BucketServerError):
    """The requested byte range is outside the object (416)."""

    default_status = 416


class InternalError(BucketServerError):
    default_status = 500
    retryable = True


class ServiceUnavailable(BucketServerError):
    default_status = 503
    retryable = True


# -- missing things ---------------------------------------------------------------------------


class NoSuchBucket(NotFound):
    """The bucket does not exist."""


class NoSuchKey(NotFound):
    """The object does not exist."""


class NoSuchUpload(NotFound):
    """The multipart upload does not exist (completed, aborted or never started)."""


class NoSuchTagSet(NotFound):
    pass


# -- access and signing -----------------------------------------------------------------------


class AccessDenied(Forbidden):
    """The credentials may not do this to this bucket or object."""


class SignatureDoesNotMatch(Forbidden):
    """The request signature is wrong: check the secret key and the clock."""


class InvalidAccessKeyId(Forbidden):
    pass


class ExpiredToken(BadRequest):
    pass


class InvalidToken(BadRequest):
    pass


class RequestTimeTooSkewed(Forbidden):
    pass


# -- buckets ----------------------------------------------------------------------------------


class BucketAlreadyExists(Conflict):
    """The bucket name is taken by another account."""


class BucketAlreadyOwnedByYou(Conflict):
    """The bucket already exists and is yours."""


class BucketNotEmpty(Conflict):
    """A bucket must be empty to be deleted."""


class InvalidBucketName(BadRequest):
    pass


class TooManyBuckets(BadRequest):
    pass


# -- bodies, parts and checksums ----------------------------------------------------------------


class BadDigest(BadRequest):
    """The body does not match the Content-MD5 or x-amz-checksum-* sent with it."""


class InvalidDigest(BadRequest):
    pass


class XAmzContentSHA256Mismatch(BadRequest):
    pass


class EntityTooSmall(BadRequest):
    """A part other than the last is below the 5 MiB minimum."""


class EntityTooLarge(BadRequest):
    pass


class IncompleteBody(BadRequest):
    pass


class InvalidPart(BadRequest):
    """A part named in Complete Multipart Upload is missing or its ETag differs."""


class InvalidPartOrder(BadRequest):
    pass


class MissingContentLength(BucketServerError):
    default_status = 411


class KeyTooLongError(BadRequest):
    pass


class InvalidArgument(BadRequest):
    pass


class InvalidRequest(BadRequest):
    pass


class MalformedXML(BadRequest):
    pass


class InvalidObjectState(Forbidden):
    pass


class NotImplemented(BucketServerError):
    default_status = 501


# -- transient ----------------------------------------------------------------------------------


class SlowDown(BucketServerError):
    """Too many requests: slow down (503); retried."""

    default_status = 503
    retryable = True


class RequestTimeout(BadRequest):
    retryable = True


#: the classes an answer without a body is typed as, by their status
_STATUS_CLASSES: Tuple[Type[BucketServerError], ...] = (
    NotModified,
    BadRequest,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PreconditionFailed,
    InvalidRange,
    InternalError,
    ServiceUnavailable,
)

#: the bucket's code -> class table (S3 and COS send the same codes)
BUCKET_ERRORS = ErrorTable.of_classes(
    "bucket",
    (
        *_STATUS_CLASSES,
        NoSuchBucket,
        NoSuchKey,
        NoSuchUpload,
        NoSuchTagSet,
        AccessDenied,
        SignatureDoesNotMatch,
        InvalidAccessKeyId,
        ExpiredToken,
        InvalidToken,
        RequestTimeTooSkewed,
        BucketAlreadyExists,
        BucketAlreadyOwnedByYou,
        BucketNotEmpty,
        InvalidBucketName,
        TooManyBuckets,
        BadDigest,
        InvalidDigest,
        XAmzContentSHA256Mismatch,
        EntityTooSmall,
        EntityTooLarge,
        IncompleteBody,
        InvalidPart,
        InvalidPartOrder,
        MissingContentLength,
        KeyTooLongError,
        InvalidArgument,
        InvalidRequest,
        MalformedXML,
        InvalidObjectState,
        NotImplemented,
        SlowDown,
        RequestTimeout,
    ),
)

#: the code an answer without a body gets, by status
BODYLESS_CODES: Mapping[int, str] = {
    klass.default_status: klass.__name__ for klass in _STATUS_CLASSES if klass.default_status is not None
}

#: the bucket codes retried whatever the HTTP status they come with
RETRYABLE_CODES: FrozenSet[str] = BUCKET_ERRORS.retryable_codes


def documented_codes() -> Dict[str, Type[CASServerError]]:
    """A copy of the bucket's code -> class table."""
    return BUCKET_ERRORS.codes()
