"""Where a bucket request goes: the host that names the bucket, and the host the connection goes to.

S3 names a bucket in the path (``/<bucket>/<key>``, path style) or in the host name
(``<bucket>.s3.<region>.amazonaws.com``, virtual-host style); COS always in the host name
(``<bucket>-<appid>.cos.<region>.myqcloud.com``) (docs/bucket-protocol.md §2.1).  ``connect_url``
sends every connection to another address (a local server, a proxy) while the Host header and the
signature keep the service's own name, which is how a server that reads the bucket from the Host
header is reached on loopback.
"""

from __future__ import annotations

from typing import Optional

import attrs

from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.core.http.request import parse_endpoint

__all__ = ["ADDRESSING_STYLES", "COSAddressing", "Route", "S3Addressing"]

ADDRESSING_STYLES = frozenset({"auto", "path", "virtual"})


@attrs.frozen
class Route:
    """One request's target: ``base_url`` is where the connection goes, ``host`` the Host header the
    service sees (None: the one of ``base_url``), ``prefix`` the path before ``/<key>``."""

    base_url: str
    host: Optional[str]
    prefix: str
    #: ``scheme://host`` as the service names it (what presigned URLs and POST forms point at)
    public_url: str

    def path(self, key: Optional[str] = None) -> str:
        """``/<key>`` after the prefix; without a key the bucket's own path (``/`` or ``/<bucket>``)."""
        if key is None:
            return self.prefix or "/"
        return f"{self.prefix}/{key}"


def _split(url: str, what: str) -> tuple[str, str, str]:
    """(scheme, host header, base URL) of an endpoint URL."""
    if "://" not in url:
        raise InvalidArgumentError(f"{what} must be a URL such as https://host[:port], got {url!r}")
    base, host = parse_endpoint(url)
    return base.split("://", 1)[0], host, base


def _route(scheme: str, host: str, prefix: str, connect: Optional[str]) -> Route:
    public = f"{scheme}://{host}"
    if connect is None:
        return Route(public, None, prefix, public)
    return Route(connect, host, prefix, public)


@attrs.frozen
class S3Addressing:
    """``endpoint`` (``https://s3.us-east-1.amazonaws.com``, ``http://127.0.0.1:9000``) and a style.

    ``auto`` is virtual-host on AWS endpoints when the name is a valid host label without dots (a
    dotted name would not match the service's TLS certificate), path style everywhere else.
    """

    endpoint: str
    style: str = "auto"
    connect_url: Optional[str] = None

    def __attrs_post_init__(self) -> None:
        if self.style not in ADDRESSING_STYLES:
            raise InvalidArgumentError(
                f"addressing must be one of {sorted(ADDRESSING_STYLES)}, got {self.style!r}"
            )
        _split(self.endpoint, "endpoint")
        if self.connect_url is not None:
            _split(self.connect_url, "connect_url")

    @property
    def service_url(self) -> str:
        """The URL the Transport is built for (where connections go by default)."""
        return self.connect_url or _split(self.endpoint, "endpoint")[2]

    def service(self) -> Route:
        scheme, host, _base = _split(self.endpoint, "endpoint")
        return _route(scheme, host, "", self.connect_url)

    def virtual(self, bucket: str) -> bool:
        """True when ``bucket`` goes in the host name."""
        scheme, host, _base = _split(self.endpoint, "endpoint")
        if self.style == "path":
            return False
        dotted = "." in bucket
        if self.style == "virtual":
            if dotted and scheme == "https":
                raise InvalidArgumentError(
                    "virtual-host addressing of a bucket name with dots does not match the service's "
                    "TLS certificate: use addressing='path'",
                    resource=f"bucket {bucket!r}",
                )
            return True
        return host.split(":", 1)[0].endswith(".amazonaws.com") and not dotted

    def bucket(self, bucket: str) -> Route:
        scheme, host, _base = _split(self.endpoint, "endpoint")
        if self.virtual(bucket):
            return _route(scheme, f"{bucket}.{host}", "", self.connect_url)
        return _route(scheme, host, f"/{bucket}", self.connect_url)


@attrs.frozen
class COSAddressing:
    """COS hosts for one region: ``<bucket>.cos.<region>.myqcloud.com`` for buckets (the name already
    ends in ``-<appid>``), ``service.cos.myqcloud.com`` for the bucket list."""

    region: str
    scheme: str = "https"
    connect_url: Optional[str] = None
    #: the domain under which COS names its hosts
    domain: str = "myqcloud.com"

    def __attrs_post_init__(self) -> None:
        if self.scheme not in ("http", "https"):
            raise InvalidArgumentError(f"scheme must be 'https' or 'http', got {self.scheme!r}")
        if not self.region or any(ch not in "abcdefghijklmnopqrstuvwxyz0123456789-" for ch in self.region):
            raise InvalidArgumentError(f"invalid COS region {self.region!r} (e.g. 'ap-guangzhou')")
        if self.connect_url is not None:
            _split(self.connect_url, "endpoint")

    @property
    def service_url(self) -> str:
        return self.connect_url or f"{self.scheme}://service.cos.{self.domain}"

    def service(self) -> Route:
        return _route(self.scheme, f"service.cos.{self.domain}", "", self.connect_url)

    def bucket(self, bucket: str) -> Route:
        return _route(self.scheme, f"{bucket}.cos.{self.region}.{self.domain}", "", self.connect_url)
