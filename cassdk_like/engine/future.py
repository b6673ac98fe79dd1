"""A future-style handle for running one blocking transfer in a background thread.

Why: the engine's entry points block (simple to call, simple to reason about), but GUIs and
servers want ``result(timeout)``, ``cancel()`` and ``done()``.  ``start_transfer`` runs any entry
point on its own thread with a cancel token it owns, so ``cancel()`` stops the transfer within
a chunk and leaves the same resumable state as a cancel from any other thread.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Generic, Optional, TypeVar

from cassdk_like.core.cancel import CancelToken

__all__ = ["TransferFuture", "start_transfer"]

T = TypeVar("T")


class TransferFuture(Generic[T]):
    """The pending result of a transfer running in a background thread. Thread-safe."""

    def __init__(self, token: CancelToken) -> None:
        self.token = token
        self._done = threading.Event()
        self._result: Optional[T] = None
        self._error: Optional[BaseException] = None

    def _run(self, fn: Callable[..., T], args: Any, kwargs: Any) -> None:
        try:
            self._result = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc
        finally:
            self._done.set()

    def done(self) -> bool:
        return self._done.is_set()

    def cancel(self, reason: str = "cancelled") -> None:
        """Ask the transfer to stop; ``result()`` then raises ``TransferCancelledError``."""
        self.token.cancel(reason)

    def exception(self, timeout: Optional[float] = None) -> Optional[BaseException]:
        """Wait for the end; the error it raised, or None. ``TimeoutError`` if still running."""
        if not self._done.wait(timeout):
            raise TimeoutError("the transfer is still running")
        return self._error

    def result(self, timeout: Optional[float] = None) -> T:
        """Wait (interruptibly) for the end and return its result or raise its error."""
        error = self.exception(timeout)
        if error is not None:
            raise error
        return self._result  # type: ignore[return-value]


def start_transfer(fn: Callable[..., T], *args: Any, **kwargs: Any) -> TransferFuture[T]:
    """Run ``fn(*args, cancel_token=..., **kwargs)`` (e.g. ``download_to_path``) on a new thread."""
    token = kwargs.pop("cancel_token", None) or CancelToken()
    future: TransferFuture[T] = TransferFuture(token)
    thread = threading.Thread(
        target=future._run,
        args=(fn, args, {**kwargs, "cancel_token": token}),
        name="cassdk-transfer",
        daemon=True,
    )
    thread.start()
    return future
