"""Priority lanes: how transfers of one destination share its send rate (docs/transfer.md §4).

The rules (JetStream's): at least one lane; names non-blank and unique; proportions in 0..1 that
sum to 1.0; at most one lane at 0.0, the idle lane, which sends only while every other lane is
empty; the number of lanes is fixed, and a lane holding a transfer keeps its name, while transfers
are in progress; proportions may change at any time.

How the share is enforced: the destination's one ``BandwidthLimiter`` (``engine.ratelimit``) paces
every byte sent to it, and the next file to send is taken from the lane with the least
*virtual time* (bytes charged divided by the lane's proportion) among the lanes that have work.
Under saturation each busy lane therefore gets its proportion of the limited rate; a lane that
goes quiet gives its share to the others (nothing is reserved for an empty lane), and a lane that
wakes up starts level with the busy ones rather than with credit for the time it was empty.
"""

from __future__ import annotations

import math
from typing import Dict, Iterable, List, Mapping, Optional, Set

from cassdk_like.transfer.errors import LaneConfigError

__all__ = ["DEFAULT_LANE", "DEFAULT_LANES", "LaneShare", "check_lane_change", "validate_lanes"]

DEFAULT_LANES: Dict[str, float] = {"High": 0.7, "Normal": 0.25, "Low": 0.05, "Idle": 0.0}
DEFAULT_LANE = "Normal"
_SUM_TOLERANCE = 1e-6


def validate_lanes(
    lanes: object, *, operation: str = "setPriorityLanes", resource: Optional[str] = None
) -> Dict[str, float]:
    """The lanes as ``{name: proportion}`` (names stripped), or ``LaneConfigError``."""

    def fail(message: str) -> LaneConfigError:
        return LaneConfigError(message, operation=operation, resource=resource)

    if not isinstance(lanes, Mapping):
        raise fail(f"priority lanes are a dict of name -> proportion, not {type(lanes).__name__}")
    if not lanes:
        raise fail("there must be at least one lane")
    checked: Dict[str, float] = {}
    for name, proportion in lanes.items():
        if not isinstance(name, str) or not name.strip():
            raise fail(f"lane names cannot be blank, got {name!r}")
        if name.strip() in checked:
            raise fail(f"lane names must be unique: {name.strip()!r} appears twice")
        if (
            isinstance(proportion, bool)
            or not isinstance(proportion, (int, float))
            or not math.isfinite(proportion)
            or not 0.0 <= proportion <= 1.0
        ):
            raise fail(f"lane {name!r}: a proportion is a number from 0.0 to 1.0, got {proportion!r}")
        checked[name.strip()] = float(proportion)
    total = sum(checked.values())
    if abs(total - 1.0) > _SUM_TOLERANCE:
        raise fail(f"lane proportions must sum to 1.0, they sum to {total:g}")
    idle = [name for name, proportion in checked.items() if proportion == 0.0]
    if len(idle) > 1:
        raise fail(f"at most one lane may be idle (0.0), got {idle}")
    return checked


def check_lane_change(
    current: Mapping[str, float],
    new: Mapping[str, float],
    busy: Set[str],
    *,
    in_progress: bool,
    operation: str = "setPriorityLanes",
    resource: Optional[str] = None,
) -> None:
    """Refuse a change that transfers in progress forbid: another lane count, a busy lane renamed."""
    if not in_progress:
        return
    if len(new) != len(current):
        raise LaneConfigError(
            f"the number of lanes cannot change while transfers are in progress ({len(current)} now)",
            operation=operation,
            resource=resource,
        )
    gone = sorted(name for name in busy if name not in new)
    if gone:
        raise LaneConfigError(
            f"lane(s) {gone} hold transfers in progress and cannot be renamed",
            operation=operation,
            resource=resource,
        )


def idle_lane(lanes: Mapping[str, float]) -> Optional[str]:
    return next((name for name, proportion in lanes.items() if proportion == 0.0), None)


class LaneShare:
    """Which lane sends next: weighted fair queueing over virtual time. Not thread-safe (the
    manager calls it under its lock)."""

    def __init__(self, lanes: Mapping[str, float]) -> None:
        self._lanes: Dict[str, float] = {}
        self._vtime: Dict[str, float] = {}
        self._ready: Set[str] = set()
        self.set_lanes(lanes)

    @property
    def lanes(self) -> Dict[str, float]:
        return dict(self._lanes)

    def set_lanes(self, lanes: Mapping[str, float]) -> None:
        """New proportions (kept lanes keep their virtual time)."""
        self._lanes = dict(lanes)
        self._vtime = {name: self._vtime.get(name, 0.0) for name in self._lanes}
        self._ready &= set(self._lanes)

    def pick(self, ready: Iterable[str]) -> Optional[str]:
        """The lane to send from, among ``ready`` (lanes with a file to send); None when none."""
        now_ready = {name for name in ready if name in self._lanes}
        weighted = [name for name in self._lanes if name in now_ready and self._lanes[name] > 0.0]
        if weighted:
            busy = [self._vtime[name] for name in weighted if name in self._ready]
            floor = min(busy) if busy else max((self._vtime[n] for n in weighted), default=0.0)
            for name in weighted:
                if name not in self._ready:  # waking up: level with the lanes already busy
                    self._vtime[name] = max(self._vtime[name], floor)
            self._ready = now_ready
            order: List[str] = list(self._lanes)
            return min(weighted, key=lambda name: (self._vtime[name], order.index(name)))
        self._ready = now_ready
        idle = idle_lane(self._lanes)
        return idle if idle is not None and idle in now_ready else None

    def charge(self, lane: str, nbytes: int) -> None:
        """Account ``nbytes`` taken from ``lane`` (the idle lane pays nothing: it only fills gaps)."""
        proportion = self._lanes.get(lane, 0.0)
        if proportion > 0.0:
            self._vtime[lane] += max(nbytes, 1) / proportion
