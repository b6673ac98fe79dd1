"""The admin endpoints under ``/_emulator/``, served on every service's port.

They sit outside every service's path space, need no signature (the emulator is a local test tool
bound to loopback by default), are never counted in the statistics and never hit by injected faults.
Errors are JSON ``{"code", "message", "type"}`` whatever the port's service.

=======  ===============================  ==================================================
GET      /_emulator/info                  endpoints, appid, secret id, services (no secret key)
GET      /_emulator/stats                 :meth:`Stats.snapshot`, faults triggered, service counters
DELETE   /_emulator/stats                 reset the counters
GET      /_emulator/faults                active rules and the rate caps
POST     /_emulator/faults                add one rule (JSON, see :meth:`Faults.add_json`)
DELETE   /_emulator/faults                reset every fault
DELETE   /_emulator/faults/<id>           remove one rule
*        /_emulator/<service>/<rest>      that service's own endpoints (:meth:`Service.admin`)
*        /_emulator/<rest>                the port's own service's endpoints, when nothing above
                                          matched (CAS: ``jobs/finish``, ``cos/<bucket>/<key>``)
=======  ===============================  ==================================================
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Mapping

from cassdk_like.emulator.errors import ApiError
from cassdk_like.emulator.faults import Faults, Stats
from cassdk_like.emulator.service import Service
from cassdk_like.emulator.wire import Request, Response, empty_response, json_response

__all__ = ["ADMIN_PREFIX", "Admin"]

#: the admin endpoints live outside every service's path space
ADMIN_PREFIX = "/_emulator/"

_SHARED = ("info", "stats", "faults")


def _bad_request(message: str) -> ApiError:
    return ApiError("BadRequest", message, status=400)


def _not_found(message: str) -> ApiError:
    return ApiError("ResourceNotFoundException", message, status=404)


class Admin:
    """Serves the admin endpoints for every port. Thread-safe."""

    def __init__(
        self,
        services: Mapping[str, Service],
        faults: Faults,
        stats: Stats,
        info: Callable[[], Dict[str, Any]],
    ) -> None:
        self.services = services  # the host's live registry
        self.faults = faults
        self.stats = stats
        self.info = info

    def stats_snapshot(self) -> Dict[str, Any]:
        doc = self.stats.snapshot()
        for service in list(self.services.values()):
            doc.update(service.stats())
        doc["faults_triggered"] = self.faults.triggered
        return doc

    def handle(self, request: Request, port_service: Service) -> Response:
        """One admin request arriving on ``port_service``'s port."""
        try:
            response = self._dispatch(request, port_service)
        except ApiError as error:
            response = _error(error)
        except (ValueError, TypeError) as exc:
            response = _error(_bad_request(str(exc)))
        request.request_id = "admin"
        header = port_service.request_id_header(request)
        if header is not None:
            response.headers.append((header, "admin"))
        return response

    def _dispatch(self, request: Request, port_service: Service) -> Response:
        subpath = request.path[len(ADMIN_PREFIX) :]
        head, _, rest = subpath.partition("/")
        method = request.method
        if head in _SHARED:
            return self._shared(request, head, rest)
        owner = self.services.get(head)
        if owner is not None and rest:
            found = owner.admin(request, rest)
            if found is not None:
                return found
        found = port_service.admin(request, subpath)
        if found is not None:
            return found
        raise _not_found(f"no admin endpoint {method} {request.path}")

    def _shared(self, request: Request, head: str, rest: str) -> Response:
        method = request.method
        if head == "info" and method == "GET" and not rest:
            return json_response(200, self.info())
        if head == "stats" and not rest:
            if method == "GET":
                return json_response(200, self.stats_snapshot())
            if method == "DELETE":
                self.stats.reset()
                return empty_response(204)
        if head == "faults":
            return self._faults(request, rest)
        raise _not_found(f"no admin endpoint {method} {request.path}")

    def _faults(self, request: Request, rule_id: str) -> Response:
        method = request.method
        if rule_id:
            if method != "DELETE" or not rule_id.isdigit():
                raise _bad_request("use DELETE /_emulator/faults/<numeric rule id>")
            if not self.faults.remove(int(rule_id)):
                raise _not_found(f"no fault rule {rule_id}")
            return empty_response(204)
        if method == "GET":
            return json_response(200, self.faults.snapshot())
        if method == "DELETE":
            self.faults.reset()
            return empty_response(204)
        if method == "POST":
            return json_response(200, self.faults.add_json(request.read_json()))
        raise _bad_request("use GET, POST or DELETE on /_emulator/faults")


def _error(error: ApiError) -> Response:
    doc = {"code": error.code, "message": error.message, "type": error.error_type}
    return json_response(error.status, doc)
