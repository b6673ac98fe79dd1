"""Where a COS request points: the bucket and region come from the Host header,
``<bucket>-<appid>.cos.<region>.myqcloud.com`` (or ``.tencentcos.cn``); the path is the key.
Any other host is the service endpoint (ListBuckets). Also the COS dialect of the shared
operations (docs/bucket-protocol.md §2.1 and §7).
"""

from __future__ import annotations

import re
from typing import Optional, Tuple
from urllib.parse import unquote

from cassdk_like.core.integrity import MiB
from cassdk_like.emulator.objectstore.dialect import Dialect
from cassdk_like.emulator.objectstore.errors import invalid_argument
from cassdk_like.emulator.objectstore.service import Address, host_name
from cassdk_like.emulator.wire import Request

__all__ = ["COS_DIALECT", "CRC64_HEADER", "bucket_host", "cos_address", "parse_copy_source"]

#: the header carrying an object's CRC-64/ECMA-182 (the xz variant) as a decimal number
CRC64_HEADER = "x-cos-hash-crc64ecma"

_BUCKET_HOST = re.compile(
    r"^(?P<bucket>[a-z0-9-]+-\d+)\.cos\.(?P<region>[a-z0-9-]+)\.(?:myqcloud\.com|tencentcos\.cn)$"
)


def bucket_host(host: str) -> Optional[Tuple[str, str]]:
    """(bucket, region) of a COS bucket host name, or None."""
    match = _BUCKET_HOST.match(host.lower())
    return None if match is None else (match.group("bucket"), match.group("region"))


def cos_address(request: Request) -> Address:
    found = bucket_host(host_name(request))
    if found is None:
        return "", "", None
    bucket, region = found
    return bucket, (request.path or "/")[1:], region


def parse_copy_source(value: str) -> Tuple[str, str]:
    """``<bucket>-<appid>.cos.<region>.myqcloud.com/<url-encoded key>[?versionId=...]``."""
    source, _, query = value.partition("?")
    if query and query not in ("versionId=null", ""):
        raise invalid_argument(
            "This emulator keeps no object versions; copy the current one", "x-cos-copy-source", value
        )
    host, _, key = source.lstrip("/").partition("/")
    found = bucket_host(host)
    if found is None or not key:
        raise invalid_argument(
            "The x-cos-copy-source is not a valid COS object URL", "x-cos-copy-source", value
        )
    return found[0], unquote(key)


COS_DIALECT = Dialect(
    name="cos",
    prefix="x-cos-",
    xmlns=None,
    min_part_size=MiB,
    max_key_bytes=850,
    default_content_type="application/octet-stream",
    checksum_algorithms=frozenset(),
    crc64_header=CRC64_HEADER,
    copy_source=parse_copy_source,
    directives={"Copy": "COPY", "Replaced": "REPLACE"},
    next_marker_always=True,
)
