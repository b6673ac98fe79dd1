"""Tencent CAS ``q-sign`` request signing (HMAC-SHA1), byte-exact with docs/vault-protocol.md §2.

CAS does not use AWS SigV4: a client declares which headers and query parameters it signs
(``q-header-list`` / ``q-url-param-list``) and a validity window (``q-sign-time``). The server
recomputes the signature over exactly the declared lists, so the client may add unsigned headers
(``User-Agent``, ``Content-Range``, ...) after signing. The same code serves the SDK (``QSigner``)
and the emulator (``verify_qsign``), so the two cannot drift apart.

Choices where the protocol is silent or sources disagree:

* an empty value is written ``key=`` (as the documentation's example does), not a bare ``key``
  (as the original SDK does); CAS has no value-less parameters, so this only matters for callers
  who send some anyway;
* parameter *values* are lowercased before encoding (the documentation and the original SDK do
  this), header values are not;
* duplicate parameter keys are all signed, sorted by (key, encoded value); each key is listed once
  in ``q-url-param-list``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import quote, quote_plus

from cassdk_like.core.auth.presigned import PresignedURL
from cassdk_like.core.auth.problems import (
    BAD_EXPIRES,
    EXPIRED,
    MALFORMED,
    MISMATCH,
    MISSING,
    SKEWED,
    UNKNOWN_KEY,
    UNSIGNED_HEADER,
    AuthProblem,
)
from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.core.http.request import HttpRequest, parse_endpoint, wire_target

__all__ = [
    "COS_SIGNED_HEADERS",
    "DEFAULT_EXPIRES",
    "FLAVORS",
    "MAX_QSIGN_EXPIRES",
    "QSIGN_FIELDS",
    "QSignParts",
    "QSigner",
    "build_authorization",
    "check_qsign",
    "compute_qsign",
    "cos_signs",
    "format_headers",
    "format_parameters",
    "parse_authorization",
    "qsign_encode",
    "qsign_from_query",
    "qsign_key",
    "signed_key",
    "verify_qsign",
]

#: validity window of a signature in seconds (the original SDK's ``DefaultAuthTimeout``)
DEFAULT_EXPIRES = 1200
#: the longest presigned validity offered (the SigV4 limit, 7 days)
MAX_QSIGN_EXPIRES = 7 * 24 * 3600
#: the two encodings of the lists: Tencent CAS, and COS as cos-python-sdk-v5 signs it
FLAVORS = frozenset({"cas", "cos"})
#: the q-sign fields, in the order they are written (also the presigned query's field names)
QSIGN_FIELDS = (
    "q-sign-algorithm",
    "q-ak",
    "q-sign-time",
    "q-key-time",
    "q-header-list",
    "q-url-param-list",
    "q-signature",
)

_FIELDS = QSIGN_FIELDS
_TIME_RE = re.compile(r"^(\d{10});(\d{10})$")
_HEX40_RE = re.compile(r"^[0-9a-fA-F]{40}$")

_MISSING = "MissingAuthenticationTokenException"
_UNRECOGNIZED = "UnrecognizedClientException"
_INVALID = "InvalidSignatureException"


def qsign_encode(value: str) -> str:
    """RFC 3986 percent-encoding: keep ``A-Za-z0-9-_.~``, ``%XX`` upper case, space as ``%20``."""
    return quote(value, safe="")


def _check_flavor(flavor: str) -> str:
    if flavor not in FLAVORS:
        raise InvalidArgumentError(f"unknown q-sign flavor {flavor!r}; expected one of {sorted(FLAVORS)}")
    return flavor


def signed_key(name: str, flavor: str = "cas") -> str:
    """The form a header or parameter name takes in the lists: CAS lowercases, COS encodes then lowercases."""
    if flavor == "cos":
        return qsign_encode(name).lower()
    return name.strip().lower()


#: headers COS signs when present (cos-python-sdk-v5's list), besides every x-cos-* and x-ci-*
COS_SIGNED_HEADERS = frozenset(
    {
        "cache-control",
        "content-disposition",
        "content-encoding",
        "content-type",
        "content-md5",
        "content-length",
        "expect",
        "expires",
        "host",
        "if-match",
        "if-modified-since",
        "if-none-match",
        "if-unmodified-since",
        "origin",
        "range",
        "transfer-encoding",
        "pic-operations",
    }
)


def cos_signs(name: str) -> bool:
    """True for a header COS's own SDK puts in the signature (so a COS server expects it signed)."""
    lowered = name.strip().lower()
    return lowered in COS_SIGNED_HEADERS or lowered.startswith(("x-cos-", "x-ci-"))


