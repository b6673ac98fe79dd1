"""The request pipeline, without sockets: faults, signature, routing, operation, error body.

Order matters and mirrors a real front end: injected faults first (they model the network and the
service's front door), then the signature (before anything is read or routed), then the account
segment, then the operation. Every outcome, including errors, leaves with a request id.
"""

from __future__ import annotations

import logging
import socket
import time
from typing import Callable, Dict, List, Optional, Tuple

from cassdk_like.emulator.cas.auth import Verifier, detect_dialect
from cassdk_like.emulator.cas.context import Context, Operation, Services
from cassdk_like.emulator.cas.ops_archives import OPERATIONS as ARCHIVE_OPERATIONS
from cassdk_like.emulator.cas.ops_jobs import OPERATIONS as JOB_OPERATIONS
from cassdk_like.emulator.cas.ops_vaults import OPERATIONS as VAULT_OPERATIONS
from cassdk_like.emulator.cas.protocol import Request, Response, error_response, new_request_id
from cassdk_like.emulator.cas.routes import guess_operation, match_route
from cassdk_like.emulator.cas.util import check_vault_name
from cassdk_like.emulator.db import IncompleteBody
from cassdk_like.emulator.errors import ApiError
from cassdk_like.emulator.faults import Decision, Faults, Stats

__all__ = ["OPERATIONS", "App", "Observer"]

#: called after every API request: the request, the response (None: the connection broke first),
#: and what the fault switches decided for it
Observer = Callable[[Request, Optional[Response], Decision], None]

_log = logging.getLogger("cassdk_like.emulator")

OPERATIONS: Dict[str, Operation] = {**VAULT_OPERATIONS, **ARCHIVE_OPERATIONS, **JOB_OPERATIONS}


class App:
    """Turns one parsed request into one response. Thread-safe."""

    def __init__(self, services: Services, verifier: Verifier, faults: Faults, stats: Stats) -> None:
        self.services = services
        self.verifier = verifier
        self.faults = faults
        self.stats = stats
        self._observers: List[Observer] = []

    def add_observer(self, observer: Observer) -> None:
        self._observers.append(observer)

    def remove_observer(self, observer: Observer) -> None:
        self._observers.remove(observer)

    def handle(
        self, request: Request, raw_path: str, raw_headers: List[Tuple[str, str]]
    ) -> Tuple[Response, Decision]:
        """One request through the pipeline, reported to the observers."""
        observers = list(self._observers)
        try:
            response, decision = self._handle(request, raw_path, raw_headers)
        except BaseException:
            for observer in observers:
                observer(request, None, Decision())
            raise
        for observer in observers:
            observer(request, response, decision)
        return response, decision

    def _handle(
        self, request: Request, raw_path: str, raw_headers: List[Tuple[str, str]]
    ) -> Tuple[Response, Decision]:
        dialect = detect_dialect(request.headers)
        operation = guess_operation(request.method, request.path)
        self.stats.record_request(request.method, operation)
        self.stats.add_received(request.body.length)
        decision = self.faults.decide(request.method, request.path, operation)
        if decision.latency > 0:
            time.sleep(decision.latency)
        try:
            if decision.fail is not None:
                raise decision.fail
            self.verifier.verify(request, raw_path, raw_headers, dialect)
            route = match_route(request.method, request.path, dict(request.query))
            self.verifier.check_uid(route.uid)
            if "vault" in route.params:
                check_vault_name(route.vault)
            response = OPERATIONS[route.operation](Context(request, dialect, route, self.services))
        except ApiError as error:
            response = error_response(error, dialect)
        except (IncompleteBody, socket.timeout, TimeoutError, ConnectionError):
            raise  # the connection is broken or stalled; the handler answers or hangs up
        except Exception:  # an emulator bug: answer like the service's own 500
            _log.exception("unexpected error handling %s %s", request.method, request.path)
            response = error_response(
                ApiError("ServiceUnavailableException", "internal error in the emulator"), dialect
            )
        response.headers.append((dialect.request_id_header, new_request_id()))
        return response, decision
