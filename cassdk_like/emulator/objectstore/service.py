"""The part of a bucket service that S3 and COS share: routing to the operations, the stores, the
owner, names reserved by other accounts, and the host hooks. Each dialect's service subclasses it
and supplies addressing, authentication, the body envelope and the error document.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Mapping, Optional, Tuple

from cassdk_like.emulator.errors import ApiError
from cassdk_like.emulator.objectstore.body import BodySource
from cassdk_like.emulator.objectstore.context import Context, Owner
from cassdk_like.emulator.objectstore.dialect import Dialect
from cassdk_like.emulator.objectstore.errors import StoreError, access_denied
from cassdk_like.emulator.objectstore.grants import GRANTS_PATH, GrantRegistry
from cassdk_like.emulator.objectstore.ops_buckets import OPERATIONS as BUCKET_OPERATIONS
from cassdk_like.emulator.objectstore.ops_multipart import OPERATIONS as MULTIPART_OPERATIONS
from cassdk_like.emulator.objectstore.ops_objects import OPERATIONS as OBJECT_OPERATIONS
from cassdk_like.emulator.objectstore.routes import OPERATION_NAMES, operation_for
from cassdk_like.emulator.objectstore.store import ObjectStore
from cassdk_like.emulator.objectstore.uploads import Uploads
from cassdk_like.emulator.service import (
    BAD_REQUEST,
    INJECTED,
    INTERNAL_ERROR,
    LENGTH_REQUIRED,
    REQUEST_TIMEOUT,
    Environment,
    Route,
    ServiceBase,
)
from cassdk_like.emulator.wire import Request, Response

__all__ = ["SHARED_OPERATIONS", "Address", "BucketService", "Operation", "PresignGuard", "host_name"]

Operation = Callable[[Context], Response]
#: consulted for every verified presigned request (and signed POST form): a reason to refuse it (403), or None
PresignGuard = Callable[[Request], Optional[str]]

#: the operations both dialects run from the shared modules
SHARED_OPERATIONS: Dict[str, Operation] = {**BUCKET_OPERATIONS, **OBJECT_OPERATIONS, **MULTIPART_OPERATIONS}

#: (bucket, key, region the request addressed or None)
Address = Tuple[str, str, Optional[str]]


def host_name(request: Request) -> str:
    """The Host header without its port, lower-cased (the name virtual-hosted addressing reads)."""
    host = (request.header("host") or "").strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


_HOST_CONDITIONS: Mapping[str, Tuple[str, str]] = {
    BAD_REQUEST: ("InvalidRequest", ""),
    LENGTH_REQUIRED: ("MissingContentLength", "You must provide the Content-Length HTTP header."),
    REQUEST_TIMEOUT: (
        "RequestTimeout",
        "Your socket connection to the server was not read from or written to within the timeout period.",
    ),
    INTERNAL_ERROR: ("InternalError", "We encountered an internal error. Please try again."),
}
_INJECTED: Mapping[int, str] = {
    400: "RequestTimeout",
    408: "RequestTimeout",
    429: "SlowDown",
    500: "InternalError",
    503: "SlowDown",
}


class BucketService(ServiceBase):
    """A bucket service over one realm of the shared object store. Thread-safe."""

    name = ""
    operations = OPERATION_NAMES
    dialect: Dialect

    def __init__(
        self,
        env: Environment,
        *,
        realm: str,
        region: str,
        owner: Owner,
        own_operations: Mapping[str, Operation],
        foreign_buckets: Iterable[str] = (),
    ) -> None:
        self.env = env
        self.region = region
        self.owner = owner
        self.store = ObjectStore(env.db, realm, env.clock)
        self.uploads = Uploads(self.store)
        self.foreign_buckets: FrozenSet[str] = frozenset(foreign_buckets)
        self._operations: Dict[str, Operation] = {**SHARED_OPERATIONS, **own_operations}
        missing = OPERATION_NAMES - set(self._operations)
        self._unsupported = frozenset(missing)
        self._presign_guards: List[PresignGuard] = []
        #: revocable PARs (docs/par.md §5.2), consulted through the presign guard hook
        self.par_grants = GrantRegistry(env.clock)
        self.add_presign_guard(self.par_grants.refusal)

    # -- presigned access -------------------------------------------------------------------------

    def add_presign_guard(self, guard: PresignGuard) -> None:
        """Have ``guard`` see every presigned request whose signature holds; a reason it returns
        refuses the request with AccessDenied. Lets a service revoke URLs it minted (a presigned URL
        is otherwise valid until it expires). A signed POST form is shown to the guards as a request
        whose query holds the form's signature fields."""
        self._presign_guards.append(guard)

    def check_presigned(self, request: Request) -> None:
        """Run the guards on a verified presigned request (raise AccessDenied on a refusal)."""
        for guard in list(self._presign_guards):
            reason = guard(request)
            if reason is not None:
                raise access_denied(reason)

    def check_form(
        self, request: Request, fields: Mapping[str, str], signature_fields: Iterable[str]
    ) -> None:
        """The guards for a POST form whose policy signature holds."""
        carried = [(name, fields[name]) for name in signature_fields if name in fields]
        self.check_presigned(dataclasses.replace(request, query=carried))

    # -- what a dialect supplies ----------------------------------------------------------------

    def address(self, request: Request) -> Address:
        """Bucket, key and region from the Host header and the path (raise StoreError)."""
        raise NotImplementedError

    def prepare(self, route: Route, request: Request) -> Tuple[BodySource, str]:
        """The decoded body of an authenticated request, and the region it addresses (where a new
        bucket goes)."""
        raise NotImplementedError

    def render_error(self, error: ApiError, request: Request) -> Response:
        raise NotImplementedError

    # -- the Service protocol -------------------------------------------------------------------

    def route(self, request: Request) -> Route:
        bucket, key, region = self.address(request)
        query: Dict[str, str] = {}
        for name, value in request.query:
            query.setdefault(name, value)
        copy = self.dialect.h("copy-source") in request.headers
        operation = operation_for(request.method, bucket, key, query, copy)
        if operation in self._unsupported:
            raise StoreError(
                "NotImplemented",
                f"{operation} is not implemented by this service",
                status=501,
            )
        return Route(operation, {"bucket": bucket, "key": key, "region": region or ""})

    def invoke(self, route: Route, request: Request) -> Response:
        bucket = route.params["bucket"]
        if bucket in self.foreign_buckets:
            raise self.foreign_bucket_error(route.operation, bucket)
        body, region = self.prepare(route, request)
        ctx = Context(
            request=request,
            dialect=self.dialect,
            store=self.store,
            uploads=self.uploads,
            bucket=bucket,
            key=route.params["key"],
            body=body,
            region=region,
            owner=self.owner,
            now=self.env.clock(),
        )
        response = self._operations[route.operation](ctx)
        response.headers.extend(ctx.headers)
        return response

    def foreign_bucket_error(self, operation: str, bucket: str) -> StoreError:
        """A bucket name another account owns: taken for CreateBucket, forbidden otherwise."""
        if operation == "CreateBucket":
            message = (
                "The requested bucket name is not available. The bucket namespace is shared by all users of"
                " the system. Please select a different name and try again."
            )
            return StoreError("BucketAlreadyExists", message, status=409, fields=[("BucketName", bucket)])
        return access_denied()

    def error_response(self, error: ApiError, request: Request) -> Response:
        return self.render_error(error, request)

    def host_error(self, condition: str, status: int, message: str) -> ApiError:
        if condition == INJECTED:
            return StoreError(_INJECTED.get(status, "InternalError"), message, status=status)
        code, text = _HOST_CONDITIONS.get(condition, ("InvalidRequest", ""))
        return StoreError(code, text or message, status=status)

    def admin(self, request: Request, subpath: str) -> Optional[Response]:
        parts = subpath.strip("/").split("/")
        if parts[0] == GRANTS_PATH:
            return self.par_grants.admin(request, parts[1:])
        return None

    def info(self) -> Dict[str, Any]:
        return {"region": self.region, "dialect": self.dialect.name}

    def stats(self) -> Dict[str, Any]:
        row = self.store.db.row(
            "SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM os_objects WHERE realm = ?",
            (self.store.realm,),
        )
        objects, stored = (int(row["n"]), int(row["bytes"])) if row is not None else (0, 0)
        return {f"{self.name}_objects": objects, f"{self.name}_bytes_stored": stored}
