"""``cascmd bucket`` end to end against the emulator, in both dialects, with the connection taken
from the environment ``cascmd serve`` prints (as a user pastes it)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shlex
import uuid
from pathlib import Path
from typing import Iterator, Tuple

import pytest
import requests

from cassdk_like.cli.main import main
from cassdk_like.emulator import Emulator
from cassdk_like.emulator.cli import describe

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(job_delay_scale=0) as emu:
        yield emu


@pytest.fixture(params=["s3", "cos"])
def dialect(request: pytest.FixtureRequest, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> str:
    for line in describe(emulator):
        if line.startswith("export "):
            name, _, value = line[len("export ") :].partition("=")
            monkeypatch.setenv(name, shlex.split(value)[0])
    monkeypatch.setenv("CASSDK_BUCKET_DIALECT", str(request.param))
    return str(request.param)


def _run(*argv: str) -> Tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["bucket", *argv], out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def _name() -> str:
    return f"cli-{uuid.uuid4().hex[:10]}"


def test_a_bucket_round_trip_from_the_shell(dialect: str, emulator: Emulator, tmp_path: Path) -> None:
    bucket = _name()
    status, made, _ = _run("mb", bucket)
    assert status == 0
    full = made.split()[1]  # COS appends -<appid>
    assert full == (bucket if dialect == "s3" else f"{bucket}-{emulator.appid}")
    # again: us-east-1 answers 200 to a bucket you own (S3's legacy rule), COS BucketAlreadyExists
    assert _run("mb", bucket)[0] == (0 if dialect == "s3" else 1)
    assert _run("mb", bucket, "--exist-ok")[0] == 0
    assert full in _run("ls")[1]
    data = os.urandom(6 * MiB + 5)
    source = tmp_path / "data.bin"
    source.write_bytes(data)
    status, said, err = _run("put", "--part-size-mib", "5", str(source), f"{bucket}/dir/data.bin")
    assert (status, err) == (0, "")
    assert f"uploaded {len(data):,} bytes" in said
    assert "2 parts" in said
    status, listing, _ = _run("ls", f"{bucket}/dir/")
    assert status == 0
    assert "dir/data.bin" in listing
    assert "6.0 MiB" in listing
    assert _run("ls", "--dirs", bucket)[1].split() == ["PREFIX", "dir/"]
    status, head, _ = _run(
        "head", f"s3://{bucket}/dir/data.bin" if dialect == "s3" else f"{bucket}/dir/data.bin"
    )
    assert status == 0
    assert f'"sha256": "{hashlib.sha256(data).hexdigest()}"' in head
    target = tmp_path / "back.bin"
    status, saved, _ = _run("get", f"{bucket}/dir/data.bin", str(target))
    assert status == 0
    assert "verified" in saved
    assert target.read_bytes() == data
    status, _, err = _run("get", f"{bucket}/dir/data.bin", str(target))
    assert status == 1
    assert "--force" in err
    assert _run("get", "--force", f"{bucket}/dir/data.bin", str(target))[0] == 0
    assert _run("rb", bucket)[0] == 1  # not empty
    status, removed, _ = _run("rm", f"{bucket}/dir/data.bin")
    assert (status, removed.strip()) == (0, f"deleted {full}/dir/data.bin")
    assert _run("rb", bucket)[:2] == (0, f"deleted bucket {full}\n")


def test_a_presigned_url_goes_to_stdout_only(dialect: str, emulator: Emulator, tmp_path: Path) -> None:
    bucket = _name()
    _run("mb", bucket)
    source = tmp_path / "s.txt"
    source.write_bytes(b"shared")
    _run("put", str(source), f"{bucket}/s.txt")
    status, url, err = _run("presign", "--expires", "60", f"{bucket}/s.txt")
    assert (status, err) == (0, "")
    url = url.strip()
    if dialect == "s3":
        fetched = requests.get(url, timeout=10)
    else:  # the URL names the COS host; connect to the emulator with that Host
        host = url.split("/")[2]
        fetched = requests.get(
            emulator.endpoints["cos"] + url.split(host, 1)[1], headers={"Host": host}, timeout=10
        )
    status_code = fetched.status_code  # a plain value: a failing assert must not print the URL
    assert status_code == 200
    assert fetched.content == b"shared"


def test_a_kept_upload_is_listed_resumed_and_aborted(
    dialect: str, emulator: Emulator, tmp_path: Path
) -> None:
    bucket = _name()
    _run("mb", bucket)
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(11 * MiB))
    # every part fails, and at once: a 400 is not retried
    emulator.faults.fail_next(None, status=400, code="InvalidRequest", operation="UploadPart")
    try:
        status, _, err = _run(
            "put", "--keep-for-resume", "--part-size-mib", "5", str(source), f"{bucket}/big.bin"
        )
    finally:
        emulator.faults.reset()
    assert status == 1
    assert "resume with: cascmd bucket put --upload-id=" in err
    upload_id = err.split("--upload-id=", 1)[1].split()[0]
    status, listed, _ = _run("uploads", bucket)
    assert status == 0
    assert upload_id in listed
    status, said, _ = _run(
        "put", f"--upload-id={upload_id}", "--part-size-mib", "5", str(source), f"{bucket}/big.bin"
    )
    assert status == 0
    assert "3 parts" in said
    assert upload_id not in _run("uploads", bucket)[1]
    emulator.faults.fail_next(None, status=400, code="InvalidRequest", operation="UploadPart")
    try:
        assert (
            _run("put", "--keep-for-resume", "--part-size-mib", "5", str(source), f"{bucket}/again.bin")[0]
            == 1
        )
    finally:
        emulator.faults.reset()
    status, aborted, _ = _run("abort", "--all", bucket)
    assert status == 0
    assert "again.bin" in aborted
    assert _run("uploads", bucket)[1].split() == ["KEY", "UPLOAD", "ID", "INITIATED"]


def test_bad_targets_are_usage_errors_before_anything_is_sent(dialect: str, tmp_path: Path) -> None:
    status, _, err = _run("get", "just-a-bucket", str(tmp_path / "x"))
    assert status == 1
    assert "expected BUCKET/KEY" in err
    status, _, err = _run("put", str(tmp_path / "missing.bin"), "b/k")
    assert status == 1
    assert "missing.bin" in err
    status, _, err = _run("rm", "a/k", "b/k")
    assert (status, "same bucket" in err) == (1, True)


def test_no_secret_reaches_the_screen_on_failure(
    dialect: str, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-value")
    monkeypatch.setenv("COS_SECRET_KEY", "wrong-secret-value")
    status, out, err = _run("ls")
    assert status == 1
    assert "SignatureDoesNotMatch" in err or "403" in err
    assert "wrong-secret-value" not in out + err
    assert emulator.secret_key not in out + err


def test_bucket_listings_have_json_with_exact_sizes(dialect: str, tmp_path: Path) -> None:
    bucket = _name()
    full = _run("mb", bucket)[1].split()[1]
    source = tmp_path / "two.bin"
    source.write_bytes(os.urandom(2 * MiB))
    assert _run("put", str(source), f"{bucket}/a/two.bin")[0] == 0
    status, listed, _ = _run("ls", "--output", "json", f"{bucket}/a/")
    assert status == 0
    [entry] = json.loads(listed)
    assert (entry["key"], entry["size"]) == ("a/two.bin", 2 * MiB)
    assert "2.0 MiB" in _run("ls", f"{bucket}/a/")[1]
    buckets = json.loads(_run("ls", "-o", "json")[1])
    assert full in [b["name"] for b in buckets]
    assert json.loads(_run("uploads", "-o", "json", bucket)[1]) == []
