"""Mistakes knowable locally fail with a typed error before any request is sent.

Each case used to escape the SDK's exception tree or to reach the service: a text-mode file object
(``TypeError`` from ``memoryview``), a huge ``chunk_size`` (``MemoryError`` after a request), a
bytes or int key (``AttributeError`` at the first request), the vault names ``.``, ``..`` and
``None`` (sent; ``None`` became ``PUT /<appid>/vaults``), destinations that are not regular files
(a device replaced by a regular file), and an unreadable source (an orphaned multipart upload).
"""

from __future__ import annotations

import builtins
import io
import os
import stat
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest
import responses

from cassdk_like import CASClient
from cassdk_like.core.exceptions import InvalidArgumentError, InvalidVaultNameError, LocalFileError
from cassdk_like.core.integrity import MiB
from cassdk_like.engine.destination import check_destination
from cassdk_like.vault.highlevel import CasAPI, Job, Vault
from cassdk_like.vault.lowlevel.validation import MAX_CHUNK_SIZE
from tests.unit.vault.highlevel.hl_helpers import CAS_APPID, CAS_HOST, CAS_ID, job_doc, make_vault

ETAG = "0" * 64


def _job(api: CasAPI) -> Job:
    return Job(make_vault(api), job_doc(api))


# -- text-mode file objects ----------------------------------------------------------------------


def test_a_text_mode_file_object_is_refused_before_upload(
    any_api: CasAPI, mock: responses.RequestsMock, tmp_path: Path
) -> None:
    source = tmp_path / "notes.txt"
    source.write_text("some text\n")
    vault = make_vault(any_api)
    with open(source, encoding="utf-8") as handle:
        with pytest.raises(InvalidArgumentError, match="text mode") as info:
            vault.upload_archive(handle, desc="d")  # type: ignore[arg-type]
        assert info.value.operation == "upload_archive"
        assert info.value.local_path == str(source)
        with pytest.raises(InvalidArgumentError, match="text mode"):
            any_api.upload_archive("v1", handle, size=10)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="text mode"):
        vault.upload_archive(io.StringIO("abc"), size=3)  # type: ignore[arg-type]
    assert len(mock.calls) == 0


# -- chunk sizes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_size", [10**12, MAX_CHUNK_SIZE + 1, -1, 1.5, True])
def test_an_unusable_chunk_size_is_refused_before_download(
    cas_api: CasAPI, mock: responses.RequestsMock, tmp_path: Path, chunk_size: Any
) -> None:
    job = _job(cas_api)
    target = tmp_path / "out.bin"
    with pytest.raises(InvalidArgumentError, match="chunk_size") as info:
        job.download_to_file(target, chunk_size=chunk_size)
    assert info.value.local_path == str(target)
    with pytest.raises(InvalidArgumentError, match="chunk_size"):
        job.download_by_range((0, MiB - 1), file_obj=io.BytesIO(), chunk_size=chunk_size)
    assert len(mock.calls) == 0
    assert os.listdir(tmp_path) == []


def test_the_largest_chunk_size_is_accepted() -> None:
    assert 16 * MiB <= MAX_CHUNK_SIZE


# -- credentials ---------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["secret_id", "secret_key"])
@pytest.mark.parametrize("value", [b"AKIDEXAMPLE-BYTES", 1234567])
def test_a_non_string_key_is_refused_when_the_client_is_made(field: str, value: Any) -> None:
    kwargs: Dict[str, Any] = {"secret_id": CAS_ID, "secret_key": "key", field: value}
    with pytest.raises(InvalidArgumentError, match=f"{field} must be a str") as info:
        CASClient(CAS_HOST, CAS_APPID, **kwargs)
    assert str(value) not in str(info.value)


# -- vault names ---------------------------------------------------------------------------------


