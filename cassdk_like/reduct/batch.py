"""Batches of records to write, update or remove in one request (docs/reduct-client.md §8).

``Batch`` holds records of one entry (reduct-py's ``Batch``: ``add(timestamp, data, content_type,
labels)``); ``RecordBatch`` holds records of several entries (``add(entry, timestamp, ...)``).
Timestamps are converted and labels stored as the text they are sent as when a record is added,
so a bad timestamp fails at ``add``; label rules that depend on the protocol (v1 or v2, decided by
the server's API version) are checked when the batch is sent.  A second record with the same
(entry, timestamp) replaces the first, as in reduct-py.  Not thread-safe.
"""

from __future__ import annotations

import time
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple, Union

import attrs

from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.reduct.timestamps import TimestampLike, to_microseconds
from cassdk_like.reduct.validation import label_text

__all__ = ["DEFAULT_CONTENT_TYPE", "Batch", "BatchRecord", "RecordBatch"]

#: what the server assumes when a record names no content type
DEFAULT_CONTENT_TYPE = "application/octet-stream"

Buffer = Union[bytes, bytearray, memoryview]


@attrs.frozen
class BatchRecord:
    """One record of a batch: where it goes, its payload, content type and labels (as sent).

    For updates a label whose value is ``""`` is removed; for removals only entry and timestamp count.
    """

    entry: Optional[str]
    timestamp: int
    data: memoryview = attrs.field(repr=lambda view: f"<{view.nbytes} bytes>")
    content_type: str = DEFAULT_CONTENT_TYPE
    labels: Mapping[str, str] = attrs.field(factory=dict)

    @property
    def size(self) -> int:
        return self.data.nbytes

    def read_all(self) -> bytes:
        return self.data.tobytes()


def _payload(data: Any) -> memoryview:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return memoryview(data).cast("B")
    raise InvalidArgumentError(
        f"a batched record's data must be bytes, not {type(data).__name__} "
        "(use Bucket.write to stream a file or an iterator)",
        operation="batch.add",
    )


def _labels(labels: Optional[Mapping[str, Any]]) -> Dict[str, str]:
    if labels is None:
        return {}
    if not isinstance(labels, Mapping):
        raise InvalidArgumentError(
            f"labels must be a mapping of names to values, not {type(labels).__name__}", operation="batch.add"
        )
    return {str(name): "" if value is None else label_text(value) for name, value in labels.items()}


class _Records:
    """What both batch kinds share: the records by (entry, timestamp), their total size and last add."""

    def __init__(self) -> None:
        self._records: Dict[Tuple[str, int], BatchRecord] = {}
        self._total_size = 0
        self._last_access = 0.0

    def _add(
        self,
        entry: Optional[str],
        timestamp: TimestampLike,
        data: Buffer,
        content_type: Optional[str],
        labels: Optional[Mapping[str, Any]],
    ) -> None:
        ts = to_microseconds(timestamp, operation="batch.add", resource=f"entry {entry!r}" if entry else None)
        record = BatchRecord(
            entry,
            ts,
            _payload(data),
            DEFAULT_CONTENT_TYPE if content_type is None else content_type,
            _labels(labels),
        )
        key = (entry or "", ts)
        previous = self._records.get(key)
        if previous is not None:
            self._total_size -= previous.size
        self._records[key] = record
        self._total_size += record.size
        self._last_access = time.time()

    def items(self) -> List[Tuple[Tuple[str, int], BatchRecord]]:
        """((entry, timestamp), record) pairs sorted by entry, then timestamp."""
        return sorted(self._records.items(), key=lambda item: item[0])

    def records(self) -> List[BatchRecord]:
        """The records sorted by entry, then timestamp (the order their payloads are sent in)."""
        return [record for _key, record in self.items()]

    @property
    def size(self) -> int:
        """Bytes of payload in the batch."""
        return self._total_size

    @property
    def last_access(self) -> float:
        """``time.time()`` of the last ``add`` (0 when empty): handy to flush a batch by age."""
        return self._last_access

    def clear(self) -> None:
        """Drop every record (the batch can be reused)."""
        self._records.clear()
        self._total_size = 0
        self._last_access = 0.0

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[BatchRecord]:
        return iter(self.records())

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {len(self)} records, {self._total_size} bytes>"


class Batch(_Records):
    """Records of one entry, sent with ``Bucket.write_batch`` / ``update_batch`` / ``remove_batch``."""

    def add(
        self,
        timestamp: TimestampLike,
        data: Buffer = b"",
        content_type: Optional[str] = None,
        labels: Optional[Mapping[str, Any]] = None,
    ) -> None:
        """Add (or replace) the record at ``timestamp``."""
        self._add(None, timestamp, data, content_type, labels)


class RecordBatch(_Records):
    """Records of several entries, sent with ``Bucket.write_record_batch`` (and update / remove)."""

    def add(
        self,
        entry: str,
        timestamp: TimestampLike,
        data: Buffer = b"",
        content_type: Optional[str] = None,
        labels: Optional[Mapping[str, Any]] = None,
    ) -> None:
        """Add (or replace) the record of ``entry`` at ``timestamp``."""
        if not isinstance(entry, str) or not entry:
            raise InvalidArgumentError(
                f"entry must be a non-empty string, got {entry!r}", operation="batch.add"
            )
        self._add(entry, timestamp, data, content_type, labels)
