"""A DirectIO file built in the test and canned ``responses`` answers for its portal and store."""

from __future__ import annotations

import base64
import os
from typing import Any, Dict, List, Optional

import attrs
import responses

from cassdk_like.core.blockfile import BlockFormat, Codec, DataKey, FileFormat

BASE = "https://portal.test/ctera"
STORE = "https://store.test"
KEY_ID = "AKIA-directio-0001"
SECRET = base64.b64encode(bytes(range(32))).decode("ascii")
SIGNATURE = "sig0123456789abcdef"


@attrs.define
class PublishedFile:
    file_id: int
    data: bytes
    block_size: int
    document: Dict[str, Any]
    stored: List[bytes]
    urls: List[str]
    key: Optional[DataKey]

    def plain(self, number: int) -> bytes:
        start = (number - 1) * self.block_size
        return self.data[start : start + self.block_size]


def publish(
    data: bytes,
    block_size: int,
    *,
    file_id: int = 7,
    codec: Codec = Codec.SNAPPY_RAW,
    block_format: BlockFormat = BlockFormat.V1,
    encrypted: bool = True,
    legacy: bool = False,
    generation: int = 0,
) -> PublishedFile:
    """The blocks of ``data`` and a metadata document (8.3 schema, or the legacy one)."""
    key = DataKey.generate() if encrypted else None
    file_format = FileFormat.seal(key, SECRET, codec=codec, block_format=block_format)
    pieces = [data[at : at + block_size] for at in range(0, len(data), block_size)]
    stored = [
        file_format.encode_block(piece, codec=codec, key=key, file_id=file_id, number=n)
        for n, piece in enumerate(pieces, 1)
    ]
    urls = [block_url(file_id, n, generation) for n in range(1, len(pieces) + 1)]
    chunks = [{"url": url, "len": len(piece)} for url, piece in zip(urls, pieces)]
    if legacy:
        assert file_format.wrapped_key is not None
        document: Dict[str, Any] = {"wrapped_key": file_format.wrapped_key, "chunks": chunks}
    else:
        document = {**file_format.metadata_fields(), "chunks": chunks}
    return PublishedFile(file_id, data, block_size, document, stored, urls, key)


def block_url(file_id: int, number: int, generation: int = 0) -> str:
    query = f"X-Expires=99&X-Signature={SIGNATURE}{generation}&sig=sas{generation}"
    return f"{STORE}/blocks/{file_id}/{number}?{query}"


def serve(mock: responses.RequestsMock, published: PublishedFile) -> None:
    """The portal's metadata answer and every block at its URL."""
    mock.add("GET", f"{BASE}/directio/{published.file_id}", json=published.document)
    for url, body in zip(published.urls, published.stored):
        add_block(mock, url, body)


def add_block(mock: responses.RequestsMock, url: str, body: bytes = b"", status: int = 200) -> None:
    """One block answer, with the Content-Length an object store always sends."""
    headers = {"Content-Length": str(len(body))} if status == 200 else {}
    mock.add("GET", url, body=body, status=status, headers=headers, content_type="application/octet-stream")


def block_calls(mock: responses.RequestsMock) -> List[Any]:
    return [call for call in mock.calls if call.request.url.startswith(STORE)]


def portal_calls(mock: responses.RequestsMock) -> List[Any]:
    return [call for call in mock.calls if call.request.url.startswith(BASE)]


def payload(size: int) -> bytes:
    """Compressible but not constant bytes."""
    return (b"directio block payload " * (size // 23 + 1))[: size - 16] + os.urandom(min(16, size))
