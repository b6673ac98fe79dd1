"""A ``responses`` mock and a client that does not wait between retries."""

from __future__ import annotations

from typing import Iterator

import pytest
import responses

from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.direct import Client, Credentials
from tests.unit.direct._fixture import BASE, KEY_ID, SECRET

FAST = RetryPolicy(total_attempts=3, backoff_base=0.0, backoff_cap=0.0)


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def client() -> Iterator[Client]:
    with Client(BASE, Credentials(KEY_ID, SECRET), retry_policy=FAST, max_workers=3, window=2) as value:
        yield value
