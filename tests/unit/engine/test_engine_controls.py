"""Cancel token, bandwidth limiter, progress tracker, buffer pool, retry rules and config."""

from __future__ import annotations

import os
import threading
import time
from typing import List, Optional

import pytest

from cassdk_like.core.exceptions import (
    BadResponseError,
    ConnectionFailedError,
    HashDoesNotMatchError,
    InvalidArgumentError,
    InvalidPartSizeError,
    LocalFileError,
    TransferCancelledError,
)
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.core.integrity import MiB
from cassdk_like.engine import (
    BandwidthLimiter,
    BufferPool,
    CancelToken,
    JointLimiter,
    ProgressEvent,
    TransferConfig,
)
from cassdk_like.engine.buffers import anonymous_pages
from cassdk_like.engine.progress import ProgressTracker
from cassdk_like.engine.retry import RetryCounter, is_retryable
from cassdk_like.vault.errors import ResourceNotFoundException, ThrottlingException
from tests.helpers.engine_fakes import server_error


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_cancel_token_wakes_waiters_and_runs_callbacks_once() -> None:
    token = CancelToken()
    calls: List[str] = []
    token.on_cancel(lambda: calls.append("a"))
    remove = token.on_cancel(lambda: calls.append("b"))
    remove()
    threading.Timer(0.05, token.cancel, args=("by test",)).start()
    assert token.wait(5) is True
    token.cancel("again")
    assert calls == ["a"]
    assert token.reason == "by test"
    assert token.cancelled
    with pytest.raises(TransferCancelledError):
        token.sleep(10)  # returns at once
    late: List[int] = []
    token.on_cancel(lambda: late.append(1))
    assert late == [1]


def test_child_token_follows_the_parent_not_the_reverse() -> None:
    parent = CancelToken()
    child = parent.child()
    child.cancel("sibling failed")
    assert not parent.cancelled
    second = parent.child()
    parent.cancel("user")
    assert second.cancelled
    assert second.reason == "user"
    third = CancelToken()
    detached = third.child()
    detached.detach()
    third.cancel()
    assert not detached.cancelled


def test_limiter_spaces_reservations_on_one_timeline() -> None:
    clock = FakeClock()
    limiter = BandwidthLimiter(1000, clock=clock)
    assert limiter.reserve(500) == pytest.approx(0.5)
    assert limiter.reserve(500) == pytest.approx(1.0)  # queued behind the first
    clock.now += 5  # idle: no credit piles up without a burst allowance
    assert limiter.reserve(100) == pytest.approx(0.1)
    bursty = BandwidthLimiter(1000, burst=300, clock=clock)
    assert bursty.reserve(200) <= 0
    assert bursty.reserve(200) == pytest.approx(0.1)


def test_limiter_rejects_bad_rates() -> None:
    for bad in (0, -1, float("inf"), True):
        with pytest.raises(InvalidArgumentError):
            BandwidthLimiter(bad)


def test_joint_limiter_books_every_limit_and_waits_for_the_slowest() -> None:
    clock = FakeClock()
    slept: List[float] = []
    fast = BandwidthLimiter(1000, clock=clock)
    slow = BandwidthLimiter(250, clock=clock)
    limits: List[Optional[BandwidthLimiter]] = [fast, slow]
    joint = JointLimiter(lambda: limits, sleep=slept.append)
    joint.consume(500)
    assert slept == [pytest.approx(2.0)]  # 500 B at 250 B/s; the 1000 B/s limit alone would say 0.5
    # both timelines were booked: each limit also paces its other users
    assert fast.reserve(0) == pytest.approx(0.5)
    assert slow.reserve(0) == pytest.approx(2.0)
    limits[1] = None  # a limit removed while the transfer runs counts no more
    joint.consume(500)
    assert slept[-1] == pytest.approx(1.0)
    limits[0] = None
    joint.consume(500)  # no limit in force: no wait at all
    assert len(slept) == 2


def test_limiter_sleep_wakes_on_cancel() -> None:
    limiter = BandwidthLimiter(1)
    token = CancelToken()
    threading.Timer(0.05, token.cancel).start()
    began = time.monotonic()
    with pytest.raises(TransferCancelledError):
        limiter.consume(1000, token)  # would sleep ~1000 s
    assert time.monotonic() - began < 1.0


