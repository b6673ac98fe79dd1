"""Everything one transfer runs with, resolved once and passed as one frozen value.

Why: the config, progress callback, cancel token, bandwidth limiter and scheduler used to be
relayed parameter by parameter through three layers; one immutable value cannot drift between
them and lets a caller (a transfer manager) hand the same set to many transfers.
"""

from __future__ import annotations

from typing import Optional

import attrs

from cassdk_like.core.cancel import CancelToken
from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.engine.config import TransferConfig
from cassdk_like.engine.progress import ProgressCallback
from cassdk_like.engine.ratelimit import Pacer, limiter_for
from cassdk_like.engine.scheduler import Scheduler, default_scheduler

__all__ = ["TransferContext", "resolve_context"]


@attrs.frozen(kw_only=True)
class TransferContext:
    """How and under whose control a transfer runs.

    ``cancel_token`` is the caller's (each transfer makes its own child of it); ``limiter`` is
    shared by every worker (None: unlimited); ``scheduler`` runs the tasks.
    """

    config: TransferConfig = attrs.field(factory=TransferConfig)
    progress: Optional[ProgressCallback] = None
    cancel_token: Optional[CancelToken] = None
    limiter: Optional[Pacer] = None
    scheduler: Scheduler = attrs.field(factory=default_scheduler)

    @classmethod
    def create(
        cls,
        config: Optional[TransferConfig] = None,
        *,
        progress: Optional[ProgressCallback] = None,
        cancel_token: Optional[CancelToken] = None,
        limiter: Optional[Pacer] = None,
        scheduler: Optional[Scheduler] = None,
    ) -> TransferContext:
        """Resolve the defaults: limiter from ``config.bandwidth_limit``, ``config.scheduler``, the
        process-wide scheduler."""
        cfg = config or TransferConfig()
        return cls(
            config=cfg,
            progress=progress,
            cancel_token=cancel_token,
            limiter=limiter_for(cfg.bandwidth_limit, limiter),
            scheduler=scheduler or cfg.scheduler or default_scheduler(),
        )


def resolve_context(
    context: Optional[TransferContext],
    config: Optional[TransferConfig],
    progress: Optional[ProgressCallback],
    cancel_token: Optional[CancelToken],
    limiter: Optional[Pacer],
    *,
    operation: str,
) -> TransferContext:
    """The context of a public entry point: the one given, or one made from the keywords (not both)."""
    if context is None:
        return TransferContext.create(config, progress=progress, cancel_token=cancel_token, limiter=limiter)
    if any(value is not None for value in (config, progress, cancel_token, limiter)):
        raise InvalidArgumentError(
            "give either context= or config/progress/cancel_token/limiter, not both", operation=operation
        )
    return context
