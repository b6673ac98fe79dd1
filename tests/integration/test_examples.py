"""Every script in examples/ runs as a user would run it and prints its key line.

Each example is a subprocess (``sys.executable``, cwd = repo root, 120 s), with the connection
variables removed so it starts its own local emulator. A new example must add its key line to
``KEY_LINES``: an example nobody checks rots.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

from cassdk_like import CasAPI, CASClient, MiB, Vault, hash_file
from cassdk_like.bucket import Bucket, BucketAPI, S3Client
from cassdk_like.emulator import Emulator
from cassdk_like.transfer import TransferManager
from tests.helpers.cascmd import emulator_exports
from tests.helpers.transfer_world import make_tree, tree_files, until

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

#: the line each example prints when its flow checked out
KEY_LINES: Dict[str, str] = {
    "quickstart.py": "verified",
    "vault_basics.py": "vault basics example verified",
    "upload_and_restore.py": "upload and restore example verified",
    "inventory.py": "inventory example verified",
    "resume_upload.py": "resume example verified",
    "lowlevel_client.py": "low-level example verified",
    "bucket_transfers.py": "bucket example verified",
    "bucket_dropbox.py": "drop box example verified",
    "reduct_quickstart.py": "reduct quickstart verified",
    "directio_fetch.py": "directio example verified",
    "par_share.py": "par share example verified",
    "nightly_archive.py": "nightly archive example verified",
    "nightly_backup.py": "nightly backup example verified",
}

_CONNECTION_VARS = (
    "CAS_ENDPOINT",
    "CAS_APPID",
    "CAS_SECRET_ID",
    "CAS_SECRET_KEY",
    "CAS_DIALECT",
    "CASSDK_CONFIG",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "COS_SECRET_ID",
    "COS_SECRET_KEY",
    "REDUCT_URL",
    "REDUCT_API_TOKEN",
    "CTERA_DIRECTIO_URL",
    "CTERA_ACCESS_KEY_ID",
    "CTERA_SECRET_ACCESS_KEY",
)


def _scripts() -> List[str]:
    return sorted(p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))


def test_every_example_has_a_key_line() -> None:
    assert _scripts(), "examples/ has no scripts"
    assert sorted(KEY_LINES) == _scripts()


def _example_env(tmp_path: Path) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _CONNECTION_VARS}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["TMPDIR"] = str(tmp_path)  # whatever an example leaves behind stays in pytest's folder
    env["HOME"] = str(tmp_path)  # no profile file of the developer's is read
    return env


@pytest.mark.parametrize("script", _scripts())
def test_example_runs(script: str, tmp_path: Path) -> None:
    env = _example_env(tmp_path)
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    assert result.returncode == 0, output
    assert KEY_LINES.get(script, "<no key line registered>") in result.stdout, output
    assert "Traceback" not in result.stderr, output
    leftovers = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert leftovers == [], f"the example left temporary files behind: {leftovers}"


# -- the nightly archive, interrupted for real ------------------------------------------------


def _state(path: Path) -> Dict[str, Any]:
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (FileNotFoundError, ValueError):  # not written yet, or replaced as we read
        return {}


def _settled_part_count(api: CasAPI, upload_id: str) -> int:
    """Parts stored once the requests the service was still serving have landed (a killed client's too)."""
    count = -1
    while True:
        time.sleep(0.5)  # longer than the injected latency
        now = len(list(api.list_all_parts("nightly", upload_id)))
        if now == count:
            return count
        count = now


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_nightly_archive_resumes_after_being_stopped_mid_upload(stop: signal.Signals, tmp_path: Path) -> None:
    """Stopped while parts are in flight, the next run resumes the same upload and records the archive."""
    data = tmp_path / "work" / "backup.tar"
    data.parent.mkdir()
    data.write_bytes(os.urandom(24 * MiB))
    state_path = tmp_path / "work" / "state.json"
    command = [
        sys.executable, str(EXAMPLES / "nightly_archive.py"), str(data),
        "--state", str(state_path), "--vault", "nightly", "--part-size-mib", "1",
    ]  # fmt: skip
    with (
        Emulator(job_delay_scale=0) as emu,
        CASClient(emu.endpoint, emu.appid, emu.secret_id, emu.secret_key) as client,
    ):
        api = CasAPI(client)
        env = _example_env(tmp_path)
        env.update(
            CAS_ENDPOINT=emu.endpoint, CAS_APPID=emu.appid, CAS_SECRET_ID=emu.secret_id,
            CAS_SECRET_KEY=emu.secret_key,
        )  # fmt: skip
        emu.faults.add_latency(0.3, method="PUT")  # each part takes 0.3 s: 24 parts, 8 at a time
        first = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 60
        stored: List[Any] = []
        while not stored:  # stop it once the state names the upload and the service holds a part
            assert time.monotonic() < deadline, "the first run never stored a part"
            assert first.poll() is None, first.communicate()
            upload_id = _state(state_path).get("upload_id")
            stored = list(api.list_all_parts("nightly", upload_id)) if upload_id else []
            time.sleep(0.05)
        first.send_signal(stop)
        out, err = first.communicate(timeout=60)
        if stop == signal.SIGINT:
            assert first.returncode == 130, (out, err)
            assert "run it again to resume upload" in out, (out, err)
        else:
            assert first.returncode == -signal.SIGKILL
        saved = _state(state_path)
        assert saved["upload_id"] == upload_id
        assert saved["archive_id"] is None
        before = _settled_part_count(api, upload_id)
        assert 1 <= before < 24, "the run was stopped too late to test a resume"

        emu.faults.reset()
        second = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert second.returncode == 0, (second.stdout, second.stderr)
        assert f"resuming upload {upload_id[:20]}" in second.stdout
        assert f"{before} MiB already stored" in second.stdout  # 1 MiB parts: one MiB per stored part

        saved = _state(state_path)
        expected = hash_file(data)
        assert saved["upload_id"] is None
        assert saved["tree_hash"] == expected.tree_hash
        # the archive is really there, with the file's tree hash: retrieve it and look
        job = Vault.get_vault_by_name(api, "nightly").retrieve_archive(saved["archive_id"])
        job.wait(timeout=60, poll_interval=0.05)
        assert job.archive_id == saved["archive_id"]
        assert job.retrieval_etag == expected.tree_hash
        assert job.archive_size == expected.size
        assert list(api.list_all_multipart_uploads("nightly")) == []  # the resumed upload completed

        third = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert third.returncode == 0, (third.stdout, third.stderr)
        assert "nothing to do" in third.stdout


# -- the nightly backup, stopped for real -----------------------------------------------------


def _share(output: str, lane: str) -> float:
    """The share the run printed for ``lane`` (``lane shares while both ran: High 91.2 %, ...``)."""
    line = next(text for text in output.splitlines() if text.startswith("lane shares while both ran:"))
    return float(line.split(f"{lane} ", 1)[1].split(" %", 1)[0]) / 100


def test_nightly_backup_demo_prints_both_transfers_and_the_lane_shares(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "nightly_backup.py")],
        cwd=ROOT, env=_example_env(tmp_path), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result
    out = result.stdout
    assert "started backup transfer 1 on the Low lane: 120 files" in out
    assert "started urgent transfer 2 on the High lane: 8 files" in out
    assert "| urgent 2 transferring:" in out  # both transfers' progress on one line
    assert 0.70 <= _share(out, "High") <= 0.99, out  # 0.70 : 0.05 promises 93 %; files are the unit
    assert "continuing backup transfer 1 from its last checkpoint:" in out.split("night 2:")[1]
    assert "backup 1 complete: 120/120 files" in out


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_nightly_backup_continues_after_being_stopped_mid_backup(
    stop: signal.Signals, tmp_path: Path
) -> None:
    """Stopped while the Low-lane backup runs, the next run continues both transfers' state and the
    bucket ends up holding every file, byte for byte."""
    folder = make_tree(tmp_path / "work" / "home", files=90, size=9000)
    urgent = make_tree(tmp_path / "work" / "report", files=6, size=60_000, seed=7)
    state = tmp_path / "work" / "state"
    command = [
        sys.executable, str(EXAMPLES / "nightly_backup.py"), str(folder), "--bucket", "nightly",
        "--urgent", str(urgent), "--state", str(state), "--rate", "300000",
    ]  # fmt: skip
    with Emulator(job_delay_scale=0) as emu:
        env = _example_env(tmp_path)
        env.update({k: v for k, v in emulator_exports(emu).items() if k.startswith("AWS_")})
        with S3Client(emu.endpoints["s3"], emu.secret_id, emu.secret_key) as client:
            bucket = Bucket.create(BucketAPI(client), "nightly")
            first = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )

            def backup_under_way() -> bool:
                assert first.poll() is None, first.communicate()
                if not state.exists():
                    return False
                with TransferManager(state, start=False) as watcher:  # reads what the run checkpointed
                    found = {t.user_data.get("role"): t for t in watcher.get_transfers()}
                return "backup" in found and found["backup"].files_done >= 15

            until(backup_under_way, "the backup to send 15 files", timeout=60)
            first.send_signal(stop)
            out, err = first.communicate(timeout=60)
            if stop == signal.SIGINT:
                assert first.returncode == 130, (out, err)
                assert "interrupted; run it again to continue from the last checkpoint" in out
            else:
                assert first.returncode == -signal.SIGKILL
            assert "started backup transfer 1 on the Low lane: 90 files" in out
            assert "lane shares while both ran: High" in out  # the urgent transfer was done by then
            assert 0.60 <= _share(out, "High") <= 0.99, out
            held = len(list(bucket.objects(prefix="backup/")))
            assert 6 + 15 <= held < 6 + 90, "stopped too late to test a resume"

            second = subprocess.run(
                command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
            )
            assert second.returncode == 0, (second.stdout, second.stderr)
            assert "continuing backup transfer 1 from its last checkpoint:" in second.stdout
            assert "backup 1 complete: 90/90 files" in second.stdout
            stored = {
                o.key[len("backup/") :]: bucket.get_bytes(o.key) for o in bucket.objects(prefix="backup/")
            }
    expected = dict(tree_files(folder))
    expected.update({f"report/{name}": data for name, data in tree_files(urgent).items()})
    assert stored == expected
