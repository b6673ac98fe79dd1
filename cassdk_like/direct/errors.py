"""DirectIO's errors: one ``DirectIOError`` base inside the SDK's tree, cterasdk's cases as classes.

Each class carries the ``errno`` cterasdk gives the same case, so code that switches on it keeps
working (docs/directio-client.md §5).  The portal's answers are typed through an ``ErrorTable``
keyed by status (the portal names no codes); block failures carry the failed block's
``BlockInfo``.  No message holds a signed URL, a key or a secret: blocks are named by number.
"""

from __future__ import annotations

import errno as _errno
from typing import TYPE_CHECKING, Dict, Mapping, Optional, Type

from cassdk_like.core.errorparse import ParsedError, parse_json_error
from cassdk_like.core.errortable import ErrorDecoder, ErrorTable
from cassdk_like.core.exceptions import CASClientError, CASError, CASServerError, InvalidArgumentError

if TYPE_CHECKING:
    from cassdk_like.direct.models import BlockInfo

__all__ = [
    "DIRECTIO_ERRORS",
    "DIRECTIO_ERROR_DECODER",
    "AuthorizationError",
    "BlockError",
    "BlockListConnectionError",
    "BlockListTimeout",
    "BlockValidationError",
    "BlocksNotFoundError",
    "DecompressBlockError",
    "DecryptBlockError",
    "DecryptKeyError",
    "DirectIOClientError",
    "DirectIOError",
    "DirectIOServerError",
    "DownloadConnectionError",
    "DownloadError",
    "DownloadTimeout",
    "FileAccessDeniedError",
    "InvalidBlockSelectionError",
    "MetadataError",
    "ObjectNotFoundError",
    "PortalServerError",
    "SignedURLExpiredError",
    "StreamError",
    "UnsupportedStorageError",
    "parse_portal_error",
]


class DirectIOError(CASError):
    """Every DirectIO failure; ``errno`` as cterasdk's error for the same case."""

    errno: int = _errno.EIO


class DirectIOServerError(DirectIOError, CASServerError):
    """The portal answered the metadata request with an error status."""


class ObjectNotFoundError(DirectIOServerError):
    """No such file: the portal answers 400 for an unknown id, 404 for a revoked file."""

    errno = _errno.ENOENT


class AuthorizationError(DirectIOServerError):
    """401: the access key is missing, unknown or revoked."""

    errno = _errno.EACCES


class FileAccessDeniedError(AuthorizationError):
    """403: the access key is valid but may not read this file."""


class UnsupportedStorageError(DirectIOServerError):
    """422: the file's storage cannot be read directly."""

    errno = _errno.ENOTSUP


class PortalServerError(DirectIOServerError):
    """5xx after the transport's retries."""

    retryable = True


class DirectIOClientError(DirectIOError, CASClientError):
    """A DirectIO failure seen on this side of the wire."""


class InvalidBlockSelectionError(DirectIOError, InvalidArgumentError):
    """A ``blocks`` argument that names no block of the file (0, negative, past the end, a bool,
    a duplicate, another file's block); raised before any block is fetched."""

    errno = _errno.EINVAL


class BlockListConnectionError(DirectIOClientError):
    """The portal could not be reached (after retries)."""

    errno = _errno.ENETRESET
    retryable = True


class BlockListTimeout(DirectIOClientError):
    """The metadata request took longer than its timeout (after retries)."""

    errno = _errno.ETIMEDOUT
    retryable = True


class MetadataError(DirectIOClientError):
    """The metadata document is not one this client can read (bad JSON, bad fields, unknown format)."""

    errno = _errno.EBADMSG


class BlocksNotFoundError(DirectIOClientError):
    """The file's block map is empty."""

    errno = _errno.ENODATA


class DecryptKeyError(DirectIOClientError):
    """The wrapped data key does not open under the secret access key (or the secret is unusable)."""

    errno = _errno.EACCES


class BlockError(DirectIOClientError):
    """A block failed; ``block`` is its ``BlockInfo`` and ``status`` the HTTP status, if any."""

    def __init__(
        self,
        message: str = "",
        *,
        block: Optional[BlockInfo] = None,
        status: Optional[int] = None,
        **context: Optional[str],
    ) -> None:
        self.block = block
        self.status = status
        if context.get("resource") is None and block is not None:
            context["resource"] = f"file {block.file_id} block {block.number}"
        super().__init__(message, **context)


class DownloadError(BlockError):
    """A block could not be fetched (an error status, a body that kept breaking or was too long)."""


class DownloadConnectionError(DownloadError):
    """The object store could not be reached for a block (after retries)."""

    errno = _errno.ENETRESET
    retryable = True


class DownloadTimeout(DownloadError):
    """A block's request took longer than its timeout (after retries)."""

    errno = _errno.ETIMEDOUT
    retryable = True


class SignedURLExpiredError(DownloadError):
    """A block's URL was refused (403) again after the metadata was fetched afresh once."""

    errno = _errno.EACCES


class DecryptBlockError(BlockError):
    """The block's ciphertext is malformed, mis-padded, or fails authentication."""


class DecompressBlockError(BlockError):
    """The decrypted payload is not a well-formed stream of its codec."""


class BlockValidationError(BlockError):
    """The decoded block is not the length the block map declares."""

    errno = _errno.EBADMSG


class StreamError(DirectIOClientError):
    """A stream stopped; ``offset`` is the first byte not delivered (``seek`` there to resume).

    The failure itself is ``__cause__`` (a ``BlockError`` naming the block).
    """

    def __init__(self, message: str = "", *, offset: int = 0, **context: Optional[str]) -> None:
        self.offset = offset
        super().__init__(message, **context)


_STATUS_CLASSES: Dict[str, Type[CASServerError]] = {
    "400": ObjectNotFoundError,
    "401": AuthorizationError,
    "403": FileAccessDeniedError,
    "404": ObjectNotFoundError,
    "422": UnsupportedStorageError,
    **{str(status): PortalServerError for status in (500, 502, 503, 504)},
}


class _PortalTable(ErrorTable):
    """Statuses the table does not list still give a ``DirectIOServerError``."""

    def class_for(self, code: Optional[str]) -> Type[CASServerError]:
        found = super().class_for(code)
        return DirectIOServerError if found is CASServerError else found


#: the portal's status -> class table (docs/directio-client.md §5)
DIRECTIO_ERRORS: ErrorTable = _PortalTable("directio", _STATUS_CLASSES)


def parse_portal_error(status: int, headers: Mapping[str, str], body: bytes) -> ParsedError:
    """The status is the code; a JSON body's message is kept when there is one."""
    parsed = parse_json_error(status, headers, body)
    return ParsedError(code=str(status), message=parsed.message)


#: how the transport reads and types the portal's error answers
DIRECTIO_ERROR_DECODER = ErrorDecoder(parser=parse_portal_error, table=DIRECTIO_ERRORS)
