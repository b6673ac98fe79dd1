"""cterasdk's DirectIO client driven synchronously: each call is one ``asyncio.run``."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, Callable, List, Optional, Tuple

from cterasdk.direct.client import DirectIO
from cterasdk.direct.types import ByteRange

from cassdk_like.emulator.direct import AccessKey


def executor(client: DirectIO, meta: Any) -> Callable[[], Any]:
    """``client.executor`` for the metadata object ``_chunks`` returned, in either generation's
    signature (2.20.50: the metadata; 2.20.22, the seed's: chunks, key, file id)."""
    params = list(inspect.signature(client.executor).parameters)
    if params[0] == "metadata":
        return client.executor(meta)  # type: ignore[no-any-return]
    return client.executor(meta.chunks, meta.encryption_key, meta.file_id)  # type: ignore[no-any-return]


def _client(base: str, key: AccessKey) -> DirectIO:
    return DirectIO(base, key.access_key_id, key.secret_access_key)


def metadata(base: str, key: AccessKey, file_id: int) -> Any:
    async def run() -> Any:
        async with _client(base, key) as client:
            return await client.metadata(file_id)

    return asyncio.run(run())


def blocks(
    base: str,
    key: AccessKey,
    file_id: int,
    byte_range: Optional[Tuple[int, Optional[int]]] = None,
    max_workers: Optional[int] = None,
) -> List[Any]:
    """Every block cterasdk returns, in order (it answers with one task per block)."""

    async def run() -> List[Any]:
        async with _client(base, key) as client:
            chosen = None if byte_range is None else ByteRange(*byte_range)
            tasks = await client.blocks(file_id, byte_range=chosen, max_workers=max_workers)
            return list(await asyncio.gather(*tasks))

    return asyncio.run(run())


def stream(
    base: str, key: AccessKey, file_id: int, byte_range: Optional[Tuple[int, Optional[int]]] = None
) -> bytes:
    """The bytes of cterasdk's streamer for the range (inclusive end)."""

    async def run() -> bytes:
        async with _client(base, key) as client:
            chosen = None if byte_range is None else ByteRange(*byte_range)
            streamer = await client.streamer(file_id, byte_range=chosen)
            parts = [bytes(fragment.data) async for fragment in streamer.start()]
            return b"".join(parts)

    return asyncio.run(run())
