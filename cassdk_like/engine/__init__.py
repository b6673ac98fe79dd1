"""The parallel transfer engine: verified, resumable, bounded uploads and downloads.

It runs on small interfaces (``interfaces.py``) and imports only ``cassdk_like.core``, so the high
level (vaults, jobs, multipart uploads) and later buckets, PARs and DirectIO can all use it.
Every entry point blocks and is safe to run in a background thread (for a future-style API);
the tasks of every transfer run on one shared ``Scheduler``.
"""

from cassdk_like.core.cancel import CancelToken
from cassdk_like.engine.blocks import BlockResult, BlocksWritten, blocks_to_path, fetch_blocks, iter_blocks
from cassdk_like.engine.buffers import BufferPool
from cassdk_like.engine.config import TransferConfig, positive_int
from cassdk_like.engine.context import TransferContext
from cassdk_like.engine.download import DownloadResult, download_to_path, partial_paths
from cassdk_like.engine.future import TransferFuture, start_transfer
from cassdk_like.engine.interfaces import (
    BlockSource,
    BlockSpec,
    CompletedUpload,
    DownloadSource,
    MultipartTarget,
    PartBody,
    PartSizer,
    RangeResponse,
    StoredPart,
    TransformingSource,
    UploadSource,
)
from cassdk_like.engine.parts import GenericPartSizer
from cassdk_like.engine.progress import ProgressCallback, ProgressEvent
from cassdk_like.engine.ratelimit import BandwidthLimiter, JointLimiter, Pacer
from cassdk_like.engine.scheduler import Lane, Scheduler, default_scheduler
from cassdk_like.engine.sources import FileObjectSource, PathSource, StreamSource, open_upload_source
from cassdk_like.engine.stream import StreamResult, iter_range, stream_range
from cassdk_like.engine.upload import MultipartUploadError, UploadResult, upload_multipart

__all__ = [
    "BandwidthLimiter",
    "BlockResult",
    "BlockSource",
    "BlockSpec",
    "BlocksWritten",
    "BufferPool",
    "CancelToken",
    "CompletedUpload",
    "DownloadResult",
    "DownloadSource",
    "FileObjectSource",
    "GenericPartSizer",
    "JointLimiter",
    "Lane",
    "MultipartTarget",
    "MultipartUploadError",
    "Pacer",
    "PartBody",
    "PartSizer",
    "PathSource",
    "ProgressCallback",
    "ProgressEvent",
    "RangeResponse",
    "Scheduler",
    "StoredPart",
    "StreamResult",
    "StreamSource",
    "TransferConfig",
    "TransferContext",
    "TransferFuture",
    "TransformingSource",
    "UploadResult",
    "UploadSource",
    "blocks_to_path",
    "default_scheduler",
    "download_to_path",
    "fetch_blocks",
    "iter_blocks",
    "iter_range",
    "open_upload_source",
    "partial_paths",
    "positive_int",
    "start_transfer",
    "stream_range",
    "upload_multipart",
]
