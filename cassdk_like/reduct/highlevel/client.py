"""``Client``: reduct-py's ``Client``, blocking (docs/reduct-client.md §2 and §10).

One ``Client`` is one pool of connections (the shared transport), used by every ``Bucket`` it
hands out; close it, or use it as a context manager.  Every method raises the typed
``ReductError`` of an error answer and returns the models.  The server's API version is learnt
from the first answer (``x-reduct-api``); a call whose protocol depends on it asks ``info()``
first when no answer has come yet, so it never has to guess.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, List, Mapping, Optional, Sequence, Tuple, Union

from cassdk_like.core.exceptions import BadResponseError, InvalidArgumentError
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.reduct.errors import Conflict
from cassdk_like.reduct.highlevel._answers import json_of, ok
from cassdk_like.reduct.highlevel.bucket import Bucket
from cassdk_like.reduct.lowlevel.client import (
    CLIENT_API_VERSION,
    DEFAULT_BATCH_MAX_METADATA_SIZE,
    DEFAULT_BATCH_MAX_RECORDS,
    ReductClient,
    parse_api_version,
)
from cassdk_like.reduct.models import (
    BucketInfo,
    BucketSettings,
    FullTokenInfo,
    Permissions,
    ServerInfo,
    Token,
    document,
)
from cassdk_like.reduct.validation import (
    check_bucket_name,
    check_ip_allowlist,
    check_permission_names,
    check_positive_int,
)

__all__ = ["Client"]

#: the API minor from which a token can carry an expiry, a TTL and an IP allow-list
TOKEN_V2_MINOR = 19


class Client:
    """A ReductStore server at ``url`` (``http://127.0.0.1:8383``), with ``api_token`` if it needs one.

    ``timeout`` is the total time one request may take, in seconds (None: no total bound, only the
    transport's connect and read timeouts).  The keyword options go to the transport
    (``retry_policy``, ``verify``, ``max_pool_size``, ``extra_headers``) and to the batch limits
    (``batch_max_records``, ``batch_max_metadata_size``: the server's RS_IO_BATCH_* settings).
    """

    def __init__(
        self,
        url: str,
        api_token: Optional[str] = None,
        timeout: Optional[float] = None,
        *,
        retry_policy: Optional[RetryPolicy] = None,
        verify: Union[bool, str] = True,
        max_pool_size: int = 10,
        extra_headers: Optional[Mapping[str, str]] = None,
        batch_max_records: int = DEFAULT_BATCH_MAX_RECORDS,
        batch_max_metadata_size: int = DEFAULT_BATCH_MAX_METADATA_SIZE,
    ) -> None:
        self._ll = ReductClient(
            url,
            api_token,
            timeout=timeout,
            retry_policy=retry_policy,
            verify=verify,
            max_pool_size=max_pool_size,
            extra_headers=extra_headers,
            batch_max_records=batch_max_records,
            batch_max_metadata_size=batch_max_metadata_size,
        )

    @property
    def lowlevel(self) -> ReductClient:
        """The low-level client under this one (raw answers, same connections)."""
        return self._ll

    @property
    def url(self) -> str:
        """The server URL."""
        return self._ll.url

    @property
    def api_version(self) -> Optional[Tuple[int, int]]:
        """(major, minor) of the server's API once an answer has told it, else None."""
        return self._ll.api_version

    def api_minor(self) -> int:
        """The server's API minor, asking ``info()`` first when no answer has told it yet.

        A server that sends no ``x-reduct-api`` is taken at the version ``info()`` reports.
        """
        version = self._ll.api_version
        if version is None:
            info = self.info()
            version = self._ll.api_version
            if version is None:
                version = parse_api_version(info.version) or CLIENT_API_VERSION
                self._ll.set_api_version(version)
        return version[1]

    def close(self) -> None:
        """Close the pooled connections; the client (and its buckets) must not be used afterwards."""
        self._ll.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client({self._ll.url!r})"

    # -- server ---------------------------------------------------------------------------------

    def info(self) -> ServerInfo:
        """The server's version, usage and defaults."""
        return ServerInfo.from_json(json_of(self._ll.info(), "server info"))

    def list(self) -> List[BucketInfo]:
        """The buckets the token may read."""
        doc = json_of(self._ll.list_buckets(), "bucket list")
        buckets = doc.get("buckets", [])
        if not isinstance(buckets, list):
            raise BadResponseError("bucket list: field 'buckets' must be a list", operation="list")
        return [BucketInfo.from_json(document(b, "bucket info")) for b in buckets]

    def get_bucket(self, name: str) -> Bucket:
        """The bucket, once the server confirmed it exists (``NotFound`` otherwise)."""
        ok(self._ll.get_bucket(name)).close()
        return Bucket(name, self)

    def create_bucket(
        self, name: str, settings: Optional[BucketSettings] = None, exist_ok: bool = False
    ) -> Bucket:
        """Create a bucket (the server's defaults fill what ``settings`` leaves out).

        With ``exist_ok`` a bucket of that name that exists is returned; a 409 for another reason
        (the bucket is being deleted) is still raised.
        """
        if settings is not None and not isinstance(settings, BucketSettings):
            check_bucket_name(name, "create_bucket")  # type: ignore[unreachable]
            raise InvalidArgumentError(
                f"settings must be BucketSettings, not {type(settings).__name__}",
                operation="create_bucket",
                resource=f"bucket {name!r}",
            )
        try:
            ok(self._ll.create_bucket(name, settings))
        except Conflict:
            if not exist_ok:
                raise
            return self.get_bucket(name)
        return Bucket(name, self)

    # -- tokens ---------------------------------------------------------------------------------

    def get_token_list(self) -> List[Token]:
        """Every token, sorted by name (with permissions: the list carries them)."""
        doc = json_of(self._ll.list_tokens(), "token list")
        tokens = doc.get("tokens", [])
        if not isinstance(tokens, list):
            raise BadResponseError("token list: field 'tokens' must be a list", operation="get_token_list")
        return [Token.from_json(document(t, "token")) for t in tokens]

    def get_token(self, name: str) -> FullTokenInfo:
        """Token ``name`` with its permissions."""
        return FullTokenInfo.from_json(json_of(self._ll.get_token(name), "token"))

    def me(self) -> FullTokenInfo:
        """The token this client authenticates with (``AUTHENTICATION-DISABLED`` without auth)."""
        return FullTokenInfo.from_json(json_of(self._ll.me(), "token"))

    def _token_value(self, response: Any, operation: str) -> str:
        value = json_of(response, "token").get("value")
        if not isinstance(value, str) or not value:
            raise BadResponseError("the answer carries no token value", operation=operation)
        self._ll.register_secret(value)
        return value

    def create_token(
        self,
        name: str,
        permissions: Permissions,
        expires_at: Optional[Union[_dt.datetime, str]] = None,
        ttl: Optional[int] = None,
        ip_allowlist: Optional[Sequence[str]] = None,
    ) -> str:
        """Create a token; its secret value, returned this once and kept nowhere by the client.

        ``expires_at``: when it stops working; ``ttl``: seconds of inactivity after which it does;
        ``ip_allowlist``: the addresses or CIDR networks it may be used from (API 1.19+).
        """
        operation, resource = "create_token", f"token {name!r}"
        if not isinstance(permissions, Permissions):
            raise InvalidArgumentError(
                f"permissions must be Permissions, not {type(permissions).__name__}",
                operation=operation,
                resource=resource,
            )
        check_permission_names((*permissions.read, *permissions.write), operation, resource)
        if ttl is not None:
            check_positive_int(ttl, "ttl (seconds)", operation, resource)
        allow = check_ip_allowlist(ip_allowlist, operation, resource)
        legacy = self.api_minor() < TOKEN_V2_MINOR
        response = self._ll.create_token(
            name, permissions.to_json(), expires_at=expires_at, ttl=ttl, ip_allowlist=allow, legacy=legacy
        )
        return self._token_value(response, operation)

    def rotate_token(self, name: str) -> str:
        """A new secret for the token (the old one stops working); returned this once."""
        return self._token_value(self._ll.rotate_token(name), "rotate_token")

    def remove_token(self, name: str) -> None:
        """Delete token ``name``."""
        ok(self._ll.remove_token(name))
