"""A ``multipart/form-data`` body read as a stream: small fields in memory, the file field handed
over as a reader that stops at the closing delimiter, so an upload is never held whole.

S3 takes the fields before ``file`` and ignores those after it, which is what makes streaming
possible: once the file part starts, every field that matters is known.
"""

from __future__ import annotations

import re
from typing import Callable, Dict, Optional

from cassdk_like.emulator.objectstore.errors import StoreError

__all__ = ["FormStream", "boundary_of"]

_BOUNDARY = re.compile(r'boundary=(?:"([^"]+)"|([^;\s]+))', re.IGNORECASE)
_NAME = re.compile(r'\bname="([^"]*)"', re.IGNORECASE)
_FILENAME = re.compile(r'\bfilename="([^"]*)"', re.IGNORECASE)
#: the fields before the file may hold this much in total (policies, metadata, tagging XML)
MAX_FIELDS_BYTES = 1024 * 1024
_PIECE = 64 * 1024


def malformed_post() -> StoreError:
    return StoreError(
        "MalformedPOSTRequest",
        "The body of your POST request is not well-formed multipart/form-data.",
        status=400,
    )


def boundary_of(content_type: Optional[str]) -> Optional[str]:
    """The boundary of a multipart/form-data Content-Type, None for any other type."""
    if not content_type or not content_type.strip().lower().startswith("multipart/form-data"):
        return None
    match = _BOUNDARY.search(content_type)
    return (match.group(1) or match.group(2)) if match else None


class FormStream:
    """Reads form fields from ``read`` up to the file part. Not thread-safe (one request)."""

    def __init__(self, read: Callable[[int], bytes], boundary: str) -> None:
        self._read = read
        self._delimiter = b"\r\n--" + boundary.encode("latin-1")
        self._buffer = bytearray(b"\r\n")  # the first delimiter has no CRLF before it
        self._eof = False
        self._field_bytes = 0
        self.fields: Dict[str, str] = {}
        self.filename = ""
        self._in_file = False

    def _fill(self, wanted: int) -> None:
        while len(self._buffer) < wanted and not self._eof:
            chunk = self._read(_PIECE)
            if not chunk:
                self._eof = True
                break
            self._buffer += chunk

    def _take_until(self, marker: bytes, limit: int) -> bytes:
        while True:
            found = self._buffer.find(marker)
            if found >= 0:
                data = bytes(self._buffer[:found])
                del self._buffer[: found + len(marker)]
                return data
            if len(self._buffer) > limit or self._eof:
                raise malformed_post()
            self._fill(len(self._buffer) + _PIECE)

    def _after_delimiter(self) -> bool:
        """After a delimiter: True when another part follows, False at the closing one."""
        self._fill(2)
        tail = bytes(self._buffer[:2])
        del self._buffer[:2]
        if tail == b"--":
            return False
        if tail != b"\r\n":
            raise malformed_post()
        return True

    def read_fields(self) -> bool:
        """Read the fields before the file; True when a file part follows (its reader is next)."""
        self._take_until(self._delimiter, len(self._delimiter) + 2)
        while self._after_delimiter():
            headers = self._take_until(b"\r\n\r\n", 16 * 1024).decode("utf-8", "replace")
            name_match = _NAME.search(headers)
            if name_match is None:
                raise malformed_post()
            name = name_match.group(1).lower()
            if name == "file":
                filename = _FILENAME.search(headers)
                self.filename = filename.group(1) if filename else ""
                self._in_file = True
                return True
            value = self._take_until(self._delimiter, MAX_FIELDS_BYTES - self._field_bytes)
            self._field_bytes += len(value)
            if self._field_bytes > MAX_FIELDS_BYTES:
                raise malformed_post()
            self.fields.setdefault(name, value.decode("utf-8", "replace"))
        return False

    def read_file(self, size: int) -> bytes:
        """The file's bytes, then b"" once its closing delimiter is reached."""
        if not self._in_file:
            return b""
        self._fill(size + len(self._delimiter))
        found = self._buffer.find(self._delimiter)
        if found >= 0:
            count = min(found, size)
            data = bytes(self._buffer[:count])
            del self._buffer[:count]
            if count == found:
                del self._buffer[: len(self._delimiter)]
                self._in_file = False
            return data
        if self._eof:
            raise malformed_post()
        count = min(size, len(self._buffer) - len(self._delimiter) + 1)
        data = bytes(self._buffer[:count])
        del self._buffer[:count]
        return data

    @property
    def file_done(self) -> bool:
        return not self._in_file
