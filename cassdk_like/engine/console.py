"""A ready progress callback for scripts and ``cascmd``: a terminal progress bar drawn by tqdm.

tqdm draws the bar (bytes, rate, time left) and knows terminals: it redraws one line in place and
sizes it to the window. The bar is drawn only when the stream is a terminal, so a script's log
file or a pipe gets no control characters; the callback is then a no-op.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TYPE_CHECKING, NoReturn, Optional, TextIO, Type

from tqdm import tqdm

from cassdk_like.engine.progress import ProgressEvent

if TYPE_CHECKING:
    _Bar = tqdm[NoReturn]  # generic in the type stubs only
else:
    _Bar = tqdm

__all__ = ["ConsoleProgress", "console_progress"]


class ConsoleProgress:
    """A ``ProgressCallback`` that draws a bar on ``file`` (default stderr).

    ``enabled`` None (default): only when ``file`` is a terminal. The bar closes itself on the last
    event of a successful transfer; ``close()`` (or ``with``) ends it after a failure too.
    Events come from one thread at a time (the engine's coordinating thread), as the engine promises.
    """

    def __init__(
        self,
        description: Optional[str] = None,
        *,
        file: Optional[TextIO] = None,
        enabled: Optional[bool] = None,
    ) -> None:
        self._file = file if file is not None else sys.stderr
        self._description = description
        if enabled is None:
            isatty = getattr(self._file, "isatty", None)
            enabled = bool(isatty()) if callable(isatty) else False
        self.enabled = enabled
        self._bar: Optional[_Bar] = None

    def __call__(self, event: ProgressEvent) -> None:
        if not self.enabled:
            return
        if self._bar is None:
            self._bar = tqdm(
                total=event.total,
                desc=self._description,
                file=self._file,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                dynamic_ncols=True,
                mininterval=0.2,
                leave=True,
            )
        bar = self._bar
        step = event.done - bar.n
        if step > 0:
            bar.update(step)
        if event.finished:
            self.close()

    def close(self) -> None:
        """End the bar (leaves the last drawing on screen); safe to call twice."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> ConsoleProgress:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()


def console_progress(
    description: Optional[str] = None, *, file: Optional[TextIO] = None, enabled: Optional[bool] = None
) -> ConsoleProgress:
    """``vault.upload_archive(path, progress=console_progress("backup.tar"))`` shows a bar on a terminal."""
    return ConsoleProgress(description, file=file, enabled=enabled)
