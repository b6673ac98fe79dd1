"""The quickstart: a 64 MiB archive through a local emulator -- upload, retrieve, download, verify.

Run it right after ``pip install .``; it needs no account and no network. The flow itself is in
``cassdk_like/cli/demo.py`` (also ``cascmd demo``), written as plain SDK code: read it next.
"""

from __future__ import annotations

import sys

from cassdk_like.cli import run_demo

report = run_demo(size_mib=64)
sys.exit(0 if report.verified else 1)
