"""The transfer manager over real HTTP against the bundled emulator (S3, COS) and a local folder.

One emulator per module; each test makes its own bucket and state folder (tests/helpers/transfer_world.py).
"""

from __future__ import annotations

from typing import Iterator

import pytest

from cassdk_like.emulator import Emulator
from tests.helpers.transfer_world import COS_REGION


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(job_delay_scale=0, region=COS_REGION) as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def _clear_faults(emu: Emulator) -> Iterator[None]:
    yield
    emu.faults.reset()
