"""The PAR errors, inside the SDK's one tree (``core.exceptions.CASClientError``).

::

    CASClientError
    +-- PARError                      anything a PAR refuses or fails at
        +-- PARTimeoutError           expired, or fewer than ``buffer`` seconds left
        +-- PARPermissionsError       the PAR does not grant this (read on a write PAR, ...)
        +-- PARReadError              a download through the PAR failed (``status``, ``code``)
        +-- PARWriteError             an upload through the PAR failed (``status``, ``code``)
        +-- PARRevocationError        the grant registry refused or failed a close
        +-- PARSealError              sealing or opening the URL failed
            +-- PARKeyError           not the key the PAR was sealed to (or not a usable key)
            +-- PARPassphraseError    wrong, missing or too short passphrase
            +-- PARTamperedError      the JSON or the ciphertext was changed (docs/par.md §3)

Messages name the PAR by its uid; never its URL, a signature, a key or a passphrase.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from cassdk_like.core.exceptions import CASClientError

__all__ = [
    "PARError",
    "PARKeyError",
    "PARNotRevocableWarning",
    "PARPassphraseError",
    "PARPermissionsError",
    "PARReadError",
    "PARRevocationError",
    "PARSealError",
    "PARTamperedError",
    "PARTimeoutError",
    "PARTransferError",
    "PARWriteError",
]


class PARError(CASClientError):
    """Root of every PAR error."""


class PARTimeoutError(PARError):
    """The PAR has expired, or expires within the safety buffer: ask its issuer for a new one."""


class PARPermissionsError(PARError):
    """The PAR does not grant what was asked (its kind or its permissions), or the service cannot."""


class PARTransferError(PARError):
    """A request through the PAR failed; ``status`` and ``code`` are the service's answer when
    there was one (a 403 after ``close()`` is ``status == 403``)."""

    def __init__(
        self,
        message: str = "",
        *,
        status: Optional[int] = None,
        code: Optional[str] = None,
        operation: Optional[str] = None,
        resource: Optional[str] = None,
        local_path: Optional[str] = None,
    ) -> None:
        self.status = status
        self.code = code
        super().__init__(message, operation=operation, resource=resource, local_path=local_path)

    def __reduce__(self) -> Tuple[Any, ...]:
        state: Dict[str, Any] = self.__dict__.copy()
        return (_rebuild_transfer, (type(self), self.reason, self._context(), state))


def _rebuild_transfer(
    cls: type, reason: str, context: Dict[str, Any], state: Dict[str, Any]
) -> PARTransferError:
    obj: PARTransferError = cls(reason, **context)
    obj.__dict__.update(state)
    return obj


class PARReadError(PARTransferError):
    """Reading through the PAR failed."""


class PARWriteError(PARTransferError):
    """Writing through the PAR failed."""


class PARRevocationError(PARTransferError):
    """The grant registry did not revoke the PAR (unknown uid, wrong proof, unreachable)."""


class PARSealError(PARError):
    """The PAR's URL could not be sealed or opened."""


class PARKeyError(PARSealError):
    """The key given is not one this PAR can be opened (or sealed) with."""


class PARPassphraseError(PARSealError):
    """The passphrase is wrong, missing or too short (it is never shown)."""


class PARTamperedError(PARSealError):
    """The PAR's JSON or ciphertext is not what its issuer sealed."""


class PARNotRevocableWarning(UserWarning):
    """``close()`` could not revoke the PAR at the service: its URLs work until they expire."""
