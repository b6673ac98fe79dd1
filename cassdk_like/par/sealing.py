"""Sealing a PAR's secret (its URLs) so that only the recipient opens it (docs/par.md §3).

Two ways to seal, both AES-256-GCM in the end:

* to a recipient's X25519 public key: HPKE (RFC 9180, base mode, X25519 / HKDF-SHA256 /
  AES-256-GCM) where the installed ``cryptography`` has it, else the same construction by hand
  (ephemeral X25519, HKDF-SHA256 over the shared secret, AES-256-GCM);
* under a passphrase: scrypt (n = 2**15, r = 8, p = 1, a random 16-byte salt) derives the AES key
  and a check value, so a wrong passphrase is told apart from a changed PAR.

Whatever else the PAR's JSON says (uid, kind, key, permissions, expiry, and the sealing parameters
themselves) is the associated data: change one byte of it and opening fails
(``PARTamperedError``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from typing import Any, Dict, Mapping, Optional

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from cassdk_like.par.errors import PARKeyError, PARPassphraseError, PARSealError, PARTamperedError
from cassdk_like.par.keys import Passphrase, as_passphrase, key_id, load_private_key, load_public_key

_hpke: Any
try:  # cryptography >= 50
    from cryptography.hazmat.primitives import hpke as _hpke
except ImportError:  # pragma: no cover - depends on the installed cryptography
    _hpke = None

__all__ = [
    "HPKE_SUITE",
    "PASSPHRASE_SUITE",
    "SCRYPT_N",
    "X25519_SUITE",
    "canonical",
    "has_hpke",
    "open_sealed",
    "seal_to_key",
    "seal_with_passphrase",
]

HPKE_SUITE = "HPKE-X25519-HKDF-SHA256-AES256GCM"
X25519_SUITE = "X25519-HKDF-SHA256-AES256GCM"
PASSPHRASE_SUITE = "scrypt-AES256GCM"  # noqa: S105 - a suite name, not a secret
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
#: the scrypt work factors a PAR may ask for (a forged JSON must not make us spend a gigabyte)
_SCRYPT_N_RANGE = (2**14, 2**20)
_HKDF_INFO = b"cassdk-par/v1 x25519"
_CHECK_LABEL = b"cassdk-par/v1 passphrase check"
_NONCE = 12


def has_hpke() -> bool:
    """True when the installed ``cryptography`` ships HPKE (version 50 and later)."""
    return _hpke is not None


def canonical(document: Mapping[str, Any]) -> bytes:
    """The one byte string a JSON document authenticates as (sorted keys, no spaces, UTF-8)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: Any, name: str, operation: str) -> bytes:
    if not isinstance(value, str):
        raise PARTamperedError(f"the PAR's {name} is missing or not text", operation=operation)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise PARTamperedError(f"the PAR's {name} is not base64", operation=operation) from None


def _aad(header: Mapping[str, Any], params: Mapping[str, Any]) -> bytes:
    return canonical({"par": header, "seal": params})


def _hpke_suite() -> Any:
    assert _hpke is not None
    return _hpke.Suite(_hpke.KEM.X25519, _hpke.KDF.HKDF_SHA256, _hpke.AEAD.AES_256_GCM)


def _raw(public_key: X25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _hand_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=ephemeral + recipient, info=_HKDF_INFO).derive(shared)


def seal_to_key(
    plaintext: bytes, recipient: Any, header: Mapping[str, Any], *, use_hpke: Optional[bool] = None
) -> Dict[str, Any]:
    """The ``seal`` object of a PAR sealed to ``recipient`` (a public key, PEM or key pair).

    ``use_hpke``: None picks HPKE when available; False forces the hand-made construction.
    """
    public = load_public_key(recipient, "seal")
    hpke = has_hpke() if use_hpke is None else use_hpke
    if hpke and not has_hpke():
        raise PARSealError("HPKE needs cryptography >= 50", operation="seal")
    params = {"suite": HPKE_SUITE if hpke else X25519_SUITE, "kid": key_id(public)}
    aad = _aad(header, params)
    if hpke:
        blob = _hpke_suite().encrypt(plaintext, public, info=aad)
    else:
        ephemeral = X25519PrivateKey.generate()
        eph_raw = _raw(ephemeral.public_key())
        key = _hand_key(ephemeral.exchange(public), eph_raw, _raw(public))
        nonce = os.urandom(_NONCE)
        blob = eph_raw + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)
    return {**params, "ct": _b64(blob)}


def _scrypt(secret: Passphrase, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=64, n=n, r=r, p=p).derive(secret.encode())


def _check_value(derived: bytes) -> bytes:
    return hmac.new(derived[32:], _CHECK_LABEL, hashlib.sha256).digest()[:16]


