"""upload_multipart against an in-memory target: parts, memory bound, retries, resume, cancel."""

from __future__ import annotations

import _thread
import io
import os
import threading
import time
from pathlib import Path
from typing import Any, List, Tuple

import attrs
import pytest

from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.cancel import current_cancel_token
from cassdk_like.core.checksums import CRC32, SHA256
from cassdk_like.core.exceptions import (
    ConnectionFailedError,
    InvalidArgumentError,
    LocalFileError,
    TransferCancelledError,
)
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.core.integrity import MiB, tree_hash
from cassdk_like.engine import (
    BandwidthLimiter,
    CancelToken,
    MultipartUploadError,
    PartBody,
    ProgressEvent,
    TransferConfig,
    upload_multipart,
)
from cassdk_like.engine import buffers as buffers_module
from cassdk_like.engine import upload as upload_module
from cassdk_like.engine.parts import hash_parts_with, witness_of
from cassdk_like.vault.errors import ServiceUnavailableException
from tests.helpers.engine_fakes import FakeTarget, PartFailure, server_error

FAST = RetryPolicy(total_attempts=3, backoff_base=0.0, backoff_cap=0.0)
CFG = TransferConfig(max_workers=3, min_part_size=MiB, retry_policy=FAST, poll_interval=0.02)


