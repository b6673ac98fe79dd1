"""What a signature check can find wrong, named once for every scheme (SigV4, q-sign).

The verifiers return a kind, not a service's error code: each emulated service names the kinds in
its own vocabulary (Glacier's ``InvalidSignatureException``, S3's ``SignatureDoesNotMatch`` or
``RequestTimeTooSkewed``, COS's ``AccessDenied`` "Request has expired").
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BAD_EXPIRES",
    "BAD_SCOPE",
    "EXPIRED",
    "MALFORMED",
    "MISMATCH",
    "MISSING",
    "SKEWED",
    "UNKNOWN_KEY",
    "UNSIGNED_HEADER",
    "AuthProblem",
]

MISSING = "missing"  # no credentials at all (no Authorization header, no presigned query)
MALFORMED = "malformed"  # the header or query form is garbled
BAD_EXPIRES = "bad-expires"  # a presigned validity outside what the scheme allows
UNKNOWN_KEY = "unknown-key"  # the access key / secret id is not known
BAD_SCOPE = "bad-scope"  # SigV4: the credential scope names another date, region or service
UNSIGNED_HEADER = "unsigned-header"  # a header that must be signed is not, or a signed one is absent
EXPIRED = "expired"  # the signature's validity has ended
SKEWED = "skewed"  # the signing time is too far from the server clock
MISMATCH = "mismatch"  # the signature does not match


@dataclass(frozen=True)
class AuthProblem:
    """Why a request failed its signature check; ``message`` never holds a secret or signature."""

    kind: str
    message: str
    presigned: bool = False
