"""Wire profiles: what one service dialect looks like on the wire, in one frozen object.

A :class:`WireProfile` says how requests are dressed (header prefix, fixed headers), signed (a
signer factory) and routed (region from the host name, default region), and how answers are read
(request-id headers, the error parser).  It holds no service schema: the vault's JSON field names
live in ``cassdk_like.vault``, a bucket's in its own package.  Core defines the two vault dialects'
profiles; other services build theirs from the same parts in their own packages, e.g.::

    S3_WIRE = WireProfile(name="s3", header_prefix="x-amz-", request_id_headers=("x-amz-request-id",),
                          make_signer=sigv4_signer("s3"), error_parser=parse_xml_error, ...)
"""

from __future__ import annotations

import re
import time
from typing import Callable, Optional, Pattern, Tuple

import attrs

from cassdk_like.core.auth.signers import SignCallback, SignerFactory, qsign_signer, sigv4_signer
from cassdk_like.core.config import Credentials
from cassdk_like.core.errorparse import ErrorParser, parse_json_error

__all__ = ["CAS_WIRE", "GLACIER_WIRE", "WireProfile"]


def _header_names(values: Tuple[str, ...]) -> Tuple[str, ...]:
    if not values:
        raise ValueError("a wire profile needs at least one request-id header")
    return tuple(values)


@attrs.frozen(kw_only=True)
class WireProfile:
    """One service dialect's wire facts. Immutable, so thread-safe and shareable between clients."""

    name: str
    header_prefix: str
    #: where the answer's request id is found, first match wins
    request_id_headers: Tuple[str, ...] = attrs.field(converter=_header_names)
    fixed_headers: Tuple[Tuple[str, str], ...] = ()
    default_region: str = ""
    #: a pattern whose group 1 is the region in a standard host name
    host_region: Optional[Pattern[str]] = None
    make_signer: SignerFactory = attrs.field(repr=False, eq=False)
    error_parser: ErrorParser = attrs.field(default=parse_json_error, repr=False, eq=False)

    @property
    def request_id_header(self) -> str:
        """The main request-id header (as the service spells it)."""
        return self.request_id_headers[0]

    def h(self, suffix: str) -> str:
        """A header name in this dialect: ``h("sha256-tree-hash") -> "x-cas-sha256-tree-hash"``."""
        return self.header_prefix + suffix

    def resolve_region(self, region: Optional[str], host: str) -> str:
        """Explicit region, else the one in a standard host name, else the profile default."""
        if region:
            return region
        match = self.host_region.search(host) if self.host_region is not None else None
        return match.group(1) if match else self.default_region

    def signer(
        self, credentials: Credentials, region: str, clock: Callable[[], float] = time.time
    ) -> SignCallback:
        """The transport's ``sign`` callback for these credentials."""
        return self.make_signer(credentials, region, clock)


#: Tencent CAS: x-cas-* headers, q-sign, JSON errors, region in ``cas.<region>.myqcloud.com``
CAS_WIRE = WireProfile(
    name="cas",
    header_prefix="x-cas-",
    request_id_headers=("x-cas-requestId",),
    host_region=re.compile(r"(?:^|\.)cas\.([a-z0-9-]+)\.myqcloud\.com$"),
    make_signer=qsign_signer(),
)

#: AWS Glacier: x-amz-* headers, SigV4 (service ``glacier``), API version header, JSON errors
GLACIER_WIRE = WireProfile(
    name="glacier",
    header_prefix="x-amz-",
    request_id_headers=("x-amzn-RequestId",),
    fixed_headers=(("x-amz-glacier-version", "2012-06-01"),),
    default_region="us-east-1",
    host_region=re.compile(r"(?:^|\.)glacier[.-]([a-z0-9-]+)\.amazonaws\.com$"),
    make_signer=sigv4_signer("glacier"),
)
