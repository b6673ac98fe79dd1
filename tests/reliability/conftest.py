"""Shared fixtures of the reliability suites: an emulator and CasAPI handles.

Kept generic on purpose; suite-specific helpers live in their own modules.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, List

import pytest

from cassdk_like.emulator import Emulator
from cassdk_like.vault.highlevel import CasAPI
from cassdk_like.vault.lowlevel import CASClient

# the clean environment (no endpoint, credentials or proxies from outside) is tests/conftest.py's


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A fresh emulator on a free loopback port whose jobs finish at once (job_delay_scale=0)."""
    with Emulator(job_delay_scale=0) as emu:
        yield emu


ApiFactory = Callable[..., CasAPI]


@pytest.fixture
def api(emulator: Emulator) -> Iterator[ApiFactory]:
    """``api(dialect, **client_kwargs)``: a CasAPI on ``emulator`` in "cas" or "glacier"; closed after."""
    clients: List[CASClient] = []

    def make(dialect: str = "cas", **kwargs: Any) -> CasAPI:
        options = {"secret_id": emulator.secret_id, "secret_key": emulator.secret_key, **kwargs}
        client = CASClient(emulator.endpoint, emulator.appid, dialect=dialect, **options)
        clients.append(client)
        return CasAPI(client)

    yield make
    for client in clients:
        client.close()


# -- figures of the fault soak and the crash matrix, shown at the end of the run ---------------------

_REPORT_LINES: List[str] = []


@pytest.fixture
def reliability_report() -> Callable[[str], None]:
    """``report(line)``: print ``line`` now (seen with ``-s``) and again in pytest's terminal summary."""

    def report(line: str) -> None:
        print(line)
        _REPORT_LINES.append(line)

    return report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _REPORT_LINES:
        terminalreporter.section("reliability figures")
        for line in _REPORT_LINES:
            terminalreporter.write_line(line)
