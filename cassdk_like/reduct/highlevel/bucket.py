"""``Bucket``: reduct-py's bucket methods, blocking, with typed errors (docs/reduct-client.md §5, §8, §9).

A ``Bucket`` is a name and the ``Client`` it came from; it holds no connection of its own and is
as thread-safe as the client.  Batches go over the v2 ``/io`` protocol when the server's API minor
is 18 or more and over v1 otherwise, so code that uses ``write_batch`` keeps working on old
servers, and ``write_record_batch`` works there too (one v1 request per entry).
"""

from __future__ import annotations

import contextlib
import json
import time
from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    Generator,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from cassdk_like.core.exceptions import BadResponseError, InvalidArgumentError
from cassdk_like.core.http.response import HttpResponse
from cassdk_like.reduct.batch import Batch, BatchRecord, RecordBatch
from cassdk_like.reduct.errors import ReductError
from cassdk_like.reduct.highlevel._answers import json_of, ok
from cassdk_like.reduct.highlevel.record import Record, RecordBody
from cassdk_like.reduct.lowlevel.client import Data, ReductClient
from cassdk_like.reduct.models import BucketFullInfo, BucketInfo, BucketSettings, EntryInfo
from cassdk_like.reduct.protocol import (
    LAST_HEADER,
    RecordMeta,
    decode_v1,
    decode_v2,
    errors_v1,
    errors_v2,
    update_groups,
)
from cassdk_like.reduct.timestamps import TimestampLike, to_microseconds
from cassdk_like.reduct.validation import (
    BatchTooLargeError,
    bucket_resource,
    check_positive_int,
    check_query_entries,
    entry_resource,
)

if TYPE_CHECKING:
    from cassdk_like.reduct.highlevel.client import Client

__all__ = ["Bucket"]

#: the API minor from which the server speaks the v2 ``/io`` batch and query protocol
BATCH_V2_MINOR = 18
EntryErrors = Dict[int, ReductError]
BatchErrors = Dict[str, Dict[int, ReductError]]


def _now_us() -> int:
    return time.time_ns() // 1000