def _vault_operations(client: CASClient, name: Any) -> List[Callable[[], object]]:
    """Every CASClient operation that takes a vault name, with otherwise valid arguments."""
    return [
        lambda: client.create_vault(name),
        lambda: client.describe_vault(name),
        lambda: client.delete_vault(name),
        lambda: client.get_vault_access_policy(name),
        lambda: client.set_vault_access_policy(name, "{}"),
        lambda: client.delete_vault_access_policy(name),
        lambda: client.set_vault_notifications(name, "http://cb.example", ["ArchiveRetrievalCompleted"]),
        lambda: client.get_vault_notifications(name),
        lambda: client.delete_vault_notifications(name),
        lambda: client.initiate_vault_lock(name, "{}"),
        lambda: client.complete_vault_lock(name, "L1"),
        lambda: client.abort_vault_lock(name),
        lambda: client.get_vault_lock(name),
        lambda: client.add_tags_to_vault(name, {"k": "v"}),
        lambda: client.remove_tags_from_vault(name, ["k"]),
        lambda: client.list_tags_for_vault(name),
        lambda: client.upload_archive(name, b"abc"),
        lambda: client.post_archive(name, b"abc"),
        lambda: client.post_archive_from_reader(name, io.BytesIO(b"abc"), 3),
        lambda: client.delete_archive(name, "A1"),
        lambda: client.initiate_multipart_upload(name, MiB),
        lambda: client.upload_part(name, "U1", b"abc", "0-2"),
        lambda: client.post_multipart(name, "U1", b"abc", "0-2"),
        lambda: client.post_multipart_from_reader(name, "U1", io.BytesIO(b"abc"), 3, "0-2"),
        lambda: client.complete_multipart_upload(name, "U1", 3, ETAG),
        lambda: client.abort_multipart_upload(name, "U1"),
        lambda: client.list_multipart_uploads(name),
        lambda: client.list_parts(name, "U1"),
        lambda: client.initiate_job(name, "archive-retrieval", "A1"),
        lambda: client.describe_job(name, "J1"),
        lambda: client.get_job_output(name, "J1"),
        lambda: client.list_jobs(name),
    ]


def test_every_vault_operation_is_listed() -> None:
    covered = {"list_vaults"}  # the one operation without a vault name
    client_ops = {n for n in dir(CASClient) if not n.startswith("_") and callable(getattr(CASClient, n))} - {
        "close"
    }
    assert len(_vault_operations(None, "v1")) == len(client_ops - covered)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", [".", "..", None])
def test_dot_names_and_none_are_refused_by_every_vault_operation(
    any_api: CasAPI, mock: responses.RequestsMock, name: Any
) -> None:
    operations = _vault_operations(any_api.client, name)
    for call in operations:
        with pytest.raises(InvalidVaultNameError, match="invalid vault name"):
            call()
    for high in (
        lambda: Vault.create(any_api, name),
        lambda: Vault.get_vault_by_name(any_api, name),
        lambda: Vault.delete_vault_by_name(any_api, name),
    ):
        with pytest.raises(InvalidVaultNameError):
            high()
    assert len(mock.calls) == 0


@pytest.mark.parametrize("name", ["...", ".hidden", "a..b", "v.1"])
def test_other_names_with_dots_stay_valid(any_api: CasAPI, mock: responses.RequestsMock, name: str) -> None:
    mock.add(
        responses.DELETE, f"https://{any_api.client.host}/{any_api.client.uid}/vaults/{name}", status=204
    )
    any_api.delete_vault(name)
    assert len(mock.calls) == 1


# -- destinations --------------------------------------------------------------------------------


def _fifo(tmp_path: Path) -> Path:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    return fifo


def _refuse(job: Job, target: Any, mock: responses.RequestsMock, says: str) -> None:
    calls: List[Callable[[], object]] = [
        lambda: job.download_to_file(target),
        lambda: job.download_by_range((0, MiB - 1), file_path=target),
    ]
    for call in calls:
        with pytest.raises(LocalFileError, match=says) as info:
            call()
        assert info.value.local_path == os.fspath(target)
        assert info.value.resource == "job 'J1' in vault 'v1'"
        assert info.value.operation in ("download_to_file", "download_by_range")
    assert len(mock.calls) == 0


