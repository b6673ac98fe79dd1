"""Timestamps as ReductStore counts them: integer microseconds since the UNIX epoch.

Callers may pass what reduct-py accepts (docs/reduct-client.md §4): an ``int`` of microseconds, a
``float`` of seconds, a ``datetime`` or an ISO-8601 string.  Two things are done more carefully
than a float multiplication: a ``datetime`` is converted exactly (no float in between), and a
float of seconds is rounded to the nearest microsecond, so ``1.000001`` is 1000001 and not
1000000.  A naive ``datetime`` (or ISO string without an offset) is local time, as Python's
``datetime.timestamp`` reads it.  Bools, negatives, NaN and values past ``u64`` are refused.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Optional, Union

from cassdk_like.core.exceptions import InvalidArgumentError

__all__ = [
    "MAX_TIMESTAMP",
    "TimestampLike",
    "parse_rfc3339",
    "to_datetime",
    "to_microseconds",
]

TimestampLike = Union[int, float, _dt.datetime, str]

#: the largest timestamp the server stores (u64); it also reports it as "no records yet"
MAX_TIMESTAMP = 2**64 - 1
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_ONE_US = _dt.timedelta(microseconds=1)
_ISO = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})(?:[T ](?P<time>\d{2}:\d{2}(?::\d{2})?)(?:[.,](?P<fraction>\d+))?)?"
    r"(?P<zone>Z|z|[+-]\d{2}:?\d{2})?"
)


def parse_rfc3339(text: str) -> Optional[_dt.datetime]:
    """An ISO-8601 / RFC 3339 date-time (nanoseconds cut to microseconds, ``Z`` for UTC); None when
    it is not one.  The server writes times with nine fractional digits, which
    ``datetime.fromisoformat`` refuses before Python 3.11."""
    match = _ISO.fullmatch(text.strip())
    if match is None:
        return None
    time_part = match.group("time") or "00:00:00"
    if time_part.count(":") == 1:
        time_part += ":00"
    fraction = (match.group("fraction") or "")[:6].ljust(6, "0")
    zone = match.group("zone")
    try:
        moment = _dt.datetime.strptime(f"{match.group('date')}T{time_part}", "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None
    moment = moment.replace(microsecond=int(fraction))
    if zone in ("Z", "z"):
        return moment.replace(tzinfo=_dt.timezone.utc)
    if zone:
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = _dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        if offset >= _dt.timedelta(hours=24):
            return None
        return moment.replace(tzinfo=_dt.timezone(sign * offset))
    return moment


def _from_datetime(moment: _dt.datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.astimezone()  # local time, as datetime.timestamp() reads a naive value
    return (moment - _EPOCH) // _ONE_US


def to_microseconds(
    value: TimestampLike,
    *,
    what: str = "timestamp",
    operation: Optional[str] = None,
    resource: Optional[str] = None,
) -> int:
    """``value`` in microseconds since the epoch; ``InvalidArgumentError`` naming ``what`` otherwise."""
    context = {"operation": operation, "resource": resource}
    if isinstance(value, bool):
        raise InvalidArgumentError(f"{what} must be a number or a date, not a bool ({value!r})", **context)
    if isinstance(value, int):
        micros = value
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidArgumentError(f"{what} must be a finite number of seconds, got {value!r}", **context)
        micros = round(value * 1_000_000)
    elif isinstance(value, _dt.datetime):
        micros = _from_datetime(value)
    elif isinstance(value, str):
        moment = parse_rfc3339(value)
        if moment is None:
            raise InvalidArgumentError(f"{what} is not an ISO-8601 date-time: {value!r}", **context)
        micros = _from_datetime(moment)
    else:
        raise InvalidArgumentError(
            f"{what} must be int (microseconds), float (seconds), datetime or an ISO-8601 string, "
            f"not {type(value).__name__}",
            **context,
        )
    if micros < 0:
        raise InvalidArgumentError(f"{what} must not be before 1970-01-01, got {value!r}", **context)
    if micros > MAX_TIMESTAMP:
        raise InvalidArgumentError(
            f"{what} is past the largest timestamp the server stores (2**64-1 µs)", **context
        )
    return micros


def to_datetime(micros: int) -> _dt.datetime:
    """An aware UTC datetime for a timestamp in microseconds."""
    return _EPOCH + _dt.timedelta(microseconds=micros)