def format_parameters(params: Sequence[Tuple[str, str]], flavor: str = "cas") -> Tuple[str, str]:
    """Return (FormatParameters, q-url-param-list).

    CAS lowercases keys and values before encoding; COS (cos-python-sdk-v5) encodes first, then
    lowercases the key only (so ``%C3%A9`` becomes ``%c3%a9``) and keeps the value's case.
    """
    if _check_flavor(flavor) == "cos":
        pairs = sorted((signed_key(key, flavor), qsign_encode(str(value))) for key, value in params)
        text = "&".join(f"{key}={value}" for key, value in pairs)
    else:
        pairs = sorted((signed_key(key), qsign_encode(str(value).lower())) for key, value in params)
        text = "&".join(f"{qsign_encode(key)}={value}" for key, value in pairs)
    names = sorted({key for key, _ in pairs})
    return text, ";".join(names)


def format_headers(headers: Mapping[str, str], flavor: str = "cas") -> Tuple[str, str]:
    """Return (FormatHeaders, q-header-list); names as :func:`signed_key` says, values encoded as given."""
    _check_flavor(flavor)
    lowered: Dict[str, str] = {}
    for name, value in headers.items():
        key = signed_key(name, flavor)
        if key in lowered:
            raise InvalidArgumentError(f"header {key!r} is given twice (names are case-insensitive)")
        lowered[key] = str(value)
    keys = sorted(lowered)
    text = "&".join(f"{key}={qsign_encode(lowered[key])}" for key in keys)
    return text, ";".join(keys)


@dataclass(frozen=True)
class QSignParts:
    """Every intermediate value of one q-sign computation (tests and debugging compare these).

    ``sign_key``, ``signature`` and ``authorization`` are derived from the secret key and stay out
    of the repr.
    """

    format_parameters: str
    url_param_list: str
    format_headers: str
    header_list: str
    format_string: str
    format_string_sha1: str
    string_to_sign: str
    sign_key: str = field(repr=False)
    signature: str = field(repr=False)
    authorization: str = field(repr=False)


def _hmac_sha1_hex(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha1).hexdigest()


def qsign_key(secret_key: str, key_time: str) -> str:
    """SignKey: the hex HMAC-SHA1 of the key time under the secret key (requests and POST policies)."""
    return _hmac_sha1_hex(secret_key.encode("utf-8"), key_time)


def compute_qsign(
    *,
    secret_id: str,
    secret_key: str,
    method: str,
    path: str,
    params: Sequence[Tuple[str, str]],
    headers: Mapping[str, str],
    sign_time: str,
    key_time: Optional[str] = None,
    flavor: str = "cas",
) -> QSignParts:
    """Compute the q-sign over exactly ``params`` and ``headers``; ``path`` is raw (not encoded)."""
    key_time = sign_time if key_time is None else key_time
    fmt_params, param_list = format_parameters(params, flavor)
    fmt_headers, header_list = format_headers(headers, flavor)
    format_string = f"{method.lower()}\n{path}\n{fmt_params}\n{fmt_headers}\n"
    digest = hashlib.sha1(format_string.encode("utf-8")).hexdigest()
    string_to_sign = f"sha1\n{sign_time}\n{digest}\n"
    sign_key = qsign_key(secret_key, key_time)
    # the key of the second HMAC is the *hex text* of SignKey, not its raw bytes
    signature = _hmac_sha1_hex(sign_key.encode("ascii"), string_to_sign)
    authorization = (
        f"q-sign-algorithm=sha1&q-ak={secret_id}&q-sign-time={sign_time}&q-key-time={key_time}"
        f"&q-header-list={header_list}&q-url-param-list={param_list}&q-signature={signature}"
    )
    return QSignParts(
        format_parameters=fmt_params,
        url_param_list=param_list,
        format_headers=fmt_headers,
        header_list=header_list,
        format_string=format_string,
        format_string_sha1=digest,
        string_to_sign=string_to_sign,
        sign_key=sign_key,
        signature=signature,
        authorization=authorization,
    )


