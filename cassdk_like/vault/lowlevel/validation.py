"""Argument checks run before anything is sent, so bad input fails here with a clear message.

A bad vault name or description otherwise comes back from the service as a misleading
signature error (boto/boto3#1433, docs/original-sdk-defects.md #16).
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any, Optional, Union

from cassdk_like.core.exceptions import InvalidArgumentError, InvalidDescriptionError, InvalidVaultNameError
from cassdk_like.core.http.bodies import check_binary_reader

__all__ = [
    "MAX_CHUNK_SIZE",
    "MAX_DESCRIPTION_BYTES",
    "bool_text",
    "check_binary_reader",
    "check_checksum",
    "check_chunk_size",
    "check_description",
    "check_id",
    "check_text",
    "check_vault_name",
    "date_text",
    "positive_int",
]

MAX_DESCRIPTION_BYTES = 1024
#: largest per-read chunk a download accepts: each worker holds one buffer of this size
MAX_CHUNK_SIZE = 64 * 1024 * 1024
_VAULT_NAME = re.compile(r"[A-Za-z0-9_.-]{1,255}")
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")
_ID = re.compile(r"[^/?#%\s]+")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


def check_vault_name(name: Any, operation: str) -> str:
    """1-255 characters of ``a-z A-Z 0-9 _ - .``, but not ``.`` or ``..``.

    ``.`` and ``..`` match the character set, yet URL normalisation turns ``/vaults/..`` into the
    account root, so they would reach a different resource than the one named.
    """
    if not isinstance(name, str) or not _VAULT_NAME.fullmatch(name) or name in (".", ".."):
        raise InvalidVaultNameError(
            "invalid vault name: use 1-255 characters of a-z, A-Z, 0-9, '_', '-', '.' (not '.' or '..')",
            operation=operation,
            resource=f"vault {name!r}",
        )
    return name


def check_description(desc: Any, operation: str, resource: str) -> Optional[str]:
    """Printable ASCII of at most 1024 bytes; ``None`` or ``""`` means "no description"."""
    if desc is None or desc == "":
        return None
    if not isinstance(desc, str) or not _PRINTABLE_ASCII.fullmatch(desc):
        raise InvalidDescriptionError(
            f"invalid description {desc!r}: only printable ASCII (0x20-0x7e) is allowed",
            operation=operation,
            resource=resource,
        )
    if len(desc) > MAX_DESCRIPTION_BYTES:
        raise InvalidDescriptionError(
            f"description is {len(desc)} bytes; at most {MAX_DESCRIPTION_BYTES} are allowed",
            operation=operation,
            resource=resource,
        )
    return desc


def check_id(value: Any, kind: str, operation: str, resource: str) -> str:
    """A non-empty id that cannot escape its path segment (ids may start with '-' or '_').

    ``.`` and ``..`` are refused too: URL normalisation would turn ``.../jobs/..`` into the vault.
    """
    if not isinstance(value, str) or not _ID.fullmatch(value) or value in (".", ".."):
        raise InvalidArgumentError(
            f"invalid {kind} id {value!r}: expected a non-empty string without '/', '?', '#', '%' or spaces"
            " (and not '.' or '..')",
            operation=operation,
            resource=resource,
        )
    return value


def check_text(value: Any, what: str, operation: str, resource: str) -> str:
    """A non-empty string (URLs, bucket and object names, markers)."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgumentError(
            f"{what} must be a non-empty string, got {value!r}", operation=operation, resource=resource
        )
    return value


def check_checksum(value: Any, what: str, operation: str, resource: str) -> str:
    """A caller-supplied SHA-256 in hex, sent lowercase as the docs require (docs/vault-protocol.md §3.1)."""
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        raise InvalidArgumentError(
            f"invalid {what} {value!r}: expected 64 hexadecimal characters",
            operation=operation,
            resource=resource,
        )
    return value.lower()


def positive_int(value: Any, what: str, operation: str, resource: str, *, minimum: int = 1) -> int:
    """An int (or a decimal string, as the original SDK accepted) of at least ``minimum``."""
    number: Optional[int] = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value)
    if number is None or number < minimum:
        raise InvalidArgumentError(
            f"invalid {what} {value!r}: expected an integer >= {minimum}",
            operation=operation,
            resource=resource,
        )
    return number


def bool_text(value: Union[bool, str], what: str, operation: str, resource: str) -> str:
    """``"true"``/``"false"`` exactly; a bool is never sent as ``True`` (docs/original-sdk-defects.md #15)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower()
    raise InvalidArgumentError(
        f"invalid {what} {value!r}: expected True or False", operation=operation, resource=resource
    )


def date_text(value: Union[str, _dt.datetime, _dt.date], what: str, operation: str, resource: str) -> str:
    """ISO-8601 ``YYYY-MM-DDThh:mm:ssZ``; aware datetimes are converted to UTC, naive ones taken as UTC."""
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, _dt.date):
        return value.strftime("%Y-%m-%dT00:00:00Z")
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise InvalidArgumentError(
        f"invalid {what} {value!r}: expected an ISO-8601 string or a datetime",
        operation=operation,
        resource=resource,
    )


def check_chunk_size(value: Any, operation: str, resource: str, local_path: Optional[str] = None) -> None:
    """``chunk_size`` of a download: a positive int of at most ``MAX_CHUNK_SIZE`` (``None``: default)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_CHUNK_SIZE:
        raise InvalidArgumentError(
            f"invalid chunk_size {value!r}: expected an integer from 1 to {MAX_CHUNK_SIZE} "
            "(io_chunk_size, bytes per read)",
            operation=operation,
            resource=resource,
            local_path=local_path,
        )
