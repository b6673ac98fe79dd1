"""``CasService``: the CAS vault API (and its Glacier dialect) as one service of the emulator host.

The dialect is chosen per request from its headers (``auth.detect_dialect``): it decides the
signature scheme, the error details and the request-id header. Admin endpoints of its own:
``POST /_emulator/jobs/finish`` and ``/_emulator/cos/<bucket>[/<key>]`` (the COS stand-in).
"""

from __future__ import annotations

import json
from typing import Any, Dict, Mapping, Optional

from cassdk_like.emulator.cas.auth import Verifier, detect_dialect
from cassdk_like.emulator.cas.callbacks import Notifier
from cassdk_like.emulator.cas.context import CasState, Context, Operation, Settings
from cassdk_like.emulator.cas.cos import CosStore
from cassdk_like.emulator.cas.errors import bad_request, missing_value, not_found
from cassdk_like.emulator.cas.joboutput import Finisher
from cassdk_like.emulator.cas.jobs import JobManager
from cassdk_like.emulator.cas.ops_archives import OPERATIONS as ARCHIVE_OPERATIONS
from cassdk_like.emulator.cas.ops_jobs import OPERATIONS as JOB_OPERATIONS
from cassdk_like.emulator.cas.ops_jobs import render_job
from cassdk_like.emulator.cas.ops_vaults import OPERATIONS as VAULT_OPERATIONS
from cassdk_like.emulator.cas.protocol import DIALECTS, error_response
from cassdk_like.emulator.cas.routes import OPERATION_NAMES, match_route
from cassdk_like.emulator.cas.schema import REFERENCED_BLOBS, SCHEMA
from cassdk_like.emulator.cas.store import Store
from cassdk_like.emulator.cas.uploads import Uploads
from cassdk_like.emulator.cas.util import check_vault_name
from cassdk_like.emulator.errors import ApiError
from cassdk_like.emulator.service import (
    BAD_REQUEST,
    INJECTED,
    INTERNAL_ERROR,
    LENGTH_REQUIRED,
    REQUEST_TIMEOUT,
    Environment,
    Route,
)
from cassdk_like.emulator.wire import Request, Response, empty_response, json_response

__all__ = ["OPERATIONS", "CasService"]

OPERATIONS: Dict[str, Operation] = {**VAULT_OPERATIONS, **ARCHIVE_OPERATIONS, **JOB_OPERATIONS}

#: the code of an injected failure whose rule names none, by status
_INJECTED_CODES: Mapping[int, str] = {
    400: "ThrottlingException",
    408: "RequestTimeoutException",
    429: "ThrottlingException",
    500: "ServiceUnavailableException",
    503: "ServiceUnavailableException",
}


