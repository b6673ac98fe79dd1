"""High level: ``BucketAPI`` (typed errors, values), ``Bucket`` and the object and upload values."""

from cassdk_like.bucket.highlevel.adapters import (
    S3_PART_SIZER,
    ObjectSource,
    ObjectUploadTarget,
    S3PartSizer,
    integrity_of,
)
from cassdk_like.bucket.highlevel.api import BucketAPI, object_from_headers
from cassdk_like.bucket.highlevel.bucket import Bucket, list_all_buckets
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
)
from cassdk_like.bucket.highlevel.sharing import PARFactory, PARUnavailableError, register_par_factory
from cassdk_like.bucket.highlevel.transfers import UploadedObject

__all__ = [
    "S3_PART_SIZER",
    "Bucket",
    "BucketAPI",
    "BucketInfo",
    "BucketObject",
    "CompletedUpload",
    "DeleteFailure",
    "DeleteResult",
    "ObjectPage",
    "ObjectSource",
    "ObjectSummary",
    "ObjectUploadTarget",
    "PARFactory",
    "PARUnavailableError",
    "PartSummary",
    "PartsPage",
    "PutResult",
    "S3PartSizer",
    "UploadSummary",
    "UploadedObject",
    "integrity_of",
    "list_all_buckets",
    "object_from_headers",
    "register_par_factory",
]
