"""Full flows of the seed API over real HTTP against the emulator, in the cas and glacier dialects."""

from __future__ import annotations

import functools
import io
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from cassdk_like.core.exceptions import (
    InvalidArgumentError,
    JobFailedError,
    JobNotReadyError,
    TransferCancelledError,
)
from cassdk_like.core.integrity import MiB, tree_hash
from cassdk_like.emulator import Emulator
from cassdk_like.engine import CancelToken, MultipartUploadError, ProgressEvent, TransferConfig
from cassdk_like.vault.errors import ResourceNotFoundException
from cassdk_like.vault.highlevel import CasAPI, Job, Vault
from tests.integration.vault.highlevel.conftest import make_api

SIZE = 3 * MiB + MiB // 2
SMALL = TransferConfig(piece_size=MiB, max_workers=4, poll_interval=0.01)


@functools.lru_cache(maxsize=4)
def _data(size: int = SIZE, seed: int = 7) -> bytes:
    return bytes((seed * i) % 251 for i in range(size))


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "data.bin"
    path.write_bytes(_data())
    return path


def _multipart(vault: Vault, path: Path, desc: str = "multi") -> str:
    """A few MiB through the multipart path: threshold lowered, 1 MiB parts."""
    return vault.upload_archive(path, desc, threshold=MiB, part_size=MiB, config=SMALL)


def test_vault_lifecycle(api: CasAPI, emulator: Emulator) -> None:
    vault = Vault.create(api, f"life-{api.dialect.name}")
    emulator.stats.reset()
    found = Vault.get_vault_by_name(api, vault.name)
    assert found == vault
    assert emulator.stats.count("DescribeVault") == 1
    assert emulator.stats.count("ListVaults") == 0
    assert vault.qcs
    assert vault.qcs.endswith(vault.name)
    assert vault in Vault.list_all_vaults(api)
    assert (vault.number_of_archives, vault.size) == (0, 0)
    vault.delete()
    with pytest.raises(ResourceNotFoundException):
        Vault.get_vault_by_name(api, vault.name)


def test_small_and_multipart_uploads_round_trip(
    vault: Vault, emulator: Emulator, data_file: Path, tmp_path: Path
) -> None:
    small = vault.upload_archive(data_file, "small")
    assert emulator.stats.count("UploadArchive") == 1
    assert emulator.stats.count("InitiateMultipartUpload") == 0
    multi = _multipart(vault, data_file)
    assert emulator.stats.count("UploadMultipartPart") == 4
    assert emulator.stats.count("CompleteMultipartUpload") == 1
    for archive_id in (small, multi):
        job = vault.retrieve_archive(archive_id, "whole")
        assert job.wait(poll_interval=0.01, timeout=30) is job
        assert (job.action, job.status_code, job.archive_id) == ("ArchiveRetrieval", "Succeeded", archive_id)
        assert job.archive_etag == job.retrieval_etag == tree_hash(_data())
        target = tmp_path / f"{archive_id[:8]}.out"
        result = job.download_to_file(target, config=SMALL)
        assert target.read_bytes() == _data()
        assert result.verified
        assert result.pieces_fetched == 4
    assert vault.reload().number_of_archives == 2


def test_file_object_upload(vault: Vault, tmp_path: Path) -> None:
    archive_id = vault.upload_archive(io.BytesIO(b"hello archive"), "from memory")
    job = vault.get_archive(archive_id).initiate_archive_retrieval()
    sink = io.BytesIO()
    job.download_by_range((0, 12), file_obj=sink)
    assert sink.getvalue() == b"hello archive"


@pytest.mark.parametrize("fmt", ["JSON", "CSV"])
def test_inventory_job(vault: Vault, data_file: Path, fmt: str) -> None:
    ids = {vault.upload_archive(data_file, "first"), _multipart(vault, data_file, "second")}
    job = vault.initiate_retrieve_inventory("inv", fmt, limit=10)
    assert job.action == "InventoryRetrieval"
    job.wait(poll_interval=0.01, timeout=30)
    inventory = job.inventory()
    assert inventory.format == fmt
    assert {a.archive_id for a in inventory} == ids
    assert {a.description for a in inventory} == {"first", "second"}
    assert all(a.size == SIZE and a.tree_hash == tree_hash(_data()) for a in inventory)
    assert inventory.marker is None


