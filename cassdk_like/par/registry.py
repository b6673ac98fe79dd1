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
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from cassdk_like.core.exceptions import TransportError
from cassdk_like.core.http import HttpRequest, RetryPolicy, Transport
from cassdk_like.par.errors import PARRevocationError

__all__ = ["amend", "describe", "register", "revoke"]


def _base(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _call(
    method: str, url: str, path: str, document: Optional[Mapping[str, Any]], operation: str, resource: str
) -> Tuple[int, bytes]:
    request = HttpRequest.from_url(
        method,
        url.rstrip("/") + path,
        headers={"Content-Type": "application/json"} if document is not None else {},
        body=None if document is None else json.dumps(document, sort_keys=True).encode("utf-8"),
        operation=operation,
        resource=resource,
    )
    try:
        with Transport(_base(url), retry_policy=RetryPolicy(total_attempts=3)) as transport:
            response = transport.send(request)
            status, body = response.status, response.read()
            response.close()
    except TransportError as exc:
        raise PARRevocationError(
            f"the grant registry did not answer ({type(exc).__name__})",
            operation=operation,
            resource=resource,
        ) from exc
    return status, body


def _post(url: str, path: str, document: Mapping[str, Any], operation: str, resource: str) -> int:
    return _call("POST", url, path, document, operation, resource)[0]


def _expect(status: int, ok: Tuple[int, ...], message: str, operation: str, resource: str) -> None:
    if status not in ok:
        raise PARRevocationError(
            f"{message} (HTTP {status})", status=status, operation=operation, resource=resource
        )


def register(
    registry: str,
    uid: str,
    *,
    signatures: Sequence[str],
    close_proof: str,
    expires_at: _dt.datetime,
    operation: str = "create_par",
    token: Optional[Mapping[str, Any]] = None,
    resource: Optional[str] = None,
) -> None:
    """Record a new grant: the digests of its signatures, of its close proof, and its expiry;
    ``token``: a shared token's download budget (docs/transfer.md §8.4)."""
    document: Dict[str, Any] = {
        "uid": uid,
        "signature_sha256": list(signatures),
        "proof_sha256": hashlib.sha256(close_proof.encode("ascii")).hexdigest(),
        "expires_at": int(expires_at.timestamp()),
    }
    if token is not None:
        document["token"] = dict(token)
    resource = resource or f"PAR {uid}"
    status = _post(registry, "", document, operation, resource)
    _expect(status, (200, 201), "the grant registry refused to register the PAR", operation, resource)


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


def amend(
    registry: str, uid: str, close_proof: str, changes: Mapping[str, Any], *, operation: str, resource: str
) -> None:
    """Change a shared token's grant: ``expires_at`` (Unix seconds), ``files`` (the new file URLs'
    digests, which replace the old ones) and/or ``close`` (refuse redemptions not yet started)."""
    status = _post(registry, f"/{uid}/amend", {**changes, "proof": close_proof}, operation, resource)
    _expect(status, (200, 204), "the grant registry did not amend the grant", operation, resource)


def describe(registry: str, uid: str, *, operation: str, resource: str) -> Dict[str, Any]:
    """What the registry says of grant ``uid``: revoked, expiry, refusals, a token's counts."""
    status, body = _call("GET", registry, f"/{uid}", None, operation, resource)
    try:
        found = json.loads(body.decode("utf-8")) if status == 200 else None
    except (UnicodeDecodeError, ValueError):
        found = None
    if not isinstance(found, dict):  # an error status, or a 200 without a JSON object
        _expect(status, (), "the grant registry did not describe the grant", operation, resource)
    assert isinstance(found, dict)
    return found
