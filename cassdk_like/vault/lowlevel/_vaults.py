"""Vault operations: vaults, access policy, notifications, lock and tags (docs/vault-protocol.md §1.1)."""

from __future__ import annotations

import json
from typing import Any, List, Mapping, Optional, Sequence, Tuple, Union

from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.core.http.response import HttpResponse
from cassdk_like.vault.lowlevel._base import ClientCore, Target
from cassdk_like.vault.lowlevel.validation import check_text, positive_int

__all__ = ["VaultOps", "paging_query"]

Policy = Union[str, Mapping[str, Any]]


def paging_query(
    target: Target, marker: Optional[Union[str, int]], limit: Optional[Union[int, str]]
) -> List[Tuple[str, str]]:
    """``marker`` then ``limit``, as the original SDK ordered them; omitted when ``None``."""
    query: List[Tuple[str, str]] = []
    if isinstance(marker, int) and not isinstance(marker, bool):
        marker = str(marker)  # List Parts markers are offsets
    if marker is not None:
        if not isinstance(marker, str) or not marker:
            raise InvalidArgumentError(
                f"marker must be a non-empty string, got {marker!r}",
                operation=target.operation,
                resource=target.resource,
            )
        query.append(("marker", marker))
    if limit is not None:
        query.append(("limit", str(positive_int(limit, "limit", target.operation, target.resource))))
    return query


def _policy_text(target: Target, policy: Policy) -> str:
    """A policy document as the escaped JSON string the service expects inside the body."""
    if isinstance(policy, str) and policy.strip():
        return policy
    if isinstance(policy, Mapping):
        return json.dumps(policy, separators=(",", ":"))
    raise InvalidArgumentError(
        f"policy must be a JSON string or a dict, not {policy!r}",
        operation=target.operation,
        resource=target.resource,
    )


