"""Cooperative cancellation that reaches every wait in the engine.

Why a token and not ``Future.cancel()``: a running ranged GET or part upload cannot be interrupted
from outside, so every worker checks one shared flag between chunks, and every sleep in the engine
(retry backoff, bandwidth limiter, buffer pool) waits on the token's event so that ``cancel()``
wakes it at once.  A transfer therefore stops within one chunk's time (milliseconds on a flowing
connection); a read blocked on a silent connection is bounded by the transport's read timeout.

The token lives in ``core`` so that the transport can honour it too: a worker runs its requests
inside ``cancel_scope(token)``, and the transport then sends no new attempt once the token is
cancelled and aborts the attempt in flight, without a token parameter threaded through every
client method (the seed's signatures stay as they are).

Ctrl-C: the engine's coordinating loop (the caller's thread) never blocks without a timeout, so
``KeyboardInterrupt`` is delivered within ``TransferConfig.poll_interval``.  The engine then cancels
its workers, waits for them to stop, leaves a resumable state (download: the temporary file and
its journal; upload: the upload id is *not* aborted) and re-raises ``KeyboardInterrupt``.
``cancel()`` from another thread ends the same way but raises ``TransferCancelledError``.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from typing import Callable, Iterator, List, Optional

from cassdk_like.core.exceptions import TransferCancelledError

__all__ = ["CancelToken", "cancel_scope", "current_cancel_token"]


def _noop() -> None:
    return None


class CancelToken:
    """A one-way flag: once cancelled it stays cancelled. Thread-safe.

    ``child()`` makes a token that is cancelled together with this one (but not the other way
    round); the engine uses one per transfer so a failed part can stop its siblings without
    cancelling the caller's token.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: List[Callable[[], None]] = []
        self._reason = ""
        self._detach: Callable[[], None] = _noop

    @property
    def cancelled(self) -> bool:
        """True once ``cancel()`` was called."""
        return self._event.is_set()

    @property
    def reason(self) -> str:
        """Why it was cancelled ("" while it is not)."""
        return self._reason

    def cancel(self, reason: str = "cancelled") -> None:
        """Set the flag and wake every waiter; callbacks run in this thread, outside the lock."""
        with self._lock:
            if self._event.is_set():
                return
            self._reason = reason
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Block until cancelled or ``timeout`` passes; True when cancelled."""
        return self._event.wait(timeout)

    def sleep(self, seconds: float) -> None:
        """Sleep, but raise ``TransferCancelledError`` as soon as the token is cancelled."""
        if seconds > 0:
            self._event.wait(seconds)
        self.raise_if_cancelled()

    def raise_if_cancelled(self) -> None:
        """Raise ``TransferCancelledError`` if the token was cancelled."""
        if self._event.is_set():
            raise TransferCancelledError(f"transfer {self._reason}")

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Run ``callback`` when cancelled (now, if already); returns a function that unregisters it."""
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)
                return lambda: self._remove(callback)
        callback()
        return _noop

    def _remove(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

    def child(self) -> CancelToken:
        """A token cancelled with this one; call ``detach()`` on it when done to drop the link."""
        child = CancelToken()
        child._detach = self.on_cancel(lambda: child.cancel(self._reason))
        return child

    def detach(self) -> None:
        """Forget the parent link made by ``child()`` (so a long-lived parent does not pile up callbacks)."""
        self._detach()

    def __repr__(self) -> str:
        state = f"cancelled ({self._reason})" if self.cancelled else "active"
        return f"<CancelToken {state}>"


_current: contextvars.ContextVar[Optional[CancelToken]] = contextvars.ContextVar(
    "cassdk_like_cancel_token", default=None
)


@contextlib.contextmanager
def cancel_scope(token: Optional[CancelToken]) -> Iterator[None]:
    """Make ``token`` the one requests sent from this thread (or task) in the block honour."""
    reset = _current.set(token)
    try:
        yield
    finally:
        _current.reset(reset)


def current_cancel_token() -> Optional[CancelToken]:
    """The token of the innermost ``cancel_scope`` around the caller, if any."""
    return _current.get()