def test_a_fifo_and_a_symlink_to_it_are_refused_and_left_alone(
    cas_api: CasAPI, mock: responses.RequestsMock, tmp_path: Path
) -> None:
    fifo = _fifo(tmp_path)
    link = tmp_path / "link"
    link.symlink_to(fifo)
    _refuse(_job(cas_api), fifo, mock, "not a regular file \\(it is a FIFO\\)")
    _refuse(_job(cas_api), link, mock, "not a regular file")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert link.is_symlink()
    assert sorted(os.listdir(tmp_path)) == ["link", "pipe"]


def _null_device(folder: Path) -> Path:
    """A private null device node (never the real /dev/null: today's code replaced it)."""
    node = folder / "null"
    if os.geteuid() != 0:
        pytest.skip("creating a device node needs root (the FIFO cases cover the rest)")
    os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    return node


def test_a_device_node_is_refused_and_left_alone(
    cas_api: CasAPI, mock: responses.RequestsMock, tmp_path: Path
) -> None:
    device = _null_device(tmp_path)
    before = os.stat(device)
    _refuse(_job(cas_api), device, mock, "it is a device")
    after = os.stat(device)
    assert stat.S_ISCHR(after.st_mode)
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)
    assert os.listdir(tmp_path) == ["null"]


def test_a_folder_an_empty_path_and_a_missing_or_bad_parent_are_refused(
    cas_api: CasAPI, mock: responses.RequestsMock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "plain.txt").write_text("x")
    job = _job(cas_api)
    _refuse(job, tmp_path / "sub", mock, "is a folder")
    _refuse(job, "", mock, "path is empty")
    _refuse(job, tmp_path / "missing" / "out.bin", mock, "folder does not exist")
    _refuse(job, tmp_path / "plain.txt" / "out.bin", mock, "folder is not a folder")
    assert sorted(os.listdir(tmp_path)) == ["plain.txt", "sub"]  # no .cassdk-partial anywhere


def test_check_destination_accepts_absent_regular_and_linked_regular_files(tmp_path: Path) -> None:
    regular = tmp_path / "old.bin"
    regular.write_bytes(b"x")
    link = tmp_path / "link.bin"
    link.symlink_to(regular)
    dangling = tmp_path / "dangling.bin"
    dangling.symlink_to(tmp_path / "nowhere")
    for path in (tmp_path / "new.bin", regular, link, dangling):
        assert check_destination(path, operation="op", resource="r") == str(path)
    with pytest.raises(LocalFileError, match="must be a path"):
        check_destination(b"bytes-path", operation="op", resource="r")


# -- unreadable sources --------------------------------------------------------------------------


def _unopenable(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """``stat`` works but ``open`` fails, as for a mode-000 file (root reads those, so patch open)."""
    denied = PermissionError(13, "Permission denied", str(path))
    real_open, real_os_open = builtins.open, os.open

    def fake_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if os.fspath(file) == str(path):
            raise denied
        return real_open(file, *args, **kwargs)

    def fake_os_open(file: Any, *args: Any, **kwargs: Any) -> int:
        if os.fspath(file) == str(path):
            raise denied
        return real_os_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(os, "open", fake_os_open)


def test_an_unreadable_file_above_the_threshold_never_initiates_an_upload(
    cas_api: CasAPI, mock: responses.RequestsMock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "locked.bin"
    source.write_bytes(os.urandom(2 * MiB + 1))
    _unopenable(monkeypatch, source)
    vault = make_vault(cas_api)
    with pytest.raises(LocalFileError, match="cannot open the file: Permission denied") as info:
        vault.upload_archive(source, threshold=MiB)
    assert info.value.local_path == str(source)
    with pytest.raises(LocalFileError, match="cannot open the file"):
        vault.initiate_multipart_upload(source)
    with pytest.raises(LocalFileError, match="cannot open the file"):
        vault.upload_archive(source)  # below the default threshold: one request, also never sent
    assert len(mock.calls) == 0
