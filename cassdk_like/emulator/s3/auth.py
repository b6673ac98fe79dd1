"""SigV4 as S3 checks it, in S3's error codes (docs/bucket-protocol.md §6).

The check itself is ``core.auth.check_sigv4`` (the SDK signs with the same canonicalization), with
S3's conventions: the canonical URI is the path as sent (no normalization, no second encoding),
``x-amz-content-sha256`` is required in the header form and names the payload (a SHA-256 that the
body must then match, ``UNSIGNED-PAYLOAD``, or an ``aws-chunked`` streaming mode), presigned URLs
carry ``UNSIGNED-PAYLOAD`` and live at most 7 days. A request to an existing bucket must be signed
for the bucket's region (AuthorizationHeaderMalformed names the right one, as S3 does).
"""

from __future__ import annotations

import re
import time
from typing import Callable, List, Optional, Tuple

from cassdk_like.core.auth.problems import (
    BAD_EXPIRES,
    BAD_SCOPE,
    EXPIRED,
    MALFORMED,
    SKEWED,
    UNKNOWN_KEY,
)
from cassdk_like.core.auth.sigv4 import (
    ALGORITHM,
    MAX_PRESIGN_EXPIRES,
    UNSIGNED_PAYLOAD,
    SigV4Claim,
    SigV4Problem,
    check_sigv4,
    parse_sigv4_authorization,
)
from cassdk_like.emulator.objectstore.errors import (
    StoreError,
    access_denied,
    invalid_access_key,
    invalid_argument,
    invalid_request,
    signature_mismatch,
)
from cassdk_like.emulator.objectstore.xmldoc import iso_time
from cassdk_like.emulator.service import Account
from cassdk_like.emulator.wire import Request

__all__ = ["STREAMING_MODES", "S3Verifier", "payload_mode"]

#: the x-amz-content-sha256 values that announce an aws-chunked body
STREAMING_MODES = frozenset(
    {
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    }
)
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


def payload_mode(request: Request) -> str:
    """What the payload hash line of the signature is: the header's value, or UNSIGNED-PAYLOAD for a
    presigned URL that sends none."""
    declared = request.header("x-amz-content-sha256")
    return declared.strip() if declared is not None else UNSIGNED_PAYLOAD


def _claimed_region(request: Request) -> Optional[str]:
    authorization = request.header("authorization")
    credential = None
    if authorization:
        try:
            credential = parse_sigv4_authorization(authorization)["Credential"]
        except ValueError:
            return None
    else:
        credential = request.param("X-Amz-Credential")
    parts = (credential or "").split("/")
    return parts[2] if len(parts) == 5 else None


