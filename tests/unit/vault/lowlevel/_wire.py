"""Helpers for the wire tests: read back what the client put on the wire and check its signature."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Set, Tuple
from urllib.parse import parse_qsl, unquote, urlsplit

import attrs
import requests

from cassdk_like.core.auth.qsign import parse_authorization, verify_qsign
from cassdk_like.core.auth.sigv4 import parse_sigv4_authorization, verify_sigv4

CAS_HOST = "cas.ap-chengdu.myqcloud.com"
CAS_APPID = "1250000000"
CAS_ID, CAS_KEY = "AKIDEXAMPLE", "EXAMPLESECRETKEY"
CAS_NOW = 1480932292

GLACIER_HOST = "glacier.us-west-2.amazonaws.com"
GLACIER_ID, GLACIER_KEY = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
GLACIER_NOW = 1440938160  # 2015-08-30T12:36:00Z
GLACIER_REGION = "us-west-2"

# docs/vault-protocol.md §3.2 vectors
SHA_A = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
SHA_1MIB_ZERO = "30e14955ebf1352266dc2ff8067e68104607e750abb9d3b36582b8af909fcb58"
SHA_3_5MIB_ZERO = "4d9cbaf3aa0935a8c113f139691b3daf9c94c8d6c278aedc8eec66a4b9f6c8ae"
TREE_3_5MIB_ZERO = "69fa92ad252e24a084b9a1ca9483ede8f493cbb8ffbca27afa03199ef8d2da89"
MiB = 1024 * 1024


@attrs.frozen
class Sent:
    """One captured request, decoded."""

    method: str
    path: str
    raw_path: str
    query: List[Tuple[str, str]]
    headers: Dict[str, str]  # lowercased names
    body: bytes

    @classmethod
    def of(cls, request: requests.PreparedRequest) -> Sent:
        parts = urlsplit(request.url or "")
        body: Any = request.body
        if hasattr(body, "read"):
            body = body.read()
        if isinstance(body, str):
            body = body.encode("utf-8")
        return cls(
            method=request.method or "",
            path=unquote(parts.path),
            raw_path=parts.path,
            query=parse_qsl(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=bytes(body or b""),
        )

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


def qsign_fields(sent: Sent) -> Dict[str, str]:
    return parse_authorization(sent.headers["authorization"])


def qsign_signed_headers(sent: Sent) -> Set[str]:
    value = qsign_fields(sent)["q-header-list"]
    return set(value.split(";")) if value else set()


def qsign_check(sent: Sent, now: float = CAS_NOW) -> Optional[Tuple[str, str]]:
    """None when the request's q-sign verifies against what was actually sent."""
    return verify_qsign(
        sent.headers.get("authorization"),
        method=sent.method,
        path=sent.path,
        params=sent.query,
        headers=sent.headers,
        secret_for={CAS_ID: CAS_KEY}.get,
        now=now,
    )


def sigv4_signed_headers(sent: Sent) -> Set[str]:
    fields = parse_sigv4_authorization(sent.headers["authorization"])
    signed = next(v for k, v in fields.items() if k.lower() == "signedheaders")
    return set(signed.split(";"))


def sigv4_check(sent: Sent, payload_hash: str, now: float = GLACIER_NOW) -> Optional[Tuple[str, str]]:
    """None when the request's SigV4 verifies against what was actually sent."""
    return verify_sigv4(
        sent.headers.get("authorization"),
        method=sent.method,
        path=sent.raw_path,
        query=sent.query,
        headers=sent.headers,
        payload_hash=payload_hash,
        secret_for={GLACIER_ID: GLACIER_KEY}.get,
        now=now,
        region=GLACIER_REGION,
        service="glacier",
    )
