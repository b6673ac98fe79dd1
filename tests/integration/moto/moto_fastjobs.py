"""Run moto's server with Glacier jobs that finish after ``CASSDK_MOTO_JOB_DELAY`` seconds.

moto makes every job wait 2 s (Expedited), 5 s (Standard) or 10 s (Bulk) of wall-clock time before
it reports Succeeded. The SDK's polling is what we test, not moto's clock, so the test suite starts
the server through this wrapper: it replaces ``moto.glacier.models.Job.__init__`` (which only sets
the start time ``st`` and the end time ``et``) and then hands over to ``moto.server.main()`` with
the command-line arguments unchanged (``-H 127.0.0.1 -p 0``).

The variable is either one number of seconds for every tier (``0.2``) or per-tier values
(``Expedited=0.2,Standard=0.2,Bulk=3600``; tiers left out keep 0). A very long Bulk delay gives
the tests a job that is reliably still InProgress. Unset, moto's own delays stay in place.
"""

from __future__ import annotations

import datetime
import os
import sys
from typing import Any, Dict

ENV_VAR = "CASSDK_MOTO_JOB_DELAY"
TIERS = ("expedited", "standard", "bulk")


def parse_delays(text: str) -> Dict[str, float]:
    """``"0.2"`` or ``"Expedited=0.2,Bulk=3600"`` -> seconds per lowercase tier name."""
    text = text.strip()
    if "=" not in text:
        return dict.fromkeys(TIERS, _seconds(text))
    delays = dict.fromkeys(TIERS, 0.0)
    for item in text.split(","):
        tier, _, value = item.partition("=")
        tier = tier.strip().lower()
        if tier not in delays:
            raise SystemExit(f"{ENV_VAR}: unknown tier {tier!r}; use {', '.join(TIERS)}")
        delays[tier] = _seconds(value)
    return delays


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise SystemExit(f"{ENV_VAR}: {value!r} is not a number of seconds") from None
    if not seconds >= 0:
        raise SystemExit(f"{ENV_VAR}: delays must be >= 0, got {value!r}")
    return seconds


def patch_job_delay(delays: Dict[str, float]) -> None:
    """Make every new Glacier job complete its tier's delay after it was initiated."""
    from moto.glacier import models

    def fast_init(self: Any, tier: str) -> None:
        self.st = datetime.datetime.now()
        self.et = self.st + datetime.timedelta(seconds=delays.get(str(tier).lower(), delays["standard"]))

    models.Job.__init__ = fast_init  # type: ignore[method-assign]


def main() -> None:
    raw = os.environ.get(ENV_VAR, "")
    if raw.strip():
        patch_job_delay(parse_delays(raw))
    from moto.server import main as moto_main

    moto_main(sys.argv[1:])


if __name__ == "__main__":
    main()
