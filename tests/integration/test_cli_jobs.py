"""``cascmd`` retrievals as a user runs them: waits that report, fetches that never clobber, ``-``
for stdout, ranges, and flags that do not apply refused before anything is sent."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Iterator, Tuple

import pytest

from cassdk_like.core.integrity import MiB
from cassdk_like.emulator import Emulator
from tests.helpers.cascmd import cascmd_env, run_cascmd, run_cascmd_process

SIZE = 2 * MiB + 11


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(job_delay_scale=1.0) as emu:  # Expedited: 1 s, Standard: 5 s
        yield emu


@pytest.fixture(autouse=True)
def _connection(emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    for name, value in cascmd_env(emulator, tmp_path).items():
        if name.startswith("CAS_"):
            monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def archive(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Tuple[str, bytes]:
    """(archive id, bytes) in vault ``jobs``."""
    data = os.urandom(SIZE)
    source = tmp_path_factory.mktemp("archive") / "a.bin"
    source.write_bytes(data)
    env = cascmd_env(emulator, source.parent)
    assert run_cascmd_process(["create-vault", "jobs"], env).returncode == 0
    done = run_cascmd_process(["upload", "-q", "jobs", str(source)], env)
    assert done.returncode == 0, done.stderr
    return done.stdout.decode().strip(), data


@pytest.fixture(scope="module")
def ready_job(
    emulator: Emulator, archive: Tuple[str, bytes], tmp_path_factory: pytest.TempPathFactory
) -> str:
    env = cascmd_env(emulator, tmp_path_factory.mktemp("home"))
    job = run_cascmd_process(
        ["create-job", "--tier", "Expedited", "--wait", "-q", "jobs", "--", archive[0]], env
    )
    assert job.returncode == 0, job.stderr
    return job.stdout.decode().strip()


def test_create_job_wait_reports_each_status_and_the_next_check(archive: Tuple[str, bytes]) -> None:
    ran = run_cascmd("create-job", "--tier", "Expedited", "--wait", "cas://jobs", "--", archive[0])
    assert ran.status == 0, ran.err
    job_id = ran.text
    assert re.fullmatch(r"\S+", job_id)  # stdout: the job id and nothing else
    lines = ran.err.splitlines()
    assert lines[0] == f"job {job_id}: InProgress"
    assert any(
        re.search(r"still InProgress; next check in [\d.]+ s \(at \d\d:\d\d:\d\d\)", line) for line in lines
    )
    assert f"job {job_id}: Succeeded" in lines
    assert any(line.startswith(f"job {job_id} is ready: cascmd fetch ") for line in lines)
    assert re.match(r"done in [\d.]+ s$", lines[-1])


def test_quiet_waits_without_a_word(archive: Tuple[str, bytes]) -> None:
    ran = run_cascmd("create_job", "-q", "--tier", "Expedited", "--wait", "jobs", archive[0])
    assert (ran.status, ran.err) == (0, "")


def test_a_wait_that_times_out_names_the_command_to_keep_waiting(
    archive: Tuple[str, bytes], tmp_path: Path
) -> None:
    job_id = run_cascmd("create-job", "--tier", "Standard", "jobs", "--", archive[0]).text
    target = tmp_path / "later.bin"
    ran = run_cascmd("fetch", "--timeout", "0.5", "jobs", "--", job_id, str(target))
    assert ran.status == 1
    assert "still InProgress after 0.5 s; to keep waiting run: cascmd fetch " in ran.err
    assert "wait()" not in ran.err
    assert not target.exists()


def test_fetch_never_replaces_a_file_unless_forced(
    ready_job: str, archive: Tuple[str, bytes], tmp_path: Path
) -> None:
    target = tmp_path / "restore.bin"
    target.write_bytes(b"precious")
    kept = run_cascmd("fetch", "jobs", "--", ready_job, str(target))
    assert kept.status == 1
    assert "pass --force (-f)" in kept.err
    assert target.read_bytes() == b"precious"
    forced = run_cascmd("fetch", "-f", "jobs", "--", ready_job, str(target))
    assert forced.status == 0, forced.err
    assert forced.text == f"saved {SIZE:,} bytes to {target} (tree hash verified)"
    assert target.read_bytes() == archive[1]


def test_fetch_a_range_with_start_and_size(
    ready_job: str, archive: Tuple[str, bytes], tmp_path: Path
) -> None:
    target = tmp_path / "part.bin"
    ran = run_cascmd(
        "fetch_job_output", "cas://jobs", ready_job, str(target), "--start", "1M", "--size", "1M"
    )
    assert ran.status == 0, ran.err
    assert target.read_bytes() == archive[1][MiB : 2 * MiB]


def test_fetch_dash_writes_the_bytes_to_stdout(
    emulator: Emulator, ready_job: str, archive: Tuple[str, bytes], tmp_path: Path
) -> None:
    done = run_cascmd_process(["fetch", "jobs", "--", ready_job, "-"], cascmd_env(emulator, tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout == archive[1]
    assert not (tmp_path / "-").exists()
    assert f"wrote {SIZE:,} bytes to standard output (tree hash verified)" in done.stderr.decode()


def test_an_inventory_job_with_the_originals_options(emulator: Emulator) -> None:
    ran = run_cascmd("create-job", "cas://jobs", "--limit", "10", "--start_date", "2020-01-01T00:00:00Z")
    assert ran.status == 0, ran.err
    described = json.loads(run_cascmd("desc-job", "jobs", "--", ran.text).out)
    assert described["Action"] == "InventoryRetrieval"
    assert described["InventoryRetrievalParameters"]["Limit"] in ("10", 10)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["create-job", "--inventory", "--tier", "Bulk", "jobs"], "--tier does not apply to an inventory"),
        (["create-job", "--limit", "5", "jobs", "ARCHIVE"], "--limit does not apply to an archive retrieval"),
        (["create-job", "--range", "0-1048575", "--start", "0", "jobs", "ARCHIVE"], "not both"),
        (["create-job", "--timeout", "5", "jobs", "ARCHIVE"], "--timeout applies to --wait only"),
        (["fetch", "--no-wait", "--timeout", "5", "jobs", "JOB", "out.bin"], "cannot go with --no-wait"),
        (["fetch", "--force", "jobs", "JOB", "-"], "--force applies to a file"),
    ],
)
def test_flags_that_do_not_apply_are_refused_before_any_request(
    emulator: Emulator,
    argv: list,
    message: str,  # type: ignore[type-arg]
) -> None:
    before = emulator.stats.total_requests
    ran = run_cascmd(*argv)
    assert ran.status == 2
    assert message in ran.err
    assert ran.err.startswith(f"usage: cascmd {argv[0]}")
    assert emulator.stats.total_requests == before
