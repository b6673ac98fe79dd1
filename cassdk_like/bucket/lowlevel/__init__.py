"""Low level: ``BucketClient`` (``S3Client``, ``COSClient``), one method per operation, raw responses."""

from cassdk_like.bucket.lowlevel._multipart import CompletedPart
from cassdk_like.bucket.lowlevel.client import BucketClient, COSClient, S3Client
from cassdk_like.bucket.lowlevel.presign import PresignedPost

__all__ = ["BucketClient", "COSClient", "CompletedPart", "PresignedPost", "S3Client"]
