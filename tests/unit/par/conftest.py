"""A bucket that signs with a fixed clock and never reaches a server (a closed port)."""

from __future__ import annotations

from typing import Iterator

import pytest

from cassdk_like.bucket import Bucket, BucketAPI, S3Client
from cassdk_like.core.http.retry import RetryPolicy

#: the signing time of every URL the tests make
NOW = 1_700_000_000


@pytest.fixture
def bucket() -> Iterator[Bucket]:
    client = S3Client(
        "http://127.0.0.1:9",
        "AKIDEXAMPLE",
        "secret-key-for-par-tests",
        region="eu-west-1",
        addressing="path",
        clock=lambda: NOW,
        retry_policy=RetryPolicy.never(),
    )
    yield Bucket(BucketAPI(client), "bkt", region="eu-west-1")
    client.close()