def test_inventory_download_to_file(vault: Vault, data_file: Path, tmp_path: Path) -> None:
    vault.upload_archive(data_file)
    job = vault.initiate_retrieve_inventory(format="CSV")
    job.download_to_file(tmp_path / "inv.csv")
    assert (tmp_path / "inv.csv").read_bytes().startswith(b"ArchiveId,")


def test_ranged_retrieval_to_a_file_and_a_file_object(vault: Vault, data_file: Path, tmp_path: Path) -> None:
    data = _data()
    archive_id = vault.upload_archive(data_file)
    job = vault.retrieve_archive(archive_id, byte_range=(MiB, 3 * MiB - 1))
    assert job.job_range == f"{MiB}-{3 * MiB - 1}"
    assert job.output_size == 2 * MiB
    result = job.download_to_file(tmp_path / "range.bin", config=SMALL)
    assert (tmp_path / "range.bin").read_bytes() == data[MiB : 3 * MiB]
    assert result.verified == bool(job.retrieval_etag)
    job.download_by_range((MiB, 2 * MiB - 1), file_path=tmp_path / "sub.bin", config=SMALL)
    assert (tmp_path / "sub.bin").read_bytes() == data[2 * MiB : 3 * MiB]
    sink = io.BytesIO()
    job.download_by_range("0-1048575", file_obj=sink, chunk_size=64 * 1024, config=SMALL)
    assert sink.getvalue() == data[MiB : 2 * MiB]


def test_tree_aligned_range_to_the_last_byte(vault: Vault, data_file: Path, tmp_path: Path) -> None:
    """Both ends checked locally with archive_size; the job's tree hash then verifies the output."""
    data = _data()
    archive_id = vault.upload_archive(data_file)
    job = vault.retrieve_archive(archive_id, byte_range=(2 * MiB, SIZE - 1), archive_size=SIZE)
    assert job.retrieval_etag == tree_hash(data[2 * MiB :])
    result = job.download_to_file(tmp_path / "tail.bin", config=SMALL)
    assert result.verified
    assert (tmp_path / "tail.bin").read_bytes() == data[2 * MiB :]


def test_multipart_resume_after_forced_failures(
    vault: Vault, emulator: Emulator, data_file: Path, tmp_path: Path
) -> None:
    upload = vault.initiate_multipart_upload(data_file, "resumable", part_size=MiB)
    for index in (0, 1):
        start = index * MiB
        upload.upload_part((start, start + MiB - 1), _data()[start : start + MiB])
    # every further part is refused until the "outage" ends; one worker, so no refused part is still
    # being read by the emulator (and stored after the reset) when the call returns
    emulator.faults.fail_next(None, status=403, code="AccessDeniedException", operation="UploadMultipartPart")
    with pytest.raises(MultipartUploadError) as info:
        upload.upload(config=TransferConfig(piece_size=MiB, max_workers=1, poll_interval=0.01))
    emulator.faults.reset()
    assert info.value.upload_id == upload.id
    assert upload in vault.list_all_multipart_uploads()
    stored = vault.get_multipart_uploader(upload.id)
    assert list(stored.parts) == [(0, MiB - 1), (MiB, 2 * MiB - 1)]
    # the local file changes inside a stored part: resume must notice and send that part again
    changed = bytearray(_data())
    changed[MiB + 5] ^= 0xFF
    data_file.write_bytes(bytes(changed))
    emulator.stats.reset()
    archive_id = vault.upload_archive(data_file, upload_id=upload.id, config=SMALL)
    assert emulator.stats.count("UploadMultipartPart") == 3  # parts 1, 2 and 3; part 0 verified
    assert emulator.stats.count("ListParts") >= 1
    assert upload not in vault.list_all_multipart_uploads()
    job = vault.retrieve_archive(archive_id)
    job.download_to_file(tmp_path / "resumed.bin")
    assert (tmp_path / "resumed.bin").read_bytes() == bytes(changed)


