"""What one bucket operation sees: the request, the dialect, the stores, the addressed bucket and
key, the decoded body, the owner and the clock. Built by the S3 or COS service for each request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from cassdk_like.emulator.objectstore.body import BodySource
from cassdk_like.emulator.objectstore.dialect import Dialect
from cassdk_like.emulator.objectstore.store import ObjectStore
from cassdk_like.emulator.objectstore.uploads import Uploads
from cassdk_like.emulator.wire import Request

__all__ = ["Context", "Owner"]


@dataclass(frozen=True)
class Owner:
    """The one account's canonical id and display name (``<Owner>`` in listings)."""

    id: str
    display_name: str


@dataclass
class Context:
    """``bucket`` is "" for service-level requests (ListBuckets), ``key`` "" for bucket requests.
    ``region`` is where the request was addressed (a new bucket is created there)."""

    request: Request
    dialect: Dialect
    store: ObjectStore
    uploads: Uploads
    bucket: str
    key: str
    body: BodySource
    region: str
    owner: Owner
    now: float
    #: extra response headers the operation adds (besides those of its Response)
    headers: List[Tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> Optional[str]:
        return self.request.headers.get(name.lower())

    def h(self, suffix: str) -> Optional[str]:
        """The dialect's ``x-amz-<suffix>`` / ``x-cos-<suffix>`` request header."""
        return self.request.headers.get(self.dialect.h(suffix))

    def param(self, name: str) -> Optional[str]:
        return self.request.param(name)

    def has_param(self, name: str) -> bool:
        return any(key == name for key, _ in self.request.query)