def _strings(target: Target, values: Any, what: str) -> List[str]:
    """A non-empty list of non-empty strings (a bare string is refused: it is not a list of one)."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
        raise InvalidArgumentError(
            f"{what} must be a non-empty list of strings, got {values!r}",
            operation=target.operation,
            resource=target.resource,
        )
    if not all(isinstance(v, str) and v for v in values):
        raise InvalidArgumentError(
            f"{what} must contain non-empty strings, got {values!r}",
            operation=target.operation,
            resource=target.resource,
        )
    return list(values)


class VaultOps(ClientCore):
    """Vault-level operations of ``CASClient``."""

    def create_vault(self, vault_name: str) -> HttpResponse:
        """Create Vault: ``PUT /<uid>/vaults/<name>`` (201, ``Location``)."""
        return self._send(self._target("create_vault", vault_name), "PUT")

    def describe_vault(self, vault_name: str) -> HttpResponse:
        """Describe Vault: one GET, never a full listing (docs/original-sdk-defects.md #12)."""
        return self._send(self._target("describe_vault", vault_name), "GET")

    def delete_vault(self, vault_name: str) -> HttpResponse:
        """Delete Vault (204); the vault must be empty."""
        return self._send(self._target("delete_vault", vault_name), "DELETE")

    def list_vaults(
        self, marker: Optional[str] = None, limit: Optional[Union[int, str]] = None
    ) -> HttpResponse:
        """List Vaults: one page; follow ``Marker`` for more."""
        target = self._target("list_vaults")
        return self._send(target, "GET", query=paging_query(target, marker, limit))

    def get_vault_access_policy(self, vault_name: str) -> HttpResponse:
        """Get Vault Access Policy: ``{"policy": "<json string>"}``."""
        return self._send(self._target("get_vault_access_policy", vault_name), "GET", "/access-policy")

    def set_vault_access_policy(self, vault_name: str, policy: Policy) -> HttpResponse:
        """Set Vault Access Policy; the body key is lowercase ``policy`` for CAS (note A)."""
        target = self._target("set_vault_access_policy", vault_name)
        body = {self._dialect.policy_field: _policy_text(target, policy)}
        return self._send(target, "PUT", "/access-policy", json_body=body)

    def delete_vault_access_policy(self, vault_name: str) -> HttpResponse:
        """Delete Vault Access Policy (204)."""
        return self._send(self._target("delete_vault_access_policy", vault_name), "DELETE", "/access-policy")

    def set_vault_notifications(
        self, vault_name: str, callback_url: str, events: Sequence[str]
    ) -> HttpResponse:
        """Set Vault Notification Configuration: ``CallBackUrl`` (glacier: ``SNSTopic``) and ``Events``."""
        target = self._target("set_vault_notifications", vault_name)
        url = check_text(callback_url, "callback_url", target.operation, target.resource)
        body = {self._dialect.callback_field: url, "Events": _strings(target, events, "events")}
        return self._send(target, "PUT", "/notification-configuration", json_body=body)

    def get_vault_notifications(self, vault_name: str) -> HttpResponse:
        """Get Vault Notifications."""
        target = self._target("get_vault_notifications", vault_name)
        return self._send(target, "GET", "/notification-configuration")

    def delete_vault_notifications(self, vault_name: str) -> HttpResponse:
        """Delete Vault Notifications (204)."""
        target = self._target("delete_vault_notifications", vault_name)
        return self._send(target, "DELETE", "/notification-configuration")

    def initiate_vault_lock(self, vault_name: str, policy: Policy) -> HttpResponse:
        """Initiate Vault Lock: ``{"Policy": ...}``; the lock id comes back in ``x-cas-lock-id``."""
        target = self._target("initiate_vault_lock", vault_name)
        return self._send(target, "POST", "/lock-policy", json_body={"Policy": _policy_text(target, policy)})

    def complete_vault_lock(self, vault_name: str, lock_id: str) -> HttpResponse:
        """Complete Vault Lock: ``POST .../lock-policy/<lock_id>`` (204)."""
        return self._send(self._target("complete_vault_lock", vault_name, "lock", lock_id), "POST")

    def abort_vault_lock(self, vault_name: str) -> HttpResponse:
        """Abort Vault Lock (only while InProgress)."""
        return self._send(self._target("abort_vault_lock", vault_name), "DELETE", "/lock-policy")

    def get_vault_lock(self, vault_name: str) -> HttpResponse:
        """Get Vault Lock: ``Policy``, ``State``, ``ExpirationDate``, ``CreationDate``."""
        return self._send(self._target("get_vault_lock", vault_name), "GET", "/lock-policy")

    def add_tags_to_vault(self, vault_name: str, tags: Mapping[str, str]) -> HttpResponse:
        """Add Tags To Vault: ``POST .../tags?operation=add`` with ``{"Tags": {...}}``."""
        target = self._target("add_tags_to_vault", vault_name)
        if (
            not isinstance(tags, Mapping)
            or not tags
            or not all(isinstance(k, str) and k and isinstance(v, str) for k, v in tags.items())
        ):
            raise InvalidArgumentError(
                f"tags must be a non-empty dict of str to str, got {tags!r}",
                operation=target.operation,
                resource=target.resource,
            )
        return self._send(
            target, "POST", "/tags", query=[("operation", "add")], json_body={"Tags": dict(tags)}
        )

    def remove_tags_from_vault(self, vault_name: str, tag_keys: Sequence[str]) -> HttpResponse:
        """Remove Tags From Vault: ``POST .../tags?operation=remove`` with ``{"TagKeys": [...]}``."""
        target = self._target("remove_tags_from_vault", vault_name)
        body = {"TagKeys": _strings(target, tag_keys, "tag_keys")}
        return self._send(target, "POST", "/tags", query=[("operation", "remove")], json_body=body)

    def list_tags_for_vault(self, vault_name: str) -> HttpResponse:
        """List Tags For Vault: ``{"Tags": {...}}`` (an empty body when there are none)."""
        return self._send(self._target("list_tags_for_vault", vault_name), "GET", "/tags")
