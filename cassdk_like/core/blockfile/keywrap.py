"""Wrapping a file's data key under an access key's secret, in the portal's scheme and in ours.

v1 is the portal's scheme (docs/directio-protocol.md §5.1): AES-256-ECB under the decoded secret
over ``"`` + base64(key) + ``"``, PKCS#7-padded. v2 is ours (docs/directio-protocol.md §5.2):
RFC 3394 AES key wrap under a key derived from the secret with HKDF-SHA256 and a per-file salt.
Both refuse secrets that do not decode to at least 32 bytes instead of padding them with zeros.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from cassdk_like.core.blockfile.datakey import DATA_KEY_SIZE, DataKey
from cassdk_like.core.blockfile.errors import KeyUnwrapError
from cassdk_like.core.exceptions import InvalidArgumentError

__all__ = [
    "KDF_SALT_SIZE",
    "V2_KDF_INFO",
    "new_kdf_salt",
    "unwrap_key_v1",
    "unwrap_key_v2",
    "wrap_key_v1",
    "wrap_key_v2",
]

#: the shortest decoded secret accepted (an AES-256 key's worth)
_MIN_SECRET = 32
KDF_SALT_SIZE = 16
V2_KDF_INFO = b"cassdk_like directio v2 key-encryption key"
_QUOTE = b'"'


def _b64decode(text: str) -> bytes:
    return base64.b64decode(text.strip().encode("ascii"), validate=True)


def _decode_secret(secret: str) -> bytes:
    """The decoded secret, or ValueError (never echoing it)."""
    try:
        raw = _b64decode(secret)
    except (binascii.Error, UnicodeEncodeError, AttributeError):
        raise ValueError("the secret access key is not base64") from None
    if len(raw) < _MIN_SECRET:
        raise ValueError(f"the secret access key decodes to fewer than {_MIN_SECRET} bytes")
    return raw


def _secret_for_wrap(secret: str) -> bytes:
    try:
        return _decode_secret(secret)
    except ValueError as error:
        raise InvalidArgumentError(str(error), operation="wrap data key") from None


def _secret_for_unwrap(secret: str, resource: str) -> bytes:
    try:
        return _decode_secret(secret)
    except ValueError as error:
        raise KeyUnwrapError(str(error), operation="unwrap data key", resource=resource) from None


def wrap_key_v1(key: DataKey, secret: str) -> str:
    """The portal's wrapped key (base64) for ``key`` under the base64 ``secret``."""
    kek = _secret_for_wrap(secret)[:_MIN_SECRET]
    plain = _QUOTE + base64.b64encode(key.reveal()) + _QUOTE
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(kek), modes.ECB()).encryptor()  # noqa: S305 - the portal's wire scheme
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode("ascii")


def unwrap_key_v1(wrapped_key: str, secret: str, *, resource: str = "data key") -> DataKey:
    """Open a portal-wrapped key; anything but exactly ``"`` + base64(32 bytes) + ``"`` is refused."""
    kek = _secret_for_unwrap(secret, resource)[:_MIN_SECRET]
    refused = KeyUnwrapError(
        "the wrapped key does not open under this secret", operation="unwrap data key", resource=resource
    )
    try:
        blob = _b64decode(wrapped_key)
    except (binascii.Error, UnicodeEncodeError, AttributeError):
        raise refused from None
    if not blob or len(blob) % 16:
        raise refused
    decryptor = Cipher(algorithms.AES(kek), modes.ECB()).decryptor()  # noqa: S305 - the portal's wire scheme
    padded = decryptor.update(blob) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        plain = unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise refused from None
    if len(plain) < 2 or plain[:1] != _QUOTE or plain[-1:] != _QUOTE:
        raise refused
    try:
        raw = base64.b64decode(plain[1:-1], validate=True)
    except binascii.Error:
        raise refused from None
    if len(raw) != DATA_KEY_SIZE:
        raise refused
    return DataKey(raw)


def new_kdf_salt() -> bytes:
    """A fresh per-file salt for the v2 key-encryption key."""
    return os.urandom(KDF_SALT_SIZE)


def _kek_v2(secret: bytes, salt: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=V2_KDF_INFO).derive(secret)


def wrap_key_v2(key: DataKey, secret: str, salt: bytes) -> str:
    """Our wrapped key (base64 of the 40-byte RFC 3394 output) under HKDF(secret, salt)."""
    if len(salt) != KDF_SALT_SIZE:
        raise InvalidArgumentError(f"the salt is {KDF_SALT_SIZE} bytes", operation="wrap data key")
    kek = _kek_v2(_secret_for_wrap(secret), salt)
    return base64.b64encode(aes_key_wrap(kek, key.reveal())).decode("ascii")


def unwrap_key_v2(wrapped_key: str, secret: str, salt: bytes, *, resource: str = "data key") -> DataKey:
    """Open our wrapped key; the key wrap's integrity check refuses a wrong secret or salt."""
    refused = KeyUnwrapError(
        "the wrapped key does not open under this secret", operation="unwrap data key", resource=resource
    )
    raw_secret = _secret_for_unwrap(secret, resource)
    if len(salt) != KDF_SALT_SIZE:
        raise refused
    try:
        blob = _b64decode(wrapped_key)
    except (binascii.Error, UnicodeEncodeError, AttributeError):
        raise refused from None
    if len(blob) != DATA_KEY_SIZE + 8:
        raise refused
    try:
        raw = aes_key_unwrap(_kek_v2(raw_secret, salt), blob)
    except InvalidUnwrap:
        raise refused from None
    return DataKey(raw)
