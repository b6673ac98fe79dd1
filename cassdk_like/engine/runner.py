"""One transfer's tasks on the shared scheduler, driven from the caller's thread.

Why not a bare executor: its blocking waits hide Ctrl-C and progress, its ``shutdown`` does not
stop running tasks, and s3transfer's wrappers around it show how easy it is to get cancellation
wrong.  Here the coordinating thread never waits longer than ``poll_interval``; at each wake it
emits progress and checks the cancel token.  Leaving the ``with`` block for any reason (failure,
cancel, ``KeyboardInterrupt``, a generator closed early) cancels the transfer's own token, drops
its queued tasks, and waits for its running ones, so nothing touches the caller's files after the
call returns.
"""

from __future__ import annotations

import concurrent.futures as cf
from types import TracebackType
from typing import Any, Callable, Optional, Set, Type, TypeVar

from cassdk_like.core.cancel import CancelToken
from cassdk_like.engine.context import TransferContext
from cassdk_like.engine.progress import ProgressTracker

__all__ = ["Runner"]

T = TypeVar("T")


class Runner:
    """Runs at most ``workers`` tasks at once for one transfer. Use from one thread only."""

    def __init__(
        self,
        workers: int,
        token: CancelToken,
        tracker: ProgressTracker,
        context: TransferContext,
    ) -> None:
        self.workers = workers
        self.token = token
        self.tracker = tracker
        self.poll = max(context.config.poll_interval, 0.001)
        self._lane = context.scheduler.lane(workers, priority=context.config.priority, token=token)
        self._pending: Set[cf.Future[Any]] = set()
        #: True once every task has returned (False if waiting for them was interrupted, e.g. a 2nd Ctrl-C)
        self.joined = False

    def __enter__(self) -> Runner:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close(cancel=exc_type is not None)

    @property
    def in_flight(self) -> int:
        return len(self._pending)

    def submit(self, fn: Callable[..., T], *args: Any) -> cf.Future[T]:
        self.token.raise_if_cancelled()
        future = self._lane.submit(fn, *args)
        self._pending.add(future)
        return future

    def collect(self, handler: Callable[[Any], None], timeout: Optional[float] = None) -> None:
        """Pass the results of tasks that finish within ``timeout`` (default: one poll) to ``handler``.

        Every success is handled before the first failure is raised, so nothing finished is lost;
        raises ``TransferCancelledError`` once the token is cancelled.
        """
        wait = self.poll if timeout is None else timeout
        if self._pending:
            done, _ = cf.wait(self._pending, timeout=wait, return_when=cf.FIRST_COMPLETED)
        else:
            self.token.wait(wait)
            done = set()
        self.tracker.emit()
        failure: Optional[cf.Future[Any]] = None
        for future in done:
            self._pending.discard(future)
            if future.cancelled():
                continue
            if future.exception() is None:
                handler(future.result())
            elif failure is None:
                failure = future
        if failure is not None:
            failure.result()  # re-raises the task's exception here
        self.token.raise_if_cancelled()

    def result_of(self, future: cf.Future[T], *, fail_fast: bool = True) -> T:
        """Wait for one task, failing fast if any other task fails meanwhile (``fail_fast``); else
        another task's failure waits until its own result is asked for."""
        while True:
            waited = self._pending if fail_fast else {future}
            done, _ = cf.wait(waited, timeout=self.poll, return_when=cf.FIRST_COMPLETED)
            self.tracker.emit()
            for other in done:
                if other is not future and not other.cancelled() and other.exception() is not None:
                    self._pending.discard(other)
                    other.result()
            self.token.raise_if_cancelled()
            if future.done():
                self._pending.discard(future)
                return future.result()

    def drain(self, handler: Callable[[Any], None]) -> None:
        """Wait for every submitted task (and those ``handler`` submits), passing each result to it."""
        while self._pending:
            self.collect(handler)

    def close(self, *, cancel: bool) -> None:
        """Stop: cancel the transfer's token if asked, drop queued tasks, wait for running ones."""
        if cancel:
            self.token.cancel("stopped")
        self._lane.close()
        running = [f for f in self._pending if not f.done()]
        self._pending.clear()
        if running:
            cf.wait(running)
        self.joined = True
