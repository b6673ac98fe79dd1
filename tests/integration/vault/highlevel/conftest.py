"""Domain objects over real HTTP against the bundled emulator, in both dialects.

One emulator per module (jobs finish at once), a ``CasAPI`` per dialect, a fresh vault per test,
and the fault switches reset after every test.
"""

from __future__ import annotations

import itertools
from typing import Iterator

import pytest

from cassdk_like.emulator import Emulator
from cassdk_like.vault.highlevel import CasAPI, Vault
from cassdk_like.vault.lowlevel import CASClient

_names = itertools.count(1)


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    """An emulator on a free loopback port whose jobs finish at once."""
    with Emulator(job_delay_scale=0) as emu:
        yield emu


def make_api(emu: Emulator, dialect: str) -> CASClient:
    return CASClient(emu.endpoint, emu.appid, emu.secret_id, emu.secret_key, dialect=dialect)


@pytest.fixture(params=["cas", "glacier"])
def api(request: pytest.FixtureRequest, emulator: Emulator) -> Iterator[CasAPI]:
    """A CasAPI in each dialect over real HTTP."""
    client = make_api(emulator, request.param)
    yield CasAPI(client)
    client.close()


@pytest.fixture
def vault(api: CasAPI, emulator: Emulator) -> Iterator[Vault]:
    """A fresh, uniquely named vault; fault switches and statistics start clean."""
    emulator.faults.reset()
    created = Vault.create(api, f"hl-{api.dialect.name}-{next(_names)}")
    emulator.stats.reset()
    yield created
    emulator.faults.reset()
