"""Shared tokens: hand someone the files a transfer delivered to a bucket, without credentials.

JetStream's ``createSharedToken`` answers a token "which may be used by clients to log on and have
access to the manifest". Here (docs/transfer.md §8) a token shares what the latest completed
transfer of the manifest put in an S3 or COS bucket:

* The manager writes a *token document* under the destination's reserved prefix
  ``.cassdk-shared-tokens/``: each file's path, size, SHA-256 (the one the bucket upload stored)
  and a presigned GET URL that lives ``timeLimitSeconds``. The file list is sealed (HPKE, the PAR
  code in ``par.sealing``) to a key pair made for the token; the private key is sealed in the same
  document under a passphrase derived from the token's secret and the password, with the PAR
  passphrase KDF (scrypt). So the document is useless without the token string (and password).
* The token string carries the secret and a presigned GET URL of the document, nothing else, so its
  length does not depend on the file count. The document URL is signed once for 7 days (the
  presigned URL limit): a token cannot outlive its creation by more, whatever an update asks.
* The state database keeps the token's public key, the sealed private key as written in the
  document, the file list, the limits and the grant registry's revocation proof; never the secret
  or the password, so it can rewrite the document on an update and cannot open it.
* With a grant registry (``ConnectionSettings.grant_registry``; the emulator has one) the token is
  one grant there: deleting it refuses every redemption not yet started, the expiry holds even for
  the document URL, and ``downloadLimit`` is enforced by the service (emulator
  ``objectstore/budgets.py``). Without one, a download limit cannot be enforced: the Token
  Structure's ``enforced`` says so and ``SharedTokenNotEnforcedWarning`` is issued.

``redeem_shared_token(token, target_dir, password)`` is the holder's side: it reads the document,
opens it, and downloads every file through a read PAR (the shared engine: parallel ranged GETs,
verified, resumable), checks each against the document's size and SHA-256 and renames it into
place.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as _dt
import hashlib
import hmac
import json
import os
import secrets
import time
import warnings
import zlib
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Tuple, Union
from urllib.parse import urlsplit

import attrs
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from cassdk_like.bucket import MAX_PRESIGN_SECONDS, NoSuchKey, NotFound
from cassdk_like.core.exceptions import (
    CASError,
    CASServerError,
    HashDoesNotMatchError,
    LocalFileError,
    TransportError,
)
from cassdk_like.core.http import RetryPolicy
from cassdk_like.engine import TransferConfig
from cassdk_like.par import (
    PAR,
    Grant,
    ObjectReader,
    PARError,
    PARKeyPair,
    PARPassphraseError,
    PARSealError,
    PARTimeoutError,
    PARTransferError,
    Passphrase,
    amend_grant,
    canonical,
    check_par_key,
    describe_grant,
    open_sealed,
    par_request,
    par_transport,
    register_grant,
    seal_to_key,
    seal_with_passphrase,
    signature_digests,
)
from cassdk_like.transfer.destinations import BucketDestination, join_key, parse_address, resolve_settings
from cassdk_like.transfer.errors import (
    InvalidSharedTokenError,
    InvalidTransferArgumentError,
    SharedTokenNotEnforcedWarning,
    SharedTokenPasswordError,
    SharedTokenRefusedError,
    SharedTokenUnavailableError,
    TransferNotFoundError,
)
from cassdk_like.transfer.manifests import FILETYPE_DIRECTORY
from cassdk_like.transfer.store import DONE, SKIPPED, SharedTokenRecord, TransferRecord

if TYPE_CHECKING:
    from cassdk_like.transfer.manager import TransferManager

__all__ = [
    "DOCUMENT_FOLDER",
    "MAX_TIME_LIMIT",
    "REDEMPTION_HEADER",
    "TOKEN_PREFIX",
    "RedeemedToken",
    "SharedTokenInfo",
    "SharedTokens",
    "redeem_shared_token",
    "token_id_of",
]

#: the reserved folder, under the destination's prefix, that holds token documents
DOCUMENT_FOLDER = ".cassdk-shared-tokens"
#: the longest ``timeLimitSeconds`` (the presigned URL limit); also the default
MAX_TIME_LIMIT = MAX_PRESIGN_SECONDS
#: every token string starts so (format version 1)
TOKEN_PREFIX = "cst1-"  # noqa: S105 - a format marker, not a secret
#: the header naming one redemption at a grant registry (emulator ``objectstore/budgets.py``)
REDEMPTION_HEADER = "x-cassdk-redemption"
DOCUMENT_VERSION = 1
_SECRET_BYTES = 16
_SERVICES = ("s3", "cos")
_MAX_DOCUMENT = 256 * 1024 * 1024
_MAX_DESCRIPTION = 1024
_PASSWORD_FLAG, _COS_FLAG = 1, 2


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token_id_of(secret: bytes) -> str:
    """The public name of a token: a hash of its secret, safe to store, log and show."""
    return "tok-" + hashlib.sha256(b"cassdk-token/v1 id\0" + secret).hexdigest()[:32]


@attrs.frozen(repr=False)
class _Token:
    """A parsed token string: the secret, whether a password is needed, where the document is."""

    secret: bytes
    password: bool
    service: str
    url: str

    @property
    def id(self) -> str:
        return token_id_of(self.secret)

    def text(self) -> str:
        flags = (_PASSWORD_FLAG if self.password else 0) | (_COS_FLAG if self.service == "cos" else 0)
        return TOKEN_PREFIX + _b64url(self.secret + bytes([flags]) + zlib.compress(self.url.encode(), 9))

    def passphrase(self, password: Optional[str]) -> Passphrase:
        """What the document's key is sealed under: the secret and the password together."""
        return Passphrase(_b64url(self.secret) + "\n" + (password or ""), operation="shared token")

    def redemption_id(self, target_dir: str) -> str:
        """One id per token and folder, so a resumed redemption into the same folder counts once."""
        return hmac.new(
            self.secret, os.path.realpath(target_dir).encode("utf-8"), hashlib.sha256
        ).hexdigest()[:32]

    @classmethod
    def parse(cls, value: Any, operation: str) -> _Token:
        bad = InvalidSharedTokenError(
            f"not a shared token (it starts with {TOKEN_PREFIX!r})", operation=operation, resource="token"
        )
        if not isinstance(value, str) or not value.startswith(TOKEN_PREFIX):
            raise bad
        try:
            raw = _unb64url(value[len(TOKEN_PREFIX) :])
            if len(raw) < _SECRET_BYTES + 2 or raw[_SECRET_BYTES] & ~(_PASSWORD_FLAG | _COS_FLAG):
                raise bad
            url = zlib.decompress(raw[_SECRET_BYTES + 1 :]).decode("utf-8")
        except (binascii.Error, ValueError, zlib.error, UnicodeDecodeError):
            raise bad from None
        if urlsplit(url).scheme not in ("http", "https"):
            raise bad
        flags = raw[_SECRET_BYTES]
        return cls(
            raw[:_SECRET_BYTES], bool(flags & _PASSWORD_FLAG), "cos" if flags & _COS_FLAG else "s3", url
        )

    def __repr__(self) -> str:
        return f"_Token({self.id})"


