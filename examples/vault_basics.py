"""Vaults: create, list, describe, tag, notify, set an access policy, and delete.

Runs against a throw-away local emulator unless ``CAS_ENDPOINT`` is set.
"""

from __future__ import annotations

import contextlib
import json
import os

from cassdk_like import CasAPI, CASClient, Vault
from cassdk_like.emulator import Emulator
from cassdk_like.vault import ResourceNotFoundException

with contextlib.ExitStack() as stack:
    if os.environ.get("CAS_ENDPOINT"):  # your service: CASClient() reads the CAS_* settings
        client = stack.enter_context(CASClient(dialect=os.environ.get("CAS_DIALECT", "cas")))
    else:  # else a throw-away local emulator, so the example runs offline
        emu = stack.enter_context(Emulator(job_delay_scale=0.1))
        client = stack.enter_context(CASClient(emu.endpoint, emu.appid, emu.secret_id, emu.secret_key))
    api = CasAPI(client)
    photos = Vault.create(api, "example-photos")
    Vault.create(api, "example-logs")
    print("vaults:", sorted(v.name for v in Vault.list_all_vaults(api)))

    # one Describe Vault call; counts stay 0 until the service's daily inventory has run
    vault = Vault.get_vault_by_name(api, "example-photos")
    print(f"{vault.name}: created {vault.creation_date}, resource name {vault.qcs}")
    print(f"  {vault.number_of_archives} archives, {vault.size} bytes")

    vault.add_tags({"team": "media", "retention": "10y"})
    print("tags:", vault.list_tags())
    vault.remove_tags(["retention"])
    assert vault.list_tags() == {"team": "media"}

    # completed jobs are POSTed to this URL (the emulator really calls it; nothing listens here)
    vault.set_notifications("http://127.0.0.1:9/cas-events", ["ArchiveRetrievalCompleted"])
    print("notifications:", vault.get_notifications())
    vault.delete_notifications()

    policy = {
        "version": "2.0",
        "statement": [
            {
                "effect": "allow",
                "principal": {"qcs": ["qcs::cam::uin/100000000001:uin/100000000011"]},
                "action": ["name/cas:ListJobs"],
                "resource": [vault.qcs],
            }
        ],
    }
    vault.set_access_policy(policy)
    print("policy:", json.loads(vault.get_access_policy())["statement"][0]["action"])
    vault.delete_access_policy()

    # a vault must be empty to be deleted; both of these are
    photos.delete()
    Vault.delete_vault_by_name(api, "example-logs")
    try:
        Vault.get_vault_by_name(api, "example-photos")
    except ResourceNotFoundException as error:
        print(f"gone: HTTP {error.status} {error.code}")
    print("vault basics example verified")
