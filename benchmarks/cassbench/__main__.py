"""``python -m benchmarks.cassbench``: see :mod:`benchmarks.cassbench.cli`."""

from __future__ import annotations

import sys

from benchmarks.cassbench.cli import main

sys.exit(main())
