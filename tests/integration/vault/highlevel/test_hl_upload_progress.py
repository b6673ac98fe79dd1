"""A single-request upload reports its progress while the body is sent, and a retried body does
not make the figures go backwards or past the size."""

from __future__ import annotations

import io
import os
import time
from typing import List, Optional

from cassdk_like.core.integrity import MiB
from cassdk_like.emulator import Emulator
from cassdk_like.engine import ProgressEvent
from cassdk_like.vault.highlevel import CasAPI, Vault


class _SlowFile(io.BytesIO):
    """A file on a slow disk: each read takes a moment, so the upload lasts long enough to watch."""

    def read(self, size: Optional[int] = -1) -> bytes:
        time.sleep(0.01)
        return super().read(size)


def test_a_single_request_upload_is_reported_as_it_is_sent(emulator: Emulator, api: CasAPI) -> None:
    source = _SlowFile(os.urandom(8 * MiB))
    vault = Vault.create(api, f"progress-{api.dialect.name}")
    emulator.faults.add_json({"kind": "fail", "operation": "UploadArchive", "status": 503, "count": 1})
    events: List[ProgressEvent] = []
    before = emulator.stats_snapshot()["operations"].get("UploadArchive", 0)
    archive_id = vault.upload_archive(source, progress=events.append)
    assert emulator.stats_snapshot()["operations"]["UploadArchive"] == before + 2  # sent twice
    assert archive_id
    done = [event.done for event in events]
    assert done == sorted(done)  # never backwards, across the retry
    assert all(0 <= d <= 8 * MiB for d in done)
    assert any(0 < d < 8 * MiB for d in done)  # seen while sending, not only at the end
    assert events[-1].finished
    assert events[-1].done == 8 * MiB
    assert sum(event.finished for event in events) == 1
