"""The suites, one module each: ``NAME``, ``NEEDS_NGINX``, ``NEEDS_EMULATOR``, ``run(ctx)``, ``render``.

``run`` measures and returns the suite's summarized figures (what results.json keeps);
``render(data, results)`` turns them into RESULTS.md lines. Importing a suite needs neither
nginx, aria2c nor boto3: those are only called as programs.
"""

from __future__ import annotations

from types import ModuleType
from typing import Dict, Tuple

from benchmarks.cassbench.suites import (
    bucket,
    diag,
    direct,
    download,
    glacier,
    hashing,
    par,
    pattern,
    profile,
    reduct,
    rss,
    transfer,
    upload,
    upload_rss,
)

#: the order suites run in (hashing first: it needs a quiet machine and no server)
RUN_ORDER: Tuple[ModuleType, ...] = (
    hashing,
    download,
    pattern,
    upload,
    rss,
    profile,
    diag,
    upload_rss,
    glacier,
    reduct,
    bucket,
    direct,
    par,
    transfer,
)
BY_NAME: Dict[str, ModuleType] = {suite.NAME: suite for suite in RUN_ORDER}
#: numbered benchmarks, then the targets table, then the explanatory suites
REPORT_HEAD = (
    "dl",
    "ul",
    "hash",
    "rss",
    "ul-rss",
    "glacier",
    "reduct",
    "bucket",
    "direct",
    "par",
    "transfer",
)
REPORT_TAIL = ("pattern", "profile", "diag")
ALL_SUITES = tuple(BY_NAME)
