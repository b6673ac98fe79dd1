"""The knobs of the transfer engine, as one immutable value shared by every call.

Every size is validated here, once, so the engine never starts a transfer it cannot finish.
Defaults come from measurement (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import math
from typing import Optional

import attrs

from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.core.integrity import MAX_PARTS, MiB, calc_part_size, validate_part_size
from cassdk_like.engine.scheduler import Scheduler
from cassdk_like.engine.writeback import WRITEBACK_SIZE

__all__ = ["DEFAULT_RETRY_POLICY", "MAX_CHUNK_SIZE", "KiB", "TransferConfig"]

KiB = 1024

#: per-piece / per-part retries: quicker backoff cap than request retries (the body loop resumes)
DEFAULT_RETRY_POLICY = RetryPolicy(total_attempts=5, backoff_base=0.1, backoff_cap=5.0)


def positive_int(
    name: str, value: object, operation: Optional[str] = None, resource: Optional[str] = None
) -> int:
    """``value`` when it is an integer >= 1 (a bool is not), else the typed error naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgumentError(
            f"{name} must be an integer >= 1, got {value!r}", operation=operation, resource=resource
        )
    return value


def _positive_int(_inst: object, attribute: attrs.Attribute[int], value: int) -> None:
    positive_int(attribute.name, value)


#: largest io_chunk_size / write_chunk_size: each is a buffer per worker, allocated up front
MAX_CHUNK_SIZE = 64 * MiB


