"""The client side of a grant registry: where a revocable PAR is registered and later revoked.

A presigned URL is not an object on S3 or COS, so the services cannot revoke one (docs/par.md §5).
A grant registry is what can: a service in front of the store that sees every presigned request
and refuses those of revoked grants. The bundled emulator is one (its S3 and COS services at
``/_emulator/<service>/par-grants``). The protocol (docs/par.md §5.2) carries no URL: the registry
learns the SHA-256 of each signature the PAR's URLs carry (how it recognises their requests) and the
SHA-256 of the close proof (so only a holder who opened the PAR can revoke it).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from typing import Any, Dict, Optional, Sequence
from urllib.parse import urlsplit

from cassdk_like.core.exceptions import TransportError
from cassdk_like.core.http import HttpRequest, RetryPolicy, Transport
from cassdk_like.par.errors import PARRevocationError

__all__ = ["register", "revoke"]


def _base(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _post(url: str, path: str, document: Dict[str, Any], operation: str, resource: str) -> int:
    request = HttpRequest.from_url(
        "POST",
        url.rstrip("/") + path,
        headers={"Content-Type": "application/json"},
        body=json.dumps(document, sort_keys=True).encode("utf-8"),
        operation=operation,
        resource=resource,
    )
    try:
        with Transport(_base(url), retry_policy=RetryPolicy(total_attempts=3)) as transport:
            response = transport.send(request)
            status = response.status
            response.close()
    except TransportError as exc:
        raise PARRevocationError(
            f"the grant registry did not answer ({type(exc).__name__})",
            operation=operation,
            resource=resource,
        ) from exc
    return status


def register(
    registry: str,
    uid: str,
    *,
    signatures: Sequence[str],
    close_proof: str,
    expires_at: _dt.datetime,
    operation: str = "create_par",
) -> None:
    """Record a new grant: the digests of its signatures, of its close proof, and its expiry."""
    document = {
        "uid": uid,
        "signature_sha256": list(signatures),
        "proof_sha256": hashlib.sha256(close_proof.encode("ascii")).hexdigest(),
        "expires_at": int(expires_at.timestamp()),
    }
    resource = f"PAR {uid}"
    status = _post(registry, "", document, operation, resource)
    if status not in (200, 201):
        raise PARRevocationError(
            f"the grant registry refused to register the PAR (HTTP {status})",
            status=status,
            operation=operation,
            resource=resource,
        )


def revoke(registry: str, uid: str, close_proof: str, *, service: Optional[str] = None) -> None:
    """Revoke a grant: from now on the registry refuses every request made with its URLs."""
    resource = f"PAR {uid}"
    status = _post(registry, f"/{uid}/revoke", {"proof": close_proof}, "close", resource)
    if status not in (200, 204):
        meaning = {403: "the close proof does not match", 404: "the registry does not know this PAR"}
        raise PARRevocationError(
            f"the grant registry did not revoke the PAR (HTTP {status}: {meaning.get(status, 'refused')})",
            status=status,
            operation="close",
            resource=resource,
        )
