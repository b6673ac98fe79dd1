"""What cascmd tells the person at the terminal, all on stderr: progress bars, job waits, timing.

stdout carries only the result (an id, a listing), so ``A=$(cascmd upload ...)`` keeps working.
``--quiet`` silences everything here; the bar itself is drawn only on a terminal.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from typing import Callable, Optional, TextIO

from cassdk_like.core.exceptions import JobWaitTimeoutError
from cassdk_like.engine.console import ConsoleProgress
from cassdk_like.vault.highlevel.job import Job

__all__ = ["Console", "console_of"]


class Console:
    """One per command run; ``elapsed()`` is measured from its creation."""

    def __init__(
        self,
        err: TextIO,
        *,
        quiet: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.err = err
        self.quiet = quiet
        self._sleep = sleep
        self._clock = clock
        self._started = clock()

    def note(self, text: str) -> None:
        """One line of commentary (not the result)."""
        if not self.quiet:
            print(text, file=self.err, flush=True)

    def warn(self, text: str) -> None:
        """A warning is shown even with ``--quiet``: it is about safety, not progress."""
        print(f"cascmd: warning: {text}", file=self.err, flush=True)

    def progress(self, description: str) -> ConsoleProgress:
        """A bar for one transfer: on a terminal and without ``--quiet`` only."""
        return ConsoleProgress(description, file=self.err, enabled=None if not self.quiet else False)

    def elapsed(self) -> float:
        return self._clock() - self._started

    def finished(self) -> None:
        """The closing line of a long command."""
        self.note(f"done in {_duration(self.elapsed())}")

    def wait_for_job(self, job: Job, timeout: Optional[float], again: str) -> Job:
        """``job.wait`` that reports each status change and when it will look next.

        ``again`` is the command that keeps waiting; a timeout names it instead of Python advice.
        """
        seen = [job.status_code]

        def on_poll(polled: Job) -> None:
            if polled.status_code != seen[-1]:
                seen.append(polled.status_code)
                self.note(f"job {polled.id}: {polled.status_code}")

        def pause(seconds: float) -> None:
            at = datetime.datetime.now() + datetime.timedelta(seconds=seconds)
            self.note(f"  still {seen[-1]}; next check in {_duration(seconds)} (at {at:%H:%M:%S})")
            self._sleep(seconds)

        try:
            self.note(f"job {job.id}: {job.status_code}")
            return job.wait(timeout=timeout, on_poll=on_poll, sleep=pause)
        except KeyboardInterrupt:
            self.warn(f"job {job.id} goes on at the service; to wait for it again run: {again}")
            raise
        except JobWaitTimeoutError as exc:
            raise JobWaitTimeoutError(
                f"job {job.id} is still {seen[-1]} after {timeout:g} s; to keep waiting run: {again}",
                operation=exc.operation,
                resource=exc.resource,
            ) from exc


def console_of(args: argparse.Namespace) -> Console:
    """The run's console (``main`` sets it); a quiet one for handlers called directly."""
    console = getattr(args, "console", None)
    return console if isinstance(console, Console) else Console(sys.stderr, quiet=True)


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"