class S3Verifier:
    """Checks S3 requests against the emulator's account; ``bucket_region`` says where a bucket
    lives (None: it does not exist)."""

    def __init__(
        self,
        account: Account,
        clock: Callable[[], float],
        bucket_region: Callable[[str], Optional[str]],
        max_skew: int = 900,
    ) -> None:
        self._account = account
        self.clock = clock
        self.bucket_region = bucket_region
        self.max_skew = max_skew

    def __repr__(self) -> str:
        return f"S3Verifier(access_key={self._account.secret_id!r}, secret_key=<hidden>)"

    def secret_for(self, key_id: str) -> Optional[str]:
        return self._account.secret_key if key_id == self._account.secret_id else None

    def verify(self, request: Request, bucket: str, operation: str) -> Optional[SigV4Claim]:
        """The verified claim, or None for a POST upload authorized by its form; raise StoreError."""
        authorization = (request.header("authorization") or "").strip()
        query = dict(request.query)
        if operation == "PostObject" and not authorization and "X-Amz-Algorithm" not in query:
            return None  # the form's policy signature is checked by the operation
        if authorization.startswith("AWS ") or ("Signature" in query and "AWSAccessKeyId" in query):
            raise invalid_request(
                "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
            )
        if authorization and "X-Amz-Algorithm" in query:
            raise invalid_argument(
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query"
                " string parameter or the Authorization header should be specified",
                "Authorization",
                "",
            )
        if not authorization and "X-Amz-Algorithm" not in query:
            raise access_denied()
        if not authorization and query.get("X-Amz-Algorithm") != ALGORITHM:
            raise _query_error('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"')
        payload = payload_mode(request)
        if authorization:
            if request.header("x-amz-content-sha256") is None:
                raise invalid_request("Missing required header for this request: x-amz-content-sha256")
            if payload not in STREAMING_MODES and payload != UNSIGNED_PAYLOAD and not _HEX64.match(payload):
                raise invalid_argument(
                    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER,"
                    " STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a"
                    " valid sha256 value.",
                    "x-amz-content-sha256",
                    payload,
                )
        claimed = _claimed_region(request) or ""
        expected = (self.bucket_region(bucket) if bucket and operation != "CreateBucket" else None) or claimed
        found = check_sigv4(
            request.header("authorization"),
            method=request.method,
            path=request.raw_path or "/",
            query=request.query,
            headers=request.raw_headers,
            payload_hash=payload,
            secret_for=self.secret_for,
            now=self.clock(),
            region=expected,
            service="s3",
            max_skew=self.max_skew,
            normalize_path=False,
            double_encode=False,
        )
        if isinstance(found, SigV4Claim):
            return found
        raise self._error(found, request, claimed, expected)

    def _error(self, problem: SigV4Problem, request: Request, claimed: str, expected: str) -> StoreError:
        claim = problem.claim
        kind = problem.kind
        key_fields: List[Tuple[str, str]] = [("AWSAccessKeyId", claim.key_id)] if claim is not None else []
        if kind == UNKNOWN_KEY:
            return invalid_access_key(key_fields)
        if kind == BAD_EXPIRES:
            raw = request.param("X-Amz-Expires") or ""
            if raw.isdigit() and int(raw) > MAX_PRESIGN_EXPIRES:
                return _query_error(
                    f"X-Amz-Expires must be less than a week (in seconds) that is {MAX_PRESIGN_EXPIRES}"
                )
            return _query_error(
                "X-Amz-Expires must be non-negative"
                if raw.startswith("-")
                else "X-Amz-Expires should be a number"
            )
        if kind == MALFORMED:
            if problem.presigned:
                return _query_error(problem.message)
            return _header_error(f"The authorization header is malformed; {problem.message}")
        if kind == BAD_SCOPE and claim is not None:
            if claimed != expected:
                text = f"the region '{claimed}' is wrong; expecting '{expected}'"
                headers = [("x-amz-bucket-region", expected)]
                if problem.presigned:
                    return StoreError(
                        "AuthorizationQueryParametersError",
                        f"Error parsing the X-Amz-Credential parameter; {text}",
                        status=400,
                        fields=[("Region", expected)],
                        headers=headers,
                    )
                return StoreError(
                    "AuthorizationHeaderMalformed",
                    f"The authorization header is malformed; {text}",
                    status=400,
                    fields=[("Region", expected)],
                    headers=headers,
                )
            return _header_error(f"The authorization header is malformed; {problem.message}")
        if kind == EXPIRED and claim is not None and claim.expires is not None:
            return access_denied(
                "Request has expired",
                [
                    ("X-Amz-Expires", str(claim.expires)),
                    ("Expires", iso_time(claim.signed_at + claim.expires)),
                    ("ServerTime", iso_time(self.clock())),
                ],
            )
        if kind == SKEWED and claim is not None:
            if claim.presigned:
                return access_denied("Request is not valid yet")
            return StoreError(
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
                status=403,
                fields=[
                    ("RequestTime", claim.amz_date),
                    ("ServerTime", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.clock()))),
                    ("MaxAllowedSkewMilliseconds", str(self.max_skew * 1000)),
                ],
            )
        return signature_mismatch(key_fields)


def _query_error(message: str) -> StoreError:
    return StoreError("AuthorizationQueryParametersError", message, status=400)


def _header_error(message: str) -> StoreError:
    return StoreError("AuthorizationHeaderMalformed", message, status=400)
