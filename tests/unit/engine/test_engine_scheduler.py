"""The shared scheduler: global cap, priorities, per-transfer lanes, cancel, cancel scopes."""

from __future__ import annotations

import io
import os
import threading
from typing import List, Optional

import attrs
import pytest

from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.cancel import CancelToken, current_cancel_token
from cassdk_like.core.exceptions import InvalidArgumentError, TransferCancelledError
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.core.integrity import MiB
from cassdk_like.engine import Scheduler, TransferConfig, TransferContext, download_to_path, upload_multipart
from tests.helpers.engine_fakes import FakeSource, FakeTarget

FAST = RetryPolicy(total_attempts=3, backoff_base=0.0, backoff_cap=0.0)
CFG = TransferConfig(max_workers=3, min_part_size=MiB, retry_policy=FAST, poll_interval=0.01)


class Gauge:
    """Counts tasks inside a section at once, across threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.peak = 0

    def enter(self) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def leave(self) -> None:
        with self.lock:
            self.now -= 1


def test_two_transfers_on_a_scheduler_capped_at_2_never_run_more_than_2_tasks() -> None:
    scheduler = Scheduler(2)
    gauge = Gauge()
    entered = threading.Event()

    def on_part(_rng: ByteRange) -> None:
        gauge.enter()
        entered.set()
        threading.Event().wait(0.005)  # let the other transfer's tasks pile up
        gauge.leave()

    datas = [os.urandom(8 * MiB + 3), os.urandom(6 * MiB)]
    targets = [FakeTarget(on_part=on_part), FakeTarget(on_part=on_part)]
    errors: List[BaseException] = []

    def run(index: int) -> None:
        ctx = TransferContext.create(CFG, scheduler=scheduler)
        try:
            upload_multipart(io.BytesIO(datas[index]), targets[index], context=ctx)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert [t.archive() for t in targets] == datas
    assert entered.is_set()
    assert gauge.peak <= 2
    assert scheduler.peak_running <= 2


def test_priorities_order_queued_tasks_fifo_within_a_priority() -> None:
    scheduler = Scheduler(1)
    gate = threading.Event()
    order: List[str] = []
    blocker = scheduler.lane(1, token=CancelToken())
    started = threading.Event()

    def hold() -> None:
        started.set()
        gate.wait(10)

    first = blocker.submit(hold)  # holds the only thread while the others queue
    assert started.wait(10)
    low = scheduler.lane(5, priority=0)
    high = scheduler.lane(5, priority=5)
    later = scheduler.lane(5, priority=0)
    futures = [
        low.submit(order.append, "low-1"),
        low.submit(order.append, "low-2"),
        high.submit(order.append, "high-1"),
        later.submit(order.append, "later-1"),
        high.submit(order.append, "high-2"),
    ]
    gate.set()
    first.result(10)
    for future in futures:
        future.result(10)
    assert order == ["high-1", "high-2", "low-1", "low-2", "later-1"]


def test_a_lane_runs_at_most_its_own_max_workers() -> None:
    scheduler = Scheduler(8)
    gauge = Gauge()
    lane = scheduler.lane(2)

    def task() -> None:
        gauge.enter()
        threading.Event().wait(0.01)
        gauge.leave()

    futures = [lane.submit(task) for _ in range(10)]
    for future in futures:
        future.result(10)
    assert gauge.peak <= 2


def test_a_closed_lane_drops_its_queued_tasks_while_another_lane_continues() -> None:
    scheduler = Scheduler(1)
    gate = threading.Event()
    ran: List[str] = []
    stopped = scheduler.lane(4)
    going = scheduler.lane(4)
    started = threading.Event()

    def hold() -> None:
        started.set()
        gate.wait(10)

    running = stopped.submit(hold)
    assert started.wait(10)
    dropped = [stopped.submit(ran.append, f"stopped-{i}") for i in range(3)]
    kept = [going.submit(ran.append, f"going-{i}") for i in range(3)]
    assert len(stopped.close()) == 3
    assert stopped.submit(ran.append, "after-close").cancelled()
    gate.set()
    running.result(10)
    for future in kept:
        future.result(10)
    assert all(f.cancelled() for f in dropped)
    assert ran == ["going-0", "going-1", "going-2"]


def test_a_cancelled_transfer_stops_while_another_on_the_same_scheduler_finishes(tmp_path: object) -> None:
    scheduler = Scheduler(2)
    token = CancelToken()
    data = os.urandom(12 * MiB)
    cancel_at = {"n": 0}

    def on_part(_rng: ByteRange) -> None:
        cancel_at["n"] += 1
        if cancel_at["n"] == 2:
            token.cancel("test")

    cancelled_target = FakeTarget(on_part=on_part)
    other = FakeTarget()
    result: List[object] = []

    def other_upload() -> None:
        ctx = TransferContext.create(CFG, scheduler=scheduler)
        result.append(upload_multipart(io.BytesIO(data), other, context=ctx))

    thread = threading.Thread(target=other_upload)
    thread.start()
    ctx = TransferContext.create(attrs.evolve(CFG, max_workers=1), cancel_token=token, scheduler=scheduler)
    with pytest.raises(TransferCancelledError):
        upload_multipart(io.BytesIO(data), cancelled_target, context=ctx)
    thread.join(30)
    assert cancelled_target.aborted
    assert len(cancelled_target.calls) < 12
    assert other.archive() == data
    assert len(result) == 1


def test_every_task_runs_inside_the_transfer_cancel_scope() -> None:
    seen: List[Optional[CancelToken]] = []
    token = CancelToken()

    def on_part(_rng: ByteRange) -> None:
        seen.append(current_cancel_token())

    upload_multipart(
        io.BytesIO(os.urandom(3 * MiB)), FakeTarget(on_part=on_part), config=CFG, cancel_token=token
    )
    assert len(seen) == 3
    scopes = {id(t) for t in seen}
    assert None not in seen
    assert len(scopes) == 1
    assert seen[0] is not token
    lane_token = CancelToken()
    lane = Scheduler(1).lane(1, token=lane_token)
    assert lane.submit(current_cancel_token).result(10) is lane_token


def test_the_scope_is_cancelled_with_the_transfer() -> None:
    token = CancelToken()
    scopes: List[CancelToken] = []

    def on_part(_rng: ByteRange) -> None:
        scope = current_cancel_token()
        assert scope is not None
        scopes.append(scope)
        token.cancel("stop")

    with pytest.raises(TransferCancelledError):
        upload_multipart(
            io.BytesIO(os.urandom(2 * MiB)), FakeTarget(on_part=on_part), config=CFG, cancel_token=token
        )
    assert scopes
    assert all(scope.cancelled for scope in scopes)


def test_a_transfer_cannot_start_from_a_task_of_its_own_scheduler(tmp_path: object) -> None:
    scheduler = Scheduler(1)
    source = FakeSource(os.urandom(MiB))

    def nested() -> object:
        ctx = TransferContext.create(CFG, scheduler=scheduler)
        return download_to_path(source, os.path.join(str(tmp_path), "o"), context=ctx)

    with pytest.raises(InvalidArgumentError, match="deadlock"):
        scheduler.lane(1).submit(nested).result(10)


def test_context_is_frozen_and_exclusive_with_the_keywords() -> None:
    ctx = TransferContext.create(CFG)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        ctx.config = TransferConfig()  # type: ignore[misc]
    with pytest.raises(InvalidArgumentError, match="context"):
        upload_multipart(io.BytesIO(b"x"), FakeTarget(), context=ctx, config=CFG)
    own = Scheduler(3)
    assert TransferContext.create(attrs.evolve(CFG, scheduler=own)).scheduler is own
    assert TransferContext.create(CFG, scheduler=own).scheduler is own
    assert TransferContext.create(attrs.evolve(CFG, bandwidth_limit=100.0)).limiter is not None


def test_scheduler_rejects_a_bad_cap() -> None:
    with pytest.raises(InvalidArgumentError):
        Scheduler(0)


@pytest.mark.parametrize("idle", [1, 2])
def test_tasks_submitted_while_threads_sit_idle_all_start_at_once(idle: int) -> None:
    """Idle threads left by an earlier transfer must not stand in for the threads a new one needs:
    each woken thread takes one task, the rest get new threads (a wake that nobody claims twice)."""
    scheduler = Scheduler(8)
    warm = scheduler.lane(idle)
    for future in [warm.submit(threading.Event().wait, 0.05) for _ in range(idle)]:
        future.result(timeout=10)
    # the earlier transfer is over: its threads wait for work
    assert scheduler.running == 0
    started = threading.Barrier(4 + 1)
    lane = scheduler.lane(4)
    futures = [lane.submit(started.wait, 10) for _ in range(4)]
    started.wait(10)  # BrokenBarrierError (a timeout) when fewer than 4 tasks run together
    for future in futures:
        future.result(timeout=10)
    assert scheduler.peak_running == 4