@attrs.frozen
class SharedTokenInfo:
    """A shared token as the manager reports it. ``token`` (the bearer string) is set only where
    the caller gave or just got it: the manager never stores it."""

    id: str
    token: Optional[str] = attrs.field(repr=False)
    manifest_id: str
    transfer_id: int
    destination_id: str
    password_required: bool
    download_limit: Optional[int]
    downloads_started: Optional[int]
    time_limit_seconds: int
    expires: float
    created: float
    updated: float
    description: Optional[str]
    file_count: int
    total_size: int
    enforced: Dict[str, bool]
    user_data: Dict[str, str]


@attrs.frozen
class RedeemedToken:
    """What a redemption placed: the folder, and each file's path (below it) and size."""

    token_id: str
    target_dir: str
    files: Tuple[Tuple[str, int], ...]
    folders: Tuple[str, ...]

    @property
    def total_size(self) -> int:
        """Bytes placed."""
        return sum(size for _path, size in self.files)


def _utc(seconds: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(int(seconds), tz=_dt.timezone.utc)


def _key_header(token_id: str) -> Dict[str, Any]:
    return {"v": DOCUMENT_VERSION, "token_id": token_id, "purpose": "token key"}


def _files_header(token_id: str, service: str, bucket: str, generation: int, expires: int) -> Dict[str, Any]:
    return {
        "v": DOCUMENT_VERSION,
        "token_id": token_id,
        "service": service,
        "bucket": bucket,
        "generation": generation,
        "expires_at": expires,
    }


def _check_limit(name: str, value: Any, low: int, high: Optional[int], operation: str) -> Optional[int]:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < low
        or (high is not None and value > high)
    ):
        upper = "" if high is None else f"..{high}"
        why = " (7 days, the presigned URL limit)" if high == MAX_TIME_LIMIT else ""
        raise InvalidTransferArgumentError(
            f"{name} must be an integer in {low}{upper or '..'}{why}, got {value!r}", operation=operation
        )
    return value


