"""Fixtures for the DirectIO tests: one emulator for the session, on a clock the tests can move.

``direct_emulator`` runs every service on free ports; its clock is ``direct_clock`` (the real time
plus an offset a test may move and must put back). ``fast_cterasdk_retries`` makes cterasdk's
back-off sleeps instant, so its three attempts at a refused request cost no wall time.
"""

from __future__ import annotations

import asyncio
import threading
import time
from types import SimpleNamespace
from typing import Any, Iterator

import pytest

from cassdk_like.emulator import Emulator


class ShiftableClock:
    """The real time plus an offset; thread-safe."""

    def __init__(self) -> None:
        self.offset = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return time.time() + self.offset

    def shift(self, seconds: float) -> None:
        with self._lock:
            self.offset += seconds


@pytest.fixture(scope="session")
def direct_clock() -> ShiftableClock:
    return ShiftableClock()


@pytest.fixture(scope="session")
def direct_emulator(direct_clock: ShiftableClock) -> Iterator[Emulator]:
    with Emulator(job_delay_scale=0, clock=direct_clock) as emulator:
        yield emulator


@pytest.fixture
def fast_cterasdk_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    from cterasdk.lib import retries

    real_sleep = asyncio.sleep

    async def no_wait(_delay: float, *args: Any) -> None:
        await real_sleep(0)

    monkeypatch.setattr(retries, "asyncio", SimpleNamespace(sleep=no_wait))
