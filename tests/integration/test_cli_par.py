"""``cascmd par`` end to end against the emulator, in both dialects: the issuer's connection taken
from the exports ``cascmd serve`` prints, the recipient holding only the PAR file and a key
(docs/cascmd.md §6). Bad input ends in one line on stderr, a non-zero status and no secret."""

from __future__ import annotations

import io
import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest

from cassdk_like.bucket import Bucket, BucketAPI, COSClient, S3Client
from cassdk_like.cli.main import main
from cassdk_like.emulator import Emulator
from cassdk_like.par import PARKeyPair
from tests.helpers.cascmd import cascmd_env, emulator_exports, run_cascmd_process
from tests.helpers.terminal import run_in_terminal

KEY_PASS = "the recipient's key passphrase"
PAR_PASS = "a shared passphrase for the PAR"
ENTRY = ["-c", "import sys; from cassdk_like.cli.main import main; sys.exit(main())"]


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(job_delay_scale=0) as emu:
        yield emu


def _exports(emulator: Emulator) -> Dict[str, str]:
    return emulator_exports(emulator)


@pytest.fixture(params=["s3", "cos"])
def dialect(request: pytest.FixtureRequest, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> str:
    for name, value in _exports(emulator).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CASSDK_BUCKET_DIALECT", str(request.param))
    monkeypatch.setenv("KEY_PASS", KEY_PASS)
    monkeypatch.setenv("PAR_PASS", PAR_PASS)
    return str(request.param)


@pytest.fixture
def bucket(emulator: Emulator, dialect: str) -> Iterator[Bucket]:
    if dialect == "s3":
        client = S3Client(emulator.endpoints["s3"], addressing="path")
    else:
        client = COSClient(
            os.environ["COS_REGION"], os.environ["COS_APPID"], endpoint=emulator.endpoints["cos"]
        )
    with client:
        yield Bucket.create(BucketAPI(client), f"cli-par-{uuid.uuid4().hex[:10]}")


@pytest.fixture
def keys(tmp_path: Path) -> Tuple[Path, Path]:
    """The recipient's key pair on disk: the public PEM, and the private PEM under KEY_PASS."""
    pair = PARKeyPair.generate()
    public, private = tmp_path / "bob.pub", tmp_path / "bob.key"
    public.write_bytes(pair.public_pem())
    private.write_bytes(pair.private_pem(KEY_PASS))
    return public, private


@pytest.fixture
def connect(emulator: Emulator, dialect: str) -> List[str]:
    """What the recipient adds so that COS URLs (bucket host names) reach the emulator."""
    return [] if dialect == "s3" else ["--connect-url", emulator.endpoints["cos"]]


def _run(*argv: str) -> Tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["par", *argv], out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def _short(bucket: Bucket) -> str:
    """The name a COS user types (without -<appid>)."""
    return bucket.name.rsplit("-", 1)[0] if isinstance(bucket.api.client, COSClient) else bucket.name


def _one_line_error(status: int, out: str, err: str, command: str) -> str:
    assert status == 1, err
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"cascmd par {command}: error: "), err
    for secret in (KEY_PASS, PAR_PASS, "X-Amz-Signature", "q-signature", "http"):
        assert secret not in err
    return err


def test_create_show_and_get_through_a_read_par(
    bucket: Bucket, keys: Tuple[Path, Path], connect: List[str], dialect: str, tmp_path: Path
) -> None:
    data = os.urandom(3 * 1024 * 1024 + 5)
    bucket.put("share/photo.bin", data)
    public, private = keys
    saved = tmp_path / "photo.par"
    status, out, err = _run(
        "create", f"{_short(bucket)}/share/photo.bin", "--read", "--expires-in", "10m",
        "--recipient-public-key", str(public), "--save", str(saved),
    )  # fmt: skip
    assert (status, out) == (0, ""), err
    assert "NOT revocable" in err
    assert oct(saved.stat().st_mode & 0o777) == "0o600"
    document = json.loads(saved.read_text())
    assert document["perms"] == ["read"]
    assert "X-Amz" not in saved.read_text() and "q-sign" not in saved.read_text()  # noqa: PT018

    status, table, _ = _run("show", str(saved))
    assert status == 0
    rows = dict(line.split(None, 1) for line in table.splitlines()[1:])
    assert rows["kind"] == "object"
    assert rows["key"] == "share/photo.bin"
    assert rows["permissions"] == "read"
    assert rows["service"] == dialect
    assert 540 < int(rows["seconds_remaining"]) <= 600
    status, shown, _ = _run("show", str(saved), "--output", "json")
    described = json.loads(shown)
    assert described["expires_at"] == document["expires_at"]
    assert described["revocable"] is False
    assert "http" not in shown

    target = tmp_path / "got.bin"
    argv = ["get", str(saved), str(target), "--private-key", str(private), "--passphrase-env", "KEY_PASS"]
    status, said, err = _run(*argv, *connect, "--workers", "4")
    assert status == 0, err
    assert target.read_bytes() == data
    assert f"saved {len(data):,} bytes" in said
    assert "verified" in said
    status, out, err = _run(*argv, *connect)
    assert "the destination exists (pass --force" in _one_line_error(status, out, err, "get")
    assert _run(*argv, *connect, "--force")[0] == 0


