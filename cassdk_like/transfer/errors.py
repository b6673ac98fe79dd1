"""The transfer manager's errors, inside the SDK's one tree (``core.exceptions``).

::

    CASClientError
    +-- TransferError                     anything the transfer manager refuses or fails at
        +-- TransferNotFoundError         no such transfer / manifest / destination / request
        +-- InvalidTransferArgumentError  (also InvalidArgumentError) a bad parameter
        |   +-- InvalidManifestError      a bad mapping, a missing source, a bad glob list
        |   +-- InvalidDestinationError   an address the manager cannot parse or open
        |   +-- LaneConfigError           priority lanes against the rules (docs/transfer.md §4)
        +-- TransferStateError            the object is in the wrong state (suspend a finished one)
        |   +-- TransferSuspendedError    a wait on a transfer that is suspended (``waitForTransfer``)
        +-- TransferFailedError           the transfer failed (``waitForTransfer``)

Every error names the operation (the manager method) and the id it was given. Raised before any
state changes: a refused call leaves the state directory as it was.
"""

from __future__ import annotations

from cassdk_like.core.exceptions import CASClientError, InvalidArgumentError

__all__ = [
    "InvalidDestinationError",
    "InvalidManifestError",
    "InvalidTransferArgumentError",
    "LaneConfigError",
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
