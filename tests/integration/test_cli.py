"""``cascmd`` end to end against the emulator: every command, exit codes, and no secret on screen."""

from __future__ import annotations

import io
import json
import os
import shlex
import subprocess
import sys
import threading
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest
import requests

from cassdk_like.bucket import BucketAPI, COSClient, S3Client
from cassdk_like.cli.main import main
from cassdk_like.emulator import Emulator
from cassdk_like.emulator.cli import DEFAULT_CAS_PORT, DEFAULT_PORTS, describe


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


REPO = Path(__file__).resolve().parents[2]


def _clean_env(tmp_path: Path, **extra: str) -> Dict[str, str]:
    """A child environment with this checkout first on the path and no connection settings of ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAS_", "AWS_")) and k != "CASSDK_CONFIG"}
    env.update(PYTHONPATH=str(REPO), CASSDK_CONFIG=str(tmp_path / "no-such-config"), **extra)
    return env


def _cascmd(*argv: str, env: Dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("cascmd")
    return subprocess.run(
        [str(script), *argv], capture_output=True, text=True, timeout=120, env=env, check=False
    )


def test_cascmd_serve_prints_services_and_exports_that_work(tmp_path: Path) -> None:
    """Start ``cascmd serve``, read its first lines, paste its exports, and use them."""
    env = _clean_env(tmp_path)
    script = Path(sys.executable).with_name("cascmd")
    argv = [str(script), "serve", "--port", "0", "--job-delay-scale", "0", "--data-dir", str(tmp_path / "d")]
    argv += ["--service-port", "s3=0", "--service-port", "cos=0", "--service-port", "reduct=0"]
    argv += ["--service-port", "direct=0"]
    argv += ["--reduct-token", "pasted-reduct-token"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    watchdog = threading.Timer(120, proc.kill)
    watchdog.start()
    lines: List[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Press Ctrl-C"):
                break
        services = [line.split() for line in lines if line.startswith("service ")]
        assert lines[0].startswith("service ")  # the services come first, one line each
        assert [name for _, name, _url in services] == ["cas", "s3", "cos", "reduct", "direct"]
        endpoint = services[0][2]
        assert endpoint.startswith("http://127.0.0.1:")
        assert not endpoint.endswith(":8383")
        exported: Dict[str, str] = {}
        for line in lines:
            if line.startswith("export "):
                name, _, value = line[len("export ") :].partition("=")
                exported[name] = shlex.split(value)[0]
        assert set(exported) == {
            "CAS_ENDPOINT", "CAS_APPID", "CAS_SECRET_ID", "CAS_SECRET_KEY",
            "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL_S3",
            "COS_ENDPOINT", "COS_APPID", "COS_REGION", "COS_SECRET_ID", "COS_SECRET_KEY",
            "REDUCT_URL", "REDUCT_API_TOKEN",
            "CTERA_DIRECTIO_URL", "CTERA_ACCESS_KEY_ID", "CTERA_SECRET_ACCESS_KEY",
        }  # fmt: skip
        assert exported["CAS_ENDPOINT"] == endpoint
        assert exported["AWS_ENDPOINT_URL_S3"] == services[1][2]
        assert exported["COS_ENDPOINT"] == services[2][2]
        assert exported["REDUCT_URL"] == services[3][2]
        assert exported["REDUCT_API_TOKEN"] == "pasted-reduct-token"
        me = requests.get(
            exported["REDUCT_URL"] + "/api/v1/me",
            headers={"Authorization": f"Bearer {exported['REDUCT_API_TOKEN']}"},
            timeout=30,
        )
        assert (me.status_code, me.json()["name"]) == (200, "init-token")

        cas_env = dict(env, **{k: v for k, v in exported.items() if k.startswith("CAS_")})
        made = _cascmd("create-vault", "pasted", env=cas_env)
        assert (made.returncode, made.stdout) == (0, "created vault pasted\n"), made.stderr
        glacier_env = dict(env, CAS_DIALECT="glacier", CAS_ENDPOINT=endpoint)
        glacier_env.update({k: v for k, v in exported.items() if k.startswith("AWS_")})
        listed = _cascmd("ls", env=glacier_env)
        assert listed.returncode == 0, listed.stderr
        assert "pasted" in listed.stdout
        assert exported["CAS_SECRET_KEY"] not in listed.stdout + listed.stderr

        # an object put with the S3 exports, published and read back with the DirectIO ones
        assert exported["CTERA_DIRECTIO_URL"] == services[4][2]
        source = tmp_path / "pasted.bin"
        source.write_bytes(os.urandom(100_000))
        object_env = dict(env, **{k: v for k, v in exported.items() if k.startswith(("AWS_", "CTERA_"))})
        for argv in (("bucket", "mb", "pasted"), ("bucket", "put", "-q", str(source), "pasted/p.bin")):
            done = _cascmd(*argv, env=object_env)
            assert done.returncode == 0, done.stderr
        published = _cascmd("direct", "publish", "pasted/p.bin", env=object_env)
        assert published.returncode == 0, published.stderr
        copy = tmp_path / "copy.bin"
        fetched = _cascmd("direct", "fetch", "-q", published.stdout.strip(), str(copy), env=object_env)
        assert fetched.returncode == 0, fetched.stderr
        assert copy.read_bytes() == source.read_bytes()
        assert exported["CTERA_SECRET_ACCESS_KEY"] not in published.stderr + fetched.stdout + fetched.stderr
        proc.terminate()
        _rest, errors = proc.communicate(timeout=30)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, errors
    assert "Traceback" not in errors


def test_cascmd_serve_gives_cas_8390_and_reductstore_its_own_8383(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["serve", "--help"])
    assert info.value.code == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "the CAS port; 0 picks a free one (default 8390)" in help_text
    assert "reduct=8383" in help_text
    assert "--reduct-token" in help_text
    assert DEFAULT_CAS_PORT == 8390
    assert DEFAULT_PORTS["reduct"] == 8383


def test_serve_refuses_conflicting_ports(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "1234", "--service-port", "cas=4321"]) == 1
    assert "disagree" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["serve", "--service-port", "cas"])
    assert info.value.code == 2


def test_importing_the_cli_does_not_load_the_emulator(tmp_path: Path) -> None:
    code = "import cassdk_like.cli.main, sys; assert 'cassdk_like.emulator' not in sys.modules, 'loaded'"
    env = _clean_env(tmp_path)
    command = [sys.executable, "-c", code]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env, check=False)
    assert done.returncode == 0, done.stderr
    version = _cascmd("--version", env=_clean_env(tmp_path))
    assert version.returncode == 0


def test_the_bucket_exports_of_serve_are_all_a_client_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    with Emulator(job_delay_scale=0) as emu:
        for line in describe(emu):
            if line.startswith("export "):
                name, _, value = line[len("export ") :].partition("=")
                monkeypatch.setenv(name, shlex.split(value)[0])
        for client, name in ((S3Client(), "exported-env"), (COSClient(), f"exported-env-{emu.appid}")):
            with client:  # endpoint, region, appid and keys all from the environment
                api = BucketAPI(client)
                api.create_bucket(name)
                assert name in [b.name for b in api.list_buckets()]
