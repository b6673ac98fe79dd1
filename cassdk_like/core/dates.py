"""Dates as the services write them, read into aware datetimes (None when absent or unreadable):
a listing's date that cannot be read is not worth failing a whole listing for."""

from __future__ import annotations

import datetime as _dt
import email.utils
from typing import Optional

__all__ = ["http_date", "iso_date"]


def iso_date(value: Optional[str]) -> Optional[_dt.datetime]:
    """``2019-05-24T11:49:50.000Z`` (an XML listing's or a vault's date); naive ones are UTC."""
    if not value:
        return None
    try:
        parsed = _dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=_dt.timezone.utc)


def http_date(value: Optional[str]) -> Optional[_dt.datetime]:
    """A ``Last-Modified`` header."""
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
