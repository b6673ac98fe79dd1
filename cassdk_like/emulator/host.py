"""``ServiceHost``: runs every emulated service on its own loopback port, with shared faults,
statistics, observers and admin endpoints.

Why one host and several ports rather than one port: each service keeps the whole path space its
clients expect (``/`` means a bucket listing to S3, a vault path to CAS), and each endpoint can be
handed to its SDK unchanged.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import AbstractSet, Any, Callable, Dict, List, Mapping

from cassdk_like.emulator.admin import Admin
from cassdk_like.emulator.faults import Faults, Stats
from cassdk_like.emulator.handler import EmulatorHTTPServer
from cassdk_like.emulator.pipeline import Observer, Pipeline
from cassdk_like.emulator.service import Service

__all__ = ["ServiceHost"]


@dataclass
class _Serving:
    server: EmulatorHTTPServer
    thread: threading.Thread
    port: int


class ServiceHost:
    """The services, their servers, and what they share. Thread-safe for requests; start, stop and
    add are meant for one controlling thread."""

    def __init__(self, host: str, socket_timeout: float, info: Callable[[], Dict[str, Any]]) -> None:
        self.host = host
        self.socket_timeout = socket_timeout
        self._services: Dict[str, Service] = {}
        self._requested: Dict[str, int] = {}
        self._serving: Dict[str, _Serving] = {}
        self._observers: List[Observer] = []
        self.faults = Faults(self.catalogue)
        self.stats = Stats()
        self.admin = Admin(self._services, self.faults, self.stats, info)
        self._running = False

    # -- registry -----------------------------------------------------------------------------

    @property
    def services(self) -> Mapping[str, Service]:
        return dict(self._services)

    def catalogue(self) -> Mapping[str, AbstractSet[str]]:
        """Service name -> its operation names (what fault rules may name)."""
        return {name: service.operations for name, service in self._services.items()}

    def add(self, service: Service, port: int = 0) -> None:
        """Register ``service`` on ``port`` (0: a free one); served at once when the host runs."""
        name = service.name
        if not name or not isinstance(name, str) or name != name.lower() or "/" in name:
            raise ValueError(f"a service name is a lower-case word, got {name!r}")
        if name in self._services or name in ("info", "stats", "faults"):
            raise ValueError(f"a service named {name!r} is already registered (or the name is reserved)")
        if not 0 <= int(port) <= 65535:
            raise ValueError(f"port for {name!r} must be 0-65535, got {port}")
        self._services[name] = service
        self._requested[name] = int(port)
        if self._running:
            try:
                self._serve(service)
            except BaseException:
                del self._services[name], self._requested[name]
                raise

    # -- where ----------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._running

    def port(self, name: str) -> int:
        serving = self._serving.get(name)
        if serving is None:
            if name not in self._services:
                raise KeyError(f"no service {name!r}; the emulator runs {sorted(self._services)}")
            raise RuntimeError("the emulator is not running; call start() or use it as a context manager")
        return serving.port

    def endpoint(self, name: str) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port(name)}"

    def endpoints(self) -> Dict[str, str]:
        """Service name -> base URL, in registration order (empty when not running)."""
        return {name: self.endpoint(name) for name in self._services if name in self._serving}

    # -- observers ------------------------------------------------------------------------------

    def add_observer(self, observer: Observer) -> None:
        self._observers.append(observer)

    def remove_observer(self, observer: Observer) -> None:
        self._observers.remove(observer)

    # -- life -----------------------------------------------------------------------------------

    def start(self) -> None:
        """Serve every registered service; on any failure stop those already started and raise."""
        if self._running:
            return
        try:
            for service in list(self._services.values()):
                self._serve(service)
        except BaseException:
            self._stop_serving()
            raise
        self._running = True

    def stop(self) -> None:
        """Stop serving, close connections, then stop the services' background threads."""
        self._running = False
        self._stop_serving()

    def _serve(self, service: Service) -> None:
        pipeline = Pipeline(service, self.faults, self.stats, self._observers)
        server = EmulatorHTTPServer(
            (self.host, self._requested[service.name]), pipeline, self.admin, self.socket_timeout
        )
        try:
            service.start()
        except BaseException:
            server.server_close()
            raise
        thread = threading.Thread(
            target=server.serve_forever,
            name=f"emulator-{service.name}",
            daemon=True,
            kwargs={"poll_interval": 0.05},
        )
        self._serving[service.name] = _Serving(server, thread, int(server.server_address[1]))
        thread.start()

    def _stop_serving(self) -> None:
        serving, self._serving = self._serving, {}
        for entry in serving.values():
            entry.server.shutdown()
            entry.server.close_connections()
            entry.server.server_close()
            entry.thread.join(timeout=5)
        for name in serving:
            self._services[name].stop()
