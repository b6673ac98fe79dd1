"""Connection failures and timeouts: typed, retried only by the transport, URLs kept out."""

from __future__ import annotations

import errno
import time
from typing import Any, List

import pytest
import requests
import responses
from requests.structures import CaseInsensitiveDict

from cassdk_like.core.blockfile import FileFormat
from cassdk_like.core.exceptions import TimedOutError
from cassdk_like.direct import (
    BlockListConnectionError,
    BlockListTimeout,
    Client,
    DownloadConnectionError,
    DownloadTimeout,
)
from cassdk_like.direct.highlevel.source import FileBlocks
from cassdk_like.direct.models import parse_metadata
from cassdk_like.engine import TransferConfig, fetch_blocks
from tests.unit.direct._fixture import BASE, SIGNATURE, add_block, block_calls, payload, publish
from tests.unit.direct.conftest import FAST


def test_an_unreachable_portal_is_a_block_list_connection_error(
    mock: responses.RequestsMock, client: Client
) -> None:
    mock.add("GET", f"{BASE}/directio/7", body=requests.exceptions.ConnectionError("refused"))
    with pytest.raises(BlockListConnectionError) as caught:
        client.metadata(7)
    assert caught.value.errno == errno.ENETRESET
    assert len(mock.calls) == FAST.total_attempts  # connection failures are worth retrying


def test_a_portal_timeout_is_a_block_list_timeout(mock: responses.RequestsMock, client: Client) -> None:
    mock.add("GET", f"{BASE}/directio/7", body=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(BlockListTimeout) as caught:
        client.metadata(7)
    assert caught.value.errno == errno.ETIMEDOUT


def test_an_unreachable_store_names_the_block_but_not_its_url(
    mock: responses.RequestsMock, client: Client
) -> None:
    published = publish(payload(2000), 1000)
    mock.add("GET", f"{BASE}/directio/7", json=published.document)
    cause = requests.exceptions.ConnectionError(f"Max retries exceeded with url: {published.urls[1]}")
    mock.add("GET", published.urls[1], body=cause)
    add_block(mock, published.urls[0], published.stored[0])
    with pytest.raises(DownloadConnectionError) as caught:
        client.blocks(7, [1, 2], None)
    error = caught.value
    assert error.block is not None
    assert error.block.number == 2
    assert len(block_calls(mock)) == 1 + FAST.total_attempts
    for text in (str(error), repr(error), str(error.__cause__ or ""), str(error.__context__ or "")):
        assert SIGNATURE not in text
        assert "sas0" not in text


class _SlowBody:
    """A 200 answer whose body trickles in: one byte every 20 ms."""

    def __init__(self, body: bytes) -> None:
        self.status = 200
        self.headers: CaseInsensitiveDict[str] = CaseInsensitiveDict({"Content-Length": str(len(body))})
        self.ok = True
        self._body = body
        self._pos = 0

    def readinto(self, buf: memoryview) -> int:
        time.sleep(0.02)
        if self._pos >= len(self._body):
            return 0
        buf[0] = self._body[self._pos]
        self._pos += 1
        return 1

    def readinto_for(self, buf: memoryview, seconds: float) -> int:
        return self.readinto(buf)

    def abort(self) -> None:
        return None

    def close(self) -> None:
        return None


class _SlowStore:
    def __init__(self, body: bytes) -> None:
        self.body = body
        self.calls: List[str] = []

    def get_block(self, url: str, *, resource: str = "block") -> Any:
        self.calls.append(url)
        return _SlowBody(self.body)


def test_a_block_body_slower_than_its_total_timeout_is_a_download_timeout() -> None:
    published = publish(payload(2000), 1000)
    meta = parse_metadata(published.document, 7)
    store = _SlowStore(published.stored[0])
    source = FileBlocks(
        store,  # type: ignore[arg-type]
        7,
        meta.chunks,
        meta.file_format,
        FileFormat.unwrap(meta.file_format, _secret()),
        body_timeout=0.1,
    )
    config = TransferConfig(retry_policy=FAST, poll_interval=0.01)
    started = time.monotonic()
    with pytest.raises(DownloadTimeout) as caught:
        fetch_blocks(source, [meta.blocks[0]], config=config)
    assert caught.value.block == meta.blocks[0]
    assert isinstance(caught.value.__cause__, TimedOutError)
    assert len(store.calls) == FAST.total_attempts  # a body that times out is fetched again, whole
    assert time.monotonic() - started < 3


def _secret() -> str:
    from tests.unit.direct._fixture import SECRET

    return SECRET
