"""One DirectIO file as the engine's ``BlockSource``: signed-URL GETs, typed failures, decoding.

What it adds to the engine's loop (docs/directio-client.md §4 and §6):

* a block answer's status is mapped here: 403 means the signed URL expired or was rotated, so the
  file's metadata is fetched again, once per source whichever worker saw it first, and the block
  is asked for again at its fresh URL; a second 403 is ``SignedURLExpiredError``; any other error
  status is a ``DownloadError`` carrying the block and the status, never the URL;
* the transport's own retries (connection errors, timeouts, 429 and 5xx, never another 4xx) are
  the only request retries: a failure that survives them is final here, so attempts never multiply;
* a block's body must arrive within ``body_timeout`` seconds in total, on top of the transport's
  stall watch, so one slow block cannot hold a worker forever;
* decoding uses ``core.blockfile`` (strict padding, lengths, codecs, v2 tags) and its refusals
  become the ``BlockError`` classes cterasdk names, each with the block's ``BlockInfo``.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Dict, List, Optional, Sequence, Union

from cassdk_like.core.blockfile import (
    BlockDecompressError,
    BlockDecryptError,
    BlockFileError,
    DataKey,
    FileFormat,
)
from cassdk_like.core.blockfile import BlockValidationError as RawValidationError
from cassdk_like.core.exceptions import BadResponseError, TimedOutError, TransportError
from cassdk_like.core.http.response import HttpResponse
from cassdk_like.core.redact import redact_url_queries
from cassdk_like.direct.errors import (
    BlockError,
    BlockValidationError,
    DecompressBlockError,
    DecryptBlockError,
    DownloadConnectionError,
    DownloadError,
    DownloadTimeout,
    SignedURLExpiredError,
)
from cassdk_like.direct.lowlevel import DirectIOHTTP
from cassdk_like.direct.models import BlockInfo, Chunk, FileId
from cassdk_like.engine import BlockSpec

__all__ = ["FileBlocks", "block_limit"]

_OPERATION = "get_block"
#: what compression and encryption may add to a block at most (framing, padding, tag, IV)
_OVERHEAD = 64 * 1024


def block_limit(length: int) -> int:
    """The most bytes a well-formed stored block of ``length`` plaintext bytes can hold.

    Every codec's worst case on incompressible data (raw snappy adds a sixth, gzip a few bytes per
    16 KiB) stays under a quarter more plus a fixed allowance.
    """
    return length + length // 4 + _OVERHEAD


class _TimedBody:
    """A block's streamed answer whose body must be read within ``seconds`` in total."""

    def __init__(self, response: HttpResponse, seconds: float, number: int) -> None:
        self._response = response
        self._deadline = time.monotonic() + seconds
        self._seconds = seconds
        self._number = number
        self.status = response.status
        self.headers = response.headers

    def _check(self) -> None:
        if time.monotonic() > self._deadline:
            raise TimedOutError(
                f"block {self._number}: body not received within {self._seconds:g}s", operation=_OPERATION
            )

    def readinto(self, buf: memoryview) -> int:
        self._check()
        return self._response.readinto(buf)

    def readinto_for(self, buf: memoryview, seconds: float) -> int:
        self._check()
        return self._response.readinto_for(buf, seconds)

    def abort(self) -> None:
        self._response.abort()

    def close(self) -> None:
        self._response.close()


Refresh = Callable[[], Sequence[Chunk]]


def _scrub(exc: BaseException) -> str:
    """A failure's reason with every URL query masked (a signed URL must not reach a message)."""
    reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
    return redact_url_queries(str(reason))


