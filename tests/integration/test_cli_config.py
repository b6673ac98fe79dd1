"""``cascmd config`` writes a private profile that later commands use; a readable file is warned
about; the original cascmd's ``~/.cascmd_credentials`` is read with its own key names."""

from __future__ import annotations

import configparser
import os
import stat
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from cassdk_like.emulator import Emulator
from tests.helpers.cascmd import cascmd_env, run_cascmd_process


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(job_delay_scale=0) as emu:
        yield emu


def _profile(path: Path, section: str = "default") -> dict:  # type: ignore[type-arg]
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path)
    return dict(parser.items(section))


def test_config_writes_a_private_profile_that_ls_then_uses(emulator: Emulator, tmp_path: Path) -> None:
    config = tmp_path / "conf" / "cassdk.ini"
    env = cascmd_env(None, tmp_path, CASSDK_CONFIG=str(config))
    argv = ["config", "--endpoint", emulator.endpoint, "--appid", emulator.appid]
    argv += ["--secret-id", emulator.secret_id, f"--secret-key={emulator.secret_key}"]
    wrote = run_cascmd_process(argv, env, stdin=subprocess.DEVNULL)
    assert wrote.returncode == 0, wrote.stderr
    assert (
        wrote.stdout.decode()
        == f"wrote appid, endpoint, secret_id, secret_key to profile [default] of {config} (mode 600)\n"
    )
    assert emulator.secret_key not in wrote.stdout.decode() + wrote.stderr.decode()
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert _profile(config) == {
        "endpoint": emulator.endpoint, "appid": emulator.appid,
        "secret_id": emulator.secret_id, "secret_key": emulator.secret_key,
    }  # fmt: skip
    made = run_cascmd_process(["create-vault", "from-profile"], env)
    assert made.returncode == 0, made.stderr
    assert made.stderr == b""  # a private file: no warning
    shown = run_cascmd_process(["config", "--show"], env, stdin=subprocess.DEVNULL)
    assert b"<hidden>" in shown.stdout
    assert emulator.secret_key.encode() not in shown.stdout


def test_config_keeps_other_profiles_and_takes_the_originals_flag_names(tmp_path: Path) -> None:
    config = tmp_path / "config"
    env = cascmd_env(None, tmp_path, CASSDK_CONFIG=str(config))
    first = run_cascmd_process(
        ["config", "--endpoint", "https://a.example", "--secretid", "ID1"], env, stdin=subprocess.DEVNULL
    )
    assert first.returncode == 0, first.stderr
    second = [
        "config",
        "--profile",
        "other",
        "--secretid",
        "ID2",
        "--secretkey",
        "KEY2",
        "--dialect",
        "glacier",
    ]
    assert run_cascmd_process(second, env, stdin=subprocess.DEVNULL).returncode == 0
    assert _profile(config) == {"endpoint": "https://a.example", "secret_id": "ID1"}
    assert _profile(config, "other") == {"secret_id": "ID2", "secret_key": "KEY2", "dialect": "glacier"}
    nothing = run_cascmd_process(["config"], env, stdin=subprocess.DEVNULL)
    assert nothing.returncode == 2
    assert b"nothing to write" in nothing.stderr


def test_a_profile_readable_by_others_is_used_with_a_warning(emulator: Emulator, tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text(
        f"[default]\nendpoint = {emulator.endpoint}\nappid = {emulator.appid}\n"
        f"secret_id = {emulator.secret_id}\nsecret_key = {emulator.secret_key}\n"
    )
    os.chmod(config, 0o644)
    done = run_cascmd_process(["ls", "-q"], cascmd_env(None, tmp_path, CASSDK_CONFIG=str(config)))
    assert done.returncode == 0, done.stderr
    err = done.stderr.decode()
    assert f"warning: {config} is readable by other users" in err
    assert f"chmod 600 {config}" in err
    assert emulator.secret_key not in err


def test_the_original_cascmd_credentials_file_is_read(emulator: Emulator, tmp_path: Path) -> None:
    legacy = tmp_path / ".cascmd_credentials"
    legacy.write_text(
        f"[CASCredentials]\nendpoint = {emulator.endpoint}\nappid = {emulator.appid}\n"
        f"secretid = {emulator.secret_id}\nsecretkey = {emulator.secret_key}\n"
    )
    os.chmod(legacy, 0o600)
    env = cascmd_env(None, tmp_path)  # HOME=tmp_path, no profile, no CAS_* variables
    made = run_cascmd_process(["cv", "cas://legacy-creds"], env)
    assert made.returncode == 0, made.stderr
    assert made.stdout == b"created vault legacy-creds\n"
    wrong = run_cascmd_process(["ls", "--secret-key=not-the-key"], env)  # a flag still wins
    assert wrong.returncode == 1
    assert b"InvalidSignatureException" in wrong.stderr