def _check_text(name: str, value: Any, operation: str, *, blank: bool) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str) or (not blank and not value) or len(value) > _MAX_DESCRIPTION:
        raise InvalidTransferArgumentError(
            f"{name} must be a {'' if blank else 'non-empty '}str of at most {_MAX_DESCRIPTION} characters",
            operation=operation,
        )
    return value


class SharedTokens:
    """The sending side of shared tokens, over one manager's destinations and state database."""

    def __init__(self, manager: TransferManager, clock: Callable[[], float] = time.time) -> None:
        self._manager = manager
        self._store = manager._store
        self._clock = clock

    # -- look-ups -----------------------------------------------------------------------------------

    def record(self, token: Any, operation: str) -> Tuple[SharedTokenRecord, Optional[str]]:
        """The token named by its string or id (or a Token Structure), and the string when given."""
        text = token
        if isinstance(token, Mapping):
            text = token.get("token") or token.get("tokenId")
        given: Optional[str] = None
        if isinstance(text, str) and text.startswith("tok-"):
            token_id = text
        else:
            parsed = _Token.parse(text, operation)
            token_id, given = parsed.id, str(text)
        record = self._store.shared_token(token_id)
        if record is None:
            raise TransferNotFoundError("no such shared token", operation=operation, resource=token_id)
        return record, given

    def _bucket(
        self, destination_id: str, operation: str, resource: str
    ) -> Tuple[BucketDestination, Optional[str]]:
        dest = self._manager._dests.get(destination_id)
        if dest is None or not isinstance(dest.destination, BucketDestination):
            raise SharedTokenUnavailableError(
                "the token's destination is gone or cannot be opened", operation=operation, resource=resource
            )
        record = dest.record
        settings = resolve_settings(
            record.profile, self._manager._settings.get(record.profile), self._manager._config_path
        )
        return dest.destination, settings.grant_registry

    def _delivered(self, manifest_id: str, operation: str) -> TransferRecord:
        """The latest completed transfer of the manifest to a bucket destination."""
        resource = f"manifest {manifest_id!r}"
        elsewhere: List[str] = []
        for transfer in sorted(self._store.transfers(), key=lambda t: t.id, reverse=True):
            if transfer.manifest_id != manifest_id or transfer.status != "complete":
                continue
            dest = self._manager._dests.get(transfer.destination_id)
            if dest is None:
                continue
            scheme = parse_address(dest.record.address).scheme
            if scheme in _SERVICES:
                return transfer
            elsewhere.append(scheme)
        if "cas" in elsewhere:
            why = "it went only to a vault, whose archives need retrieval jobs before anyone can read them"
        elif "file" in elsewhere:
            why = "it went only to a local folder, which no one else can reach"
        else:
            why = "no transfer of it to an S3 or COS destination has completed"
        raise SharedTokenUnavailableError(f"nothing to share: {why}", operation=operation, resource=resource)

    def _files(
        self, transfer: TransferRecord, destination: BucketDestination, operation: str
    ) -> Dict[str, Any]:
        """The delivered files (path, key, size, stored SHA-256) and empty folders of ``transfer``."""
        prefix = str(transfer.options.get("destination_path", ""))
        files: List[Dict[str, Any]] = []
        folders: List[str] = []
        for _idx, entry, state, _nbytes in self._store.transfer_files(transfer.id):
            if state not in (DONE, SKIPPED):
                continue
            path = join_key(entry.dest)
            if entry.flags == FILETYPE_DIRECTORY:
                folders.append(path)
                continue
            key = destination.key_for(prefix, entry.dest)
            resource = f"object {key!r}"
            try:
                found = destination.bucket.head(key)
            except (NoSuchKey, NotFound):
                raise SharedTokenUnavailableError(
                    "a delivered file is no longer in the bucket", operation=operation, resource=resource
                ) from None
            if found.sha256 is None:
                raise SharedTokenUnavailableError(
                    "the object carries no stored SHA-256, so a holder could not verify it",
                    operation=operation,
                    resource=resource,
                )
            files.append({"path": path, "key": key, "size": found.size, "sha256": found.sha256})
        return {"files": files, "folders": folders}

    # -- the document -------------------------------------------------------------------------------

    def _mint(
        self, destination: BucketDestination, state: Mapping[str, Any], expires: int
    ) -> Tuple[List[Dict[str, Any]], Dict[str, int]]:
        """Presigned GETs of every file, alive until ``expires``, and {signature digest: file index}."""
        seconds = max(1, expires - int(self._clock()))
        listed: List[Dict[str, Any]] = []
        digests: Dict[str, int] = {}
        for index, item in enumerate(state["content"]["files"]):
            url = str(destination.bucket.presigned_get_url(item["key"], seconds))
            for digest in signature_digests(Grant(get=url)):
                digests[digest] = index
            listed.append({**item, "url": url})
        return listed, digests

    def _put(
        self,
        destination: BucketDestination,
        state: Mapping[str, Any],
        token_id: str,
        expires: int,
        listed: List[Dict[str, Any]],
    ) -> None:
        """Seal the file list to the token's public key and write the document (docs/transfer.md §8.2)."""
        bucket = destination.bucket
        header = _files_header(token_id, state["service"], bucket.name, state["generation"], expires)
        public = X25519PublicKey.from_public_bytes(base64.b64decode(state["public_key"]))
        body = canonical({"files": listed, "folders": state["content"]["folders"]})
        document = {**header, "key": state["key_seal"], "files": seal_to_key(body, public, header)}
        bucket.put(state["document_key"], canonical(document), content_type="application/json")

    def _token_budget(self, state: Dict[str, Any], digests: Mapping[str, int]) -> Dict[str, List[int]]:
        sizes = [item["size"] for item in state["content"]["files"]]
        return {digest: [index, sizes[index]] for digest, index in digests.items()}

    # -- the commands -------------------------------------------------------------------------------

    def create(
        self,
        manifest_id: Any,
        password: Optional[str] = None,
        download_limit: Optional[int] = None,
        time_limit_seconds: Optional[int] = None,
        description: Optional[str] = None,
    ) -> SharedTokenInfo:
        """A new token for what the latest completed bucket transfer of ``manifest_id`` delivered."""
        operation = "createSharedToken"
        manifest = self._manager._manifest_record(manifest_id, operation)
        password = _check_text("password", password, operation, blank=False)
        limit = _check_limit("downloadLimit", download_limit, 1, None, operation)
        seconds = _check_limit("timeLimitSeconds", time_limit_seconds, 1, MAX_TIME_LIMIT, operation)
        description = _check_text("description", description, operation, blank=True)
        transfer = self._delivered(manifest.id, operation)
        destination, registry = self._bucket(transfer.destination_id, operation, f"manifest {manifest.id!r}")
        content = self._files(transfer, destination, operation)
        now = self._clock()
        secret = secrets.token_bytes(_SECRET_BYTES)
        token_id = token_id_of(secret)
        service = destination.address.scheme
        document_key = destination.key_for(DOCUMENT_FOLDER, token_id)
        document_url = str(destination.bucket.presigned_get_url(document_key, MAX_TIME_LIMIT))
        token = _Token(secret, password is not None, service, document_url)
        pair = PARKeyPair.generate()
        private_raw = pair.private_key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        raw_public = pair.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        expires = int(now) + (seconds or MAX_TIME_LIMIT)
        state: Dict[str, Any] = {
            "service": service,
            "document_key": document_key,
            "public_key": base64.b64encode(raw_public).decode("ascii"),
            "key_seal": seal_with_passphrase(private_raw, token.passphrase(password), _key_header(token_id)),
            "content": content,
            "password": password is not None,
            "download_limit": limit,
            "time_limit": seconds or MAX_TIME_LIMIT,
            "expires": expires,
            "horizon": int(now) + MAX_TIME_LIMIT,
            "generation": 1,
            "description": description,
            "registry": registry,
            "proof": secrets.token_hex(32) if registry else None,
        }
        listed, digests = self._mint(destination, state, expires)
        self._put(destination, state, token_id, expires, listed)
        if registry is not None:
            try:
                register_grant(
                    registry,
                    token_id,
                    signatures=[*signature_digests(Grant(get=document_url)), *digests],
                    close_proof=state["proof"],
                    expires_at=_utc(expires),
                    operation=operation,
                    resource=token_id,
                    token={
                        "limit": limit,
                        "document_sha256": signature_digests(Grant(get=document_url)),
                        "files": self._token_budget(state, digests),
                    },
                )
            except CASError:
                destination.bucket.delete_object(document_key)
                raise
        elif limit is not None:
            warnings.warn(
                f"shared token {token_id}: the destination has no grant registry, so its download limit "
                "cannot be enforced (docs/transfer.md §8.4)",
                SharedTokenNotEnforcedWarning,
                stacklevel=3,
            )
        record = SharedTokenRecord(
            token_id,
            self._store.next_seq("shared_tokens"),
            manifest.id,
            transfer.id,
            transfer.destination_id,
            state,
            now,
            now,
        )
        self._store.add_shared_token(record)
        return self.info(record, token.text())

    def info(self, record: SharedTokenRecord, token: Optional[str] = None) -> SharedTokenInfo:
        """The Token Structure of ``record`` (``downloads_started`` asks the registry, when there is one)."""
        state = record.state
        started: Optional[int] = None
        if state["registry"]:
            try:
                found = describe_grant(
                    state["registry"], record.id, operation="getSharedToken", resource=record.id
                )
                started = int((found.get("token") or {}).get("redemptions", 0))
            except PARError:
                started = None
        files = state["content"]["files"]
        return SharedTokenInfo(
            id=record.id,
            token=token,
            manifest_id=record.manifest_id,
            transfer_id=record.transfer_id,
            destination_id=record.destination_id,
            password_required=bool(state["password"]),
            download_limit=state["download_limit"],
            downloads_started=started,
            time_limit_seconds=int(state["time_limit"]),
            expires=float(state["expires"]),
            created=record.created,
            updated=record.updated,
            description=state["description"],
            file_count=len(files),
            total_size=sum(int(item["size"]) for item in files),
            enforced={
                "timeLimit": True,
                "downloadLimit": bool(state["registry"]),
                "revocation": bool(state["registry"]),
            },
            user_data=self._store.user_data(record.id),
        )

    def get(self, token: Any) -> SharedTokenInfo:
        """The Token Structure of ``token`` (its string, its id or its structure)."""
        record, given = self.record(token, "getSharedToken")
        return self.info(record, given)

    def list(self, limit: Optional[int] = None) -> List[SharedTokenInfo]:
        """Every token of this state folder, oldest first (at most ``limit``; None or 0: all)."""
        count = _check_limit("limit", limit, 0, None, "getSharedTokens")
        records = self._store.shared_tokens()
        return [self.info(record) for record in (records[:count] if count else records)]

    def update(
        self, token: Any, time_limit_seconds: Optional[int] = None, description: Optional[str] = None
    ) -> SharedTokenInfo:
        """A new time limit (from now; URLs re-minted, document rewritten, the old URLs refused where
        a registry exists) and/or a new description."""
        operation = "updateSharedToken"
        record, given = self.record(token, operation)
        seconds = _check_limit("timeLimitSeconds", time_limit_seconds, 1, MAX_TIME_LIMIT, operation)
        description = _check_text("description", description, operation, blank=True)
        state = dict(record.state)
        now = self._clock()
        if seconds is not None:
            expires = int(now) + seconds
            if expires > state["horizon"]:
                raise InvalidTransferArgumentError(
                    f"a token lives at most 7 days ({MAX_TIME_LIMIT} s) from its creation, since its "
                    f"document URL is signed once: at most {max(0, state['horizon'] - int(now))} s are left",
                    operation=operation,
                    resource=record.id,
                )
            destination, _registry = self._bucket(record.destination_id, operation, record.id)
            state.update(time_limit=seconds, expires=expires, generation=state["generation"] + 1)
            listed, digests = self._mint(destination, state, expires)
            if state["registry"]:  # first, so no listed URL is ever unknown to the registry
                amend_grant(
                    state["registry"],
                    record.id,
                    state["proof"],
                    {"expires_at": expires, "files": self._token_budget(state, digests)},
                    operation=operation,
                    resource=record.id,
                )
            self._put(destination, state, record.id, expires, listed)
        if description is not None:
            state["description"] = description
        self._store.set_shared_token(record.id, state, now)
        updated = self._store.shared_token(record.id)
        assert updated is not None
        return self.info(updated, given)

    def delete(self, token: Any) -> None:
        """Stop the token: no redemption can start any more; one that has started may finish
        (docs/transfer.md §8.4 says where that is enforced)."""
        operation = "deleteSharedToken"
        record, _given = self.record(token, operation)
        state = record.state
        dest = self._manager._dests.get(record.destination_id)
        bucket = dest.destination.bucket if dest and isinstance(dest.destination, BucketDestination) else None
        if state["registry"]:
            amend_grant(
                state["registry"],
                record.id,
                state["proof"],
                {"close": True},
                operation=operation,
                resource=record.id,
            )
        else:
            document = "is deleted" if bucket else "stays: its destination is gone, so nothing deletes it"
            warnings.warn(
                f"shared token {record.id}: without a grant registry the file URLs already read stay valid "
                f"until {_utc(state['expires']).isoformat()}; the token document {document}",
                SharedTokenNotEnforcedWarning,
                stacklevel=3,
            )
        if bucket is not None:
            with contextlib.suppress(NoSuchKey, NotFound):
                bucket.delete_object(state["document_key"])
        self._store.delete_shared_token(record.id)