class CasService:
    """The vault service: state in the shared database, one job runner and one callback thread."""

    name = "cas"
    operations = OPERATION_NAMES

    def __init__(self, env: Environment, settings: Settings) -> None:
        db, clock = env.db, env.clock
        db.add_tables(SCHEMA, REFERENCED_BLOBS)
        self.settings = settings
        self.store = Store(db, max_vaults=settings.max_vaults)
        self.uploads = Uploads(db, self.store, retention=settings.retention)
        self.cos = CosStore(db, clock)
        self.notifier = Notifier()

        def qcs(vault: str, dialect: str) -> Any:
            chosen = DIALECTS[dialect]
            return chosen.qcs_field, settings.qcs(vault, chosen)

        def render(vault: str, doc: Mapping[str, Any]) -> Dict[str, Any]:
            return render_job(settings, DIALECTS[doc["_dialect"]], vault, doc)

        self.jobs = JobManager(
            db,
            self.store,
            Finisher(db, self.store, self.cos, qcs),
            self.notifier,
            render=render,
            clock=clock,
            retention=settings.retention,
            housekeeping=self.uploads.purge_expired,
        )
        self.state = CasState(settings, self.store, self.uploads, self.jobs, self.cos, clock)
        self.verifier = Verifier(
            env.account.secret_id,
            env.account.secret_key,
            appid=settings.appid,
            glacier_region=settings.glacier_region,
            max_skew=settings.max_skew,
            clock=clock,
        )

    def __repr__(self) -> str:
        return f"CasService(appid={self.settings.appid!r})"

    # -- the request path ---------------------------------------------------------------------

    def route(self, request: Request) -> Route:
        return match_route(request.method, request.path, dict(request.query))

    def verify(self, request: Request) -> None:
        dialect = detect_dialect(request.headers)
        self.verifier.verify(request, request.raw_path, request.raw_headers, dialect)

    def invoke(self, route: Route, request: Request) -> Response:
        self.verifier.check_uid(route.params["uid"])
        if "vault" in route.params:
            check_vault_name(route.params["vault"])
        context = Context(request, detect_dialect(request.headers), route, self.state)
        return OPERATIONS[route.operation](context)

    def error_response(self, error: ApiError, request: Request) -> Response:
        return error_response(error, detect_dialect(request.headers))

    def host_error(self, condition: str, status: int, message: str) -> ApiError:
        if condition == INJECTED:
            code = _INJECTED_CODES.get(status, "ServiceUnavailableException")
            return ApiError(code, message, status=status)
        if condition == LENGTH_REQUIRED:
            return missing_value(message)
        if condition == REQUEST_TIMEOUT:
            return ApiError("RequestTimeoutException", message)
        if condition == INTERNAL_ERROR:
            return ApiError("ServiceUnavailableException", message, status=status)
        if condition == BAD_REQUEST:
            return ApiError("BadRequest", message, status=status)
        return ApiError("BadRequest", message)

    def request_id_header(self, request: Request) -> Optional[str]:
        return detect_dialect(request.headers).request_id_header

    # -- host hooks ---------------------------------------------------------------------------

    def start(self) -> None:
        self.notifier.start()
        self.jobs.start()

    def stop(self) -> None:
        self.jobs.stop()
        self.notifier.stop()

    def info(self) -> Dict[str, Any]:
        settings = self.settings
        return {
            "region": settings.region,
            "glacier_region": settings.glacier_region,
            "job_delay_scale": settings.job_delay_scale,
            "dialects": sorted(DIALECTS),
        }

    def stats(self) -> Dict[str, Any]:
        sent, failed = self.notifier.counts()
        return {"callbacks_sent": sent, "callbacks_failed": failed}

    def admin(self, request: Request, subpath: str) -> Optional[Response]:
        head, _, rest = subpath.partition("/")
        if head == "jobs" and rest == "finish" and request.method == "POST":
            self.jobs.finish_all()
            return empty_response(204)
        if head == "cos":
            bucket, _, key = rest.partition("/")
            if bucket:
                return self._cos(request, bucket, key)
        return None

    def _cos(self, request: Request, bucket: str, key: str) -> Response:
        cos, method = self.cos, request.method
        if not key:
            if method != "GET":
                raise bad_request("use GET /_emulator/cos/<bucket> to list a bucket")
            return json_response(200, {"Bucket": bucket, "Keys": cos.list_objects(bucket)})
        if method == "PUT":
            etag = cos.put_stream(bucket, key, request.body.read, request.body.length)
            return empty_response(200, [("ETag", json.dumps(etag))])
        if method == "DELETE":
            if not cos.delete_object(bucket, key):
                raise not_found(f"no object {key!r} in bucket {bucket!r}")
            return empty_response(204)
        if method == "GET":
            obj = cos.head(bucket, key)
            if obj is None:
                raise not_found(f"no object {key!r} in bucket {bucket!r}")
            with cos.open(obj) as handle:
                data = handle.read()
            return Response(
                200, [("Content-Type", "application/octet-stream"), ("ETag", json.dumps(obj.etag))], data
            )
        raise bad_request("use PUT, GET or DELETE on /_emulator/cos/<bucket>/<key>")
