"""The contract between the shared host and one emulated service (CAS now; S3, COS, ReductStore,
DirectIO next).

The host owns everything that is the same for every service: the HTTP/1.1 socket side, fault
injection, statistics, observers, the ``/_emulator/`` admin endpoints and the data directory (one
sqlite index plus blob files). A service owns its wire format: how a request maps to an operation,
how it is authenticated, what the operation does, and how an error looks on the wire. The host runs
each service on its own loopback port and calls, for every request::

    route = service.route(request)          # refusal kept until after verify (auth errors first)
    request.operation = route.operation     # or UNKNOWN_OPERATION; faults and statistics use it
    <faults: latency, then an injected error built by service.host_error(INJECTED, ...)>
    service.verify(request)
    response = service.invoke(route, request)
    # any ApiError -> service.error_response(error, request)
    # the request id header: service.request_id_header(request) = request.request_id
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import AbstractSet, Any, Callable, Dict, Mapping, Optional, Protocol

from cassdk_like.emulator.db import Database
from cassdk_like.emulator.errors import ApiError
from cassdk_like.emulator.wire import Request, Response

__all__ = [
    "BAD_REQUEST",
    "HOST_CONDITIONS",
    "INJECTED",
    "INTERNAL_ERROR",
    "LENGTH_REQUIRED",
    "REQUEST_TIMEOUT",
    "UNKNOWN_OPERATION",
    "Account",
    "Environment",
    "Route",
    "Service",
    "ServiceBase",
    "ServiceFactory",
]

#: the operation name of a request the service's routing refused
UNKNOWN_OPERATION = "Unknown"

# Conditions the host detects itself; a service names each in its own vocabulary (``host_error``).
#: malformed request line, headers or Content-Length (status from http.server: 400, 414, 431...)
BAD_REQUEST = "bad_request"
#: a body without Content-Length (chunked bodies are refused)
LENGTH_REQUIRED = "length_required"
#: the client stalled while sending its body
REQUEST_TIMEOUT = "request_timeout"
#: an emulator bug surfaced while handling the request (logged with its traceback)
INTERNAL_ERROR = "internal_error"
#: a fault rule without a ``code`` fired with this status: the service picks its usual code for it
INJECTED = "injected"
HOST_CONDITIONS = (BAD_REQUEST, LENGTH_REQUIRED, REQUEST_TIMEOUT, INTERNAL_ERROR, INJECTED)


@dataclass(frozen=True)
class Route:
    """Where a request goes: the operation name and the parameters the service took from the path."""

    operation: str
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, repr=False)
class Account:
    """The emulator's one account: every service checks requests against it (in its own scheme)."""

    appid: str
    secret_id: str
    secret_key: str

    def __repr__(self) -> str:
        return f"Account(appid={self.appid!r}, secret_id={self.secret_id!r}, secret_key=<hidden>)"


@dataclass(frozen=True)
class Environment:
    """What the host lends every service it builds: storage, time and the account.

    ``db`` is shared: a service adds its tables with :meth:`Database.add_tables` (naming the blob
    columns, so the start-up sweep keeps its blobs) and keeps its own table names apart.
    """

    db: Database
    clock: Callable[[], float]
    account: Account
    data_dir: Path


class Service(Protocol):
    """One emulated service, as the host sees it. Methods are called from many threads at once."""

    @property
    def name(self) -> str:
        """Short lower-case name: the key of ``Emulator.endpoints``, ``ports``, fault rules, stats."""
        ...

    @property
    def operations(self) -> AbstractSet[str]:
        """Every operation name :meth:`route` can return (fault rules naming others are refused)."""
        ...

    def route(self, request: Request) -> Route:
        """The operation a request asks for, from method, path, query and headers only (never the
        body). Raise ApiError for an unknown path or method; the host raises it after :meth:`verify`,
        so a badly signed request to a wrong path still gets the authentication error."""
        ...

    def verify(self, request: Request) -> None:
        """Raise ApiError unless the request is authentic (signature, token, clock skew).
        ``request.operation`` is set (``UNKNOWN_OPERATION`` when routing refused it), so operations
        that need no credentials (a health check) can be let through."""
        ...

    def invoke(self, route: Route, request: Request) -> Response:
        """Run the operation :meth:`route` chose; raise ApiError to refuse."""
        ...

    def error_response(self, error: ApiError, request: Request) -> Response:
        """``error`` in the service's format: a JSON or XML body, or headers only (ReductStore's
        ``x-reduct-error``), with ``Retry-After`` when ``error.retry_after`` is set. May be called
        with a request whose body was never read and whose ``operation`` is empty (the handler's
        own errors). ``request.request_id`` is the id the host will send in the header."""
        ...

    def host_error(self, condition: str, status: int, message: str) -> ApiError:
        """The error for a condition the host found itself (one of ``HOST_CONDITIONS``), named in
        the service's vocabulary. For ``INJECTED`` keep ``status``: the fault rule chose it."""
        ...

    def request_id_header(self, request: Request) -> Optional[str]:
        """The response header that carries ``request.request_id`` (None: the service sends none)."""
        ...

    def admin(self, request: Request, subpath: str) -> Optional[Response]:
        """The service's own admin endpoints: ``subpath`` is what follows ``/_emulator/<name>/`` (or
        ``/_emulator/`` on the service's own port when no shared endpoint matched). None: not one."""
        ...

    def info(self) -> Dict[str, Any]:
        """Facts for ``/_emulator/info`` under ``services.<name>`` (never a secret)."""
        ...

    def stats(self) -> Dict[str, Any]:
        """Extra counters merged into ``/_emulator/stats`` (prefix the keys to keep them apart)."""
        ...

    def start(self) -> None:
        """Start background threads (job runners, notifiers); called before the port serves."""
        ...

    def stop(self) -> None:
        """Stop them; called after the port stopped serving. The host closes the database after."""
        ...


#: what ``Emulator.add_service`` takes: a callable building the service from the host's environment
ServiceFactory = Callable[[Environment], Service]


class ServiceBase:
    """Defaults for the optional parts of :class:`Service` (no admin endpoints, no threads, generic
    codes for the host's conditions); a service still supplies name, operations, route, verify,
    invoke and error_response."""

    name = ""
    operations: AbstractSet[str] = frozenset()

    _CONDITION_CODES: Mapping[str, str] = {
        BAD_REQUEST: "BadRequest",
        LENGTH_REQUIRED: "MissingContentLength",
        REQUEST_TIMEOUT: "RequestTimeout",
        INTERNAL_ERROR: "InternalError",
    }
    _INJECTED_CODES: Mapping[int, str] = {
        408: "RequestTimeout",
        429: "TooManyRequests",
        500: "InternalError",
        503: "ServiceUnavailable",
    }

    def host_error(self, condition: str, status: int, message: str) -> ApiError:
        if condition == INJECTED:
            return ApiError(self._INJECTED_CODES.get(status, "InjectedFault"), message, status=status)
        return ApiError(self._CONDITION_CODES.get(condition, "BadRequest"), message, status=status)

    def request_id_header(self, request: Request) -> Optional[str]:
        return None

    def admin(self, request: Request, subpath: str) -> Optional[Response]:
        return None

    def info(self) -> Dict[str, Any]:
        return {}

    def stats(self) -> Dict[str, Any]:
        return {}

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None