# -- the holder's side ------------------------------------------------------------------------------


def _fetch_document(
    token: _Token, rid: str, connect_url: Optional[str], retry_policy: Optional[RetryPolicy]
) -> Dict[str, Any]:
    operation = "redeem_shared_token"
    transport = par_transport(token.service, token.url, connect_url=connect_url, retry_policy=retry_policy)
    try:
        request = par_request(
            "GET",
            token.url,
            operation=operation,
            resource=token.id,
            connect_url=connect_url,
            headers={REDEMPTION_HEADER: rid},
        )
        response = transport.send(request)
        try:
            if not response.ok:
                error = response.to_error()
                code = getattr(error, "code", None)
                gone = response.status == 404
                raise SharedTokenRefusedError(
                    "the token was deleted (its document is gone)"
                    if gone
                    else f"the service refused the token document (HTTP {response.status} {code})",
                    status=response.status,
                    code=code,
                    operation=operation,
                    resource=token.id,
                )
            body = response.read()
        finally:
            response.close()
    except TransportError as exc:
        raise SharedTokenRefusedError(
            f"the token document could not be read ({type(exc).__name__})",
            operation=operation,
            resource=token.id,
        ) from exc
    finally:
        transport.close()
    try:
        document = json.loads(body.decode("utf-8")) if len(body) <= _MAX_DOCUMENT else None
    except (UnicodeDecodeError, ValueError):
        document = None
    if not isinstance(document, dict) or document.get("v") != DOCUMENT_VERSION:
        raise InvalidSharedTokenError(
            f"the token document is not one of format version {DOCUMENT_VERSION}",
            operation=operation,
            resource=token.id,
        )
    return document


