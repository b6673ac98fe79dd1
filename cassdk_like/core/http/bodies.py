"""Request bodies from caller-supplied file objects: checked once, then described as a window.

Every service's upload takes "bytes, or a binary file object sent from its position", and must be
able to re-send the body on a retry without holding it in memory; this is the one place that
turns such a file object into a :class:`RequestBody` or refuses it with a clear error.
"""

from __future__ import annotations

import io
from typing import Any, BinaryIO, Optional, Tuple, Union

from cassdk_like.core.exceptions import InvalidArgumentError, LocalFileError
from cassdk_like.core.http.request import RequestBody

__all__ = ["Content", "check_binary_reader", "file_window", "request_body"]

#: what an upload accepts: a buffer, or a binary file object sent from its position
Content = Union[bytes, bytearray, memoryview, BinaryIO]


def check_binary_reader(
    fileobj: Any, operation: str, resource: str, local_path: Optional[str] = None
) -> None:
    """Refuse a text-mode file object: its ``read`` returns ``str``, which cannot be hashed or sent.

    Decided from the type and the ``mode`` attribute only: reading, even zero bytes, could have
    side effects on a caller's stream.
    """
    mode = getattr(fileobj, "mode", None)
    text = isinstance(fileobj, io.TextIOBase) or (isinstance(mode, str) and "b" not in mode)
    if text:
        raise InvalidArgumentError(
            "the file object is in text mode: open it in binary mode ('rb')",
            operation=operation,
            resource=resource,
            local_path=local_path,
        )


def file_window(fileobj: BinaryIO, size: Optional[int], *, operation: str, resource: str) -> RequestBody:
    """A re-sendable window of ``size`` bytes from the file's position (docs/original-sdk-defects.md #11).

    The file object must be binary and seekable (a retry re-reads the window from its start).
    """
    context = {"operation": operation, "resource": resource}
    if size is None:
        raise InvalidArgumentError(
            "size is required when content is a file object (Content-Length must be known)", **context
        )
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise InvalidArgumentError(f"size must be a non-negative integer, got {size!r}", **context)
    check_binary_reader(fileobj, operation, resource)
    try:
        seekable = fileobj.seekable()
        offset = fileobj.tell() if seekable else 0
    except (OSError, ValueError, io.UnsupportedOperation) as exc:
        raise LocalFileError(f"cannot use file object: {exc}", **context) from exc
    if not seekable:
        raise InvalidArgumentError(
            "the file object must be seekable, so the body can be re-sent on a retry", **context
        )
    return RequestBody(fileobj, offset, size)


def request_body(
    content: Content, size: Optional[int], *, operation: str, resource: str
) -> Tuple[Union[bytes, bytearray, memoryview, RequestBody], int]:
    """(body, length) of an upload's content: a buffer as it is (``size``, when given, must match),
    a file object as a window of ``size`` bytes from its position."""
    context = {"operation": operation, "resource": resource}
    if isinstance(content, (bytes, bytearray, memoryview)):
        length = memoryview(content).nbytes
        if size is not None and size != length:
            raise InvalidArgumentError(f"size is {size} but the content has {length} bytes", **context)
        return content, length
    if hasattr(content, "read"):
        window = file_window(content, size, operation=operation, resource=resource)
        return window, window.length
    raise InvalidArgumentError(
        f"content must be bytes or a binary file object, not {type(content).__name__}", **context
    )