def _chunk_size(_inst: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CHUNK_SIZE:
        raise InvalidArgumentError(
            f"{attribute.name} must be an integer from 1 to {MAX_CHUNK_SIZE} (64 MiB), got {value!r}",
            operation="TransferConfig",
        )


def _piece_size_or_none(
    _inst: object, attribute: attrs.Attribute[Optional[int]], value: Optional[int]
) -> None:
    if value is not None:
        validate_part_size(value, operation=f"TransferConfig.{attribute.name}")


def _positive_int_or_none(
    inst: object, attribute: attrs.Attribute[Optional[int]], value: Optional[int]
) -> None:
    if value is not None:
        _positive_int(inst, attribute, value)  # type: ignore[arg-type]


def _piece_size(_inst: object, attribute: attrs.Attribute[int], value: int) -> None:
    validate_part_size(value, operation=f"TransferConfig.{attribute.name}")


def _rate_or_none(_inst: object, attribute: attrs.Attribute[Optional[float]], value: Optional[float]) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise InvalidArgumentError(f"{attribute.name} must be a positive number of bytes/s, got {value!r}")


def _int(_inst: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(f"{attribute.name} must be an integer, got {value!r}")


def _bytes(_inst: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidArgumentError(f"{attribute.name} must be an integer number of bytes >= 0, got {value!r}")


def _scheduler_or_none(
    _inst: object, attribute: attrs.Attribute[Optional[Scheduler]], value: Optional[Scheduler]
) -> None:
    if value is not None and not isinstance(value, Scheduler):
        raise InvalidArgumentError(f"{attribute.name} must be a Scheduler, got {type(value).__name__}")


def _seconds(_inst: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise InvalidArgumentError(f"{attribute.name} must be a finite number of seconds >= 0, got {value!r}")


@attrs.frozen(kw_only=True)
class TransferConfig:
    """How a transfer runs. Immutable and thread-safe; change it with ``attrs.evolve``.

    * ``max_workers``: tasks of this transfer running at once (one connection each).
    * ``piece_size``: download piece, the unit of verification and of the resume journal;
      1 MiB x 2^n so that combinable digests (tree hashes) of pieces give the whole's; raised
      automatically so that a download has at most 10,000 pieces.  Memory does not depend on it.
      After a kill -9 a new call fetches again at most the piece each worker was receiving plus
      the pieces that finished during the last journal commit (pieces are journaled as they
      arrive, also inside a longer request).
    * ``max_request_size`` / ``request_seconds``: one ranged GET covers a run of consecutive pieces
      sized so that it lasts about ``request_seconds`` at the measured rate, at most
      ``max_request_size`` bytes (see ``engine.planner``).
    * ``stream_piece_size`` / ``stream_window``: the streaming download holds at most
      ``stream_window`` whole pieces (default ``piece_size`` but at most 8 MiB).
    * ``part_size`` / ``min_part_size``: upload part size, or the least one the target's part
      sizer may pick; the target decides what sizes are valid.  Memory of an upload from a
      seekable source does not depend on it (parts stream from the file).
    * ``buffer_parts``: read each part of a file once, into one of ``max_workers + 1`` part
      buffers, hash it there and send it from there, instead of hashing the part's window and
      then streaming it from the file under a CRC-32 witness.  It saves that second read and
      the witness (about 0.5 CPU s/GiB, benchmarks/ANALYSIS.md) for ``(max_workers + 1) x part
      size`` of memory; other sources are always buffered.
    * ``bandwidth_limit``: bytes/s shared by all workers of one transfer (pass a
      ``BandwidthLimiter`` to share one limit between transfers).
    * ``io_chunk_size``: bytes per socket read and hash update (one buffer per worker); at most
      64 MiB.
    * ``write_chunk_size``: bytes per ``pwrite`` into the partial file; small writes keep page-cache
      allocation cheap for the writer and the other workers; at most 64 MiB.
    * ``writeback_size``: a download flushes its partial file to disk (``fdatasync``, in the
      background) each time this many more bytes were written, so the fsync before the rename
      has only the tail left; 0: only that final fsync.
    * ``retry_policy``: attempts and backoff per piece/part; a body that breaks after making
      progress resumes at the current byte and its failure budget starts again.
    * ``hash_attempts``: fetches of one piece whose digest does not match before giving up.
    * ``journal_interval``: least seconds between download journal commits (0: as soon as a piece
      finishes); longer saves journal rewrites and re-fetches more after a crash.
    * ``poll_interval``: how often the caller's thread wakes while it waits (Ctrl-C, progress).
    * ``progress_interval``: least time between two progress events.
    * ``priority``: higher runs first on a shared scheduler (FIFO within a priority).
    * ``scheduler``: the ``Scheduler`` to run on (None: the process-wide one).
    """

    max_workers: int = attrs.field(default=8, validator=_positive_int)
    piece_size: int = attrs.field(default=8 * MiB, validator=_piece_size)
    max_request_size: int = attrs.field(default=64 * MiB, validator=_piece_size)
    request_seconds: float = attrs.field(default=0.3, validator=_seconds)
    stream_piece_size: Optional[int] = attrs.field(default=None, validator=_piece_size_or_none)
    part_size: Optional[int] = attrs.field(default=None, validator=_positive_int_or_none)
    min_part_size: int = attrs.field(default=16 * MiB, validator=_positive_int)
    buffer_parts: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))
    bandwidth_limit: Optional[float] = attrs.field(default=None, validator=_rate_or_none)
    stream_window: int = attrs.field(default=4, validator=_positive_int)
    io_chunk_size: int = attrs.field(default=MiB, validator=_chunk_size)
    write_chunk_size: int = attrs.field(default=256 * KiB, validator=_chunk_size)
    writeback_size: int = attrs.field(default=WRITEBACK_SIZE, validator=_bytes)
    retry_policy: RetryPolicy = attrs.field(
        default=DEFAULT_RETRY_POLICY, validator=attrs.validators.instance_of(RetryPolicy)
    )
    hash_attempts: int = attrs.field(default=3, validator=_positive_int)
    journal_interval: float = attrs.field(default=0.0, validator=_seconds)
    poll_interval: float = attrs.field(default=0.1, validator=_seconds)
    progress_interval: float = attrs.field(default=0.1, validator=_seconds)
    priority: int = attrs.field(default=0, validator=_int)
    scheduler: Optional[Scheduler] = attrs.field(default=None, validator=_scheduler_or_none, eq=False)

    def piece_size_for(self, size: int) -> int:
        """Download piece size for an output of ``size`` bytes (>= ``piece_size``, <= 10,000 pieces)."""
        return calc_part_size(size, minimum=self.piece_size)

    def stream_piece(self) -> int:
        """Piece size of the streaming download (whole pieces are held in memory)."""
        if self.stream_piece_size is not None:
            return self.stream_piece_size
        return min(self.piece_size, 8 * MiB)

    def part_size_for(self, size: int) -> int:
        """Deprecated (kept for callers of 0.x): the vault's 1 MiB x 2^n part size for ``size`` bytes.

        Part sizes are the target's to choose now (``MultipartTarget.part_sizer``).
        """
        if self.part_size is not None:
            if -(-size // self.part_size) > MAX_PARTS:
                raise InvalidArgumentError(
                    f"part size {self.part_size} needs more than {MAX_PARTS} parts for {size} bytes"
                )
            return self.part_size
        return calc_part_size(size, minimum=self.min_part_size)
