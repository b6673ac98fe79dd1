"""Destinations: where a transfer's files go, named by an address and opened with a profile.

An address names one of the SDK's own stores (docs/transfer.md §2):

* ``s3://bucket/prefix``: an S3 bucket, objects under ``prefix``;
* ``cos://bucket-appid/prefix``: a COS bucket (the APPID is the name's numeric suffix);
* ``cas://vault``: a CAS vault (archives carry the destination path as their description);
* ``file:///dir``: a local folder.

Connection settings come from a profile: one the manager was given in memory (``settings=``),
else the profile file and the environment, as every client of the SDK resolves them.  Only the
address and the profile's *name* are stored; credentials are never written to the state folder.
Each destination sends one file through the SDK's existing paths: ``Bucket.upload_file`` (single
PUT or the engine's parallel multipart, checksummed), ``Vault.upload_archive``, or the engine's
``TemporaryFile`` (temp file, fsync, atomic rename) for a folder.
"""

from __future__ import annotations

import abc
import os
from typing import Callable, List, Mapping, Optional, Tuple, Type, TypeVar
from urllib.parse import unquote

import attrs

from cassdk_like.bucket import (
    Bucket,
    BucketAPI,
    BucketClient,
    COSClient,
    NoSuchKey,
    NoSuchUpload,
    NotFound,
    S3Client,
)
from cassdk_like.core.cancel import CancelToken
from cassdk_like.core.config import load_profile, resolve_credentials
from cassdk_like.core.dates import iso_date
from cassdk_like.core.exceptions import PartsMismatchError
from cassdk_like.engine import Pacer, TransferConfig
from cassdk_like.engine.placement import TemporaryFile, local_error
from cassdk_like.transfer.errors import InvalidDestinationError
from cassdk_like.vault import CasAPI, CASClient, ResourceNotFoundException, Vault

__all__ = [
    "SCHEMES",
    "Address",
    "ConnectionSettings",
    "Destination",
    "RemoteFile",
    "join_key",
    "open_destination",
    "parse_address",
]

SCHEMES = ("s3", "cos", "cas", "file")
#: user metadata holding the source's modification time (microseconds) on bucket objects
MTIME_METADATA = "mtime-us"
_COPY_CHUNK = 1024 * 1024
#: how far behind ours a store's clock may be when its upload times are compared with a transfer's
_CLOCK_SKEW = 900.0


@attrs.frozen
class Address:
    """A parsed destination address: ``scheme``, ``container`` (bucket, vault or folder), ``prefix``."""

    scheme: str
    container: str
    prefix: str = ""

    def __str__(self) -> str:
        if self.scheme == "file":
            return f"file://{self.container}"
        tail = f"/{self.prefix}" if self.prefix else ""
        return f"{self.scheme}://{self.container}{tail}"


def parse_address(text: object, *, operation: str = "createDestination") -> Address:
    """The address, normalised (no trailing slash, prefix without leading/trailing slashes)."""
    if not isinstance(text, str) or "://" not in text:
        raise InvalidDestinationError(
            f"a destination address is SCHEME://..., one of {', '.join(SCHEMES)}; got {text!r}",
            operation=operation,
            resource=repr(text),
        )
    scheme, _, rest = text.partition("://")
    scheme = scheme.lower()
    resource = f"destination {text!r}"
    if scheme not in SCHEMES:
        raise InvalidDestinationError(
            f"unknown scheme {scheme!r}: use one of {', '.join(SCHEMES)}",
            operation=operation,
            resource=resource,
        )
    if scheme == "file":
        path = unquote(rest)
        if not path.startswith("/"):
            raise InvalidDestinationError(
                "a folder address is file:///absolute/path", operation=operation, resource=resource
            )
        return Address("file", os.path.normpath(path))
    container, _, prefix = rest.partition("/")
    prefix = "/".join(part for part in prefix.split("/") if part)
    if not container or container.strip() != container:
        raise InvalidDestinationError(
            f"no {'vault' if scheme == 'cas' else 'bucket'} name", operation=operation, resource=resource
        )
    if scheme == "cas" and prefix:
        raise InvalidDestinationError(
            "a vault address has no prefix (cas://VAULT)", operation=operation, resource=resource
        )
    if scheme == "cos":
        _name, dash, appid = container.rpartition("-")
        if not dash or not appid.isdigit() or not _name:
            raise InvalidDestinationError(
                "a COS bucket is named <name>-<appid> (numeric APPID)", operation=operation, resource=resource
            )
    for part in prefix.split("/"):
        if part in (".", ".."):
            raise InvalidDestinationError(
                "a prefix may not hold '.' or '..'", operation=operation, resource=resource
            )
    return Address(scheme, container, prefix)


