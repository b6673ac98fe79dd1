"""cassdk_like: a synchronous SDK for cloud archive storage (CAS vaults, and the Glacier dialect).

Low level: ``CASClient`` sends one HTTP request per operation and returns the raw response.
High level: ``CasAPI`` raises typed errors; ``Vault``, ``Archive``, ``Job`` and ``MultipartUpload``
wrap it into domain objects whose transfers run on the parallel, verified, resumable engine.
The bundled emulator lives in ``cassdk_like.emulator`` (imported on demand).
"""

import logging

from cassdk_like._version import __version__
from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.config import Credentials
from cassdk_like.core.exceptions import *  # noqa: F403 - the exception tree is public as a whole
from cassdk_like.core.exceptions import __all__ as _exception_names
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.core.integrity import (
    TreeHasher,
    calc_part_size,
    combine_tree_hashes,
    is_tree_aligned,
    tree_hash,
)
from cassdk_like.engine import CancelToken, ProgressEvent, TransferConfig
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

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [  # noqa: PLE0604 - extended with the exception names below
    "Archive",
    "ByteRange",
    "CASClient",
    "CASResponse",
    "CancelToken",
    "CasAPI",
    "Credentials",
    "Inventory",
    "InventoryArchive",
    "Job",
    "MultipartUpload",
    "ProgressEvent",
    "RetryPolicy",
    "TransferConfig",
    "TreeHasher",
    "Vault",
    "__version__",
    "calc_part_size",
    "combine_tree_hashes",
    "is_tree_aligned",
    "tree_hash",
    *_exception_names,
]
