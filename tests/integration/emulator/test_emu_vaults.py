"""Vault operations (docs/vault-protocol.md §1.1): names, describe, list paging, delete rules, policy,
notifications, vault lock and tags."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from cassdk_like.emulator import Emulator
from tests.integration.emulator.emu_helpers import Raw, error_of, pattern

POLICY = json.dumps({"version": "2.0", "statement": [{"effect": "allow", "action": ["name/cas:*"]}]})


def test_create_vault_201_with_location(cas: Raw) -> None:
    response = cas.call("PUT", "my-vault_1.x")
    assert response.status_code == 201
    assert response.headers["Location"] == f"/{cas.emu.appid}/vaults/my-vault_1.x"
    assert response.content == b""


@pytest.mark.parametrize("name", ["bad name", "a" * 256, "ünïcode", "semi;colon"])
def test_invalid_vault_names_are_refused(cas: Raw, name: str) -> None:
    assert error_of(cas.call("PUT", name)) == (400, "InvalidParameterValueException", "Client")


def test_describe_vault_fields_and_null_counts_until_first_archive(cas: Raw, vault: str) -> None:
    doc = cas.call("GET", vault).json()
    assert doc["VaultName"] == vault
    assert doc["VaultQCS"] == f"qcs:id/0:cas:ap-guangzhou:uid/{cas.emu.appid}:vaults/{vault}"
    assert doc["CreationDate"].endswith("Z")
    assert len(doc["CreationDate"]) == 24
    assert (doc["NumberOfArchives"], doc["SizeInBytes"], doc["LastInventoryDate"]) == (None, None, None)
    cas.upload_ok(vault, b"x" * 10)
    doc = cas.call("GET", vault).json()
    assert (doc["NumberOfArchives"], doc["SizeInBytes"]) == (1, 10)
    assert doc["LastInventoryDate"] is not None


def test_unknown_vault_is_404(cas: Raw) -> None:
    for method, rest in (("GET", ()), ("DELETE", ()), ("GET", ("jobs",)), ("GET", ("tags",))):
        assert error_of(cas.call(method, "nope", *rest)) == (404, "ResourceNotFoundException", "Client")


def test_delete_vault_rules(cas: Raw, vault: str) -> None:
    archive_id = cas.upload_ok(vault, pattern(100))
    status, code, _ = error_of(cas.call("DELETE", vault))
    assert (status, code) == (400, "BadRequest")
    assert cas.call("DELETE", vault, "archives", archive_id).status_code == 204
    upload = cas.initiate_upload(vault, 1048576).headers["x-cas-multipart-upload-id"]
    assert error_of(cas.call("DELETE", vault))[:2] == (400, "BadRequest")
    assert cas.call("DELETE", vault, "multipart-uploads", upload).status_code == 204
    assert cas.call("DELETE", vault).status_code == 204
    assert cas.call("GET", vault).status_code == 404


def test_paging_through_2500_vaults(emulator: Emulator) -> None:
    """limit 1000 gives three pages; Marker is null on the last (needs max_vaults above 1000)."""
    with Emulator(job_delay_scale=0, max_vaults=3000) as emu:
        raw = Raw(emu)
        names = [f"v{i:05d}" for i in range(2500)]
        with ThreadPoolExecutor(4) as pool:
            clients = [Raw(emu) for _ in range(4)]
            codes = list(pool.map(lambda n: clients[hash(n) % 4].call("PUT", n).status_code, names))
        assert set(codes) == {201}
        seen, marker, pages = [], None, 0
        while True:
            params = [("limit", "1000")] + ([("marker", marker)] if marker else [])
            page = raw.request("GET", "/-/vaults", params=params).json()
            pages += 1
            seen += [v["VaultName"] for v in page["VaultList"]]
            marker = page["Marker"]
            if marker is None:
                break
            assert marker.startswith("qcs:id/0:cas:")
        assert pages == 3
        assert seen == names


def test_vault_limit_is_enforced() -> None:
    with Emulator(job_delay_scale=0, max_vaults=2) as emu:
        raw = Raw(emu)
        raw.create_vault("a")
        raw.create_vault("b")
        assert error_of(raw.call("PUT", "c"))[:2] == (400, "LimitExceededException")
        assert raw.call("PUT", "a").status_code == 201  # re-creating an existing vault is fine


@pytest.mark.parametrize("limit", ["0", "1001", "abc"])
def test_list_limit_out_of_range(cas: Raw, limit: str) -> None:
    assert error_of(cas.request("GET", "/-/vaults", params=[("limit", limit)]))[1] == (
        "InvalidParameterValueException"
    )


def test_access_policy_lowercase_key(cas: Raw, vault: str) -> None:
    assert error_of(cas.call("GET", vault, "access-policy"))[1] == "ResourceNotFoundException"
    wrong = cas.call("PUT", vault, "access-policy", json_body={"Policy": POLICY})
    assert error_of(wrong)[1] == "MissingParameterValueException"
    assert "case-sensitive" in wrong.json()["message"]
    not_json = cas.call("PUT", vault, "access-policy", json_body={"policy": "{nope"})
    assert error_of(not_json)[1] == "InvalidParameterValueException"
    assert cas.call("PUT", vault, "access-policy", json_body={"policy": POLICY}).status_code == 204
    assert cas.call("GET", vault, "access-policy").json() == {"policy": POLICY}
    assert cas.call("DELETE", vault, "access-policy").status_code == 204
    assert cas.call("GET", vault, "access-policy").status_code == 404


def test_malformed_json_body_is_serialization_exception(cas: Raw, vault: str) -> None:
    response = cas.call("PUT", vault, "access-policy", body=b"{not json")
    assert error_of(response) == (400, "SerializationException", "Client")


def test_notification_configuration(cas: Raw, vault: str) -> None:
    config = {"CallBackUrl": "http://127.0.0.1:9/cb", "Events": ["ArchiveRetrievalCompleted"]}
    assert cas.call("GET", vault, "notification-configuration").status_code == 404
    bad = cas.call("PUT", vault, "notification-configuration", json_body={**config, "Events": ["Nope"]})
    assert error_of(bad)[1] == "InvalidParameterValueException"
    assert cas.call("PUT", vault, "notification-configuration", json_body=config).status_code == 204
    assert cas.call("GET", vault, "notification-configuration").json() == config
    assert cas.call("DELETE", vault, "notification-configuration").status_code == 204
    assert cas.call("GET", vault, "notification-configuration").status_code == 404


def test_vault_lock_states(cas: Raw, vault: str) -> None:
    assert error_of(cas.call("GET", vault, "lock-policy"))[1] == "ResourceNotFoundException"
    started = cas.call("POST", vault, "lock-policy", json_body={"Policy": POLICY})
    assert started.status_code == 201
    lock_id = started.headers["x-cas-lock-id"]
    doc = cas.call("GET", vault, "lock-policy").json()
    assert doc["State"] == "InProgress"
    assert doc["Policy"] == POLICY
    assert doc["ExpirationDate"]
    again = cas.call("POST", vault, "lock-policy", json_body={"Policy": POLICY})
    assert error_of(again)[1] == "InvalidParameterValueException"
    assert error_of(cas.call("POST", vault, "lock-policy", "wrong-id"))[1] == "InvalidParameter"
    assert cas.call("POST", vault, "lock-policy", lock_id).status_code == 204
    doc = cas.call("GET", vault, "lock-policy").json()
    assert (doc["State"], doc["ExpirationDate"]) == ("Locked", None)
    assert cas.call("POST", vault, "lock-policy", lock_id).status_code == 204  # repeat: still 204
    assert error_of(cas.call("POST", vault, "lock-policy", "wrong-id"))[:2] == (403, "AccessDeniedException")
    assert error_of(cas.call("DELETE", vault, "lock-policy"))[:2] == (403, "AccessDeniedException")


def test_abort_vault_lock_in_progress(cas: Raw, vault: str) -> None:
    assert cas.call("POST", vault, "lock-policy", json_body={"Policy": POLICY}).status_code == 201
    assert cas.call("DELETE", vault, "lock-policy").status_code == 204
    assert cas.call("GET", vault, "lock-policy").status_code == 404


def test_tags_add_remove_list_and_limit(cas: Raw, vault: str) -> None:
    assert cas.call("GET", vault, "tags").json() == {"Tags": {}}
    add = [("operation", "add")]
    assert (
        cas.call("POST", vault, "tags", params=add, json_body={"Tags": {"a": "1", "b": "2"}}).status_code
        == 204
    )
    assert cas.call("POST", vault, "tags", params=add, json_body={"Tags": {"a": "9"}}).status_code == 204
    assert cas.call("GET", vault, "tags").json() == {"Tags": {"a": "9", "b": "2"}}
    remove = cas.call("POST", vault, "tags", params=[("operation", "remove")], json_body={"TagKeys": ["b"]})
    assert remove.status_code == 204
    assert cas.call("GET", vault, "tags").json() == {"Tags": {"a": "9"}}
    many = {f"k{i}": "v" for i in range(49)}
    assert cas.call("POST", vault, "tags", params=add, json_body={"Tags": many}).status_code == 204
    over = cas.call("POST", vault, "tags", params=add, json_body={"Tags": {"one-more": "x"}})
    assert error_of(over)[:2] == (400, "LimitExceededException")
    assert len(cas.call("GET", vault, "tags").json()["Tags"]) == 50
    bad_op = cas.call("POST", vault, "tags", params=[("operation", "upsert")], json_body={"Tags": {}})
    assert error_of(bad_op)[1] == "InvalidParameterValueException"
