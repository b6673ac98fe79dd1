"""One pool of worker threads shared by every transfer, with a global cap and priorities.

Why shared: a process running many transfers (a transfer manager, a server) must bound its
threads and connections as a whole, and let an urgent transfer overtake bulk ones; a pool per
transfer (s3transfer's executors) can do neither.  Each transfer opens a ``Lane`` with its own
concurrency cap and priority; a free thread takes the queued task of the highest priority (FIFO
within a priority, i.e. by submission order) from the lanes still below their cap.

Rules that keep it deadlock-free: a task never waits for another task (coordination happens on
the caller's thread), and a transfer cannot be started from one of this scheduler's own threads
(its coordinator would then hold a thread its tasks may need).
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import itertools
import os
import threading
from typing import Any, Callable, Deque, List, Optional, Set, Tuple, TypeVar

from cassdk_like.core.cancel import CancelToken, cancel_scope
from cassdk_like.core.exceptions import InvalidArgumentError

__all__ = ["Lane", "Scheduler", "default_scheduler"]

T = TypeVar("T")

#: an idle thread exits after this many seconds (threads are made again on demand)
_IDLE_SECONDS = 30.0
_Task = Tuple[int, "cf.Future[Any]", Callable[..., Any], Tuple[Any, ...]]


class Lane:
    """One transfer's queue on a scheduler: at most ``max_workers`` of its tasks run at once.

    Every task runs inside ``cancel_scope(token)`` so that requests it sends stop with the transfer.
    """

    def __init__(self, scheduler: Scheduler, max_workers: int, priority: int, token: CancelToken) -> None:
        self.scheduler = scheduler
        self.max_workers = max_workers
        self.priority = priority
        self.token = token
        self.queue: Deque[_Task] = collections.deque()
        self.running = 0
        self.closed = False

    def submit(self, fn: Callable[..., T], *args: Any) -> cf.Future[T]:
        return self.scheduler._submit(self, fn, args)

    def close(self) -> List[cf.Future[Any]]:
        """Drop the tasks not started yet; returns them (cancelled). Running ones finish on their own."""
        return self.scheduler._close(self)


class Scheduler:
    """Worker threads (at most ``max_concurrency``, made lazily) serving many lanes. Thread-safe."""

    def __init__(self, max_concurrency: int = 32, *, name: str = "cassdk-engine") -> None:
        if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int) or max_concurrency < 1:
            raise InvalidArgumentError(f"max_concurrency must be an integer >= 1, got {max_concurrency!r}")
        self.max_concurrency = max_concurrency
        self.name = name
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._cond = threading.Condition()
        self._lanes: List[Lane] = []
        self._seq = itertools.count()
        self._threads: Set[threading.Thread] = set()
        self._idle = 0
        #: idle threads already woken for a task: a new task needs another idle thread, or a new one
        self._woken = 0
        self._running = 0
        #: the most tasks that ever ran at once (for tests and diagnostics)
        self.peak_running = 0
        self._local = threading.local()

    def lane(self, max_workers: int, *, priority: int = 0, token: Optional[CancelToken] = None) -> Lane:
        """A new lane; its tasks run inside ``cancel_scope(token)``."""
        if getattr(self._local, "worker", False):
            raise InvalidArgumentError(
                "a transfer cannot be started from a task of the scheduler it would run on (deadlock)"
            )
        return Lane(self, max_workers, priority, token or CancelToken())

    @property
    def running(self) -> int:
        with self._cond:
            return self._running

    def _submit(self, lane: Lane, fn: Callable[..., Any], args: Tuple[Any, ...]) -> cf.Future[Any]:
        if self._pid != os.getpid():  # forked: the parent's threads do not exist here
            self._reset()
        future: cf.Future[Any] = cf.Future()
        with self._cond:
            if lane.closed:
                future.cancel()
                return future
            lane.queue.append((next(self._seq), future, fn, args))
            if lane not in self._lanes:
                self._lanes.append(lane)
            if lane.running + len(lane.queue) > lane.max_workers:
                pass  # waits for one of its lane's running tasks, whose thread then takes it
            elif self._idle > self._woken:
                self._wake_one()
            elif len(self._threads) < self.max_concurrency:
                name = f"{self.name}-{len(self._threads) + 1}"
                thread = threading.Thread(target=self._work, name=name, daemon=True)
                self._threads.add(thread)
                thread.start()
        return future

    def _wake_one(self) -> None:
        """Wake an idle thread that no earlier task has claimed (lock held)."""
        self._woken += 1
        self._cond.notify()

    def _close(self, lane: Lane) -> List[cf.Future[Any]]:
        with self._cond:
            lane.closed = True
            dropped = [task[1] for task in lane.queue]
            lane.queue.clear()
            if lane in self._lanes and not lane.running:
                self._lanes.remove(lane)
        for future in dropped:
            future.cancel()
        return dropped

    def _next(self) -> Optional[Tuple[Lane, _Task]]:
        """The best queued task of a lane below its cap (lock held)."""
        best: Optional[Lane] = None
        for lane in self._lanes:
            if not lane.queue or lane.running >= lane.max_workers:
                continue
            if best is None or (-lane.priority, lane.queue[0][0]) < (-best.priority, best.queue[0][0]):
                best = lane
        if best is None:
            return None
        best.running += 1
        return best, best.queue.popleft()

    def _work(self) -> None:
        self._local.worker = True
        me = threading.current_thread()
        while True:
            with self._cond:
                picked = self._next()
                while picked is None:
                    self._idle += 1
                    woke = self._cond.wait(_IDLE_SECONDS)
                    self._idle -= 1
                    if woke or self._woken > self._idle:  # also a wake that raced the timeout
                        self._woken -= 1
                    picked = self._next()
                    if picked is None and not woke:
                        self._threads.discard(me)
                        return
                self._running += 1
                self.peak_running = max(self.peak_running, self._running)
            lane, (_seq, future, fn, args) = picked
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        with cancel_scope(lane.token):
                            result = fn(*args)
                    except BaseException as exc:  # handed to the coordinator through the future
                        future.set_exception(exc)
                    else:
                        future.set_result(result)
            finally:
                del future, fn, args  # drop references to finished work (buffers) at once
                with self._cond:
                    self._running -= 1
                    lane.running -= 1
                    if not lane.queue and not lane.running and lane in self._lanes:
                        self._lanes.remove(lane)
                    if self._idle > self._woken and any(q.queue for q in self._lanes):
                        self._wake_one()


class _Default:
    """The process-wide scheduler, forgotten in a forked child (its threads do not exist there)."""

    lock = threading.Lock()
    scheduler: Optional[Scheduler] = None


def default_scheduler() -> Scheduler:
    """The process-wide scheduler, made on first use (its threads are made on demand)."""
    with _Default.lock:
        if _Default.scheduler is None:
            _Default.scheduler = Scheduler()
        return _Default.scheduler


def _forget_default() -> None:
    _Default.lock = threading.Lock()
    _Default.scheduler = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_default)
