"""``cascmd transfer`` end to end against the emulator's S3 service, the connection taken from the
exports ``cascmd serve`` prints (docs/cascmd.md §7): every subcommand, the state folder's lookup,
Ctrl-C during a foreground transfer, a suspend from another shell while ``run`` sends, and bad
input that ends in one line on stderr with cascmd's exit statuses and changes no state."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Dict, Iterator, Optional

import pytest

from cassdk_like.bucket import Bucket, BucketAPI, S3Client
from cassdk_like.cli.output import human_size
from cassdk_like.emulator import Emulator
from cassdk_like.transfer import TransferManager
from tests.helpers.cascmd import ROOT, Ran, cascmd_env, emulator_exports, run_cascmd
from tests.helpers.terminal import run_in_terminal
from tests.helpers.transfer_world import bucket_files, make_tree, tree_files, until

ENTRY = [sys.executable, "-c", "import sys; from cassdk_like.cli.main import main; sys.exit(main())"]


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(job_delay_scale=0) as emu:
        yield emu


@pytest.fixture
def env(emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Dict[str, str]:
    """The exports of ``cascmd serve`` in this process, a fresh HOME, and the state folder in the
    environment; the same as a child environment."""
    state = tmp_path / "state"
    child = cascmd_env(
        None, tmp_path / "home", **emulator_exports(emulator), CASSDK_TRANSFER_STATE=str(state)
    )
    for name, value in child.items():
        if name.startswith(("CAS_", "AWS_", "COS_", "CASSDK_")) or name == "HOME":
            monkeypatch.setenv(name, value)
    return child


@pytest.fixture
def bucket(emulator: Emulator) -> Iterator[Bucket]:
    with S3Client(emulator.endpoints["s3"], emulator.secret_id, emulator.secret_key) as client:
        yield Bucket.create(BucketAPI(client), f"cli-xfer-{uuid.uuid4().hex[:10]}")


def _transfer(*argv: str) -> Ran:
    return run_cascmd("transfer", *argv)


def _refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """A command line argparse refuses: exit status 2 before anything runs; its stderr."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as refused:
        run_cascmd("transfer", *argv)
    assert refused.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def _one_line_error(ran: Ran, command: str, status: int = 1) -> str:
    assert ran.status == status, ran
    assert "Traceback" not in ran.err
    lines = [line for line in ran.err.strip().splitlines() if not line.startswith(("usage:", " "))]
    assert len(lines) == 1, ran.err
    assert lines[0].startswith(f"cascmd transfer {command}: error: "), ran.err
    return lines[0]


def _json(ran: Ran) -> object:
    assert ran.status == 0, ran
    return json.loads(ran.out)


def test_create_sends_a_folder_in_the_foreground_and_list_and_show_report_it(
    bucket: Bucket, env: Dict[str, str], tmp_path: Path
) -> None:
    source = make_tree(tmp_path / "src", files=9, size=3000)
    ran = _transfer(
        "create", str(source), f"s3://{bucket.name}/nightly", "--lane", "Low", "--priority", "7",
        "--rate", "50MB/s", "--checkpoint", "0.2", "--overwrite", "never",
    )  # fmt: skip
    assert ran.status == 0, ran
    ident = int(ran.text)  # stdout holds the id alone
    assert f"transfer {ident}: 0/9 files" in ran.err
    assert "lane Low, priority 7, rate 50.0 MB/s" in ran.err
    assert bucket_files(bucket, "nightly") == tree_files(source)

    table = _transfer("list")
    assert table.status == 0, table
    header, row = table.out.splitlines()
    assert header.split() == ["ID", "STATUS", "LANE", "PRIORITY", "FILES", "BYTES", "RATE", "DESTINATION"]
    assert row.split()[:5] == [str(ident), "complete", "Low", "7", "9/9"]
    assert row.split()[-1] == f"s3://{bucket.name}/nightly"
    total = sum(len(data) for data in tree_files(source).values())
    [listed] = _json(_transfer("list", "-o", "json"))  # type: ignore[misc]
    assert listed["bytes_done"] == listed["bytes_total"] == total
    shown = _json(_transfer("show", str(ident), "--output", "json"))
    assert isinstance(shown, dict)
    assert (shown["status"], shown["lane"], shown["priority"], shown["rate"]) == ("complete", "Low", 7, 50e6)
    assert (shown["files_done"], shown["files_total"], shown["overwrite"]) == (9, 9, "never")
    assert shown["checkpoint_seconds"] == 0.2
    assert "files_done" in _transfer("show", str(ident)).out  # a FIELD/VALUE table

    again = _transfer("create", str(source), f"s3://{bucket.name}/nightly", "--overwrite", "never")
    assert again.status == 0, again
    assert _json(_transfer("show", again.text, "-o", "json"))["files_skipped"] == 9  # type: ignore[index]


