"""What an operation handler gets: the request, its dialect and route, and the vault state.

Kept apart from the handlers so the three operation modules share one small interface.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Mapping, Optional, Tuple

from cassdk_like.emulator.cas.cos import CosStore
from cassdk_like.emulator.cas.jobs import JobManager
from cassdk_like.emulator.cas.jobspec import JobRules
from cassdk_like.emulator.cas.protocol import Dialect
from cassdk_like.emulator.cas.store import Store
from cassdk_like.emulator.cas.uploads import Uploads
from cassdk_like.emulator.service import Route
from cassdk_like.emulator.wire import Request, Response

__all__ = ["DEFAULT_TIER_DELAYS", "CasState", "Context", "Operation", "Settings"]

#: seconds before a job of each tier completes, before job_delay_scale (the real service: minutes to hours)
DEFAULT_TIER_DELAYS: Mapping[str, float] = {"Expedited": 1.0, "Standard": 5.0, "Bulk": 10.0}


@dataclass(frozen=True)
class Settings:
    """The emulator's fixed options (see ``Emulator`` for their meaning)."""

    appid: str
    region: str
    glacier_region: str
    max_vaults: int
    max_tags: int
    max_skew: int
    job_delay_scale: float
    tier_delays: Mapping[str, float]
    expedited_max_bytes: Optional[int]
    retention: float
    allow_empty_archives: bool

    def qcs(self, vault: str, dialect: Dialect) -> str:
        """``VaultQCS`` (``qcs:id/0:cas:<region>:uid/<appid>:vaults/<name>``) or Glacier's ``VaultARN``."""
        if dialect.name == "glacier":
            return f"arn:aws:glacier:{self.glacier_region}:{self.appid}:vaults/{vault}"
        return f"qcs:id/0:cas:{self.region}:uid/{self.appid}:vaults/{vault}"

    def job_rules(self, dialect: Dialect) -> JobRules:
        return JobRules(
            tier_delays=self.tier_delays,
            scale=self.job_delay_scale,
            expedited_max_bytes=self.expedited_max_bytes,
            callback_field=dialect.callback_field,
            cos_jobs=dialect.name == "cas",
        )


@dataclass
class CasState:
    """The CAS service's models, shared by every operation."""

    settings: Settings
    store: Store
    uploads: Uploads
    jobs: JobManager
    cos: CosStore
    clock: Callable[[], float]


@dataclass
class Context:
    request: Request
    dialect: Dialect
    route: Route
    state: CasState
    extra_headers: List[Tuple[str, str]] = field(default_factory=list)

    @property
    def vault(self) -> str:
        return self.route.params["vault"]

    def h(self, suffix: str) -> str:
        return self.dialect.h(suffix)

    def location(self, *segments: str) -> Tuple[str, str]:
        """A ``Location`` header; the real service writes the numeric account id there."""
        path = "/".join((f"/{self.state.settings.appid}/vaults", *segments))
        return ("Location", path)

    def now(self) -> float:
        return self.state.clock()


Operation = Callable[[Context], Response]
OperationTable = Dict[str, Operation]
