"""``BucketClient``: one method per operation of the bucket API, returning the raw ``HttpResponse``.

Like ``requests`` (and ``CASClient``), the low level never raises on an HTTP status (``BucketAPI``
does); it raises only for input it can reject before sending, and when the transport gives up.
``S3Client`` and ``COSClient`` are the two ways to build one: they differ in the credentials'
names, in addressing and in the dialect, never in the operations.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable, Optional, Union

from cassdk_like.bucket.addressing import COSAddressing, S3Addressing
from cassdk_like.bucket.dialect import COS, S3, BucketDialect
from cassdk_like.bucket.lowlevel._base import Addressing
from cassdk_like.bucket.lowlevel._buckets import BucketOps
from cassdk_like.bucket.lowlevel._multipart import MultipartOps
from cassdk_like.bucket.lowlevel.presign import PresignOps
from cassdk_like.core.config import Credentials, resolve_credentials
from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.core.http.request import parse_endpoint
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.core.http.transport import Transport

__all__ = ["BucketClient", "COSClient", "S3Client"]


class BucketClient(BucketOps, MultipartOps, PresignOps):
    """Low-level bucket client (docs/bucket-protocol.md §1), in the S3 or the COS dialect.

    Thread-safe: it holds no per-request state and the transport's connection pool is shared.
    Build one with :class:`S3Client` or :class:`COSClient` (or ``BucketClient.s3(...)`` /
    ``BucketClient.cos(...)``); ``clock`` is a test seam for signing times.
    """

    def __init__(
        self,
        addressing: Addressing,
        dialect: BucketDialect,
        credentials: Credentials,
        *,
        region: str,
        appid: Optional[str] = None,
        retry_policy: Optional[RetryPolicy] = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        max_pool_size: int = 10,
        verify: Union[bool, str] = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._addressing = addressing
        self._dialect = dialect
        self._credentials = credentials
        self._region = region
        self._appid = appid
        self._clock = clock
        self._transport = Transport(
            addressing.service_url,
            sign=dialect.wire.signer(credentials, region, clock),
            retry_policy=retry_policy,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_pool_size=max_pool_size,
            verify=verify,
            request_id_headers=tuple(h.lower() for h in dialect.wire.request_id_headers),
            secrets=credentials.secrets(),
            errors=dialect.errors,
        )

    @classmethod
    def s3(cls, *args: Any, **kwargs: Any) -> S3Client:
        """An :class:`S3Client` (same arguments)."""
        return S3Client(*args, **kwargs)

    @classmethod
    def cos(cls, *args: Any, **kwargs: Any) -> COSClient:
        """A :class:`COSClient` (same arguments)."""
        return COSClient(*args, **kwargs)

    @property
    def dialect(self) -> BucketDialect:
        """The dialect (S3 or COS) requests are signed and parsed with."""
        return self._dialect

    @property
    def region(self) -> str:
        """The region requests are signed for."""
        return self._region

    @property
    def appid(self) -> Optional[str]:
        """The account's APPID (COS bucket names end with it), if known."""
        return self._appid

    @property
    def addressing(self) -> Addressing:
        """How bucket names map to hosts and paths (virtual-hosted or path style)."""
        return self._addressing

    @property
    def access_key_id(self) -> str:
        """The key id requests are signed with (never the secret)."""
        return self._credentials.secret_id

    @property
    def transport(self) -> Transport:
        """The shared transport (its ``request_count`` is handy in tests and benchmarks)."""
        return self._transport

    def bucket_name(self, name: str) -> str:
        """The service's name for a bucket: COS appends ``-<appid>`` to a short name."""
        if self._appid is not None and not name.endswith(f"-{self._appid}"):
            return f"{name}-{self._appid}"
        return name

    def close(self) -> None:
        """Close pooled connections; the client must not be used afterwards."""
        self._transport.close()

    def __enter__(self) -> BucketClient:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(dialect={self._dialect.name!r}, region={self._region!r}, "
            f"endpoint={self._addressing.service_url!r}, access_key_id={self.access_key_id!r})"
        )


def _env(*names: str) -> Optional[str]:
    return next((os.environ[name] for name in names if os.environ.get(name)), None)


class S3Client(BucketClient):
    """An S3 client: ``endpoint`` (default ``https://s3.<region>.amazonaws.com``, or
    ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL``), the key pair (else ``AWS_ACCESS_KEY_ID`` /
    ``AWS_SECRET_ACCESS_KEY`` / ``AWS_SESSION_TOKEN`` or the profile file), ``region`` (else
    ``AWS_REGION``, the endpoint's, or ``us-east-1``) and ``addressing`` (``auto``, ``path`` or
    ``virtual``; see ``S3Addressing``)."""

    def __init__(
        self,
        endpoint: Optional[str] = None,
        access_key_id: Optional[str] = None,
        secret_access_key: Optional[str] = None,
        *,
        region: Optional[str] = None,
        addressing: str = "auto",
        connect_url: Optional[str] = None,
        session_token: Optional[str] = None,
        **options: Any,
    ) -> None:
        region = region or _env("AWS_REGION", "AWS_DEFAULT_REGION")
        endpoint = endpoint or _env("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
        if endpoint is None:
            endpoint = f"https://s3.{region or S3.wire.default_region}.amazonaws.com"
        _base, host = parse_endpoint(endpoint) if "://" in endpoint else ("", endpoint)
        if not _base:
            raise InvalidArgumentError(
                f"endpoint must be a URL such as https://host[:port], got {endpoint!r}"
            )
        credentials = resolve_credentials(access_key_id, secret_access_key, session_token, dialect="s3")
        super().__init__(
            S3Addressing(endpoint, addressing, connect_url),
            S3,
            credentials,
            region=S3.wire.resolve_region(region, host.split(":", 1)[0]),
            **options,
        )


class COSClient(BucketClient):
    """A COS client: ``region`` (else ``COS_REGION``), ``appid`` (else ``COS_APPID``), the key pair
    (else ``COS_SECRET_ID`` / ``COS_SECRET_KEY`` / ``COS_SESSION_TOKEN`` or the profile file),
    ``endpoint`` (else ``COS_ENDPOINT``).

    Requests go to ``<bucket>-<appid>.cos.<region>.myqcloud.com``; ``endpoint`` sends the
    connections elsewhere (a local server that reads the bucket from the Host header) while the
    Host header and the signature keep the COS names.
    """

    def __init__(
        self,
        region: Optional[str] = None,
        appid: Optional[Union[str, int]] = None,
        secret_id: Optional[str] = None,
        secret_key: Optional[str] = None,
        *,
        endpoint: Optional[str] = None,
        scheme: str = "https",
        session_token: Optional[str] = None,
        **options: Any,
    ) -> None:
        region = region or _env("COS_REGION")
        endpoint = endpoint or _env("COS_ENDPOINT")
        found_appid = str(appid) if appid is not None else _env("COS_APPID")
        if not region:
            raise InvalidArgumentError("no region: pass region (e.g. 'ap-guangzhou') or set COS_REGION")
        if not found_appid or not found_appid.isdigit():
            raise InvalidArgumentError(f"appid must be the account's numeric APPID, got {found_appid!r}")
        credentials = resolve_credentials(secret_id, secret_key, session_token, dialect="cos")
        if endpoint is not None and "://" not in endpoint:
            raise InvalidArgumentError(
                f"endpoint must be a URL such as http://127.0.0.1:9000, got {endpoint!r}"
            )
        super().__init__(
            COSAddressing(region, scheme, endpoint),
            COS,
            credentials,
            region=region,
            appid=found_appid,
            **options,
        )
