"""The bucket client over real HTTP against the bundled emulator, in both dialects.

One emulator per module (its state is per bucket, and every test makes its own bucket); faults
are cleared after each test.  ``dialect`` runs a test once with an S3Client on ``endpoints["s3"]``
(path style) and once with a COSClient whose connections go to ``endpoints["cos"]`` while the Host
header names the COS bucket host, which is how the emulator (like COS's own SDK with IP/Port)
finds the bucket.
"""

from __future__ import annotations

import uuid
from typing import Callable, Iterator, Optional

import pytest

from cassdk_like.bucket import Bucket, BucketAPI, BucketClient, COSClient, S3Client
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.emulator import Emulator

COS_REGION = "ap-guangzhou"


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(job_delay_scale=0, region=COS_REGION) as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def _clear_faults(emu: Emulator) -> Iterator[None]:
    yield
    emu.faults.reset()


def make_client(
    emu: Emulator, dialect: str, *, retry: Optional[RetryPolicy] = None, secret: str = ""
) -> BucketClient:
    """A client of ``emu`` in ``dialect`` (``secret`` replaces the account's secret key)."""
    if dialect == "s3":
        return S3Client(
            emu.endpoints["s3"],
            emu.secret_id,
            secret or emu.secret_key,
            region="us-east-1",
            retry_policy=retry,
        )
    return COSClient(
        COS_REGION,
        emu.appid,
        emu.secret_id,
        secret or emu.secret_key,
        endpoint=emu.endpoints["cos"],
        retry_policy=retry,
    )


@pytest.fixture
def client_for() -> Callable[..., BucketClient]:
    """``make_client`` as a fixture, for tests that need more than the default client."""
    return make_client


@pytest.fixture(params=["s3", "cos"])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def client(emu: Emulator, dialect: str) -> Iterator[BucketClient]:
    with make_client(emu, dialect) as made:
        yield made


@pytest.fixture
def api(client: BucketClient) -> BucketAPI:
    return BucketAPI(client)


@pytest.fixture
def bucket(api: BucketAPI) -> Bucket:
    """A new bucket for this test (COS names get the appid)."""
    return Bucket.create(api, f"t-{uuid.uuid4().hex[:16]}")
