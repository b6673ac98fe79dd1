"""Clients with frozen clocks and no retries, a ``responses`` mock, and a clean environment."""

from __future__ import annotations

import re
from typing import Iterator

import pytest
import responses

from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.vault.highlevel import CasAPI
from cassdk_like.vault.lowlevel import CASClient

from ._wire import (
    CAS_APPID,
    CAS_HOST,
    CAS_ID,
    CAS_KEY,
    CAS_NOW,
    GLACIER_HOST,
    GLACIER_ID,
    GLACIER_KEY,
    GLACIER_NOW,
)

ANY_URL = re.compile(r"https?://.*")


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def cas() -> Iterator[CASClient]:
    client = CASClient(
        CAS_HOST, CAS_APPID, CAS_ID, CAS_KEY, clock=lambda: CAS_NOW, retry_policy=RetryPolicy.never()
    )
    yield client
    client.close()


@pytest.fixture
def glacier() -> Iterator[CASClient]:
    client = CASClient(
        GLACIER_HOST,
        None,
        GLACIER_ID,
        GLACIER_KEY,
        dialect="glacier",
        clock=lambda: GLACIER_NOW,
        retry_policy=RetryPolicy.never(),
    )
    yield client
    client.close()


@pytest.fixture
def cas_api(cas: CASClient) -> CasAPI:
    return CasAPI(cas)


@pytest.fixture
def glacier_api(glacier: CASClient) -> CasAPI:
    return CasAPI(glacier)
