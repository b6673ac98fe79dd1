"""The parallel transfer engine: verified, resumable, bounded uploads and downloads.

It runs on small interfaces (``interfaces.py``) and imports only ``cassdk_like.core``, so the high
level (vaults, jobs, multipart uploads) and later buckets, PARs and DirectIO can all use it.
Every entry point blocks and is safe to run in a background thread (for a future-style API).
"""

from cassdk_like.core.cancel import CancelToken
from cassdk_like.engine.buffers import BufferPool
from cassdk_like.engine.config import TransferConfig
from cassdk_like.engine.download import DownloadResult, download_to_path, partial_paths
from cassdk_like.engine.future import TransferFuture, start_transfer
from cassdk_like.engine.interfaces import DownloadSource, MultipartTarget, RangeResponse, UploadSource
from cassdk_like.engine.progress import ProgressCallback, ProgressEvent
from cassdk_like.engine.ratelimit import BandwidthLimiter
from cassdk_like.engine.sources import FileObjectSource, PathSource, StreamSource, open_upload_source
from cassdk_like.engine.stream import StreamResult, iter_range, stream_range
from cassdk_like.engine.upload import MultipartUploadError, UploadResult, upload_multipart

__all__ = [
    "BandwidthLimiter",
    "BufferPool",
    "CancelToken",
    "DownloadResult",
    "DownloadSource",
    "FileObjectSource",
    "MultipartTarget",
    "MultipartUploadError",
    "PathSource",
    "ProgressCallback",
    "ProgressEvent",
    "RangeResponse",
    "StreamResult",
    "StreamSource",
    "TransferConfig",
    "TransferFuture",
    "UploadResult",
    "UploadSource",
    "download_to_path",
    "iter_range",
    "open_upload_source",
    "partial_paths",
    "start_transfer",
    "stream_range",
    "upload_multipart",
]