@attrs.frozen(repr=False)
class ConnectionSettings:
    """How to reach a service: endpoint, region, APPID, vault dialect, S3 addressing and a key pair;
    ``grant_registry``: the URL of the bucket service's grant registry, which lets shared tokens be
    revoked and their download limit enforced (docs/transfer.md §8.4).

    Any field left None is resolved as the SDK's clients resolve it (environment, profile file).
    Never shown in a repr, never stored in the state folder.
    """

    endpoint: Optional[str] = None
    region: Optional[str] = None
    appid: Optional[str] = None
    dialect: Optional[str] = None
    addressing: str = "auto"
    secret_id: Optional[str] = None
    secret_key: Optional[str] = None
    session_token: Optional[str] = None
    grant_registry: Optional[str] = None

    def __repr__(self) -> str:
        return f"ConnectionSettings(endpoint={self.endpoint!r}, region={self.region!r}, secrets=<hidden>)"


@attrs.frozen
class RemoteFile:
    """What a destination holds at a key: size and, when known, the source's mtime in microseconds."""

    size: int
    mtime_us: Optional[int]


def _size_of(path: str) -> int:
    """The file's size, 0 when it cannot be read (the upload then says why, typed)."""
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def join_key(*parts: str) -> str:
    """The slash-joined key of the non-empty parts (each stripped of leading/trailing slashes)."""
    return "/".join(seg for part in parts for seg in part.split("/") if seg)


_R = TypeVar("_R")


class Destination(abc.ABC):
    """One open destination. Thread-safe: workers send files through it at once."""

    #: whether ``stat`` can tell what the destination holds (skip rules need it)
    can_compare = True
    #: files larger than this may leave an unfinished upload to continue or ``discard`` (None: none)
    resumable_above: Optional[int] = None

    def __init__(self, address: Address) -> None:
        self.address = address

    def key_for(self, *parts: str) -> str:
        return join_key(self.address.prefix, *parts)

    @abc.abstractmethod
    def stat(self, key: str) -> Optional[RemoteFile]:
        """What is stored at ``key`` (None: nothing)."""

    @abc.abstractmethod
    def send_file(
        self,
        source: str,
        key: str,
        *,
        mtime_ns: Optional[int],
        cancel_token: CancelToken,
        limiter: Optional[Pacer] = None,
        resumable_since: Optional[float] = None,
    ) -> int:
        """Store the file at ``source`` as ``key``; returns the bytes sent. ``limiter`` paces the
        bytes as they go out (a chunk, a part or a small object at a time).

        ``resumable_since`` (epoch seconds): where the store keeps unfinished uploads, one of
        ``key`` begun since then is taken as this transfer's own, left by a suspend, a cancel or
        a crash, and continued (its intact parts are kept); an unfinished upload is kept for that.
        """

    def discard(self, key: str, since: float) -> None:
        """Remove what an unfinished send of ``key`` begun since ``since`` left behind."""
        for upload_id in self._unfinished(key, since):
            self._abort_upload(key, upload_id)

    def _unfinished(self, key: str, since: float) -> List[str]:
        """Ids of the store's unfinished uploads of ``key`` begun since ``since``, newest first
        (most stores keep none)."""
        return []

    def _abort_upload(self, key: str, upload_id: str) -> None:  # noqa: B027 (most stores keep none)
        """Abort the unfinished upload ``upload_id`` of ``key``."""

    def _continue_or_restart(
        self, key: str, upload: Callable[[Optional[str]], _R], left: Optional[str], gone: Type[Exception]
    ) -> _R:
        """``upload(left)``, continuing the unfinished upload ``left`` of ``key`` (None: a new one).

        Afresh when the store no longer has it (``gone``: aborted or expired meanwhile), or when its
        stored parts no longer fit the file (it changed since): that upload is aborted first, since
        it can never become this file.
        """
        try:
            return upload(left)
        except gone:
            if left is None:
                raise
            return upload(None)
        except PartsMismatchError:
            if left is None:
                raise
            self._abort_upload(key, left)
            return upload(None)

    def make_folder(self, key: str) -> None:  # noqa: B027 (most stores keep no folders)
        """An empty folder of the manifest (object stores keep none)."""

    def close(self) -> None:  # noqa: B027 (a folder holds no connections)
        """Release connections."""


