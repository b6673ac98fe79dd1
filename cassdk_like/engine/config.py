"""The knobs of the transfer engine, as one immutable value shared by every call.

Defaults were chosen by measurement on the 2-core box against nginx serving 1 GiB capped at
40 MiB/s per request and uncapped, cold page cache (benchmarks/RESULTS.md): 8 workers are needed
to fill 8 capped connections; 8 MiB pieces keep the journal's granularity fine and let short
requests exploit a per-request rate limit, while the planner grows requests on fast links (see
``engine.planner``).  The streaming download holds whole pieces in memory, so its pieces stay
at most 8 MiB.
Every size is validated here, once, so the engine never starts a transfer it cannot finish.
"""

from __future__ import annotations

import math
from typing import Optional

import attrs

from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.core.integrity import MAX_PARTS, MiB, calc_part_size, validate_part_size

__all__ = ["DEFAULT_RETRY_POLICY", "KiB", "TransferConfig"]

KiB = 1024

#: per-piece / per-part retries: quicker backoff cap than request retries (the body loop resumes)
DEFAULT_RETRY_POLICY = RetryPolicy(total_attempts=5, backoff_base=0.1, backoff_cap=5.0)


def _positive_int(_inst: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgumentError(f"{attribute.name} must be an integer >= 1, got {value!r}")


def _part_size_or_none(
    _inst: object, attribute: attrs.Attribute[Optional[int]], value: Optional[int]
) -> None:
    if value is not None:
        validate_part_size(value, operation=f"TransferConfig.{attribute.name}")


def _part_size(_inst: object, attribute: attrs.Attribute[int], value: int) -> None:
    validate_part_size(value, operation=f"TransferConfig.{attribute.name}")


def _rate_or_none(
    _inst: object, attribute: attrs.Attribute[Optional[float]], value: Optional[float]
) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise InvalidArgumentError(f"{attribute.name} must be a positive number of bytes/s, got {value!r}")


def _seconds(_inst: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise InvalidArgumentError(f"{attribute.name} must be a finite number of seconds >= 0, got {value!r}")


@attrs.frozen(kw_only=True)
class TransferConfig:
    """How a transfer runs. Immutable and thread-safe; change it with ``attrs.evolve``.

    * ``max_workers``: threads making requests (one connection each).
    * ``piece_size``: download piece (the unit of verification and of the resume journal),
      1 MiB x 2^n; raised automatically so that a download has at most 10,000 pieces (keeps the
      journal small).  Memory does not depend on it.
    * ``max_request_size`` / ``request_seconds``: one ranged GET of a file download covers a run
      of consecutive pieces sized from measurement, so that it lasts about ``request_seconds`` (or
      ten times the server's time to first byte, if longer) at the rate the previous requests
      saw, at most ``max_request_size`` bytes (see ``engine.planner``).  ``max_request_size`` equal
      to ``piece_size`` makes every request one piece.
    * ``stream_piece_size`` / ``stream_window``: the streaming download holds at most
      ``stream_window`` pieces of ``stream_piece_size`` (default: ``piece_size`` but at most
      8 MiB, so 4 x 8 MiB = 32 MiB).
    * ``part_size`` / ``min_part_size``: upload part size; ``None`` picks the smallest power of
      two >= ``min_part_size`` that needs at most 10,000 parts.  Memory of an upload is at most
      ``(max_workers + 1) x part size``.
    * ``bandwidth_limit``: bytes/s shared by all workers of one transfer (pass a
      ``BandwidthLimiter`` to the call to share one limit between transfers).
    * ``io_chunk_size``: bytes per socket read and tree-hash update (1 MiB = one tree-hash leaf:
      1,024 Python iterations per GiB; one buffer per worker).
    * ``write_chunk_size``: bytes per ``pwrite`` into the partial file (256 KiB).  Larger writes
      make the kernel allocate larger page-cache folios; on a VM whose free memory was handed back
      to the host (free-page reporting, i.e. after the box idled), touching those is slow, and the
      other workers spin on the file's inode lock meanwhile.  Measured on the 2-core box against
      a capped server, 1 MiB reads, in-process: writes of 1 MiB cost 3.5 CPU s/GiB in that state
      (1.54 when memory was warm), 256 KiB 1.57, 128 KiB 1.58, 64 KiB 1.74 (5 runs each); 256 KiB
      reads with 64 KiB writes, the previous default, 1.81 warm.
    * ``retry_policy``: attempts and backoff per piece/part; a body that breaks after making
      progress resumes at the current byte and its failure budget starts again.
    * ``hash_attempts``: fetches of one piece whose tree hash does not match before giving up.
    * ``journal_interval``: least seconds between download journal commits (each one fdatasyncs
      the temporary file, then rewrites the journal atomically, in a background thread).  The
      default 0 commits as soon as a piece finishes (pieces that finish during a commit share the
      next one), so a killed process fetches again at most about one piece per worker; a longer
      interval saves fdatasyncs on slow disks at the price of re-fetching up to that many seconds
      of pieces after a crash.
    * ``poll_interval``: how often the caller's thread wakes while it waits (Ctrl-C, progress).
    * ``progress_interval``: least time between two progress events.
    """

    max_workers: int = attrs.field(default=8, validator=_positive_int)
    piece_size: int = attrs.field(default=8 * MiB, validator=_part_size)
    max_request_size: int = attrs.field(default=64 * MiB, validator=_part_size)
    request_seconds: float = attrs.field(default=0.3, validator=_seconds)
    stream_piece_size: Optional[int] = attrs.field(default=None, validator=_part_size_or_none)
    part_size: Optional[int] = attrs.field(default=None, validator=_part_size_or_none)
    min_part_size: int = attrs.field(default=16 * MiB, validator=_part_size)
    bandwidth_limit: Optional[float] = attrs.field(default=None, validator=_rate_or_none)
    stream_window: int = attrs.field(default=4, validator=_positive_int)
    io_chunk_size: int = attrs.field(default=MiB, validator=_positive_int)
    write_chunk_size: int = attrs.field(default=256 * KiB, validator=_positive_int)
    retry_policy: RetryPolicy = attrs.field(
        default=DEFAULT_RETRY_POLICY, validator=attrs.validators.instance_of(RetryPolicy)
    )
    hash_attempts: int = attrs.field(default=3, validator=_positive_int)
    journal_interval: float = attrs.field(default=0.0, validator=_seconds)
    poll_interval: float = attrs.field(default=0.1, validator=_seconds)
    progress_interval: float = attrs.field(default=0.1, validator=_seconds)

    def piece_size_for(self, size: int) -> int:
        """Download piece size for an output of ``size`` bytes (>= ``piece_size``, <= 10,000 pieces)."""
        return calc_part_size(size, minimum=self.piece_size)

    def stream_piece(self) -> int:
        """Piece size of the streaming download (whole pieces are held in memory)."""
        if self.stream_piece_size is not None:
            return self.stream_piece_size
        return min(self.piece_size, 8 * MiB)

    def part_size_for(self, size: int) -> int:
        """Upload part size for ``size`` bytes; the high level initiates the upload with this value."""
        if self.part_size is not None:
            if -(-size // self.part_size) > MAX_PARTS:
                raise InvalidArgumentError(
                    f"part size {self.part_size} needs more than {MAX_PARTS} parts for {size} bytes"
                )
            return self.part_size
        return calc_part_size(size, minimum=self.min_part_size)
