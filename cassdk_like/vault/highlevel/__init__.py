"""High level: ``CasAPI`` (raises typed errors, returns ``CASResponse``) and the domain objects
``Vault``, ``Archive``, ``Job`` and ``MultipartUpload`` (the seed's names), wired to the engine."""

from cassdk_like.vault.highlevel.adapters import JobOutputSource, UploadTarget
from cassdk_like.vault.highlevel.api import CasAPI
from cassdk_like.vault.highlevel.archive import Archive
from cassdk_like.vault.highlevel.inventory import Inventory, InventoryArchive, parse_inventory
from cassdk_like.vault.highlevel.job import Job
from cassdk_like.vault.highlevel.multipart import MultipartUpload
from cassdk_like.vault.highlevel.response import CASResponse
from cassdk_like.vault.highlevel.vault import Vault
from cassdk_like.vault.highlevel.waiting import PollSchedule

__all__ = [
    "Archive",
    "CASResponse",
    "CasAPI",
    "Inventory",
    "InventoryArchive",
    "Job",
    "JobOutputSource",
    "MultipartUpload",
    "PollSchedule",
    "UploadTarget",
    "Vault",
    "parse_inventory",
]
