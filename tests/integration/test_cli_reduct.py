"""``cascmd reduct`` end to end against the emulator's ReductStore service with authentication on,
the connection from the exports ``cascmd serve`` prints (as a user pastes them)."""

from __future__ import annotations

import io
import json
import shlex
import uuid
from pathlib import Path
from typing import Iterator, Tuple

import pytest

from cassdk_like.cli.main import main
from cassdk_like.emulator import Emulator
from cassdk_like.emulator.cli import describe

TOKEN = "cli-reduct-init-secret"
BASE = 1_700_000_000_000_000


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(job_delay_scale=0, reduct_api_token=TOKEN) as emu:
        yield emu


@pytest.fixture(autouse=True)
def _exports(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    for line in describe(emulator):
        if line.startswith("export "):
            name, _, value = line[len("export ") :].partition("=")
            monkeypatch.setenv(name, shlex.split(value)[0])


def _run(*argv: str) -> Tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["reduct", *argv], out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_records_go_in_and_come_out_of_a_bucket(tmp_path: Path) -> None:
    bucket = f"cli-{uuid.uuid4().hex[:8]}"
    assert _run("mb", bucket, "--quota-type", "FIFO", "--quota-size", "1000000")[0] == 0
    assert _run("mb", bucket)[0] == 1  # Conflict without --exist-ok
    assert _run("mb", bucket, "--exist-ok")[0] == 0
    assert bucket in _run("ls")[1]
    for index in range(3):
        source = tmp_path / f"frame{index}.txt"
        source.write_bytes(f"frame {index}".encode())
        status, said, err = _run(
            "write", "--timestamp", str(BASE + index), "--label", f"n={index}", "--label", "cam=front",
            "--content-type", "text/plain", str(source), f"{bucket}/cam/front",
        )  # fmt: skip
        assert (status, err) == (0, "")
        assert said.strip() == f"wrote 7 bytes to {bucket}/cam/front"
    status, entries, _ = _run("ls", bucket)
    assert status == 0
    rows = {line.split()[0]: line.split()[1:] for line in entries.splitlines()[1:]}
    assert rows["cam/front"][0] == "3"  # three records
    status, meta, _ = _run("read", "--timestamp", str(BASE + 1), f"{bucket}/cam/front")
    assert status == 0
    assert json.loads(meta) == {
        "timestamp": BASE + 1, "size": 7, "content_type": "text/plain", "labels": {"n": "1", "cam": "front"},
    }  # fmt: skip
    target = tmp_path / "latest.txt"
    assert _run("read", f"{bucket}/cam/front", str(target))[0] == 0
    assert target.read_bytes() == b"frame 2"
    status, _, err = _run("read", f"{bucket}/cam/front", str(target))
    assert (status, "--force" in err) == (1, True)
    out = tmp_path / "query"
    out.mkdir()
    status, said, _ = _run("query", f"{bucket}/cam/*", str(out), "--when", '{"&n": {"$gte": 1}}')
    assert status == 0
    assert said.startswith("saved 2 records (14 bytes)")
    assert sorted(p.name for p in (out / "cam" / "front").iterdir()) == [
        f"{BASE + 1}.plain",
        f"{BASE + 2}.plain",
    ]
    assert _run("rb", bucket)[0] == 0


def test_a_token_is_printed_once_and_works_for_what_it_allows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = f"cli-{uuid.uuid4().hex[:8]}"
    assert _run("mb", bucket)[0] == 0
    name = f"reader-{uuid.uuid4().hex[:6]}"
    status, value, _ = _run("create-token", name, "--read", bucket)
    value = value.strip()
    assert status == 0
    assert value.startswith(f"{name}-")
    listing = _run("tokens")[1]
    assert name in listing
    assert value not in listing
    monkeypatch.setenv("REDUCT_API_TOKEN", value)
    assert _run("ls", bucket)[0] == 0
    source = tmp_path / "x.bin"
    source.write_bytes(b"x")
    status, _, err = _run("write", str(source), f"{bucket}/e")
    assert status == 1
    assert "doesn't have write access" in err
    assert value not in err
    monkeypatch.setenv("REDUCT_API_TOKEN", TOKEN)
    assert _run("remove-token", name)[0] == 0
    assert name not in _run("tokens")[1]


def test_mistakes_are_refused_before_anything_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    status, _, err = _run("write", str(tmp_path / "missing.bin"), "b/e")
    assert (status, "missing.bin" in err) == (1, True)
    status, _, err = _run("read", "just-a-bucket")
    assert (status, "expected BUCKET/ENTRY" in err) == (1, True)
    status, _, err = _run("query", "b/e", str(tmp_path), "--when", "not json")
    assert (status, "--when must be a JSON object" in err) == (1, True)
    monkeypatch.delenv("REDUCT_URL")
    status, _, err = _run("info")
    assert (status, "REDUCT_URL" in err) == (1, True)


def test_a_wrong_token_is_unauthorized_and_never_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDUCT_API_TOKEN", "wrong-token-value")
    status, out, err = _run("info")
    assert status == 1
    assert "Invalid token" in err
    assert "wrong-token-value" not in out + err


def test_reduct_listings_have_json_and_readable_sizes(tmp_path: Path) -> None:
    bucket = f"cli-{uuid.uuid4().hex[:8]}"
    assert _run("mb", bucket)[0] == 0
    source = tmp_path / "blob.bin"
    source.write_bytes(b"x" * 3000)
    assert _run("write", "--timestamp", str(BASE), str(source), f"{bucket}/blobs")[0] == 0
    status, listed, _ = _run("ls", "-o", "json", bucket)
    assert status == 0
    [entry] = json.loads(listed)
    assert (entry["name"], entry["records"]) == ("blobs", 1)
    assert entry["size"] >= 3000
    table = _run("ls", bucket)[1].splitlines()
    assert table[0].split() == ["ENTRY", "RECORDS", "SIZE", "OLDEST", "LATEST"]
    assert "KiB" in table[1]
    assert any(b["name"] == bucket for b in json.loads(_run("ls", "--output", "json")[1]))
    assert isinstance(json.loads(_run("tokens", "-o", "json")[1]), list)