def test_detach_records_and_run_sends_and_wait_reports(
    bucket: Bucket, env: Dict[str, str], tmp_path: Path
) -> None:
    source = make_tree(tmp_path / "src", files=4, size=2000)
    one = tmp_path / "single.bin"
    one.write_bytes(b"one file" * 100)
    first = _transfer("create", str(source), f"s3://{bucket.name}/a", "--detach")
    second = _transfer("create", str(one), f"s3://{bucket.name}/b", "--detach", "--path", "in")
    assert first.status == second.status == 0, (first, second)
    assert "to send it run: cascmd transfer run" in first.err
    waited = _transfer("wait", first.text, "--timeout", "0.3")
    assert waited.status == 4, waited
    assert "no manager runs" in waited.err
    assert "still queued after 0.3 s" in waited.err
    assert bucket_files(bucket, "a") == {}

    ran = _transfer("run")
    assert ran.status == 0, ran
    assert ran.out.splitlines() == [
        f"transfer {first.text} complete (4/4 files, {_size(source)} of {_size(source)})",
        f"transfer {second.text} complete (1/1 files, 800 B of 800 B)",
    ]
    assert bucket_files(bucket, "a") == tree_files(source)
    assert bucket_files(bucket, "b/in") == {"single.bin": one.read_bytes()}
    done = _transfer("wait", first.text)
    assert (done.status, done.text) == (
        0,
        f"transfer {first.text} complete (4/4 files, {_size(source)} of {_size(source)})",
    )
    assert "nothing to run" in _transfer("run").err


def _size(root: Path) -> str:
    return human_size(sum(len(data) for data in tree_files(root).values()))


def test_suspend_resume_fail_and_delete_by_id(bucket: Bucket, env: Dict[str, str], tmp_path: Path) -> None:
    source = make_tree(tmp_path / "src", files=3, size=1000)
    ident = _transfer("create", str(source), f"s3://{bucket.name}/c", "--detach").text
    busy = _transfer("delete", ident)
    assert "suspend or fail it first" in _one_line_error(busy, "delete")
    assert (
        _transfer("suspend", ident).text == f"transfer {ident} suspended (0/3 files, 0 B of {_size(source)})"
    )
    held = _transfer("wait", ident)
    assert held.status == 3, held
    assert f"cascmd transfer resume {ident}" in held.err
    resumed = _transfer("resume", ident)
    assert resumed.status == 0, resumed
    assert resumed.text.startswith(f"transfer {ident} queued")
    assert "cascmd transfer run" in resumed.err
    failed = _transfer("fail", ident, "--message", "not tonight")
    assert failed.text == f"transfer {ident} failed (0/3 files, 0 B of {_size(source)}): not tonight"
    assert "not tonight" in _one_line_error(_transfer("wait", ident), "wait")
    assert _transfer("delete", ident).text == f"deleted transfer {ident}"
    assert "no such transfer" in _one_line_error(_transfer("show", ident), "show")
    assert _transfer("list").out.splitlines()[1:] == []


