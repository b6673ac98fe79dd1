"""The grant registry: revocable PARs over presigned URLs and POST forms (docs/par.md §5.2).

A presigned URL cannot be revoked on S3 or COS; here it can. An issuer registers a grant by the
SHA-256 of each signature its URLs and form carry, with the SHA-256 of its close proof and its
expiry; the service's presign guard (see ``BucketService.add_presign_guard``) then refuses, with
AccessDenied, every verified presigned request whose signature belongs to a revoked or expired
grant. The registry never sees a URL. In memory, thread-safe; it ends with the emulator.

Admin API, on either bucket service (``/_emulator/<s3|cos>/par-grants``)::

    POST /par-grants                 {"uid", "signature_sha256": [...], "proof_sha256", "expires_at"}
    POST /par-grants/<uid>/revoke    {"proof"}   204; 403 wrong or missing proof; 404 unknown uid
    GET  /par-grants/<uid>           {"uid", "revoked", "expires_at", "requests_refused"}
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional

from cassdk_like.emulator.errors import ApiError
from cassdk_like.emulator.wire import Request, Response, empty_response, json_response

__all__ = ["GRANTS_PATH", "GrantRegistry"]

GRANTS_PATH = "par-grants"
#: query parameters (and form fields) that carry a presigned request's signature
SIGNATURE_NAMES = frozenset({"x-amz-signature", "q-signature"})
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_UID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


@dataclass
class _Grant:
    uid: str
    signatures: List[str]
    proof_sha256: str
    expires_at: int
    revoked: bool = False
    refused: int = 0


def _bad(message: str) -> ApiError:
    return ApiError("InvalidParameterValueException", message, status=400)


class GrantRegistry:
    """uid -> grant, and signature digest -> uid."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._grants: Dict[str, _Grant] = {}
        self._by_signature: Dict[str, str] = {}

    def __repr__(self) -> str:
        with self._lock:
            return f"GrantRegistry(grants={len(self._grants)})"

    # -- what the guard asks ----------------------------------------------------------------------

    def refusal(self, request: Request) -> Optional[str]:
        """A reason to refuse this verified presigned request, or None (not a registered grant)."""
        for name, value in request.query:
            if name.lower() not in SIGNATURE_NAMES:
                continue
            digest = hashlib.sha256(value.strip().encode("utf-8")).hexdigest()
            with self._lock:
                uid = self._by_signature.get(digest)
                grant = self._grants.get(uid) if uid is not None else None
                if grant is None:
                    continue
                if grant.revoked:
                    grant.refused += 1
                    return "The pre-authenticated request was revoked"
                if self._clock() > grant.expires_at:
                    grant.refused += 1
                    return "The pre-authenticated request has expired"
        return None

    # -- the admin API ------------------------------------------------------------------------------

    def register(self, doc: Dict[str, Any]) -> None:
        uid, signatures = doc.get("uid"), doc.get("signature_sha256")
        proof, expires = doc.get("proof_sha256"), doc.get("expires_at")
        if not isinstance(uid, str) or not _UID.match(uid):
            raise _bad("uid must be 1-64 letters, digits or dashes")
        if (
            not isinstance(signatures, list)
            or not signatures
            or not all(isinstance(s, str) and _HEX64.match(s) for s in signatures)
        ):
            raise _bad("signature_sha256 must be a non-empty list of SHA-256 hex digests")
        if not isinstance(proof, str) or not _HEX64.match(proof):
            raise _bad("proof_sha256 must be a SHA-256 hex digest")
        if isinstance(expires, bool) or not isinstance(expires, int):
            raise _bad("expires_at must be a Unix time in seconds")
        with self._lock:
            if uid in self._grants:
                raise ApiError("ResourceInUseException", f"grant {uid} is already registered", status=409)
            taken = [s for s in signatures if s in self._by_signature]
            if taken:
                raise ApiError("ResourceInUseException", "a signature is already registered", status=409)
            self._grants[uid] = _Grant(uid, list(signatures), proof, expires)
            for signature in signatures:
                self._by_signature[signature] = uid

    def revoke(self, uid: str, doc: Dict[str, Any]) -> None:
        proof = doc.get("proof")
        with self._lock:
            grant = self._grants.get(uid)
            if grant is None:
                raise ApiError("ResourceNotFoundException", f"no grant {uid}", status=404)
            if not isinstance(proof, str) or not proof:
                raise ApiError("AccessDeniedException", "a close proof is required", status=403)
            digest = hashlib.sha256(proof.encode("utf-8")).hexdigest()
            if not hmac.compare_digest(digest, grant.proof_sha256):
                raise ApiError("AccessDeniedException", "the close proof does not match", status=403)
            grant.revoked = True

    def describe(self, uid: str) -> Dict[str, Any]:
        with self._lock:
            grant = self._grants.get(uid)
            if grant is None:
                raise ApiError("ResourceNotFoundException", f"no grant {uid}", status=404)
            return {
                "uid": grant.uid,
                "revoked": grant.revoked,
                "expires_at": grant.expires_at,
                "requests_refused": grant.refused,
            }

    def admin(self, request: Request, parts: List[str]) -> Optional[Response]:
        """``parts``: the admin sub-path after ``par-grants``, split on ``/``."""
        if not parts and request.method == "POST":
            self.register(request.read_json())
            return empty_response(201)
        if len(parts) == 2 and parts[1] == "revoke" and request.method == "POST":
            self.revoke(parts[0], request.read_json())
            return empty_response(204)
        if len(parts) == 1 and request.method == "GET":
            return json_response(200, self.describe(parts[0]))
        return None
