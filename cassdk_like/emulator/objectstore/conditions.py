"""Conditional requests and byte ranges, as S3 (and COS) evaluate them (docs/bucket-protocol.md §3.3).

Reads: ``If-Match`` fails with 412 and, when present, overrides ``If-Unmodified-Since``;
``If-None-Match`` answers 304 and overrides ``If-Modified-Since``. Writes: ``If-None-Match: *``
refuses to replace an object, ``If-Match`` refuses to write unless the current ETag matches (and
an object must exist). Copy sources use ``x-*-copy-source-if-*``, which all fail with 412.
Ranges: one ``bytes=`` range (``a-b``, ``a-``, ``-n``); several ranges or a malformed header
are ignored (the whole object, 200), an unsatisfiable one is 416.
"""

from __future__ import annotations

import calendar
import email.utils
import re
from typing import List, Mapping, Optional, Tuple

from cassdk_like.emulator.objectstore.errors import (
    invalid_range,
    no_such_key,
    not_implemented,
    not_modified,
    precondition_failed,
)
from cassdk_like.emulator.objectstore.records import ObjectRecord

__all__ = [
    "check_copy_source",
    "check_read",
    "check_write",
    "etag_matches",
    "http_date",
    "parse_http_date",
    "parse_range",
]

_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


def http_date(timestamp: float) -> str:
    """RFC 7231 IMF-fixdate (``Last-Modified``)."""
    return email.utils.formatdate(int(timestamp), usegmt=True)


def parse_http_date(value: Optional[str]) -> Optional[int]:
    """Unix seconds of an HTTP date (any of the three forms), or None when absent or invalid."""
    if not value or not value.strip():
        return None
    parsed = email.utils.parsedate_tz(value.strip())
    if parsed is None:
        return None
    try:
        return int(calendar.timegm(parsed[:9])) - int(parsed[9] or 0)
    except (OverflowError, ValueError):
        return None


def etag_matches(header: str, etag: str) -> bool:
    """True when the comma-separated list ``header`` names ``etag`` (or is ``*``); weak tags match."""
    for item in header.split(","):
        candidate = item.strip()
        if candidate == "*":
            return True
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate.strip('"') == etag:
            return True
    return False


def _validators(obj: ObjectRecord) -> List[Tuple[str, str]]:
    return [("ETag", f'"{obj.etag}"'), ("Last-Modified", http_date(obj.modified))]


def check_read(headers: Mapping[str, str], obj: ObjectRecord, now: float) -> None:
    """Raise 412 PreconditionFailed or 304 NotModified when a GET/HEAD condition says so."""
    modified = int(obj.modified)
    if_match = headers.get("if-match")
    if if_match is not None:
        if not etag_matches(if_match, obj.etag):
            raise precondition_failed("If-Match")
    else:
        since = parse_http_date(headers.get("if-unmodified-since"))
        if since is not None and modified > since:
            raise precondition_failed("If-Unmodified-Since")
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        if etag_matches(if_none_match, obj.etag):
            raise not_modified(_validators(obj))
    else:
        since = parse_http_date(headers.get("if-modified-since"))
        if since is not None and since <= now and modified <= since:
            raise not_modified(_validators(obj))


def check_write(headers: Mapping[str, str], existing: Optional[ObjectRecord], key: str) -> None:
    """The conditional-write rules of PutObject and CompleteMultipartUpload (412, or 404 for an
    ``If-Match`` on a key that has no object)."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        if if_none_match.strip() != "*":
            raise not_implemented("If-None-Match")
        if existing is not None:
            raise precondition_failed("If-None-Match")
    if_match = headers.get("if-match")
    if if_match is not None:
        if existing is None:
            raise no_such_key(key)
        if not etag_matches(if_match, existing.etag):
            raise precondition_failed("If-Match")


def check_copy_source(headers: Mapping[str, str], prefix: str, source: ObjectRecord) -> None:
    """The copy-source conditions (``x-amz-copy-source-if-match``...); each failure is a 412."""
    modified = int(source.modified)
    name = prefix + "copy-source-if-"
    if_match = headers.get(name + "match")
    if if_match is not None and not etag_matches(if_match, source.etag):
        raise precondition_failed(f"{name}match")
    if_none_match = headers.get(name + "none-match")
    if if_none_match is not None and etag_matches(if_none_match, source.etag):
        raise precondition_failed(f"{name}none-match")
    unmodified = parse_http_date(headers.get(name + "unmodified-since"))
    if if_match is None and unmodified is not None and modified > unmodified:
        raise precondition_failed(f"{name}unmodified-since")
    since = parse_http_date(headers.get(name + "modified-since"))
    if if_none_match is None and since is not None and modified <= since:
        raise precondition_failed(f"{name}modified-since")


def parse_range(header: Optional[str], size: int) -> Optional[Tuple[int, int]]:
    """The inclusive (first, last) a ``Range`` header selects, None for the whole object."""
    if header is None:
        return None
    text = header.strip()
    if "," in text:
        return None  # several ranges: S3 sends the whole object
    match = _RANGE_RE.match(text)
    if match is None:
        return None  # not a byte range S3 understands: ignored
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise invalid_range(text, size)
        return max(size - suffix, 0), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if last_text and last < first:
        return None  # syntactically invalid: ignored like any malformed range
    if first >= size:
        raise invalid_range(text, size)
    return first, min(last, size - 1)
