"""What a transfer's settings may be: overwrite modes, priorities, rates, and their checks.

Every setting a caller gives (``createTransfer``, ``updateTransferDefaults``,
``setTransferPriorityAsync``, rate changes) is checked here before anything changes, and a bad one
is an ``InvalidTransferArgumentError`` (``LaneConfigError`` for a lane) naming the parameter by its
seed name.  Rates are bytes per second; None or -1 mean no limit.
"""

from __future__ import annotations

import math
from typing import Any, Dict, Mapping, Optional

from cassdk_like.transfer.destinations import join_key
from cassdk_like.transfer.errors import InvalidTransferArgumentError, LaneConfigError

__all__ = [
    "DEFAULT_DEFAULTS",
    "MAX_PRIORITY",
    "OVERWRITE_ALWAYS",
    "OVERWRITE_DIFFERENT",
    "OVERWRITE_MODES",
    "OVERWRITE_NEVER",
    "check_number",
    "check_options",
    "check_priority",
    "check_rate",
    "check_user_data",
]

#: send every file, replacing what the destination holds
OVERWRITE_ALWAYS = 0
#: skip a file the destination already holds, whatever it is
OVERWRITE_NEVER = 1
#: skip a file the destination holds with the same size and mtime (within the resolution)
OVERWRITE_DIFFERENT = 2
OVERWRITE_MODES = (OVERWRITE_ALWAYS, OVERWRITE_NEVER, OVERWRITE_DIFFERENT)

MAX_PRIORITY = 4294967295
DEFAULT_DEFAULTS: Dict[str, Any] = {
    "priority": 100,
    "priority_lane": None,  # None: DEFAULT_LANE when the destination has it, else its first lane
    "checkpoint_seconds": 1.0,
    "send_rate_max": None,
    "overwrite_mode": OVERWRITE_ALWAYS,
    "time_resolution_us": 0,
}


def check_number(
    name: str, value: object, operation: str, resource: Optional[str], *, minimum: float = 0.0
) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < minimum
    ):
        raise InvalidTransferArgumentError(
            f"{name} must be a number >= {minimum:g}, got {value!r}", operation=operation, resource=resource
        )
    return float(value)


def check_rate(name: str, value: object, operation: str, resource: Optional[str]) -> Optional[float]:
    """A rate in bytes/s: None or -1 mean unlimited."""
    if value is None or (not isinstance(value, bool) and value == -1):
        return None
    found = check_number(name, value, operation, resource)
    if found <= 0:
        raise InvalidTransferArgumentError(
            f"{name} must be > 0 (or -1 / None for no limit), got {value!r}",
            operation=operation,
            resource=resource,
        )
    return found


def check_priority(value: object, operation: str, resource: Optional[str]) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_PRIORITY:
        raise InvalidTransferArgumentError(
            f"priority must be an integer from 0 to {MAX_PRIORITY}, got {value!r}",
            operation=operation,
            resource=resource,
        )
    return value


def check_user_data(value: object, operation: str, resource: Optional[str]) -> Dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise InvalidTransferArgumentError(
            "user data is a dict of string keys and string values", operation=operation, resource=resource
        )
    return dict(value)


def check_options(
    given: Mapping[str, Any], lanes: Mapping[str, float], operation: str, resource: Optional[str]
) -> Dict[str, Any]:
    """The transfer settings given (manager names), each checked; the first bad one raises."""
    checked: Dict[str, Any] = {}
    for key, value in given.items():
        if key == "priority":
            checked[key] = check_priority(value, operation, resource)
        elif key == "priority_lane":
            if value not in lanes:
                raise LaneConfigError(
                    f"no lane {value!r}; the destination's lanes are {sorted(lanes)}",
                    operation=operation,
                    resource=resource,
                )
            checked[key] = value
        elif key == "checkpoint_seconds":
            checked[key] = check_number("checkpointFrequencySeconds", value, operation, resource)
        elif key == "send_rate_max":
            checked[key] = check_rate("sendRateMax", value, operation, resource)
        elif key == "overwrite_mode":
            if value not in OVERWRITE_MODES or isinstance(value, bool):
                raise InvalidTransferArgumentError(
                    f"overwriteMode must be one of {OVERWRITE_MODES}, got {value!r}",
                    operation=operation,
                    resource=resource,
                )
            checked[key] = value
        elif key == "time_resolution_us":
            checked[key] = int(check_number("fileTimeResolutionMicroseconds", value, operation, resource))
        elif key == "timeout_seconds":
            checked[key] = check_number("timeoutSeconds", value, operation, resource)
        elif key == "destination_path":
            if not isinstance(value, str) or any(p in (".", "..") for p in value.split("/")):
                raise InvalidTransferArgumentError(
                    "destinationPath must be a path without '.' or '..'",
                    operation=operation,
                    resource=resource,
                )
            checked[key] = join_key(value)
    return checked
