"""Small pure helpers shared by the emulator's model: ids, dates, and the documented value rules.

Kept free of HTTP and storage so the validation rules can be read (and tested) in one place.
"""

from __future__ import annotations

import base64
import datetime as _dt
import re
import secrets
from typing import Any, Mapping, Optional, Tuple

from cassdk_like.emulator.cas.errors import invalid_value
from cassdk_like.emulator.errors import ApiError

__all__ = [
    "ARCHIVE_ID_BYTES",
    "JOB_ID_BYTES",
    "check_description",
    "check_hex_digest",
    "check_vault_name",
    "iso_ms",
    "iso_s",
    "new_id",
    "parse_iso_date",
    "parse_limit",
    "parse_range_value",
    "require_str",
]

#: archive ids are 128 URL-safe characters, like the real service's (docs/vault-protocol.md §1.2)
ARCHIVE_ID_BYTES = 96
#: job and upload ids are 92 URL-safe characters, like the sample ids in docs/vault-protocol.md §1.4
JOB_ID_BYTES = 69

_VAULT_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,255}")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_RANGE = re.compile(r"(\d+)-(\d+)")


def new_id(nbytes: int) -> str:
    """An opaque, URL-safe random id; it may start with ``-`` or ``_`` as real ids do."""
    return base64.urlsafe_b64encode(secrets.token_bytes(nbytes)).decode("ascii").rstrip("=")


def iso_ms(timestamp: float) -> str:
    """ISO-8601 UTC with milliseconds, the service's date format: ``2017-03-20T17:03:43.221Z``."""
    moment = _dt.datetime.fromtimestamp(timestamp, tz=_dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_s(timestamp: float) -> str:
    """ISO-8601 UTC to the second, the inventory date format: ``2017-03-20T17:03:43Z``."""
    return _dt.datetime.fromtimestamp(timestamp, tz=_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso_date(value: Any, field: str) -> float:
    """Parse ``YYYY-MM-DDThh:mm:ss[.fff]Z`` into a timestamp, or refuse with a 400."""
    if isinstance(value, str):
        for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ"):
            try:
                moment = _dt.datetime.strptime(value, fmt).replace(tzinfo=_dt.timezone.utc)
            except ValueError:
                continue
            return moment.timestamp()
    raise invalid_value(f"{field} must be an ISO-8601 UTC date such as 2017-03-20T17:03:43Z, got {value!r}")


def check_vault_name(name: str) -> str:
    """Vault names are 1-255 characters of ``a-z A-Z 0-9 _ - .`` (docs/vault-protocol.md §0)."""
    if not _VAULT_NAME.fullmatch(name):
        raise invalid_value(
            f"invalid vault name {name[:300]!r}: use 1-255 characters from a-z, A-Z, 0-9, '_', '-', '.'"
        )
    return name


def check_description(value: Optional[str], field: str) -> Optional[str]:
    """Descriptions are printable ASCII of at most 1024 bytes (the Glacier rule the service shares)."""
    if value is None:
        return None
    if len(value) > 1024 or any(not (32 <= ord(ch) <= 126) for ch in value):
        raise invalid_value(f"{field} must be printable ASCII (0x20-0x7e) of at most 1024 bytes")
    return value


def check_hex_digest(value: str, header: str) -> str:
    """A SHA-256 checksum header must be 64 hex digits; the comparison is on lowercase."""
    if not _HEX64.fullmatch(value):
        raise invalid_value(f"{header} must be a 64-digit hex SHA-256, got {value[:80]!r}")
    return value.lower()


def parse_limit(raw: Optional[str], *, default: int, maximum: int) -> int:
    """The ``limit`` query parameter: an integer from 1 to ``maximum``."""
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise invalid_value(f"limit must be an integer from 1 to {maximum}, got {raw[:40]!r}")
    return int(raw)


def parse_range_value(value: Any, field: str) -> Tuple[int, int]:
    """An inclusive ``"start-end"`` byte range as used in job bodies; open ranges are refused."""
    match = _RANGE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise invalid_value(f"{field} must look like 'start-end' (inclusive byte offsets), got {value!r}")
    start, end = int(match.group(1)), int(match.group(2))
    if end < start:
        raise invalid_value(f"{field} {value!r} ends before it starts")
    return start, end


def require_str(body: Mapping[str, Any], key: str, *, required: bool = True) -> Optional[str]:
    """A string field of a JSON body; a missing required field is MissingParameterValueException."""
    value = body.get(key)
    if value is None:
        if required:
            raise ApiError("MissingParameterValueException", f"the request body needs a {key!r} field")
        return None
    if not isinstance(value, str):
        raise invalid_value(f"{key} must be a string")
    return value
