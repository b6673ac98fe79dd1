"""``cascmd`` at a terminal: the progress bar on stderr, none in a pipe, and Ctrl-C in the middle
of an upload leaving the commands to resume or abort it."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path
from typing import Iterator, Optional

import pytest

from cassdk_like.core.integrity import MiB
from cassdk_like.emulator import Emulator
from cassdk_like.emulator.cli import describe
from tests.helpers.cascmd import cascmd_env, run_cascmd_process
from tests.helpers.terminal import run_in_terminal

CASCMD = ["-c", "import sys; from cassdk_like.cli.main import main; sys.exit(main())"]


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(job_delay_scale=0) as emu:
        yield emu


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "nightly.tar"
    path.write_bytes(os.urandom(6 * MiB))
    return path


def test_an_upload_draws_a_progress_bar_on_a_terminal(
    emulator: Emulator, big_file: Path, tmp_path: Path
) -> None:
    env = cascmd_env(emulator, tmp_path)
    assert run_cascmd_process(["create-vault", "tty"], env).returncode == 0
    emulator.faults.add_latency(0.3, operation="UploadMultipartPart")  # long enough to be redrawn
    status, shown = run_in_terminal([*CASCMD, "upload", "tty", str(big_file), "-p", "1M"], env)
    screen = shown.decode(errors="replace")
    assert status == 0, screen
    assert "upload nightly.tar" in screen
    assert re.search(r"100%\|[^|]*\| 6\.00M/6\.00M \[[\d:]+<00:00, +[\d.]+[kMG]?B/s\]", screen), screen
    assert "\r" in screen  # redrawn in place
    assert re.search(r"done in [\d.]+ s", screen)


def test_no_bar_when_stderr_is_not_a_terminal(emulator: Emulator, big_file: Path, tmp_path: Path) -> None:
    env = cascmd_env(emulator, tmp_path)
    assert run_cascmd_process(["create-vault", "piped"], env).returncode == 0
    done = run_cascmd_process(["upload", "piped", str(big_file), "-p", "1M"], env)
    assert done.returncode == 0, done.stderr
    assert b"%|" not in done.stderr
    assert b"\r" not in done.stderr
    assert re.fullmatch(rb"\S+\n", done.stdout)


def test_quiet_draws_nothing_even_on_a_terminal(emulator: Emulator, big_file: Path, tmp_path: Path) -> None:
    env = cascmd_env(emulator, tmp_path)
    assert run_cascmd_process(["create-vault", "hush"], env).returncode == 0
    status, shown = run_in_terminal([*CASCMD, "upload", "-q", "hush", str(big_file), "-p", "1M"], env)
    assert status == 0
    assert re.fullmatch(rb"\S+\r\n", shown), shown  # the archive id, nothing else


def test_ctrl_c_during_an_upload_prints_how_to_resume_and_resuming_works(
    emulator: Emulator, big_file: Path, tmp_path: Path
) -> None:
    env = cascmd_env(emulator, tmp_path)
    assert run_cascmd_process(["create-vault", "interrupted"], env).returncode == 0
    rule = emulator.faults.add_latency(30, operation="UploadMultipartPart", count=None)

    def press_ctrl_c(screen: bytes) -> Optional[bytes]:
        return b"\x03" if b"multipart upload " in screen else None

    status, shown = run_in_terminal(
        [*CASCMD, "upload", "interrupted", str(big_file), "-p", "1M"], env, on_output=press_ctrl_c, timeout=30
    )
    screen = shown.decode(errors="replace")
    assert status == 130, screen
    assert "cascmd: interrupted" in screen
    assert "Traceback" not in screen
    resume = re.search(r"resume with: (cascmd upload [^;]+?) ;", " ".join(screen.split()))
    assert resume, screen
    emulator.faults.remove(rule)
    again = run_cascmd_process(shlex.split(resume.group(1))[1:], env)
    assert again.returncode == 0, again.stderr
    listed = run_cascmd_process(["list-uploads", "-o", "json", "interrupted"], env)
    assert listed.stdout.strip() == b"[]"


def test_a_fetch_draws_a_progress_bar_and_leaves_stdout_to_the_result(
    emulator: Emulator, big_file: Path, tmp_path: Path
) -> None:
    env = cascmd_env(emulator, tmp_path)
    assert run_cascmd_process(["create-vault", "tty-fetch"], env).returncode == 0
    archive = run_cascmd_process(["upload", "-q", "tty-fetch", str(big_file)], env).stdout.decode().strip()
    job = run_cascmd_process(["create-job", "tty-fetch", "--", archive], env).stdout.decode().strip()
    target = tmp_path / "restored.tar"
    status, shown = run_in_terminal([*CASCMD, "fetch", "tty-fetch", "--", job, str(target)], env)
    screen = shown.decode(errors="replace")
    assert status == 0, screen
    assert re.search(r"fetch \S+: 100%\|[^|]*\| 6\.00M/6\.00M", screen), screen
    assert f"saved {6 * MiB:,} bytes to {target} (tree hash verified)" in screen
    assert target.read_bytes() == big_file.read_bytes()


def test_config_asks_for_the_secret_key_without_echo(tmp_path: Path) -> None:
    config = tmp_path / "config"
    env = cascmd_env(None, tmp_path, CASSDK_CONFIG=str(config))

    def type_key(screen: bytes) -> Optional[bytes]:
        return b"typed-secret-value\n" if b"secret key (input hidden" in screen else None

    status, shown = run_in_terminal(
        [*CASCMD, "config", "--endpoint", "https://cas.example", "--secret-id", "AKID1"],
        env,
        on_output=type_key,
    )
    assert status == 0, shown
    assert b"typed-secret-value" not in shown  # not echoed
    assert "secret_key = typed-secret-value" in config.read_text()


def test_ctrl_c_during_a_fetch_keeps_what_was_downloaded_and_says_how_to_go_on(
    emulator: Emulator, big_file: Path, tmp_path: Path
) -> None:
    env = cascmd_env(emulator, tmp_path)
    assert run_cascmd_process(["create-vault", "fetch-int"], env).returncode == 0
    archive = run_cascmd_process(["upload", "-q", "fetch-int", str(big_file)], env).stdout.decode().strip()
    job = run_cascmd_process(["create-job", "fetch-int", "--", archive], env).stdout.decode().strip()
    rule = emulator.faults.add_latency(30, operation="GetJobOutput", count=None)
    target = tmp_path / "restored.tar"

    def press_ctrl_c(screen: bytes) -> Optional[bytes]:  # once the bar is drawn: the download has begun
        return b"\x03" if b"%|" in screen else None

    status, shown = run_in_terminal(
        [*CASCMD, "fetch", "fetch-int", "--", job, str(target)], env, on_output=press_ctrl_c, timeout=30
    )
    screen = " ".join(shown.decode(errors="replace").split())
    assert status == 130, screen
    assert "Traceback" not in screen
    again = re.search(r"to go on from there run: (cascmd fetch .+?) cascmd: interrupted", screen)
    assert again, screen
    assert not target.exists()
    emulator.faults.remove(rule)
    done = run_cascmd_process(shlex.split(again.group(1))[1:], env)
    assert done.returncode == 0, done.stderr
    assert target.read_bytes() == big_file.read_bytes()


def test_bucket_put_and_get_draw_a_progress_bar_too(
    emulator: Emulator, big_file: Path, tmp_path: Path
) -> None:
    env = cascmd_env(emulator, tmp_path, CASSDK_BUCKET_DIALECT="s3")
    for line in describe(emulator):
        if line.startswith("export AWS_"):
            name, _, value = line[len("export ") :].partition("=")
            env[name] = shlex.split(value)[0]
    made = run_cascmd_process(["bucket", "mb", "--path-style", "tty-bucket"], env)
    assert made.returncode == 0, made.stderr
    put = [
        *CASCMD,
        "bucket",
        "put",
        "--path-style",
        "--part-size-mib",
        "5",
        str(big_file),
        "tty-bucket/n.tar",
    ]
    status, shown = run_in_terminal(put, env)
    assert status == 0, shown
    assert re.search(rb"put nightly\.tar: 100%\|[^|]*\| 6\.00M/6\.00M", shown), shown
    target = tmp_path / "back.tar"
    status, shown = run_in_terminal(
        [*CASCMD, "bucket", "get", "--path-style", "tty-bucket/n.tar", str(target)], env
    )
    assert status == 0, shown
    assert re.search(rb"get n\.tar: 100%\|[^|]*\| 6\.00M/6\.00M", shown), shown
    assert target.read_bytes() == big_file.read_bytes()
