"""Child processes that must react to Ctrl-C whatever the parent inherited.

A job started in the background by a non-interactive shell (as CI runners may do) has SIGINT
ignored, children inherit that, and Python then installs no KeyboardInterrupt handler. Tests that
send SIGINT start their child with the default disposition restored.
"""

from __future__ import annotations

import signal

__all__ = ["default_sigint"]


def default_sigint() -> None:
    """``preexec_fn`` for ``subprocess.Popen``: SIGINT back to its default before the exec."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
