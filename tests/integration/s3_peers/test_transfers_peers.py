"""upload_file / download_file on the shared engine against the independent S3 servers: single PUT
and multipart, every byte checked end to end, failures that leave nothing behind, resume by upload
id and of a partial download, and cancel."""

from __future__ import annotations

import hashlib
import io
import os
import threading
from pathlib import Path
from typing import List

import pytest

from cassdk_like.bucket import Bucket, BucketAPI, NoSuchKey, S3Client
from cassdk_like.core.cancel import CancelToken
from cassdk_like.core.exceptions import LocalFileError, TransferCancelledError
from cassdk_like.engine import MultipartUploadError, ProgressEvent, TransferConfig
from cassdk_like.engine.download import partial_paths
from tests.helpers.failing_reads import interrupted_upload

pytestmark = pytest.mark.s3peers

MiB = 1024 * 1024
#: small parts and pieces so that a few MiB exercise every path
CONFIG = TransferConfig(max_workers=4, piece_size=MiB, max_request_size=2 * MiB, min_part_size=5 * MiB)


def _data(size: int, seed: int = 1) -> bytes:
    block = hashlib.sha256(str(seed).encode()).digest() * 4096  # 128 KiB of varied bytes
    return (block * (size // len(block) + 1))[:size]


@pytest.fixture
def view(client: S3Client, bucket: str) -> Bucket:
    return Bucket(BucketAPI(client), bucket)


def _file(tmp_path: Path, data: bytes, name: str = "src.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("size", [0, 1000, 3 * MiB])
def test_a_small_file_goes_in_one_put_and_comes_back_verified(
    view: Bucket, tmp_path: Path, size: int
) -> None:
    data = _data(size)
    done = view.upload_file(_file(tmp_path, data), "small.bin", config=CONFIG)
    assert not done.multipart
    assert done.sha256 == hashlib.sha256(data).hexdigest()
    assert view.head("small.bin").sha256 == done.sha256
    result = view.download_file("small.bin", tmp_path / "out.bin", config=CONFIG)
    assert (tmp_path / "out.bin").read_bytes() == data
    assert result.verified
    assert result.integrity == "sha256"


def test_a_large_file_goes_in_parallel_parts_and_comes_back_verified(view: Bucket, tmp_path: Path) -> None:
    data = _data(17 * MiB + 123)
    events: List[ProgressEvent] = []
    done = view.upload_file(
        _file(tmp_path, data),
        "big.bin",
        part_size=5 * MiB,
        threshold=5 * MiB,
        config=CONFIG,
        progress=events.append,
    )
    assert done.multipart
    assert (done.part_size, done.parts_uploaded, done.size) == (5 * MiB, 4, len(data))
    assert events[-1].done == len(data)
    head = view.head("big.bin")
    assert head.sha256 == hashlib.sha256(data).hexdigest()
    assert list(view.uploads()) == []
    out = tmp_path / "out.bin"
    result = view.download_file("big.bin", out, config=CONFIG)
    assert out.read_bytes() == data
    assert result.verified
    assert result.pieces_fetched == 18
    assert not os.path.exists(partial_paths(out)[0])


def test_a_pipe_uploads_in_parts_without_a_whole_object_digest(view: Bucket, tmp_path: Path) -> None:
    data = _data(11 * MiB, seed=2)
    read_fd, write_fd = os.pipe()
    writer = threading.Thread(target=lambda: (os.write(write_fd, data), os.close(write_fd)))
    writer.start()
    with os.fdopen(read_fd, "rb") as pipe:
        done = view.upload_file(pipe, "piped.bin", size=len(data), threshold=5 * MiB, config=CONFIG)
    writer.join()
    assert done.multipart
    assert done.sha256 is None
    out = tmp_path / "piped.out"
    view.download_file("piped.bin", out, config=CONFIG)
    assert out.read_bytes() == data
    assert view.head("piped.bin").sha256 is None


class _FailingReads(io.BytesIO):
    """A seekable file object (no descriptor) whose part-sized reads beyond ``limit`` fail ``times``
    times (the whole-object hash before the upload reads in small chunks and is left alone)."""

    def __init__(self, data: bytes, limit: int, times: int = 1) -> None:
        super().__init__(data)
        self.limit = limit
        self.times = times

    def readinto(self, buf) -> int:  # type: ignore[no-untyped-def,override]
        if self.tell() >= self.limit and len(buf) > 2 * MiB and self.times > 0:
            self.times -= 1
            raise OSError("simulated read error")
        return super().readinto(buf)


def test_a_failed_upload_is_aborted_unless_kept(view: Bucket) -> None:
    data = _data(16 * MiB, seed=3)
    source = _FailingReads(data, limit=10 * MiB, times=10**6)
    with pytest.raises(MultipartUploadError, match="was aborted") as caught:
        view.upload_file(source, "failed.bin", threshold=5 * MiB, part_size=5 * MiB, config=CONFIG)
    assert isinstance(caught.value.__cause__, LocalFileError)
    assert caught.value.upload_id is None
    assert list(view.uploads()) == []
    with pytest.raises(NoSuchKey):
        view.head("failed.bin")


def test_a_kept_upload_resumes_from_its_upload_id(view: Bucket) -> None:
    data = _data(16 * MiB, seed=4)
    flaky = _FailingReads(data, limit=10 * MiB, times=10**6)
    with pytest.raises(MultipartUploadError) as caught:
        view.upload_file(
            flaky, "resumed.bin", threshold=5 * MiB, part_size=5 * MiB, config=CONFIG, keep_for_resume=True
        )
    upload_id = caught.value.upload_id
    assert upload_id is not None
    assert [u.upload_id for u in view.uploads()] == [upload_id]
    done = view.upload_file(io.BytesIO(data), "resumed.bin", upload_id=upload_id, config=CONFIG)
    assert done.upload_id == upload_id
    assert done.parts_uploaded + done.parts_skipped == 4
    assert view.get_bytes("resumed.bin") == data
    assert list(view.uploads()) == []


def test_a_resume_after_the_file_changed_restamps_the_objects_digest(view: Bucket, tmp_path: Path) -> None:
    """The copy of the object onto itself with new metadata works on the peer as on S3."""
    old = _data(16 * MiB, seed=8)
    failed = interrupted_upload(view, old, "changed.bin", 10 * MiB, metadata={"owner": "ops"})
    new = old[: 12 * MiB] + b"edited" + old[12 * MiB + 6 :]
    done = view.upload_file(_file(tmp_path, new), "changed.bin", upload_id=failed.upload_id, config=CONFIG)
    head = view.head("changed.bin")
    assert head.sha256 == done.sha256 == hashlib.sha256(new).hexdigest()
    assert head.metadata["owner"] == "ops"
    out = tmp_path / "out.bin"
    assert view.download_file("changed.bin", out, config=CONFIG).verified
    assert out.read_bytes() == new


def test_a_cancelled_upload_is_aborted(view: Bucket, tmp_path: Path) -> None:
    data = _data(16 * MiB, seed=5)
    token = CancelToken()

    def cancel_soon(event: ProgressEvent) -> None:
        if event.done:
            token.cancel()

    with pytest.raises(TransferCancelledError, match="aborted"):
        view.upload_file(
            _file(tmp_path, data), "cancelled.bin", threshold=5 * MiB, part_size=5 * MiB,
            config=TransferConfig(max_workers=1, min_part_size=5 * MiB, progress_interval=0),
            progress=cancel_soon, cancel_token=token,
        )  # fmt: skip
    assert list(view.uploads()) == []


def test_a_cancelled_download_resumes_from_its_partial_file(view: Bucket, tmp_path: Path) -> None:
    data = _data(12 * MiB, seed=6)
    view.upload_file(_file(tmp_path, data), "resume.bin", config=CONFIG)
    token = CancelToken()
    out = tmp_path / "resume.out"
    slow = TransferConfig(max_workers=1, piece_size=MiB, max_request_size=MiB, progress_interval=0)

    def cancel_after_some(event: ProgressEvent) -> None:
        if event.done >= 3 * MiB:
            token.cancel()

    with pytest.raises(TransferCancelledError):
        view.download_file("resume.bin", out, config=slow, progress=cancel_after_some, cancel_token=token)
    assert not out.exists()
    assert os.path.exists(partial_paths(out)[1])
    result = view.download_file("resume.bin", out, config=CONFIG)
    assert out.read_bytes() == data
    assert result.verified
    assert result.pieces_resumed >= 3
    assert result.pieces_resumed + result.pieces_fetched == 12


@pytest.mark.parametrize("peer", ["moto"], indirect=True)
def test_an_object_replaced_during_a_download_fails_it(view: Bucket, tmp_path: Path) -> None:
    from cassdk_like.bucket import PreconditionFailed

    data = _data(6 * MiB, seed=7)
    view.upload_file(_file(tmp_path, data), "moving.bin", config=CONFIG)
    out = tmp_path / "moving.out"
    replaced = []

    def replace_once(event: ProgressEvent) -> None:
        if event.done and not replaced:
            replaced.append(view.put("moving.bin", b"another version"))

    slow = TransferConfig(max_workers=1, piece_size=MiB, max_request_size=MiB, progress_interval=0)
    with pytest.raises(PreconditionFailed, match="changed since the download began") as caught:
        view.download_file("moving.bin", out, config=slow, progress=replace_once)
    assert caught.value.local_path == str(out)
    assert not out.exists()
