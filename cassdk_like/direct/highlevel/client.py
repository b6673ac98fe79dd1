"""``Client``: cterasdk's DirectIO client, blocking, over the engine (docs/directio-client.md §2, §3 and §4).

It raises the typed errors of ``direct.errors`` and answers values; the block transfers run on the
engine's shared scheduler (bounded workers, cancel, bandwidth limit, progress).  The plaintext data
key is unwrapped inside the client for each call and never returned (docs/directio-client.md §3).
"""

from __future__ import annotations

from typing import Callable, List, Optional, Sequence, Tuple, Union

import attrs

from cassdk_like.core.blockfile import BlockFormat, DataKey, FileFormat, KeyUnwrapError
from cassdk_like.core.cancel import CancelToken
from cassdk_like.core.exceptions import BadResponseError, InvalidArgumentError, TimedOutError, TransportError
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.core.redact import redact_url_queries
from cassdk_like.direct.errors import (
    BlockListConnectionError,
    BlockListTimeout,
    DecryptKeyError,
    MetadataError,
)
from cassdk_like.direct.highlevel.source import FileBlocks
from cassdk_like.direct.highlevel.streamer import Streamer
from cassdk_like.direct.lowlevel import DEFAULT_TIMEOUT, DirectIOHTTP
from cassdk_like.direct.models import (
    Block,
    BlockInfo,
    ByteRange,
    Chunk,
    Credentials,
    FileId,
    FileMetadata,
    WrappedKey,
    check_file_id,
    parse_metadata,
)
from cassdk_like.direct.validation import check_selection, pick_blocks
from cassdk_like.engine import (
    Pacer,
    ProgressCallback,
    TransferConfig,
    TransferContext,
    fetch_blocks,
    positive_int,
)

__all__ = ["DEFAULT_WINDOW", "DEFAULT_WORKERS", "Client", "Downloader"]

#: blocks in flight at once (cterasdk's streamer uses 20; 8 saturates a link with 4 MiB blocks)
DEFAULT_WORKERS = 8
#: decoded blocks the streamer holds or fetches ahead
DEFAULT_WINDOW = 8
#: retries of a block body that breaks half-way (the transport retries the requests themselves)
_BODY_RETRIES = RetryPolicy(total_attempts=3, backoff_base=0.2, backoff_cap=2.0)

Downloader = Callable[[], List[Block]]
EncryptionKey = Union[WrappedKey, str, None]


