"""Argument checks run before anything is sent (docs/reduct-client.md §11).

Each check raises an ``InvalidArgumentError`` subclass naming the operation and the resource, so a
bad name never becomes a 422 from the server (or, worse, a request to another route: an entry
called ``a/batch`` would be read as the batch endpoint of entry ``a``).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple

from cassdk_like.core.exceptions import InvalidArgumentError

__all__ = [
    "BatchTooLargeError",
    "InvalidLabelError",
    "InvalidNameError",
    "bucket_resource",
    "check_bucket_name",
    "check_content_type",
    "check_entry_name",
    "check_ip_allowlist",
    "check_labels",
    "check_permission_names",
    "check_positive_int",
    "check_query_entries",
    "check_token_name",
    "entry_resource",
    "label_text",
]

_BUCKET = re.compile(r"[A-Za-z0-9_-]+")
_ENTRY = re.compile(r"[A-Za-z0-9_/-]+")
_PERMISSION = re.compile(r"[*A-Za-z0-9_-]+")
#: lower-case RFC 7230 token characters: what a header name carries unchanged through the server
_HEADER_LABEL = re.compile(r"[a-z0-9!#$%&'*+.^_`|~-]+")
_PRINTABLE = re.compile(r"[\x20-\x7e]*")
#: the last path segment that turns an entry route into another endpoint
_ROUTE_SUFFIXES = frozenset({"batch", "q", "rename"})


class InvalidNameError(InvalidArgumentError):
    """A bucket, entry or token name the server would refuse (or route elsewhere)."""


class InvalidLabelError(InvalidArgumentError):
    """A label name or value that cannot be carried by the headers it must travel in."""


class BatchTooLargeError(InvalidArgumentError):
    """A batch the server's HTTP parser would drop before reading it (too many or too large headers)."""


def bucket_resource(bucket: str) -> str:
    return f"bucket {bucket!r}"


def entry_resource(bucket: str, entry: str) -> str:
    return f"entry {entry!r} in bucket {bucket!r}"


def check_bucket_name(name: Any, operation: str) -> str:
    """``^[A-Za-z0-9_-]+$``, the server's rule for bucket names."""
    if not isinstance(name, str) or not _BUCKET.fullmatch(name):
        raise InvalidNameError(
            f"a bucket name is letters, digits, '-' and '_' (at least one), got {name!r}",
            operation=operation,
            resource=f"bucket {name!r}",
        )
    return name


def check_entry_name(name: Any, operation: str, bucket: str) -> str:
    """``^[A-Za-z0-9_/-]+$`` without empty ``/`` segments, and no final ``batch``/``q``/``rename``
    segment after a ``/`` (the server would route such a path to that endpoint)."""
    resource = f"entry {name!r} in bucket {bucket!r}"
    if not isinstance(name, str) or not _ENTRY.fullmatch(name):
        raise InvalidNameError(
            f"an entry name is letters, digits, '-', '_' and '/' (at least one), got {name!r}",
            operation=operation,
            resource=resource,
        )
    segments = name.split("/")
    if "" in segments:
        raise InvalidNameError(
            "an entry name must not start or end with '/' nor contain '//'",
            operation=operation,
            resource=resource,
        )
    if len(segments) > 1 and segments[-1] in _ROUTE_SUFFIXES:
        raise InvalidNameError(
            f"an entry name must not end in '/{segments[-1]}': the server reads that path as the "
            f"{segments[-1]!r} endpoint of entry {'/'.join(segments[:-1])!r}",
            operation=operation,
            resource=resource,
        )
    return name


def check_token_name(name: Any, operation: str) -> str:
    """A non-empty name without '/', spaces or control characters (it is a path segment)."""
    if not isinstance(name, str) or not name or not _PRINTABLE.fullmatch(name) or "/" in name or " " in name:
        raise InvalidNameError(
            f"a token name is non-empty printable ASCII without '/' or spaces, got {name!r}",
            operation=operation,
            resource=f"token {name!r}" if isinstance(name, str) else "token",
        )
    return name


def check_permission_names(names: Iterable[str], operation: str, resource: str) -> None:
    """Bucket names or prefixes ending in ``*`` (``$``-names for system buckets), as the server allows."""
    for name in names:
        if not (_PERMISSION.fullmatch(name) or (name.startswith("$") and len(name) > 1)):
            raise InvalidArgumentError(
                f"a permission lists bucket names or wildcards ('*', 'prefix-*'), got {name!r}",
                operation=operation,
                resource=resource,
            )


def check_ip_allowlist(values: Optional[Iterable[str]], operation: str, resource: str) -> Tuple[str, ...]:
    """IP addresses or CIDR networks."""
    if values is None:
        return ()
    if isinstance(values, str):
        raise InvalidArgumentError("ip_allowlist is a list of addresses, not one string", operation=operation)
    found = tuple(values)
    for value in found:
        try:
            ipaddress.ip_network(value, strict=False)
        except (TypeError, ValueError):
            raise InvalidArgumentError(
                f"ip_allowlist holds IP addresses or CIDR networks, got {value!r}",
                operation=operation,
                resource=resource,
            ) from None
    return found


