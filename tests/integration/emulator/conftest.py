"""Fixtures for the emulator conformance suite: a fresh emulator per test and signed raw clients."""

from __future__ import annotations

from typing import Iterator

import pytest

from cassdk_like.emulator import Emulator
from tests.integration.emulator.emu_helpers import Raw


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """An emulator on a free loopback port whose jobs finish at once (job_delay_scale=0)."""
    with Emulator(job_delay_scale=0) as emu:
        yield emu


@pytest.fixture
def cas(emulator: Emulator) -> Iterator[Raw]:
    """Raw q-signed requests (uid ``-``)."""
    raw = Raw(emulator, "cas")
    yield raw
    raw.close()


@pytest.fixture
def glacier(emulator: Emulator) -> Iterator[Raw]:
    """Raw SigV4-signed requests in the Glacier dialect."""
    raw = Raw(emulator, "glacier")
    yield raw
    raw.close()


@pytest.fixture
def vault(cas: Raw) -> str:
    """A fresh vault named ``v1``."""
    cas.create_vault("v1")
    return "v1"
