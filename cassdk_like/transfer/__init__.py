"""Persistent, suspendable, lane-scheduled transfers of local files into the SDK's storage.

``TransferManager`` keeps destinations, manifests and transfers in SQLite under a state folder and
runs transfers on its own worker threads; ``SendInterface`` is JetStream's camelCase surface over
it (docs/transfer.md).
"""

from cassdk_like.transfer.errors import (
    InvalidDestinationError,
    InvalidManifestError,
    InvalidTransferArgumentError,
    LaneConfigError,
    TransferError,
    TransferFailedError,
    TransferNotFoundError,
    TransferStateError,
)
from cassdk_like.transfer.store import SCHEMA_VERSION, Store

__all__ = [
    "SCHEMA_VERSION",
    "InvalidDestinationError",
    "InvalidManifestError",
    "InvalidTransferArgumentError",
    "LaneConfigError",
    "Store",
    "TransferError",
    "TransferFailedError",
    "TransferNotFoundError",
    "TransferStateError",
]
