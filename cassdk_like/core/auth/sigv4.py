"""AWS Signature Version 4 for the Glacier dialect: the SDK's signer and the emulator's verifier.

Signer and verifier share the canonicalization of ``sigv4_canonical`` (re-exported here), so
the SDK and the emulator cannot disagree. Conventions are described there; in short, ``path`` is
the request-line (percent-encoded) path and ``query`` holds decoded pairs.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import urlsplit, urlunsplit

from cassdk_like.core.auth.presigned import PresignedURL
from cassdk_like.core.auth.problems import (
    BAD_EXPIRES,
    BAD_SCOPE,
    EXPIRED,
    MALFORMED,
    MISMATCH,
    MISSING,
    SKEWED,
    UNKNOWN_KEY,
    UNSIGNED_HEADER,
    AuthProblem,
)
from cassdk_like.core.auth.sigv4_canonical import (
    ALGORITHM,
    EMPTY_SHA256,
    MAX_PRESIGN_EXPIRES,
    UNSIGNED_PAYLOAD,
    HeadersLike,
    canonical_headers,
    canonical_query,
    canonical_request,
    canonical_uri,
    credential_scope,
    format_amz_date,
    group_headers,
    normalize_uri_path,
    parse_amz_date,
    parse_query_string,
    quote_path,
    sign_string,
    signing_key,
    string_to_sign,
    uri_encode,
)
from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.core.http.request import HttpRequest, parse_endpoint, wire_target

__all__ = [
    "ALGORITHM",
    "EMPTY_SHA256",
    "MAX_PRESIGN_EXPIRES",
    "UNSIGNED_PAYLOAD",
    "HeadersLike",
    "SigV4Claim",
    "SigV4Parts",
    "SigV4Problem",
    "SigV4Signer",
    "canonical_headers",
    "canonical_query",
    "canonical_request",
    "canonical_uri",
    "check_sigv4",
    "credential_scope",
    "format_amz_date",
    "group_headers",
    "normalize_uri_path",
    "parse_amz_date",
    "parse_query_string",
    "parse_sigv4_authorization",
    "quote_path",
    "sign_string",
    "signing_key",
    "string_to_sign",
    "uri_encode",
    "verify_sigv4",
]

_AUTH_FIELDS = ("Credential", "SignedHeaders", "Signature")
_PRESIGN_FIELDS = tuple(
    f"X-Amz-{name}" for name in ("Credential", "Date", "Expires", "SignedHeaders", "Signature")
)
_HEX = frozenset("0123456789abcdefABCDEF")

_MISSING = "MissingAuthenticationTokenException"
_UNRECOGNIZED = "UnrecognizedClientException"
_INVALID = "InvalidSignatureException"
_MISMATCH = "The request signature we calculated does not match the signature you provided"


@dataclass(frozen=True)
class SigV4Parts:
    """The intermediate values of one signing; the secret-derived ones stay out of the repr."""

    amz_date: str
    scope: str
    canonical_request: str = field(repr=False)  # holds the session token when one is signed
    string_to_sign: str
    signed_headers: str
    signature: str = field(repr=False)
    authorization: str = field(repr=False)
    headers: Dict[str, str] = field(repr=False)  # to add: X-Amz-Date, X-Amz-Security-Token, Authorization


class SigV4Signer:
    """Signs requests with SigV4 for one access key, region and service.

    ``sign`` signs ``host`` plus every header it is given (the caller decides which: for Glacier
    all ``x-amz-*`` headers, plus ``content-type``/``range`` when sent), and adds X-Amz-Date and,
    with a session token, a signed X-Amz-Security-Token. ``Authorization`` headers in the input are
    ignored and the signer's own date and token replace stale ones, so a retry may re-sign the
    previous attempt's headers. ``sign_session_token=False`` sends the token unsigned (the suite's
    post-sts-header-after case; some older services want it). The repr hides the secret key and
    the session token.
    """

    def __init__(
        self,
        access_key: str,
        secret_key: str,
        *,
        region: str,
        service: str,
        session_token: Optional[str] = None,
        clock: Callable[[], float] = time.time,
        normalize_path: bool = True,
        double_encode: bool = True,
        sign_session_token: bool = True,
    ) -> None:
        if not access_key or not secret_key:
            raise InvalidArgumentError("SigV4 needs a non-empty access key and secret key")
        if not region or not service:
            raise InvalidArgumentError("SigV4 needs a region and a service name")
        self.access_key = access_key
        self._secret_key = secret_key
        self._session_token = session_token or None
        self.region = region
        self.service = service
        self._clock = clock
        self.normalize_path = normalize_path
        self.double_encode = double_encode
        self.sign_session_token = sign_session_token

    def __repr__(self) -> str:
        token = "<hidden>" if self._session_token else "None"
        return (
            f"SigV4Signer(access_key={self.access_key!r}, secret_key=<hidden>, region={self.region!r}, "
            f"service={self.service!r}, session_token={token})"
        )

    def _finish(
        self,
        method: str,
        path: str,
        query: Iterable[Tuple[str, str]],
        signed: List[Tuple[str, str]],
        payload_hash: str,
        amz_date: str,
    ) -> Tuple[str, str, str, str]:
        """Return (canonical request, scope, string to sign, signature)."""
        names = [name for name, _ in signed]
        creq = canonical_request(
            method,
            path,
            query,
            signed,
            names,
            payload_hash,
            normalize_path=self.normalize_path,
            double_encode=self.double_encode,
        )
        date = amz_date[:8]
        scope = credential_scope(date, self.region, self.service)
        sts = string_to_sign(amz_date, scope, creq)
        return creq, scope, sts, sign_string(self._secret_key, date, self.region, self.service, sts)

    def sign_details(
        self,
        method: str,
        path: str,
        query: Iterable[Tuple[str, str]],
        headers: HeadersLike,
        payload_hash: str,
    ) -> SigV4Parts:
        """Like ``sign`` but returns every intermediate value (tests, debugging)."""
        amz_date = format_amz_date(self._clock())
        token = self._session_token
        replaced = {"authorization", "x-amz-date"} | ({"x-amz-security-token"} if token else set())
        items = list(headers.items()) if isinstance(headers, MappingABC) else list(headers)
        signed = [(name, value) for name, value in items if name.strip().lower() not in replaced]
        if not any(name.strip().lower() == "host" for name, _ in signed):
            raise InvalidArgumentError("SigV4 signing needs the Host header among the headers to sign")
        added = {"X-Amz-Date": amz_date}
        signed.append(("X-Amz-Date", amz_date))
        if token:
            added["X-Amz-Security-Token"] = token
            if self.sign_session_token:
                signed.append(("X-Amz-Security-Token", token))
        creq, scope, sts, signature = self._finish(method, path, query, signed, payload_hash, amz_date)
        signed_list = ";".join(sorted({name.strip().lower() for name, _ in signed}))
        authorization = (
            f"{ALGORITHM} Credential={self.access_key}/{scope}, "
            f"SignedHeaders={signed_list}, Signature={signature}"
        )
        added["Authorization"] = authorization
        return SigV4Parts(amz_date, scope, creq, sts, signed_list, signature, authorization, added)

    def sign(
        self,
        method: str,
        path: str,
        query: Iterable[Tuple[str, str]],
        headers: HeadersLike,
        payload_hash: str,
    ) -> Dict[str, str]:
        """Headers to add to the request: X-Amz-Date, X-Amz-Security-Token (if any), Authorization."""
        return self.sign_details(method, path, query, headers, payload_hash).headers

    def presign_url(
        self,
        method: str,
        url: str,
        *,
        expires: int = 3600,
        headers: Optional[Mapping[str, str]] = None,
        payload_hash: str = EMPTY_SHA256,
    ) -> PresignedURL:
        """A query-signed URL (X-Amz-Algorithm ... X-Amz-Signature) valid for ``expires`` seconds.

        ``url`` is absolute, may carry a query, and its path is in request-line form. ``headers``
        (besides host) are signed and must then be sent. S3-style callers pass ``UNSIGNED_PAYLOAD``.
        A session token goes into the query and is signed.
        """
        whole = isinstance(expires, int) and not isinstance(expires, bool)
        if not whole or not 1 <= expires <= MAX_PRESIGN_EXPIRES:
            raise InvalidArgumentError(f"expires must be 1..{MAX_PRESIGN_EXPIRES} seconds, got {expires!r}")
        parts = urlsplit(url)
        if not parts.scheme or not parts.netloc:
            raise InvalidArgumentError("presign_url needs an absolute URL")
        amz_date = format_amz_date(self._clock())
        signed = [("host", parts.netloc.rpartition("@")[2])]
        signed += [(k, v) for k, v in (headers or {}).items() if k.strip().lower() != "host"]
        scope = credential_scope(amz_date[:8], self.region, self.service)
        query = parse_query_string(parts.query)
        query += [
            ("X-Amz-Algorithm", ALGORITHM),
            ("X-Amz-Credential", f"{self.access_key}/{scope}"),
            ("X-Amz-Date", amz_date),
            ("X-Amz-Expires", str(expires)),
            ("X-Amz-SignedHeaders", ";".join(sorted({k.strip().lower() for k, _ in signed}))),
        ]
        if self._session_token:
            query.append(("X-Amz-Security-Token", self._session_token))
        path = parts.path or "/"
        signature = self._finish(method, path, query, signed, payload_hash, amz_date)[3]
        final_query = f"{canonical_query(query)}&X-Amz-Signature={signature}"
        return PresignedURL(urlunsplit((parts.scheme, parts.netloc, path, final_query, "")))

    def presign(
        self,
        request: HttpRequest,
        expires: int,
        *,
        base_url: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
        payload_hash: Optional[str] = None,
    ) -> PresignedURL:
        """``request`` as a query-signed URL on its host (``base_url``, else the request's own).

        The payload is ``UNSIGNED-PAYLOAD`` for S3 and the empty-body hash for other services
        unless ``payload_hash`` says otherwise; ``headers`` are signed and must then be sent.
        """
        chosen = base_url if base_url is not None else request.base_url
        if chosen is None:
            raise InvalidArgumentError(
                "presign needs the host: set the request's base_url or pass base_url",
                operation=request.operation or "presign",
                resource=request.resource or None,
            )
        base, _host = parse_endpoint(chosen)
        if payload_hash is None:
            payload_hash = UNSIGNED_PAYLOAD if self.service == "s3" else EMPTY_SHA256
        try:
            return self.presign_url(
                request.method,
                base + wire_target(request.path, request.query),
                expires=expires,
                headers=headers,
                payload_hash=payload_hash,
            )
        except InvalidArgumentError as exc:
            exc.operation = exc.operation or request.operation or "presign"
            exc.resource = exc.resource or request.resource or None
            raise


def parse_sigv4_authorization(value: str) -> Dict[str, str]:
    """Split ``AWS4-HMAC-SHA256 Credential=.., SignedHeaders=.., Signature=..``; ValueError if garbled."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise ValueError(f"unsupported algorithm (expected {ALGORITHM})")
    fields: Dict[str, str] = {}
    for item in rest.split(","):
        name, sep, val = item.strip().partition("=")
        if not sep or name not in _AUTH_FIELDS or name in fields:
            raise ValueError("malformed Authorization field")
        fields[name] = val.strip()
    missing = [name for name in _AUTH_FIELDS if name not in fields]
    if missing:
        raise ValueError(f"Authorization lacks {', '.join(missing)}")
    return fields


@dataclass(frozen=True)
class SigV4Claim:
    """What a request says about its own signature, already checked for form. ``expires`` is None
    for the Authorization-header form (X-Amz-Date must then be signed)."""

    key_id: str
    scope: Tuple[str, str, str]  # date, region, service
    signed_headers: List[str]
    signature: str = field(repr=False)
    amz_date: str
    signed_at: int
    expires: Optional[int]

    @property
    def presigned(self) -> bool:
        return self.expires is not None

    @property
    def credential_scope(self) -> str:
        return credential_scope(*self.scope)


@dataclass(frozen=True)
class SigV4Problem(AuthProblem):
    """An :class:`AuthProblem` with the claim, once it could be read (S3 errors name its parts)."""

    claim: Optional[SigV4Claim] = None


class _Refused(Exception):
    """A claim that cannot be read: the problem kind and its message."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def _claim_fields(
    authorization: Optional[str], query: Sequence[Tuple[str, str]], grouped: Dict[str, List[str]]
) -> Tuple[str, str, str, str, Optional[int]]:
    """(credential, signed headers, signature, date, expires) from the header or the query."""
    if authorization and authorization.strip():
        try:
            fields = parse_sigv4_authorization(authorization)
        except ValueError as exc:
            raise _Refused(MALFORMED, f"Malformed Authorization header: {exc}") from None
        dates = grouped.get("x-amz-date", [])
        if len(dates) != 1:
            raise _Refused(MALFORMED, "Authorization header requires exactly one X-Amz-Date header")
        return fields["Credential"], fields["SignedHeaders"], fields["Signature"], dates[0], None
    params = dict(query)
    if params.get("X-Amz-Algorithm") != ALGORITHM:
        raise _Refused(MISSING, "Missing Authentication Token (no Authorization header, no presigned query)")
    if any(name not in params for name in _PRESIGN_FIELDS):
        raise _Refused(MALFORMED, "Presigned URL lacks one of " + ", ".join(_PRESIGN_FIELDS))
    expires = params["X-Amz-Expires"]
    if not expires.isdigit() or not 1 <= int(expires) <= MAX_PRESIGN_EXPIRES:
        raise _Refused(BAD_EXPIRES, "Malformed X-Amz-Expires")
    credential, signed = params["X-Amz-Credential"], params["X-Amz-SignedHeaders"]
    return credential, signed, params["X-Amz-Signature"], params["X-Amz-Date"], int(expires)


def _read_claim(
    authorization: Optional[str], query: Sequence[Tuple[str, str]], grouped: Dict[str, List[str]]
) -> SigV4Claim:
    """The claim, checked for form (raises _Refused)."""
    credential, signed_headers, signature, amz_date, expires = _claim_fields(authorization, query, grouped)
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not all(parts):
        raise _Refused(
            MALFORMED, "Malformed Credential (expected <key>/<date>/<region>/<service>/aws4_request)"
        )
    signed_at = parse_amz_date(amz_date)
    if signed_at is None:
        raise _Refused(MALFORMED, "Malformed X-Amz-Date (expected YYYYMMDDTHHMMSSZ)")
    if len(signature) != 64 or not _HEX.issuperset(signature):
        raise _Refused(MALFORMED, "Malformed Signature (expected 64 hex digits)")
    names = [name.strip().lower() for name in signed_headers.split(";") if name.strip()]
    scope = (parts[1], parts[2], parts[3])
    return SigV4Claim(parts[0], scope, names, signature.lower(), amz_date, signed_at, expires)


def _check_claim(
    claim: SigV4Claim, grouped: Dict[str, List[str]], now: float, max_skew: int, expected: Tuple[str, str]
) -> Optional[Tuple[str, str]]:
    """Scope, signed-header and clock checks: (problem kind, message), or None."""
    date, region, service = claim.scope
    problems = [
        (
            date != claim.amz_date[:8],
            BAD_SCOPE,
            "Credential should be scoped to a valid date matching X-Amz-Date",
        ),
        (region != expected[0], BAD_SCOPE, f"Credential should be scoped to a valid region, not {region!r}"),
        (
            service != expected[1],
            BAD_SCOPE,
            f"Credential should be scoped to correct service: {expected[1]!r}",
        ),
        ("host" not in claim.signed_headers, UNSIGNED_HEADER, "'host' must be a signed header"),
        (
            claim.expires is None and "x-amz-date" not in claim.signed_headers,
            UNSIGNED_HEADER,
            "'x-amz-date' must be signed",
        ),
    ]
    problems += [
        (
            name not in grouped,
            UNSIGNED_HEADER,
            f"header {name!r} is listed in SignedHeaders but absent from the request",
        )
        for name in claim.signed_headers
    ]
    age = now - claim.signed_at
    if claim.expires is not None:
        expired = f"Signature expired: the presigned URL expired {int(age - claim.expires)} s ago"
        problems.append((age > claim.expires, EXPIRED, expired))
    else:
        late = f"Signature expired: X-Amz-Date is {int(age)} s behind server time (max {max_skew} s)"
        problems.append((age > max_skew, SKEWED, late))
    early = f"Signature not yet current: X-Amz-Date is {int(-age)} s ahead of server time (max {max_skew} s)"
    problems.append((-age > max_skew, SKEWED, early))
    return next(((kind, message) for failed, kind, message in problems if failed), None)


def check_sigv4(
    authorization: Optional[str],
    *,
    method: str,
    path: str,
    query: Sequence[Tuple[str, str]],
    headers: HeadersLike,
    payload_hash: str,
    secret_for: Callable[[str], Optional[str]],
    now: float,
    region: str,
    service: str,
    max_skew: int = 900,
    normalize_path: bool = True,
    double_encode: bool = True,
) -> Union[SigV4Claim, SigV4Problem]:
    """Check a SigV4 request: the verified claim, or the problem (each service names it).

    Accepts the Authorization-header form and, when that header is absent, the presigned query
    form. ``path`` is the request-line path, ``query`` the decoded pairs, ``payload_hash`` the
    x-amz-content-sha256 value or the SHA-256 of the body. Messages never include the secret or
    the expected signature.
    """
    presigned = not (authorization and authorization.strip())
    grouped = group_headers(headers)
    try:
        claim = _read_claim(authorization, query, grouped)
    except _Refused as refused:
        return SigV4Problem(refused.kind, refused.message, presigned)
    secret = secret_for(claim.key_id)
    if secret is None:
        message = "The security token included in the request is invalid (unknown access key)"
        return SigV4Problem(UNKNOWN_KEY, message, presigned, claim)
    found = _check_claim(claim, grouped, now, max_skew, (region, service))
    if found is not None:
        return SigV4Problem(found[0], found[1], presigned, claim)
    signed_query = query if claim.expires is None else [(k, v) for k, v in query if k != "X-Amz-Signature"]
    creq = canonical_request(
        method,
        path,
        signed_query,
        headers,
        claim.signed_headers,
        payload_hash,
        normalize_path=normalize_path,
        double_encode=double_encode,
    )
    sts = string_to_sign(claim.amz_date, claim.credential_scope, creq)
    if not hmac.compare_digest(sign_string(secret, *claim.scope, sts), claim.signature):
        return SigV4Problem(MISMATCH, _MISMATCH, presigned, claim)
    return claim


#: the Glacier-style code of each problem kind (what ``verify_sigv4`` answers)
_GLACIER_CODES = {
    MISSING: _MISSING,
    MALFORMED: _MISSING,
    BAD_EXPIRES: _MISSING,
    UNKNOWN_KEY: _UNRECOGNIZED,
}


def verify_sigv4(
    authorization: Optional[str],
    *,
    method: str,
    path: str,
    query: Sequence[Tuple[str, str]],
    headers: HeadersLike,
    payload_hash: str,
    secret_for: Callable[[str], Optional[str]],
    now: float,
    region: str,
    service: str,
    max_skew: int = 900,
    normalize_path: bool = True,
    double_encode: bool = True,
) -> Optional[Tuple[str, str]]:
    """:func:`check_sigv4` in Glacier's codes: ``None`` when valid, else (error code, message)."""
    found = check_sigv4(
        authorization,
        method=method,
        path=path,
        query=query,
        headers=headers,
        payload_hash=payload_hash,
        secret_for=secret_for,
        now=now,
        region=region,
        service=service,
        max_skew=max_skew,
        normalize_path=normalize_path,
        double_encode=double_encode,
    )
    if isinstance(found, SigV4Claim):
        return None
    return _GLACIER_CODES.get(found.kind, _INVALID), found.message
