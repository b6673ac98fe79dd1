"""One service's request pipeline, without sockets: routing, faults, authentication, the operation,
the error body and the request id.

Order matters and mirrors a real front end: the route is found first (faults and statistics need the
operation name) but its refusal waits; injected faults come next (they model the network and the
service's front door), then authentication (before anything is read), then the route's refusal, then
the operation. Every outcome, errors included, leaves with the service's request id header.
"""

from __future__ import annotations

import logging
import socket
import time
from typing import Callable, List, Optional, Tuple

from cassdk_like.emulator.db import IncompleteBody
from cassdk_like.emulator.errors import ApiError
from cassdk_like.emulator.faults import Decision, Faults, Stats
from cassdk_like.emulator.service import INJECTED, INTERNAL_ERROR, UNKNOWN_OPERATION, Route, Service
from cassdk_like.emulator.wire import Request, Response, new_request_id

__all__ = ["Observer", "Pipeline"]

#: called after every API request of every service: the request (``request.service`` and
#: ``request.operation`` say which), the response (None: the connection broke first), and what the
#: fault switches decided for it
Observer = Callable[[Request, Optional[Response], Decision], None]

_log = logging.getLogger("cassdk_like.emulator")


class Pipeline:
    """Turns one parsed request for ``service`` into one response. Thread-safe.

    ``observers`` is the host's list, shared by every service's pipeline (read, never changed here).
    """

    def __init__(self, service: Service, faults: Faults, stats: Stats, observers: List[Observer]) -> None:
        self.service = service
        self.faults = faults
        self.stats = stats
        self._observers = observers

    def handle(self, request: Request) -> Tuple[Response, Decision]:
        """One request through the pipeline, reported to the observers."""
        observers = list(self._observers)
        try:
            response, decision = self._handle(request)
        except BaseException:
            for observer in observers:
                observer(request, None, Decision())
            raise
        for observer in observers:
            observer(request, response, decision)
        return response, decision

    def _handle(self, request: Request) -> Tuple[Response, Decision]:
        service = self.service
        request.service = service.name
        request.request_id = new_request_id()
        route: Optional[Route] = None
        refusal: Optional[ApiError] = None
        try:
            route = service.route(request)
        except ApiError as error:
            refusal = error
        request.operation = route.operation if route is not None else UNKNOWN_OPERATION
        self.stats.record_request(service.name, request.method, request.operation)
        self.stats.add_received(service.name, request.body.length)
        decision = self.faults.decide(
            service.name, request.method, request.path, request.operation, code_for=self._injected_code
        )
        if decision.latency > 0:
            time.sleep(decision.latency)
        try:
            if decision.fail is not None:
                raise decision.fail
            service.verify(request)
            if route is None:
                raise refusal or ApiError("BadRequest", "the request matches no operation")
            response = service.invoke(route, request)
        except ApiError as error:
            response = service.error_response(error, request)
        except (IncompleteBody, socket.timeout, TimeoutError, ConnectionError):
            raise  # the connection is broken or stalled; the handler answers or hangs up
        except Exception:  # an emulator bug: answer like the service's own 500
            _log.exception("unexpected error handling %s %s", request.method, request.path)
            bug = service.host_error(INTERNAL_ERROR, 500, "internal error in the emulator")
            response = service.error_response(bug, request)
        self.stamp(response, request)
        return response, decision

    def host_error_response(self, request: Request, condition: str, status: int, message: str) -> Response:
        """The answer to a condition the handler found before the pipeline could run."""
        if not request.request_id:
            request.request_id = new_request_id()
        request.service = self.service.name
        response = self.service.error_response(self.service.host_error(condition, status, message), request)
        self.stamp(response, request)
        return response

    def stamp(self, response: Response, request: Request) -> None:
        header = self.service.request_id_header(request)
        if header is not None:
            response.headers.append((header, request.request_id))

    def count_sent(self, nbytes: int, job_output: bool, stored: bool = False) -> None:
        self.stats.add_sent(self.service.name, nbytes, job_output=job_output, stored=stored)

    def _injected_code(self, status: int) -> str:
        return self.service.host_error(INJECTED, status, "injected fault").code