def build_authorization(
    *,
    secret_id: str,
    secret_key: str,
    method: str,
    path: str,
    params: Sequence[Tuple[str, str]],
    headers: Mapping[str, str],
    start: int,
    end: int,
    flavor: str = "cas",
) -> str:
    """The ``Authorization`` value for a request signed for ``start``..``end`` (Unix seconds)."""
    if not 0 <= start <= end <= 9_999_999_999:
        raise InvalidArgumentError(f"bad q-sign validity window {start};{end}")
    window = f"{start:010d};{end:010d}"
    return compute_qsign(
        secret_id=secret_id,
        secret_key=secret_key,
        method=method,
        path=path,
        params=params,
        headers=headers,
        sign_time=window,
        flavor=flavor,
    ).authorization


class QSigner:
    """Signs CAS (and COS) requests; the SDK's transport calls ``sign`` before every attempt.

    The window starts ``backdate`` seconds before ``clock()`` (injectable, so tests can freeze
    time; COS's SDK backdates 60 s to absorb clock skew) and ends ``expires`` seconds after it.
    ``flavor`` picks how names are encoded ("cas" or "cos", see :func:`format_parameters`).
    The secret key never appears in the repr.
    """

    __slots__ = ("_clock", "_secret_key", "backdate", "expires", "flavor", "secret_id")

    def __init__(
        self,
        secret_id: str,
        secret_key: str,
        *,
        expires: int = DEFAULT_EXPIRES,
        clock: Callable[[], float] = time.time,
        flavor: str = "cas",
        backdate: int = 0,
    ) -> None:
        if not secret_id or not secret_key:
            raise InvalidArgumentError("q-sign needs a non-empty secret id and secret key")
        if expires <= 0:
            raise InvalidArgumentError(f"expires must be positive, got {expires}")
        if isinstance(backdate, bool) or not isinstance(backdate, int) or backdate < 0:
            raise InvalidArgumentError(f"backdate must be an int >= 0, got {backdate!r}")
        self.secret_id = secret_id
        self._secret_key = secret_key
        self.expires = expires
        self._clock = clock
        self.flavor = _check_flavor(flavor)
        self.backdate = backdate

    def __repr__(self) -> str:
        return (
            f"QSigner(secret_id={self.secret_id!r}, secret_key=<hidden>, expires={self.expires}, "
            f"flavor={self.flavor!r})"
        )

    def _authorization(
        self,
        method: str,
        path: str,
        params: Sequence[Tuple[str, str]],
        headers: Mapping[str, str],
        expires: int,
    ) -> str:
        now = int(self._clock())
        return build_authorization(
            secret_id=self.secret_id,
            secret_key=self._secret_key,
            method=method,
            path=path,
            params=params,
            headers=headers,
            start=max(now - self.backdate, 0),
            end=now + expires,
            flavor=self.flavor,
        )

    def sign(
        self,
        method: str,
        path: str,
        params: Sequence[Tuple[str, str]],
        headers: Mapping[str, str],
    ) -> str:
        """Return the ``Authorization`` value; signs exactly the headers given (caller chooses)."""
        return self._authorization(method, path, params, headers, self.expires)

    def presign(
        self,
        request: HttpRequest,
        expires: int,
        *,
        base_url: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> PresignedURL:
        """A URL that carries the q-sign fields in its query, valid for ``expires`` seconds.

        Signs the Host of ``base_url`` (default: the request's), every query parameter of the
        request and ``headers`` (which the user of the URL must then send). The request's own
        query follows the signature fields, as COS writes it.
        """
        if isinstance(expires, bool) or not isinstance(expires, int) or not 1 <= expires <= MAX_QSIGN_EXPIRES:
            raise InvalidArgumentError(
                f"expires must be 1..{MAX_QSIGN_EXPIRES} seconds, got {expires!r}",
                operation=request.operation or "presign",
                resource=request.resource or None,
            )
        base, host = _presign_target(request, base_url)
        signed = {"host": host}
        signed.update({k: v for k, v in (headers or {}).items() if k.strip().lower() != "host"})
        authorization = self._authorization(request.method, request.path, request.query, signed, expires)
        fields = parse_authorization(authorization)
        query = "&".join(f"{name}={quote_plus(fields[name], safe='')}" for name in QSIGN_FIELDS)
        target = wire_target(request.path, request.query)
        path, _, own_query = target.partition("?")
        return PresignedURL(f"{base}{path}?{query}" + (f"&{own_query}" if own_query else ""))


def _presign_target(request: HttpRequest, base_url: Optional[str]) -> Tuple[str, str]:
    chosen = base_url if base_url is not None else request.base_url
    if chosen is None:
        raise InvalidArgumentError(
            "presign needs the host: set the request's base_url or pass base_url",
            operation=request.operation or "presign",
            resource=request.resource or None,
        )
    return parse_endpoint(chosen)


def qsign_from_query(params: Sequence[Tuple[str, str]]) -> Tuple[Optional[str], List[Tuple[str, str]]]:
    """Split a presigned query into (the Authorization text it carries, the other parameters).

    The first element is None when the query holds no ``q-signature`` (not presigned).
    """
    found = {key: value for key, value in params if key in QSIGN_FIELDS}
    rest = [(key, value) for key, value in params if key not in QSIGN_FIELDS]
    if "q-signature" not in found:
        return None, list(params)
    text = "&".join(f"{name}={found[name]}" for name in QSIGN_FIELDS if name in found)
    return text, rest


def parse_authorization(value: str) -> Dict[str, str]:
    """Split a q-sign ``Authorization`` value into its seven fields; ``ValueError`` if garbled."""
    fields: Dict[str, str] = {}
    for item in value.strip().split("&"):
        name, sep, val = item.partition("=")
        name = name.strip()
        if not sep or name not in _FIELDS or name in fields:
            raise ValueError("malformed q-sign Authorization field")
        fields[name] = val.strip()
    missing = [name for name in _FIELDS if name not in fields]
    if missing:
        raise ValueError(f"q-sign Authorization lacks {', '.join(missing)}")
    return fields


def _parse_window(value: str) -> Optional[Tuple[int, int]]:
    match = _TIME_RE.match(value)
    if match is None:
        return None
    start, end = int(match.group(1)), int(match.group(2))
    return (start, end) if start <= end else None


def _split_list(value: str) -> List[str]:
    return sorted({item.strip().lower() for item in value.split(";") if item.strip()})


def _select_signed(
    fields: Dict[str, str],
    params: Sequence[Tuple[str, str]],
    headers: Mapping[str, str],
    flavor: str,
) -> Tuple[Optional[str], List[Tuple[str, str]], Dict[str, str]]:
    """Pick the declared headers/params from the request; first element is an error message."""
    by_name = {signed_key(name, flavor): value for name, value in headers.items()}
    chosen_headers: Dict[str, str] = {}
    for name in _split_list(fields["q-header-list"]):
        if name not in by_name:
            return f"header {name!r} is listed in q-header-list but absent from the request", [], {}
        chosen_headers[next(k for k in headers if signed_key(k, flavor) == name)] = by_name[name]
    chosen_params: List[Tuple[str, str]] = []
    for name in _split_list(fields["q-url-param-list"]):
        found = [(key, value) for key, value in params if signed_key(key, flavor) == name]
        if not found:
            return f"parameter {name!r} is listed in q-url-param-list but absent from the request", [], {}
        chosen_params.extend(found)
    return None, chosen_params, chosen_headers


def check_qsign(
    authorization: Optional[str],
    *,
    method: str,
    path: str,
    params: Sequence[Tuple[str, str]],
    headers: Mapping[str, str],
    secret_for: Callable[[str], Optional[str]],
    now: float,
    max_skew: int = 900,
    flavor: str = "cas",
    presigned: bool = False,
) -> Optional[AuthProblem]:
    """Check a q-sign request: ``None`` when valid, else the problem (each service names it).

    ``path`` is the decoded request path, ``params`` the decoded query pairs (without the q-sign
    fields of a presigned query, which ``authorization`` then carries). The window is expired once
    ``now`` passes its end; its start may be at most ``max_skew`` seconds ahead of ``now`` (client
    clocks run fast). Messages never include the secret or the expected signature.
    """
    if not authorization or not authorization.strip():
        return AuthProblem(MISSING, "Missing Authorization header (q-sign)", presigned)
    try:
        fields = parse_authorization(authorization)
    except ValueError as exc:
        return AuthProblem(MALFORMED, f"Malformed Authorization header: {exc}", presigned)
    if fields["q-sign-algorithm"].lower() != "sha1":
        return AuthProblem(MALFORMED, "Unsupported q-sign-algorithm (only sha1 is accepted)", presigned)
    sign_window = _parse_window(fields["q-sign-time"])
    key_window = _parse_window(fields["q-key-time"])
    if sign_window is None or key_window is None:
        message = "Malformed q-sign-time or q-key-time (expected '<start>;<end>' in seconds)"
        return AuthProblem(MALFORMED, message, presigned)
    if not _HEX40_RE.match(fields["q-signature"]):
        return AuthProblem(MALFORMED, "Malformed q-signature (expected 40 hex digits)", presigned)
    secret = secret_for(fields["q-ak"])
    if secret is None:
        return AuthProblem(UNKNOWN_KEY, "The q-ak in the request is not a known secret id", presigned)
    if not key_window[0] <= sign_window[0] <= sign_window[1] <= key_window[1]:
        return AuthProblem(BAD_EXPIRES, "q-sign-time is not within q-key-time", presigned)
    if now > sign_window[1]:
        message = f"Signature expired: q-sign-time ended {int(now - sign_window[1])} s ago"
        return AuthProblem(EXPIRED, message, presigned)
    if sign_window[0] > now + max_skew:
        message = (
            f"Signature not yet valid: q-sign-time starts {int(sign_window[0] - now)} s in the "
            f"future (more than the {max_skew} s allowed for clock skew)"
        )
        return AuthProblem(SKEWED, message, presigned)
    error, chosen_params, chosen_headers = _select_signed(fields, params, headers, flavor)
    if error is not None:
        return AuthProblem(UNSIGNED_HEADER, error, presigned)
    parts = compute_qsign(
        secret_id=fields["q-ak"],
        secret_key=secret,
        method=method,
        path=path,
        params=chosen_params,
        headers=chosen_headers,
        sign_time=fields["q-sign-time"],
        key_time=fields["q-key-time"],
        flavor=flavor,
    )
    if not hmac.compare_digest(parts.signature, fields["q-signature"].lower()):
        message = "The request signature we calculated does not match the signature you provided"
        return AuthProblem(MISMATCH, message, presigned)
    return None


#: the CAS code of each problem kind (what ``verify_qsign`` answers); the rest are signature errors
_CAS_CODES = {MISSING: _MISSING, MALFORMED: _MISSING, UNKNOWN_KEY: _UNRECOGNIZED}


def verify_qsign(
    authorization: Optional[str],
    *,
    method: str,
    path: str,
    params: Sequence[Tuple[str, str]],
    headers: Mapping[str, str],
    secret_for: Callable[[str], Optional[str]],
    now: float,
    max_skew: int = 900,
    flavor: str = "cas",
) -> Optional[Tuple[str, str]]:
    """:func:`check_qsign` in CAS's codes: ``None`` when valid, else (error code, message)."""
    problem = check_qsign(
        authorization,
        method=method,
        path=path,
        params=params,
        headers=headers,
        secret_for=secret_for,
        now=now,
        max_skew=max_skew,
        flavor=flavor,
    )
    if problem is None:
        return None
    return _CAS_CODES.get(problem.kind, _INVALID), problem.message
