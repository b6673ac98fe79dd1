"""``Emulator``: strict, disk-backed local services on loopback, each on its own port.

Start it in process (``with Emulator() as emu:``) or from the shell (``python -m cassdk_like.emulator``).
It runs the CAS vault service (both dialects on one port), the bucket services ``s3`` and
``cos``, ``reduct`` (the ReductStore HTTP API) and ``direct`` (a DirectIO portal whose blocks live in
the S3 service); ``emu.endpoints`` maps each service to its base URL. Every signature is verified, bodies
stream to disk while hashing, and the state is kept in ``data_dir`` across restarts (a temporary
folder, removed on exit, by default).
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Tuple, Union

from cassdk_like.core.integrity import MiB
from cassdk_like.emulator.cas.callbacks import Notifier
from cassdk_like.emulator.cas.context import DEFAULT_TIER_DELAYS, Settings
from cassdk_like.emulator.cas.cos import CosStore
from cassdk_like.emulator.cas.jobs import JobManager
from cassdk_like.emulator.cas.service import CasService
from cassdk_like.emulator.cas.store import Store
from cassdk_like.emulator.cas.uploads import Uploads
from cassdk_like.emulator.cos.service import CosService, CosSettings
from cassdk_like.emulator.db import Database
from cassdk_like.emulator.direct.service import DirectService
from cassdk_like.emulator.faults import Faults, Stats
from cassdk_like.emulator.host import ServiceHost
from cassdk_like.emulator.pipeline import Observer
from cassdk_like.emulator.reduct.service import ReductService, ReductSettings
from cassdk_like.emulator.s3.service import S3Service, S3Settings
from cassdk_like.emulator.service import Account, Environment, Service, ServiceFactory

__all__ = ["Emulator"]

PathLike = Union[str, Path]


def new_secret_key(token: Callable[[int], str] = secrets.token_urlsafe) -> str:
    """A fresh secret key that never starts with "-": a command line would take it for an option
    (``cascmd --secret-key -x...`` fails), and users paste the printed key into one."""
    while True:
        key = token(24)
        if not key.startswith("-"):
            return key


class Emulator:
    """Local services sharing one account, one data dir, faults, statistics and observers.
    Thread-safe; use as a context manager or call start()/stop().

    ``port`` is the CAS port (0: a free one); ``ports`` maps service names to ports (``{"cas": 0,
    "s3": 0, "cos": 0}``), for services added later too. ``job_delay_scale`` multiplies the CAS
    tier delays (Expedited 1 s, Standard 5 s, Bulk 10 s; 0 finishes jobs at once). Credentials are
    generated (and kept in ``data_dir``) unless given. CAS options beyond the issue's:
    ``max_vaults`` (the service's 1000-vault limit), ``max_skew`` (signature clock skew, s, for
    every service), ``expedited_max_bytes`` (Expedited only for archives up to 256 MiB; None lifts
    it), ``allow_empty_archives`` (the service refuses zero-byte archives), ``retention`` (jobs and
    uploads live 24 h), ``fsync`` (default: on with a data_dir, off for the temporary folder).
    Buckets: ``s3_region`` (where S3 requests that name no region go; buckets live in their
    LocationConstraint), ``region`` is also COS's default region, ``foreign_buckets`` are bucket
    names another account owns (taken on create, forbidden to use). ReductStore:
    ``reduct_api_token`` is the value of the full-access token ``init-token`` (None: the
    ``RS_API_TOKEN`` environment variable, and without it authentication is disabled).
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
        ports: Optional[Mapping[str, int]] = None,
        region: str = "ap-guangzhou",
        glacier_region: str = "us-east-1",
        s3_region: str = "us-east-1",
        foreign_buckets: Iterable[str] = (),
        max_vaults: int = 1000,
        max_tags: int = 50,
        max_skew: int = 900,
        expedited_max_bytes: Optional[int] = 256 * MiB,
        tier_delays: Optional[Mapping[str, float]] = None,
        retention: float = 24 * 3600.0,
        allow_empty_archives: bool = False,
        fsync: Optional[bool] = None,
        reduct_api_token: Optional[str] = None,
        socket_timeout: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if (secret_id is None) != (secret_key is None):
            raise ValueError("give both secret_id and secret_key, or neither (to generate a pair)")
        if job_delay_scale < 0:
            raise ValueError("job_delay_scale must be >= 0")
        self._ports = _choose_ports(port, ports)
        self.host = host
        self._temporary = data_dir is None
        self.data_dir = Path(tempfile.mkdtemp(prefix="cas-emulator-")) if data_dir is None else Path(data_dir)
        self._db = Database(self.data_dir, fsync=(not self._temporary) if fsync is None else fsync)
        try:
            self.appid, self.secret_id, self._secret_key = self._credentials(appid, secret_id, secret_key)
            delays = dict(DEFAULT_TIER_DELAYS)
            delays.update(tier_delays or {})
            settings = Settings(
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
            self.environment = Environment(
                db=self._db,
                clock=clock,
                account=Account(self.appid, self.secret_id, self._secret_key),
                data_dir=self.data_dir,
            )
            self._host = ServiceHost(host, socket_timeout, self.info)
            self.cas = CasService(self.environment, settings)
            self._host.add(self.cas, self._ports.get("cas", 0))
            foreign = frozenset(foreign_buckets)
            self.s3_service = S3Service(
                self.environment, S3Settings(region=s3_region, max_skew=max_skew, foreign_buckets=foreign)
            )
            self._host.add(self.s3_service, self._ports.get("s3", 0))
            self.cos_service = CosService(
                self.environment, CosSettings(region=region, max_skew=max_skew, foreign_buckets=foreign)
            )
            self._host.add(self.cos_service, self._ports.get("cos", 0))
            for bucket_service in (self.s3_service, self.cos_service):  # shared-token byte budgets
                self._host.add_observer(bucket_service.par_grants.settle)
            if reduct_api_token is None:
                reduct_api_token = os.environ.get("RS_API_TOKEN") or None
            self.reduct_service = ReductService(self.environment, ReductSettings(api_token=reduct_api_token))
            self._host.add(self.reduct_service, self._ports.get("reduct", 0))
            self.direct_service = DirectService(
                self.environment, self.s3_service, lambda: self._host.endpoint("s3")
            )
            self._host.add(self.direct_service, self._ports.get("direct", 0))
        except BaseException:
            self._close_storage()
            raise

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
            secret_key = stored["secret_key"] or new_secret_key()
            self._db.meta_set("secret_id", secret_id)
            self._db.meta_set("secret_key", secret_key)
        return appid, secret_id, secret_key

    # -- services -----------------------------------------------------------------------------

    def add_service(self, factory: ServiceFactory, *, port: Optional[int] = None) -> Service:
        """Build a service from this emulator's :class:`Environment` and host it on ``port``
        (default: ``ports[name]``, else a free one); served at once if the emulator is running."""
        service = factory(self.environment)
        chosen = self._ports.get(service.name, 0) if port is None else port
        self._host.add(service, chosen)
        return service

    @property
    def services(self) -> Mapping[str, Service]:
        """Service name -> service, in the order they were added (``cas``, ``s3``, ``cos`` first)."""
        return self._host.services

    # -- CAS shortcuts (the CAS service's models, as before services had their own packages) ------

    @property
    def settings(self) -> Settings:
        return self.cas.settings

    @property
    def store(self) -> Store:
        return self.cas.store

    @property
    def uploads(self) -> Uploads:
        return self.cas.uploads

    @property
    def jobs(self) -> JobManager:
        return self.cas.jobs

    @property
    def cos(self) -> CosStore:
        """The in-emulator COS bucket store of the CAS push/pull jobs (apart from the ``cos``
        service's buckets, ``cos_service``)."""
        return self.cas.cos

    @property
    def notifier(self) -> Notifier:
        return self.cas.notifier

    # -- public surface -----------------------------------------------------------------------

    @property
    def faults(self) -> Faults:
        """The fault switches of every service (rules match on ``service=`` too)."""
        return self._host.faults

    @property
    def stats(self) -> Stats:
        return self._host.stats

    @property
    def secret_key(self) -> str:
        """The local test secret (printing it is fine; it never appears in repr)."""
        return self._secret_key

    @property
    def direct(self) -> DirectService:
        """The DirectIO portal: ``publish_file``, ``publish_object``, ``revoke_file``,
        ``rotate_urls``, ``default_credentials`` (docs/directio-protocol.md §7)."""
        return self.direct_service

    @property
    def reduct_api_token(self) -> Optional[str]:
        """The ReductStore init token's value (None: the service runs without authentication)."""
        return self.reduct_service.settings.api_token

    @property
    def port(self) -> int:
        """The CAS port."""
        return self._host.port("cas")

    @property
    def endpoint(self) -> str:
        """The CAS base URL (``endpoints["cas"]``)."""
        return self._host.endpoint("cas")

    @property
    def endpoints(self) -> Dict[str, str]:
        """Service name -> base URL (``{"cas": "http://127.0.0.1:NNNN", "s3": ..., "cos": ...}``)."""
        if not self.running:
            raise RuntimeError("the emulator is not running; call start() or use it as a context manager")
        return self._host.endpoints()

    @property
    def running(self) -> bool:
        return self._host.running

    def info(self) -> Dict[str, Any]:
        """Where and how to connect (no secret key); the ``GET /_emulator/info`` document."""
        cas = self.cas.info()
        return {
            "endpoint": self.endpoint if self.running else None,
            "endpoints": self._host.endpoints() if self.running else {},
            "appid": self.appid,
            "secret_id": self.secret_id,
            "region": cas["region"],
            "glacier_region": cas["glacier_region"],
            "job_delay_scale": cas["job_delay_scale"],
            "data_dir": str(self.data_dir),
            "services": {name: service.info() for name, service in self._host.services.items()},
        }

    def add_observer(self, observer: Observer) -> None:
        """Call ``observer(request, response, decision)`` after every API request of every service,
        from the server's threads (``request.service`` and ``request.operation`` say which;
        ``response`` is None when the connection broke before an answer). For tests that must see
        each request with the fault decided for it; keep observers quick."""
        self._host.add_observer(observer)

    def remove_observer(self, observer: Observer) -> None:
        self._host.remove_observer(observer)

    def stats_snapshot(self) -> Dict[str, Any]:
        """The ``GET /_emulator/stats`` document."""
        return self._host.admin.stats_snapshot()

    def finish_jobs(self) -> None:
        """Finish every in-progress CAS job now, whatever its tier delay."""
        self.cas.jobs.finish_all()

    def __repr__(self) -> str:
        where = ", ".join(f"{k}={v}" for k, v in self._host.endpoints().items()) or "not running"
        return (
            f"Emulator({where}, appid={self.appid!r}, secret_id={self.secret_id!r},"
            f" data_dir={str(self.data_dir)!r})"
        )

    def start(self) -> Emulator:
        if self.running:
            return self
        unknown = sorted(set(self._ports) - set(self._host.services))
        if unknown:
            running = sorted(self.services)
            raise ValueError(f"ports names no such service {unknown}; the emulator runs {running}")
        self._db.sweep()
        self._host.start()
        return self

    def stop(self) -> None:
        """Stop serving, close connections and background threads; remove a temporary data_dir."""
        self._host.stop()
        self._close_storage()

    def _close_storage(self) -> None:
        self._db.close()
        if self._temporary:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _choose_ports(port: int, ports: Optional[Mapping[str, int]]) -> Dict[str, int]:
    """``port`` is the CAS port; ``ports`` may name it too, but not differently."""
    chosen = {str(name): int(value) for name, value in (ports or {}).items()}
    if "cas" in chosen and port not in (0, chosen["cas"]):
        raise ValueError(f"port={port} and ports['cas']={chosen['cas']} disagree; give the CAS port once")
    if port:
        chosen["cas"] = int(port)
    for name, value in chosen.items():
        if not 0 <= value <= 65535:
            raise ValueError(f"port for {name!r} must be 0-65535, got {value}")
    return chosen
