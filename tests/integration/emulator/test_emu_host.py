"""The emulator as a host of services: a toy "echo" service beside CAS, each on its own port.

The echo service implements the whole :class:`Service` protocol in a few lines (token header auth,
header-borne errors like ReductStore's, its own request id header, an admin endpoint, a background
thread), so these tests pin what the shared host does for any service: separate routing and error
formats, faults scoped per service, shared statistics and observers, admin endpoints on every port.
"""

from __future__ import annotations

import ast
import threading
from pathlib import Path
from typing import AbstractSet, Any, Dict, Iterator, List, Optional, Tuple

import pytest
import requests

import cassdk_like.emulator
from cassdk_like.emulator import ApiError, Emulator, Environment, Request, Response, Route
from cassdk_like.emulator.faults import Decision
from cassdk_like.emulator.service import INJECTED, UNKNOWN_OPERATION
from cassdk_like.emulator.wire import empty_response, json_response
from tests.integration.emulator.emu_helpers import Raw, error_of

_TOKEN_HEADER = "x-echo-token"


class EchoService:
    """POST /echo returns the body; GET /ping needs no token. Errors travel in ``x-echo-error``."""

    name = "echo"
    operations: AbstractSet[str] = frozenset({"Echo", "Ping"})

    def __init__(self, env: Environment) -> None:
        self._token = env.account.secret_key
        self.echoed = 0
        self.lock = threading.Lock()
        self.started = threading.Event()
        self.stopped = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def route(self, request: Request) -> Route:
        table = {("GET", "/ping"): "Ping", ("POST", "/echo"): "Echo"}
        operation = table.get((request.method, request.path))
        if operation is None:
            raise ApiError("NoRoute", f"nothing at {request.method} {request.path}", status=404)
        return Route(operation)

    def verify(self, request: Request) -> None:
        if request.operation == "Ping":
            return
        if request.header(_TOKEN_HEADER) != self._token:
            raise ApiError("BadToken", "send the emulator's secret key in x-echo-token", status=401)

    def invoke(self, route: Route, request: Request) -> Response:
        if route.operation == "Ping":
            return Response(200, [("Content-Type", "text/plain")], b"pong")
        data = request.body.read(request.body.length)
        with self.lock:
            self.echoed += len(data)
        return Response(200, [("Content-Type", "application/octet-stream")], data)

    def error_response(self, error: ApiError, request: Request) -> Response:
        return empty_response(error.status, [("x-echo-error", f"{error.code}: {error.message}")])

    def host_error(self, condition: str, status: int, message: str) -> ApiError:
        code = "EchoUnavailable" if condition == INJECTED else f"Echo-{condition}"
        return ApiError(code, message, status=status)

    def request_id_header(self, request: Request) -> Optional[str]:
        return "x-echo-id"

    def admin(self, request: Request, subpath: str) -> Optional[Response]:
        if subpath == "echoed" and request.method == "GET":
            with self.lock:
                return json_response(200, {"echoed": self.echoed})
        return None

    def info(self) -> Dict[str, Any]:
        return {"token_header": _TOKEN_HEADER}

    def stats(self) -> Dict[str, Any]:
        with self.lock:
            return {"echo_bytes": self.echoed}

    def start(self) -> None:
        self._thread = threading.Thread(target=self.stopped.wait, name="echo-background", daemon=True)
        self._thread.start()
        self.started.set()

    def stop(self) -> None:
        self.stopped.set()
        if self._thread is not None:
            self._thread.join(5)


@pytest.fixture
def host() -> Iterator[Tuple[Emulator, EchoService]]:
    emu = Emulator(job_delay_scale=0)
    echo = emu.add_service(EchoService)
    assert isinstance(echo, EchoService)
    with emu:
        yield emu, echo


@pytest.fixture
def cas(host: Tuple[Emulator, EchoService]) -> Iterator[Raw]:
    raw = Raw(host[0], "cas")
    yield raw
    raw.close()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    session = requests.Session()
    session.trust_env = False
    with session:
        yield session