class FolderDestination(Destination):
    """A local folder: each file lands through a temporary file, fsync and an atomic rename."""

    def _path(self, key: str) -> str:
        return os.path.join(self.address.container, *key.split("/"))

    def stat(self, key: str) -> Optional[RemoteFile]:
        try:
            info = os.stat(self._path(key))
        except FileNotFoundError:
            return None
        return RemoteFile(info.st_size, info.st_mtime_ns // 1000)

    def make_folder(self, key: str) -> None:
        path = self._path(key)
        try:
            os.makedirs(path, exist_ok=True)
        except OSError as exc:
            raise local_error("cannot make the folder", path, exc, operation="send_file") from exc

    def send_file(
        self,
        source: str,
        key: str,
        *,
        mtime_ns: Optional[int],
        cancel_token: CancelToken,
        limiter: Optional[Pacer] = None,
        resumable_since: Optional[float] = None,
    ) -> int:
        target = self._path(key)
        self.make_folder(key.rpartition("/")[0])
        sent = 0
        with TemporaryFile(target, operation="send_file", resource=str(self.address)) as temp:
            try:
                reader = open(source, "rb")  # noqa: SIM115 (closed below, errors are typed)
            except OSError as exc:
                raise local_error("cannot open the source", source, exc, operation="send_file") from exc
            with reader:
                while True:
                    cancel_token.raise_if_cancelled()
                    chunk = reader.read(_COPY_CHUNK)
                    if not chunk:
                        break
                    if limiter is not None:
                        limiter.consume(len(chunk), cancel_token)
                    temp.write(chunk)
                    sent += len(chunk)
            if mtime_ns is not None:
                os.utime(temp.temp, ns=(mtime_ns, mtime_ns))
            temp.commit()
        return sent


class BucketDestination(Destination):
    """A bucket and prefix, in either dialect; the source's mtime travels as user metadata.

    A file above the single-PUT threshold goes as a multipart upload that a suspend, a cancel or a
    crash leaves at the service; the next send of the same key by the same transfer finds it by
    listing the key's unfinished uploads (nothing local to lose) and sends only the missing or
    changed parts.
    """

    resumable_above = Bucket.SinglePutThreshold

    def __init__(self, address: Address, client: BucketClient, config: TransferConfig) -> None:
        super().__init__(address)
        self.client = client
        self.bucket = Bucket(BucketAPI(client), client.bucket_name(address.container))
        self.config = config

    def stat(self, key: str) -> Optional[RemoteFile]:
        try:
            found = self.bucket.head(key)
        except (NoSuchKey, NotFound):
            return None
        mtime = found.metadata.get(MTIME_METADATA)
        return RemoteFile(found.size, int(mtime) if mtime and mtime.isdigit() else None)

    def send_file(
        self,
        source: str,
        key: str,
        *,
        mtime_ns: Optional[int],
        cancel_token: CancelToken,
        limiter: Optional[Pacer] = None,
        resumable_since: Optional[float] = None,
    ) -> int:
        metadata = {} if mtime_ns is None else {MTIME_METADATA: str(mtime_ns // 1000)}
        left = None
        if resumable_since is not None and _size_of(source) > Bucket.SinglePutThreshold:  # else a single PUT
            left = next(iter(self._unfinished(key, resumable_since)), None)
        keep = resumable_since is not None

        def upload(upload_id: Optional[str]) -> int:
            return self.bucket.upload_file(
                source,
                key,
                metadata=metadata,
                config=self.config,
                cancel_token=cancel_token,
                limiter=limiter,
                upload_id=upload_id,
                keep_for_resume=keep,
            ).size

        return self._continue_or_restart(key, upload, left, NoSuchUpload)

    def _abort_upload(self, key: str, upload_id: str) -> None:
        self.bucket.api.abort_multipart_upload(self.bucket.name, key, upload_id)

    def _unfinished(self, key: str, since: float) -> List[str]:
        """Ids of the unfinished uploads of exactly ``key`` begun since ``since``, newest first
        (the service's clock may run behind ours by up to ``_CLOCK_SKEW``)."""
        found = [
            upload
            for upload in self.bucket.uploads(prefix=key)
            if upload.key == key
            and (upload.initiated is None or upload.initiated.timestamp() >= since - _CLOCK_SKEW)
        ]
        found.sort(key=lambda u: u.initiated.timestamp() if u.initiated is not None else 0.0, reverse=True)
        return [upload.upload_id for upload in found]

    def close(self) -> None:
        self.client.close()


class VaultDestination(Destination):
    """A vault: each file becomes an archive described by its destination path.

    A vault cannot say what it holds without an inventory job, so nothing is ever skipped. A file
    above the vault's single-request threshold goes as a multipart upload, which the vault keeps
    through a suspend, a cancel or a crash; the next send of the same path by the same transfer
    finds it among the vault's unfinished uploads by its description and sends only the parts that
    are missing or differ from the local bytes.
    """

    can_compare = False

    def __init__(self, address: Address, client: CASClient, config: TransferConfig) -> None:
        super().__init__(address)
        self.client = client
        self.api = CasAPI(client)
        self.config = config
        self._vault: Optional[Vault] = None
        # read when the destination opens, so that a changed class default applies to new ones
        self._threshold = Vault.NormalUploadThreshold
        self.resumable_above = self._threshold

    def stat(self, key: str) -> Optional[RemoteFile]:
        return None

    def _the_vault(self) -> Vault:
        if self._vault is None:
            self._vault = Vault.get_vault_by_name(self.api, self.address.container)
        return self._vault

    def send_file(
        self,
        source: str,
        key: str,
        *,
        mtime_ns: Optional[int],
        cancel_token: CancelToken,
        limiter: Optional[Pacer] = None,
        resumable_since: Optional[float] = None,
    ) -> int:
        vault = self._the_vault()
        size = os.path.getsize(source)
        left = None
        keep = resumable_since is not None
        if resumable_since is not None and size > self._threshold:
            left = next(iter(self._unfinished(key, resumable_since)), None)

        def upload(upload_id: Optional[str]) -> str:
            return vault.upload_archive(
                source,
                key,
                upload_id=upload_id,
                threshold=self._threshold,
                config=self.config,
                cancel_token=cancel_token,
                limiter=limiter,
                keep_for_resume=keep,
            )

        self._continue_or_restart(key, upload, left, ResourceNotFoundException)
        return size

    def _abort_upload(self, key: str, upload_id: str) -> None:
        vault = self._the_vault()
        vault.cas_api.abort_multipart_upload(vault.name, upload_id)

    def _unfinished(self, key: str, since: float) -> List[str]:
        """Ids of the unfinished uploads described as ``key`` begun since ``since``, newest first
        (the vault's clock may run behind ours by up to ``_CLOCK_SKEW``)."""
        found: List[Tuple[float, str]] = []
        for upload in self._the_vault().list_all_multipart_uploads():
            begun = iso_date(upload.creation_date)
            started = begun.timestamp() if begun is not None else None
            if upload.description == key and (started is None or started >= since - _CLOCK_SKEW):
                found.append((started or 0.0, upload.id))
        found.sort(reverse=True)
        return [upload_id for _started, upload_id in found]

    def close(self) -> None:
        self.client.close()


def resolve_settings(
    profile: str, settings: Optional[ConnectionSettings], config_path: Optional[str]
) -> ConnectionSettings:
    """``settings`` when given, else the named profile of the profile file (its non-secret keys)."""
    if settings is not None:
        return settings
    found: Mapping[str, str] = load_profile(profile, config_path)
    return ConnectionSettings(
        endpoint=found.get("endpoint"),
        region=found.get("region"),
        appid=found.get("appid"),
        dialect=found.get("dialect"),
        grant_registry=found.get("grant_registry"),
    )


def _credentials(
    settings: ConnectionSettings, dialect: str, profile: str, config_path: Optional[str]
) -> Tuple[str, str, Optional[str]]:
    found = resolve_credentials(
        settings.secret_id,
        settings.secret_key,
        settings.session_token,
        dialect=dialect,
        profile=profile,
        config_path=config_path,
    )
    return found.secret_id, found.secret_key, found.session_token


def open_destination(
    address: Address,
    settings: ConnectionSettings,
    *,
    profile: str = "default",
    config_path: Optional[str] = None,
    transfer_config: Optional[TransferConfig] = None,
    connections: int = 10,
) -> Destination:
    """A ready destination for ``address``; nothing is sent until the first file.

    ``connections``: the client's pool size, the most requests that will be in flight at once
    (files sent together x parts per file), so that none opens a connection only to drop it.
    """
    config = transfer_config or TransferConfig()
    if address.scheme == "file":
        return FolderDestination(address)
    if address.scheme == "s3":
        key_id, secret, token = _credentials(settings, "s3", profile, config_path)
        s3 = S3Client(
            settings.endpoint,
            key_id,
            secret,
            region=settings.region,
            addressing=settings.addressing,
            session_token=token,
            max_pool_size=connections,
        )
        return BucketDestination(address, s3, config)
    if address.scheme == "cos":
        key_id, secret, token = _credentials(settings, "cos", profile, config_path)
        appid = settings.appid or address.container.rpartition("-")[2]
        cos = COSClient(
            settings.region,
            appid,
            key_id,
            secret,
            endpoint=settings.endpoint,
            session_token=token,
            max_pool_size=connections,
        )
        return BucketDestination(address, cos, config)
    dialect = settings.dialect or "cas"
    key_id, secret, token = _credentials(settings, dialect, profile, config_path)
    cas = CASClient(
        settings.endpoint,
        settings.appid,
        key_id,
        secret,
        dialect=dialect,
        session_token=token,
        max_pool_size=connections,
    )
    return VaultDestination(address, cas, config)
