"""``cascmd`` output for people and for scripts: tables with readable sizes, ``--output json``,
stdout kept for the result, ``-v`` without secrets, and errors that name flags."""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path
from typing import Iterator, List

import pytest

from cassdk_like.cli.main import build_parser
from cassdk_like.core.integrity import MiB
from cassdk_like.emulator import Emulator
from tests.helpers.cascmd import connect_in_process, run_cascmd


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(job_delay_scale=0) as emu:
        yield emu


@pytest.fixture(autouse=True)
def _connection(emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    connect_in_process(monkeypatch, emulator, tmp_path)


@pytest.fixture(scope="module")
def filled(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Vault ``shown`` with one 3 MiB archive, a finished job and an upload in progress."""
    source = tmp_path_factory.mktemp("src") / "three.bin"
    source.write_bytes(os.urandom(3 * MiB))
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (
            ("CAS_ENDPOINT", emulator.endpoint), ("CAS_APPID", emulator.appid),
            ("CAS_SECRET_ID", emulator.secret_id), ("CAS_SECRET_KEY", emulator.secret_key),
        ):  # fmt: skip
            patch.setenv(name, value)
        assert run_cascmd("create-vault", "shown").status == 0
        archive = run_cascmd("upload", "shown", str(source)).text
        assert run_cascmd("create-job", "shown", "--", archive).status == 0
        assert run_cascmd("init-upload", "shown", "1M", "--desc", "half done").status == 0
        assert run_cascmd("create-job", "--inventory", "shown").status == 0  # the vault's counters
    return archive


def _rows(text: str) -> List[List[str]]:
    return [re.split(r"\s{2,}", line.strip()) for line in text.splitlines()]


def test_listings_are_tables_with_readable_sizes(filled: str) -> None:
    vaults = _rows(run_cascmd("ls").out)
    assert vaults[0] == ["VAULT", "ARCHIVES", "SIZE", "CREATED"]
    assert next(r for r in vaults if r[0] == "shown")[:3] == ["shown", "1", "3.0 MiB"]
    jobs = _rows(run_cascmd("list-jobs", "shown").out)
    assert jobs[0] == ["JOB", "ACTION", "STATUS", "SIZE", "CREATED"]
    assert any(row[1:4] == ["ArchiveRetrieval", "Succeeded", "3.0 MiB"] for row in jobs[1:])
    uploads = _rows(run_cascmd("list-uploads", "shown").out)
    assert uploads[1][1] == "1.0 MiB"
    assert uploads[1][-1] == "half done"


@pytest.mark.parametrize(
    ("argv", "key"),
    [
        (["ls"], "VaultName"),
        (["list-vaults"], "VaultName"),
        (["list-jobs", "shown"], "JobId"),
        (["list-uploads", "shown"], "MultipartUploadId"),
    ],
)
def test_every_listing_has_json_with_exact_sizes(filled: str, argv: List[str], key: str) -> None:
    ran = run_cascmd(*argv, "--output", "json")
    assert ran.status == 0, ran.err
    entries = json.loads(ran.out)
    assert isinstance(entries, list)
    assert entries
    assert all(key in entry for entry in entries)
    if argv[0] == "ls":
        assert [e["SizeInBytes"] for e in entries if e["VaultName"] == "shown"] == [3 * MiB]


def test_descriptions_are_json_or_a_table(filled: str) -> None:
    doc = json.loads(run_cascmd("desc-vault", "cas://shown").out)
    assert doc["VaultName"] == "shown"
    table = dict(row for row in _rows(run_cascmd("desc-vault", "shown", "-o", "table").out)[1:])  # type: ignore[misc]
    assert table["SizeInBytes"] == "3.0 MiB"
    job_id = json.loads(run_cascmd("list-jobs", "shown", "-o", "json").out)[0]["JobId"]
    job = dict(row for row in _rows(run_cascmd("desc-job", "-o", "table", "shown", "--", job_id).out)[1:])  # type: ignore[misc]
    assert job["JobId"] == job_id


def test_one_page_with_limit_names_the_next_marker(filled: str) -> None:
    assert run_cascmd("create-vault", "shown-2").status == 0
    page = run_cascmd("ls", "--limit", "1", "-o", "json")
    assert len(json.loads(page.out)) == 1
    marker = re.search(r"more entries: add --marker=(\S+)", page.err)
    assert marker, page.err
    rest = run_cascmd("ls", "--marker", marker.group(1), "-o", "json")
    assert json.loads(rest.out)[0]["VaultName"] != json.loads(page.out)[0]["VaultName"]


def test_create_vault_on_an_existing_vault_says_so(filled: str) -> None:
    again = run_cascmd("create-vault", "cas://shown")
    assert (again.status, again.out) == (0, "vault shown already exists\n")


def test_stdout_holds_only_the_result_of_an_upload(tmp_path: Path, filled: str) -> None:
    source = tmp_path / "small.bin"
    source.write_bytes(b"x" * 1000)
    ran = run_cascmd("upload", "shown", str(source))
    assert re.fullmatch(r"\S+\n", ran.out)
    assert re.search(r"done in [\d.]+ s", ran.err)
    quiet = run_cascmd("upload", "--quiet", "shown", str(source))
    assert re.fullmatch(r"\S+\n", quiet.out)
    assert quiet.err == ""


def test_debug_shows_the_sdks_log_without_the_secret(emulator: Emulator, filled: str) -> None:
    ran = run_cascmd("desc-vault", "-v", "shown")
    assert ran.status == 0
    debug = [line for line in ran.err.splitlines() if line.startswith("cascmd: debug: cassdk_like")]
    assert debug, ran.err
    assert emulator.secret_key not in ran.err
    assert "DescribeVault" in ran.err or "/vaults/shown" in ran.err
    assert not run_cascmd("desc-vault", "shown").err  # and nothing without -v


def test_missing_settings_are_explained_with_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAS_SECRET_KEY")
    monkeypatch.delenv("CAS_SECRET_ID")
    no_key = run_cascmd("ls")
    assert no_key.status == 1
    assert "pass --secret-id (and --secret-key" in no_key.err
    assert "cascmd config" in no_key.err
    assert "secret_id and" not in no_key.err  # not the Python parameter names
    monkeypatch.delenv("CAS_ENDPOINT")
    no_host = run_cascmd("ls")
    assert "no endpoint: pass --endpoint, set CAS_ENDPOINT" in no_host.err
    assert "pass host" not in no_host.err


def test_a_plain_http_server_addressed_without_a_scheme_gets_advice(emulator: Emulator) -> None:
    bare = emulator.endpoint.replace("http://", "")
    ran = run_cascmd("ls", f"--endpoint={bare}")
    assert ran.status == 1
    assert f"give --endpoint http://{bare}" in ran.err
    assert len(ran.err.strip().splitlines()) == 1


def _commands() -> List[str]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sorted({parser.prog.split()[-1] for parser in sub.choices.values()} - {"serve", "help"})


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_a_description_and_an_example(command: str) -> None:
    shown = run_cascmd("help", command)
    assert shown.status == 0
    text = shown.out
    assert "example:" in text, text
    assert "cascmd " in text.split("example:")[1]
    if command not in (
        "config",
        "file-tree-etag",
        "part-tree-etag",
        "demo",
        "bucket",
        "reduct",
        "direct",
        "par",
        "transfer",
    ):
        assert "connection (see cascmd --help)" in text


def test_the_connection_options_are_explained_once_in_the_main_help() -> None:
    shown = run_cascmd("help")
    assert shown.status == 0
    text = shown.out
    assert text.count("CAS_SECRET_KEY") == 1
    assert "~/.cascmd_credentials" in text
    assert run_cascmd("help", "no-such-command").status == 2
