"""Credentials resolve field by field (argument > environment > profile) in the SDK and in ``cascmd``.

Before, a complete pair in the environment silently won over a lone ``--secret-key`` /
``secret_key=`` argument, so a wrong key passed on purpose went unnoticed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from cassdk_like import CasAPI, CASClient, Vault
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.emulator import Emulator
from cassdk_like.vault.errors import InvalidSignatureException

ROOT = Path(__file__).resolve().parents[2]
WRONG = "wrong-secret-key-value"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(job_delay_scale=0) as emu:
        yield emu


def _cascmd(emu: Emulator, env: Dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("CAS_", "AWS_"))}
    environ.update(env, PYTHONPATH=str(ROOT), CASSDK_CONFIG=str(ROOT / "no-such-config"))
    command: List[str] = [sys.executable, "-m", "cassdk_like.cli.main", argv[0]]
    command += ["--endpoint", emu.endpoint, "--appid", emu.appid, *argv[1:]]
    return subprocess.run(command, capture_output=True, text=True, env=environ, timeout=120, check=False)


def _pair(emu: Emulator) -> Dict[str, str]:
    return {"CAS_SECRET_ID": emu.secret_id, "CAS_SECRET_KEY": emu.secret_key}


def test_cli_a_lone_wrong_secret_key_is_used_not_ignored(emulator: Emulator) -> None:
    done = _cascmd(emulator, _pair(emulator), "ls", "--secret-key", WRONG)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "InvalidSignatureException" in done.stderr
    assert WRONG not in done.stdout + done.stderr
    assert emulator.secret_key not in done.stdout + done.stderr


def test_cli_a_lone_secret_key_completes_the_environments_id(emulator: Emulator) -> None:
    env = {"CAS_SECRET_ID": emulator.secret_id, "CAS_SECRET_KEY": WRONG}
    done = _cascmd(emulator, env, "create-vault", "cli-creds", "--secret-key", emulator.secret_key)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "created vault cli-creds\n"


def test_sdk_a_lone_secret_key_argument_wins_over_the_environment(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in _pair(emulator).items():
        monkeypatch.setenv(name, value)
    wrong = CASClient(emulator.endpoint, emulator.appid, secret_key=WRONG, retry_policy=RetryPolicy.never())
    with wrong, pytest.raises(InvalidSignatureException):
        Vault.list_all_vaults(CasAPI(wrong))
    monkeypatch.setenv("CAS_SECRET_KEY", WRONG)
    right = CASClient(emulator.endpoint, emulator.appid, secret_key=emulator.secret_key)
    with right:
        Vault.create(CasAPI(right), "sdk-creds")
        assert "sdk-creds" in [v.name for v in Vault.list_all_vaults(CasAPI(right))]
