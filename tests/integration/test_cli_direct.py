"""``cascmd direct`` end to end against the emulator's DirectIO portal, the key pair taken from
the environment or the ``[directio]`` profile as a user would set them."""

from __future__ import annotations

import io
import json
import os
import re
import socket
from pathlib import Path
from typing import Iterator, Tuple

import pytest

from cassdk_like.bucket import Bucket, BucketAPI, S3Client
from cassdk_like.cli.main import main
from cassdk_like.emulator import Emulator
from tests.helpers.cascmd import cascmd_env, run_cascmd_process
from tests.helpers.terminal import run_in_terminal

BLOCK = 16 * 1024
CONTENT = os.urandom(3 * BLOCK + 777)


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(job_delay_scale=0) as emu:
        yield emu


@pytest.fixture(scope="module")
def file_id(emulator: Emulator) -> int:
    return emulator.direct.publish_file(CONTENT, block_size=BLOCK, codec="snappy", block_format=2)


@pytest.fixture
def portal(emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Emulator:
    key = emulator.direct.default_credentials
    monkeypatch.setenv("CASSDK_CONFIG", str(tmp_path / "no-such-config"))
    monkeypatch.setenv("CTERA_DIRECTIO_URL", emulator.endpoints["direct"])
    monkeypatch.setenv("CTERA_ACCESS_KEY_ID", key.access_key_id)
    monkeypatch.setenv("CTERA_SECRET_ACCESS_KEY", key.secret_access_key)
    return emulator


def _run(*argv: str) -> Tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["direct", *argv], out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_metadata_as_a_table_and_as_json(portal: Emulator, file_id: int) -> None:
    status, out, err = _run("metadata", str(file_id))
    assert (status, err) == (0, "")
    rows = dict(line.split(None, 1) for line in out.splitlines()[1:])
    assert rows["blocks"] == "4"
    assert rows["block_format"] == "2"
    assert rows["size"] == "48.8 KiB"
    status, out, _ = _run("metadata", str(file_id), "--output", "json")
    doc = json.loads(out)
    assert doc["size"] == len(CONTENT)
    assert [b["length"] for b in doc["blocks"]] == [BLOCK, BLOCK, BLOCK, 777]
    assert len(doc["key_fingerprint"]) > 0
    secret = portal.direct.default_credentials.secret_access_key
    assert secret not in out


def test_fetch_a_file_and_a_range_without_clobbering(portal: Emulator, file_id: int, tmp_path: Path) -> None:
    dest = tmp_path / "out.bin"
    status, out, _ = _run("fetch", str(file_id), str(dest), "-q")
    assert status == 0
    assert dest.read_bytes() == CONTENT
    assert f"saved {len(CONTENT):,} bytes" in out
    status, _, err = _run("fetch", str(file_id), str(dest), "--range", "10-20")
    assert status == 1
    assert err.startswith("cascmd direct fetch: error: file ")
    assert "--force" in err
    assert dest.read_bytes() == CONTENT
    status, _, _ = _run("fetch", str(file_id), str(dest), "--range", f"{BLOCK - 5}-{BLOCK + 4}", "--force")
    assert status == 0
    assert dest.read_bytes() == CONTENT[BLOCK - 5 : BLOCK + 5]
    status, _, _ = _run("fetch", str(file_id), str(dest), "--range", f"{3 * BLOCK}-", "--force")
    assert status == 0
    assert dest.read_bytes() == CONTENT[3 * BLOCK :]


def test_fetch_to_stdout_in_a_child_process(portal: Emulator, file_id: int, tmp_path: Path) -> None:
    env = _child_env(portal, tmp_path)
    done = run_cascmd_process(["direct", "fetch", str(file_id), "-", "--range", "100-40000"], env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == CONTENT[100:40001]


def _child_env(portal: Emulator, home: Path) -> dict:
    key = portal.direct.default_credentials
    return cascmd_env(
        None,
        home,
        CTERA_DIRECTIO_URL=portal.endpoints["direct"],
        CTERA_ACCESS_KEY_ID=key.access_key_id,
        CTERA_SECRET_ACCESS_KEY=key.secret_access_key,
    )


def test_fetch_draws_a_progress_bar_on_a_terminal_and_the_result_on_stdout(
    portal: Emulator, file_id: int, tmp_path: Path
) -> None:
    dest = tmp_path / "tty.bin"
    command = ["-c", "import sys; from cassdk_like.cli.main import main; sys.exit(main())"]
    status, shown = run_in_terminal(
        [*command, "direct", "fetch", str(file_id), str(dest)], _child_env(portal, tmp_path)
    )
    screen = shown.decode(errors="replace")
    assert status == 0, screen
    assert re.search(rf"fetch {file_id}: 100%\|[^|]*\| 48\.[0-9]k/48\.[0-9]k", screen), screen
    assert f"saved {len(CONTENT):,} bytes" in screen
    assert dest.read_bytes() == CONTENT
    done = run_cascmd_process(
        ["direct", "fetch", str(file_id), str(tmp_path / "piped.bin")], _child_env(portal, tmp_path)
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""  # no bar when stderr is not a terminal


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--range", "20-10"], "END is before START"),
        (["--range", "ten-20"], "START-END"),
        (["--workers", "0"], "must be at least 1"),
    ],
)
def test_usage_mistakes_exit_2_before_anything_is_sent(
    portal: Emulator, file_id: int, tmp_path: Path, argv: list, says: str
) -> None:
    before = portal.stats.total_requests
    status, _, err = _run("fetch", str(file_id), str(tmp_path / "x"), *argv)
    assert status == 2
    assert says in err
    assert portal.stats.total_requests == before
    assert os.listdir(tmp_path) == []


def test_errors_name_the_command_and_hide_the_secret(
    portal: Emulator, file_id: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = portal.direct.default_credentials.secret_access_key
    status, _, err = _run("metadata", "987654321")
    assert status == 1
    assert err.startswith("cascmd direct metadata: error: file 987654321")
    status, _, err = _run("fetch", "12a", str(tmp_path / "x"))
    assert (status, err.startswith("cascmd direct fetch: error: file '12a'")) == (1, True)
    status, _, err = _run("fetch", str(file_id), str(tmp_path / "missing" / "x"))
    assert status == 1
    assert err.strip().endswith(f"(local path: {tmp_path / 'missing' / 'x'})")
    monkeypatch.setenv("CTERA_SECRET_ACCESS_KEY", secret[:-2] + "zz")  # a wrong secret of the right shape
    status, _, err = _run("fetch", str(file_id), str(tmp_path / "y"))
    assert status == 1
    assert err.startswith("cascmd direct fetch: error: ")
    assert secret[:-2] not in err
    assert os.listdir(tmp_path) == []
    monkeypatch.delenv("CTERA_SECRET_ACCESS_KEY")
    status, _, err = _run("metadata", str(file_id))
    assert status == 1
    assert "CTERA_SECRET_ACCESS_KEY" in err


def test_the_directio_profile_is_read(
    emulator: Emulator, file_id: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = emulator.direct.default_credentials
    config = tmp_path / "config"
    config.write_text(
        f"[directio]\nurl = {emulator.endpoints['direct']}\naccess_key_id = {key.access_key_id}\n"
        f"secret_access_key = {key.secret_access_key}\n"
    )
    config.chmod(0o600)
    monkeypatch.setenv("CASSDK_CONFIG", str(config))
    for name in ("CTERA_DIRECTIO_URL", "CTERA_ACCESS_KEY_ID", "CTERA_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    status, out, _ = _run("metadata", str(file_id), "-o", "json")
    assert status == 0
    assert json.loads(out)["file_id"] == file_id


@pytest.mark.parametrize(("extra", "block_format"), [((), 1), (("--block-format", "2"), 2)])
def test_publish_an_object_of_the_emulator_then_fetch_it(
    portal: Emulator, tmp_path: Path, extra: Tuple[str, ...], block_format: int
) -> None:
    data = os.urandom(2 * BLOCK + 5)
    with S3Client(portal.endpoints["s3"], portal.secret_id, portal.secret_key, region="us-east-1") as s3:
        bucket = Bucket.create(BucketAPI(s3), f"cli-publish-{block_format}", exist_ok=True)
        bucket.put("docs/report.bin", data)
    status, out, err = _run("publish", f"{bucket.name}/docs/report.bin", "--block-size-kib", "16", *extra)
    assert status == 0, err
    new_id = out.strip()
    assert new_id.isdigit()
    assert f"as file {new_id} (3 blocks)" in err
    status, described, _ = _run("metadata", new_id, "--output", "json")
    assert (status, json.loads(described)["block_format"]) == (0, block_format)
    dest = tmp_path / "report.bin"
    assert _run("fetch", new_id, str(dest), "-q")[0] == 0
    assert dest.read_bytes() == data


def test_publish_refuses_a_missing_object_and_a_server_that_is_not_the_emulator(portal: Emulator) -> None:
    status, _, err = _run("publish", "no-such-bucket/none.bin")
    assert status == 1
    assert err.startswith("cascmd direct publish: error:")
    assert "404" in err
    with socket.socket() as unused:  # a port nothing listens on
        unused.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{unused.getsockname()[1]}"
    status, _, err = _run("publish", "b/k", "--url", nowhere)
    assert status == 1
    assert f"could not reach {nowhere} (ConnectionError)" in err
    status, _, err = _run("publish", "no-key")
    assert status == 2
    assert "BUCKET/KEY" in err