class Unseekable(io.RawIOBase):
    """A pipe-like stream: readable, not seekable."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        chunk = self._data.read(min(len(buf), 100_000))  # short reads, like a pipe
        buf[: len(chunk)] = chunk
        return len(chunk)


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "in.bin"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("size", [1, 1000, MiB - 1, MiB, 2 * MiB, 3 * MiB + 17], ids=lambda s: f"{s}B")
@pytest.mark.parametrize("kind", ["path", "fileobj", "stream"])
def test_upload_of_any_size_and_source_shape(tmp_path: Path, size: int, kind: str) -> None:
    data = os.urandom(size)
    target = FakeTarget()
    if kind == "path":
        result = upload_multipart(write(tmp_path, data), target, config=CFG)
    elif kind == "fileobj":
        with open(write(tmp_path, data), "rb") as handle:
            result = upload_multipart(handle, target, config=CFG)
    else:
        result = upload_multipart(Unseekable(data), target, size=size, config=CFG)
    assert target.archive() == data
    assert result.tree_hash == tree_hash(data)
    assert target.completed == (size, result.tree_hash)
    assert result.part_size == MiB
    assert result.parts_uploaded == len(target.calls) == -(-size // MiB)
    assert result.parts_skipped == 0
    assert result.upload_id == "upload-1"
    assert result.archive_id.startswith("archive-")


def test_zero_bytes_is_refused_before_sending() -> None:
    target = FakeTarget()
    with pytest.raises(InvalidArgumentError):
        upload_multipart(io.BytesIO(b""), target, config=CFG)
    assert target.calls == []


def test_fileobj_uploads_from_its_current_position_and_in_memory_files_work() -> None:
    data = os.urandom(2 * MiB + 9)
    buf = io.BytesIO(b"HEADER" + data)
    buf.seek(6)
    target = FakeTarget()
    upload_multipart(buf, target, config=CFG)
    assert target.archive() == data


def test_part_size_given_or_chosen(tmp_path: Path) -> None:
    data = os.urandom(5 * MiB)
    target = FakeTarget()
    result = upload_multipart(io.BytesIO(data), target, part_size=2 * MiB, config=CFG)
    assert [c.length for c in sorted(target.calls, key=lambda c: c.start)] == [2 * MiB, 2 * MiB, MiB]
    assert result.tree_hash == tree_hash(data)
    assert TransferConfig().part_size_for(5 * MiB) == 16 * MiB
    with pytest.raises(InvalidArgumentError):
        upload_multipart(io.BytesIO(data), FakeTarget(), part_size=3 * MiB, config=CFG)


def test_memory_bound_is_workers_plus_one_buffers(monkeypatch: pytest.MonkeyPatch) -> None:
    pools: List[buffers_module.BufferPool] = []

    class Recording(buffers_module.BufferPool):
        def __init__(self, count: int, size: int) -> None:
            super().__init__(count, size)
            pools.append(self)

    monkeypatch.setattr(upload_module, "BufferPool", Recording)
    gate = threading.Semaphore(0)
    threading.Timer(0.3, lambda: [gate.release() for _ in range(100)]).start()
    target = FakeTarget(on_part=lambda rng: gate.acquire(timeout=5))  # parts pile up until released
    data = os.urandom(20 * MiB)
    upload_multipart(Unseekable(data), target, size=len(data), config=CFG)
    assert target.archive() == data
    (pool,) = pools
    assert pool.count == CFG.max_workers + 1
    assert pool.max_in_use == pool.allocated == CFG.max_workers + 1  # reached, never exceeded
    assert pool.size == MiB


def test_retryable_part_error_is_retried() -> None:
    data = os.urandom(3 * MiB)
    target = FakeTarget(
        failures=[PartFailure(MiB, server_error(503, "ServiceUnavailableException"), times=2)]
    )
    result = upload_multipart(io.BytesIO(data), target, config=CFG)
    assert target.archive() == data
    assert result.parts_uploaded == 3
    assert sum(1 for c in target.calls if c.start == MiB) == 3


def test_failed_part_keeps_the_upload_and_resume_sends_only_missing_parts(tmp_path: Path) -> None:
    data = os.urandom(6 * MiB + 5)
    path = write(tmp_path, data)
    broken = PartFailure(3 * MiB, server_error(400, "InvalidParameterValueException"), times=-1)
    target = FakeTarget(failures=[broken])
    with pytest.raises(MultipartUploadError) as info:
        upload_multipart(path, target, config=CFG)
    err = info.value
    assert err.upload_id == "upload-1"
    assert "upload-1" in str(err)
    assert err.local_path == str(path)
    assert err.parts_total == 7
    assert 4 not in err.parts_done  # part numbers start at 1: the part at 3 MiB is number 4
    assert not target.aborted
    assert target.completed is None
    stored = set(target.parts)
    broken.times = 0
    target.calls.clear()
    result = upload_multipart(path, target, config=CFG, resume=True)
    assert {c.start for c in target.calls} == {i * MiB for i in range(7)} - stored
    assert result.parts_skipped == len(stored)
    assert result.parts_uploaded == 7 - len(stored)
    assert target.archive() == data
    assert result.tree_hash == tree_hash(data)


def test_resume_reuploads_a_stored_part_that_does_not_match(tmp_path: Path) -> None:
    data = os.urandom(4 * MiB)
    target = FakeTarget()
    upload_multipart(io.BytesIO(data), target, config=CFG)
    target.damage(2 * MiB)
    target.calls.clear()
    result = upload_multipart(Unseekable(data), target, size=len(data), config=CFG, resume=True)
    assert [c.start for c in target.calls] == [2 * MiB]
    assert result.parts_skipped == 3
    assert target.archive() == data


def test_resume_with_a_different_part_size_is_refused() -> None:
    data = os.urandom(4 * MiB)
    target = FakeTarget()
    upload_multipart(io.BytesIO(data), target, part_size=2 * MiB, config=CFG)
    with pytest.raises(InvalidArgumentError):
        upload_multipart(io.BytesIO(data), target, part_size=MiB, config=CFG, resume=True)


@pytest.mark.parametrize(("given", "actual"), [(3 * MiB, 2 * MiB), (2 * MiB, 2 * MiB + 1)])
def test_stream_size_mismatch_names_the_source(given: int, actual: int) -> None:
    stream = Unseekable(os.urandom(actual))
    stream.name = "/data/pipe"  # type: ignore[attr-defined]
    with pytest.raises(MultipartUploadError) as info:
        upload_multipart(stream, FakeTarget(), size=given, config=CFG)
    assert isinstance(info.value.__cause__, LocalFileError)
    assert "/data/pipe" in str(info.value.__cause__)


def test_path_size_mismatch_and_missing_file(tmp_path: Path) -> None:
    path = write(tmp_path, b"abc")
    with pytest.raises(LocalFileError):
        upload_multipart(path, FakeTarget(), size=4, config=CFG)
    with pytest.raises(LocalFileError) as info:
        upload_multipart(tmp_path / "nope", FakeTarget(), config=CFG)
    assert "nope" in str(info.value)


def test_file_that_grows_during_upload_is_detected(tmp_path: Path) -> None:
    path = write(tmp_path, os.urandom(2 * MiB))

    def grow(rng: ByteRange) -> None:
        if rng.start == 0:
            with open(path, "ab") as handle:
                handle.write(b"more")

    target = FakeTarget(on_part=grow)
    with pytest.raises(MultipartUploadError) as info:
        upload_multipart(path, target, config=CFG)
    assert info.value.local_path == str(path)
    assert "changed" in str(info.value)
    assert str(info.value).count("(local path: ") == 1  # named once, not again by the cause's text
    assert target.completed is None


@pytest.mark.parametrize("keep", [False, True])
def test_cancel_aborts_unless_kept_for_resume(keep: bool) -> None:
    token = CancelToken()
    target = FakeTarget(on_part=lambda rng: token.cancel() if rng.start == MiB else None)
    with pytest.raises(TransferCancelledError) as info:
        upload_multipart(
            io.BytesIO(os.urandom(8 * MiB)), target, config=CFG, cancel_token=token, keep_for_resume=keep
        )
    assert target.aborted is (not keep)
    assert ("kept for resume" in str(info.value)) is keep
    assert target.completed is None


def test_cancel_wakes_a_blocked_coordinator_quickly() -> None:
    token = CancelToken()
    target = FakeTarget(on_part=lambda rng: token.wait(10))
    threading.Timer(0.2, token.cancel).start()
    with pytest.raises(TransferCancelledError):
        upload_multipart(
            Unseekable(os.urandom(10 * MiB)), target, size=10 * MiB, config=CFG, cancel_token=token
        )


class _RecordingLimiter(BandwidthLimiter):
    """Books every part on a frozen clock and records the wait it was given (without sleeping)."""

    def __init__(self, rate: float) -> None:
        super().__init__(rate, clock=lambda: 0.0)
        self.booked: List[Tuple[int, float]] = []
        self._record_lock = threading.Lock()

    def reserve(self, nbytes: int) -> float:
        delay = super().reserve(nbytes)
        with self._record_lock:
            self.booked.append((nbytes, delay))
        return 0.0


def test_bandwidth_limit_paces_parts() -> None:
    """Every part is booked on the shared timeline: 4 MiB at 8 MiB/s ends 0.5 s after the start."""
    rate = 8 * MiB
    limiter = _RecordingLimiter(rate)
    cfg = TransferConfig(max_workers=2, min_part_size=MiB)
    upload_multipart(io.BytesIO(os.urandom(4 * MiB)), FakeTarget(), config=cfg, limiter=limiter)
    sizes = [n for n, _ in limiter.booked]
    assert sum(sizes) == 4 * MiB
    assert len(set(sizes)) == 1  # equal parts: the k-th booking waits k parts' worth of time
    expected = [k * sizes[0] / rate for k in range(1, len(sizes) + 1)]
    assert sorted(d for _, d in limiter.booked) == pytest.approx(expected)
    assert expected[-1] == pytest.approx(0.5)


def test_progress_counts_uploaded_and_skipped_parts_monotonically() -> None:
    data = os.urandom(5 * MiB)
    target = FakeTarget()
    upload_multipart(io.BytesIO(data[: 2 * MiB] + data[2 * MiB :]), target, config=CFG)
    events: List[ProgressEvent] = []
    cfg = TransferConfig(max_workers=2, min_part_size=MiB, progress_interval=0, poll_interval=0.001)
    upload_multipart(io.BytesIO(data), target, config=cfg, resume=True, progress=events.append)
    dones = [e.done for e in events]
    assert dones == sorted(dones)
    assert dones[-1] == len(data)
    assert events[-1].finished


def test_unknown_source_type_is_refused() -> None:
    with pytest.raises(InvalidArgumentError):
        upload_multipart(12345, FakeTarget(), config=CFG)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        upload_multipart(Unseekable(b"abc"), FakeTarget(), config=CFG)


def test_retryable_errors_exhausted_keep_the_upload() -> None:
    target = FakeTarget(failures=[PartFailure(0, ServiceUnavailableException(503), times=-1)])
    with pytest.raises(MultipartUploadError) as info:
        upload_multipart(io.BytesIO(os.urandom(MiB)), target, config=CFG)
    assert isinstance(info.value.__cause__, ServiceUnavailableException)
    assert len(target.calls) == FAST.total_attempts
    assert not target.aborted


class _SlowComplete(FakeTarget):
    """Complete blocks until released, and says when it has been entered (the request is out)."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    def complete(self, parts: Any, size: int) -> Any:
        self.entered.set()
        assert self.release.wait(10), "the test never released Complete"
        scope = current_cancel_token()
        if scope is not None and scope.cancelled:  # what the transport does to a request in flight
            raise TransferCancelledError("request aborted by the cancel")
        return super().complete(parts, size)


