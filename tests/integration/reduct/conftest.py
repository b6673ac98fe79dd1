"""Fixtures shared by the ReductStore tests: one emulator for the session, with authentication on.

``reduct_emulator`` runs every service on free ports with the init token ``reduct_token``;
``reduct_url`` is the ReductStore base URL (clients add ``/api/v1``). Tests share the server, so
each takes its own bucket name from ``reduct_bucket_name``.
"""

from __future__ import annotations

import uuid
from typing import Iterator

import pytest

from cassdk_like.emulator import Emulator

#: the init token of the session's emulator (a local test value)
INIT_TOKEN = "reduct-init-secret"


@pytest.fixture(scope="session")
def reduct_emulator() -> Iterator[Emulator]:
    with Emulator(job_delay_scale=0, reduct_api_token=INIT_TOKEN) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def reduct_url(reduct_emulator: Emulator) -> str:
    return reduct_emulator.endpoints["reduct"]


@pytest.fixture(scope="session")
def reduct_token(reduct_emulator: Emulator) -> str:
    token = reduct_emulator.reduct_api_token
    assert token is not None
    return token


@pytest.fixture
def reduct_bucket_name() -> str:
    """A bucket name no other test uses (nothing is created)."""
    return f"t-{uuid.uuid4().hex[:16]}"
