"""What differs between the S3 and COS dialects of one bucket API, for the shared operations.

The services own addressing, signatures and the error document; everything the operations need
to know about a dialect is here: the header prefix (``x-amz-`` or ``x-cos-``), the part and key
limits, which checksums it verifies, the XML namespace, how a copy source is written
(docs/bucket-protocol.md §7).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, FrozenSet, Mapping, Optional, Tuple

from cassdk_like.core.integrity import MiB

__all__ = ["Dialect", "GiB"]

GiB = 1024 * MiB


@dataclass(frozen=True)
class Dialect:
    """One dialect. ``copy_source`` turns a copy-source header into (bucket, key) or raises."""

    name: str
    prefix: str
    xmlns: Optional[str]
    min_part_size: int
    max_key_bytes: int
    default_content_type: str
    #: the x-<prefix>checksum-<name> algorithms the dialect verifies and returns (COS: none)
    checksum_algorithms: FrozenSet[str]
    #: the header carrying the object's CRC-64/XZ as a decimal number (COS), or None
    crc64_header: Optional[str]
    copy_source: Callable[[str], Tuple[str, str]]
    max_parts: int = 10000
    max_part_size: int = 5 * GiB
    max_put_size: int = 5 * GiB
    max_tags: int = 10
    max_metadata_bytes: int = 2048
    #: a truncated ListObjects (v1) page names its NextMarker even without a delimiter (COS)
    next_marker_always: bool = False
    #: how the dialect spells the copy directives (metadata, tagging) -> COPY or REPLACE
    directives: Mapping[str, str] = field(default_factory=lambda: {"COPY": "COPY", "REPLACE": "REPLACE"})

    def h(self, suffix: str) -> str:
        """``h("meta-")`` -> ``x-amz-meta-`` or ``x-cos-meta-``."""
        return self.prefix + suffix

    @property
    def meta_prefix(self) -> str:
        return self.prefix + "meta-"
