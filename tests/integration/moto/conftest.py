"""moto's server as an independent Glacier peer: one subprocess per test session, reset per test.

moto is a declared test dependency (``pip install -e '.[test]'``), so a missing moto is a failure of
the environment and these tests FAIL rather than skip. The server runs in its own process (no shared
module state or monkeypatching with the SDK under test) through ``moto_fastjobs.py``, which shortens
moto's 2/5/10 s job delays; Bulk jobs are kept InProgress on purpose (see ``JOB_DELAYS``).
Only the PID started here is ever terminated.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import pytest

from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.vault.highlevel import CasAPI
from cassdk_like.vault.lowlevel import CASClient
from tests.helpers.peer_process import loopback_session, running_process, wait_until

WRAPPER = Path(__file__).with_name("moto_fastjobs.py")
#: Expedited/Standard jobs succeed quickly; Bulk jobs never finish within a test (InProgress cases)
JOB_DELAYS = "Expedited=0.2,Standard=0.3,Bulk=3600"
START_TIMEOUT = 20.0
_RUNNING = re.compile(r"Running on http://127\.0\.0\.1:(\d+)")


@dataclass(frozen=True)
class MotoServer:
    """Where the session's moto server listens, and the dummy AWS-style credentials to sign with."""

    endpoint: str
    access_key: str
    secret_key: str
    region: str
    pid: int
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _port_in_log(log_path: Path) -> Optional[int]:
    found = _RUNNING.search(log_path.read_text(encoding="utf-8", errors="replace"))
    return int(found.group(1)) if found else None


def _api_ready(endpoint: str) -> Optional[bool]:
    with loopback_session() as http:
        return True if http.get(f"{endpoint}/moto-api/", timeout=2).status_code == 200 else None


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """Start ``moto_fastjobs.py -H 127.0.0.1 -p 0``, learn its port from the log, wait for /moto-api/."""
    for module in ("moto", "moto.glacier", "flask", "flask_cors"):
        if importlib.util.find_spec(module) is None:
            pytest.fail(
                f"{module} is not installed; it is a declared test dependency: pip install -e '.[test]'",
                pytrace=False,
            )
    log_path = tmp_path_factory.mktemp("moto") / "moto_server.log"
    env = dict(os.environ, CASSDK_MOTO_JOB_DELAY=JOB_DELAYS)
    env.pop("MOTO_PORT", None)
    argv = [sys.executable, str(WRAPPER), "-H", "127.0.0.1", "-p", "0"]
    with running_process(argv, log_path, env=env) as proc:
        deadline = time.monotonic() + START_TIMEOUT
        port = wait_until(
            proc, log_path, "moto", lambda: _port_in_log(log_path), deadline, "no 'Running on' line"
        )
        endpoint = f"http://127.0.0.1:{port}"
        wait_until(
            proc, log_path, "moto", lambda: _api_ready(endpoint), deadline, "/moto-api/ did not answer 200"
        )
        yield MotoServer(endpoint, "AKIAIOSFODNN7EXAMPLE", "testing-secret", "us-east-1", proc.pid, log_path)


@pytest.fixture(autouse=True)
def moto_reset(moto_server: MotoServer) -> None:
    """Wipe every moto backend before each test (3 ms), so tests never see each other's vaults."""
    with loopback_session() as http:
        response = http.post(f"{moto_server.endpoint}/moto-api/reset", timeout=10)
    assert response.status_code == 200, response.text


def _client(server: MotoServer, retry_policy: RetryPolicy) -> CASClient:
    return CASClient(
        server.endpoint,
        None,
        server.access_key,
        server.secret_key,
        scheme="http",
        dialect="glacier",
        region=server.region,
        retry_policy=retry_policy,
        read_timeout=30.0,
    )


@pytest.fixture
def glacier_client(moto_server: MotoServer) -> Iterator[CASClient]:
    """A glacier-dialect CASClient on moto (SigV4 service ``glacier``, account ``-``)."""
    with _client(moto_server, RetryPolicy()) as client:
        yield client


@pytest.fixture
def strict_client(moto_server: MotoServer) -> Iterator[CASClient]:
    """The same, making exactly one attempt: moto's 500 pages must surface at once, not be retried."""
    with _client(moto_server, RetryPolicy.never()) as client:
        yield client


@pytest.fixture
def glacier_api(glacier_client: CASClient) -> CasAPI:
    return CasAPI(glacier_client)
