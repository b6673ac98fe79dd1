"""``DirectService``: a DirectIO portal as a service of the emulator host, and its publishing API.

One route, ``GET /directio/{file_id}`` with ``Authorization: Bearer <access_key_id>``; the answer
is the union of both metadata schemas with freshly minted presigned block URLs on the S3 service
(docs/directio-protocol.md §2 and §7). Statuses follow docs/directio-protocol.md §3. Blocks are
written through ``core.blockfile``, the code the client reads them with.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, Optional, Union

from cassdk_like.core.auth.presigned import PresignedURL
from cassdk_like.core.auth.sigv4 import UNSIGNED_PAYLOAD, SigV4Signer
from cassdk_like.core.blockfile import BlockFormat, Codec
from cassdk_like.emulator.direct.files import FileRecord, FileRegistry
from cassdk_like.emulator.direct.keys import AccessKey, AccessKeys
from cassdk_like.emulator.direct.publish import (
    BLOCKS_BUCKET,
    DEFAULT_BLOCK_SIZE,
    BlockWriter,
    Source,
    blocks_of,
    object_blocks,
    parse_codec,
)
from cassdk_like.emulator.errors import ApiError
from cassdk_like.emulator.s3.service import S3Service
from cassdk_like.emulator.service import Environment, Route, ServiceBase
from cassdk_like.emulator.wire import Request, Response, empty_response, json_response

__all__ = ["GRANT_PARAM", "METADATA_OPERATION", "DirectService"]

METADATA_OPERATION = "GetFileMetadata"
#: the query parameter, signed into every block URL, naming the file's current grant
GRANT_PARAM = "x-directio-grant"
_PATH = re.compile(r"^/directio/(?P<file_id>[^/]+)$")
_DIGITS = re.compile(r"^[0-9]{1,18}$")


def _error(status: int, code: str, message: str) -> ApiError:
    return ApiError(code, message, status=status)


def _bearer(request: Request) -> str:
    scheme, _, token = (request.header("authorization") or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _error(401, "Unauthorized", "a Bearer access key id is required")
    return token.strip()


class DirectService(ServiceBase):
    """The DirectIO portal on one port; blocks live in the S3 service. Thread-safe."""

    name = "direct"
    operations = frozenset({METADATA_OPERATION})

    def __init__(self, env: Environment, s3: S3Service, s3_endpoint: Callable[[], str]) -> None:
        self.env = env
        self._s3 = s3
        self._s3_endpoint = s3_endpoint
        self.access_keys = AccessKeys(env.db, env.clock)
        self.files = FileRegistry(env.db, env.clock)
        self._writer = BlockWriter(s3.store, env.db, lambda: s3.region, self.files, env.clock)
        s3.add_presign_guard(self._refuse_revoked)

    def __repr__(self) -> str:
        return f"DirectService(files={self.files.count()})"

    # -- publishing (docs/directio-protocol.md §7.2) --------------------------------------------

    @property
    def default_credentials(self) -> AccessKey:
        """The default access key pair (created on first use, kept in the data directory)."""
        return self.access_keys.default()

    def create_access_key(
        self, access_key_id: Optional[str] = None, secret_access_key: Optional[str] = None
    ) -> AccessKey:
        """A new access key pair (generated parts where not given)."""
        return self.access_keys.create(access_key_id, secret_access_key)

    def revoke_access_key(self, access_key_id: str) -> None:
        """The key's metadata requests answer 401 from now on."""
        if not self.access_keys.revoke(access_key_id):
            raise KeyError(f"no active access key {access_key_id!r}")

    def publish_file(
        self,
        source: Source,
        *,
        access_key_id: Optional[str] = None,
        block_size: int = DEFAULT_BLOCK_SIZE,
        codec: Union[Codec, str] = Codec.SNAPPY_XERIAL,
        encrypted: bool = True,
        block_format: int = 1,
        url_ttl: int = 3600,
        unsupported_storage: bool = False,
    ) -> int:
        """Publish bytes or a local file as a DirectIO file; returns its file id.

        ``codec``: a :class:`Codec` or ``none``, ``gzip``, ``snappy`` (snappy-java framing),
        ``snappy-raw``; ``block_format`` 1 (the portal's) or 2 (ours, always encrypted);
        ``url_ttl``: seconds each minted block URL lives; ``access_key_id``: the owner (default:
        the default pair).
        """
        size = _check_block_size(block_size)
        return self._publish(
            blocks_of(source, size),
            access_key_id,
            codec,
            encrypted,
            block_format,
            url_ttl,
            unsupported_storage,
        )

    def publish_object(
        self,
        bucket: str,
        key: str,
        *,
        access_key_id: Optional[str] = None,
        block_size: int = DEFAULT_BLOCK_SIZE,
        codec: Union[Codec, str] = Codec.SNAPPY_XERIAL,
        encrypted: bool = True,
        block_format: int = 1,
        url_ttl: int = 3600,
        unsupported_storage: bool = False,
    ) -> int:
        """Publish an object of the S3 service as a DirectIO file (options as :meth:`publish_file`)."""
        size = _check_block_size(block_size)
        record = self._s3.store.head(bucket, key)
        if record is None:
            raise KeyError(f"no object {key!r} in S3 bucket {bucket!r}")
        blocks = object_blocks(self.env.db, record, size)
        return self._publish(
            blocks, access_key_id, codec, encrypted, block_format, url_ttl, unsupported_storage
        )

    def _publish(
        self,
        blocks: Any,
        access_key_id: Optional[str],
        codec: Union[Codec, str],
        encrypted: bool,
        block_format: int,
        url_ttl: int,
        unsupported: bool,
    ) -> int:
        owner = self.access_keys.default() if access_key_id is None else self.access_keys.get(access_key_id)
        if owner is None:
            raise KeyError(f"no active access key {access_key_id!r}")
        if block_format not in (1, 2) or isinstance(block_format, bool):
            raise ValueError(f"block_format is 1 or 2, got {block_format!r}")
        record = self._writer.publish(
            blocks,
            owner=owner,
            codec=parse_codec(codec),
            encrypted=bool(encrypted),
            block_format=BlockFormat(block_format),
            url_ttl=int(url_ttl),
            unsupported=bool(unsupported),
        )
        return record.file_id

    def _require(self, file_id: int) -> FileRecord:
        found = self.files.get(int(file_id))
        if found is None:
            raise KeyError(f"no DirectIO file {file_id}")
        return found

    def revoke_file(self, file_id: int) -> None:
        """Metadata answers 404 and every block URL minted for the file answers 403."""
        self._require(file_id)
        self.files.revoke(int(file_id))

    def rotate_urls(self, file_id: int) -> None:
        """Every block URL minted so far answers 403; the next metadata answer mints working ones."""
        self._require(file_id)
        self.files.rotate(int(file_id))

    def set_url_ttl(self, file_id: int, seconds: int) -> None:
        """How long the URLs of the next metadata answers live."""
        self._require(file_id)
        self.files.set_url_ttl(int(file_id), int(seconds))

    def set_unsupported_storage(self, file_id: int, unsupported: bool = True) -> None:
        """Metadata answers 422 (storage the portal cannot serve directly) while set."""
        self._require(file_id)
        self.files.set_unsupported(int(file_id), unsupported)

    def block_object(self, file_id: int, number: int) -> bytes:
        """The stored bytes of a block (1-based), as the object store serves them."""
        return self._writer.read_object(self._block_key(file_id, number))

    def replace_block_object(self, file_id: int, number: int, data: bytes) -> None:
        """Overwrite a stored block (tamper, truncate or swap blocks in tests)."""
        self._writer.put_object(self._block_key(file_id, number), bytes(data))

    def _block_key(self, file_id: int, number: int) -> str:
        record = self._require(file_id)
        if not 1 <= number <= len(record.keys):
            raise IndexError(f"file {file_id} has blocks 1..{len(record.keys)}, not {number}")
        return record.keys[number - 1]

    def metadata(self, file_id: int) -> Dict[str, Any]:
        """The metadata document a reader would get now (fresh URLs), without the HTTP checks."""
        return self._document(self._require(file_id))

    # -- URLs (docs/directio-protocol.md §7.3) --------------------------------------------------

    def _document(self, record: FileRecord) -> Dict[str, Any]:
        chunks = [
            {"url": str(self._block_url(record, key)), "len": length}
            for key, length in zip(record.keys, record.lengths)
        ]
        return {**record.fields, "chunks": chunks}

    def _block_url(self, record: FileRecord, key: str) -> PresignedURL:
        account = self.env.account
        bucket = self._s3.store.bucket(BLOCKS_BUCKET)
        region = bucket.region if bucket is not None else self._s3.region
        signer = SigV4Signer(
            account.secret_id,
            account.secret_key,
            region=region,
            service="s3",
            clock=self.env.clock,
            normalize_path=False,
            double_encode=False,
        )
        url = f"{self._s3_endpoint()}/{BLOCKS_BUCKET}/{key}?{GRANT_PARAM}={record.grant_id}"
        return signer.presign_url("GET", url, expires=record.url_ttl, payload_hash=UNSIGNED_PAYLOAD)

    def _refuse_revoked(self, request: Request) -> Optional[str]:
        grant = request.param(GRANT_PARAM)
        if grant is None or self.files.grant_is_live(grant):
            return None
        return "The presigned URL was revoked"

    # -- the Service protocol -------------------------------------------------------------------

    def route(self, request: Request) -> Route:
        match = _PATH.match(request.path)
        if match is None:
            raise _error(404, "NotFound", f"no such resource {request.path}")
        if request.method != "GET":
            raise _error(405, "MethodNotAllowed", f"{request.method} is not allowed here")
        return Route(METADATA_OPERATION, {"file_id": match.group("file_id")})

    def verify(self, request: Request) -> None:
        """Nothing here: the bearer is checked in :meth:`invoke`, before the file id is looked at,
        so a request to an unknown file with a bad token gets 401 as from the portal."""

    def invoke(self, route: Route, request: Request) -> Response:
        owner = self.access_keys.get(_bearer(request))
        if owner is None:
            raise _error(401, "Unauthorized", "the access key is unknown or revoked")
        text = route.params["file_id"]
        record = self.files.get(int(text)) if _DIGITS.match(text) else None
        if record is None:
            raise _error(400, "BadRequest", f"no file {text}")
        if record.owner != owner.access_key_id:
            raise _error(403, "Forbidden", f"file {text} is not shared with this access key")
        if record.revoked:
            raise _error(404, "NotFound", f"file {text} is no longer published")
        if record.unsupported:
            raise _error(422, "UnsupportedStorage", f"file {text} is on storage that cannot be read directly")
        return json_response(200, self._document(record))

    def error_response(self, error: ApiError, request: Request) -> Response:
        return json_response(error.status, {"code": error.code, "message": error.message})

    # -- admin: /_emulator/direct/... -------------------------------------------------------------

    def admin(self, request: Request, subpath: str) -> Optional[Response]:
        parts = subpath.strip("/").split("/")
        if parts == ["credentials"] and request.method == "GET":
            pair = self.default_credentials
            return json_response(
                200, {"access_key_id": pair.access_key_id, "secret_access_key": pair.secret_access_key}
            )
        if parts == ["files"] and request.method == "POST":
            return self._admin_publish(request.read_json())
        if len(parts) == 3 and parts[0] == "files" and request.method == "POST":
            actions: Dict[str, Callable[[int], None]] = {
                "revoke": self.revoke_file,
                "rotate": self.rotate_urls,
            }
            action = actions.get(parts[2])
            if action is None or not _DIGITS.match(parts[1]):
                return None
            try:
                action(int(parts[1]))
            except KeyError as exc:
                raise ApiError("ResourceNotFoundException", str(exc.args[0]), status=404) from None
            return empty_response(204)
        return None

    def _admin_publish(self, doc: Dict[str, Any]) -> Response:
        bucket, key = doc.get("bucket"), doc.get("key")
        if not isinstance(bucket, str) or not isinstance(key, str):
            raise ValueError('give the S3 object to publish as {"bucket": ..., "key": ...}')
        options = {
            name: doc[name]
            for name in (
                "access_key_id",
                "block_size",
                "codec",
                "encrypted",
                "block_format",
                "url_ttl",
                "unsupported_storage",
            )
            if name in doc
        }
        try:
            file_id = self.publish_object(bucket, key, **options)
        except KeyError as exc:
            raise ApiError("ResourceNotFoundException", str(exc.args[0]), status=404) from None
        record = self._require(file_id)
        return json_response(201, {"file_id": file_id, "size": record.size, "blocks": len(record.keys)})

    def info(self) -> Dict[str, Any]:
        return {
            "metadata_path": "/directio/{file_id}",
            "blocks_bucket": BLOCKS_BUCKET,
            "default_access_key_id": self.default_credentials.access_key_id,
        }

    def stats(self) -> Dict[str, Any]:
        return {"direct_files": self.files.count()}


def _check_block_size(block_size: int) -> int:
    if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1:
        raise ValueError(f"block_size must be a positive number of bytes, got {block_size!r}")
    return block_size
