"""Argument checks run before anything is sent (docs/bucket-protocol.md §2.1).

A name the service would refuse otherwise comes back as a 400 with a code that does not say which
argument was wrong, or (virtual-host addressing) as a DNS or TLS failure; here it is an
``InvalidArgumentError`` naming the operation and the resource.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Dict, Mapping, Optional

from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.exceptions import InvalidArgumentError, InvalidByteRangeError, InvalidPartSizeError

__all__ = [
    "MAX_KEY_BYTES",
    "MAX_LIST_KEYS",
    "MAX_PARTS",
    "MAX_PART_SIZE",
    "MAX_PRESIGN_SECONDS",
    "MAX_SINGLE_PUT",
    "MIN_PART_SIZE",
    "InvalidBucketNameError",
    "InvalidObjectKeyError",
    "check_bucket_name",
    "check_expires",
    "check_key",
    "check_max_keys",
    "check_metadata",
    "check_part_number",
    "check_tags",
    "check_upload_id",
    "range_header",
]

MiB = 1024 * 1024
GiB = 1024 * MiB
#: parts of a multipart upload: numbers 1..10,000, 5 MiB..5 GiB each (the last may be smaller)
MAX_PARTS = 10_000
MIN_PART_SIZE = 5 * MiB
MAX_PART_SIZE = 5 * GiB
#: the largest single PUT
MAX_SINGLE_PUT = 5 * GiB
MAX_KEY_BYTES = 1024
MAX_LIST_KEYS = 1000
#: presigned URLs and POST policies live at most 7 days
MAX_PRESIGN_SECONDS = 7 * 24 * 3600
MAX_TAGS = 10

_S3_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_COS_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
_APPID = re.compile(r"[0-9]{1,20}")
_META_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")
_UPLOAD_ID = re.compile(r"[^\x00-\x1f\x7f]+")
#: the longest COS bucket name, ``-<appid>`` included
_COS_MAX = 50


class InvalidBucketNameError(InvalidArgumentError):
    """A bucket name the service's naming rules refuse."""


class InvalidObjectKeyError(InvalidArgumentError):
    """An object key that is empty, too long, not text, or unusable on the wire."""


def _s3_name_problem(name: str) -> Optional[str]:
    if not _S3_NAME.fullmatch(name):
        return "use 3-63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit"
    if ".." in name or ".-" in name or "-." in name:
        return "'..', '.-' and '-.' are not allowed"
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        pass
    else:
        return "a bucket name must not look like an IP address"
    if name.startswith(("xn--", "sthree-")) or name.endswith(("-s3alias", "--ol-s3", "--x-s3")):
        return "the prefixes 'xn--', 'sthree-' and the suffixes '-s3alias', '--ol-s3', '--x-s3' are reserved"
    return None


def _cos_name_problem(name: str, appid: Optional[str]) -> Optional[str]:
    base, sep, suffix = name.rpartition("-")
    if not sep or not _APPID.fullmatch(suffix):
        return "a COS bucket is named '<name>-<appid>'"
    if appid is not None and suffix != appid:
        return f"the bucket belongs to appid {suffix}, not to the client's appid {appid}"
    if not _COS_NAME.fullmatch(base):
        return "use a-z, 0-9 and '-' before '-<appid>', not starting or ending with '-'"
    if len(name) > _COS_MAX:
        return f"at most {_COS_MAX} characters, '-<appid>' included"
    return None


def check_bucket_name(name: Any, dialect: str, operation: str, *, appid: Optional[str] = None) -> str:
    """An S3 bucket name (3-63 of ``a-z 0-9 . -``, no IP form, no reserved affixes) or a COS one
    (``<name>-<appid>``, ``a-z 0-9 -``, at most 50 characters)."""
    resource = f"bucket {name!r}"
    if not isinstance(name, str):
        raise InvalidBucketNameError(
            f"the bucket name must be a str, not {type(name).__name__}",
            operation=operation,
            resource=resource,
        )
    problem = _cos_name_problem(name, appid) if dialect == "cos" else _s3_name_problem(name)
    if problem is not None:
        raise InvalidBucketNameError(
            f"invalid bucket name: {problem}", operation=operation, resource=resource
        )
    return name


def check_key(key: Any, operation: str, bucket: str, max_bytes: int = MAX_KEY_BYTES) -> str:
    """A non-empty str of at most ``max_bytes`` in UTF-8 (S3 1024, COS 850), without NUL or other C0
    control characters (they cannot be carried by an XML listing)."""
    resource = f"object {key!r} in bucket {bucket!r}"
    if not isinstance(key, str) or not key:
        raise InvalidObjectKeyError(
            "the object key must be a non-empty str", operation=operation, resource=resource
        )
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidObjectKeyError(
            "the object key is not valid Unicode text (lone surrogate)",
            operation=operation,
            resource=resource,
        ) from None
    if size > max_bytes:
        raise InvalidObjectKeyError(
            f"the object key is {size} bytes in UTF-8; at most {max_bytes}",
            operation=operation,
            resource=resource,
        )
    if any(ord(ch) < 0x20 and ch not in "\t\n\r" for ch in key):
        raise InvalidObjectKeyError(
            "the object key holds a control character", operation=operation, resource=resource
        )
    if any(segment in (".", "..") for segment in key.split("/")):
        raise InvalidObjectKeyError(
            "the object key has a '.' or '..' path segment, which HTTP clients and proxies normalise "
            "away (the request would reach another key)",
            operation=operation,
            resource=resource,
        )
    return key


