"""ReductStore: a blocking client for the time-series blob store's HTTP API v1 (docs/reduct-client.md §1).

``Client``, ``Bucket``, ``Record``, ``Batch`` and ``RecordBatch`` keep reduct-py's names and
arguments; ``ReductClient`` is the low level under them.  Every error answer is a
``ReductError`` (a ``CASServerError``) of its status's class; connection failures are the SDK's
``ConnectionFailedError`` / ``TimedOutError``; bad input is an ``InvalidArgumentError`` raised
before anything is sent.
"""

from cassdk_like.reduct.batch import Batch, RecordBatch
from cassdk_like.reduct.errors import (
    ApiVersionError,
    BadRequest,
    Conflict,
    Forbidden,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    QuotaExceeded,
    ReductError,
    ServiceUnavailable,
    TooEarly,
    Unauthorized,
    UnprocessableEntity,
)
from cassdk_like.reduct.highlevel import Bucket, Client, Record
from cassdk_like.reduct.lowlevel import ReductClient
from cassdk_like.reduct.models import (
    BucketFullInfo,
    BucketInfo,
    BucketSettings,
    Defaults,
    EntryInfo,
    FullTokenInfo,
    LicenseInfo,
    Permissions,
    QuotaType,
    ServerInfo,
    Status,
    Token,
)
from cassdk_like.reduct.validation import BatchTooLargeError, InvalidLabelError, InvalidNameError

__all__ = [
    "ApiVersionError",
    "BadRequest",
    "Batch",
    "BatchTooLargeError",
    "Bucket",
    "BucketFullInfo",
    "BucketInfo",
    "BucketSettings",
    "Client",
    "Conflict",
    "Defaults",
    "EntryInfo",
    "Forbidden",
    "FullTokenInfo",
    "InternalServerError",
    "InvalidLabelError",
    "InvalidNameError",
    "LicenseInfo",
    "MethodNotAllowed",
    "NotFound",
    "PayloadTooLarge",
    "Permissions",
    "PreconditionFailed",
    "QuotaExceeded",
    "QuotaType",
    "Record",
    "RecordBatch",
    "ReductClient",
    "ReductError",
    "ServerInfo",
    "ServiceUnavailable",
    "Status",
    "Token",
    "TooEarly",
    "Unauthorized",
    "UnprocessableEntity",
]
