"""Zero-copy body reads under urllib3: ``http.client``'s ``readinto`` straight into the caller's buffer.

urllib3's own ``readinto`` reads into a temporary ``bytes`` and copies it, a cost that shows on a
fast parallel download.  These helpers reach the ``http.client`` response
under a urllib3 response through attributes that are private to urllib3 (``_fp``, ``_fp_bytes_read``,
``_decoded_buffer``, ``_connection``); each is looked up defensively, and any helper answers None when
what it needs is missing, so the caller falls back to urllib3's public ``read``/``readinto``.
Both urllib3 majors the SDK supports (1.26 and 2.x) are exercised by the test suite in CI: Python
3.9 resolves urllib3 1.26 (botocore pins it there), newer Pythons resolve 2.x.
"""

from __future__ import annotations

import socket
import time
from typing import Any, Callable, Optional

from cassdk_like.core.http.failures import READ_ERRORS

__all__ = ["direct_reader", "direct_reader_for", "socket_of"]


def direct_reader(raw: Any) -> Optional[Callable[[memoryview], int]]:
    """``http.client``'s zero-copy ``readinto`` under urllib3, when nothing needs decoding.

    Used only for identity-encoded bodies that urllib3 has not started buffering; anything else
    keeps the urllib3 path.
    """
    fp = getattr(raw, "_fp", None)
    readinto = getattr(fp, "readinto", None)
    headers = getattr(raw, "headers", None)
    if readinto is None or headers is None:
        return None
    encoding = str(headers.get("content-encoding", "")).strip().lower()
    if encoding not in ("", "identity") or len(getattr(raw, "_decoded_buffer", b"")) != 0:
        return None
    if getattr(raw, "_fp_bytes_read", 0):
        return None
    return readinto  # type: ignore[no-any-return]


def direct_reader_for(raw: Any) -> Optional[Callable[[memoryview, float], int]]:
    """``http.client``'s ``readinto`` for a Content-Length body, but bounded in time.

    A plain ``readinto`` returns only once the whole buffer is full: 1 MiB at 50 KB/s blocks for
    20 s, and a cancel with it.  This one fills the buffer from successive socket reads (each at
    most one ``recv``) and returns when it is full or, checked between reads, ``seconds`` after
    the first bytes came; a read blocked on a link gone silent is woken by ``BodyStream.abort``.
    It keeps ``http.client``'s length bookkeeping and closes the connection at the end of the body
    exactly as its ``readinto`` does.  A failure after some bytes arrived returns those bytes; the
    next call meets it again.
    """
    if direct_reader(raw) is None:
        return None
    fp = raw._fp
    if getattr(fp, "chunked", True) or not isinstance(getattr(fp, "length", None), int):
        return None
    if not hasattr(getattr(fp, "fp", None), "readinto1") or not callable(getattr(fp, "_close_conn", None)):
        return None

    def read_for(view: memoryview, seconds: float) -> int:
        stream = fp.fp
        if stream is None:
            return 0
        left = fp.length
        if len(view) > left:
            view = view[:left]
        got = int(stream.readinto1(view) or 0)
        if got and got < len(view):
            deadline = time.monotonic() + seconds
            try:
                while got < len(view) and time.monotonic() < deadline:
                    count = stream.readinto1(view[got:])
                    if not count:
                        break
                    got += count
            except READ_ERRORS:
                pass  # the bytes already here are returned; the next call raises
        if not got and view:
            fp._close_conn()
        else:
            fp.length = left - got
            if not fp.length:
                fp._close_conn()
        return got

    return read_for


def socket_of(raw: Any) -> Optional[socket.socket]:
    """The socket under a urllib3 response that is still reading its body, if it can be found."""
    sock = getattr(getattr(raw, "_connection", None), "sock", None)
    if not isinstance(sock, socket.socket):
        reader = getattr(getattr(raw, "_fp", None), "fp", None)
        sock = getattr(getattr(reader, "raw", None), "_sock", None)
    return sock if isinstance(sock, socket.socket) else None
