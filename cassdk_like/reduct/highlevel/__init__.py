"""High level: ``Client``, ``Bucket`` and ``Record``, typed errors and models (docs/reduct-client.md §1)."""

from cassdk_like.reduct.highlevel.bucket import Bucket
from cassdk_like.reduct.highlevel.client import Client
from cassdk_like.reduct.highlevel.record import Record

__all__ = ["Bucket", "Client", "Record"]