def _echo(
    emu: Emulator, http: requests.Session, body: bytes, token: Optional[str] = None
) -> requests.Response:
    headers = {_TOKEN_HEADER: emu.secret_key if token is None else token}
    return http.post(f"{emu.endpoints['echo']}/echo", data=body, headers=headers, timeout=30)


def test_two_services_on_two_ports(host: Tuple[Emulator, EchoService], http: requests.Session) -> None:
    emu, echo = host
    assert list(emu.endpoints) == ["cas", "s3", "cos", "reduct", "direct", "echo"]
    assert emu.endpoints["cas"] == emu.endpoint
    cas_port = int(emu.endpoint.rsplit(":", 1)[1])
    echo_port = int(emu.endpoints["echo"].rsplit(":", 1)[1])
    assert cas_port != echo_port
    assert cas_port == emu.port
    assert echo.started.is_set()
    answer = _echo(emu, http, b"hello")
    assert (answer.status_code, answer.content) == (200, b"hello")
    assert len(answer.headers["x-echo-id"]) == 32
    assert "x-cas-requestId" not in answer.headers
    denied = _echo(emu, http, b"x", token="wrong")
    assert denied.status_code == 401
    assert denied.headers["x-echo-error"].startswith("BadToken: ")
    assert denied.content == b""
    assert http.get(f"{emu.endpoints['echo']}/ping", timeout=30).content == b"pong"  # no token needed


def test_each_port_routes_only_its_own_service(
    host: Tuple[Emulator, EchoService], http: requests.Session, cas: Raw
) -> None:
    emu, _echo_service = host
    token = {_TOKEN_HEADER: emu.secret_key}
    vaults_on_echo = http.get(f"{emu.endpoints['echo']}/-/vaults", headers=token, timeout=30)
    assert vaults_on_echo.status_code == 404
    assert vaults_on_echo.headers["x-echo-error"].startswith("NoRoute: ")
    # authentication comes before the route's refusal, in each service's own scheme
    assert http.get(f"{emu.endpoints['echo']}/-/vaults", timeout=30).status_code == 401
    ping_on_cas = cas.request("GET", "/ping")
    assert error_of(ping_on_cas) == (404, "ResourceNotFoundException", "Client")
    assert "x-cas-requestId" in ping_on_cas.headers
    assert cas.request("GET", "/-/vaults").status_code == 200


def test_host_errors_use_the_service_format(
    host: Tuple[Emulator, EchoService], http: requests.Session
) -> None:
    emu, _echo_service = host
    chunked = http.post(
        f"{emu.endpoints['echo']}/echo",
        data=iter([b"a", b"b"]),
        headers={_TOKEN_HEADER: emu.secret_key},
        timeout=30,
    )
    assert chunked.status_code == 411
    assert chunked.headers["x-echo-error"].startswith("Echo-length_required: ")


def test_faults_are_scoped_per_service(
    host: Tuple[Emulator, EchoService], http: requests.Session, cas: Raw
) -> None:
    emu, _echo_service = host
    emu.faults.fail_next(None, status=503, service="echo")
    assert cas.request("GET", "/-/vaults").status_code == 200
    failed = _echo(emu, http, b"x")
    assert failed.status_code == 503
    assert failed.headers["x-echo-error"] == "EchoUnavailable: injected fault: EchoUnavailable"
    emu.faults.reset()
    emu.faults.fail_next(1, status=500, service="cas")
    assert _echo(emu, http, b"x").status_code == 200
    assert cas.request("GET", "/-/vaults").status_code == 500
    assert cas.request("GET", "/-/vaults").status_code == 200
    # a rule without a service matches every service; one naming an operation, only where it is
    emu.faults.fail_next(1, status=429, code="Busy", operation="Ping")
    assert cas.request("GET", "/-/vaults").status_code == 200
    busy = http.get(f"{emu.endpoints['echo']}/ping", timeout=30)
    assert (busy.status_code, busy.headers["x-echo-error"]) == (429, "Busy: injected fault: Busy")