def check_part_number(number: Any, operation: str, resource: str) -> int:
    """1..10,000."""
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= MAX_PARTS:
        raise InvalidArgumentError(
            f"part number must be an integer from 1 to {MAX_PARTS}, got {number!r}",
            operation=operation,
            resource=resource,
        )
    return number


def check_part_size(size: int, operation: str, resource: str, *, last: bool) -> int:
    """5 MiB..5 GiB, except that the last part may be smaller (but not empty unless it is the only one)."""
    if size > MAX_PART_SIZE or (not last and size < MIN_PART_SIZE):
        raise InvalidPartSizeError(
            f"a part is {MIN_PART_SIZE}..{MAX_PART_SIZE} bytes (only the last may be smaller), got {size}",
            operation=operation,
            resource=resource,
        )
    return size


def check_expires(expires: Any, operation: str, resource: str) -> int:
    """A whole number of seconds from 1 to 7 days."""
    if isinstance(expires, bool) or not isinstance(expires, int) or not 1 <= expires <= MAX_PRESIGN_SECONDS:
        raise InvalidArgumentError(
            f"expires must be 1..{MAX_PRESIGN_SECONDS} seconds (7 days), got {expires!r}",
            operation=operation,
            resource=resource,
        )
    return expires


def check_max_keys(value: Any, operation: str, resource: str) -> Optional[int]:
    """None, or 1..1000."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LIST_KEYS:
        raise InvalidArgumentError(
            f"max_keys must be an integer from 1 to {MAX_LIST_KEYS}, got {value!r}",
            operation=operation,
            resource=resource,
        )
    return value


def check_metadata(metadata: Optional[Mapping[str, Any]], operation: str, resource: str) -> Dict[str, str]:
    """User metadata: names of ``A-Za-z0-9_.-`` (sent lower-cased, as the services store them),
    values of printable ASCII (HTTP headers carry nothing else reliably)."""
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise InvalidArgumentError(
            "metadata must be a mapping of str to str", operation=operation, resource=resource
        )
    checked: Dict[str, str] = {}
    for name, value in metadata.items():
        if not isinstance(name, str) or not _META_NAME.fullmatch(name):
            raise InvalidArgumentError(
                f"invalid metadata name {name!r}: use A-Z, a-z, 0-9, '_', '.', '-'",
                operation=operation,
                resource=resource,
            )
        if not isinstance(value, str) or any(not 0x20 <= ord(ch) <= 0x7E for ch in value):
            raise InvalidArgumentError(
                f"invalid value for metadata {name!r}: printable ASCII only",
                operation=operation,
                resource=resource,
            )
        lowered = name.lower()
        if lowered in checked:
            raise InvalidArgumentError(
                f"metadata {name!r} is given twice (names are case-insensitive)",
                operation=operation,
                resource=resource,
            )
        checked[lowered] = value
    return checked


_TAG_TEXT = re.compile(r"[\w\s.:/=+\-@]*")


def check_tags(tags: Any, operation: str, resource: str) -> Dict[str, str]:
    """At most 10 tags; keys 1-128 and values 0-256 characters of letters, digits, spaces and
    ``_ . : / = + - @`` (the services refuse anything else with ``InvalidTag``)."""
    if not isinstance(tags, Mapping):
        raise InvalidArgumentError(
            "tags must be a mapping of str to str", operation=operation, resource=resource
        )
    if len(tags) > MAX_TAGS:
        raise InvalidArgumentError(
            f"at most {MAX_TAGS} tags, got {len(tags)}", operation=operation, resource=resource
        )
    for key, value in tags.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 128 or not _TAG_TEXT.fullmatch(key):
            raise InvalidArgumentError(f"invalid tag key {key!r}", operation=operation, resource=resource)
        if not isinstance(value, str) or len(value) > 256 or not _TAG_TEXT.fullmatch(value):
            raise InvalidArgumentError(
                f"invalid value for tag {key!r}", operation=operation, resource=resource
            )
    return dict(tags)


def check_upload_id(upload_id: Any, operation: str, resource: str) -> str:
    """A non-empty upload id without control characters (it travels in the query, encoded)."""
    if not isinstance(upload_id, str) or not _UPLOAD_ID.fullmatch(upload_id):
        raise InvalidArgumentError(f"invalid upload id {upload_id!r}", operation=operation, resource=resource)
    return upload_id


_RANGE = re.compile(r"\s*(?:bytes=)?\s*(?:([0-9]+)\s*-\s*([0-9]*)|-\s*([0-9]+))\s*")


def range_header(value: Any, operation: str, resource: str) -> str:
    """A ``Range`` header from a ``ByteRange``, an ``(a, b)`` pair or ``"a-b"`` / ``"a-"`` / ``"-n"``
    (with or without ``bytes=``): one range, inclusive, the suffix and open forms as S3 defines them."""
    if isinstance(value, ByteRange):
        return value.to_header()
    if isinstance(value, tuple):
        return ByteRange.parse(value, operation=operation, resource=resource).to_header()
    match = _RANGE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidByteRangeError(
            f"invalid range {value!r}: expected 'a-b', 'a-' or '-n' (one range, bytes)",
            operation=operation,
            resource=resource,
        )
    start, end, suffix = match.groups()
    if suffix is not None:
        if int(suffix) == 0:
            raise InvalidByteRangeError(
                f"invalid range {value!r}: a suffix range needs at least 1 byte",
                operation=operation,
                resource=resource,
            )
        return f"bytes=-{int(suffix)}"
    if end:
        return ByteRange.parse((int(start), int(end)), operation=operation, resource=resource).to_header()
    return f"bytes={int(start)}-"
