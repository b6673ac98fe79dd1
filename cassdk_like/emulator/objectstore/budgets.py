"""Download budgets of shared-token grants: what makes ``downloadLimit`` hold at the service
(docs/transfer.md §8.4).

A shared token is one grant of the registry (``grants.py``) whose URLs are a token document's and
its files'. A budget counts *redemptions*: the distinct redemption ids (the
``x-cassdk-redemption`` header, or one anonymous id for requests without it) seen on requests for
the token's files. Reading the document never counts, so a wrong password costs nothing; a new
redemption id is refused, on the document as on a file, once ``limit`` redemptions have started.
Each file has a byte budget that grows by its size with each redemption started, plus a quarter of
its size and one byte for the size probe and slack; a request reserves the bytes of its range
(clipped to the size) and is charged only what the service sends: an error answer, or a body cut
short, gives the rest back (``GrantRegistry.settle``). So retries and resumed ranged downloads of
one redemption cost only the bytes they receive, and saved file URLs cannot fetch a file more often
than redemptions have started.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Set, Tuple

from cassdk_like.emulator.errors import ApiError

__all__ = ["REDEMPTION_HEADER", "Budget", "bad_parameter", "check_digests", "parse_budget", "parse_files"]

#: the header a redeemer sends on every request of one redemption
REDEMPTION_HEADER = "x-cassdk-redemption"
_ANONYMOUS = "-"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_MAX_ID = 128


def bad_parameter(message: str) -> ApiError:
    """The registry's 400 for a malformed admin document."""
    return ApiError("InvalidParameterValueException", message, status=400)


def check_digests(value: Any, name: str) -> List[str]:
    """``value`` when it is a non-empty list of SHA-256 hex digests, else a 400 naming ``name``."""
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(d, str) and _HEX64.match(d) for d in value)
    ):
        raise bad_parameter(f"{name} must be a non-empty list of SHA-256 hex digests")
    return value


def parse_files(value: Any) -> Dict[str, Tuple[int, int]]:
    """``{signature digest: [file index, size]}`` from a registration or an amendment."""
    if not isinstance(value, dict):
        raise bad_parameter("token.files must map signature digests to [index, size]")
    files: Dict[str, Tuple[int, int]] = {}
    for digest, pair in value.items():
        ok = (
            isinstance(digest, str)
            and _HEX64.match(digest)
            and isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in pair)
        )
        if not ok:
            raise bad_parameter("token.files must map signature digests to [index, size]")
        files[digest] = (pair[0], pair[1])
    return files


def charge_of(range_header: Optional[str], size: int) -> int:
    """Bytes a GET asks for: its range clipped to ``size``; the whole file without (or with an
    unreadable or multi-part) ``Range``."""
    match = _RANGE.match((range_header or "").strip())
    if match is None:
        return size
    first, last = match.group(1), match.group(2)
    if not first:  # a suffix range: the last n bytes
        return min(int(last or 0), size)
    start = int(first)
    end = size - 1 if not last else min(int(last), size - 1)
    return max(0, end - start + 1)


@dataclass
class Budget:
    """Redemptions and bytes served of one shared token (thread safety: the registry's lock)."""

    limit: Optional[int]
    documents: Set[str]
    files: Dict[str, Tuple[int, int]]
    redemptions: Set[str] = field(default_factory=set)
    served: Dict[int, int] = field(default_factory=dict)
    closed: bool = False

    def charge(
        self, digest: str, headers: Mapping[str, str]
    ) -> Tuple[Optional[str], Optional[Tuple[int, int]]]:
        """Why this request is refused (or None), and the (file index, bytes) it reserved."""
        rid = (headers.get(REDEMPTION_HEADER) or _ANONYMOUS).strip()[:_MAX_ID] or _ANONYMOUS
        started = rid in self.redemptions
        if not started and self.closed:
            return "The shared token was deleted", None
        if not started and self.limit is not None and len(self.redemptions) >= self.limit:
            return f"The shared token's download limit ({self.limit}) is reached", None
        if digest in self.documents:
            return None, None
        found = self.files.get(digest)
        if found is None:
            return "The URL no longer belongs to the shared token", None
        index, size = found
        if not started:
            self.redemptions.add(rid)
        cost = charge_of(headers.get("range"), size)
        allowed = len(self.redemptions) * size + size // 4 + 1
        if self.limit is not None and self.served.get(index, 0) + cost > allowed:
            return "The shared token's download budget for this file is spent", None
        self.served[index] = self.served.get(index, 0) + cost
        return None, (index, cost)

    def refund(self, index: int, nbytes: int) -> None:
        """Give back reserved bytes the service did not send."""
        self.served[index] = max(0, self.served.get(index, 0) - nbytes)

    def describe(self) -> Dict[str, Any]:
        """What the admin API shows (counts only)."""
        return {"limit": self.limit, "redemptions": len(self.redemptions), "closed": self.closed}


def parse_budget(value: Any) -> Tuple[Budget, List[str]]:
    """A budget from a registration's ``token`` object, and the digests it adds to the grant."""
    if not isinstance(value, dict):
        raise bad_parameter("token must be an object")
    limit, documents = value.get("limit"), value.get("document_sha256")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise bad_parameter("token.limit must be a positive integer or null")
    documents = check_digests(documents, "token.document_sha256")
    files = parse_files(value.get("files", {}))
    return Budget(limit, set(documents), files), [*documents, *files]