def test_fault_rules_must_name_a_hosted_service_and_operation(host: Tuple[Emulator, EchoService]) -> None:
    emu, _echo_service = host
    with pytest.raises(ValueError, match="no service 'nope'"):
        emu.faults.fail_next(service="nope")
    with pytest.raises(ValueError, match="no operation 'ListVaults' in service 'echo'"):
        emu.faults.fail_next(service="echo", operation="ListVaults")
    with pytest.raises(ValueError, match="no operation 'Pnig'"):
        emu.faults.add_latency(0.1, operation="Pnig")
    emu.faults.fail_next(service="cas", operation="ListVaults")  # both exist
    emu.faults.fail_next(operation="Echo")  # exists in one service
    assert [rule["service"] for rule in emu.faults.rules()] == ["cas", "*"]


def test_faults_over_http_name_the_service(
    host: Tuple[Emulator, EchoService], http: requests.Session
) -> None:
    emu, _echo_service = host
    admin = f"{emu.endpoints['echo']}/_emulator/faults"
    added = http.post(admin, json={"kind": "fail", "status": 503, "service": "echo", "count": 1}, timeout=30)
    assert added.status_code == 200
    refused = http.post(admin, json={"kind": "fail", "service": "s4"}, timeout=30)
    assert error_of(refused)[:2] == (400, "BadRequest")
    capped = http.post(admin, json={"kind": "rate", "bytes_per_second": 4096, "service": "echo"}, timeout=30)
    assert capped.json() == {"rate_limit": 4096, "service": "echo"}
    assert emu.faults.rate_limit_for("echo") == 4096
    assert emu.faults.rate_limit_for("cas") is None
    snapshot = http.get(admin, timeout=30).json()
    assert snapshot["service_rate_limits"] == {"echo": 4096}
    assert [rule["service"] for rule in snapshot["rules"]] == ["echo"]
    assert _echo(emu, http, b"x").status_code == 503


def test_statistics_are_shared_and_broken_down(
    host: Tuple[Emulator, EchoService], http: requests.Session, cas: Raw
) -> None:
    emu, _echo_service = host
    cas.request("GET", "/-/vaults")
    _echo(emu, http, b"12345")
    _echo(emu, http, b"678")
    http.get(f"{emu.endpoints['echo']}/nowhere", timeout=30)
    stats = emu.stats
    assert stats.total_requests == 4
    assert stats.count("Echo") == 2
    assert stats.count(service="echo") == 3
    assert stats.count(service="cas") == 1
    assert stats.count(UNKNOWN_OPERATION, service="echo") == 1
    snapshot = http.get(f"{emu.endpoint}/_emulator/stats", timeout=30).json()
    assert snapshot["total_requests"] == 4
    assert snapshot["echo_bytes"] == 8  # the service's own counter
    assert "callbacks_sent" in snapshot
    echo = snapshot["services"]["echo"]
    assert echo["operations"] == {"Echo": 2, UNKNOWN_OPERATION: 1}
    assert echo["bytes_received"] == 8
    assert echo["bytes_sent"] == 8
    assert echo["stored_bytes_sent"] == 0  # a document sent from memory, not stored data
    assert snapshot["services"]["cas"]["requests"] == {"GET ListVaults": 1}