def test_resume_after_a_failed_complete_uploads_nothing_again(
    vault: Vault, emulator: Emulator, data_file: Path
) -> None:
    emulator.faults.fail_next(
        1, status=403, code="AccessDeniedException", operation="CompleteMultipartUpload"
    )
    with pytest.raises(MultipartUploadError) as info:
        _multipart(vault, data_file)
    emulator.stats.reset()
    upload = vault.get_multipart_uploader(str(info.value.upload_id))
    assert upload.size_completed == SIZE
    archive_id = upload.resume(data_file, config=SMALL)
    assert emulator.stats.count("UploadMultipartPart") == 0
    assert upload.tree_hash == tree_hash(_data())
    assert archive_id


def test_cancel_multipart_upload(vault: Vault, data_file: Path) -> None:
    upload = vault.initiate_multipart_upload(data_file, part_size=MiB)
    upload.cancel()
    with pytest.raises(ResourceNotFoundException):
        vault.get_multipart_uploader(upload.id)


def test_zero_byte_archive_is_refused_before_sending(
    vault: Vault, emulator: Emulator, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    with pytest.raises(InvalidArgumentError, match="zero-byte") as info:
        vault.upload_archive(empty)
    assert info.value.local_path == str(empty)
    assert emulator.stats.total_requests == 0


def test_delete_archive_and_vault(api: CasAPI, data_file: Path) -> None:
    vault = Vault.create(api, f"del-{api.dialect.name}")
    first = vault.upload_archive(data_file)
    second = vault.upload_archive(data_file)
    vault.delete_archive(first)
    vault.get_archive(second).delete()
    assert vault.delete().status == 204
    with pytest.raises(ResourceNotFoundException):
        vault.reload()


def test_list_jobs_and_get_job(vault: Vault, data_file: Path) -> None:
    archive_id = vault.upload_archive(data_file)
    started = vault.retrieve_archive(archive_id)
    inventory = vault.initiate_retrieve_inventory()
    assert {j.id for j in vault.list_jobs()} == {started.id, inventory.id}
    assert set(vault.list_jobs(completed=True, status_code="Succeeded")) == {started, inventory}
    assert vault.list_jobs(status_code="InProgress") == []
    assert vault.get_job(started.id) == started


def test_tags(vault: Vault) -> None:
    vault.add_tags({"team": "data", "env": "test"})
    vault.remove_tags(["env"])
    assert vault.list_tags() == {"team": "data"}


# -- waiting on jobs that take time ------------------------------------------------------------------


@pytest.fixture(scope="module")
def slow_emulator() -> Iterator[Emulator]:
    """Standard jobs take 5 s x 0.2 = 1 s, so waiting really happens."""
    with Emulator(job_delay_scale=0.2) as emu:
        yield emu


@pytest.fixture(params=["cas", "glacier"])
def slow_vault(request: pytest.FixtureRequest, slow_emulator: Emulator) -> Iterator[Vault]:
    client = make_api(slow_emulator, request.param)
    yield Vault.create(CasAPI(client), f"slow-{request.param}-{id(request)}")
    client.close()


def test_block_false_then_wait_then_download(slow_vault: Vault, data_file: Path, tmp_path: Path) -> None:
    archive_id = slow_vault.upload_archive(data_file)
    job = slow_vault.retrieve_archive(archive_id)
    assert job.status_code == "InProgress"
    with pytest.raises(JobNotReadyError):
        job.download_to_file(tmp_path / "early.bin", block=False)
    assert not (tmp_path / "early.bin").exists()
    polls: list[Job] = []
    job.wait(timeout=30, poll_interval=0.05, on_poll=polls.append)
    assert job.completed
    assert job.status_code == "Succeeded"
    assert polls
    assert polls[-1] is job
    job.download_to_file(tmp_path / "late.bin", block=False)
    assert (tmp_path / "late.bin").read_bytes() == _data()


def test_failed_job_is_noticed(slow_vault: Vault, data_file: Path) -> None:
    """docs/original-sdk-defects.md #6: the job fails because its archive is deleted before it completes."""
    archive_id = slow_vault.upload_archive(data_file)
    job = slow_vault.retrieve_archive(archive_id)
    slow_vault.delete_archive(archive_id)
    with pytest.raises(JobFailedError, match="deleted"):
        job.wait(timeout=30, poll_interval=0.05)
    assert job.status_code == "Failed"


class _CountingReader(io.BytesIO):
    """A seekable source that counts every byte handed out, however it is read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_out = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_out += len(chunk)
        return chunk

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        count = super().readinto(buffer)
        self.bytes_out += count
        return count


def test_a_multipart_upload_reads_every_byte_once(vault: Vault, emulator: Emulator) -> None:
    # docs/original-sdk-defects.md #8: the original SDK read each part three times
    data = _data()
    source = _CountingReader(data)
    archive_id = vault.upload_archive(source, "counted", threshold=MiB, part_size=MiB)
    assert emulator.stats.count("UploadMultipartPart") == -(-len(data) // MiB)
    assert source.bytes_out == len(data)
    job = vault.retrieve_archive(archive_id)
    assert job.wait(poll_interval=0.01, timeout=30).archive_etag == tree_hash(data)


def test_cancel_on_a_slow_link_returns_within_a_second_with_1_mib_reads(
    vault: Vault, data_file: Path, tmp_path: Path, emulator: Emulator
) -> None:
    """Reads fill 1 MiB buffers from several socket reads, never blocking on the whole buffer."""
    archive_id = vault.upload_archive(data_file)
    job = vault.retrieve_archive(archive_id)
    job.wait(timeout=30)
    emulator.faults.set_rate_limit(128 * 1024)  # per connection: a 1 MiB read would take 8 s
    token = CancelToken()
    config = TransferConfig(piece_size=MiB, max_workers=2, io_chunk_size=MiB, poll_interval=0.01)
    timer = threading.Timer(0.5, token.cancel)
    timer.start()
    started = time.monotonic()
    try:
        with pytest.raises(TransferCancelledError):
            job.download_to_file(str(tmp_path / "slow.bin"), config=config, cancel_token=token)
    finally:
        timer.cancel()
        emulator.faults.reset()
    assert time.monotonic() - started < 1.5  # cancelled at 0.5 s, stopped within a second
    assert not (tmp_path / "slow.bin").exists()


@pytest.mark.parametrize("keep", [True, False])
def test_a_cancelled_multipart_upload_is_aborted_unless_kept_for_resume(
    vault: Vault, data_file: Path, emulator: Emulator, keep: bool
) -> None:
    token = CancelToken()
    emulator.faults.set_rate_limit(2 * MiB)  # per connection: each part takes half a second

    def cancel_after_a_part(event: ProgressEvent) -> None:
        if event.done >= MiB:
            token.cancel("stop")

    one_worker = TransferConfig(max_workers=1, poll_interval=0.01, progress_interval=0.0)
    try:
        with pytest.raises(TransferCancelledError, match="kept for resume" if keep else "aborted"):
            vault.upload_archive(
                data_file, "cancelled", threshold=MiB, part_size=MiB, config=one_worker,
                progress=cancel_after_a_part, cancel_token=token, keep_for_resume=keep,
            )  # fmt: skip
    finally:
        emulator.faults.reset()
    left = vault.list_all_multipart_uploads()
    if not keep:
        assert left == []
        return
    (upload,) = left
    assert upload.description == "cancelled"
    archive_id = vault.upload_archive(data_file, "cancelled", upload_id=upload.id, config=SMALL)
    assert vault.list_all_multipart_uploads() == []
    job = vault.retrieve_archive(archive_id)
    assert job.wait(poll_interval=0.01, timeout=30).archive_etag == tree_hash(_data())
