"""The vault service's error codes (docs/vault-protocol.md §4.2): one class per code, in one table.

Each class is named exactly as CAS and Glacier name the code, so ``except ResourceNotFoundException``
reads like the service's documentation.  The classes belong to the vault's :data:`VAULT_ERRORS`
table only: another service's ``SlowDown`` is a different class in that service's table.
``retryable`` marks the codes worth another attempt whatever the status they come with.
"""

from __future__ import annotations

from typing import Dict, FrozenSet, Type

from cassdk_like.core.errortable import ErrorTable
from cassdk_like.core.exceptions import CASServerError

__all__ = [
    "RETRYABLE_CODES",
    "VAULT_ERRORS",
    "AccessDeniedException",
    "BadRequest",
    "ExpiredTokenException",
    "InvalidDigest",
    "InvalidParameter",
    "InvalidParameterValueException",
    "InvalidSignatureException",
    "LimitExceededException",
    "MissingAuthenticationTokenException",
    "MissingParameterValueException",
    "PolicyEnforcedException",
    "RequestTimeoutException",
    "ResourceNotFoundException",
    "SerializationException",
    "ServiceUnavailableException",
    "SlowDown",
    "ThrottlingException",
    "UnrecognizedClientException",
    "documented_codes",
]


class AccessDeniedException(CASServerError):
    default_status = 403


class BadRequest(CASServerError):
    default_status = 400


class ExpiredTokenException(CASServerError):
    default_status = 403


class InvalidParameterValueException(CASServerError):
    default_status = 400


class InvalidParameter(CASServerError):
    default_status = 400


class InvalidDigest(CASServerError):
    default_status = 400


class InvalidSignatureException(CASServerError):
    default_status = 400


class LimitExceededException(CASServerError):
    default_status = 400


class MissingAuthenticationTokenException(CASServerError):
    default_status = 400


class MissingParameterValueException(CASServerError):
    default_status = 400


class PolicyEnforcedException(CASServerError):
    default_status = 400


class ResourceNotFoundException(CASServerError):
    default_status = 404


class RequestTimeoutException(CASServerError):
    default_status = 408
    retryable = True


class SerializationException(CASServerError):
    default_status = 400


class ThrottlingException(CASServerError):
    default_status = 400
    retryable = True


class SlowDown(CASServerError):
    default_status = 503
    retryable = True


class UnrecognizedClientException(CASServerError):
    default_status = 400


class ServiceUnavailableException(CASServerError):
    default_status = 500
    retryable = True


#: the vault's code -> class table (both dialects send the same codes)
VAULT_ERRORS = ErrorTable.of_classes(
    "vault",
    (
        AccessDeniedException,
        BadRequest,
        ExpiredTokenException,
        InvalidParameterValueException,
        InvalidParameter,
        InvalidDigest,
        InvalidSignatureException,
        LimitExceededException,
        MissingAuthenticationTokenException,
        MissingParameterValueException,
        PolicyEnforcedException,
        ResourceNotFoundException,
        RequestTimeoutException,
        SerializationException,
        ThrottlingException,
        SlowDown,
        UnrecognizedClientException,
        ServiceUnavailableException,
    ),
)

#: the vault codes retried whatever the HTTP status they come with
RETRYABLE_CODES: FrozenSet[str] = VAULT_ERRORS.retryable_codes


def documented_codes() -> Dict[str, Type[CASServerError]]:
    """A copy of the vault's code -> class table."""
    return VAULT_ERRORS.codes()