class Bucket:
    """A bucket of the server ``client`` talks to."""

    def __init__(self, name: str, client: Client) -> None:
        self.name = name
        self._client = client

    @property
    def _ll(self) -> ReductClient:
        return self._client.lowlevel

    def _v2(self) -> bool:
        return self._client.api_minor() >= BATCH_V2_MINOR

    def __repr__(self) -> str:
        return f"Bucket({self.name!r})"

    # -- the bucket -----------------------------------------------------------------------------

    def get_full_info(self) -> BucketFullInfo:
        """Info, settings and entries in one call (the three methods below each make this call)."""
        return BucketFullInfo.from_json(json_of(self._ll.get_bucket(self.name, operation="info"), "bucket"))

    def get_settings(self) -> BucketSettings:
        """The bucket's settings."""
        return self.get_full_info().settings

    def set_settings(self, settings: BucketSettings) -> None:
        """Change the settings; a ``None`` field keeps the bucket's current value."""
        ok(self._ll.update_bucket(self.name, settings))

    def info(self) -> BucketInfo:
        """The bucket's summary (size, entry count, times)."""
        return self.get_full_info().info

    def get_entry_list(self) -> List[EntryInfo]:
        """Every entry of the bucket."""
        return list(self.get_full_info().entries)

    def remove(self) -> None:
        """Remove the bucket; the server deletes it in the background (``status`` DELETING meanwhile)."""
        ok(self._ll.remove_bucket(self.name))

    def rename(self, new_name: str) -> None:
        """Rename the bucket to ``new_name`` (this object follows)."""
        ok(self._ll.rename_bucket(self.name, new_name))
        self.name = new_name

    def remove_entry(self, entry_name: str) -> None:
        """Delete entry ``entry_name`` and its records."""
        ok(self._ll.remove_entry(self.name, entry_name))

    def rename_entry(self, old_name: str, new_name: str) -> None:
        """Rename entry ``old_name`` to ``new_name``."""
        ok(self._ll.rename_entry(self.name, old_name, new_name))

    # -- single records -------------------------------------------------------------------------

    def write(
        self,
        entry_name: str,
        data: Data,
        timestamp: Optional[TimestampLike] = None,
        content_length: Optional[int] = None,
        labels: Optional[Mapping[str, Any]] = None,
        content_type: Optional[str] = None,
    ) -> None:
        """Write one record (now, without ``timestamp``).

        ``data``: bytes, a binary file object (sent from its position; ``content_length`` defaults
        to what is left of a seekable file) or an iterator of bytes (``content_length`` required).
        The body is streamed, never held whole. A duplicate timestamp is ``Conflict``.
        """
        ok(
            self._ll.write_record(
                self.name,
                entry_name,
                _now_us() if timestamp is None else timestamp,
                data,
                content_length=content_length,
                content_type=content_type,
                labels=labels,
            )
        )

    @contextlib.contextmanager
    def read(
        self, entry_name: str, timestamp: Optional[TimestampLike] = None, head: bool = False
    ) -> Iterator[Record]:
        """The record at ``timestamp`` (the latest without one) as a context manager; with ``head``
        only its metadata. Leaving the block releases the connection."""
        response = ok(self._ll.read_record(self.name, entry_name, timestamp, head=head))
        try:
            yield Record.from_response(response, entry_name, head=head)
        finally:
            response.close()

    def update(self, entry_name: str, timestamp: TimestampLike, labels: Mapping[str, Any]) -> None:
        """Set a record's labels; an empty value (or None) removes a label."""
        ok(self._ll.update_record(self.name, entry_name, timestamp, labels))

    def remove_record(self, entry_name: str, timestamp: TimestampLike) -> None:
        """Delete the record of ``entry_name`` at ``timestamp``."""
        ok(self._ll.remove_record(self.name, entry_name, timestamp))

    # -- batches --------------------------------------------------------------------------------

    def _entry_records(self, entry: str, batch: Batch, operation: str) -> List[BatchRecord]:
        if not isinstance(batch, Batch):
            raise InvalidArgumentError(
                f"batch must be a Batch, not {type(batch).__name__}",
                operation=operation,
                resource=entry_resource(self.name, entry),
            )
        return [BatchRecord(entry, r.timestamp, r.data, r.content_type, r.labels) for r in batch.records()]

    def _multi_records(self, batch: RecordBatch, operation: str) -> List[BatchRecord]:
        if not isinstance(batch, RecordBatch):
            raise InvalidArgumentError(
                f"batch must be a RecordBatch, not {type(batch).__name__}",
                operation=operation,
                resource=bucket_resource(self.name),
            )
        return batch.records()

    def _v2_errors(self, response: HttpResponse, records: Sequence[BatchRecord]) -> BatchErrors:
        ok(response)
        entries = list(dict.fromkeys(r.entry or "" for r in records))
        start = min(r.timestamp for r in records)
        return errors_v2(
            response.headers, entries, start, operation=response.operation, resource=response.resource
        )

    def _v1_errors(self, response: HttpResponse) -> EntryErrors:
        ok(response)
        return errors_v1(response.headers, operation=response.operation, resource=response.resource)

    def _by_entry(self, records: Iterable[BatchRecord]) -> Dict[str, List[BatchRecord]]:
        grouped: Dict[str, List[BatchRecord]] = {}
        for record in records:
            grouped.setdefault(record.entry or "", []).append(record)
        return grouped

    def _send_batch(self, kind: str, records: List[BatchRecord], operation: str) -> BatchErrors:
        """``kind`` (write, update or remove) of records of any entries, by the server's protocol;
        a batch the server would refuse as too large is named by the caller's ``operation``."""
        if not records:
            return {}
        try:
            return self._send_batch_as(kind, records)
        except BatchTooLargeError as exc:
            exc.operation = operation
            raise

    def _send_batch_as(self, kind: str, records: List[BatchRecord]) -> BatchErrors:
        found: BatchErrors = {}
        if self._v2():
            if kind == "write":
                found = self._v2_errors(self._ll.write_record_batch(self.name, records), records)
            elif kind == "update":
                for group in update_groups(records):
                    for entry, errors in self._v2_errors(
                        self._ll.update_record_batch(self.name, group), group
                    ).items():
                        found.setdefault(entry, {}).update(errors)
            else:
                found = self._v2_errors(self._ll.remove_record_batch(self.name, records), records)
            return found
        send = {
            "write": self._ll.write_batch,
            "update": self._ll.update_batch,
            "remove": self._ll.remove_batch,
        }[kind]
        for entry, group in self._by_entry(records).items():
            errors = self._v1_errors(send(self.name, entry, group))
            if errors:
                found[entry] = errors
        return found

    def write_batch(self, entry_name: str, batch: Batch) -> EntryErrors:
        """Write a batch to one entry; ``{timestamp: ReductError}`` of the records the server refused."""
        records = self._entry_records(entry_name, batch, "write_batch")
        return self._send_batch("write", records, "write_batch").get(entry_name, {})

    def write_record_batch(self, batch: RecordBatch) -> BatchErrors:
        """Write a batch to several entries; ``{entry: {timestamp: ReductError}}`` of refused records."""
        return self._send_batch(
            "write", self._multi_records(batch, "write_record_batch"), "write_record_batch"
        )

    def update_batch(self, entry_name: str, batch: Batch) -> EntryErrors:
        """Set labels of several records of one entry (an empty value removes a label)."""
        records = self._entry_records(entry_name, batch, "update_batch")
        return self._send_batch("update", records, "update_batch").get(entry_name, {})

    def update_record_batch(self, batch: RecordBatch) -> BatchErrors:
        """Set labels of records of several entries (an empty value removes a label)."""
        return self._send_batch(
            "update", self._multi_records(batch, "update_record_batch"), "update_record_batch"
        )

    def remove_batch(self, entry_name: str, batch: Batch) -> EntryErrors:
        """Remove the batch's records (by timestamp) from one entry."""
        records = self._entry_records(entry_name, batch, "remove_batch")
        return self._send_batch("remove", records, "remove_batch").get(entry_name, {})

    def remove_record_batch(self, batch: RecordBatch) -> BatchErrors:
        """Remove the batch's records (by entry and timestamp)."""
        return self._send_batch(
            "remove", self._multi_records(batch, "remove_record_batch"), "remove_record_batch"
        )

    # -- queries --------------------------------------------------------------------------------

    def _query_document(
        self,
        query_type: str,
        names: Tuple[str, ...],
        start: Optional[TimestampLike],
        stop: Optional[TimestampLike],
        when: Optional[Mapping[str, Any]],
        extra: Mapping[str, Any],
        operation: str,
    ) -> Dict[str, Any]:
        resource = bucket_resource(self.name)
        document: Dict[str, Any] = {"query_type": query_type, "entries": list(names)}
        for key, value in (("start", start), ("stop", stop)):
            if value is not None:
                document[key] = to_microseconds(value, what=key, operation=operation, resource=resource)
        if "start" in document and "stop" in document and document["start"] >= document["stop"]:
            raise InvalidArgumentError(
                "start must be before stop (the range is start <= timestamp < stop)",
                operation=operation,
                resource=resource,
            )
        if when is not None:
            if not isinstance(when, Mapping):
                raise InvalidArgumentError(
                    f"when must be a condition object (dict), not {type(when).__name__}",
                    operation=operation,
                    resource=resource,
                )
            document["when"] = dict(when)
        document.update({key: value for key, value in extra.items() if value is not None})
        try:
            json.dumps(document)
        except (TypeError, ValueError) as exc:
            raise InvalidArgumentError(
                f"the query cannot be sent as JSON: {exc}", operation=operation, resource=resource
            ) from None
        return document

    def _v1_entry(self, names: Tuple[str, ...], operation: str) -> Optional[str]:
        """The one entry of a v1 query (servers before API 1.18), or None when v2 is spoken."""
        if self._v2():
            return None
        if len(names) != 1 or "*" in names[0]:
            raise InvalidArgumentError(
                "this server (API before 1.18) queries one entry at a time, without wildcards",
                operation=operation,
                resource=bucket_resource(self.name),
            )
        return names[0]

    def query(
        self,
        entry_name: Union[str, Sequence[str]],
        start: Optional[TimestampLike] = None,
        stop: Optional[TimestampLike] = None,
        ttl: Optional[int] = None,
        when: Optional[Mapping[str, Any]] = None,
        head: bool = False,
        *,
        strict: Optional[bool] = None,
        ext: Optional[Mapping[str, Any]] = None,
        continuous: bool = False,
        poll_interval: float = 1.0,
    ) -> Iterator[Record]:
        """The records of one or more entries (names or ``*`` patterns) with ``start <= ts < stop``.

        Arguments are checked now; the query starts at the first ``next()``.  Records come batch
        by batch as the server sends them (docs/reduct-client.md §9); each record's body must be
        read before the next record is taken, or it is skipped.  ``continuous`` keeps waiting for
        new records (``poll_interval`` seconds between empty answers) until the iterator is closed.
        """
        operation = "query"
        names = check_query_entries(entry_name, operation, self.name)
        if ttl is not None:
            check_positive_int(ttl, "ttl", operation, bucket_resource(self.name))
        if (
            isinstance(poll_interval, bool)
            or not isinstance(poll_interval, (int, float))
            or poll_interval < 0
        ):
            raise InvalidArgumentError(
                f"poll_interval must be seconds >= 0, got {poll_interval!r}", operation=operation
            )
        extra = {
            "ttl": ttl,
            "only_metadata": bool(head) or None,
            "continuous": bool(continuous) or None,
            "strict": strict,
            "ext": dict(ext) if ext is not None else None,
        }
        document = self._query_document("QUERY", names, start, stop, when, extra, operation)
        return self._records(document, names, bool(head), bool(continuous), float(poll_interval))

    def _records(
        self, document: Dict[str, Any], names: Tuple[str, ...], head: bool, continuous: bool, poll: float
    ) -> Iterator[Record]:
        entry = self._v1_entry(names, "query")
        answer = json_of(self._ll.query(self.name, document, entry=entry), "query")
        query_id = answer.get("id")
        if isinstance(query_id, bool) or not isinstance(query_id, int):
            raise BadResponseError(f"the query answer has no integer id: {answer!r}", operation="query")
        while True:
            response = self._ll.read_query(self.name, query_id, head=head, entry=entry)
            if response.status == 204:
                response.close()
                if not continuous:
                    return
                time.sleep(poll)
                continue
            ok(response)
            try:
                last = yield from self._batch_records(response, entry, head)
            finally:
                response.close()
            if last and not continuous:
                return

    def _batch_records(
        self, response: HttpResponse, entry: Optional[str], head: bool
    ) -> Generator[Record, None, bool]:
        metas: List[RecordMeta] = (
            decode_v2(response.headers) if entry is None else decode_v1(response.headers, entry)
        )
        if not head:
            declared = response.headers.get("content-length")
            total = sum(meta.size for meta in metas)
            if declared is not None and declared.isdigit() and int(declared) != total:
                raise BadResponseError(
                    f"the batch's records add up to {total} bytes but its Content-Length is {declared}",
                    operation="query",
                    resource=bucket_resource(self.name),
                )
        last = response.headers.get(LAST_HEADER, "false").strip().lower() == "true"
        for index, meta in enumerate(metas):
            record = Record(
                timestamp=meta.timestamp,
                entry=meta.entry,
                size=meta.size,
                content_type=meta.content_type,
                labels=meta.labels,
                last=last and index == len(metas) - 1,
                body=None if head else RecordBody(response, meta.size),
            )
            yield record
            record._skip()  # the query owns the shared answer
        return last

    def remove_query(
        self,
        entry_name: Union[str, Sequence[str]],
        start: Optional[TimestampLike] = None,
        stop: Optional[TimestampLike] = None,
        when: Optional[Mapping[str, Any]] = None,
        *,
        strict: Optional[bool] = None,
        ext: Optional[Mapping[str, Any]] = None,
    ) -> int:
        """Remove the records a query selects; the number removed.

        At least one of ``start``, ``stop`` and ``when`` is required: a query without them selects
        every record (use ``remove_entry`` for that).
        """
        operation = "remove_query"
        names = check_query_entries(entry_name, operation, self.name)
        if start is None and stop is None and when is None:
            raise InvalidArgumentError(
                "give start, stop or when: without them the query would remove every record "
                "(use remove_entry to drop an entry)",
                operation=operation,
                resource=bucket_resource(self.name),
            )
        document = self._query_document(
            "REMOVE",
            names,
            start,
            stop,
            when,
            {"strict": strict, "ext": dict(ext) if ext else None},
            operation,
        )
        entry = self._v1_entry(names, operation)
        answer = json_of(self._ll.query(self.name, document, entry=entry), "remove query")
        removed = answer.get("removed_records")
        if isinstance(removed, bool) or not isinstance(removed, int):
            raise BadResponseError(f"the remove query answer has no removed_records count: {answer!r}")
        return removed
