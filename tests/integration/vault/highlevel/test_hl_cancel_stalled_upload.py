"""Cancel on an upload whose server holds every Upload Part: it stops at once, with no retry.

The emulator holds each part request for ``HOLD`` seconds before answering. The cancel arrives once
every worker has a part in flight; the call must return while the server is still holding all of
them (no part answered yet) and the server must never see a part request after the cancel. The
assertions are about order and counts, not elapsed time.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, List

import pytest

from cassdk_like.core.exceptions import TransferCancelledError
from cassdk_like.core.integrity import MiB
from cassdk_like.emulator import Emulator
from cassdk_like.engine import CancelToken, TransferConfig
from cassdk_like.vault.highlevel import CasAPI, Vault

HOLD = 6.0
WORKERS = 4


def _parts_seen(emulator: Emulator) -> int:
    return int(emulator.stats_snapshot()["operations"].get("UploadMultipartPart", 0))


def test_cancel_stops_a_stalled_multipart_upload_without_retries(
    tmp_path: Path, emulator: Emulator, api: CasAPI
) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(12 * MiB))
    vault = Vault.create(api, f"stalled-{api.dialect.name}")
    before = _parts_seen(emulator)
    answered: List[Any] = []
    at_cancel: List[int] = []
    token = CancelToken()

    def observe(request: Any, response: Any, decision: Any) -> None:
        if request.operation == "UploadMultipartPart" and response is not None:
            answered.append(request)

    def cancel_when_all_workers_wait() -> None:
        for _ in range(400):
            if _parts_seen(emulator) - before >= WORKERS:
                break
            token.wait(0.025)
        at_cancel.append(_parts_seen(emulator) - before)
        token.cancel("test")

    emulator.faults.add_latency(HOLD, operation="UploadMultipartPart")
    emulator.add_observer(observe)
    canceller = threading.Thread(target=cancel_when_all_workers_wait, daemon=True)
    try:
        canceller.start()
        config = TransferConfig(max_workers=WORKERS, poll_interval=0.02)
        with pytest.raises(TransferCancelledError):
            vault.upload_archive(
                path, "held", part_size=MiB, threshold=MiB, config=config, cancel_token=token
            )
        returned_while_held = not answered  # no part had been answered when the call came back
    finally:
        canceller.join(10)
        emulator.faults.reset()
        emulator.remove_observer(observe)
    assert at_cancel == [WORKERS], "the cancel was meant to come once every worker had a part in flight"
    assert returned_while_held, "the call waited for the server's answers instead of aborting them"
    assert _parts_seen(emulator) - before == WORKERS, "a part was sent (or retried) after the cancel"
