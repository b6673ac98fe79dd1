"""``cascmd``: the command-line face of the SDK (``serve``, ``demo`` and everyday vault commands).

It is written over the public API only, as any user's script would be; ``run_demo`` is the
flow of ``cascmd demo`` (the quickstart's, measured and reported; ``examples/quickstart.py`` is
the same flow as a script to read).
"""

from cassdk_like.cli.demo import DemoReport, run_demo
from cassdk_like.cli.main import main

__all__ = ["DemoReport", "main", "run_demo"]
