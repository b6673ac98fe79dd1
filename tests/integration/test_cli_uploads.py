"""``cascmd`` after an interrupted upload: the printed commands resume or abort it, and the
multipart commands of the original cascmd build an archive by hand."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Iterator

import pytest

from cassdk_like.core.integrity import MiB, hash_file
from cassdk_like.emulator import Emulator
from tests.helpers.cascmd import connect_in_process, run_cascmd, run_printed

SIZE = 3 * MiB + 5  # four 1 MiB parts, the last one short


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(job_delay_scale=0) as emu:
        yield emu


@pytest.fixture(autouse=True)
def _connection(emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    connect_in_process(monkeypatch, emulator, tmp_path)
    emulator.faults.reset()


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "nightly.tar"
    path.write_bytes(os.urandom(SIZE))
    return path


def _fail_parts(emulator: Emulator, count: int) -> None:
    """Refuse the next ``count`` part uploads with a 400 (not retried), as a broken proxy might."""
    emulator.faults.add_json(
        {"kind": "fail", "operation": "UploadMultipartPart", "status": 400,
         "code": "InvalidParameterValueException", "count": count}
    )  # fmt: skip


def _printed(pattern: str, text: str) -> str:
    found = re.search(pattern + r" (cascmd [^;]*?)(?: ;|$)", text.strip())
    assert found, text
    return found.group(1).strip()


def _uploads(vault: str) -> list:  # type: ignore[type-arg]
    listed = run_cascmd("list-uploads", "-o", "json", vault)
    assert listed.status == 0, listed.err
    return json.loads(listed.out)  # type: ignore[no-any-return]


def _fetch_back(vault: str, archive_id: str, target: Path) -> bytes:
    job = run_cascmd("create-job", f"cas://{vault}", "--", archive_id)
    assert job.status == 0, job.err
    got = run_cascmd("fetch", "-q", vault, "--", job.text, str(target))
    assert got.status == 0, got.err
    return target.read_bytes()


def test_a_failed_upload_prints_the_command_that_resumes_it(
    emulator: Emulator, data_file: Path, tmp_path: Path
) -> None:
    assert run_cascmd("create-vault", "cas://resume-me").status == 0
    _fail_parts(emulator, 2)
    failed = run_cascmd("upload", "cas://resume-me", str(data_file), "--part-size", "1M")
    assert failed.status == 1
    assert failed.out == ""
    assert "kept in the vault" in failed.err
    assert re.search(r"cascmd upload: error: the upload stopped after \d of 4 parts: HTTP 400", failed.err)
    assert emulator.secret_key not in failed.err
    [kept] = _uploads("resume-me")
    resume = _printed("resume with:", failed.err)
    assert f"--upload-id={kept['MultipartUploadId']}" in resume
    emulator.faults.reset()  # the proxy is fixed
    resumed = run_printed(resume)  # pasted as printed
    assert resumed.status == 0, resumed.err
    assert "resuming upload" in resumed.err
    assert re.fullmatch(r"\S+", resumed.text)  # stdout: the archive id alone
    assert _uploads("resume-me") == []
    assert _fetch_back("resume-me", resumed.text, tmp_path / "back") == data_file.read_bytes()


def test_the_printed_abort_command_discards_the_upload(emulator: Emulator, data_file: Path) -> None:
    assert run_cascmd("create-vault", "abort-me").status == 0
    _fail_parts(emulator, 1)
    failed = run_cascmd("upload", "abort-me", str(data_file), "-p", "1M")
    assert failed.status == 1
    assert len(_uploads("abort-me")) == 1
    aborted = run_printed(_printed("or abort it with:", failed.err))
    assert aborted.status == 0, aborted.err
    assert aborted.text.startswith("aborted upload ")
    assert _uploads("abort-me") == []


def test_delete_vault_with_uploads_in_progress_says_how_to_clear_them(data_file: Path) -> None:
    assert run_cascmd("create-vault", "busy").status == 0
    for _ in range(2):
        assert run_cascmd("init-upload", "busy", "1M").status == 0
    refused = run_cascmd("delete-vault", "cas://busy")
    assert refused.status == 1
    assert "2 multipart upload(s) in progress" in refused.err
    clear = _printed("then abort them all with", refused.err)
    assert "--all" in clear
    cleared = run_printed(clear)
    assert cleared.status == 0, cleared.err
    assert cleared.out.count("aborted upload") == 2
    assert run_cascmd("delete-vault", "cas://busy").out == "deleted vault busy\n"


def test_an_archive_built_by_hand_with_the_multipart_commands(data_file: Path, tmp_path: Path) -> None:
    assert run_cascmd("cv", "cas://by-hand").status == 0
    upload_id = run_cascmd("init_multipart_upload", "cas://by-hand", "1M").text
    for start in range(0, SIZE, MiB):
        end = min(start + MiB, SIZE) - 1
        part = run_cascmd("upload-part", "by-hand", "--", upload_id, str(data_file), str(start), str(end))
        assert part.status == 0, part.err
        assert part.text == hash_file(data_file, start, end - start + 1).tree_hash
    parts = run_cascmd("list-parts", "-o", "json", "by-hand", "--", upload_id)
    assert [p["RangeInBytes"] for p in json.loads(parts.out)][:2] == ["0-1048575", "1048576-2097151"]
    table = run_cascmd("list_part", "by-hand", "--", upload_id)
    assert table.out.splitlines()[0].split() == ["RANGE", "TREE", "HASH"]
    done = run_cascmd("complete-upload", "by-hand", "--", upload_id)  # size and tree hash from the parts
    assert done.status == 0, done.err
    assert _fetch_back("by-hand", done.text, tmp_path / "back") == data_file.read_bytes()


def test_complete_with_the_size_and_tree_hash_that_file_tree_etag_prints(data_file: Path) -> None:
    assert run_cascmd("cv", "by-etag").status == 0
    hashes = json.loads(run_cascmd("file_tree_etag", "-o", "json", str(data_file)).out)
    assert hashes["size"] == SIZE
    upload_id = run_cascmd("init-upload", "by-etag", "2M").text
    for start, end in ((0, 2 * MiB - 1), (2 * MiB, SIZE - 1)):
        assert (
            run_cascmd("upload_part", "by-etag", "--", upload_id, str(data_file), str(start), str(end)).status
            == 0
        )
    wrong = run_cascmd("complete-upload", "by-etag", "--", upload_id, str(SIZE), "0" * 64)
    assert wrong.status == 1
    done = run_cascmd("complete_multipart_upload", "by-etag", "--", upload_id, str(SIZE), hashes["tree_hash"])
    assert done.status == 0, done.err
    assert re.fullmatch(r"\S+", done.text)


def test_upload_part_refuses_hashes_that_are_not_the_files(data_file: Path) -> None:
    assert run_cascmd("cv", "bad-etag").status == 0
    upload_id = run_cascmd("init-upload", "bad-etag", "1M").text
    part = run_cascmd(
        "upload-part", "bad-etag", "--", upload_id, str(data_file), "0", str(MiB - 1), "ab" * 32
    )
    assert part.status == 1
    assert "sha256 given" in part.err
    listed = run_cascmd("list-parts", "-o", "json", "bad-etag", "--", upload_id)
    assert json.loads(listed.out) == []  # nothing was sent


def test_resuming_refuses_flags_that_cannot_apply(data_file: Path) -> None:
    assert run_cascmd("cv", "resume-flags").status == 0
    upload_id = run_cascmd("init-upload", "resume-flags", "1M").text
    with_desc = run_cascmd(
        "upload", f"--upload-id={upload_id}", "--desc", "x", "resume-flags", str(data_file)
    )
    assert with_desc.status == 2
    assert "--desc does not apply when resuming" in with_desc.err
    other_size = run_cascmd("upload", f"--upload_id={upload_id}", "-p", "2M", "resume-flags", str(data_file))
    assert other_size.status == 2
    assert "leave out --part-size" in other_size.err


def test_abort_upload_needs_an_id_or_all() -> None:
    assert run_cascmd("cv", "abort-usage").status == 0
    assert run_cascmd("abort-upload", "abort-usage").status == 2
    assert run_cascmd("abort_multipart_upload", "abort-usage", "--all").status == 0


def test_part_tree_etag_is_the_tree_hash_of_the_inclusive_range(data_file: Path) -> None:
    shown = run_cascmd("part_tree_etag", "-o", "json", str(data_file), "0", str(MiB - 1))
    assert shown.status == 0, shown.err
    doc = json.loads(shown.out)
    expected = hash_file(data_file, 0, MiB)
    assert (doc["sha256"], doc["tree_hash"], doc["range"]) == (
        expected.sha256,
        expected.tree_hash,
        f"0-{MiB - 1}",
    )
    table = run_cascmd("part-tree-etag", str(data_file), "0", str(MiB - 1))
    assert f"tree_hash  {expected.tree_hash}" in table.out