def test_limiter_total_rate_across_threads() -> None:
    limiter = BandwidthLimiter(4 * MiB)
    began = time.monotonic()
    threads = [
        threading.Thread(target=lambda: [limiter.consume(64 * 1024) for _ in range(8)]) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    assert elapsed == pytest.approx(0.5, rel=0.1)  # 2 MiB at 4 MiB/s, loose


def test_progress_never_goes_backwards_and_is_emitted_outside_workers() -> None:
    clock = FakeClock()
    events: List[ProgressEvent] = []
    tracker = ProgressTracker(1000, events.append, min_interval=0, clock=clock)
    tracker.add(400)
    clock.now += 1
    tracker.emit()
    tracker.retract(300)  # a piece restarted
    clock.now += 1
    tracker.emit()  # nothing new to report: no event
    tracker.add(350)
    clock.now += 1
    tracker.emit()
    tracker.finish()
    assert [e.done for e in events] == [400, 450, 1000]
    assert events[0].rate == pytest.approx(400.0)
    assert events[-1].finished
    assert events[-1].fraction == 1.0


def test_progress_respects_min_interval() -> None:
    clock = FakeClock()
    events: List[ProgressEvent] = []
    tracker = ProgressTracker(10, events.append, min_interval=1.0, clock=clock)
    tracker.add(1)
    tracker.emit()
    tracker.add(1)
    tracker.emit()
    assert len(events) == 0 or len(events) == 1
    clock.now += 2
    tracker.emit()
    assert events[-1].done == 2


def test_buffer_pool_bounds_and_reuses() -> None:
    pool = BufferPool(2, 10)
    a = pool.acquire()
    b = pool.acquire()
    assert a is not None
    assert b is not None
    assert len(a) == 10
    assert pool.acquire(timeout=0.01) is None
    pool.release(a)
    assert pool.acquire(timeout=0.01) is a
    assert pool.allocated == 2
    assert pool.max_in_use == 2
    assert type(a) is bytearray


def _resident_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux's /proc to read RSS")
def test_anonymous_page_buffers_cost_only_the_pages_written() -> None:
    """A pool sized for the worst case (a DirectIO block's largest body) costs what is written."""
    pool = BufferPool(1, 64 * 1024 * 1024, anonymous_pages)
    before = _resident_bytes()
    buf = pool.acquire()
    assert buf is not None
    view = memoryview(buf)
    view[: 1024 * 1024] = b"x" * (1024 * 1024)
    grown = _resident_bytes() - before
    assert grown < 16 * 1024 * 1024  # a bytearray of the same size would be 64 MiB at once
    assert bytes(view[-4:]) == bytes(4)  # the rest reads as zeros
    pool.release(buf)
    assert pool.acquire(timeout=0.01) is buf


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (ConnectionFailedError("reset"), True),
        (BadResponseError("cut"), True),
        (server_error(500), True),
        (server_error(501, "NotImplemented"), True),
        (server_error(429, "TooMany"), True),
        (ThrottlingException(400, "ThrottlingException"), True),
        (ResourceNotFoundException(404, "ResourceNotFoundException"), False),
        (server_error(400, "BadRequest"), False),
        (HashDoesNotMatchError("x"), False),
        (LocalFileError("disk full"), False),
        (TransferCancelledError("x"), False),
        (ConnectionResetError(), True),
        (ValueError("bug"), False),
    ],
)
def test_retry_classification(exc: BaseException, expected: bool) -> None:
    assert is_retryable(exc, RetryPolicy()) is expected


def test_retry_counter_budget_resets_after_progress() -> None:
    counter = RetryCounter(RetryPolicy(total_attempts=2, backoff_base=0, backoff_cap=0), CancelToken())
    counter.failed(ConnectionFailedError("1"))
    with pytest.raises(ConnectionFailedError):
        counter.failed(ConnectionFailedError("2"))
    counter = RetryCounter(RetryPolicy(total_attempts=2, backoff_base=0, backoff_cap=0), CancelToken())
    for _ in range(5):
        counter.failed(ConnectionFailedError("x"), progressed=MiB)
    assert counter.retries == 5


def test_config_validates_sizes() -> None:
    with pytest.raises(InvalidPartSizeError):
        TransferConfig(piece_size=3 * MiB)
    with pytest.raises(InvalidArgumentError):
        TransferConfig(max_workers=0)
    with pytest.raises(InvalidArgumentError):
        TransferConfig(bandwidth_limit=0)
    with pytest.raises(InvalidArgumentError):
        TransferConfig(part_size=MiB).part_size_for(10_001 * MiB)
    assert TransferConfig(min_part_size=MiB).part_size_for(10_001 * MiB) == 2 * MiB


def test_cancel_scope_is_per_thread_and_nests() -> None:
    from cassdk_like.core.cancel import cancel_scope, current_cancel_token

    outer, inner = CancelToken(), CancelToken()
    seen = []
    assert current_cancel_token() is None
    with cancel_scope(outer):
        with cancel_scope(inner):
            assert current_cancel_token() is inner
        assert current_cancel_token() is outer
        worker = threading.Thread(target=lambda: seen.append(current_cancel_token()))
        worker.start()
        worker.join()
    assert seen == [None]  # a new thread starts outside every scope
    assert current_cancel_token() is None
