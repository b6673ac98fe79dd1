"""Single records over real HTTP: reduct-py's write/read/head/update/remove, and the raw wire
details (headers, 409/422/425/404 sentences, bodies streamed to and from disk)."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path
from typing import Iterator

import pytest
from reduct import Client, ReductError

from cassdk_like.emulator import Emulator
from tests.integration.reduct.emulator.reduct_raw import (
    Raw,
    error_of,
    open_socket,
    read_head,
    request_head,
    run,
)


@pytest.fixture
def raw(reduct_url: str, reduct_token: str) -> Iterator[Raw]:
    made = Raw(reduct_url, reduct_token)
    yield made
    made.close()


@pytest.fixture
def bucket(raw: Raw, reduct_bucket_name: str) -> str:
    assert raw.post(f"/b/{reduct_bucket_name}").status_code == 200
    return reduct_bucket_name


def client(reduct_url: str, reduct_token: str) -> Client:
    return Client(reduct_url, api_token=reduct_token)


def test_write_then_read_and_head_in_reduct_py(reduct_url: str, reduct_token: str, bucket: str) -> None:
    async def scenario() -> None:
        b = await client(reduct_url, reduct_token).get_bucket(bucket)
        await b.write(
            "sensor", b"first", timestamp=1_000, labels={"kind": "a", "n": 1}, content_type="text/plain"
        )
        await b.write("sensor", b"second!", timestamp=2_000)
        async with b.read("sensor", timestamp=1_000) as record:
            assert (record.timestamp, record.size, record.content_type) == (1_000, 5, "text/plain")
            assert record.labels == {"kind": "a", "n": "1"}
            assert await record.read_all() == b"first"
        async with b.read("sensor") as latest:  # no timestamp: the latest record
            assert latest.timestamp == 2_000
            assert latest.content_type == "application/octet-stream"
            assert latest.labels == {}
            assert await latest.read_all() == b"second!"
        async with b.read("sensor", timestamp=1_000, head=True) as head:
            assert (head.size, head.labels["kind"]) == (5, "a")
            assert await head.read_all() == b""

    run(scenario())


def test_a_record_answers_with_its_headers(raw: Raw, bucket: str) -> None:
    written = raw.post(
        f"/b/{bucket}/e?ts=10",
        data=b"xyz",
        headers={"Content-Type": "image/png", "x-reduct-label-Camera": "left"},
    )
    assert written.status_code == 200
    assert written.headers["x-reduct-api"] == "1.21"
    read = raw.get(f"/b/{bucket}/e?ts=10")
    assert read.status_code == 200
    assert read.content == b"xyz"
    assert read.headers["x-reduct-time"] == "10"
    assert read.headers["x-reduct-entry"] == "e"
    assert read.headers["x-reduct-label-camera"] == "left"
    assert read.headers["Content-Type"] == "image/png"
    assert read.headers["Content-Length"] == "3"
    assert read.headers["Content-Disposition"] == "attachment"
    assert read.headers["Server"] == "ReductStore 1.21.0"
    head = raw.request("HEAD", f"/b/{bucket}/e?ts=10")
    assert (head.status_code, head.headers["Content-Length"], head.content) == (200, "3", b"")


def test_update_sets_and_removes_labels(reduct_url: str, reduct_token: str, bucket: str) -> None:
    async def scenario() -> None:
        b = await client(reduct_url, reduct_token).get_bucket(bucket)
        await b.write("e", b"data", timestamp=5, labels={"keep": "1", "drop": "2"})
        await b.update("e", 5, {"drop": "", "new": "3"})
        async with b.read("e", timestamp=5) as record:
            assert record.labels == {"keep": "1", "new": "3"}
            assert await record.read_all() == b"data"

    run(scenario())


def test_duplicate_timestamp_is_409(raw: Raw, bucket: str) -> None:
    assert raw.post(f"/b/{bucket}/e?ts=7", data=b"a").status_code == 200
    assert error_of(raw.post(f"/b/{bucket}/e?ts=7", data=b"b")) == (
        409,
        "A record with timestamp 7 already exists",
    )
    assert raw.get(f"/b/{bucket}/e?ts=7").content == b"a"


def test_timestamp_errors_are_422(raw: Raw, bucket: str) -> None:
    assert error_of(raw.post(f"/b/{bucket}/e", data=b"a")) == (422, "'ts' parameter is required")
    assert error_of(raw.post(f"/b/{bucket}/e?ts=soon", data=b"a")) == (
        422,
        "'ts' must be an unix timestamp in microseconds",
    )
    assert error_of(raw.get(f"/b/{bucket}/e?ts=-1")) == (404, f"Entry 'e' not found in bucket '{bucket}'")


def test_a_write_without_content_length_is_422(reduct_url: str, reduct_token: str, bucket: str) -> None:
    sock = open_socket(reduct_url)
    try:
        request = request_head("POST", f"/b/{bucket}/e?ts=1", reduct_token)
        sock.sendall(request)
        status, headers, _ = read_head(sock)
    finally:
        sock.close()
    assert (status, headers["x-reduct-error"]) == (422, "content-length header is required")


def test_missing_records_and_entries_are_404_in_the_servers_words(raw: Raw, bucket: str) -> None:
    assert error_of(raw.get(f"/b/{bucket}/nothing")) == (
        404,
        f"Entry 'nothing' not found in bucket '{bucket}'",
    )
    assert error_of(raw.get("/b/no-such-bucket-x/e")) == (404, "Bucket 'no-such-bucket-x' is not found")
    for ts in (100, 200, 300):
        assert raw.post(f"/b/{bucket}/e?ts={ts}", data=b"r").status_code == 200
    assert error_of(raw.get(f"/b/{bucket}/e?ts=50")) == (404, f"Record 50 not found in entry {bucket}/e")
    assert error_of(raw.get(f"/b/{bucket}/e?ts=250")) == (
        404,
        f"Record 250 not found in block {bucket}/e/100",
    )
    status, message = error_of(raw.request("HEAD", f"/b/{bucket}/e?ts=250"))
    assert (status, message) == (404, f"Record 250 not found in block {bucket}/e/100")


def test_reduct_py_raises_the_servers_sentence(reduct_url: str, reduct_token: str, bucket: str) -> None:
    async def scenario() -> None:
        b = await client(reduct_url, reduct_token).get_bucket(bucket)
        with pytest.raises(ReductError) as info:
            async with b.read("ghost", timestamp=1):
                pass
        assert info.value.status_code == 404
        assert info.value.message == f"Entry 'ghost' not found in bucket '{bucket}'"

    run(scenario())


def test_a_record_still_arriving_is_425_and_its_duplicate_409(
    raw: Raw, reduct_url: str, reduct_token: str, bucket: str
) -> None:
    sock = open_socket(reduct_url)
    try:
        head = request_head("POST", f"/b/{bucket}/slow?ts=42", reduct_token, "Content-Length: 10")
        sock.sendall(head + b"01234")
        deadline = time.monotonic() + 10  # the record is indexed as soon as its headers are in
        while raw.get(f"/b/{bucket}/slow?ts=42").status_code != 425 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert error_of(raw.get(f"/b/{bucket}/slow?ts=42")) == (
            425,
            f"Record with timestamp 42 in {bucket}/slow is still being written",
        )
        assert error_of(raw.post(f"/b/{bucket}/slow?ts=42", data=b"x")) == (
            409,
            "A record with timestamp 42 already exists",
        )
        sock.sendall(b"56789")
        status, _headers, _ = read_head(sock)
        assert status == 200
    finally:
        sock.close()
    assert raw.get(f"/b/{bucket}/slow?ts=42").content == b"0123456789"


def test_a_body_that_never_arrives_leaves_no_record(
    raw: Raw, reduct_url: str, reduct_token: str, bucket: str
) -> None:
    sock = open_socket(reduct_url)
    head = request_head("POST", f"/b/{bucket}/cut?ts=1", reduct_token, "Content-Length: 100")
    sock.sendall(head + b"only part")
    sock.close()
    expected = (404, f"Record 1 not found in entry {bucket}/cut")  # the entry exists, the record not
    deadline = time.monotonic() + 10
    while error_of(raw.get(f"/b/{bucket}/cut?ts=1")) != expected and time.monotonic() < deadline:
        time.sleep(0.01)
    assert error_of(raw.get(f"/b/{bucket}/cut?ts=1")) == expected


def test_remove_record_then_entry(reduct_url: str, reduct_token: str, raw: Raw, bucket: str) -> None:
    async def scenario() -> None:
        b = await client(reduct_url, reduct_token).get_bucket(bucket)
        await b.write("e", b"1", timestamp=1)
        await b.write("e", b"2", timestamp=2)
        await b.remove_record("e", 1)
        with pytest.raises(ReductError) as info:
            async with b.read("e", timestamp=1):
                pass
        assert info.value.status_code == 404
        await b.remove_entry("e")
        assert [entry.name for entry in await b.get_entry_list()] == []

    run(scenario())
    assert error_of(raw.request("DELETE", f"/b/{bucket}/e")) == (
        404,
        f"Entry 'e' not found in bucket '{bucket}'",
    )


def test_entry_names_may_contain_slashes_and_rename_moves_children(
    reduct_url: str, reduct_token: str, raw: Raw, bucket: str
) -> None:
    async def scenario() -> None:
        b = await client(reduct_url, reduct_token).get_bucket(bucket)
        await b.write("robot/arm/joint", b"j", timestamp=3, labels={"axis": "x"})
        names = sorted(entry.name for entry in await b.get_entry_list())
        assert names == ["robot", "robot/arm", "robot/arm/joint"]
        await b.rename_entry("robot", "machine")
        async with b.read("machine/arm/joint", timestamp=3) as record:
            assert record.labels == {"axis": "x"}
            assert await record.read_all() == b"j"

    run(scenario())
    assert error_of(raw.post(f"/b/{bucket}/bad//name?ts=1", data=b"x")) == (
        422,
        "Entry name must be non-empty and must not contain empty path segments",
    )
    assert error_of(raw.post(f"/b/{bucket}/bad.name?ts=1", data=b"x")) == (
        422,
        "Entry name can contain only letters, digits and [-,_,/] symbols or end with '/$meta'",
    )
    renamed = raw.request("PUT", f"/b/{bucket}/machine/rename", json={"new_name": "machine/arm"})
    assert error_of(renamed) == (409, f"Entry 'machine/arm' already exists in bucket '{bucket}'")


def test_bodies_are_files_on_disk_and_survive_a_restart(tmp_path: Path) -> None:
    with Emulator(data_dir=tmp_path, reduct_api_token="restart-token") as emu:
        raw = Raw(emu.endpoints["reduct"], "restart-token")
        assert raw.post("/b/kept").status_code == 200
        assert raw.post("/b/kept/e?ts=1", data=b"persisted body").status_code == 200
        blobs = [p for p in (tmp_path / "blobs").iterdir() if p.read_bytes() == b"persisted body"]
        assert len(blobs) == 1
        raw.close()
    with Emulator(data_dir=tmp_path, reduct_api_token="restart-token") as emu:
        raw = Raw(emu.endpoints["reduct"], "restart-token")
        assert raw.get("/b/kept/e?ts=1").content == b"persisted body"
        raw.close()


class _Pattern:
    """A file-like body of ``size`` bytes made on the fly (requests sends it with its length)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.sent = 0

    def __len__(self) -> int:
        return self.size - self.sent

    def read(self, n: int = -1) -> bytes:
        n = self.size - self.sent if n < 0 else min(n, self.size - self.sent)
        self.sent += n
        return b"\xab" * n


def test_a_large_record_streams_both_ways_in_bounded_memory(raw: Raw, bucket: str) -> None:
    size = 48 * 1024 * 1024
    tracemalloc.start()
    try:
        written = raw.post(f"/b/{bucket}/big?ts=1", data=_Pattern(size))
        assert written.status_code == 200, written.headers
        received = 0
        with raw.get(f"/b/{bucket}/big?ts=1", stream=True) as response:
            assert response.headers["Content-Length"] == str(size)
            for chunk in response.iter_content(1024 * 1024):
                assert chunk == b"\xab" * len(chunk)
                received += len(chunk)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert received == size
    assert peak < 16 * 1024 * 1024, f"peak {peak} bytes for a {size}-byte record"
