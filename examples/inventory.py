"""What is in a vault? Ask for an inventory (JSON or CSV) and read it as typed records.

Runs against a throw-away local emulator unless ``CAS_ENDPOINT`` is set (see ``_connect.py``).
"""

from __future__ import annotations

import io

from _connect import connect

from cassdk_like.vault.highlevel import Vault

with connect() as api:
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
