"""The one request-building path every CASClient operation goes through.

Operations only say *what* they want (method, vault, sub-resource, query, headers, body); this module
turns that into an ``HttpRequest`` with the account root, the dialect's fixed headers, the JSON body,
the checksum headers and the operation/resource labels errors are reported with.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Union

import attrs

from cassdk_like.core.http.bodies import Content, request_body
from cassdk_like.core.http.request import HttpRequest, RequestBody
from cassdk_like.core.http.response import HttpResponse
from cassdk_like.core.http.transport import Transport
from cassdk_like.core.integrity import ContentHashes, hash_bytes, hash_file
from cassdk_like.vault.dialect import VaultDialect
from cassdk_like.vault.lowlevel.validation import (
    check_checksum,
    check_id,
    check_vault_name,
)

__all__ = ["ClientCore", "Content", "Target"]

Body = Union[bytes, bytearray, memoryview, RequestBody]

#: ``_target``'s default: the operation addresses the account, not a vault
_ACCOUNT: Any = object()

_SEGMENTS = {"archive": "archives", "upload": "multipart-uploads", "job": "jobs", "lock": "lock-policy"}


@attrs.frozen
class Target:
    """Where an operation goes, and how errors name it."""

    operation: str
    path: str
    resource: str


class ClientCore:
    """State and helpers shared by the operation mixins; see ``CASClient`` for the public API."""

    _dialect: VaultDialect
    _transport: Transport
    _root: str

    def _target(
        self, operation: str, vault_name: Any = _ACCOUNT, kind: Optional[str] = None, ident: Any = None
    ) -> Target:
        """Validate the names and build ``/<uid>/vaults/<name>[/<segment>/<id>]``.

        Only account-level operations omit ``vault_name``; a ``None`` given as a vault name is a bad
        name (it would otherwise turn ``PUT /<uid>/vaults/<name>`` into ``PUT /<uid>/vaults``).
        """
        if vault_name is _ACCOUNT:
            return Target(operation, f"{self._root}/vaults", f"vaults of account {self._root[1:]!r}")
        check_vault_name(vault_name, operation)
        path = f"{self._root}/vaults/{vault_name}"
        resource = f"vault {vault_name!r}"
        if kind is not None:
            check_id(ident, kind, operation, resource)
            path += f"/{_SEGMENTS[kind]}/{ident}"
            resource = f"{kind} {ident!r} in vault {vault_name!r}"
        return Target(operation, path, resource)

    def _send(
        self,
        target: Target,
        method: str,
        suffix: str = "",
        *,
        query: Sequence[Tuple[str, str]] = (),
        headers: Optional[Mapping[str, str]] = None,
        body: Optional[Body] = None,
        json_body: Optional[Mapping[str, Any]] = None,
        stream: bool = False,
    ) -> HttpResponse:
        """Build and send one request; never raises on HTTP status."""
        all_headers: Dict[str, str] = dict(self._dialect.fixed_headers)
        if json_body is not None:
            body = json.dumps(json_body, separators=(",", ":")).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        request = HttpRequest(
            method=method,
            path=target.path + suffix,
            query=list(query),
            headers=all_headers,
            body=body,
            stream=stream,
            operation=target.operation,
            resource=target.resource,
        )
        return self._transport.send(request)

    def _payload(
        self,
        target: Target,
        content: Content,
        size: Optional[int],
        etag: Optional[str],
        tree_etag: Optional[str],
    ) -> Tuple[Body, Dict[str, str]]:
        """The body plus Content-Length and both checksum headers (computed in one pass when missing)."""
        op, res = target.operation, target.resource
        body, length = request_body(content, size, operation=op, resource=res)
        if etag is None or tree_etag is None:
            hashes = _hash_body(body, op)
            etag = etag or hashes.sha256
            tree_etag = tree_etag or hashes.tree_hash
        h = self._dialect.h
        return body, {
            "Content-Length": str(length),
            h("content-sha256"): check_checksum(etag, "etag (linear SHA-256)", op, res),
            h("sha256-tree-hash"): check_checksum(tree_etag, "tree hash", op, res),
        }


def _hash_body(body: Body, operation: str) -> ContentHashes:
    """Linear SHA-256 and tree hash in one read pass, without loading a file into memory."""
    if isinstance(body, RequestBody):
        return hash_file(body.fileobj, body.offset, body.length, operation=operation)
    return hash_bytes(body)
