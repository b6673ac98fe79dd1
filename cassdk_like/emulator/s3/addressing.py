"""Where an S3 request points: virtual-hosted (the bucket in the Host) or path-style (the bucket
as the first path segment), and the S3 dialect of the shared operations (docs/bucket-protocol.md §2.1).

Virtual-hosted hosts: ``<bucket>.s3.amazonaws.com``, ``<bucket>.s3.<region>.amazonaws.com``,
``<bucket>.s3-<region>.amazonaws.com`` and ``<bucket>.localhost``. Every other host (an IP
address, ``localhost``, ``s3.<region>.amazonaws.com``, a custom name) is path-style.
"""

from __future__ import annotations

import re
from typing import Tuple
from urllib.parse import unquote

from cassdk_like.core.integrity import MiB
from cassdk_like.emulator.objectstore.dialect import Dialect
from cassdk_like.emulator.objectstore.digests import ALGORITHMS
from cassdk_like.emulator.objectstore.errors import invalid_argument
from cassdk_like.emulator.objectstore.service import Address, host_name
from cassdk_like.emulator.wire import Request

__all__ = ["S3_DIALECT", "S3_XMLNS", "parse_copy_source", "s3_address"]

S3_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"

_VIRTUAL = (
    re.compile(r"^(?P<bucket>.+)\.s3[.-](?P<region>[a-z0-9-]+)\.amazonaws\.com$"),
    re.compile(r"^(?P<bucket>.+)\.s3\.amazonaws\.com$"),
    re.compile(r"^(?P<bucket>[^.].*)\.localhost$"),
)
_REGIONAL = re.compile(r"^s3[.-](?P<region>[a-z0-9-]+)\.amazonaws\.com$")


def s3_address(request: Request) -> Address:
    host = host_name(request)
    path = request.path or "/"
    for pattern in _VIRTUAL:
        match = pattern.match(host)
        if match is not None:
            region = match.groupdict().get("region")
            if region == "dualstack":
                region = None
            return match.group("bucket"), path[1:], region
    regional = _REGIONAL.match(host)
    bucket, _, key = path[1:].partition("/")
    return bucket, key, regional.group("region") if regional else None


def parse_copy_source(value: str) -> Tuple[str, str]:
    """``bucket/key`` or ``/bucket/key``, URL-encoded, optionally ``?versionId=null``."""
    source, _, query = value.partition("?")
    if query and query not in ("versionId=null", ""):
        raise invalid_argument(
            "This emulator keeps no object versions; copy the current one", "x-amz-copy-source", value
        )
    decoded = unquote(source)
    bucket, _, key = decoded.lstrip("/").partition("/")
    if not bucket or not key:
        raise invalid_argument("Invalid copy source object key", "x-amz-copy-source", value)
    return bucket, key


S3_DIALECT = Dialect(
    name="s3",
    prefix="x-amz-",
    xmlns=S3_XMLNS,
    min_part_size=5 * MiB,
    max_key_bytes=1024,
    default_content_type="binary/octet-stream",
    checksum_algorithms=ALGORITHMS,
    crc64_header=None,
    copy_source=parse_copy_source,
)
