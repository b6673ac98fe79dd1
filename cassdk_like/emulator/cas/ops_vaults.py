"""Vault operations (docs/vault-protocol.md §1.1): vaults, access policy, notifications, vault lock, tags.

Each handler maps a :class:`Context` to a :class:`Response`; rules live in the store.
"""

from __future__ import annotations

import json
from typing import AbstractSet, Any, Dict, Mapping, Optional

from cassdk_like.emulator.cas.context import Context, OperationTable
from cassdk_like.emulator.cas.errors import access_denied, invalid_value, missing_value, not_found
from cassdk_like.emulator.cas.jobspec import EVENTS
from cassdk_like.emulator.cas.store import Vault
from cassdk_like.emulator.cas.util import iso_ms, new_id, parse_limit
from cassdk_like.emulator.errors import ApiError
from cassdk_like.emulator.wire import Response, empty_response, json_response

__all__ = ["OPERATIONS", "describe_vault_doc"]

LOCK_WINDOW = 24 * 3600.0
_GLACIER_EVENTS = frozenset({"ArchiveRetrievalCompleted", "InventoryRetrievalCompleted"})


def describe_vault_doc(ctx: Context, vault: Vault) -> Dict[str, Any]:
    return {
        "CreationDate": iso_ms(vault.created),
        "LastInventoryDate": None if vault.last_inventory is None else iso_ms(vault.last_inventory),
        "NumberOfArchives": vault.number_of_archives,
        "SizeInBytes": vault.size_in_bytes,
        ctx.dialect.qcs_field: ctx.state.settings.qcs(vault.name, ctx.dialect),
        "VaultName": vault.name,
    }


def create_vault(ctx: Context) -> Response:
    ctx.state.store.create_vault(ctx.vault, ctx.now())
    return empty_response(201, [ctx.location(ctx.vault)])


def describe_vault(ctx: Context) -> Response:
    return json_response(200, describe_vault_doc(ctx, ctx.state.store.vault(ctx.vault)))


def list_vaults(ctx: Context) -> Response:
    request, settings = ctx.request, ctx.state.settings
    limit = parse_limit(request.param("limit"), default=ctx.dialect.list_defaults["ListVaults"], maximum=1000)
    marker = request.param("marker")
    start: Optional[str] = None
    if marker is not None:
        start = marker.rpartition(":vaults/")[2]
        if ":vaults/" not in marker or not start:
            raise invalid_value(f"marker {marker!r} is not a {ctx.dialect.qcs_field} returned by List Vaults")
    vaults, following = ctx.state.store.list_vaults(start, limit)
    doc = {
        "Marker": None if following is None else settings.qcs(following, ctx.dialect),
        "VaultList": [describe_vault_doc(ctx, v) for v in vaults],
    }
    return json_response(200, doc)


def delete_vault(ctx: Context) -> Response:
    ctx.state.store.delete_vault(ctx.vault)
    return empty_response(204)