def _open_document(token: _Token, document: Mapping[str, Any], password: Optional[str]) -> Dict[str, Any]:
    operation = "redeem_shared_token"
    try:
        header = _files_header(
            token.id,
            str(document["service"]),
            str(document["bucket"]),
            int(document["generation"]),
            int(document["expires_at"]),
        )
        if document.get("token_id") != token.id or not isinstance(document.get("key"), dict):
            raise KeyError("token_id")
        private_raw = open_sealed(
            document["key"], token.passphrase(password), _key_header(token.id), operation
        )
        private = X25519PrivateKey.from_private_bytes(private_raw)
        content = json.loads(open_sealed(document["files"], private, header, operation).decode("utf-8"))
    except PARPassphraseError:
        raise SharedTokenPasswordError(
            "the password does not open this token", operation=operation, resource=token.id
        ) from None
    except (PARSealError, KeyError, TypeError, ValueError):
        raise InvalidSharedTokenError(
            "the token document was changed after it was written", operation=operation, resource=token.id
        ) from None
    return {"header": header, **content}


def _place(
    token: _Token,
    item: Mapping[str, Any],
    index: int,
    header: Mapping[str, Any],
    root: str,
    options: Dict[str, Any],
) -> Tuple[str, int]:
    """Download one file beside its target, check it against the document, rename it into place."""
    operation = "redeem_shared_token"
    path = check_par_key(item["path"], operation)
    target = os.path.join(root, *path.split("/"))
    folder, name = os.path.split(target)
    partial = os.path.join(folder, f".{name}.cassdk-token")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise LocalFileError(
            f"cannot make the folder: {exc.strerror or exc}", operation=operation, local_path=folder
        ) from exc
    pair: PARKeyPair = options["pair"]
    par = PAR(
        Grant(get=str(item["url"])),
        str(item["key"]),
        pair,
        _utc(int(header["expires_at"])),
        is_readable=True,
        service=str(header["service"]),
        bucket=str(header["bucket"]),
        uid=f"{token.id}-{index}",
    )
    reader = ObjectReader(
        par,
        pair,
        buffer=options["buffer"],
        connect_url=options["connect_url"],
        config=options["config"],
        retry_policy=options["retry_policy"],
        headers={REDEMPTION_HEADER: options["rid"]},
    )
    try:
        result = reader.get_object_as_file(partial)
    except PARTimeoutError:
        raise SharedTokenRefusedError(
            "the token has expired", operation=operation, resource=token.id, local_path=target
        ) from None
    except PARTransferError as exc:
        raise SharedTokenRefusedError(
            f"the service refused a file of the token (HTTP {exc.status} {exc.code})",
            status=exc.status,
            code=exc.code,
            operation=operation,
            resource=token.id,
            local_path=target,
        ) from exc
    except CASServerError as exc:
        raise SharedTokenRefusedError(
            f"the service refused a file of the token (HTTP {exc.status})",
            status=exc.status,
            operation=operation,
            resource=token.id,
            local_path=target,
        ) from exc
    if result.size != item["size"] or result.integrity != "sha256" or result.tree_hash != item["sha256"]:
        os.remove(partial)
        raise HashDoesNotMatchError(
            "the file is not the one the token document lists",
            expected=str(item["sha256"]),
            actual=result.tree_hash or "-",
            operation=operation,
            resource=token.id,
            local_path=target,
        )
    os.replace(partial, target)
    return path, int(result.size)


