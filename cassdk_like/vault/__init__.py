"""The vault service: Tencent CAS vaults, archives, jobs and multipart uploads, and the AWS Glacier
dialect of the same API.

Low level: ``CASClient`` sends one HTTP request per operation and returns the raw response.
High level: ``CasAPI`` raises typed errors; ``Vault``, ``Archive``, ``Job`` and ``MultipartUpload``
wrap it into domain objects whose transfers run on the shared engine.
Errors: the service's code classes (``ResourceNotFoundException``, ``ThrottlingException``, ...)
live in ``cassdk_like.vault.errors`` and are re-exported here; the dialects in ``vault.dialect``.
"""

from cassdk_like.vault.dialect import CAS, GLACIER, VaultDialect, get_dialect
from cassdk_like.vault.errors import (
    RETRYABLE_CODES,
    VAULT_ERRORS,
    AccessDeniedException,
    BadRequest,
    ExpiredTokenException,
    InvalidDigest,
    InvalidParameter,
    InvalidParameterValueException,
    InvalidSignatureException,
    LimitExceededException,
    MissingAuthenticationTokenException,
    MissingParameterValueException,
    PolicyEnforcedException,
    RequestTimeoutException,
    ResourceNotFoundException,
    SerializationException,
    ServiceUnavailableException,
    SlowDown,
    ThrottlingException,
    UnrecognizedClientException,
)
from cassdk_like.vault.highlevel import (
    Archive,
    CasAPI,
    CASResponse,
    Inventory,
    InventoryArchive,
    Job,
    MultipartUpload,
    Vault,
)
from cassdk_like.vault.lowlevel import CASClient

__all__ = [
    "CAS",
    "GLACIER",
    "RETRYABLE_CODES",
    "VAULT_ERRORS",
    "AccessDeniedException",
    "Archive",
    "BadRequest",
    "CASClient",
    "CASResponse",
    "CasAPI",
    "ExpiredTokenException",
    "InvalidDigest",
    "InvalidParameter",
    "InvalidParameterValueException",
    "InvalidSignatureException",
    "Inventory",
    "InventoryArchive",
    "Job",
    "LimitExceededException",
    "MissingAuthenticationTokenException",
    "MissingParameterValueException",
    "MultipartUpload",
    "PolicyEnforcedException",
    "RequestTimeoutException",
    "ResourceNotFoundException",
    "SerializationException",
    "ServiceUnavailableException",
    "SlowDown",
    "ThrottlingException",
    "UnrecognizedClientException",
    "Vault",
    "VaultDialect",
    "get_dialect",
]
