"""The vault service: Tencent CAS vaults, archives, jobs and multipart uploads, and the AWS Glacier
dialect of the same API.

Low level: ``CASClient`` sends one HTTP request per operation and returns the raw response.
High level: ``CasAPI`` raises typed errors; ``Vault``, ``Archive``, ``Job`` and ``MultipartUpload``
wrap it into domain objects whose transfers run on the shared engine.
"""

from cassdk_like.vault.highlevel import (
    Archive,
    CasAPI,
    CASResponse,
    Inventory,
    InventoryArchive,
    Job,
    MultipartUpload,
    Vault,
)
from cassdk_like.vault.lowlevel import CASClient

__all__ = [
    "Archive",
    "CASClient",
    "CASResponse",
    "CasAPI",
    "Inventory",
    "InventoryArchive",
    "Job",
    "MultipartUpload",
    "Vault",
]
