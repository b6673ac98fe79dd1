"""``CASClient``: one method per HTTP operation of the vault API, returning the raw ``HttpResponse``.

Like ``requests``, the low level never raises on an HTTP status (``CasAPI`` does); it raises only for
input it can reject before sending, and when the transport gives up (``TransportError``).
"""

from __future__ import annotations

import time
from typing import Any, Callable, Optional, Tuple, Union
from urllib.parse import urlsplit

from cassdk_like.core.config import resolve_credentials, resolve_endpoint
from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.core.http.transport import Transport
from cassdk_like.vault.dialect import VaultDialect, get_dialect
from cassdk_like.vault.lowlevel._archives import ArchiveOps
from cassdk_like.vault.lowlevel._jobs import JobOps
from cassdk_like.vault.lowlevel._vaults import VaultOps
from cassdk_like.vault.lowlevel.validation import check_id

__all__ = ["CASClient"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _split_host(host: str, scheme: str, port: Optional[int]) -> Tuple[str, str, Optional[int]]:
    """(scheme, hostname, port) from ``"name"``, ``"name:port"`` or ``"http://name:port"``."""
    parts = urlsplit(host if "://" in host else f"{scheme}://{host}")
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise InvalidArgumentError(
            f"unsupported scheme {scheme!r}: use 'https' or 'http'", operation="CASClient"
        )
    try:
        url_port = parts.port
    except ValueError as exc:
        raise InvalidArgumentError(f"invalid port in host {host!r}", operation="CASClient") from exc
    if not parts.hostname or parts.path not in ("", "/") or parts.query:
        raise InvalidArgumentError(
            f"invalid host {host!r}: expected a name such as 'cas.ap-chengdu.myqcloud.com' or a base URL",
            operation="CASClient",
        )
    return scheme, parts.hostname, port if port is not None else url_port


class CASClient(VaultOps, ArchiveOps, JobOps):
    """Low-level client: one method per operation of docs/vault-protocol.md §1, in either dialect.

    Thread-safe: it holds no per-request state, and the transport's connection pool is shared.
    ``host`` is a name (``cas.ap-chengdu.myqcloud.com``) or a base URL (``http://127.0.0.1:8390``);
    missing host, appid and credentials are resolved from the environment and profile file.
    ``uid`` is the account path segment: the appid by default for CAS (as the original SDK),
    ``-`` for Glacier. ``clock`` is a test seam for signing times.
    """

    def __init__(
        self,
        host: Optional[str] = None,
        appid: Optional[Union[str, int]] = None,
        secret_id: Optional[str] = None,
        secret_key: Optional[str] = None,
        *,
        port: Optional[int] = None,
        scheme: str = "https",
        dialect: Union[str, VaultDialect] = "cas",
        uid: Optional[str] = None,
        region: Optional[str] = None,
        session_token: Optional[str] = None,
        retry_policy: Optional[RetryPolicy] = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        max_pool_size: int = 10,
        verify: Union[bool, str] = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._dialect = get_dialect(dialect)
        settings = resolve_endpoint(host, None if appid is None else str(appid), region)
        if not settings.endpoint:
            raise InvalidArgumentError(
                "no host: pass host, set CAS_ENDPOINT, or add 'endpoint' to the profile",
                operation="CASClient",
            )
        self._scheme, self._host, self._port = _split_host(settings.endpoint, scheme, port)
        self._appid = settings.appid
        self._uid = check_id(self._dialect.account(self._appid, uid), "account", "CASClient", "")
        self._root = f"/{self._uid}"
        credentials = resolve_credentials(secret_id, secret_key, session_token, dialect=self._dialect.name)
        self._region = self._dialect.resolve_region(settings.region, self._host)
        self._transport = Transport(
            self.endpoint,
            sign=self._dialect.signer(credentials, self._region, clock),
            retry_policy=retry_policy,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_pool_size=max_pool_size,
            verify=verify,
            request_id_headers=tuple(h.lower() for h in self._dialect.wire.request_id_headers),
            secrets=credentials.secrets(),
            errors=self._dialect.errors,
        )

    @property
    def endpoint(self) -> str:
        """The base URL requests go to, e.g. ``https://cas.ap-chengdu.myqcloud.com``."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        if self._port is None or self._port == _DEFAULT_PORTS[self._scheme]:
            return f"{self._scheme}://{host}"
        return f"{self._scheme}://{host}:{self._port}"

    @property
    def host(self) -> str:
        """The service host requests go to."""
        return self._host

    @property
    def appid(self) -> Optional[str]:
        """The account's APPID (CAS) or account id (Glacier), if given."""
        return self._appid

    @property
    def uid(self) -> str:
        """The account path segment (``-`` or the appid)."""
        return self._uid

    @property
    def region(self) -> str:
        """The region requests are signed for."""
        return self._region

    @property
    def dialect(self) -> VaultDialect:
        """Field and header names of the dialect (CAS or Glacier)."""
        return self._dialect

    @property
    def transport(self) -> Transport:
        """The shared transport (its ``request_count`` is handy in tests and benchmarks)."""
        return self._transport

    def close(self) -> None:
        """Close pooled connections; the client must not be used afterwards."""
        self._transport.close()

    def __enter__(self) -> CASClient:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"CASClient(host={self._host!r}, appid={self._appid!r}, dialect={self._dialect.name!r}, "
            f"endpoint={self.endpoint!r}, uid={self._uid!r})"
        )

    def __str__(self) -> str:
        return repr(self)
