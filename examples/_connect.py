"""Shared by the examples: a ``CasAPI`` on your service when ``CAS_ENDPOINT`` is set, else on a
throw-away local emulator (so every example runs offline, right after ``pip install .``).

For a real service set ``CAS_ENDPOINT``, ``CAS_APPID``, ``CAS_SECRET_ID`` and ``CAS_SECRET_KEY``
(``CAS_DIALECT=glacier`` with ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` for Glacier).
"""

from __future__ import annotations

import contextlib
import os
from typing import Iterator

from cassdk_like.emulator import Emulator
from cassdk_like.vault.highlevel import CasAPI
from cassdk_like.vault.lowlevel import CASClient


@contextlib.contextmanager
def connect(job_delay_scale: float = 0.1) -> Iterator[CasAPI]:
    """Yield a connected ``CasAPI``; the local emulator's jobs take ``job_delay_scale`` x 1/5/10 s."""
    if os.environ.get("CAS_ENDPOINT"):
        with CASClient(dialect=os.environ.get("CAS_DIALECT", "cas")) as client:
            yield CasAPI(client)
        return
    with (
        Emulator(job_delay_scale=job_delay_scale) as emu,
        CASClient(emu.endpoint, emu.appid, emu.secret_id, emu.secret_key) as client,
    ):
        yield CasAPI(client)