def test_the_state_folder_comes_from_the_flag_the_environment_the_profile_or_home(
    env: Dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "f.txt"
    source.write_text("x")
    target = f"file://{tmp_path / 'out'}"
    flag, from_env, from_profile = tmp_path / "flag", tmp_path / "state", tmp_path / "profiled"
    assert _transfer("create", str(source), target, "--detach", "--state-dir", str(flag)).status == 0
    assert _transfer("create", str(source), target, "--detach").status == 0  # $CASSDK_TRANSFER_STATE
    config = tmp_path / "config"
    config.write_text(f"[nightly]\ntransfer_state_dir = {from_profile}\n")
    monkeypatch.setenv("CASSDK_CONFIG", str(config))
    monkeypatch.delenv("CASSDK_TRANSFER_STATE")
    assert _transfer("create", str(source), target, "--detach", "--profile", "nightly").status == 0
    assert _transfer("create", str(source), target, "--detach").status == 0  # the default under HOME
    home = Path(env["HOME"]) / ".cassdk" / "transfers"
    for folder in (flag, from_env, from_profile, home):
        with TransferManager(folder, start=False) as manager:
            assert [t.status for t in manager.get_transfers()] == ["queued"], folder


def test_bad_input_is_one_line_and_changes_nothing(
    bucket: Bucket, env: Dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = make_tree(tmp_path / "src", files=2, size=100)
    good = f"s3://{bucket.name}/p"
    for command in ("show", "suspend", "resume", "wait", "fail", "delete"):
        assert "transfer 999: no such transfer" in _one_line_error(_transfer(command, "999"), command)
        assert "a transfer id is a number" in _refused(capsys, command, "seven")
    for argv, needle in (
        (["--rate", "10 parsecs/s"], "argument --rate"),
        (["--rate", "0MB/s"], "above zero"),
        (["--overwrite", "sometimes"], "argument --overwrite"),
    ):
        assert needle in _refused(capsys, "create", str(source), good, *argv)
    for address in ("ftp://host/x", "s3:/bucket", "cos://noappid/x", "cas://vault/prefix", "file://relative"):
        assert "argument DEST" in _refused(capsys, "create", str(source), address), address
    missing = _one_line_error(_transfer("create", str(tmp_path / "nope"), good), "create")
    assert f"(local path: {tmp_path / 'nope'})" in missing
    lane = _one_line_error(_transfer("create", str(source), good, "--lane", "Fastest"), "create")
    assert "no lane 'Fastest'" in lane
    with TransferManager(env["CASSDK_TRANSFER_STATE"], start=False) as manager:
        assert (manager.get_transfers(), manager.get_destinations(), manager.get_manifests()) == ([], [], [])
    assert bucket_files(bucket, "p") == {}


def _child(argv: list, env: Dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*ENTRY, *argv], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _done(ident: str) -> int:
    return int(_json(_transfer("show", ident, "-o", "json"))["files_done"])  # type: ignore[index]


def test_ctrl_c_suspends_a_foreground_create_and_run_finishes_it(
    emulator: Emulator, bucket: Bucket, env: Dict[str, str], tmp_path: Path
) -> None:
    source = make_tree(tmp_path / "src", files=48, size=8000)
    puts = emulator.stats.count("PutObject")
    child = _child(
        [
            "transfer",
            "create",
            str(source),
            f"s3://{bucket.name}/k",
            "--rate",
            "120kB/s",
            "--checkpoint",
            "0.05",
        ],
        env,
    )
    try:
        assert child.stdout is not None
        ident = child.stdout.readline().strip()
        assert ident.isdigit(), ident
        until(lambda: _done(ident) >= 4, "four files checkpointed by the foreground create")
        child.send_signal(signal.SIGINT)
        _out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 130, err
    assert "Traceback" not in err
    assert f"suspended transfer(s) {ident} at their last checkpoint" in err
    assert f"cascmd transfer resume {ident} && cascmd transfer run" in err
    shown = _json(_transfer("show", ident, "-o", "json"))
    assert isinstance(shown, dict)
    assert shown["status"] == "suspended"
    assert shown["files_done"] == emulator.stats.count("PutObject") - puts < 48  # drained and recorded

    assert _transfer("resume", ident).status == 0
    finished = _transfer("run")
    assert finished.status == 0, finished
    assert emulator.stats.count("PutObject") - puts == 48  # nothing sent twice
    assert bucket_files(bucket, "k") == tree_files(source)


def test_a_suspend_from_another_shell_reaches_a_running_run(
    emulator: Emulator, bucket: Bucket, env: Dict[str, str], tmp_path: Path
) -> None:
    source = make_tree(tmp_path / "src", files=40, size=8000)
    target = f"s3://{bucket.name}/r"
    ident = _transfer(
        "create", str(source), target, "--rate", "150kB/s", "--checkpoint", "0.05", "--detach"
    ).text
    runner = _child(["transfer", "run"], env)
    try:
        until(lambda: _done(ident) >= 3, "three files sent by cascmd transfer run")
        held = _transfer("suspend", ident)  # waits while the other process drains
        assert held.status == 0, held
        assert held.text.startswith(f"transfer {ident} suspended")
        out, err = runner.communicate(timeout=60)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.communicate()
    assert runner.returncode == 3, err  # run ends: its only transfer is suspended
    assert out.startswith(f"transfer {ident} suspended"), out
    assert _transfer("resume", ident).status == 0
    assert _transfer("run").status == 0
    assert bucket_files(bucket, "r") == tree_files(source)


def test_at_a_terminal_the_progress_line_is_redrawn_and_ctrl_c_suspends(
    env: Dict[str, str], tmp_path: Path
) -> None:
    source = make_tree(tmp_path / "src", files=40, size=5000)
    out = tmp_path / "copy"

    def press_ctrl_c(screen: bytes) -> Optional[bytes]:
        return b"\x03" if screen.count(b"\r") >= 3 else None  # once the line was redrawn a few times

    status, shown = run_in_terminal(
        [*ENTRY[1:], "transfer", "create", str(source), f"file://{out}", "--rate", "50kB/s"],
        env,
        on_output=press_ctrl_c,
        timeout=60,
    )
    screen = shown.decode(errors="replace")
    assert status == 130, screen
    assert "Traceback" not in screen
    assert re.search(r"\rtransfer 1 transferring: \d+/40 files", screen), screen
    assert "cascmd transfer resume 1 && cascmd transfer run" in " ".join(screen.split())
    assert _json(_transfer("show", "1", "-o", "json"))["status"] == "suspended"  # type: ignore[index]
    assert _transfer("resume", "1").status == 0
    assert _transfer("run", "-q").status == 0
    assert tree_files(out) == tree_files(source)