class FileBlocks:
    """The engine's view of one file. Thread-safe: every worker shares it.

    ``chunks`` is normally the whole block map; ``executor`` passes only the chunks it was given,
    which suits ``fetch_blocks`` (by spec) but not a range read (the map must then be whole).
    """

    def __init__(
        self,
        http: DirectIOHTTP,
        file_id: FileId,
        chunks: Sequence[Chunk],
        file_format: FileFormat,
        key: Optional[DataKey],
        *,
        refresh: Optional[Refresh] = None,
        body_timeout: float = 300.0,
    ) -> None:
        self._http = http
        self.file_id = file_id
        #: the URL of each block held, by number (``chunks`` may be a subset, for ``executor``)
        self._urls: Dict[int, str] = {chunk.number: chunk.url for chunk in chunks}
        self.blocks: List[BlockInfo] = sorted((chunk.info for chunk in chunks), key=lambda info: info.number)
        self._infos: Dict[int, BlockInfo] = {info.number: info for info in self.blocks}
        self.size = sum(info.length for info in self.blocks)
        self._format = file_format
        self._key = key
        self._refresh = refresh
        self._body_timeout = body_timeout
        self._lock = threading.Lock()
        self._generation = 0
        self.refreshes = 0

    def __repr__(self) -> str:
        return f"<FileBlocks file {self.file_id}: {len(self.blocks)} blocks, {self.size} bytes>"

    def max_fetch_size(self, spec: BlockSpec) -> int:
        return block_limit(spec.length)

    def open_block(self, spec: BlockSpec) -> _TimedBody:
        info = self._info(spec)
        resource = f"file {self.file_id} block {spec.number}"
        with self._lock:
            generation = self._generation
            url = self._urls[spec.number]
        response = self._get(url, info, resource)
        renewed = False
        if response.status == 403 and self._renew(generation, info):
            renewed = True
            response.close()
            with self._lock:
                url = self._urls[spec.number]
            response = self._get(url, info, resource)
        if response.status == 403:
            response.close()
            why = (
                "again after the metadata was fetched afresh"
                if renewed or self.refreshes
                else "(no way to renew it)"
            )
            raise SignedURLExpiredError(
                f"the block's URL was refused (403: expired, rotated or revoked) {why}",
                block=info,
                status=403,
                operation=_OPERATION,
            )
        if not response.ok:
            status = response.status
            response.close()
            raise DownloadError(
                f"HTTP {status}: the block GET failed", block=info, status=status, operation=_OPERATION
            )
        return _TimedBody(response, self._body_timeout, spec.number)

    def _info(self, spec: BlockSpec) -> BlockInfo:
        info = self._infos.get(spec.number)
        if info is None:
            raise DownloadError(f"the file has no block {spec.number}", operation=_OPERATION)
        return info

    def _get(self, url: str, info: BlockInfo, resource: str) -> HttpResponse:
        try:
            return self._http.get_block(url, resource=resource)
        except TimedOutError as exc:
            raise DownloadTimeout(_scrub(exc), block=info, operation=_OPERATION) from None
        except TransportError as exc:
            raise DownloadConnectionError(_scrub(exc), block=info, operation=_OPERATION) from None

    def _renew(self, generation: int, info: BlockInfo) -> bool:
        """Fresh URLs after a 403: fetched once per source; False when there is nothing to try."""
        with self._lock:
            if self._generation != generation:
                return True  # another worker renewed them since this request left
            if self._refresh is None or self.refreshes:
                return False
            self.refreshes += 1
            try:
                chunks = list(self._refresh())
            except Exception as exc:
                raise DownloadError(
                    "could not fetch the metadata afresh after a 403",
                    block=info,
                    status=403,
                    operation=_OPERATION,
                ) from exc
            fresh = {chunk.number: chunk for chunk in chunks}
            if any(fresh.get(n) is None or fresh[n].info != held for n, held in self._infos.items()):
                raise DownloadError(
                    "the file's block map changed while it was read",
                    block=info,
                    status=403,
                    operation=_OPERATION,
                )
            self._urls = {n: fresh[n].url for n in self._urls}
            self._generation += 1
            return True

    def decode(
        self, spec: BlockSpec, raw: memoryview, room: memoryview, spare: Callable[[], memoryview]
    ) -> Union[bytes, bytearray, memoryview]:
        info = self._info(spec)
        try:
            return self._format.decode_block(
                raw,
                key=self._key,
                expected_length=spec.length,
                file_id=self.file_id,
                number=spec.number,
                room=room,
                spare=spare,
            )
        except RawValidationError as exc:
            raise BlockValidationError(exc.reason, block=info, operation="validate block") from exc
        except BlockDecompressError as exc:
            raise DecompressBlockError(exc.reason, block=info, operation="decompress block") from exc
        except BlockDecryptError as exc:
            raise DecryptBlockError(exc.reason, block=info, operation="decrypt block") from exc
        except BlockFileError as exc:
            raise DecryptBlockError(exc.reason, block=info, operation="decode block") from exc

    def block_error(self, spec: BlockSpec, exc: Exception) -> Exception:
        if isinstance(exc, BlockError):
            return exc
        info = self._infos.get(spec.number)
        reason = _scrub(exc)
        if isinstance(exc, TimedOutError):
            return DownloadTimeout(reason, block=info, operation=_OPERATION)
        if isinstance(exc, BadResponseError):
            return DownloadError(reason, block=info, operation=_OPERATION)
        if isinstance(exc, (TransportError, OSError)):
            return DownloadConnectionError(reason, block=info, operation=_OPERATION)
        return DownloadError(reason, block=info, operation=_OPERATION)
