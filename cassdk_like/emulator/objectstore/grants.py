"""The grant registry: revocable PARs over presigned URLs and POST forms (docs/par.md §5.2).

A presigned URL cannot be revoked on S3 or COS; here it can. An issuer registers a grant by the
SHA-256 of each signature its URLs and form carry, with the SHA-256 of its close proof and its
expiry; the service's presign guard (see ``BucketService.add_presign_guard``) then refuses, with
AccessDenied, every verified presigned request whose signature belongs to a revoked or expired
grant. A shared token's grant also carries a download budget (``budgets.py``); ``settle``, a host
observer the emulator installs, charges each of its file requests what the answer sent. The
registry never sees a URL. In memory, thread-safe; it ends with the emulator.

Admin API, on either bucket service (``/_emulator/<s3|cos>/par-grants``)::

    POST /par-grants                 {"uid", "signature_sha256": [...], "proof_sha256", "expires_at",
                                      "token": {"limit", "document_sha256": [...], "files": {...}}}
    POST /par-grants/<uid>/revoke    {"proof"}   204; 403 wrong or missing proof; 404 unknown uid
    POST /par-grants/<uid>/amend     {"proof", "expires_at", "files", "close"}   (token grants)
    GET  /par-grants/<uid>           {"uid", "revoked", "expires_at", "requests_refused", "token"}

``token`` (optional) makes the grant a shared token's: ``files`` maps each file URL's signature
digest to ``[file index, size]``. ``amend`` changes the expiry, replaces the file URLs (the old
ones are refused from then on, the byte counts carry over) or, with ``close``, refuses every
redemption that has not started (docs/transfer.md §8.4).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from cassdk_like.emulator.errors import ApiError
from cassdk_like.emulator.faults import Decision
from cassdk_like.emulator.objectstore.budgets import (
    Budget,
    bad_parameter,
    check_digests,
    parse_budget,
    parse_files,
)
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
    budget: Optional[Budget] = None
    #: signatures an amendment replaced: refused from then on
    dropped: Set[str] = field(default_factory=set)


_bad = bad_parameter


def _unix_time(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad("expires_at must be a Unix time in seconds")
    return value


class GrantRegistry:
    """uid -> grant, and signature digest -> uid."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._grants: Dict[str, _Grant] = {}
        self._by_signature: Dict[str, str] = {}
        #: request id -> (budget, file index, bytes reserved), until ``settle`` sees the answer
        self._reserved: Dict[str, Tuple[Budget, int, int]] = {}

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
                if digest in grant.dropped:
                    grant.refused += 1
                    return "The pre-authenticated request was replaced"
                if grant.budget is not None:
                    reason, reserved = grant.budget.charge(digest, request.headers)
                    if reason is not None:
                        grant.refused += 1
                    elif reserved is not None and request.request_id:
                        self._reserved[request.request_id] = (grant.budget, *reserved)
                    return reason
        return None

    def settle(self, request: Request, response: Optional[Response], decision: Decision) -> None:
        """The host's observer: a shared token's file request is charged what the answer sends (an
        error, or a body the fault injection cuts short, gives the rest of the reservation back)."""
        with self._lock:
            found = self._reserved.pop(request.request_id, None)
            if found is None:
                return
            budget, index, reserved = found
            sent = 0
            if response is not None and 200 <= response.status < 300:
                sent = (
                    response.length
                    if decision.cut_after is None
                    else min(decision.cut_after, response.length)
                )
            if reserved > sent:
                budget.refund(index, reserved - sent)

    # -- the admin API ------------------------------------------------------------------------------

    def register(self, doc: Dict[str, Any]) -> None:
        uid, signatures = doc.get("uid"), doc.get("signature_sha256")
        proof, expires = doc.get("proof_sha256"), doc.get("expires_at")
        if not isinstance(uid, str) or not _UID.match(uid):
            raise _bad("uid must be 1-64 letters, digits or dashes")
        signatures = check_digests(signatures, "signature_sha256")
        if not isinstance(proof, str) or not _HEX64.match(proof):
            raise _bad("proof_sha256 must be a SHA-256 hex digest")
        expires = _unix_time(expires)
        budget = None
        if doc.get("token") is not None:
            budget, covered = parse_budget(doc["token"])
            if not set(covered) <= set(signatures):
                raise _bad("the token's digests must be among signature_sha256")
        with self._lock:
            if uid in self._grants:
                raise ApiError("ResourceInUseException", f"grant {uid} is already registered", status=409)
            taken = [s for s in signatures if s in self._by_signature]
            if taken:
                raise ApiError("ResourceInUseException", "a signature is already registered", status=409)
            self._grants[uid] = _Grant(uid, list(signatures), proof, expires, budget=budget)
            for signature in signatures:
                self._by_signature[signature] = uid

    def _proven(self, uid: str, doc: Dict[str, Any]) -> _Grant:
        """The grant ``uid`` when ``doc`` holds its close proof (call with the lock held)."""
        proof = doc.get("proof")
        grant = self._grants.get(uid)
        if grant is None:
            raise ApiError("ResourceNotFoundException", f"no grant {uid}", status=404)
        if not isinstance(proof, str) or not proof:
            raise ApiError("AccessDeniedException", "a close proof is required", status=403)
        digest = hashlib.sha256(proof.encode("utf-8")).hexdigest()
        if not hmac.compare_digest(digest, grant.proof_sha256):
            raise ApiError("AccessDeniedException", "the close proof does not match", status=403)
        return grant

    def revoke(self, uid: str, doc: Dict[str, Any]) -> None:
        with self._lock:
            self._proven(uid, doc).revoked = True

    def amend(self, uid: str, doc: Dict[str, Any]) -> None:
        """A shared token's new expiry, new file URLs (the old ones dropped) or closing."""
        expires = None if doc.get("expires_at") is None else _unix_time(doc["expires_at"])
        close = doc.get("close", False)
        if not isinstance(close, bool):
            raise _bad("close must be true or false")
        files = parse_files(doc["files"]) if doc.get("files") is not None else None
        with self._lock:
            grant = self._proven(uid, doc)
            budget = grant.budget
            if budget is None:
                raise _bad(f"grant {uid} is not a shared token's")
            if files is not None:
                if any(s in self._by_signature for s in files):
                    raise ApiError("ResourceInUseException", "a signature is already registered", status=409)
                grant.dropped.update(budget.files)
                budget.files = dict(files)
                for signature in files:
                    self._by_signature[signature] = uid
                grant.signatures.extend(files)
            if expires is not None:
                grant.expires_at = expires
            budget.closed = budget.closed or close

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
                "token": None if grant.budget is None else grant.budget.describe(),
            }

    def admin(self, request: Request, parts: List[str]) -> Optional[Response]:
        """``parts``: the admin sub-path after ``par-grants``, split on ``/``."""
        if not parts and request.method == "POST":
            self.register(request.read_json())
            return empty_response(201)
        if len(parts) == 2 and parts[1] == "revoke" and request.method == "POST":
            self.revoke(parts[0], request.read_json())
            return empty_response(204)
        if len(parts) == 2 and parts[1] == "amend" and request.method == "POST":
            self.amend(parts[0], request.read_json())
            return empty_response(204)
        if len(parts) == 1 and request.method == "GET":
            return json_response(200, self.describe(parts[0]))
        return None