def seal_with_passphrase(
    plaintext: bytes, passphrase: Passphrase, header: Mapping[str, Any], *, n: int = SCRYPT_N
) -> Dict[str, Any]:
    """The ``seal`` object of a PAR sealed under ``passphrase``."""
    salt = os.urandom(16)
    derived = _scrypt(passphrase, salt, n, SCRYPT_R, SCRYPT_P)
    params = {
        "suite": PASSPHRASE_SUITE,
        "salt": _b64(salt),
        "n": n,
        "r": SCRYPT_R,
        "p": SCRYPT_P,
        "check": _b64(_check_value(derived)),
    }
    nonce = os.urandom(_NONCE)
    blob = nonce + AESGCM(derived[:32]).encrypt(nonce, plaintext, _aad(header, params))
    return {**params, "ct": _b64(blob)}


def open_sealed(
    seal: Mapping[str, Any], decrypt_key: Any, header: Mapping[str, Any], operation: str
) -> bytes:
    """The plaintext sealed in ``seal``; ``decrypt_key`` is the private key (or pair, or PEM) or the
    passphrase, as the suite needs."""
    params = {name: value for name, value in seal.items() if name != "ct"}
    blob = _unb64(seal.get("ct"), "ciphertext", operation)
    suite = params.get("suite")
    aad = _aad(header, params)
    if suite == PASSPHRASE_SUITE:
        return _open_passphrase(params, blob, decrypt_key, aad, operation)
    if suite in (HPKE_SUITE, X25519_SUITE):
        return _open_key(str(suite), params, blob, decrypt_key, aad, operation)
    raise PARTamperedError("the PAR names an unknown sealing suite", operation=operation)


def _open_key(
    suite: str, params: Mapping[str, Any], blob: bytes, decrypt_key: Any, aad: bytes, operation: str
) -> bytes:
    if decrypt_key is None or isinstance(decrypt_key, Passphrase):
        raise PARKeyError(
            "this PAR is sealed to a public key: give the matching private key", operation=operation
        )
    private = load_private_key(decrypt_key, operation=operation)
    if not hmac.compare_digest(str(params.get("kid", "")), key_id(private.public_key())):
        raise PARKeyError("this PAR is sealed to another key", operation=operation)
    try:
        if suite == HPKE_SUITE:
            if not has_hpke():
                raise PARSealError(
                    "this PAR is sealed with HPKE, which needs cryptography >= 50", operation=operation
                )
            return bytes(_hpke_suite().decrypt(blob, private, info=aad))
        if len(blob) < 32 + _NONCE + 16:
            raise InvalidTag()
        eph_raw, nonce, body = blob[:32], blob[32 : 32 + _NONCE], blob[32 + _NONCE :]
        ephemeral = X25519PublicKey.from_public_bytes(eph_raw)
        key = _hand_key(private.exchange(ephemeral), eph_raw, _raw(private.public_key()))
        return AESGCM(key).decrypt(nonce, body, aad)
    except (InvalidTag, ValueError):
        raise PARTamperedError("the PAR was changed after it was sealed", operation=operation) from None


def _open_passphrase(
    params: Mapping[str, Any], blob: bytes, decrypt_key: Any, aad: bytes, operation: str
) -> bytes:
    if decrypt_key is None:
        raise PARPassphraseError("this PAR is sealed under a passphrase: give it", operation=operation)
    if not isinstance(decrypt_key, (str, Passphrase)):
        raise PARKeyError("this PAR is sealed under a passphrase, not to a key", operation=operation)
    passphrase = as_passphrase(decrypt_key, operation)
    n, r, p = params.get("n"), params.get("r"), params.get("p")
    ints = all(isinstance(v, int) and not isinstance(v, bool) for v in (n, r, p))
    if not ints or (r, p) != (SCRYPT_R, SCRYPT_P) or not _SCRYPT_N_RANGE[0] <= n <= _SCRYPT_N_RANGE[1]:  # type: ignore[operator]
        raise PARTamperedError(
            "the PAR's scrypt parameters are not ones this SDK writes", operation=operation
        )
    salt = _unb64(params.get("salt"), "salt", operation)
    check = _unb64(params.get("check"), "passphrase check", operation)
    derived = _scrypt(passphrase, salt, int(n), int(r), int(p))  # type: ignore[arg-type]
    if not hmac.compare_digest(check, _check_value(derived)):
        raise PARPassphraseError("the passphrase does not open this PAR", operation=operation)
    if len(blob) < _NONCE + 16:
        raise PARTamperedError("the PAR's ciphertext is truncated", operation=operation)
    try:
        return AESGCM(derived[:32]).decrypt(blob[:_NONCE], blob[_NONCE:], aad)
    except InvalidTag:
        raise PARTamperedError("the PAR was changed after it was sealed", operation=operation) from None
