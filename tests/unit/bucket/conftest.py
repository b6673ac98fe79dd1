"""Bucket clients with frozen clocks and no retries, and a ``responses`` mock."""

from __future__ import annotations

from typing import Iterator

import pytest
import responses

from cassdk_like.bucket import COSClient, S3Client
from cassdk_like.core.http.retry import RetryPolicy

from ._wire import APPID, AWS_ID, AWS_KEY, AWS_NOW, COS_ID, COS_KEY, COS_NOW, REGION


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def s3() -> Iterator[S3Client]:
    """Virtual-host addressing on AWS's global endpoint, as in AWS's worked examples."""
    client = S3Client(
        "https://s3.amazonaws.com", AWS_ID, AWS_KEY, clock=lambda: AWS_NOW, retry_policy=RetryPolicy.never()
    )
    yield client
    client.close()


@pytest.fixture
def s3_path() -> Iterator[S3Client]:
    """Path-style addressing on a local endpoint, as against moto, rclone or the emulator."""
    client = S3Client(
        "http://127.0.0.1:9000",
        AWS_ID,
        AWS_KEY,
        region="eu-west-1",
        clock=lambda: AWS_NOW,
        retry_policy=RetryPolicy.never(),
    )
    yield client
    client.close()


@pytest.fixture
def cos() -> Iterator[COSClient]:
    client = COSClient(
        REGION, APPID, COS_ID, COS_KEY, clock=lambda: COS_NOW, retry_policy=RetryPolicy.never()
    )
    yield client
    client.close()
