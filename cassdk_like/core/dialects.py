"""Every difference between the CAS and Glacier wire dialects, in one frozen object per dialect.

The client builds one request shape for both services; a :class:`Dialect` supplies what differs:
header prefix (``x-cas-`` / ``x-amz-``), request-id header, fixed headers (Glacier's API version),
the account path segment, JSON field names (``VaultQCS``/``VaultARN``, ``policy``/``Policy``,
``CallBackUrl``/``SNSTopic``), the job types on offer, the signer, and error parsing
(docs/vault-protocol.md §7). Keeping them here stops ``if dialect == ...`` spreading through the client.
"""

from __future__ import annotations

import hashlib
import re
import time
from typing import Callable, Dict, FrozenSet, Mapping, Optional, Pattern, Tuple, Union

import attrs

from cassdk_like.core.auth.qsign import QSigner
from cassdk_like.core.auth.sigv4 import SigV4Signer, quote_path
from cassdk_like.core.config import Credentials
from cassdk_like.core.exceptions import CASServerError, InvalidArgumentError
from cassdk_like.core.http.request import HttpRequest, RequestBody
from cassdk_like.core.http.response import HttpResponse
from cassdk_like.core.integrity import hash_file

__all__ = [
    "CAS",
    "GLACIER",
    "Dialect",
    "SignCallback",
    "SignerFactory",
    "get_dialect",
]

#: called by the transport before every attempt with the final header dict; adds Authorization
SignCallback = Callable[[HttpRequest, Dict[str, str]], None]
#: (credentials, region, clock) -> SignCallback
SignerFactory = Callable[[Credentials, str, Callable[[], float]], SignCallback]

_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _cas_signs(name: str, request: HttpRequest) -> bool:
    """The original SDK's choice (docs/vault-protocol.md §2.2): host, x-cas-*, range, and the
    content-length the client set itself (archive and part uploads); the transport's
    Content-Length on JSON bodies and empty requests stays unsigned, as httplib's was."""
    if name in ("host", "range") or name.startswith("x-cas-"):
        return True
    return name == "content-length" and any(k.lower() == "content-length" for k in request.headers)


def _cas_signer(credentials: Credentials, region: str, clock: Callable[[], float]) -> SignCallback:
    """q-sign (HMAC-SHA1) over every query parameter and the headers ``_cas_signs`` selects."""
    del region  # the CAS region is part of the host name
    signer = QSigner(credentials.secret_id, credentials.secret_key, clock=clock)

    def sign(request: HttpRequest, headers: Dict[str, str]) -> None:
        signed = {k.lower(): v for k, v in headers.items() if _cas_signs(k.lower(), request)}
        headers["Authorization"] = signer.sign(request.method, request.path, list(request.query), signed)

    return sign


def _payload_sha256(request: HttpRequest, headers: Mapping[str, str]) -> str:
    """SigV4 payload hash: x-amz-content-sha256 when the client set it, else hash the body."""
    for key, value in headers.items():
        if key.lower() == "x-amz-content-sha256":
            return value
    body = request.body
    if body is None:
        return _EMPTY_SHA256
    if isinstance(body, RequestBody):
        return hash_file(body.fileobj, body.offset, body.length, operation=request.operation).sha256
    return hashlib.sha256(body).hexdigest()


def _glacier_signs(name: str) -> bool:
    """Host, every x-amz-* header (content hash, tree hash, version, ...), content-type and range."""
    return name in ("host", "content-type", "range") or name.startswith("x-amz-")


def _glacier_signer(credentials: Credentials, region: str, clock: Callable[[], float]) -> SignCallback:
    """AWS SigV4 with service ``glacier``."""
    signer = SigV4Signer(
        credentials.secret_id,
        credentials.secret_key,
        region=region,
        service="glacier",
        session_token=credentials.session_token,
        clock=clock,
    )

    def sign(request: HttpRequest, headers: Dict[str, str]) -> None:
        signed = {k: v for k, v in headers.items() if _glacier_signs(k.lower())}
        payload_hash = _payload_sha256(request, headers)
        path = quote_path(request.path)  # SigV4 wants the request-line form
        headers.update(signer.sign(request.method, path, list(request.query), signed, payload_hash))

    return sign


