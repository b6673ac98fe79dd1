"""High level: ``BucketAPI`` (typed errors, values), ``Bucket`` and the object and upload values."""

from cassdk_like.bucket.highlevel.api import BucketAPI
from cassdk_like.bucket.highlevel.bucket import Bucket, list_all_buckets
from cassdk_like.bucket.highlevel.models import (
    BucketInfo,
    BucketObject,
    CompletedUpload,
    DeleteFailure,
    DeleteResult,
    ObjectPage,
    ObjectSummary,
    PartSummary,
    PutResult,
    UploadSummary,
)

__all__ = [
    "Bucket",
    "BucketAPI",
    "BucketInfo",
    "BucketObject",
    "CompletedUpload",
    "DeleteFailure",
    "DeleteResult",
    "ObjectPage",
    "ObjectSummary",
    "PartSummary",
    "PutResult",
    "UploadSummary",
    "list_all_buckets",
]
