"""Listing keys: prefix, delimiter with common prefixes, markers and continuation tokens
(docs/bucket-protocol.md §3.4).

Keys come in UTF-8 byte order. A common prefix counts as one entry toward ``max-keys`` and stands
for every key under it, so the scan jumps past them: the smallest string after every key that
starts with prefix ``P`` is ``P`` with its last character incremented (code-point order is UTF-8
byte order). A continuation token is the position to resume from, opaque to clients.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from cassdk_like.emulator.objectstore.errors import invalid_argument
from cassdk_like.emulator.objectstore.records import ObjectRecord
from cassdk_like.emulator.objectstore.store import ObjectStore

__all__ = ["Listing", "decode_token", "encode_token", "list_keys", "successor"]

_BATCH = 1000


@dataclass
class Listing:
    """One page. ``resume`` is (position, inclusive) for the next page when truncated."""

    contents: List[ObjectRecord] = field(default_factory=list)
    prefixes: List[str] = field(default_factory=list)
    truncated: bool = False
    resume: Optional[Tuple[str, bool]] = None
    last: str = ""


def successor(prefix: str) -> Optional[str]:
    """The smallest string greater than every string starting with ``prefix`` (None: none exists)."""
    point = ord(prefix[-1]) + 1
    if 0xD800 <= point <= 0xDFFF:
        point = 0xE000
    if point > 0x10FFFF:
        return None
    return prefix[:-1] + chr(point)


def list_keys(
    store: ObjectStore,
    bucket: str,
    *,
    prefix: str,
    delimiter: str,
    start: str,
    inclusive: bool,
    max_keys: int,
) -> Listing:
    """The keys (and common prefixes) after ``start``, up to ``max_keys`` entries."""
    page = Listing()
    position, including = start, inclusive
    if position < prefix:
        position, including = prefix, True
    skip: Optional[str] = None  # a common prefix without a successor: filter instead of jumping
    if max_keys <= 0:
        return page
    while True:
        batch = store.scan(bucket, prefix, position, including, _BATCH)
        if not batch:
            return page
        jumped = False
        for obj in batch:
            position, including = obj.key, False
            if skip is not None and obj.key.startswith(skip):
                continue
            entry, is_prefix = obj.key, False
            if delimiter:
                cut = obj.key.find(delimiter, len(prefix))
                if cut >= 0:
                    entry, is_prefix = obj.key[: cut + len(delimiter)], True
            if len(page.contents) + len(page.prefixes) >= max_keys:
                page.truncated = True
                return page
            page.last = entry
            if not is_prefix:
                page.contents.append(obj)
                page.resume = (entry, False)
                continue
            page.prefixes.append(entry)
            after = successor(entry)
            if after is None:
                skip, page.resume = entry, (entry, False)
                continue
            position, including, page.resume = after, True, (after, True)
            jumped = True
            break
        if not jumped and len(batch) < _BATCH:
            return page


def encode_token(resume: Tuple[str, bool]) -> str:
    raw = json.dumps({"p": resume[0], "i": resume[1]}, ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii")


def decode_token(token: str) -> Tuple[str, bool]:
    """The position a continuation token names (InvalidArgument when it is not one of ours)."""
    try:
        doc = json.loads(base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8"))
        position, inclusive = doc["p"], doc["i"]
    except (binascii.Error, ValueError, UnicodeError, KeyError, TypeError):
        raise invalid_argument(
            "The continuation token provided is incorrect", "continuation-token", token
        ) from None
    if not isinstance(position, str) or not isinstance(inclusive, bool):
        raise invalid_argument("The continuation token provided is incorrect", "continuation-token", token)
    return position, inclusive
