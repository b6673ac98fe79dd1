"""State survives a restart with a data dir; the serve command starts, prints and stops cleanly."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import List

import pytest

from cassdk_like.emulator import Emulator
from cassdk_like.emulator.cli import serve_main
from cassdk_like.emulator.db import DataDirInUse
from tests.helpers.signals import default_sigint
from tests.integration.emulator.emu_helpers import MiB, Raw, pattern, ref_tree_hash

DATA = pattern(3 * MiB + 99, seed=3)
PART = pattern(MiB + 5, seed=4)


def test_restart_keeps_archive_upload_and_job_output(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with Emulator(data_dir=state, job_delay_scale=0) as emu:
        raw = Raw(emu)
        credentials = (emu.appid, emu.secret_id, emu.secret_key)
        raw.create_vault("v")
        archive_id = raw.upload_ok("v", DATA, "kept")
        job_id = raw.job_ok("v", {"Type": "archive-retrieval", "ArchiveId": archive_id})
        assert raw.wait_job("v", job_id)["StatusCode"] == "Succeeded"
        upload_id = raw.initiate_upload("v", MiB).headers["x-cas-multipart-upload-id"]
        assert raw.upload_part("v", upload_id, 0, PART[:MiB]).status_code == 204
    assert state.is_dir()  # a given data dir is never removed

    with Emulator(data_dir=state, job_delay_scale=0) as emu:
        assert (emu.appid, emu.secret_id, emu.secret_key) == credentials  # generated once, then kept
        raw = Raw(emu)
        output = raw.output("v", job_id)
        assert output.content == DATA
        assert output.headers["x-cas-sha256-tree-hash"] == ref_tree_hash(DATA)
        parts = raw.call("GET", "v", "multipart-uploads", upload_id).json()["Parts"]
        assert parts == [{"RangeInBytes": f"0-{MiB - 1}", "SHA256TreeHash": ref_tree_hash(PART[:MiB])}]
        assert raw.upload_part("v", upload_id, MiB, PART[MiB:]).status_code == 204
        assert raw.complete("v", upload_id, len(PART), ref_tree_hash(PART)).status_code == 201
        again = raw.job_ok("v", {"Type": "archive-retrieval", "ArchiveId": archive_id})
        assert raw.output("v", again).content == DATA
        assert raw.call("GET", "v").json()["NumberOfArchives"] == 2


def test_in_progress_job_keeps_its_schedule_across_restart(tmp_path: Path) -> None:
    with Emulator(data_dir=tmp_path, job_delay_scale=1) as emu:
        raw = Raw(emu)
        raw.create_vault("v")
        archive_id = raw.upload_ok("v", b"abc")
        job_id = raw.job_ok("v", {"Type": "archive-retrieval", "ArchiveId": archive_id, "Tier": "Bulk"})
    with Emulator(data_dir=tmp_path, job_delay_scale=1) as emu:
        raw = Raw(emu)
        assert raw.describe_job("v", job_id)["StatusCode"] == "InProgress"
        emu.finish_jobs()
        assert raw.output("v", job_id).content == b"abc"


def test_leftovers_of_a_crash_are_swept(tmp_path: Path) -> None:
    with Emulator(data_dir=tmp_path, job_delay_scale=0) as emu:
        raw = Raw(emu)
        raw.create_vault("v")
        raw.upload_ok("v", b"kept")
    kept = sorted(p.name for p in (tmp_path / "blobs").iterdir())
    (tmp_path / "blobs" / "deadbeef").write_bytes(b"orphan")
    (tmp_path / "tmp" / "half-written").write_bytes(b"partial")
    with Emulator(data_dir=tmp_path, job_delay_scale=0):
        assert sorted(p.name for p in (tmp_path / "blobs").iterdir()) == kept
        assert list((tmp_path / "tmp").iterdir()) == []


def test_temporary_data_dir_is_removed_on_exit() -> None:
    with Emulator() as emu:
        folder = emu.data_dir
        assert folder.is_dir()
    assert not folder.exists()


class _Lines(io.StringIO):
    """Collects printed lines and signals once the start-up banner is complete."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: List[str] = []
        self.ready = threading.Event()

    def write(self, text: str) -> int:
        self.lines.extend(line for line in text.splitlines() if line)
        if any("Press Ctrl-C" in line for line in self.lines):
            self.ready.set()
        return len(text)


def test_serve_main_prints_endpoint_and_credentials(tmp_path: Path) -> None:
    out, stop = _Lines(), threading.Event()
    argv = [
        "--port",
        "0",
        "--data-dir",
        str(tmp_path),
        "--job-delay-scale",
        "0",
        "--appid",
        "1250000001",
        "--secret-id",
        "AKIDtest",
        "--secret-key",
        "local-secret",
    ]
    codes: List[int] = []
    thread = threading.Thread(target=lambda: codes.append(serve_main(argv, out=out, stop=stop)))
    thread.start()
    try:
        assert out.ready.wait(10)
        name, endpoint = out.lines[0].split()[1:]
        assert name == "cas"
        assert endpoint.startswith("http://127.0.0.1:")
        assert f"export CAS_ENDPOINT={endpoint}" in out.lines
        assert any("local-secret" in line for line in out.lines)
        assert any("1250000001" in line for line in out.lines)
    finally:
        stop.set()
        thread.join(10)
    assert codes == [0]


def test_python_m_emulator_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[3]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "cassdk_like.emulator", "--port", "0", "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=default_sigint,  # noqa: PLW1509 - only restores a signal disposition
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("service cas http://127.0.0.1:")
        proc.send_signal(signal.SIGINT)
        rest, errors = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, errors
    assert "stopping" in rest
    assert "Traceback" not in errors


def test_a_data_dir_serves_one_emulator_at_a_time(tmp_path: Path) -> None:
    with Emulator(data_dir=tmp_path), pytest.raises(DataDirInUse):
        Emulator(data_dir=tmp_path)
    with Emulator(data_dir=tmp_path) as emu:  # released on stop
        assert emu.running