def _during_complete(target: _SlowComplete, *actions: Any) -> threading.Thread:
    """Run ``actions`` (callables) one by one once Complete is in flight, then release it."""

    def run() -> None:
        assert target.entered.wait(10)
        time.sleep(0.2)  # the caller's thread is now waiting for Complete's answer
        for action in actions:
            action()
            time.sleep(0.1)  # let the caller's thread handle each one before the next
        target.release.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_cancel_while_complete_is_in_flight_reports_the_object_that_exists() -> None:
    data = os.urandom(2 * MiB + 5)
    target = _SlowComplete()
    token = CancelToken()
    helper = _during_complete(target, token.cancel)
    result = upload_multipart(io.BytesIO(data), target, config=CFG, cancel_token=token)
    helper.join(5)
    assert token.cancelled
    assert result.archive_id.startswith("archive-")
    assert target.archive() == data
    assert not target.aborted


def test_one_ctrl_c_while_complete_is_in_flight_still_returns_the_object() -> None:
    data = os.urandom(2 * MiB + 5)
    target = _SlowComplete()
    helper = _during_complete(target, _thread.interrupt_main)
    result = upload_multipart(io.BytesIO(data), target, config=CFG)
    helper.join(5)
    assert result.archive_id.startswith("archive-")
    assert target.completed is not None


