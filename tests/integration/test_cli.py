"""``cascmd`` end to end against the emulator: every command, exit codes, and no secret on screen."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

from cassdk_like.cli.main import main
from cassdk_like.emulator import Emulator


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(job_delay_scale=0) as emu:
        yield emu


def _run(emu: Emulator, *argv: str, dialect: str = "cas") -> Tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    connection = [
        "--endpoint", emu.endpoint, "--appid", emu.appid, "--secret-id", emu.secret_id,
        "--secret-key", emu.secret_key, "--dialect", dialect,
    ]  # fmt: skip
    status = main([argv[0], *connection, *argv[1:]], out=out, err=err)
    return status, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("dialect", ["cas", "glacier"])
def test_vault_upload_job_fetch_and_delete(emulator: Emulator, tmp_path: Path, dialect: str) -> None:
    vault = f"cli-{dialect}"
    data = os.urandom(3 * 1024 * 1024 + 7)
    source = tmp_path / "data.bin"
    source.write_bytes(data)
    assert _run(emulator, "create-vault", vault, dialect=dialect)[:2] == (0, f"created vault {vault}\n")
    status, listing, _ = _run(emulator, "ls", dialect=dialect)
    assert status == 0
    assert vault in listing
    status, archive_id, _ = _run(emulator, "upload", vault, str(source), "--desc", "cli", dialect=dialect)
    assert status == 0
    archive_id = archive_id.strip()
    # ids may start with "-" (the emulator makes such ids, as the service does): "--opt=ID" and "--"
    status, job_id, _ = _run(emulator, "create-job", vault, f"--archive-id={archive_id}", dialect=dialect)
    assert status == 0
    job_id = job_id.strip()
    status, described, _ = _run(emulator, "desc-job", "--", vault, job_id, dialect=dialect)
    assert status == 0
    assert json.loads(described)["ArchiveId"] == archive_id
    assert job_id in _run(emulator, "list-jobs", "--", vault, dialect=dialect)[1]
    target = tmp_path / "restored.bin"
    fetch = ("fetch", "--timeout", "30", "--", vault, job_id, str(target))
    status, saved, _ = _run(emulator, *fetch, dialect=dialect)
    assert status == 0
    assert "saved" in saved
    assert target.read_bytes() == data
    assert _run(emulator, "delete-archive", "--", vault, archive_id, dialect=dialect)[0] == 0
    assert _run(emulator, "delete-vault", vault, dialect=dialect)[0] == 0


def test_ids_starting_with_a_dash_are_accepted(emulator: Emulator) -> None:
    status, _out, err = _run(emulator, "desc-job", "--", "no-such-vault", "-dashed-job-id")
    assert status == 1  # reached the service (no such vault), not an argument error (exit 2)
    assert "ResourceNotFoundException" in err


def test_a_service_error_is_one_line_exit_1_without_the_secret(emulator: Emulator) -> None:
    status, out, err = _run(emulator, "desc-vault", "no-such-vault")
    assert status == 1
    assert out == ""
    lines: List[str] = err.strip().splitlines()
    assert len(lines) == 1
    assert "ResourceNotFoundException" in lines[0]
    assert emulator.secret_key not in err


def test_a_wrong_key_is_reported_without_echoing_it(emulator: Emulator) -> None:
    out, err = io.StringIO(), io.StringIO()
    wrong = "wrong-secret-key-value"
    argv = ["ls", "--endpoint", emulator.endpoint, "--appid", emulator.appid]
    argv += ["--secret-id", emulator.secret_id]
    status = main([*argv, "--secret-key", wrong], out=out, err=err)
    assert status == 1
    assert "InvalidSignatureException" in err.getvalue()
    assert wrong not in err.getvalue() + out.getvalue()


def test_usage_errors_exit_2() -> None:
    with pytest.raises(SystemExit) as info:
        main(["upload"], out=io.StringIO(), err=io.StringIO())
    assert info.value.code == 2


def test_the_installed_console_script_runs() -> None:
    script = Path(sys.executable).with_name("cascmd")
    assert script.is_file(), f"{script} missing: install the package (pip install -e '.[test]')"
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0
    assert done.stdout.startswith("cascmd ")
