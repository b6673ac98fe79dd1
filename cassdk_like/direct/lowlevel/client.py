"""``DirectIOHTTP``: the two DirectIO requests, one method each, returning the raw ``HttpResponse``.

Like the other services' low levels it never raises on an HTTP status; it raises for input it
refuses before sending and when the transport gives up (``ConnectionFailedError``,
``TimedOutError``).  Two transports, because the two hosts get different headers: the portal gets
``Authorization: Bearer <access_key_id>``, a block URL gets no Authorization at all (its query is
what authorises it) and its query is masked in every log line (docs/directio-client.md §2).
"""

from __future__ import annotations

from typing import Optional, Tuple, Union
from urllib.parse import urlsplit

from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.core.http.request import HttpRequest
from cassdk_like.core.http.response import HttpResponse
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.core.http.transport import Transport
from cassdk_like.core.redact import redact_url
from cassdk_like.direct.errors import DIRECTIO_ERROR_DECODER
from cassdk_like.direct.models import check_file_id

__all__ = ["DEFAULT_TIMEOUT", "DirectIOHTTP", "split_baseurl"]

#: seconds one request may take as a whole (connect, send, the answer's headers, a buffered body)
DEFAULT_TIMEOUT = 60.0


def split_baseurl(baseurl: object) -> Tuple[str, str]:
    """(``scheme://host[:port]``, path prefix) of the portal URL; a path is kept (``https://h/x``)."""
    if not isinstance(baseurl, str) or not baseurl.strip():
        raise InvalidArgumentError(
            "baseurl must be a URL such as https://portal.example", operation="DirectIO"
        )
    parts = urlsplit(baseurl.strip())
    if parts.query or parts.fragment:
        raise InvalidArgumentError("baseurl must not carry a query or a fragment", operation="DirectIO")
    return f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")


class DirectIOHTTP:
    """Raw DirectIO requests. Thread-safe; close it, or use ``with``.

    ``timeout`` bounds each request as a whole; a streamed block body is watched for stalls by the
    transport and bounded in time by the caller (docs/directio-client.md §6).
    """

    def __init__(
        self,
        baseurl: str,
        access_key_id: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retry_policy: Optional[RetryPolicy] = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        max_pool_size: int = 20,
        verify: Union[bool, str] = True,
    ) -> None:
        if not isinstance(access_key_id, str) or not access_key_id.strip():
            raise InvalidArgumentError(
                "access_key_id must be a non-empty string",
                operation="DirectIO",
                resource="the DirectIO portal",
            )
        base, self._prefix = split_baseurl(baseurl)
        self._url = base + self._prefix
        common = {
            "retry_policy": retry_policy,
            "connect_timeout": min(connect_timeout, timeout),
            "read_timeout": min(read_timeout, timeout),
            "request_timeout": timeout,
            "verify": verify,
            "request_id_headers": (),
        }
        self._portal = Transport(
            base,
            max_pool_size=4,
            default_headers={"Authorization": f"Bearer {access_key_id}"},
            secrets=(access_key_id,),
            errors=DIRECTIO_ERROR_DECODER,
            **common,  # type: ignore[arg-type]
        )
        self._storage = Transport(base, max_pool_size=max_pool_size, **common)  # type: ignore[arg-type]

    @property
    def url(self) -> str:
        """The portal URL."""
        return self._url

    @property
    def portal_transport(self) -> Transport:
        """The transport to the portal (metadata requests)."""
        return self._portal

    @property
    def storage_transport(self) -> Transport:
        """The transport to object storage (block downloads)."""
        return self._storage

    def get_metadata(self, file_id: object) -> HttpResponse:
        """``GET {base}/directio/{file_id}`` with the bearer access key id."""
        segment = check_file_id(file_id, "metadata")
        request = HttpRequest(
            "GET",
            f"{self._prefix}/directio/{segment}",
            operation="metadata",
            resource=f"file {segment}",
        )
        return self._portal.send(request)

    def get_block(self, url: str, *, resource: str = "block") -> HttpResponse:
        """``GET <signed url>``, unsigned, no Authorization; a 2xx body is left to stream."""
        if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
            raise InvalidArgumentError(
                "a block URL must be an http(s) URL", operation="get_block", resource=resource
            )
        try:
            request = HttpRequest.from_url("GET", url, stream=True, operation="get_block", resource=resource)
        except InvalidArgumentError:
            raise InvalidArgumentError(
                f"invalid block URL {redact_url(url)!r}", operation="get_block", resource=resource
            ) from None
        return self._storage.send(request)

    def close(self) -> None:
        """Close the portal and storage connections."""
        self._portal.close()
        self._storage.close()

    def __enter__(self) -> DirectIOHTTP:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"DirectIOHTTP({self._url!r})"
