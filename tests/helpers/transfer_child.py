"""The process the transfer crash test kills: a manager sending a folder to the parent's emulator.

``python -m tests.helpers.transfer_child SPEC.json``.  The spec (written by the parent, mode 0600:
it holds the emulator's key pair) names the endpoint, credentials, state folder, source folder,
bucket or vault address, rate and checkpoint interval, and optionally ``part_size`` /
``part_workers`` for each file's multipart upload, ``appid`` / ``dialect`` for a vault's
service, and ``vault_threshold`` for the size above which a vault upload goes multipart.  The
child prints ``TRANSFER <id>`` once the transfer is queued, then waits to be killed.
"""

from __future__ import annotations

import json
import sys
import threading

from cassdk_like.engine import TransferConfig
from cassdk_like.transfer import ConnectionSettings, SendInterface, TransferManager
from cassdk_like.vault import Vault


def main(path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        spec = json.load(handle)
    settings = ConnectionSettings(
        endpoint=spec["endpoint"],
        region="us-east-1",
        appid=spec.get("appid"),
        dialect=spec.get("dialect"),
        secret_id=spec["secret_id"],
        secret_key=spec["secret_key"],
    )
    if "vault_threshold" in spec:
        Vault.NormalUploadThreshold = spec["vault_threshold"]
    file_config = None
    if "part_size" in spec:
        file_config = TransferConfig(part_size=spec["part_size"], max_workers=spec["part_workers"])
    manager = TransferManager(
        spec["state_dir"], settings={"emu": settings}, max_workers=spec["workers"], file_config=file_config
    )
    send = SendInterface(manager)
    dest = send.createDestination(spec["address"], sendRateMax=spec["rate_kbps"], profile="emu")
    manifest = send.createManifest(mappings={"/t": spec["source"]})
    transfer = send.createTransfer(dest, manifest, checkpointFrequencySeconds=spec["checkpoint_seconds"])
    sys.stdout.write(f"TRANSFER {transfer['transferId']}\n")
    sys.stdout.flush()
    threading.Event().wait()  # until SIGKILL


if __name__ == "__main__":
    main(sys.argv[1])
