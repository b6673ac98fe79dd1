"""The keys a PAR is sealed with: a recipient's X25519 key pair, or a passphrase (docs/par.md §3).

A PAR is sealed to the *recipient's* public key, so only the holder of the matching private key can
open it; :class:`PARKeyPair` makes such a pair and moves it to and from PEM. A
:class:`Passphrase` is the other way to seal: its text never appears in a repr, a message or a log.
The only rule on a passphrase is a minimum length (docs/par.md §3.3): character-class rules make
passphrases shorter and easier to guess, not stronger.
"""

from __future__ import annotations

import hashlib
from typing import Any, Optional, Union

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from cassdk_like.par.errors import PARKeyError, PARPassphraseError

__all__ = [
    "MIN_PASSPHRASE_LENGTH",
    "PARKeyPair",
    "Passphrase",
    "key_id",
    "load_private_key",
    "load_public_key",
]

#: characters; no other rule (docs/par.md §3.3)
MIN_PASSPHRASE_LENGTH = 12

PublicKeyLike = Union["PARKeyPair", X25519PublicKey, X25519PrivateKey, bytes, str]
PrivateKeyLike = Union["PARKeyPair", X25519PrivateKey, bytes, str]


class Passphrase:
    """A passphrase of at least ``MIN_PASSPHRASE_LENGTH`` characters; shows as ``Passphrase(***)``."""

    __slots__ = ("_text",)

    def __init__(self, text: str, *, operation: str = "passphrase") -> None:
        if not isinstance(text, str):
            raise PARPassphraseError("a passphrase must be a str", operation=operation)
        if len(text) < MIN_PASSPHRASE_LENGTH:
            raise PARPassphraseError(
                f"a passphrase needs at least {MIN_PASSPHRASE_LENGTH} characters", operation=operation
            )
        self._text = text

    def encode(self) -> bytes:
        """The UTF-8 bytes the key derivation reads."""
        return self._text.encode("utf-8")

    def __repr__(self) -> str:
        return "Passphrase(***)"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("a Passphrase is not pickled")


def as_passphrase(value: Any, operation: str) -> Passphrase:
    """``value`` (a str or a Passphrase) as a checked Passphrase."""
    return value if isinstance(value, Passphrase) else Passphrase(value, operation=operation)


def key_id(public_key: X25519PublicKey) -> str:
    """A short, public name of a key (the PAR records which key it was sealed to)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "x25519:" + hashlib.sha256(raw).hexdigest()[:32]


class PARKeyPair:
    """An X25519 key pair for receiving PARs. Give ``public_pem()`` to issuers; keep the private key."""

    __slots__ = ("_private",)

    def __init__(self, private_key: X25519PrivateKey) -> None:
        if not isinstance(private_key, X25519PrivateKey):
            raise PARKeyError("a PARKeyPair holds an X25519 private key", operation="key_pair")
        self._private = private_key

    @classmethod
    def generate(cls) -> PARKeyPair:
        """A new random X25519 key pair."""
        return cls(X25519PrivateKey.generate())

    @classmethod
    def from_pem(
        cls, data: Union[bytes, str], passphrase: Optional[Union[str, Passphrase]] = None
    ) -> PARKeyPair:
        """A pair from its private key's PKCS#8 PEM (encrypted when ``passphrase`` is given)."""
        return cls(load_private_key(data, passphrase))

    @property
    def private_key(self) -> X25519PrivateKey:
        """The private key; keep it secret."""
        return self._private

    @property
    def public_key(self) -> X25519PublicKey:
        """The public key."""
        return self._private.public_key()

    @property
    def key_id(self) -> str:
        """A short fingerprint of the public key, to tell pairs apart."""
        return key_id(self.public_key)

    def public_pem(self) -> bytes:
        """The public key as PEM bytes, what a sender needs to seal a PAR to you."""
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def private_pem(self, passphrase: Optional[Union[str, Passphrase]] = None) -> bytes:
        """PKCS#8 PEM; encrypted under ``passphrase`` when given (recommended on disk)."""
        if passphrase is None:
            encryption: serialization.KeySerializationEncryption = serialization.NoEncryption()
        else:
            secret = as_passphrase(passphrase, "private_pem").encode()
            encryption = serialization.BestAvailableEncryption(secret)
        return self._private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )

    def __repr__(self) -> str:
        return f"PARKeyPair(key_id={self.key_id!r})"

    def __reduce__(self) -> Any:
        raise TypeError("a PARKeyPair is not pickled; save private_pem(passphrase) instead")


def _pem_bytes(data: Union[bytes, bytearray, str]) -> bytes:
    return data.encode("ascii", "replace") if isinstance(data, str) else bytes(data)


def load_public_key(value: Any, operation: str = "seal") -> X25519PublicKey:
    """The recipient key from a key pair, an X25519 key (a private one gives its public half) or a
    public key PEM."""
    if isinstance(value, PARKeyPair):
        return value.public_key
    if isinstance(value, X25519PrivateKey):
        return value.public_key()
    if isinstance(value, X25519PublicKey):
        return value
    if isinstance(value, (bytes, bytearray, str)):
        try:
            loaded = serialization.load_pem_public_key(_pem_bytes(value))
        except (ValueError, TypeError):
            raise PARKeyError("not a public key PEM", operation=operation) from None
        if isinstance(loaded, X25519PublicKey):
            return loaded
        raise PARKeyError("PARs are sealed to X25519 keys; this PEM holds another kind", operation=operation)
    raise PARKeyError(f"cannot seal to a {type(value).__name__}", operation=operation)


def load_private_key(
    value: Any, passphrase: Optional[Union[str, Passphrase]] = None, operation: str = "open"
) -> X25519PrivateKey:
    """The recipient's private key from a key pair, an X25519 private key or a PKCS#8 PEM."""
    if isinstance(value, PARKeyPair):
        return value.private_key
    if isinstance(value, X25519PrivateKey):
        return value
    if isinstance(value, (bytes, bytearray, str)):
        secret = None if passphrase is None else as_passphrase(passphrase, operation).encode()
        try:
            loaded = serialization.load_pem_private_key(_pem_bytes(value), password=secret)
        except TypeError:
            raise PARPassphraseError(
                "the private key PEM is encrypted: give its passphrase", operation=operation
            ) from None
        except ValueError:
            raise PARKeyError(
                "not a private key PEM, or the passphrase does not open it", operation=operation
            ) from None
        if isinstance(loaded, X25519PrivateKey):
            return loaded
        raise PARKeyError(
            "PARs are opened with X25519 keys; this PEM holds another kind", operation=operation
        )
    raise PARKeyError(f"cannot open a PAR with a {type(value).__name__}", operation=operation)