class Client:
    """The DirectIO portal at ``baseurl`` read with ``credentials``. Thread-safe; close it, or ``with``.

    ``timeout``: seconds one request may take (metadata, or a block's headers); ``body_timeout``:
    seconds a block's body may take.  ``max_workers`` / ``window`` are the defaults of ``blocks``
    and ``streamer``; ``limiter`` caps the bandwidth of every transfer of this client.
    """

    def __init__(
        self,
        baseurl: str,
        credentials: Credentials,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        body_timeout: float = 300.0,
        retry_policy: Optional[RetryPolicy] = None,
        verify: Union[bool, str] = True,
        max_workers: int = DEFAULT_WORKERS,
        window: int = DEFAULT_WINDOW,
        limiter: Optional[Pacer] = None,
    ) -> None:
        if not isinstance(credentials, Credentials):
            raise InvalidArgumentError(
                f"credentials must be Credentials, not {type(credentials).__name__}",
                operation="DirectIO",
                resource=_portal(baseurl),
            )
        if not isinstance(credentials.secret_access_key, str) or not credentials.secret_access_key:
            raise InvalidArgumentError(
                "secret_access_key must be a non-empty string",
                operation="DirectIO",
                resource=_portal(baseurl),
            )
        self._credentials = credentials
        self._http = DirectIOHTTP(
            baseurl,
            credentials.access_key_id,
            timeout=timeout,
            retry_policy=retry_policy,
            verify=verify,
            max_pool_size=max(max_workers, 1) if isinstance(max_workers, int) else 1,
        )
        self._http.portal_transport.register_secret(credentials.secret_access_key)
        self._http.storage_transport.register_secret(credentials.secret_access_key)
        self._body_timeout = body_timeout
        self._config = TransferConfig(
            max_workers=max_workers, stream_window=window, retry_policy=_BODY_RETRIES
        )
        self._limiter = limiter

    @property
    def lowlevel(self) -> DirectIOHTTP:
        """The raw requests under this client (same connections)."""
        return self._http

    @property
    def url(self) -> str:
        """The portal URL."""
        return self._http.url

    # -- metadata -------------------------------------------------------------------------------

    def _fetch_metadata(self, file_id: FileId) -> FileMetadata:
        segment = check_file_id(file_id, "metadata")
        try:
            response = self._http.get_metadata(segment)
        except TimedOutError as exc:
            raise BlockListTimeout(
                redact_url_queries(exc.reason), operation="metadata", resource=f"file {segment}"
            ) from None
        except TransportError as exc:
            raise BlockListConnectionError(
                redact_url_queries(exc.reason), operation="metadata", resource=f"file {segment}"
            ) from None
        if not response.ok:
            raise response.to_error()
        try:
            document = response.json()
        except BadResponseError as exc:
            raise MetadataError(exc.reason, operation="metadata", resource=f"file {segment}") from None
        return parse_metadata(document, int(segment))

    def _unwrap(self, metadata: FileMetadata) -> Optional[DataKey]:
        return self._open_key(metadata.file_format, metadata.file_id)

    def _open_key(self, file_format: FileFormat, file_id: FileId) -> Optional[DataKey]:
        try:
            return file_format.unwrap(self._credentials.secret_access_key, resource=f"file {file_id}")
        except KeyUnwrapError as exc:
            raise DecryptKeyError(
                exc.reason, operation="unwrap data key", resource=f"file {file_id}"
            ) from None

    def metadata(self, file_id: FileId) -> FileMetadata:
        """The file's block map and format; the data key is unwrapped only to give its fingerprint."""
        found = self._fetch_metadata(file_id)
        key = self._unwrap(found)
        return attrs.evolve(found, key_fingerprint=key.fingerprint if key is not None else None)

    def _open(self, file_id: FileId) -> Tuple[FileMetadata, FileBlocks]:
        found = self._fetch_metadata(file_id)
        key = self._unwrap(found)
        source = FileBlocks(
            self._http,
            found.file_id,
            found.chunks,
            found.file_format,
            key,
            refresh=lambda: self._fetch_metadata(file_id).chunks,
            body_timeout=self._body_timeout,
        )
        return attrs.evolve(found, key_fingerprint=key.fingerprint if key is not None else None), source

    def _context(
        self, progress: Optional[ProgressCallback], cancel_token: Optional[CancelToken]
    ) -> TransferContext:
        return TransferContext.create(
            self._config, progress=progress, cancel_token=cancel_token, limiter=self._limiter
        )

    # -- blocks ---------------------------------------------------------------------------------

    def blocks(
        self,
        file_id: FileId,
        blocks: Optional[Sequence[Union[int, BlockInfo]]],
        max_workers: Optional[int],
        *,
        progress: Optional[ProgressCallback] = None,
        cancel_token: Optional[CancelToken] = None,
    ) -> List[Block]:
        """Blocks of ``file_id`` (None: all), decoded, in the order asked; ``max_workers`` in flight."""
        file_id = int(check_file_id(file_id, "blocks"))
        selection = check_selection(blocks, file_id)
        _check_workers(max_workers, "blocks", f"file {file_id}")
        found, source = self._open(file_id)
        picked = pick_blocks(found.blocks, selection, file_id)
        return _fetch(source, picked, max_workers, self._context(progress, cancel_token))

    def executor(
        self,
        chunks: Sequence[Chunk],
        encryption_key: EncryptionKey,
        file_id: Optional[FileId] = None,
        max_workers: Optional[int] = None,
    ) -> Downloader:
        """A callable that fetches and decodes ``chunks`` (from ``metadata().chunks``) when called.

        ``encryption_key`` is the *wrapped* key: ``metadata().encryption_key`` (any format), or the
        portal's base64 ``wrapped_key`` string of a v1 file; None for an unencrypted, uncompressed
        file.  It is opened with this client's secret (docs/directio-client.md §3).  With
        ``file_id``, a 403 on a block fetches the file's metadata afresh once.
        """
        if not isinstance(chunks, (list, tuple)) or not all(isinstance(c, Chunk) for c in chunks):
            raise InvalidArgumentError(
                "chunks must be a list of Chunk (metadata().chunks)", operation="executor"
            )
        if file_id is not None:
            file_id = int(check_file_id(file_id, "executor"))
        name: FileId = file_id if file_id is not None else (chunks[0].file_id if chunks else "")
        _check_workers(max_workers, "executor", f"file {name}")
        file_format = _format_of(encryption_key)
        key = self._open_key(file_format, name)
        wanted = list(chunks)
        refresh = None if file_id is None else (lambda: self._fetch_metadata(file_id).chunks)

        def download() -> List[Block]:
            source = FileBlocks(
                self._http, name, wanted, file_format, key, refresh=refresh, body_timeout=self._body_timeout
            )
            return _fetch(source, [chunk.info for chunk in wanted], max_workers, self._context(None, None))

        return download

    def streamer(
        self,
        file_id: FileId,
        byte_range: Optional[ByteRange],
        *,
        window: Optional[int] = None,
        progress: Optional[ProgressCallback] = None,
        cancel_token: Optional[CancelToken] = None,
    ) -> Streamer:
        """An iterator over ``byte_range`` (None: the whole file) of ``file_id``; see ``Streamer``."""
        segment = check_file_id(file_id, "streamer")
        rng = ByteRange.parse(byte_range, operation="streamer", resource=f"file {segment}")
        found, source = self._open(file_id)
        return Streamer(found, source, rng, self._context(progress, cancel_token), window=window)

    def close(self) -> None:
        """Close the connections of both the portal and the storage transport."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client({self.url!r}, access_key_id={self._credentials.access_key_id!r})"


def _portal(baseurl: object) -> str:
    """How an error names the portal (its URL carries no secret: no query is allowed)."""
    return f"portal {baseurl}" if isinstance(baseurl, str) and baseurl.strip() else "the DirectIO portal"


def _check_workers(max_workers: object, operation: str, resource: str) -> None:
    if max_workers is not None:
        positive_int("max_workers", max_workers, operation, resource)


def _format_of(encryption_key: EncryptionKey) -> FileFormat:
    if isinstance(encryption_key, WrappedKey):
        return encryption_key.file_format
    if isinstance(encryption_key, str):
        return FileFormat(True, "SNAPPY", BlockFormat.V1, encryption_key)
    if encryption_key is None:
        return FileFormat(encrypted=False, compression="NONE")
    raise InvalidArgumentError(
        "encryption_key must be metadata().encryption_key, a wrapped-key string or None, "
        f"not {type(encryption_key).__name__}",
        operation="executor",
    )


def _fetch(
    source: FileBlocks, picked: Sequence[BlockInfo], max_workers: Optional[int], context: TransferContext
) -> List[Block]:
    results = fetch_blocks(source, picked, max_workers=max_workers, context=context)
    return [
        Block(source.file_id, result.spec.number, result.spec.offset, result.spec.length, result.data)
        for result in results
    ]