def _only_fields(body: Mapping[str, Any], allowed: AbstractSet[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise invalid_value(f"unknown field(s) {unknown} in the request body; expected {sorted(allowed)}")


def _policy_text(body: Mapping[str, Any], key: str) -> str:
    """A policy is a JSON document carried as a string under ``key``."""
    if key not in body:
        other = [k for k in body if k.lower() == key.lower()]
        hint = f" (found {other[0]!r}; the key is case-sensitive)" if other else ""
        raise missing_value(f'the request body must be {{{key!r}: "<policy JSON>"}}{hint}')
    _only_fields(body, {key})
    text = body[key]
    if not isinstance(text, str):
        raise invalid_value(f"{key} must be the policy document as a JSON string")
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        raise invalid_value(f"{key} is not valid JSON: {exc}") from exc
    if not isinstance(parsed, dict):
        raise invalid_value(f"{key} must hold a JSON object")
    return text


def set_access_policy(ctx: Context) -> Response:
    key = ctx.dialect.policy_key
    text = _policy_text(ctx.request.read_json(), key)
    ctx.state.store.set_config(ctx.vault, "policy", {"policy": text})
    return empty_response(204)


def get_access_policy(ctx: Context) -> Response:
    config = ctx.state.store.get_config(ctx.vault, "policy")
    if config is None:
        raise not_found(f"vault {ctx.vault!r} has no access policy")
    return json_response(200, {ctx.dialect.policy_key: config["policy"]})


def delete_access_policy(ctx: Context) -> Response:
    ctx.state.store.set_config(ctx.vault, "policy", None)
    return empty_response(204)


def set_notifications(ctx: Context) -> Response:
    body, field = ctx.request.read_json(), ctx.dialect.callback_field
    _only_fields(body, {field, "Events"})
    url = body.get(field)
    if not isinstance(url, str) or not url:
        raise missing_value(f"the request body needs {field!r}")
    if ctx.dialect.name == "cas" and not url.startswith(("http://", "https://")):
        raise invalid_value(f"{field} must be an http:// or https:// URL")
    events = body.get("Events")
    valid = EVENTS if ctx.dialect.name == "cas" else _GLACIER_EVENTS
    if not isinstance(events, list) or not events or not set(events) <= valid:
        raise invalid_value(f"Events must be a non-empty list drawn from {sorted(valid)}")
    ctx.state.store.set_config(ctx.vault, "notifications", {"CallBackUrl": url, "Events": events})
    return empty_response(204)


def get_notifications(ctx: Context) -> Response:
    config = ctx.state.store.get_config(ctx.vault, "notifications")
    if config is None:
        raise not_found(f"vault {ctx.vault!r} has no notification configuration")
    return json_response(200, {ctx.dialect.callback_field: config["CallBackUrl"], "Events": config["Events"]})


def delete_notifications(ctx: Context) -> Response:
    ctx.state.store.set_config(ctx.vault, "notifications", None)
    return empty_response(204)


def _lock(ctx: Context) -> Optional[Dict[str, Any]]:
    """The vault's lock, with an expired InProgress lock treated as gone (24 h window)."""
    lock = ctx.state.store.get_config(ctx.vault, "lock")
    if lock and lock["State"] == "InProgress" and lock["ExpirationDate"] < ctx.now():
        return None
    return lock


def initiate_vault_lock(ctx: Context) -> Response:
    text = _policy_text(ctx.request.read_json(), "Policy")
    lock = _lock(ctx)
    if lock is not None:
        if lock["State"] == "Locked":
            raise access_denied(f"vault {ctx.vault!r} is locked; its lock policy cannot change")
        raise invalid_value(f"vault {ctx.vault!r} already has a lock in progress; abort it first")
    now, lock_id = ctx.now(), new_id(18)
    state = {
        "State": "InProgress",
        "Policy": text,
        "LockId": lock_id,
        "CreationDate": now,
        "ExpirationDate": now + LOCK_WINDOW,
    }
    ctx.state.store.set_config(ctx.vault, "lock", state)
    return empty_response(201, [(ctx.h("lock-id"), lock_id)])


def complete_vault_lock(ctx: Context) -> Response:
    lock, lock_id = _lock(ctx), ctx.route.params["lock_id"]
    if lock is None:
        raise invalid_value(f"vault {ctx.vault!r} has no lock in progress")
    if lock["LockId"] != lock_id:
        if lock["State"] == "Locked":
            raise access_denied("the lock id does not match the vault's lock")
        raise ApiError("InvalidParameter", "the lock id does not match the lock in progress")
    if lock["State"] == "InProgress":
        lock.update(State="Locked", ExpirationDate=None)
        ctx.state.store.set_config(ctx.vault, "lock", lock)
    return empty_response(204)


def abort_vault_lock(ctx: Context) -> Response:
    lock = _lock(ctx)
    if lock is not None and lock["State"] == "Locked":
        raise access_denied(f"vault {ctx.vault!r} is locked; a completed lock cannot be aborted")
    ctx.state.store.set_config(ctx.vault, "lock", None)
    return empty_response(204)


def get_vault_lock(ctx: Context) -> Response:
    lock = _lock(ctx)
    if lock is None:
        raise not_found(f"vault {ctx.vault!r} has no vault lock")
    expiration = lock["ExpirationDate"]
    return json_response(
        200,
        {
            "Policy": lock["Policy"],
            "State": lock["State"],
            "ExpirationDate": None if expiration is None else iso_ms(expiration),
            "CreationDate": iso_ms(lock["CreationDate"]),
        },
    )


def add_tags(ctx: Context) -> Response:
    body = ctx.request.read_json()
    _only_fields(body, {"Tags"})
    tags = body.get("Tags")
    if not isinstance(tags, dict) or not tags:
        raise missing_value('the request body must be {"Tags": {"key": "value", ...}} with at least one tag')
    for key, value in tags.items():
        if not isinstance(value, str) or not 1 <= len(key) <= 128 or len(value) > 256:
            raise invalid_value("tag keys must be 1-128 characters and values strings of at most 256")
    ctx.state.store.update_tags(ctx.vault, dict(tags), [], ctx.state.settings.max_tags)
    return empty_response(204)


def remove_tags(ctx: Context) -> Response:
    body = ctx.request.read_json()
    _only_fields(body, {"TagKeys"})
    keys = body.get("TagKeys")
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
        raise missing_value('the request body must be {"TagKeys": ["key", ...]} with at least one key')
    ctx.state.store.update_tags(ctx.vault, {}, list(keys), ctx.state.settings.max_tags)
    return empty_response(204)


def list_tags(ctx: Context) -> Response:
    return json_response(200, {"Tags": ctx.state.store.get_tags(ctx.vault)})


OPERATIONS: OperationTable = {
    "CreateVault": create_vault,
    "DescribeVault": describe_vault,
    "ListVaults": list_vaults,
    "DeleteVault": delete_vault,
    "SetVaultAccessPolicy": set_access_policy,
    "GetVaultAccessPolicy": get_access_policy,
    "DeleteVaultAccessPolicy": delete_access_policy,
    "SetVaultNotifications": set_notifications,
    "GetVaultNotifications": get_notifications,
    "DeleteVaultNotifications": delete_notifications,
    "InitiateVaultLock": initiate_vault_lock,
    "CompleteVaultLock": complete_vault_lock,
    "AbortVaultLock": abort_vault_lock,
    "GetVaultLock": get_vault_lock,
    "AddTagsToVault": add_tags,
    "RemoveTagsFromVault": remove_tags,
    "ListTagsForVault": list_tags,
}