def check_positive_int(value: Any, what: str, operation: str, resource: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidArgumentError(
            f"{what} must be a positive integer, got {value!r}", operation=operation, resource=resource
        )
    return value


def check_content_type(value: Any, operation: str, resource: str, *, in_batch: bool = False) -> str:
    """Printable ASCII (a header value); in a batch also without ',' (the field separator)."""
    if not isinstance(value, str) or not value.strip() or not _PRINTABLE.fullmatch(value):
        raise InvalidArgumentError(
            f"content_type must be non-empty printable ASCII, got {value!r}",
            operation=operation,
            resource=resource,
        )
    if value != value.strip():
        raise InvalidArgumentError(
            f"content_type must not start or end with spaces, got {value!r}",
            operation=operation,
            resource=resource,
        )
    if in_batch and "," in value:
        raise InvalidArgumentError(
            f"a batched record's content_type must not contain ',' (it separates the record's fields), "
            f"got {value!r}",
            operation=operation,
            resource=resource,
        )
    return value


def label_text(value: Any) -> str:
    """A label value as it is sent: ``str(value)``, as reduct-py sends it."""
    return value if isinstance(value, str) else str(value)


def _check_value(name: str, text: str, operation: str, resource: str, *, removable: bool) -> None:
    def refuse(why: str) -> InvalidLabelError:
        return InvalidLabelError(f"label {name!r}: {why}", operation=operation, resource=resource)

    if not text:
        if removable:
            return
        raise refuse("an empty value cannot be written (in updates it means 'remove the label')")
    if not _PRINTABLE.fullmatch(text):
        raise refuse("values travel in HTTP headers and must be printable ASCII")
    if text != text.strip():
        raise refuse("the server trims values: a value must not start or end with spaces")


def check_labels(
    labels: Optional[Mapping[str, Any]],
    operation: str,
    resource: str,
    *,
    removable: bool = False,
    in_batch: Optional[str] = None,
) -> Dict[str, str]:
    """Labels as the name -> text they are sent as, or a refusal naming the label.

    Single-record writes and updates carry each label as a header ``x-reduct-label-<name>``, so the
    name must be a lower-case header token (HTTP folds case).  A batch carries names in header
    values: ``in_batch="v2"`` allows any name (its label table is percent-encoded),
    ``in_batch="v1"`` any printable name without ``=`` (v1 reads the name up to the first ``=``).
    Values containing ``,`` are quoted in batches, so they must not contain ``"`` too, nor start
    with it.  ``removable``: an empty value (or None) means "remove this label" (updates).
    """
    if labels is None:
        return {}
    if not isinstance(labels, Mapping):
        raise InvalidLabelError(
            f"labels must be a mapping of names to values, not {type(labels).__name__}",
            operation=operation,
            resource=resource,
        )
    found: Dict[str, str] = {}
    for name, value in labels.items():
        if not isinstance(name, str) or not name:
            raise InvalidLabelError(
                f"label names must be non-empty strings, got {name!r}", operation=operation, resource=resource
            )
        if name.startswith("@"):
            raise InvalidLabelError(
                f"label {name!r}: names starting with '@' are reserved for the server's computed labels",
                operation=operation,
                resource=resource,
            )
        if in_batch is None and not _HEADER_LABEL.fullmatch(name):
            raise InvalidLabelError(
                f"label {name!r}: a single record's label travels as the header x-reduct-label-<name>, so "
                "its name must be lower-case letters, digits or !#$%&'*+.^_`|~- (use a batch for others)",
                operation=operation,
                resource=resource,
            )
        if in_batch is not None and (not _PRINTABLE.fullmatch(name) or name != name.strip()):
            raise InvalidLabelError(
                f"label {name!r}: names must be printable ASCII without surrounding spaces",
                operation=operation,
                resource=resource,
            )
        if in_batch == "v1" and "=" in name:
            raise InvalidLabelError(
                f"label {name!r}: the v1 batch protocol (servers before API 1.18) reads a name "
                "up to the first '='",
                operation=operation,
                resource=resource,
            )
        text = "" if value is None and removable else label_text(value)
        _check_value(name, text, operation, resource, removable=removable)
        if in_batch is not None and (text.startswith('"') or ("," in text and '"' in text)):
            raise InvalidLabelError(
                f"label {name!r}: a batched value with ',' is sent in double quotes, so it cannot also "
                "contain '\"' (nor start with one)",
                operation=operation,
                resource=resource,
            )
        found[name] = text
    return found


_ENTRY_PATTERN = re.compile(r"[A-Za-z0-9_/*-]+")


def check_query_entries(entries: Any, operation: str, bucket: str) -> Tuple[str, ...]:
    """A query's entry name(s): one name or a list, each a name or a ``*`` wildcard pattern."""
    names = (
        (entries,)
        if isinstance(entries, str)
        else tuple(entries)
        if isinstance(entries, (list, tuple))
        else None
    )
    if not names:
        raise InvalidNameError(
            f"entries must be an entry name or a non-empty list of names, got {entries!r}",
            operation=operation,
            resource=f"bucket {bucket!r}",
        )
    for name in names:
        if not isinstance(name, str) or not _ENTRY_PATTERN.fullmatch(name) or "" in name.split("/"):
            raise InvalidNameError(
                "a queried entry is a name or a '*' pattern of letters, digits, '-', '_' and '/', "
                f"got {name!r}",
                operation=operation,
                resource=f"bucket {bucket!r}",
            )
    return names
