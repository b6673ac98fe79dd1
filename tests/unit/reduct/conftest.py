"""A ``responses`` mock for the ReductStore wire tests, and clients that never retry unless asked."""

from __future__ import annotations

from typing import Iterator

import pytest
import responses

from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.reduct import Client
from tests.unit.reduct.reduct_wire import BASE, TOKEN


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def client() -> Iterator[Client]:
    with Client(BASE, api_token=TOKEN, retry_policy=RetryPolicy.never()) as value:
        yield value


@pytest.fixture
def anonymous() -> Iterator[Client]:
    with Client(BASE, retry_policy=RetryPolicy.never()) as value:
        yield value
