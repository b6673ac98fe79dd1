"""The transfer manager's errors, inside the SDK's one tree (``core.exceptions``).

::

    CASClientError
    +-- TransferError                     anything the transfer manager refuses or fails at
        +-- TransferNotFoundError         no such transfer / manifest / destination / request
        +-- InvalidTransferArgumentError  (also InvalidArgumentError) a bad parameter
        |   +-- InvalidManifestError      a bad mapping, a missing source, a bad glob list
        |   +-- InvalidDestinationError   an address the manager cannot parse or open
        |   +-- LaneConfigError           priority lanes against the rules (docs/transfer.md §4)
        |   +-- InvalidSharedTokenError   not a token string, or its document was changed
        +-- TransferStateError            the object is in the wrong state (suspend a finished one)
        |   +-- SharedTokenUnavailableError  nothing a token could share (docs/transfer.md §8)
        |   +-- TransferSuspendedError    a wait on a transfer that is suspended (``waitForTransfer``)
        +-- TransferFailedError           the transfer failed (``waitForTransfer``)
        +-- SharedTokenPasswordError      a token's password is missing or wrong
        +-- SharedTokenRefusedError       (also a PARReadError) the service or the token's expiry
                                          refused a redemption: ``status``, ``code``

Every error names the operation (the manager method) and the id it was given. Raised before any
state changes: a refused call leaves the state directory as it was.
"""

from __future__ import annotations

from cassdk_like.core.exceptions import CASClientError, InvalidArgumentError
from cassdk_like.par import PARNotRevocableWarning, PARReadError

__all__ = [
    "InvalidDestinationError",
    "InvalidManifestError",
    "InvalidSharedTokenError",
    "InvalidTransferArgumentError",
    "LaneConfigError",
    "SharedTokenNotEnforcedWarning",
    "SharedTokenPasswordError",
    "SharedTokenRefusedError",
    "SharedTokenUnavailableError",
    "TransferError",
    "TransferFailedError",
    "TransferNotFoundError",
    "TransferStateError",
    "TransferSuspendedError",
]


class TransferError(CASClientError):
    """Root of every transfer manager error."""


class TransferNotFoundError(TransferError):
    """The id names no transfer, manifest, destination or request in this state directory."""


class InvalidTransferArgumentError(TransferError, InvalidArgumentError):
    """A parameter of a manager call is invalid; nothing was changed."""


class InvalidManifestError(InvalidTransferArgumentError):
    """A mapping is malformed or its source is missing; no manifest was made."""


class InvalidDestinationError(InvalidTransferArgumentError):
    """The destination address cannot be parsed, or names a service this manager cannot open."""


class LaneConfigError(InvalidTransferArgumentError):
    """Priority lanes that break the lane rules, or a lane that does not exist."""


class TransferStateError(TransferError):
    """The call does not fit the object's state (resume a complete transfer, delete an active one)."""


class TransferSuspendedError(TransferStateError):
    """A wait found the transfer suspended: it goes on only once resumed, so waiting cannot end."""


class TransferFailedError(TransferError):
    """The transfer ended failed; ``reason`` holds its error message."""


class InvalidSharedTokenError(InvalidTransferArgumentError):
    """The text is not a shared token of this SDK, or the token document it names was changed."""


class SharedTokenUnavailableError(TransferStateError):
    """The manifest has nothing a token can share: no completed transfer to a bucket (a vault needs
    retrieval jobs, a folder is local), or an object without the SHA-256 a holder must verify."""


class SharedTokenPasswordError(TransferError):
    """The token needs a password that was not given, or the one given does not open it (never shown)."""


class SharedTokenRefusedError(TransferError, PARReadError):
    """A redemption was refused: the service answered ``status`` (403 once the token is deleted,
    expired or its download limit is reached; 404 when its document is gone) or the token expired."""


class SharedTokenNotEnforcedWarning(PARNotRevocableWarning):
    """The destination has no grant registry: a download limit cannot be enforced, and a deleted
    token's URLs already read stay valid until they expire (docs/transfer.md §8.4)."""
