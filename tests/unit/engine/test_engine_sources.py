"""Upload sources: paths read with preadv, file objects (with and without a descriptor), streams."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from cassdk_like.core.exceptions import InvalidArgumentError, LocalFileError
from cassdk_like.engine import FileObjectSource, PathSource, StreamSource, open_upload_source


def test_path_source_reads_any_offset_and_detects_changes(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(bytes(range(256)) * 10)
    source = PathSource(path)
    buf = bytearray(5)
    source.read_into(1000, memoryview(buf))
    assert bytes(buf) == (bytes(range(256)) * 10)[1000:1005]
    source.check_unchanged()
    with pytest.raises(LocalFileError) as info:
        source.read_into(2558, memoryview(bytearray(5)))  # past the end
    assert str(path) in str(info.value)
    path.write_bytes(b"shorter")
    with pytest.raises(LocalFileError):
        source.check_unchanged()
    source.close()


def test_path_source_refuses_folders_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(LocalFileError):
        PathSource(tmp_path)
    with pytest.raises(LocalFileError):
        PathSource(tmp_path / "missing")


def test_file_object_without_descriptor_reads_under_a_lock() -> None:
    buf = io.BytesIO(b"0123456789")
    buf.seek(2)
    source = FileObjectSource(buf, size=5)
    assert source.size == 5
    assert source.random_access
    out = bytearray(3)
    source.read_into(1, memoryview(out))
    assert bytes(out) == b"345"
    with pytest.raises(LocalFileError):
        FileObjectSource(io.BytesIO(b"abc"), size=4)
    buf.seek(0, io.SEEK_END)
    buf.write(b"more")
    with pytest.raises(LocalFileError):
        source.check_unchanged()


def test_file_object_with_descriptor(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"abcdefgh")
    with open(path, "rb") as handle:
        handle.read(3)
        source, owned = open_upload_source(handle)
        assert not owned
        assert source.size == 5
        out = bytearray(5)
        source.read_into(0, memoryview(out))
        assert bytes(out) == b"defgh"


def test_stream_source_is_read_in_order_once() -> None:
    source = StreamSource(io.BufferedReader(io.BytesIO(b"abcdef")), 6)  # type: ignore[arg-type]
    assert not source.random_access
    out = bytearray(3)
    source.read_into(0, memoryview(out))
    with pytest.raises(InvalidArgumentError):
        source.read_into(0, memoryview(out))
    source.read_into(3, memoryview(out))
    assert bytes(out) == b"def"
    source.check_unchanged()
    with pytest.raises(InvalidArgumentError):
        StreamSource(io.BytesIO(b""), -1)


def test_reads_notice_a_changed_file_within_a_mib(tmp_path: Path) -> None:
    """The read path checks size and mtime itself every MiB, so an upload fails at the next part."""
    path = tmp_path / "f"
    path.write_bytes(bytes(4 * 1024 * 1024))
    info = os.stat(path)
    mib = memoryview(bytearray(1024 * 1024))
    with open(path, "rb") as handle:
        sources = [PathSource(path), FileObjectSource(handle)]
        for source in sources:
            source.read_into(0, mib)  # a check, the file is as it was
        os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 10**9))  # same size, new mtime
        for source in sources:
            with pytest.raises(LocalFileError, match=r"changed while being uploaded \(modified, same size\)"):
                source.read_into(1024 * 1024, mib)
        sources[0].close()
    unbacked = io.BytesIO(bytes(3 * 1024 * 1024))
    source = FileObjectSource(unbacked)
    source.read_into(0, mib)
    unbacked.seek(0, io.SEEK_END)
    unbacked.write(b"more")
    with pytest.raises(LocalFileError, match="changed size"):
        source.read_into(1024 * 1024, mib)


def test_a_short_read_from_a_shrunk_file_object_says_the_file_changed_size() -> None:
    source_file = io.BytesIO(b"x" * 4096)
    source = FileObjectSource(source_file, None)
    source.read_into(0, memoryview(bytearray(1024)))
    source_file.truncate(1536)  # the file shrinks between two reads
    with pytest.raises(LocalFileError, match=r"changed size while being uploaded \(4096 -> 1536\)"):
        source.read_into(1024, memoryview(bytearray(1024)))


def test_a_stream_that_ends_early_says_where() -> None:
    source = StreamSource(io.BytesIO(b"x" * 100), 200)
    with pytest.raises(LocalFileError, match="the data ended after 100 bytes, but its size is 200"):
        source.read_into(0, memoryview(bytearray(200)))
