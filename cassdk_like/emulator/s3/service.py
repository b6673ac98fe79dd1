"""``S3Service``: the S3 REST API (path-style and virtual-hosted) as a service of the emulator host.

It adds to the shared object store what is S3's own: addressing (``addressing``), SigV4 in headers,
presigned queries and POST policies (``auth``, ``post``), ``aws-chunked`` bodies (``chunked``),
the bucket-level operations in S3's form (``ops``) and the XML error document with
``x-amz-request-id`` and ``x-amz-id-2`` (docs/bucket-protocol.md §5).
"""

from __future__ import annotations

import base64
import hashlib
import threading
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

from cassdk_like.core.auth.sigv4 import SigV4Claim
from cassdk_like.emulator.errors import ApiError
from cassdk_like.emulator.objectstore.body import BodySource, PlainBody
from cassdk_like.emulator.objectstore.context import Context, Owner
from cassdk_like.emulator.objectstore.errors import StoreError
from cassdk_like.emulator.objectstore.post import PolicyCheck, check_sigv4_form, post_object
from cassdk_like.emulator.objectstore.service import Address, BucketService, PresignGuard
from cassdk_like.emulator.objectstore.xmldoc import Node, render
from cassdk_like.emulator.s3.addressing import S3_DIALECT, s3_address
from cassdk_like.emulator.s3.auth import STREAMING_MODES, S3Verifier, payload_mode
from cassdk_like.emulator.s3.chunked import ChunkedBody, claim_signer
from cassdk_like.emulator.s3.ops import S3_OPERATIONS
from cassdk_like.emulator.service import Environment, Route
from cassdk_like.emulator.wire import Request, Response

__all__ = ["PresignGuard", "S3Service", "S3Settings"]


@dataclass(frozen=True)
class S3Settings:
    """``region``: where requests that name no region go (ListBuckets, the exports ``cascmd serve``
    prints); ``max_skew``: allowed clock skew of signed requests (S3: 15 min);
    ``foreign_buckets``: names another account owns (BucketAlreadyExists, AccessDenied)."""

    region: str = "us-east-1"
    max_skew: int = 900
    foreign_buckets: FrozenSet[str] = frozenset()


def host_id(request_id: str) -> str:
    """The ``x-amz-id-2`` of a request: opaque, stable for one request id."""
    return base64.b64encode(hashlib.sha256(request_id.encode("ascii")).digest()).decode("ascii")


class S3Service(BucketService):
    """S3 over the shared object store (realm ``s3``)."""

    name = "s3"
    dialect = S3_DIALECT

    def __init__(self, env: Environment, settings: Optional[S3Settings] = None) -> None:
        self.settings = settings or S3Settings()
        canonical = hashlib.sha256(f"s3-owner:{env.account.secret_id}".encode()).hexdigest()
        super().__init__(
            env,
            realm="s3",
            region=self.settings.region,
            owner=Owner(canonical, "cassdk-emulator"),
            own_operations={**S3_OPERATIONS, "PostObject": self._post_object},
            foreign_buckets=self.settings.foreign_buckets,
        )
        self.verifier = S3Verifier(env.account, env.clock, self._bucket_region, self.settings.max_skew)
        self._claims: Dict[str, Optional[SigV4Claim]] = {}
        self._claims_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"S3Service(region={self.region!r})"

    def _bucket_region(self, bucket: str) -> Optional[str]:
        found = self.store.bucket(bucket)
        return None if found is None else found.region

    def _post_object(self, ctx: Context) -> Response:
        signature_fields = frozenset({"x-amz-signature"})
        check = PolicyCheck(
            check_sigv4_form,
            signature_fields,
            self.verifier.secret_for,
            self._bucket_region,
            guard=lambda fields: self.check_form(ctx.request, fields, signature_fields),
        )
        return post_object(ctx, check)

    # -- the dialect's half ---------------------------------------------------------------------

    def address(self, request: Request) -> Address:
        return s3_address(request)

    def verify(self, request: Request) -> None:
        bucket = s3_address(request)[0]
        claim = self.verifier.verify(request, bucket, request.operation)
        if claim is not None and claim.presigned:
            self.check_presigned(request)
        with self._claims_lock:
            self._claims[request.request_id] = claim

    def _take_claim(self, request: Request) -> Optional[SigV4Claim]:
        with self._claims_lock:
            return self._claims.pop(request.request_id, None)

    def prepare(self, route: Route, request: Request) -> Tuple[BodySource, str]:
        claim = self._take_claim(request)
        region = claim.scope[1] if claim is not None else (route.params["region"] or self.region)
        return self._body(request, claim), region

    def _body(self, request: Request, claim: Optional[SigV4Claim]) -> BodySource:
        mode = payload_mode(request)
        if mode not in STREAMING_MODES:
            signed = len(mode) == 64 and request.header("authorization") is not None
            return PlainBody(request.body, mode if signed else None)
        decoded = (request.header("x-amz-decoded-content-length") or "").strip()
        if not decoded.isdigit():
            raise StoreError(
                "MissingContentLength", "You must provide the Content-Length HTTP header.", status=411
            )
        signer = None
        if mode.startswith("STREAMING-AWS4-HMAC-SHA256") and claim is not None:
            secret = self.verifier.secret_for(claim.key_id)
            signer = None if secret is None else claim_signer(claim, secret)
        return ChunkedBody(
            request.body,
            int(decoded),
            claim=claim if signer is not None else None,
            signer=signer,
            trailer=mode.endswith("-TRAILER"),
        )

    def invoke(self, route: Route, request: Request) -> Response:
        response = super().invoke(route, request)
        response.headers.append(("x-amz-id-2", host_id(request.request_id)))
        return response

    def render_error(self, error: ApiError, request: Request) -> Response:
        self._take_claim(request)
        headers: List[Tuple[str, str]] = [("x-amz-id-2", host_id(request.request_id))]
        fields: List[Tuple[str, str]] = []
        if isinstance(error, StoreError):
            fields = error.fields
            headers += error.headers
        if error.retry_after is not None:
            seconds = error.retry_after
            headers.append(("Retry-After", str(int(seconds)) if seconds == int(seconds) else str(seconds)))
        if request.method == "HEAD" or error.status == 304:
            return Response(error.status, headers)
        nodes: List[Node] = [("Code", error.code), ("Message", error.message)]
        nodes += [(name, value) for name, value in fields]
        nodes += [
            ("Resource", request.raw_path or request.path or "/"),
            ("RequestId", request.request_id),
            ("HostId", host_id(request.request_id)),
        ]
        body = render("Error", nodes)
        return Response(error.status, [("Content-Type", "application/xml"), *headers], body)

    def request_id_header(self, request: Request) -> Optional[str]:
        return "x-amz-request-id"

    def info(self) -> Dict[str, Any]:
        return {
            "region": self.region,
            "dialect": "s3",
            "addressing": ["path", "virtual-host: <bucket>.s3.<region>.amazonaws.com, <bucket>.localhost"],
        }
