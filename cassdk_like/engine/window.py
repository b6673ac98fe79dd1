"""An ordered read-ahead window: tasks run ahead in parallel, results come back in order.

Why one shared implementation: the range streamer (pieces of a ranged GET) and the block streamer
(whole DirectIO blocks) both hold at most ``window`` results in memory however long the output,
and both must hand them out strictly in order; the bound and the order live here only.
"""

from __future__ import annotations

import collections
from concurrent.futures import Future
from typing import Callable, Deque, Iterable, Iterator, Tuple, TypeVar

from cassdk_like.engine.runner import Runner

__all__ = ["read_ahead"]

T = TypeVar("T")
S = TypeVar("S")
R = TypeVar("R")


def read_ahead(
    runner: Runner,
    items: Iterable[T],
    window: int,
    start: Callable[[T], Tuple[S, Future[R]]],
) -> Iterator[Tuple[T, S, R]]:
    """Yield ``(item, state, result)`` for every item, in order.

    ``start(item)`` submits the item's task on ``runner`` and returns its ``state`` (a buffer the
    caller lends the task) with the future.  At most ``window`` items are started and not yet
    consumed: the next one starts only when the caller asks for the next result, so the caller may
    reuse the previous item's state as soon as its loop body is done with it.  A task's failure is
    raised when its turn comes, so every result before it is delivered first (a stream stops at
    the first byte it could not deliver, whichever task failed first).
    """
    todo = iter(items)
    ahead: Deque[Tuple[T, S, Future[R]]] = collections.deque()
    exhausted = False
    while True:
        while not exhausted and len(ahead) < window:
            try:
                item = next(todo)
            except StopIteration:
                exhausted = True
                break
            state, future = start(item)
            ahead.append((item, state, future))
        if not ahead:
            return
        item, state, future = ahead.popleft()
        yield item, state, runner.result_of(future, fail_fast=False)
