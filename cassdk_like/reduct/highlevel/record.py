"""``Record``: a record's metadata, and its body still on the connection (docs/reduct-client.md §5).

A record read alone owns its answer; records of a query share one answer, each reading only its
own bytes, and the query skips what a record's reader left unread before it moves on.  Bodies
are never read whole unless asked: ``read(n)`` yields chunks of at most ``n`` bytes (as
reduct-py's ``read(n)`` does), ``read_into(fileobj)`` copies to a file, ``read_all()`` returns the
bytes.  A body can be read once.  Not thread-safe.
"""

from __future__ import annotations

import datetime as _dt
from typing import BinaryIO, Iterator, Mapping, Optional

from cassdk_like.core.exceptions import BadResponseError, CASClientError, LocalFileError
from cassdk_like.core.http.response import HttpResponse
from cassdk_like.reduct.timestamps import to_datetime

__all__ = ["DEFAULT_CHUNK", "Record", "RecordBody"]

#: the chunk size of ``read()`` and ``read_into()`` when none is given
DEFAULT_CHUNK = 256 * 1024
_LABEL_PREFIX = "x-reduct-label-"


class RecordBody:
    """``length`` bytes of an answer's body, read in order; the rest of the answer is not touched."""

    def __init__(self, response: HttpResponse, length: int) -> None:
        self._response = response
        self._left = length
        self.length = length

    @property
    def remaining(self) -> int:
        return self._left

    def read(self, amount: int) -> bytes:
        """Up to ``amount`` bytes (fewer only at the end of the record)."""
        want = min(amount, self._left)
        if want <= 0:
            return b""
        data = self._response.read(want)
        if len(data) < want:
            raise BadResponseError(
                f"the answer ended {self._left - len(data)} bytes before the end of a record",
                operation=self._response.operation or None,
                resource=self._response.resource or None,
            )
        self._left -= len(data)
        return data

    def skip(self) -> None:
        """Read and drop what is left of the record (the next record's bytes follow it)."""
        while self._left:
            self.read(min(self._left, DEFAULT_CHUNK))


class Record:
    """One record: ``timestamp`` (µs), ``entry``, ``size``, ``content_type``, ``labels``, ``last``."""

    def __init__(
        self,
        *,
        timestamp: int,
        entry: str,
        size: int,
        content_type: str,
        labels: Mapping[str, str],
        last: bool,
        body: Optional[RecordBody],
    ) -> None:
        self.timestamp = timestamp
        self.entry = entry
        self.size = size
        self.content_type = content_type
        self.labels = dict(labels)
        #: True for the last record the query will give
        self.last = last
        self._body = body
        self._taken = False
        self._skipped = False

    @classmethod
    def from_response(cls, response: HttpResponse, entry: str, *, head: bool) -> Record:
        """The record a single ``GET``/``HEAD /b/{bucket}/{entry}`` answered with."""
        headers = response.headers
        try:
            timestamp = int(headers["x-reduct-time"])
            size = int(headers["content-length"])
        except (KeyError, ValueError):
            raise BadResponseError(
                "a record answer needs x-reduct-time and Content-Length headers",
                operation=response.operation or None,
                resource=response.resource or None,
            ) from None
        labels = {
            name[len(_LABEL_PREFIX) :].lower(): value
            for name, value in headers.items()
            if name.lower().startswith(_LABEL_PREFIX)
        }
        return cls(
            timestamp=timestamp,
            entry=entry,
            size=size,
            content_type=headers.get("content-type", "application/octet-stream"),
            labels=labels,
            last=True,
            body=None if head else RecordBody(response, size),
        )

    def get_datetime(self) -> _dt.datetime:
        """The timestamp as an aware UTC datetime."""
        return to_datetime(self.timestamp)

    def _take(self) -> Optional[RecordBody]:
        if self._skipped:
            raise CASClientError(
                "the record's body was skipped: a query's records must be read before taking the next one",
                resource=self._where(),
            )
        if self._taken:
            raise CASClientError(
                "the record's body was already read (a body can be read once)", resource=self._where()
            )
        self._taken = True
        return self._body

    def _where(self) -> str:
        return f"record {self.timestamp} of entry {self.entry!r}"

    def read(self, n: int = DEFAULT_CHUNK) -> Iterator[bytes]:
        """The body in chunks of at most ``n`` bytes (nothing for a ``head`` read)."""
        if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        body = self._take()
        if body is None:
            return iter(())
        return _chunks(body, n)

    def read_all(self) -> bytes:
        """The whole body (``b""`` for a ``head`` read)."""
        return b"".join(self.read(max(self.size, 1)))

    def read_into(self, fileobj: BinaryIO, chunk_size: int = DEFAULT_CHUNK) -> int:
        """Copy the body into a binary file object; the number of bytes written."""
        written = 0
        for chunk in self.read(chunk_size):
            try:
                fileobj.write(chunk)
            except (OSError, ValueError, TypeError) as exc:
                raise LocalFileError(
                    f"cannot write the record's body: {exc}", resource=self._where()
                ) from exc
            written += len(chunk)
        return written

    def _skip(self) -> None:
        """Drop what the caller left unread (queries call it before the next record)."""
        if self._body is not None and self._body.remaining:
            self._skipped = not self._taken
            self._taken = True
            self._body.skip()

    def __repr__(self) -> str:
        return (
            f"Record(entry={self.entry!r}, timestamp={self.timestamp}, size={self.size}, "
            f"content_type={self.content_type!r}, labels={self.labels!r}, last={self.last})"
        )


def _chunks(body: RecordBody, n: int) -> Iterator[bytes]:
    while body.remaining:
        yield body.read(n)
