"""The pure text transforms of AWS Signature Version 4: canonical request, string to sign, key.

Kept apart from the signer and the verifier (``sigv4.py``, which re-exports everything here) so
both sides build byte-identical canonical requests, and so each module stays small. Checked
against every case of AWS's SigV4 test suite (tests/data/aws-sigv4-testsuite).

Conventions (they matter for byte-exact signatures):

* ``path`` is the path *as written on the request line*, already percent-encoded by the transport
  (``quote_path`` builds it from a raw path). With ``double_encode=True`` (generic AWS services,
  Glacier as botocore signs it, the test suite) the canonical URI is that path URI-encoded once
  more, so ``%`` becomes ``%25``. With ``double_encode=False`` (S3 style) the request-line path is
  the canonical URI: only characters that cannot stand on a request line are encoded and valid
  ``%XX`` escapes are kept. For CAS/Glacier paths (``/-/vaults/<name>/...``, names of
  ``A-Za-z0-9_.-``) both give the same result.
* ``normalize=True`` removes ``.``/``..`` segments and repeated slashes (RFC 3986 5.2.4 as AWS
  applies it); S3-style callers pass ``False``.
* ``query`` holds *decoded* (key, value) pairs; the canonical form encodes each with RFC 3986 and
  sorts by encoded key, then encoded value; an empty value gives ``key=``.
* ``headers`` is a mapping or a sequence of pairs (repeated names allowed, joined with commas in
  order); names are lowercased; values are trimmed and every inner whitespace run, including the
  line breaks of folded multi-line values, becomes one space.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import re
import time
from collections.abc import Mapping as MappingABC
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import quote, unquote_plus

from cassdk_like.core.exceptions import InvalidArgumentError

__all__ = [
    "ALGORITHM",
    "CHUNK_ALGORITHM",
    "EMPTY_SHA256",
    "MAX_PRESIGN_EXPIRES",
    "TRAILER_ALGORITHM",
    "UNSIGNED_PAYLOAD",
    "HeadersLike",
    "canonical_headers",
    "canonical_query",
    "canonical_request",
    "canonical_uri",
    "chunk_string_to_sign",
    "credential_scope",
    "format_amz_date",
    "group_headers",
    "normalize_uri_path",
    "parse_amz_date",
    "parse_query_string",
    "quote_path",
    "sign_string",
    "signing_key",
    "string_to_sign",
    "trailer_string_to_sign",
    "uri_encode",
]

ALGORITHM = "AWS4-HMAC-SHA256"
#: payload hash of an empty body (GET, DELETE, presigned URLs of generic services)
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
#: S3's marker for a body that is not covered by the signature (Glacier does not use it)
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
#: the longest validity AWS accepts for a presigned URL (7 days)
MAX_PRESIGN_EXPIRES = 7 * 24 * 3600

HeadersLike = Union[Mapping[str, str], Sequence[Tuple[str, str]]]

_WS_RE = re.compile(r"[ \t\r\n\f\v]+")
_PCT_RE = re.compile(r"%[0-9A-Fa-f]{2}")
_AMZ_DATE_RE = re.compile(r"^\d{8}T\d{6}Z$")


def uri_encode(value: str, *, keep_slash: bool = False) -> str:
    """RFC 3986 encoding of UTF-8: keep ``A-Za-z0-9-_.~`` (and ``/`` if asked), else ``%XX``."""
    return quote(value, safe="/" if keep_slash else "")


def quote_path(raw_path: str) -> str:
    """The request-line form of a raw path; the transport should build its URLs with it too."""
    return uri_encode(raw_path or "/", keep_slash=True)


def normalize_uri_path(path: str) -> str:
    """Remove dot segments and empty segments, keeping the leading and a meaningful trailing slash."""
    kept: List[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if kept:
                kept.pop()
            continue
        kept.append(segment)
    trailing = "/" if kept and path.endswith(("/", "/.", "/..")) else ""
    return "/" + "/".join(kept) + trailing


def _requote(path: str) -> str:
    """Encode what cannot stand on a request line, keeping valid ``%XX`` escapes (upper-cased)."""
    pieces: List[str] = []
    pos = 0
    for match in _PCT_RE.finditer(path):
        pieces.append(uri_encode(path[pos : match.start()], keep_slash=True))
        pieces.append(match.group(0).upper())
        pos = match.end()
    pieces.append(uri_encode(path[pos:], keep_slash=True))
    return "".join(pieces)


def canonical_uri(path: str, *, normalize: bool = True, double_encode: bool = True) -> str:
    """The CanonicalURI line from a request-line path (see the module docstring)."""
    path = path or "/"
    if normalize:
        path = normalize_uri_path(path)
    return uri_encode(path, keep_slash=True) if double_encode else _requote(path)


def canonical_query(query: Iterable[Tuple[str, str]]) -> str:
    """The CanonicalQueryString; also a valid query string to send (all values RFC 3986 encoded)."""
    pairs = sorted((uri_encode(key), uri_encode(value)) for key, value in query)
    return "&".join(f"{key}={value}" for key, value in pairs)


def parse_query_string(query_string: str) -> List[Tuple[str, str]]:
    """Decode ``a=1&b=&c`` into pairs, keeping order, blanks and repeats (``+`` reads as space)."""
    pairs: List[Tuple[str, str]] = []
    for item in query_string.split("&"):
        if item:
            key, _, value = item.partition("=")
            pairs.append((unquote_plus(key), unquote_plus(value)))
    return pairs


def group_headers(headers: HeadersLike) -> Dict[str, List[str]]:
    """Lowercased name -> canonical values in order (trimmed, whitespace runs collapsed)."""
    items = headers.items() if isinstance(headers, MappingABC) else headers
    grouped: Dict[str, List[str]] = {}
    for name, value in items:
        grouped.setdefault(name.strip().lower(), []).append(_WS_RE.sub(" ", str(value)).strip())
    return grouped


def canonical_headers(headers: HeadersLike, signed_headers: Iterable[str]) -> Tuple[str, str]:
    """Return (CanonicalHeaders block, SignedHeaders list) for the named headers only."""
    grouped = group_headers(headers)
    names = sorted({name.strip().lower() for name in signed_headers})
    lines: List[str] = []
    for name in names:
        if name not in grouped:
            raise InvalidArgumentError(f"signed header {name!r} is not in the request")
        lines.append(f"{name}:{','.join(grouped[name])}\n")
    return "".join(lines), ";".join(names)


def canonical_request(
    method: str,
    path: str,
    query: Iterable[Tuple[str, str]],
    headers: HeadersLike,
    signed_headers: Iterable[str],
    payload_hash: str,
    *,
    normalize_path: bool = True,
    double_encode: bool = True,
) -> str:
    """The CanonicalRequest text (six lines; the header block ends with its own newline)."""
    block, signed = canonical_headers(headers, signed_headers)
    uri = canonical_uri(path, normalize=normalize_path, double_encode=double_encode)
    return "\n".join((method.upper(), uri, canonical_query(query), block, signed, payload_hash))


def credential_scope(date: str, region: str, service: str) -> str:
    """``YYYYMMDD/region/service/aws4_request``."""
    return f"{date}/{region}/{service}/aws4_request"


def string_to_sign(amz_date: str, scope: str, canonical_request: str) -> str:
    """The StringToSign: algorithm, request time, scope and the SHA-256 of the canonical request."""
    digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"


#: the algorithm lines of the chained signatures of an ``aws-chunked`` body (S3 streaming uploads)
CHUNK_ALGORITHM = "AWS4-HMAC-SHA256-PAYLOAD"
TRAILER_ALGORITHM = "AWS4-HMAC-SHA256-TRAILER"


def chunk_string_to_sign(amz_date: str, scope: str, previous_signature: str, chunk_sha256: str) -> str:
    """The StringToSign of one chunk of a signed ``aws-chunked`` body: each chunk's signature
    chains from the previous one (the first from the request's own signature)."""
    return "\n".join((CHUNK_ALGORITHM, amz_date, scope, previous_signature, EMPTY_SHA256, chunk_sha256))


def trailer_string_to_sign(amz_date: str, scope: str, previous_signature: str, trailer_sha256: str) -> str:
    """The StringToSign of the trailing headers of a signed ``aws-chunked`` body."""
    return "\n".join((TRAILER_ALGORITHM, amz_date, scope, previous_signature, trailer_sha256))


def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    """The derived key: an HMAC-SHA256 chain over date, region, service and ``aws4_request``."""
    key = ("AWS4" + secret_key).encode("utf-8")
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def sign_string(secret_key: str, date: str, region: str, service: str, sts: str) -> str:
    """Hex signature of a string to sign (the last step, shared by signer and verifier)."""
    key = signing_key(secret_key, date, region, service)
    return hmac.new(key, sts.encode("utf-8"), hashlib.sha256).hexdigest()


def format_amz_date(timestamp: float) -> str:
    """``YYYYMMDDTHHMMSSZ`` in UTC, the X-Amz-Date format."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(int(timestamp)))


def parse_amz_date(value: str) -> Optional[int]:
    """Unix seconds of an X-Amz-Date value, or ``None`` if it is not ``YYYYMMDDTHHMMSSZ``."""
    if not _AMZ_DATE_RE.match(value):
        return None
    try:
        return calendar.timegm(time.strptime(value, "%Y%m%dT%H%M%SZ"))
    except ValueError:
        return None
