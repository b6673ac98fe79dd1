"""RunPlanner: how many consecutive pieces one ranged GET covers."""

from __future__ import annotations

import threading
from typing import List

import pytest

from cassdk_like.core.integrity import MiB, is_tree_aligned
from cassdk_like.engine.fetch import Piece, RequestTiming, plan_pieces
from cassdk_like.engine.planner import RunPlanner

UNIT = 8 * MiB


def _planner(
    count: int = 128, *, workers: int = 8, max_span: int = 64 * MiB, seconds: float = 0.3
) -> RunPlanner:
    return RunPlanner(
        plan_pieces(0, count * UNIT - 1, UNIT), workers=workers, max_span=max_span, request_seconds=seconds
    )


def _sizes(run: List[Piece]) -> int:
    return run[-1].end + 1 - run[0].start


def test_first_run_is_one_piece_before_any_measurement() -> None:
    planner = _planner()
    assert [p.index for p in planner.take()] == [0]
    assert [p.index for p in planner.take()] == [1]


@pytest.mark.parametrize(
    ("rate_mb", "expected_pieces"),
    [
        (42.0, 1),  # a capped connection: 0.3 s is 12.6 MB -> one 8 MiB piece
        (60.0, 2),  # 18 MB -> 16 MiB
        (120.0, 4),  # 36 MB -> 32 MiB
        (2000.0, 8),  # capped by max_span = 64 MiB
    ],
)
def test_run_lasts_about_request_seconds_at_the_measured_rate(rate_mb: float, expected_pieces: int) -> None:
    planner = _planner()
    planner.take()  # piece 0
    planner.observe(RequestTiming(UNIT, 0.001, UNIT / (rate_mb * 1e6)))
    # the next pending piece is 1; take from an index aligned to 8 to see the size alone
    for _ in range(7):
        planner.take()
    assert len(planner.take()) == expected_pieces


def test_a_slow_first_byte_makes_runs_longer() -> None:
    planner = _planner()
    for _ in range(8):
        planner.take()
    # 42 MB/s alone gives one piece; 0.1 s to the first byte asks for >= 1 s of body
    planner.observe(RequestTiming(UNIT, 0.1, UNIT / 42e6))
    assert len(planner.take()) == 4  # 42 MB -> 32 MiB (power of two, aligned at piece 8)


def test_runs_start_on_a_multiple_of_their_size_so_they_are_tree_aligned() -> None:
    size = 128 * UNIT
    planner = _planner()
    planner.take()
    planner.observe(RequestTiming(UNIT, 0.0, UNIT / 2e9))
    runs = []
    while run := planner.take():
        runs.append(run)
    assert [len(r) for r in runs[:4]] == [1, 2, 4, 8]  # from piece 1: 1 (odd), 2 (2), 4 (4), 8 (8)
    for run in runs:
        assert is_tree_aligned(run[0].start, run[-1].end, size)
    covered = [p.index for run in runs for p in run]
    assert covered == list(range(1, 128))


def test_the_tail_is_shared_fairly_between_workers() -> None:
    planner = _planner(count=16, workers=8)
    planner.take()
    planner.observe(RequestTiming(UNIT, 0.0, UNIT / 2e9))  # fast: would like 64 MiB runs
    lengths = []
    while run := planner.take():
        lengths.append(len(run))
    # 15 pieces left for 8 workers: never more than 2 pieces in a run
    assert max(lengths) <= 2
    assert sum(lengths) == 15


def test_runs_never_bridge_a_gap_between_pending_pieces() -> None:
    pieces = [p for p in plan_pieces(0, 32 * UNIT - 1, UNIT) if p.index not in (5, 6, 20)]
    planner = RunPlanner(pieces, workers=1, max_span=256 * MiB, request_seconds=10.0)
    planner.take()
    planner.observe(RequestTiming(UNIT, 0.0, UNIT / 1e9))
    while run := planner.take():
        assert all(b.start == a.end + 1 for a, b in zip(run, run[1:]))
        assert not {p.index for p in run} & {5, 6, 20}


def test_the_short_last_piece_ends_the_last_run() -> None:
    pieces = plan_pieces(0, 3 * UNIT + 5, UNIT)
    planner = RunPlanner(pieces, workers=1, max_span=64 * MiB, request_seconds=1.0)
    assert len(planner.take()) == 1
    planner.observe(RequestTiming(UNIT, 0.0, UNIT / 1e9))
    assert len(planner.take()) == 1  # piece 1 is odd: alignment keeps it alone
    last = planner.take()
    assert [p.index for p in last] == [2, 3]
    assert last[-1].end == 3 * UNIT + 5
    assert planner.take() == []


def test_useless_timings_are_ignored() -> None:
    planner = _planner()
    planner.take()
    planner.observe(RequestTiming(0, 0.0, 1.0))
    planner.observe(RequestTiming(UNIT, 0.0, 0.0))
    assert len(planner.take()) == 1  # still no measurement


def test_concurrent_takes_hand_out_every_piece_exactly_once() -> None:
    planner = _planner(count=512, workers=8)
    planner.take()
    planner.observe(RequestTiming(UNIT, 0.0, UNIT / 300e6))
    seen: List[int] = []
    lock = threading.Lock()

    def worker() -> None:
        while run := planner.take():
            planner.observe(RequestTiming(_sizes(run), 0.0, _sizes(run) / 300e6))
            with lock:
                seen.extend(p.index for p in run)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == list(range(1, 512))
