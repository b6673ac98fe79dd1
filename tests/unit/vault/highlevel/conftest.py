"""``responses``-backed CasAPI handles in both dialects, frozen clocks, no retries, clean environment."""

from __future__ import annotations

from typing import Iterator

import pytest
import responses

from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.vault.highlevel import CasAPI
from cassdk_like.vault.lowlevel import CASClient
from tests.unit.vault.highlevel.hl_helpers import (
    CAS_APPID,
    CAS_HOST,
    CAS_ID,
    CAS_KEY,
    GLACIER_HOST,
    GLACIER_ID,
    GLACIER_KEY,
    NOW,
)


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def _client(dialect: str) -> CASClient:
    if dialect == "cas":
        return CASClient(
            CAS_HOST, CAS_APPID, CAS_ID, CAS_KEY, clock=lambda: NOW, retry_policy=RetryPolicy.never()
        )
    return CASClient(
        GLACIER_HOST,
        None,
        GLACIER_ID,
        GLACIER_KEY,
        dialect="glacier",
        clock=lambda: NOW,
        retry_policy=RetryPolicy.never(),
    )


@pytest.fixture
def cas_api() -> Iterator[CasAPI]:
    client = _client("cas")
    yield CasAPI(client)
    client.close()


@pytest.fixture
def glacier_api() -> Iterator[CasAPI]:
    client = _client("glacier")
    yield CasAPI(client)
    client.close()


@pytest.fixture(params=["cas", "glacier"])
def any_api(request: pytest.FixtureRequest) -> Iterator[CasAPI]:
    """The same test in both dialects."""
    client = _client(request.param)
    yield CasAPI(client)
    client.close()
