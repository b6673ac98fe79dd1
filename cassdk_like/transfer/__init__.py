"""Persistent, suspendable, lane-scheduled transfers of local files into the SDK's storage.

``TransferManager`` keeps destinations, manifests and transfers in SQLite under a state folder and
runs transfers on its own worker threads; ``SendInterface`` is JetStream's camelCase surface over
it (docs/transfer.md).
"""

from cassdk_like.transfer.destinations import Address, ConnectionSettings, parse_address
from cassdk_like.transfer.errors import (
    InvalidDestinationError,
    InvalidManifestError,
    InvalidSharedTokenError,
    InvalidTransferArgumentError,
    LaneConfigError,
    SharedTokenNotEnforcedWarning,
    SharedTokenPasswordError,
    SharedTokenRefusedError,
    SharedTokenUnavailableError,
    TransferError,
    TransferFailedError,
    TransferNotFoundError,
    TransferStateError,
    TransferSuspendedError,
)
from cassdk_like.transfer.lanes import DEFAULT_LANES, validate_lanes
from cassdk_like.transfer.manager import (
    DestinationInfo,
    ManifestInfo,
    TransferInfo,
    TransferManager,
)
from cassdk_like.transfer.manifests import (
    FILETYPE_DIRECTORY,
    FILETYPE_FILE,
    SYMLINKS_COPY_CONTENTS,
    SYMLINKS_IGNORE,
)
from cassdk_like.transfer.options import OVERWRITE_ALWAYS, OVERWRITE_DIFFERENT, OVERWRITE_NEVER
from cassdk_like.transfer.send_interface import SendInterface
from cassdk_like.transfer.store import SCHEMA_VERSION
from cassdk_like.transfer.tokens import RedeemedToken, SharedTokenInfo, redeem_shared_token

__all__ = [
    "DEFAULT_LANES",
    "FILETYPE_DIRECTORY",
    "FILETYPE_FILE",
    "OVERWRITE_ALWAYS",
    "OVERWRITE_DIFFERENT",
    "OVERWRITE_NEVER",
    "SCHEMA_VERSION",
    "SYMLINKS_COPY_CONTENTS",
    "SYMLINKS_IGNORE",
    "Address",
    "ConnectionSettings",
    "DestinationInfo",
    "InvalidDestinationError",
    "InvalidManifestError",
    "InvalidSharedTokenError",
    "InvalidTransferArgumentError",
    "LaneConfigError",
    "ManifestInfo",
    "RedeemedToken",
    "SendInterface",
    "SharedTokenInfo",
    "SharedTokenNotEnforcedWarning",
    "SharedTokenPasswordError",
    "SharedTokenRefusedError",
    "SharedTokenUnavailableError",
    "TransferError",
    "TransferFailedError",
    "TransferInfo",
    "TransferManager",
    "TransferNotFoundError",
    "TransferStateError",
    "TransferSuspendedError",
    "parse_address",
    "redeem_shared_token",
    "validate_lanes",
]