def redeem_shared_token(
    token: str,
    target_dir: Union[str, os.PathLike[str]],
    password: Optional[str] = None,
    *,
    connect_url: Optional[str] = None,
    config: Optional[TransferConfig] = None,
    retry_policy: Optional[RetryPolicy] = None,
    buffer: float = 5,
) -> RedeemedToken:
    """Pull the files a shared token grants into ``target_dir``, without any credentials.

    Every file is downloaded with the shared engine (parallel ranged GETs, resumable), verified
    against the SHA-256 the bucket stored and the one the token document lists, and renamed into
    place; an interrupted redemption into the same folder resumes and counts once at a grant
    registry. ``connect_url`` sends the connections elsewhere (a stand-in for COS bucket hosts);
    ``buffer``: seconds of validity a request needs left. Raises ``InvalidSharedTokenError`` (not a
    token, a changed document), ``SharedTokenPasswordError``, ``SharedTokenRefusedError`` (deleted,
    expired, download limit reached: ``status`` 403 / 404 from the service), ``HashDoesNotMatchError``.
    """
    operation = "redeem_shared_token"
    parsed = _Token.parse(token, operation)
    if parsed.password and password is None:
        raise SharedTokenPasswordError("this token needs a password", operation=operation, resource=parsed.id)
    if not parsed.password and password is not None:
        raise SharedTokenPasswordError(
            "this token takes no password", operation=operation, resource=parsed.id
        )
    if password is not None and not isinstance(password, str):
        raise SharedTokenPasswordError("a password is a str", operation=operation, resource=parsed.id)
    root = os.fspath(target_dir)
    if os.path.exists(root) and not os.path.isdir(root):
        raise LocalFileError("the target is not a folder", operation=operation, local_path=root)
    rid = parsed.redemption_id(root)
    opened = _open_document(parsed, _fetch_document(parsed, rid, connect_url, retry_policy), password)
    header = opened["header"]
    if time.time() > int(header["expires_at"]):
        raise SharedTokenRefusedError("the token has expired", operation=operation, resource=parsed.id)
    options: Dict[str, Any] = {
        "pair": PARKeyPair.generate(),
        "rid": rid,
        "buffer": buffer,
        "connect_url": connect_url,
        "config": config,
        "retry_policy": retry_policy,
    }
    folders = []
    for folder in opened.get("folders", []):
        path = check_par_key(folder, operation)
        os.makedirs(os.path.join(root, *path.split("/")), exist_ok=True)
        folders.append(path)
    os.makedirs(root, exist_ok=True)
    placed = [
        _place(parsed, item, index, header, root, options)
        for index, item in enumerate(opened.get("files", []))
    ]
    return RedeemedToken(parsed.id, root, tuple(placed), tuple(folders))