def test_a_second_ctrl_c_stops_waiting_for_complete() -> None:
    target = _SlowComplete()
    helper = _during_complete(target, _thread.interrupt_main, _thread.interrupt_main)
    with pytest.raises(KeyboardInterrupt):
        upload_multipart(io.BytesIO(os.urandom(2 * MiB + 5)), target, config=CFG)
    helper.join(5)
    assert not target.aborted  # the upload is kept: the object may exist


def test_a_lost_complete_answer_says_the_object_may_exist() -> None:
    class LostAnswer(FakeTarget):
        def complete(self, parts: Any, size: int) -> Any:
            super().complete(parts, size)
            raise ConnectionFailedError("connection reset while reading the answer")

    with pytest.raises(MultipartUploadError, match="object may exist") as caught:
        upload_multipart(io.BytesIO(os.urandom(2 * MiB)), LostAnswer(upload_id="u-1"), config=CFG)
    assert caught.value.upload_id == "u-1"


def test_file_touched_during_upload_fails_at_the_next_part_not_at_the_end(tmp_path: Path) -> None:
    path = write(tmp_path, os.urandom(8 * MiB))
    info = os.stat(path)

    def touch(rng: ByteRange) -> None:
        if rng.start == 0:  # same size, new mtime: only the metadata tells
            os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))

    target = FakeTarget(on_part=touch)
    cfg = TransferConfig(max_workers=1, min_part_size=MiB, retry_policy=FAST, poll_interval=0.02)
    with pytest.raises(MultipartUploadError) as err:
        upload_multipart(path, target, config=cfg)
    assert "changed" in str(err.value)
    assert len(target.calls) <= 2  # seen at the next part read, not after all 8 were sent
    assert target.completed is None


class _DigestRecorder(FakeTarget):
    """Records the names of the digests each part arrived with."""

    def __init__(self) -> None:
        super().__init__()
        self.digest_names: List[Tuple[str, ...]] = []

    def upload_part(self, number: int, body: PartBody) -> str:
        self.digest_names.append(tuple(sorted(body.digests)))
        return super().upload_part(number, body)


def test_a_file_part_is_re_read_under_a_crc32_witness_and_a_stream_part_is_not(tmp_path: Path) -> None:
    data = os.urandom(2 * MiB + 5)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    from_file = _DigestRecorder()
    upload_multipart(str(path), from_file, part_size=MiB)
    assert set(from_file.digest_names) == {("crc32", "sha256", "sha256-tree")}
    from_pipe = _DigestRecorder()
    upload_multipart(Unseekable(data), from_pipe, part_size=MiB, size=len(data))
    assert set(from_pipe.digest_names) == {("sha256", "sha256-tree")}
    assert b"".join(from_file.parts[k][1] for k in sorted(from_file.parts)) == data


def test_buffer_parts_reads_a_file_part_once_and_sends_what_it_hashed(tmp_path: Path) -> None:
    data = os.urandom(3 * MiB + 5)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    target = _DigestRecorder()
    bodies: List[type] = []
    sent = target.upload_part

    def record(number: int, body: PartBody) -> str:
        bodies.append(type(body.content()))
        return sent(number, body)

    target.upload_part = record  # type: ignore[method-assign]
    config = attrs.evolve(CFG, buffer_parts=True)
    result = upload_multipart(str(path), target, part_size=MiB, config=config)
    assert set(target.digest_names) == {("sha256", "sha256-tree")}  # no witness: nothing is re-read
    assert set(bodies) == {memoryview}
    assert b"".join(target.parts[k][1] for k in sorted(target.parts)) == data
    assert result.tree_hash == tree_hash(data)


def test_the_witness_is_crc32_whatever_the_target_sends() -> None:
    assert witness_of([SHA256]) is CRC32
    assert [s.name for s in hash_parts_with([SHA256], rereads=True)] == ["sha256", "crc32"]
    assert [s.name for s in hash_parts_with([], rereads=False)] == ["crc32"]
    assert [s.name for s in hash_parts_with([SHA256], rereads=False)] == ["sha256"]
