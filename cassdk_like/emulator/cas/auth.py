"""Signature checks for both dialects, before any operation runs.

The dialect is chosen from the request itself: a SigV4 ``Authorization`` (or any ``x-amz-*`` header)
means Glacier, anything else CAS. Both verifiers come from ``cassdk_like.core.auth``, the same code
the SDK signs with, and both allow ``max_skew`` seconds of clock skew (default 900 s, AWS's value;
CAS documents none). A q-sign window that has ended is expired whatever the skew.
"""

from __future__ import annotations

import hashlib
from typing import Callable, List, Mapping, Optional, Tuple

from cassdk_like.core.auth.qsign import verify_qsign
from cassdk_like.core.auth.sigv4 import verify_sigv4
from cassdk_like.emulator.cas.errors import access_denied, invalid_value, missing_value
from cassdk_like.emulator.cas.protocol import CAS, GLACIER, Dialect
from cassdk_like.emulator.errors import ApiError
from cassdk_like.emulator.wire import MAX_JSON_BODY, BodyReader, Request

__all__ = ["GLACIER_VERSION", "Verifier", "detect_dialect"]

GLACIER_VERSION = "2012-06-01"


def detect_dialect(headers: Mapping[str, str]) -> Dialect:
    """SigV4 or x-amz-* headers mean the Glacier dialect; everything else is CAS."""
    authorization = headers.get("authorization", "").lstrip()
    if authorization.startswith("AWS4-"):
        return GLACIER
    if authorization.startswith("q-sign") or "q-sign-algorithm=" in authorization:
        return CAS
    return GLACIER if any(name.startswith("x-amz-") for name in headers) else CAS


class Verifier:
    """Checks signatures against the emulator's one credential pair."""

    def __init__(
        self,
        secret_id: str,
        secret_key: str,
        *,
        appid: str,
        glacier_region: str,
        max_skew: int,
        clock: Callable[[], float],
    ) -> None:
        self._secret_id = secret_id
        self._secret_key = secret_key
        self.appid = appid
        self.glacier_region = glacier_region
        self.max_skew = max_skew
        self.clock = clock

    def __repr__(self) -> str:
        return f"Verifier(secret_id={self._secret_id!r}, secret_key=<hidden>)"

    def _secret_for(self, key_id: str) -> Optional[str]:
        return self._secret_key if key_id == self._secret_id else None

    def check_uid(self, uid: str) -> None:
        """The path's account must be ``-`` (the signer's own) or this emulator's appid."""
        if uid not in ("-", self.appid):
            raise access_denied(f"the account id {uid!r} in the path is not yours (use '-' or {self.appid})")

    def verify(
        self, request: Request, raw_path: str, raw_headers: List[Tuple[str, str]], dialect: Dialect
    ) -> None:
        """Raise the documented error unless the request is correctly signed in its dialect."""
        authorization = request.header("authorization")
        if dialect is CAS:
            problem = verify_qsign(
                authorization,
                method=request.method,
                path=request.path,
                params=request.query,
                headers=request.headers,
                secret_for=self._secret_for,
                now=self.clock(),
                max_skew=self.max_skew,
            )
        else:
            version = request.header("x-amz-glacier-version")
            if version is None or not version.strip():
                raise missing_value(f"the x-amz-glacier-version header is required (use {GLACIER_VERSION})")
            if version.strip() != GLACIER_VERSION:
                raise invalid_value(f"unsupported x-amz-glacier-version {version!r}; use {GLACIER_VERSION}")
            problem = verify_sigv4(
                authorization,
                method=request.method,
                path=raw_path,
                query=request.query,
                headers=raw_headers,
                payload_hash=_payload_hash(request),
                secret_for=self._secret_for,
                now=self.clock(),
                region=self.glacier_region,
                service="glacier",
                max_skew=self.max_skew,
            )
        if problem is not None:
            raise ApiError(problem[0], problem[1])


def _payload_hash(request: Request) -> str:
    """x-amz-content-sha256 when sent; otherwise hash the (small) body and keep it for the handler."""
    declared = request.header("x-amz-content-sha256")
    if declared is not None:
        return declared.strip()
    if request.body.length > MAX_JSON_BODY:
        raise missing_value("the x-amz-content-sha256 header is required for bodies larger than 1 MiB")
    data = request.body.read(request.body.length)
    request.body = BodyReader(_Replay(data), len(data))
    return hashlib.sha256(data).hexdigest()


class _Replay:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def read(self, size: int) -> bytes:
        chunk = self._data[self._pos : self._pos + size]
        self._pos += len(chunk)
        return chunk
