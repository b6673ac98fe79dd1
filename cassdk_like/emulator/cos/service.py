"""``CosService``: Tencent COS's XML API as a service of the emulator host.

It adds to the shared object store what is COS's own: the bucket from the Host header
(``addressing``), q-sign in the header or the query (``auth``), COS's form of the bucket-level
operations (``ops``), ``x-cos-hash-crc64ecma`` on every object, and the XML error document with
``x-cos-request-id`` and ``x-cos-trace-id`` (docs/bucket-protocol.md §7).

cos-python-sdk-v5 reaches it with ``CosConfig(IP=host, Port=port, Scheme="http")``: it connects
to the emulator and sends ``Host: <bucket>-<appid>.cos.<region>.myqcloud.com``.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

from cassdk_like.emulator.cos.addressing import COS_DIALECT, cos_address
from cassdk_like.emulator.cos.auth import CosVerifier
from cassdk_like.emulator.cos.ops import COS_OPERATIONS, check_bucket
from cassdk_like.emulator.errors import ApiError
from cassdk_like.emulator.objectstore.body import BodySource, PlainBody
from cassdk_like.emulator.objectstore.context import Context, Owner
from cassdk_like.emulator.objectstore.errors import StoreError, no_such_bucket
from cassdk_like.emulator.objectstore.post import PolicyCheck, check_qsign_form, post_object
from cassdk_like.emulator.objectstore.service import Address, BucketService
from cassdk_like.emulator.objectstore.xmldoc import Node, render
from cassdk_like.emulator.service import Environment, Route
from cassdk_like.emulator.wire import Request, Response

__all__ = ["CosService", "CosSettings"]


@dataclass(frozen=True)
class CosSettings:
    """``region``: the region of requests that name none (the service endpoint);
    ``max_skew``: how far ahead a q-sign window may start; ``foreign_buckets``: names another
    account owns."""

    region: str = "ap-guangzhou"
    max_skew: int = 900
    foreign_buckets: FrozenSet[str] = frozenset()


def trace_id(request_id: str) -> str:
    """The ``x-cos-trace-id`` of a request: opaque, stable for one request id."""
    return base64.b64encode(hashlib.sha256(b"trace:" + request_id.encode("ascii")).digest()[:24]).decode(
        "ascii"
    )


class CosService(BucketService):
    """COS over the shared object store (realm ``cos``)."""

    name = "cos"
    dialect = COS_DIALECT

    def __init__(self, env: Environment, settings: Optional[CosSettings] = None) -> None:
        self.settings = settings or CosSettings()
        appid = env.account.appid
        super().__init__(
            env,
            realm="cos",
            region=self.settings.region,
            owner=Owner(f"qcs::cam::uin/{appid}:uin/{appid}", appid),
            own_operations={**COS_OPERATIONS, "PostObject": self._post_object},
            foreign_buckets=self.settings.foreign_buckets,
        )
        self.verifier = CosVerifier(env.account, env.clock, self.settings.max_skew)

    def __repr__(self) -> str:
        return f"CosService(region={self.region!r})"

    def address(self, request: Request) -> Address:
        return cos_address(request)

    def _post_object(self, ctx: Context) -> Response:
        signature_fields = frozenset({"q-signature", "q-key-time"})
        check = PolicyCheck(
            check_qsign_form,
            signature_fields,
            self.verifier.secret_for,
            self._bucket_region,
            aliases={"q-sign-time": "q-key-time"},
            guard=lambda fields: self.check_form(ctx.request, fields, signature_fields),
        )
        return post_object(ctx, check)

    def _bucket_region(self, bucket: str) -> Optional[str]:
        found = self.store.bucket(bucket)
        return None if found is None else found.region

    def verify(self, request: Request) -> None:
        if self.verifier.verify(request, request.operation):
            self.check_presigned(request)

    def prepare(self, route: Route, request: Request) -> Tuple[BodySource, str]:
        return PlainBody(request.body), route.params["region"] or self.region

    def invoke(self, route: Route, request: Request) -> Response:
        bucket, region = route.params["bucket"], route.params["region"]
        if bucket and bucket not in self.foreign_buckets:
            check_bucket(bucket, self.env.account.appid)
            if route.operation != "CreateBucket":
                found = self.store.bucket(bucket)
                if found is not None and region and found.region != region:
                    raise no_such_bucket(bucket)
        response = super().invoke(route, request)
        response.headers.append(("x-cos-trace-id", trace_id(request.request_id)))
        return response

    def render_error(self, error: ApiError, request: Request) -> Response:
        headers: List[Tuple[str, str]] = [("x-cos-trace-id", trace_id(request.request_id))]
        fields: List[Tuple[str, str]] = []
        if isinstance(error, StoreError):
            fields = error.fields
            headers += error.headers
        if error.retry_after is not None:
            seconds = error.retry_after
            headers.append(("Retry-After", str(int(seconds)) if seconds == int(seconds) else str(seconds)))
        if request.method == "HEAD" or error.status == 304:
            return Response(error.status, headers)
        host = (request.header("host") or "").strip()
        nodes: List[Node] = [("Code", error.code), ("Message", error.message)]
        nodes += [(name, value) for name, value in fields]
        nodes += [
            ("Resource", f"{host}{request.raw_path or request.path or '/'}"),
            ("RequestId", request.request_id),
            ("TraceId", trace_id(request.request_id)),
        ]
        return Response(error.status, [("Content-Type", "application/xml"), *headers], render("Error", nodes))

    def request_id_header(self, request: Request) -> Optional[str]:
        return "x-cos-request-id"

    def info(self) -> Dict[str, Any]:
        return {
            "region": self.region,
            "dialect": "cos",
            "appid": self.env.account.appid,
            "host_form": "<bucket>-<appid>.cos.<region>.myqcloud.com",
        }