@attrs.frozen(kw_only=True)
class Dialect:
    """One wire dialect. Immutable, so thread-safe and shareable between clients."""

    name: str
    header_prefix: str
    request_id_header: str
    fixed_headers: Tuple[Tuple[str, str], ...] = ()
    qcs_field: str
    policy_field: str
    callback_field: str
    job_types: FrozenSet[str]
    #: account path segment when no uid is given; ``None`` means "the appid" (the original CAS SDK)
    default_uid: Optional[str]
    default_region: str = ""
    host_region: Optional[Pattern[str]] = None
    make_signer: SignerFactory = attrs.field(repr=False, eq=False)

    def h(self, suffix: str) -> str:
        """A dialect header name: ``h("sha256-tree-hash") -> "x-cas-sha256-tree-hash"``."""
        return self.header_prefix + suffix

    def account(self, appid: Optional[str], uid: Optional[str]) -> str:
        """The ``/<UID>`` path segment: explicit uid, else the dialect default, else the appid, else ``-``."""
        if uid:
            return uid
        if self.default_uid is not None:
            return self.default_uid
        return appid or "-"

    def resolve_region(self, region: Optional[str], host: str) -> str:
        """Explicit region, else the one in a standard host name, else the dialect default."""
        if region:
            return region
        match = self.host_region.search(host) if self.host_region is not None else None
        return match.group(1) if match else self.default_region

    def signer(
        self, credentials: Credentials, region: str, clock: Callable[[], float] = time.time
    ) -> SignCallback:
        """The transport's ``sign`` callback for these credentials."""
        return self.make_signer(credentials, region, clock)

    def parse_error(
        self, response: HttpResponse, *, operation: Optional[str] = None, resource: Optional[str] = None
    ) -> CASServerError:
        """The typed error for a non-2xx response (non-JSON bodies too: docs/original-sdk-defects.md #4).

        ``operation``/``resource`` default to the labels the request carried.
        """
        return CASServerError.from_response(
            response.status,
            response.headers,
            response.body,
            request_id=response.request_id,
            operation=operation or response.operation or None,
            resource=resource or response.resource or None,
        )


CAS = Dialect(
    name="cas",
    header_prefix="x-cas-",
    request_id_header="x-cas-requestId",
    qcs_field="VaultQCS",
    policy_field="policy",
    callback_field="CallBackUrl",
    job_types=frozenset({"archive-retrieval", "inventory-retrieval", "push-to-cos", "pull-from-cos"}),
    default_uid=None,
    host_region=re.compile(r"(?:^|\.)cas\.([a-z0-9-]+)\.myqcloud\.com$"),
    make_signer=_cas_signer,
)

GLACIER = Dialect(
    name="glacier",
    header_prefix="x-amz-",
    request_id_header="x-amzn-RequestId",
    fixed_headers=(("x-amz-glacier-version", "2012-06-01"),),
    qcs_field="VaultARN",
    policy_field="Policy",
    callback_field="SNSTopic",
    job_types=frozenset({"archive-retrieval", "inventory-retrieval"}),
    default_uid="-",
    default_region="us-east-1",
    host_region=re.compile(r"(?:^|\.)glacier[.-]([a-z0-9-]+)\.amazonaws\.com$"),
    make_signer=_glacier_signer,
)

_BY_NAME = {dialect.name: dialect for dialect in (CAS, GLACIER)}


def get_dialect(name: Union[str, Dialect]) -> Dialect:
    """Look a dialect up by name ("cas" or "glacier", any case); a Dialect is returned as is."""
    if isinstance(name, Dialect):
        return name
    dialect = _BY_NAME.get(str(name).strip().lower())
    if dialect is None:
        raise InvalidArgumentError(f"unknown dialect {name!r}; expected one of {sorted(_BY_NAME)}")
    return dialect
