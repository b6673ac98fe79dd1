"""cassdk_like: a synchronous SDK for cloud archive and object storage (CAS vaults and the Glacier
dialect; S3 and COS buckets), and a transfer manager over them.

Low level: ``CASClient`` and ``BucketClient`` (``S3Client``, ``COSClient``) send one HTTP request
per operation and return the raw response.  High level: ``CasAPI`` and ``BucketAPI`` raise typed
errors; ``Vault``, ``Archive``, ``Job``, ``MultipartUpload`` and ``Bucket`` are domain objects
whose transfers run on the parallel, verified, resumable engine.
``TransferManager`` (and JetStream's ``SendInterface`` over it) sends folders to any of them
with priority lanes, rate caps, suspend/resume and checkpoints that survive a restart.
The bundled emulator lives in ``cassdk_like.emulator`` (imported on demand).
"""

import importlib
import logging
import warnings
from typing import Any

import cassdk_like.par  # noqa: F401  (importing it registers the factory behind Bucket.create_par)
from cassdk_like._version import __version__
from cassdk_like.bucket import Bucket, BucketAPI, BucketClient, COSClient, S3Client
from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.config import Credentials
from cassdk_like.core.exceptions import (
    CASClientError,
    CASError,
    CASServerError,
    DownloadArchiveError,
    HashDoesNotMatchError,
    InvalidArgumentError,
    JobFailedError,
    JobNotReadyError,
    JobWaitTimeoutError,
    LocalFileError,
    MissingCredentialsError,
    TransferCancelledError,
    TransportError,
    UploadArchiveError,
)
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.core.integrity import (
    MiB,
    TreeHasher,
    calc_part_size,
    combine_tree_hashes,
    hash_file,
    is_tree_aligned,
    tree_hash,
)
from cassdk_like.engine import (
    CancelToken,
    DownloadResult,
    MultipartUploadError,
    ProgressCallback,
    ProgressEvent,
    TransferConfig,
)
from cassdk_like.engine.console import ConsoleProgress, console_progress
from cassdk_like.transfer import SendInterface, TransferManager
from cassdk_like.vault import (
    Archive,
    CasAPI,
    CASClient,
    CASResponse,
    Inventory,
    InventoryArchive,
    Job,
    MultipartUpload,
    Vault,
)
from cassdk_like.vault import errors as _vault_errors

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "Archive",
    "Bucket",
    "BucketAPI",
    "BucketClient",
    "ByteRange",
    "CASClient",
    "CASClientError",
    "CASError",
    "CASResponse",
    "CASServerError",
    "COSClient",
    "CancelToken",
    "CasAPI",
    "ConsoleProgress",
    "Credentials",
    "DownloadArchiveError",
    "DownloadResult",
    "HashDoesNotMatchError",
    "InvalidArgumentError",
    "Inventory",
    "InventoryArchive",
    "Job",
    "JobFailedError",
    "JobNotReadyError",
    "JobWaitTimeoutError",
    "LocalFileError",
    "MiB",
    "MissingCredentialsError",
    "MultipartUpload",
    "MultipartUploadError",
    "ProgressCallback",
    "ProgressEvent",
    "RetryPolicy",
    "S3Client",
    "SendInterface",
    "TransferCancelledError",
    "TransferConfig",
    "TransferManager",
    "TransportError",
    "TreeHasher",
    "UploadArchiveError",
    "Vault",
    "__version__",
    "calc_part_size",
    "combine_tree_hashes",
    "console_progress",
    "hash_file",
    "is_tree_aligned",
    "tree_hash",
]

#: names the top level used to export (deprecated here), and the module each lives in now
_MOVED = {
    **dict.fromkeys(
        (
            "BadResponseError",
            "ConnectionFailed",
            "ConnectionFailedError",
            "InvalidByteRangeError",
            "InvalidDescriptionError",
            "InvalidPartSizeError",
            "InvalidVaultNameError",
            "TimedOut",
            "TimedOutError",
        ),
        "cassdk_like.core.exceptions",
    ),
    **dict.fromkeys(
        (name for name in _vault_errors.__all__ if name != "VAULT_ERRORS"),
        "cassdk_like.vault.errors",
    ),
}


def __getattr__(name: str) -> Any:
    """The names that left the top level still resolve, with a DeprecationWarning saying where they live."""
    module = _MOVED.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"cassdk_like.{name} is deprecated; import it from {module}", DeprecationWarning, stacklevel=2
    )
    return getattr(importlib.import_module(module), name)
