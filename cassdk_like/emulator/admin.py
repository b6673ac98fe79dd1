"""The admin endpoints under ``/_emulator/``: faults, statistics, the COS stand-in, job control.

They sit outside the API's path space, need no signature (the emulator is a local test tool bound
to loopback by default), are never counted in the statistics and never hit by injected faults.

=======  ===============================  ==================================================
GET      /_emulator/info                  endpoint, appid, secret id, regions (no secret key)
GET      /_emulator/stats                 :meth:`Stats.snapshot` plus callback counts
DELETE   /_emulator/stats                 reset the counters
GET      /_emulator/faults                active rules and the rate cap
POST     /_emulator/faults                add one rule (JSON, see :meth:`Faults.add_json`)
DELETE   /_emulator/faults                reset every fault
DELETE   /_emulator/faults/<id>           remove one rule
POST     /_emulator/jobs/finish           finish every in-progress job now
GET      /_emulator/cos/<bucket>          list object keys
PUT/GET/DELETE /_emulator/cos/<bucket>/<key>  store / fetch / delete a COS object
=======  ===============================  ==================================================
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, Optional

from cassdk_like.emulator.cas.callbacks import Notifier
from cassdk_like.emulator.cas.context import Services
from cassdk_like.emulator.cas.protocol import (
    CAS,
    Request,
    Response,
    empty_response,
    error_response,
    json_response,
)
from cassdk_like.emulator.cas.routes import ADMIN_PREFIX
from cassdk_like.emulator.errors import ApiError, bad_request, not_found
from cassdk_like.emulator.faults import Faults, Stats

__all__ = ["Admin"]


class Admin:
    """Serves the admin endpoints. Thread-safe."""

    def __init__(
        self,
        services: Services,
        faults: Faults,
        stats: Stats,
        notifier: Notifier,
        info: Callable[[], Dict[str, Any]],
    ) -> None:
        self.services = services
        self.faults = faults
        self.stats = stats
        self.notifier = notifier
        self.info = info

    def stats_snapshot(self) -> Dict[str, Any]:
        doc = self.stats.snapshot()
        sent, failed = self.notifier.counts()
        doc.update(callbacks_sent=sent, callbacks_failed=failed, faults_triggered=self.faults.triggered)
        return doc

    def handle(self, request: Request) -> Response:
        try:
            response = self._dispatch(request)
        except ApiError as error:
            response = error_response(error, CAS)
        except (ValueError, TypeError) as exc:
            response = error_response(bad_request(str(exc)), CAS)
        response.headers.append((CAS.request_id_header, "admin"))
        return response

    def _dispatch(self, request: Request) -> Response:
        parts = request.path[len(ADMIN_PREFIX) :].split("/", 2)
        head, method = parts[0], request.method
        if head == "info" and method == "GET":
            return json_response(200, self.info())
        if head == "stats":
            if method == "GET":
                return json_response(200, self.stats_snapshot())
            if method == "DELETE":
                self.stats.reset()
                return empty_response(204)
        if head == "faults":
            return self._faults(request, parts[1] if len(parts) > 1 else None)
        if head == "jobs" and parts[1:] == ["finish"] and method == "POST":
            self.services.jobs.finish_all()
            return empty_response(204)
        if head == "cos" and len(parts) >= 2 and parts[1]:
            return self._cos(request, parts[1], parts[2] if len(parts) > 2 else None)
        raise not_found(f"no admin endpoint {method} {request.path}")

    def _faults(self, request: Request, rule_id: Optional[str]) -> Response:
        method = request.method
        if rule_id:
            if method != "DELETE" or not rule_id.isdigit():
                raise bad_request("use DELETE /_emulator/faults/<numeric rule id>")
            if not self.faults.remove(int(rule_id)):
                raise not_found(f"no fault rule {rule_id}")
            return empty_response(204)
        if method == "GET":
            return json_response(200, self.faults.snapshot())
        if method == "DELETE":
            self.faults.reset()
            return empty_response(204)
        if method == "POST":
            return json_response(200, self.faults.add_json(request.read_json()))
        raise bad_request("use GET, POST or DELETE on /_emulator/faults")

    def _cos(self, request: Request, bucket: str, key: Optional[str]) -> Response:
        cos, method = self.services.cos, request.method
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
