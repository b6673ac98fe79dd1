"""``blocks`` selections, ``executor``, ``streamer`` ranges, seek/resume and ``to_file``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import List, Optional

import pytest
import responses

from cassdk_like.core.blockfile import BlockFormat
from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.direct import (
    BlockInfo,
    ByteRange,
    Client,
    DecryptBlockError,
    DirectIOError,
    InvalidBlockSelectionError,
    StreamError,
)
from tests.unit.direct._fixture import BASE, add_block, block_calls, payload, portal_calls, publish, serve


@pytest.mark.parametrize(
    "selection",
    [[0], [-1], [True], [1, 1], [2, BlockInfo(7, 2, 1000, 1000)], "12", [1.0], [BlockInfo(8, 1, 0, 1000)]],
    ids=["zero", "negative", "bool", "duplicate", "duplicate-info", "string", "float", "other-file"],
)
def test_a_bad_selection_is_refused_before_any_request(
    mock: responses.RequestsMock, client: Client, selection: object
) -> None:
    serve(mock, publish(payload(3000), 1000))
    with pytest.raises(InvalidBlockSelectionError) as caught:
        client.blocks(7, selection, None)  # type: ignore[arg-type]
    assert isinstance(caught.value, InvalidArgumentError)
    assert isinstance(caught.value, DirectIOError)
    assert len(mock.calls) == 0


def test_a_number_past_the_end_is_refused_before_any_block_is_fetched(
    mock: responses.RequestsMock, client: Client
) -> None:
    serve(mock, publish(payload(3000), 1000))
    with pytest.raises(InvalidBlockSelectionError, match="has 3 blocks"):
        client.blocks(7, [1, 4], None)
    assert block_calls(mock) == []


def test_selected_blocks_come_back_in_the_order_asked(mock: responses.RequestsMock, client: Client) -> None:
    published = publish(payload(5000), 1000)
    serve(mock, published)
    infos = client.metadata(7).blocks
    got = client.blocks(7, [3, infos[0], 5], 2)
    assert [(b.number, b.offset, b.length) for b in got] == [(3, 2000, 1000), (1, 0, 1000), (5, 4000, 1000)]
    assert [b.data for b in got] == [published.plain(3), published.plain(1), published.plain(5)]
    assert got[0].file_id == 7
    assert sorted(int(c.request.url.split("/")[5].split("?")[0]) for c in block_calls(mock)) == [1, 3, 5]


def test_max_workers_is_checked(mock: responses.RequestsMock, client: Client) -> None:
    for bad in (0, -2, True, 1.5):
        with pytest.raises(InvalidArgumentError, match="max_workers"):
            client.blocks(7, None, bad)  # type: ignore[arg-type]
    assert len(mock.calls) == 0


def test_executor_reads_chunks_with_the_wrapped_key(mock: responses.RequestsMock, client: Client) -> None:
    published = publish(payload(4000), 1000, block_format=BlockFormat.V2)
    serve(mock, published)
    meta = client.metadata(7)
    download = client.executor(list(meta.chunks[1:3]), meta.encryption_key, file_id=7, max_workers=2)
    assert [b.data for b in download()] == [published.plain(2), published.plain(3)]
    legacy = publish(payload(2000), 1000, file_id=8)
    serve(mock, legacy)
    meta8 = client.metadata(8)
    wrapped = legacy.document["encrypt_info"]["wrapped_key"]
    assert [b.data for b in client.executor(list(meta8.chunks), wrapped)()] == [
        legacy.plain(1),
        legacy.plain(2),
    ]
    with pytest.raises(InvalidArgumentError, match="encryption_key"):
        client.executor(list(meta.chunks), b"raw key bytes")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("start", "end"),
    [(0, None), (0, 4499), (1, 1), (999, 1000), (1500, 3499), (4499, None), (2000, 2999), (10, 10**9)],
)
def test_the_streamer_yields_the_inclusive_range(
    mock: responses.RequestsMock, client: Client, start: int, end: Optional[int]
) -> None:
    published = publish(payload(4500), 1000)
    serve(mock, published)
    stop = None if end is None else end + 1
    assert b"".join(client.streamer(7, ByteRange(start, end))) == published.data[start:stop]


def test_a_start_past_the_end_yields_nothing(mock: responses.RequestsMock, client: Client) -> None:
    serve(mock, publish(payload(3000), 1000))
    assert list(client.streamer(7, ByteRange(3000))) == []
    assert block_calls(mock) == []


def test_bad_ranges_are_refused() -> None:
    for start, end in ((-1, None), (5, 4), (True, None)):
        with pytest.raises(InvalidArgumentError):
            ByteRange(start, end)  # type: ignore[arg-type]


def test_a_stream_error_carries_the_offset_and_resumes_there(
    mock: responses.RequestsMock, client: Client
) -> None:
    published = publish(payload(5000), 1000)
    mock.add("GET", f"{BASE}/directio/7", json=published.document)
    for number, (url, body) in enumerate(zip(published.urls, published.stored), 1):
        if number == 3:
            add_block(mock, url, body[:-16])  # truncated once
        add_block(mock, url, body)
    streamer = client.streamer(7, ByteRange(500))
    got: List[bytes] = []
    with pytest.raises(StreamError) as caught:
        got.extend(streamer)
    error = caught.value
    assert error.offset == 2000 == 500 + len(b"".join(got))
    assert isinstance(error.__cause__, DecryptBlockError)
    streamer.seek(error.offset)
    rest = b"".join(streamer)
    assert b"".join(got) + rest == published.data[500:]


def test_seek_moves_the_stream(mock: responses.RequestsMock, client: Client) -> None:
    published = publish(payload(4000), 1000)
    serve(mock, published)
    with client.streamer(7, None) as streamer:
        assert next(streamer) == published.plain(1)
        streamer.seek(3500)
        assert streamer.tell() == 3500
        assert b"".join(streamer) == published.data[3500:]
        with pytest.raises(InvalidArgumentError):
            streamer.seek(-1)


def test_to_file_writes_the_range(mock: responses.RequestsMock, client: Client, tmp_path: Path) -> None:
    published = publish(payload(4500), 1000)
    serve(mock, published)
    dest = tmp_path / "out.bin"
    written = client.streamer(7, ByteRange(100, 4000)).to_file(dest)
    assert dest.read_bytes() == published.data[100:4001]
    assert written.size == 3901
    assert os.listdir(tmp_path) == ["out.bin"]


def test_to_file_writes_nothing_when_a_block_is_tampered(
    mock: responses.RequestsMock, client: Client, tmp_path: Path
) -> None:
    published = publish(payload(4000), 1000, block_format=BlockFormat.V2)
    mock.add("GET", f"{BASE}/directio/7", json=published.document)
    for number, (url, body) in enumerate(zip(published.urls, published.stored), 1):
        add_block(mock, url, body if number != 4 else body[:-1] + bytes([body[-1] ^ 1]))
    dest = tmp_path / "out.bin"
    with pytest.raises(DecryptBlockError):
        client.streamer(7, None).to_file(dest)
    assert os.listdir(tmp_path) == []
    assert len(portal_calls(mock)) == 1
