"""q-sign as COS checks it, in COS's error codes (docs/bucket-protocol.md §7.2).

The check is ``core.auth.check_qsign`` with the COS flavour (the signer cos-python-sdk-v5 uses):
the path signed is ``/`` plus the key, unencoded; the header and parameter lists name what is
signed; the signature comes in the ``Authorization`` header or, for a presigned URL, as the
``q-*`` query parameters. A window that has ended is "Request has expired"; one that starts
more than ``max_skew`` seconds ahead is RequestTimeTooSkewed.
"""

from __future__ import annotations

from typing import Callable, Optional

from cassdk_like.core.auth.problems import EXPIRED, MALFORMED, MISSING, SKEWED, UNKNOWN_KEY
from cassdk_like.core.auth.qsign import check_qsign, parse_authorization, qsign_from_query
from cassdk_like.emulator.objectstore.errors import (
    StoreError,
    access_denied,
    invalid_access_key,
    signature_mismatch,
)
from cassdk_like.emulator.service import Account
from cassdk_like.emulator.wire import Request

__all__ = ["CosVerifier"]


class CosVerifier:
    """Checks COS requests against the emulator's account."""

    def __init__(self, account: Account, clock: Callable[[], float], max_skew: int = 900) -> None:
        self._account = account
        self.clock = clock
        self.max_skew = max_skew

    def __repr__(self) -> str:
        return f"CosVerifier(secret_id={self._account.secret_id!r}, secret_key=<hidden>)"

    def secret_for(self, key_id: str) -> Optional[str]:
        return self._account.secret_key if key_id == self._account.secret_id else None

    def verify(self, request: Request, operation: str = "") -> bool:
        """Raise StoreError unless the request is signed; a POST upload without an Authorization
        header or q-* query is authorized by its form, which the operation checks. True when the
        signature came in the query (a presigned URL)."""
        authorization = request.header("authorization")
        params = list(request.query)
        unsigned = not (authorization or "").strip() and qsign_from_query(params)[0] is None
        if operation == "PostObject" and unsigned:
            return False
        presigned = False
        if not authorization or not authorization.strip():
            carried, rest = qsign_from_query(params)
            if carried is None:
                raise access_denied("Access Denied.")
            authorization, params, presigned = carried, rest, True
        problem = check_qsign(
            authorization,
            method=request.method,
            path=request.path or "/",
            params=params,
            headers=request.headers,
            secret_for=self.secret_for,
            now=self.clock(),
            max_skew=self.max_skew,
            flavor="cos",
            presigned=presigned,
        )
        if problem is None:
            return presigned
        if problem.kind in (MISSING, MALFORMED):
            raise access_denied(f"Invalid Authorization: {problem.message}")
        if problem.kind == UNKNOWN_KEY:
            raise invalid_access_key([("SecretId", _claimed_key(authorization))], "COS")
        if problem.kind == EXPIRED:
            raise access_denied("Request has expired")
        if problem.kind == SKEWED:
            raise StoreError(
                "RequestTimeTooSkewed",
                "The difference between the request time and the server's time is too large.",
                status=403,
            )
        raise signature_mismatch()


def _claimed_key(authorization: str) -> str:
    try:
        return parse_authorization(authorization)["q-ak"]
    except ValueError:
        return ""
