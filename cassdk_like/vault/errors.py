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
    """The credentials may not do this to this resource (403)."""

    default_status = 403


class BadRequest(CASServerError):
    """The service could not read the request (400)."""

    default_status = 400


class ExpiredTokenException(CASServerError):
    """The temporary credentials' token has expired (403)."""

    default_status = 403


class InvalidParameterValueException(CASServerError):
    """A parameter's value is not acceptable, e.g. a range off the MiB grid (400)."""

    default_status = 400


class InvalidParameter(CASServerError):
    """A parameter is not acceptable (400; CAS's name)."""

    default_status = 400


class InvalidDigest(CASServerError):
    """A sent hash does not match the body the service received (400)."""

    default_status = 400


class InvalidSignatureException(CASServerError):
    """The request signature is wrong: check the secret key and the clock (400)."""

    default_status = 400


class LimitExceededException(CASServerError):
    """An account limit (vaults, tags, lock attempts) was reached (400)."""

    default_status = 400


class MissingAuthenticationTokenException(CASServerError):
    """The request carried no usable credentials (400)."""

    default_status = 400


class MissingParameterValueException(CASServerError):
    """A required parameter or header is missing (400)."""

    default_status = 400


class PolicyEnforcedException(CASServerError):
    """A retrieval policy of the account refused the job (400)."""

    default_status = 400


class ResourceNotFoundException(CASServerError):
    """No such vault, archive, job, upload, policy or lock (404)."""

    default_status = 404


class RequestTimeoutException(CASServerError):
    """The service timed out waiting for the request body (408); retried."""

    default_status = 408
    retryable = True


class SerializationException(CASServerError):
    """The request body is not valid JSON (400)."""

    default_status = 400


class ThrottlingException(CASServerError):
    """Too many requests: slow down (400); retried."""

    default_status = 400
    retryable = True


class SlowDown(CASServerError):
    """Too many requests: slow down (503); retried."""

    default_status = 503
    retryable = True


class UnrecognizedClientException(CASServerError):
    """The secret id is unknown to the service (400)."""

    default_status = 400


class ServiceUnavailableException(CASServerError):
    """The service is temporarily unavailable (500); retried."""

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
