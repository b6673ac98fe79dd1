"""A whole-object digest (SHA-256, MD5) computed while a download is still running.

Such digests do not combine from pieces, so they need the bytes in order. Hashing the finished
partial file in a second pass costs a full read at the end, with nothing left to overlap it
(about 0.7 s per GiB on a core with SHA-NI). Pieces land roughly in order, because runs are
handed out from the front, so one thread can follow the download: it hashes the longest
complete prefix from the partial file (pages just written are still cached) and waits when it
reaches a piece that has not landed. When the last piece lands only the tail is left to hash.
"""

from __future__ import annotations

import threading
from typing import List, Optional, Sequence, Set

from cassdk_like.core.checksums import IntegrityStrategy
from cassdk_like.engine.fetch import Piece
from cassdk_like.engine.fileio import pread_into

__all__ = ["PrefixHasher"]


class PrefixHasher:
    """Hashes ``pieces`` (in output order, from offset 0) as each one is marked ``landed``.

    ``result()`` waits for the thread and gives the digest, or None when it stopped early
    (``stop()``, a read error): the caller then hashes the file itself.
    """

    def __init__(
        self, strategy: IntegrityStrategy, fd: int, pieces: Sequence[Piece], chunk_size: int
    ) -> None:
        self._hasher = strategy.new_hasher()
        self._fd = fd
        self._pieces: List[Piece] = sorted(pieces, key=lambda p: p.start)
        self._landed: Set[int] = set()
        self._chunk = chunk_size
        self._cond = threading.Condition()
        self._stopped = False
        self._failed = False
        self._thread = threading.Thread(target=self._run, name="cassdk-prefix-hash", daemon=True)

    def start(self) -> PrefixHasher:
        self._thread.start()
        return self

    def landed(self, piece: Piece) -> None:
        with self._cond:
            self._landed.add(piece.index)
            self._cond.notify()

    def stop(self) -> None:
        """Stop hashing and wait for the thread (the fd must not be closed under it)."""
        with self._cond:
            self._stopped = True
            self._cond.notify()
        if self._thread.is_alive():
            self._thread.join()

    def result(self) -> Optional[str]:
        self._thread.join()
        if self._failed or self._stopped:
            return None
        return self._hasher.hexdigest()

    def _wait_for(self, piece: Piece) -> bool:
        with self._cond:
            while piece.index not in self._landed and not self._stopped:
                self._cond.wait()
            return not self._stopped

    def _run(self) -> None:
        buf = memoryview(bytearray(self._chunk))
        try:
            for piece in self._pieces:
                if not self._wait_for(piece):
                    return
                offset, end = piece.start, piece.start + piece.length
                while offset < end:
                    if self._stopped:
                        return
                    view = buf[: min(len(buf), end - offset)]
                    count = pread_into(self._fd, view, offset)
                    if count <= 0:
                        self._failed = True
                        return
                    self._hasher.update(view[:count])
                    offset += count
        except OSError:
            self._failed = True