def test_get_to_stdout_in_a_child_process(
    emulator: Emulator, bucket: Bucket, keys: Tuple[Path, Path], connect: List[str], tmp_path: Path
) -> None:
    data = os.urandom(200_000)
    bucket.put("piped", data)
    public, private = keys
    saved = tmp_path / "piped.par"
    assert _run(
        "create", f"{_short(bucket)}/piped", "--read", "--recipient-public-key", str(public),
        "--save", str(saved),
    )[0] == 0  # fmt: skip
    env = cascmd_env(None, tmp_path, KEY_PASS=KEY_PASS)
    done = run_cascmd_process(
        [
            "par",
            "get",
            str(saved),
            "-",
            "--private-key",
            str(private),
            "--passphrase-env",
            "KEY_PASS",
            *connect,
        ],
        env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == data
    assert done.stderr == b""  # no bar when stderr is not a terminal


def test_put_through_an_object_par_and_a_bucket_par(
    bucket: Bucket, connect: List[str], tmp_path: Path
) -> None:
    source = tmp_path / "report.pdf"
    source.write_bytes(os.urandom(70_000))
    status, par_text, err = _run(
        "create", f"{_short(bucket)}/in/report.pdf", "--write", "--duration", "900",
        "--passphrase-env", "PAR_PASS",
    )  # fmt: skip
    assert status == 0, err
    one = tmp_path / "one.par"
    one.write_text(par_text)
    status, said, err = _run("put", str(one), str(source), "--passphrase-env", "PAR_PASS", *connect)
    assert status == 0, err
    assert f"uploaded 70,000 bytes to {bucket.name}/in/report.pdf" in said
    assert bucket.get_bytes("in/report.pdf") == source.read_bytes()

    inbox = tmp_path / "inbox.par"
    assert _run(
        "create", _short(bucket), "--write", "--key-prefix", "drop/", "--passphrase-env", "PAR_PASS",
        "--save", str(inbox),
    )[0] == 0  # fmt: skip
    status, said, err = _run(
        "put", str(inbox), str(source), "2026/r.pdf", "--passphrase-env", "PAR_PASS", *connect
    )
    assert status == 0, err
    assert f"{bucket.name}/drop/2026/r.pdf" in said
    assert bucket.get_bytes("drop/2026/r.pdf") == source.read_bytes()
    status, _, err = _run("put", str(inbox), str(source), "--passphrase-env", "PAR_PASS")
    assert status == 2
    assert "give KEY" in err
    status, out, err = _run(
        "put", str(inbox), str(source), "../up.pdf", "--passphrase-env", "PAR_PASS", *connect
    )
    assert "segment" in _one_line_error(status, out, err, "put")


def test_close_says_whether_the_service_revoked_it(
    emulator: Emulator,
    bucket: Bucket,
    keys: Tuple[Path, Path],
    connect: List[str],
    dialect: str,
    tmp_path: Path,
) -> None:
    bucket.put("doc", b"until closed")
    public, private = keys
    registry = f"{emulator.endpoints[dialect]}/_emulator/{dialect}/par-grants"
    key_args = ["--private-key", str(private), "--passphrase-env", "KEY_PASS"]
    revocable, plain = tmp_path / "revocable.par", tmp_path / "plain.par"
    # different lifetimes: two PARs for one object made in the same second with the same lifetime
    # carry the same presigned URL, which the registry cannot tell apart
    for path, extra in ((revocable, ["--registry", registry, "--expires-in", "30m"]), (plain, [])):
        made = _run("create", f"{_short(bucket)}/doc", "--read", "--recipient-public-key", str(public),
                    "--save", str(path), *extra)  # fmt: skip
        assert made[0] == 0, made[2]
    assert _run("get", str(revocable), str(tmp_path / "before"), *key_args, *connect)[0] == 0

    status, said, err = _run("close", str(revocable), *key_args)
    assert (status, err) == (0, "")
    assert said.startswith("revoked PAR ")
    status, out, err = _run("get", str(revocable), str(tmp_path / "after"), *key_args, *connect)
    assert "403" in _one_line_error(status, out, err, "get")
    assert not (tmp_path / "after").exists()

    status, said, err = _run("close", str(plain), *key_args, "--output", "json")
    assert status == 1
    assert json.loads(said)["revoked"] is False
    assert "cannot be revoked" in json.loads(said)["detail"]
    assert "was not revoked" in err
    # honest: the URL still works
    still = _run("get", str(plain), str(tmp_path / "still"), *key_args, *connect)
    assert still[0] == 0, still[2]
    assert (tmp_path / "still").read_bytes() == b"until closed"


def test_bad_input_is_one_line_without_a_secret(
    emulator: Emulator, bucket: Bucket, keys: Tuple[Path, Path], connect: List[str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    bucket.put("k", b"x")
    public, private = keys
    sealed = tmp_path / "pass.par"
    assert (
        _run(
            "create", f"{_short(bucket)}/k", "--read", "--passphrase-env", "PAR_PASS", "--save", str(sealed)
        )[0]
        == 0
    )
    before = emulator.stats.total_requests

    monkeypatch.setenv("WRONG", "not the passphrase it was sealed under")
    status, out, err = _run("get", str(sealed), str(tmp_path / "o"), "--passphrase-env", "WRONG", *connect)
    assert "passphrase" in _one_line_error(status, out, err, "get")
    assert "not the passphrase it was sealed under" not in err

    document = json.loads(sealed.read_text())
    document["key"] = "other"
    tampered = tmp_path / "tampered.par"
    tampered.write_text(json.dumps(document))
    status, out, err = _run(
        "get", str(tampered), str(tmp_path / "o"), "--passphrase-env", "PAR_PASS", *connect
    )
    assert "changed" in _one_line_error(status, out, err, "get")
    (tmp_path / "junk.par").write_text("{not json")
    status, out, err = _run("show", str(tmp_path / "junk.par"))
    assert "not PAR JSON" in _one_line_error(status, out, err, "show")

    status, out, err = _run("get", str(sealed), str(tmp_path / "o"), "--private-key", str(private),
                            "--passphrase-env", "KEY_PASS", *connect)  # fmt: skip
    _one_line_error(status, out, err, "get")  # a passphrase PAR opened with a key

    write_only = tmp_path / "w.par"
    made = _run("create", f"{_short(bucket)}/k", "--write", "--recipient-public-key", str(public),
                "--save", str(write_only))  # fmt: skip
    assert made[0] == 0
    status, out, err = _run("get", str(write_only), str(tmp_path / "o"), "--private-key", str(private),
                            "--passphrase-env", "KEY_PASS", *connect)  # fmt: skip
    assert "not read" in _one_line_error(status, out, err, "get")
    assert not (tmp_path / "o").exists()
    assert emulator.stats.total_requests == before  # every refusal came before sending

    status, out, err = _run("create", f"{_short(bucket)}/k", "--read", "--passphrase-env", "UNSET_VAR_XYZ")
    assert status == 2
    assert "UNSET_VAR_XYZ" in err
    with pytest.raises(SystemExit) as refused:  # no such option, nor an abbreviation of --passphrase-env
        _run("create", f"{_short(bucket)}/k", "--read", "--passphrase", "PAR_PASS")
    assert refused.value.code == 2
    assert "unrecognized arguments: --passphrase" in capsys.readouterr().err
    status, _, err = _run("create", f"{_short(bucket)}/k", "--passphrase-env", "PAR_PASS")
    assert status == 2
    assert "--read, --write" in err
    monkeypatch.setenv("SHORT", "short")
    status, out, err = _run("create", f"{_short(bucket)}/k", "--read", "--passphrase-env", "SHORT")
    assert "at least 12 characters" in _one_line_error(status, out, err, "create")
    with pytest.raises(SystemExit) as refused:
        _run(
            "create", f"{_short(bucket)}/k", "--read", "--expires-in", "soon", "--passphrase-env", "PAR_PASS"
        )
    assert refused.value.code == 2
    assert "15m" in capsys.readouterr().err


def test_a_passphrase_is_asked_for_on_a_terminal(
    emulator: Emulator, bucket: Bucket, connect: List[str], tmp_path: Path
) -> None:
    bucket.put("tty", b"typed at the terminal")
    sealed = tmp_path / "tty.par"
    assert (
        _run(
            "create", f"{_short(bucket)}/tty", "--read", "--passphrase-env", "PAR_PASS", "--save", str(sealed)
        )[0]
        == 0
    )
    dest = tmp_path / "tty.bin"

    def type_passphrase(screen: bytes) -> bytes:
        return (PAR_PASS + "\n").encode() if b"PAR passphrase:" in screen else b""

    status, shown = run_in_terminal(
        [*ENTRY, "par", "get", str(sealed), str(dest), *connect],
        cascmd_env(None, tmp_path),
        on_output=type_passphrase,
    )
    screen = shown.decode(errors="replace")
    assert status == 0, screen
    assert PAR_PASS not in screen  # not echoed
    assert dest.read_bytes() == b"typed at the terminal"
    done = run_cascmd_process(
        ["par", "get", str(sealed), str(tmp_path / "x"), *connect],
        cascmd_env(None, tmp_path),
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert b"--passphrase-env" in done.stderr
