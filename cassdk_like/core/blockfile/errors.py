"""Typed failures of reading a block file: which step refused the bytes.

Each error names the step (``operation``) and the block or file (``resource``); none of them ever
carries key material, a secret or a signed URL. ``errno`` follows the codes cterasdk's DirectIO
errors use for the same cases, so callers that switch on errno keep working.
"""

from __future__ import annotations

import errno

from cassdk_like.core.exceptions import CASClientError

__all__ = [
    "BlockDecompressError",
    "BlockDecryptError",
    "BlockFileError",
    "BlockFormatError",
    "BlockValidationError",
    "KeyUnwrapError",
]


class BlockFileError(CASClientError):
    """A block or a wrapped key that this side refuses to decode."""

    errno: int = errno.EIO


class KeyUnwrapError(BlockFileError):
    """The wrapped data key does not open under this secret, or the secret is unusable."""

    errno = errno.EACCES


class BlockDecryptError(BlockFileError):
    """The block's ciphertext is malformed, mis-padded or fails its authentication tag."""

    errno = errno.EIO


class BlockDecompressError(BlockFileError):
    """The decrypted payload is not a well-formed stream of its codec."""

    errno = errno.EIO


class BlockValidationError(BlockFileError):
    """The decoded block is not the length the file's block map declares."""

    errno = errno.EBADMSG


class BlockFormatError(BlockFileError):
    """The file's metadata declares a block or key format this reader does not know, or is malformed."""

    errno = errno.ENOTSUP