def test_observers_see_every_service(
    host: Tuple[Emulator, EchoService], http: requests.Session, cas: Raw
) -> None:
    emu, _echo_service = host
    seen: List[Tuple[str, str, int, bool]] = []
    lock = threading.Lock()

    def observe(request: Request, response: Optional[Response], decision: Decision) -> None:
        with lock:
            status = response.status if response is not None else 0
            seen.append((request.service, request.operation, status, decision.fail is not None))

    emu.add_observer(observe)
    emu.faults.fail_next(1, status=503, service="echo")
    _echo(emu, http, b"a")
    _echo(emu, http, b"b")
    cas.request("GET", "/-/vaults")
    emu.remove_observer(observe)
    _echo(emu, http, b"c")
    assert seen == [
        ("echo", "Echo", 503, True),
        ("echo", "Echo", 200, False),
        ("cas", "ListVaults", 200, False),
    ]


def test_admin_endpoints_serve_every_port(host: Tuple[Emulator, EchoService], http: requests.Session) -> None:
    emu, _echo_service = host
    _echo(emu, http, b"abc")
    for base in emu.endpoints.values():  # /_emulator/<service>/... from any port
        assert http.get(f"{base}/_emulator/echo/echoed", timeout=30).json() == {"echoed": 3}
    own = http.get(f"{emu.endpoints['echo']}/_emulator/echoed", timeout=30)  # the port's own service
    assert own.json() == {"echoed": 3}
    assert own.headers["x-echo-id"] == "admin"
    assert http.get(f"{emu.endpoint}/_emulator/echoed", timeout=30).status_code == 404
    info = http.get(f"{emu.endpoints['echo']}/_emulator/info", timeout=30).json()
    assert info["endpoints"] == emu.endpoints
    assert info["services"]["echo"] == {"token_header": _TOKEN_HEADER}
    assert info["services"]["cas"]["dialects"] == ["cas", "glacier"]
    assert emu.secret_key not in str(info)
    assert emu.secret_key not in repr(emu.environment) + repr(emu)
    assert emu.stats.total_requests == 1  # admin calls are not counted


def test_a_service_added_while_running_starts_at_once(http: requests.Session) -> None:
    with Emulator(job_delay_scale=0) as emu:
        assert list(emu.endpoints) == ["cas", "s3", "cos", "reduct", "direct"]
        echo = emu.add_service(EchoService)
        assert isinstance(echo, EchoService)
        assert echo.started.is_set()
        assert _echo(emu, http, b"late").content == b"late"
        with pytest.raises(ValueError, match="already registered"):
            emu.add_service(EchoService)
    assert echo.stopped.is_set()
    assert not emu.running


def test_ports_are_chosen_per_service() -> None:
    with pytest.raises(ValueError, match="disagree"):
        Emulator(port=1234, ports={"cas": 4321})
    emu = Emulator(ports={"cas": 0, "echo": 0, "nope": 0})
    emu.add_service(EchoService)
    with pytest.raises(ValueError, match=r"no such service \['nope'\]"):
        emu.start()
    emu.stop()
    with Emulator(ports={"cas": 0}) as emu:
        assert emu.port > 0
        assert emu.info()["endpoints"] == {
            "cas": emu.endpoint,
            "s3": emu.endpoints["s3"],
            "cos": emu.endpoints["cos"],
            "reduct": emu.endpoints["reduct"],
            "direct": emu.endpoints["direct"],
        }


#: the shared modules: they must know no service (only ``server``, ``cli`` and ``__init__`` compose)
_SHARED_MODULES = ("admin", "db", "errors", "faults", "handler", "host", "pipeline", "service", "wire")


@pytest.mark.parametrize("module", _SHARED_MODULES)
def test_the_shared_host_imports_no_service(module: str) -> None:
    source = Path(cassdk_like.emulator.__file__).with_name(f"{module}.py")
    tree = ast.parse(source.read_text(encoding="utf-8"))
    imported = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    imported += [
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    ]
    services = [
        name
        for name in imported
        if name.startswith(
            tuple(
                f"cassdk_like.emulator.{sub}"
                for sub in ("cas", "s3", "cos", "objectstore", "reduct", "direct")
            )
        )
    ]
    assert imported, f"{module}.py: the check read no imports"
    assert not services, f"{module}.py imports a service: {services}"
