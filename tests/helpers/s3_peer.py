"""An independent S3 server as the bucket tests see it: where it is, its key pair, what it implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import FrozenSet, Optional

from cassdk_like.bucket import S3Client
from cassdk_like.core.http.retry import RetryPolicy

__all__ = ["S3Peer"]


@dataclass(frozen=True)
class S3Peer:
    """An S3 server the project did not write, and the key pair it accepts."""

    name: str
    endpoint: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"
    #: features of the S3 API this peer implements beyond the common core (docs/peer-notes.md)
    features: FrozenSet[str] = field(default_factory=frozenset)

    def client(self, *, secret_key: Optional[str] = None, retry: bool = False) -> S3Client:
        return S3Client(
            self.endpoint,
            self.access_key,
            secret_key or self.secret_key,
            region=self.region,
            addressing="path",
            retry_policy=RetryPolicy() if retry else RetryPolicy.never(),
            read_timeout=30.0,
        )
