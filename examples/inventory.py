"""What is in a vault? Ask for an inventory (JSON or CSV) and read it as typed records.

Runs against a throw-away local emulator unless ``CAS_ENDPOINT`` is set.
"""

from __future__ import annotations

import contextlib
import io
import os

from cassdk_like import CasAPI, CASClient, Vault
from cassdk_like.emulator import Emulator

with contextlib.ExitStack() as stack:
    if os.environ.get("CAS_ENDPOINT"):  # your service: CASClient() reads the CAS_* settings
        client = stack.enter_context(CASClient(dialect=os.environ.get("CAS_DIALECT", "cas")))
    else:  # else a throw-away local emulator, so the example runs offline
        emu = stack.enter_context(Emulator(job_delay_scale=0.1))
        client = stack.enter_context(CASClient(emu.endpoint, emu.appid, emu.secret_id, emu.secret_key))
    api = CasAPI(client)
    vault = Vault.create(api, "example-inventory")
    uploaded = {}
    for quarter in (1, 2, 3):
        name = f"2024-q{quarter}.csv"
        data = f"report {name}\n".encode() * 1000 * quarter
        uploaded[vault.upload_archive(io.BytesIO(data), desc=name)] = len(data)

    for fmt in ("JSON", "CSV"):
        job = vault.initiate_retrieve_inventory(desc=f"{fmt} inventory", format=fmt)
        job.wait(timeout=60)
        inventory = job.inventory()  # parsed the same way whatever the format
        print(f"{fmt} inventory of {inventory.vault_qcs or vault.name}: {len(inventory)} archives")
        for item in inventory:
            print(f"  {item.description:<12} {item.size:>6} bytes  {item.archive_id[:12]}...")
        assert {a.archive_id: a.size for a in inventory} == uploaded

    for archive_id in uploaded:
        vault.delete_archive(archive_id)
    vault.delete()
    print("inventory example verified")
