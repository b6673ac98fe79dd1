"""Bucket names, object keys and regions as S3 and COS accept them (docs/bucket-protocol.md §2).

S3: 3-63 characters of ``a-z 0-9 . -``, starting and ending with a letter or digit, no ``..``,
not an IPv4 address, none of the reserved prefixes and suffixes. COS: ``<name>-<appid>`` where the
name is 1-50 characters of ``a-z 0-9 -`` that does not start or end with ``-``.
"""

from __future__ import annotations

import re

from cassdk_like.emulator.objectstore.errors import invalid_argument, key_too_long

__all__ = ["check_key", "is_region", "is_s3_bucket_name", "split_cos_bucket"]

_S3_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_S3_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_S3_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_COS_BUCKET = re.compile(r"^([a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?)-(\d+)$")
_REGION = re.compile(r"^[a-z]{2,}(-[a-z0-9]+)+$")


def is_s3_bucket_name(name: str) -> bool:
    return (
        bool(_S3_NAME.match(name))
        and ".." not in name
        and not _IPV4.match(name)
        and not name.startswith(_S3_PREFIXES)
        and not name.endswith(_S3_SUFFIXES)
    )


def split_cos_bucket(bucket: str) -> tuple[str, str] | None:
    """(name, appid) of ``<name>-<appid>``, or None when it is not a COS bucket name."""
    match = _COS_BUCKET.match(bucket)
    return None if match is None else (match.group(1), match.group(2))


def is_region(value: str) -> bool:
    return bool(_REGION.match(value)) and len(value) <= 32


def check_key(key: str, max_bytes: int) -> None:
    """A key is 1 to ``max_bytes`` bytes of UTF-8 (KeyTooLongError, InvalidArgument)."""
    encoded = key.encode("utf-8", "surrogatepass")
    if len(encoded) > max_bytes:
        raise key_too_long(len(encoded), max_bytes)
    if not key:
        raise invalid_argument("Object key must not be empty", "key", "")
