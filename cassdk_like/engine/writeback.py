"""Flushing a partial file to disk while its download is still running.

A download ends with an fsync before the rename, so that a crash after the rename never leaves a
file whose pages were lost. Left to the end, that fsync writes every dirty page of the file with
the network idle: about 0.4-0.6 s per GiB here (benchmarks/ANALYSIS.md, "Buckets"). One thread
that calls ``fdatasync`` each time ``threshold`` more bytes were written lets the disk work while
the bytes arrive, and leaves the final fsync only the tail.

An error of a background flush is kept and raised by ``finish()``: on Linux a write-back error is
reported once per open file, so the final fsync alone might never see it. The thread starts with
the first flush, so a small file costs no thread.
"""

from __future__ import annotations

import os
import threading
from typing import Optional

__all__ = ["WRITEBACK_SIZE", "Writeback"]

#: bytes written between two background flushes, unless a caller says otherwise
WRITEBACK_SIZE = 64 * 1024 * 1024
#: ``fdatasync`` where the platform has it (it skips metadata such as the modification time)
_datasync = getattr(os, "fdatasync", os.fsync)


class Writeback:
    """Background ``fdatasync`` of ``fd`` after every ``threshold`` bytes reported by ``wrote``."""

    def __init__(self, fd: int, threshold: int) -> None:
        self._fd = fd
        self._threshold = threshold
        self._pending = 0
        self._stopped = False
        self._error: Optional[OSError] = None
        self._cond = threading.Condition()
        self._thread: Optional[threading.Thread] = None

    def wrote(self, count: int) -> None:
        """``count`` more bytes are in the file; 0 as ``threshold`` never flushes."""
        with self._cond:
            self._pending += count
            if self._stopped or not self._threshold or self._pending < self._threshold:
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="cassdk-writeback", daemon=True)
                self._thread.start()
            self._cond.notify()

    def stop(self) -> None:
        """Stop and wait for the thread: the fd must not be closed under a flush."""
        with self._cond:
            self._stopped = True
            self._cond.notify()
            thread = self._thread
        if thread is not None:
            thread.join()

    def finish(self) -> None:
        """Stop, then raise the ``OSError`` of a background flush that failed."""
        self.stop()
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._pending < self._threshold and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
                self._pending = 0
            try:
                _datasync(self._fd)
            except OSError as exc:
                self._error = exc
                return
