"""PARs over real HTTP against the bundled emulator, in both dialects.

The issuer is a bucket client of the emulator; the recipient uses only the PAR. S3 URLs point at
the emulator's S3 port; COS URLs name the bucket host, so the recipient's connections go to the
emulator's COS port (``connect_url``) with that Host, as the URL was signed for it.
"""

from __future__ import annotations

import uuid
from typing import Iterator, Optional

import pytest

from cassdk_like.bucket import Bucket, BucketAPI, BucketClient
from cassdk_like.emulator import Emulator
from cassdk_like.par import PARKeyPair
from tests.integration.bucket.conftest import COS_REGION, make_client


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(job_delay_scale=0, region=COS_REGION) as emulator:
        yield emulator


@pytest.fixture(params=["s3", "cos"])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def client(emu: Emulator, dialect: str) -> Iterator[BucketClient]:
    with make_client(emu, dialect) as made:
        yield made


@pytest.fixture
def bucket(client: BucketClient) -> Bucket:
    return Bucket.create(BucketAPI(client), f"par-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def connect(emu: Emulator, dialect: str) -> Optional[str]:
    """Where the recipient's connections go (None: where the URL points)."""
    return None if dialect == "s3" else emu.endpoints["cos"]


@pytest.fixture
def registry(emu: Emulator, dialect: str) -> str:
    return f"{emu.endpoints[dialect]}/_emulator/{dialect}/par-grants"


@pytest.fixture(scope="module")
def pair() -> PARKeyPair:
    return PARKeyPair.generate()
