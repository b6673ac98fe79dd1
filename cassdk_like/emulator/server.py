"""``Emulator``: a strict, disk-backed CAS (and Glacier-dialect) service on loopback.

Start it in process (``with Emulator() as emu:``) or from the shell (``python -m cassdk_like.emulator``).
It speaks both dialects on one port, verifies every signature, streams bodies to disk while hashing,
and keeps its state in ``data_dir`` across restarts (a temporary folder, removed on exit, by default).
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, Mapping, Optional, Tuple, Union

from cassdk_like.core.integrity import MiB
from cassdk_like.emulator.admin import Admin
from cassdk_like.emulator.app import App, Observer
from cassdk_like.emulator.cas.auth import Verifier
from cassdk_like.emulator.cas.callbacks import Notifier
from cassdk_like.emulator.cas.context import DEFAULT_TIER_DELAYS, Services, Settings
from cassdk_like.emulator.cas.cos import CosStore
from cassdk_like.emulator.cas.joboutput import Finisher
from cassdk_like.emulator.cas.jobs import JobManager
from cassdk_like.emulator.cas.ops_jobs import render_job
from cassdk_like.emulator.cas.protocol import DIALECTS
from cassdk_like.emulator.cas.store import Store
from cassdk_like.emulator.cas.uploads import Uploads
from cassdk_like.emulator.db import Database
from cassdk_like.emulator.faults import Faults, Stats
from cassdk_like.emulator.handler import EmulatorHTTPServer

__all__ = ["Emulator"]

PathLike = Union[str, Path]


class Emulator:
    """A local CAS service. Thread-safe; use as a context manager or call start()/stop().

    ``job_delay_scale`` multiplies the tier delays (Expedited 1 s, Standard 5 s, Bulk 10 s; 0 finishes
    jobs at once). Credentials are generated (and kept in ``data_dir``) unless given. Options beyond
    the issue's: ``max_vaults`` (the service's 1000-vault limit), ``max_skew`` (signature clock skew,
    s), ``expedited_max_bytes`` (Expedited only for archives up to 256 MiB; None lifts it),
    ``allow_empty_archives`` (the service refuses zero-byte archives), ``retention`` (jobs and
    uploads live 24 h), ``fsync`` (default: on with a data_dir, off for the temporary folder).
    """

    def __init__(
        self,
        data_dir: Optional[PathLike] = None,
        host: str = "127.0.0.1",
        port: int = 0,
        job_delay_scale: float = 1.0,
        appid: Optional[str] = None,
        secret_id: Optional[str] = None,
        secret_key: Optional[str] = None,
        *,
        region: str = "ap-guangzhou",
        glacier_region: str = "us-east-1",
        max_vaults: int = 1000,
        max_tags: int = 50,
        max_skew: int = 900,
        expedited_max_bytes: Optional[int] = 256 * MiB,
        tier_delays: Optional[Mapping[str, float]] = None,
        retention: float = 24 * 3600.0,
        allow_empty_archives: bool = False,
        fsync: Optional[bool] = None,
        socket_timeout: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if (secret_id is None) != (secret_key is None):
            raise ValueError("give both secret_id and secret_key, or neither (to generate a pair)")
        if job_delay_scale < 0:
            raise ValueError("job_delay_scale must be >= 0")
        self.host = host
        self._requested_port = port
        self._temporary = data_dir is None
        self.data_dir = Path(tempfile.mkdtemp(prefix="cas-emulator-")) if data_dir is None else Path(data_dir)
        self._db = Database(self.data_dir, fsync=(not self._temporary) if fsync is None else fsync)
        self.appid, self.secret_id, self._secret_key = self._credentials(appid, secret_id, secret_key)
        delays = dict(DEFAULT_TIER_DELAYS)
        delays.update(tier_delays or {})
        self.settings = Settings(
            appid=self.appid,
            region=region,
            glacier_region=glacier_region,
            max_vaults=max_vaults,
            max_tags=max_tags,
            max_skew=max_skew,
            job_delay_scale=float(job_delay_scale),
            tier_delays=delays,
            expedited_max_bytes=expedited_max_bytes,
            retention=retention,
            allow_empty_archives=allow_empty_archives,
        )
        self._clock = clock
        self._socket_timeout = socket_timeout
        self.faults = Faults()
        self.stats = Stats()
        self._build()
        self._server: Optional[EmulatorHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self._port: Optional[int] = None

    def _credentials(
        self, appid: Optional[str], secret_id: Optional[str], secret_key: Optional[str]
    ) -> Tuple[str, str, str]:
        """Given values win; otherwise reuse the pair stored in data_dir, or generate and store one."""
        stored = {k: self._db.meta_get(k) for k in ("appid", "secret_id", "secret_key")}
        if appid is None:
            appid = stored["appid"] or str(1250000000 + secrets.randbelow(10**8))
            self._db.meta_set("appid", appid)
        if secret_id is None or secret_key is None:
            secret_id = stored["secret_id"] or "AKID" + secrets.token_hex(16)
            secret_key = stored["secret_key"] or secrets.token_urlsafe(24)
            self._db.meta_set("secret_id", secret_id)
            self._db.meta_set("secret_key", secret_key)
        return appid, secret_id, secret_key

    def _build(self) -> None:
        db, settings = self._db, self.settings
        self.store = Store(db, max_vaults=settings.max_vaults)
        self.uploads = Uploads(db, self.store, retention=settings.retention)
        self.cos = CosStore(db, self._clock)
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
            clock=self._clock,
            retention=settings.retention,
            housekeeping=self.uploads.purge_expired,
        )
        services = Services(settings, self.store, self.uploads, self.jobs, self.cos, self._clock)
        verifier = Verifier(
            self.secret_id,
            self._secret_key,
            appid=self.appid,
            glacier_region=settings.glacier_region,
            max_skew=settings.max_skew,
            clock=self._clock,
        )
        self._app = App(services, verifier, self.faults, self.stats)
        self._admin = Admin(services, self.faults, self.stats, self.notifier, self.info)

    # -- public surface -----------------------------------------------------------------------

    @property
    def secret_key(self) -> str:
        """The local test secret (printing it is fine; it never appears in repr)."""
        return self._secret_key

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the emulator is not running; call start() or use it as a context manager")
        return self._port

    @property
    def endpoint(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def info(self) -> Dict[str, Any]:
        """Where and how to connect (no secret key)."""
        return {
            "endpoint": self.endpoint if self.running else None,
            "appid": self.appid,
            "secret_id": self.secret_id,
            "region": self.settings.region,
            "glacier_region": self.settings.glacier_region,
            "job_delay_scale": self.settings.job_delay_scale,
            "data_dir": str(self.data_dir),
        }

    def add_observer(self, observer: Observer) -> None:
        """Call ``observer(request, response, decision)`` after every API request, from the server's
        threads (``response`` is None when the connection broke before an answer). For tests that
        must see each request with the fault decided for it; keep observers quick."""
        self._app.add_observer(observer)

    def remove_observer(self, observer: Observer) -> None:
        self._app.remove_observer(observer)

    def stats_snapshot(self) -> Dict[str, Any]:
        """The ``GET /_emulator/stats`` document."""
        return self._admin.stats_snapshot()

    def finish_jobs(self) -> None:
        """Finish every in-progress job now, whatever its tier delay."""
        self.jobs.finish_all()

    def __repr__(self) -> str:
        where = self.endpoint if self.running else "not running"
        return (
            f"Emulator({where}, appid={self.appid!r}, secret_id={self.secret_id!r},"
            f" data_dir={str(self.data_dir)!r})"
        )

    def start(self) -> Emulator:
        if self._server is not None:
            return self
        self._db.sweep()
        server = EmulatorHTTPServer(
            (self.host, self._requested_port), self._app, self._admin, self._socket_timeout
        )
        self._port = int(server.server_address[1])
        self.notifier.start()
        self.jobs.start()
        self._thread = threading.Thread(
            target=server.serve_forever, name="cas-emulator", daemon=True, kwargs={"poll_interval": 0.05}
        )
        self._server = server
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close connections and background threads; remove a temporary data_dir."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.close_connections()
            server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self.jobs.stop()
            self.notifier.stop()
        self._port = None
        self._close_storage()

    def _close_storage(self) -> None:
        self._db.close()
        if self._temporary:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
