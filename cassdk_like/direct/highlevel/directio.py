"""``DirectIO``: cterasdk's entry point, blocking; settings from arguments, environment or profile."""

from __future__ import annotations

import os
from typing import Any, List, Mapping, Optional, Sequence, Union

from cassdk_like.direct.highlevel.client import Client
from cassdk_like.direct.highlevel.streamer import Streamer
from cassdk_like.direct.models import Block, BlockInfo, ByteRange, FileId, FileMetadata
from cassdk_like.direct.settings import PROFILE, resolve_settings

__all__ = ["DirectIO"]


class DirectIO:
    """Read DirectIO files of the portal at ``baseurl`` with an access key pair.

    Each of ``baseurl``, ``access_key_id`` and ``secret_access_key`` left None comes from
    ``CTERA_DIRECTIO_URL`` / ``CTERA_ACCESS_KEY_ID`` / ``CTERA_SECRET_ACCESS_KEY``, else from the
    profile file's ``[directio]`` section (docs/directio-client.md §1).  The keyword options go to
    ``Client`` (``timeout``, ``body_timeout``, ``max_workers``, ``window``, ``verify``, ...).
    """

    def __init__(
        self,
        baseurl: Optional[str] = None,
        access_key_id: Optional[str] = None,
        secret_access_key: Optional[str] = None,
        *,
        profile: str = PROFILE,
        config_path: Optional[Union[str, os.PathLike[str]]] = None,
        environ: Optional[Mapping[str, str]] = None,
        **options: Any,
    ) -> None:
        url, credentials = resolve_settings(
            baseurl,
            access_key_id,
            secret_access_key,
            profile=profile,
            config_path=config_path,
            environ=environ,
        )
        self._client = Client(url, credentials, **options)

    @property
    def client(self) -> Client:
        """The client under this object (same connections)."""
        return self._client

    def metadata(self, file_id: FileId) -> FileMetadata:
        """The ``FileMetadata`` (blocks, keys, sizes) of ``file_id``."""
        return self._client.metadata(file_id)

    def blocks(
        self,
        file_id: FileId,
        blocks: Optional[Sequence[Union[int, BlockInfo]]] = None,
        max_workers: Optional[int] = None,
        **options: Any,
    ) -> List[Block]:
        """Blocks by 1-based number or ``BlockInfo`` (None: all), checked before any request."""
        return self._client.blocks(file_id, blocks, max_workers, **options)

    def streamer(self, file_id: FileId, byte_range: Optional[ByteRange] = None, **options: Any) -> Streamer:
        """A ``Streamer`` reading ``file_id`` (or ``byte_range`` of it) in order, with ``options``."""
        return self._client.streamer(file_id, byte_range, **options)

    def close(self) -> None:
        """Close the connections."""
        self._client.close()

    def __enter__(self) -> DirectIO:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"DirectIO({self._client.url!r})"
