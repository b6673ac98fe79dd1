"""The blocking client against the session's ReductStore emulator: a client with the init token and
a fresh bucket per test (removed afterwards)."""

from __future__ import annotations

import contextlib
from typing import Iterator

import pytest

from cassdk_like.reduct import Bucket, Client, ReductError


@pytest.fixture
def client(reduct_url: str, reduct_token: str) -> Iterator[Client]:
    with Client(reduct_url, api_token=reduct_token, timeout=30) as made:
        yield made


@pytest.fixture
def bucket(client: Client, reduct_bucket_name: str) -> Iterator[Bucket]:
    made = client.create_bucket(reduct_bucket_name)
    yield made
    with contextlib.suppress(ReductError):  # a test removed or renamed it
        made.remove()
