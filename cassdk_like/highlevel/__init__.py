"""High level: ``CasAPI`` (raises typed errors, returns ``CASResponse``) and the domain objects
``Vault``, ``Archive``, ``Job`` and ``MultipartUpload`` (the seed's names), wired to the engine."""

from cassdk_like.highlevel.adapters import JobOutputSource, UploadTarget
from cassdk_like.highlevel.api import CasAPI
from cassdk_like.highlevel.archive import Archive
from cassdk_like.highlevel.inventory import Inventory, InventoryArchive, parse_inventory
from cassdk_like.highlevel.job import Job
from cassdk_like.highlevel.multipart import MultipartUpload
from cassdk_like.highlevel.response import CASResponse
from cassdk_like.highlevel.vault import Vault
from cassdk_like.highlevel.waiting import PollSchedule

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
