"""DirectIO: read CTERA-style block files straight from object storage (docs/directio-client.md).

``DirectIO`` and ``Client`` keep cterasdk's names and arguments, blocking; ``DirectIOHTTP`` is the
raw low level under them.  Every failure is a ``DirectIOError`` carrying cterasdk's ``errno``;
block failures carry the block's ``BlockInfo``; bad input is refused before anything is sent.
"""

from cassdk_like.direct.errors import (
    AuthorizationError,
    BlockError,
    BlockListConnectionError,
    BlockListTimeout,
    BlocksNotFoundError,
    BlockValidationError,
    DecompressBlockError,
    DecryptBlockError,
    DecryptKeyError,
    DirectIOClientError,
    DirectIOError,
    DirectIOServerError,
    DownloadConnectionError,
    DownloadError,
    DownloadTimeout,
    FileAccessDeniedError,
    InvalidBlockSelectionError,
    MetadataError,
    ObjectNotFoundError,
    PortalServerError,
    SignedURLExpiredError,
    StreamError,
    UnsupportedStorageError,
)
from cassdk_like.direct.highlevel import Client, DirectIO, Downloader, Streamer
from cassdk_like.direct.lowlevel import DirectIOHTTP
from cassdk_like.direct.models import (
    Block,
    BlockInfo,
    ByteRange,
    Chunk,
    Credentials,
    FileMetadata,
    WrappedKey,
)
from cassdk_like.direct.settings import ENV_ACCESS_KEY_ID, ENV_SECRET_ACCESS_KEY, ENV_URL

__all__ = [
    "ENV_ACCESS_KEY_ID",
    "ENV_SECRET_ACCESS_KEY",
    "ENV_URL",
    "AuthorizationError",
    "Block",
    "BlockError",
    "BlockInfo",
    "BlockListConnectionError",
    "BlockListTimeout",
    "BlockValidationError",
    "BlocksNotFoundError",
    "ByteRange",
    "Chunk",
    "Client",
    "Credentials",
    "DecompressBlockError",
    "DecryptBlockError",
    "DecryptKeyError",
    "DirectIO",
    "DirectIOClientError",
    "DirectIOError",
    "DirectIOHTTP",
    "DirectIOServerError",
    "DownloadConnectionError",
    "DownloadError",
    "DownloadTimeout",
    "Downloader",
    "FileAccessDeniedError",
    "FileMetadata",
    "InvalidBlockSelectionError",
    "MetadataError",
    "ObjectNotFoundError",
    "PortalServerError",
    "SignedURLExpiredError",
    "StreamError",
    "Streamer",
    "UnsupportedStorageError",
    "WrappedKey",
]
