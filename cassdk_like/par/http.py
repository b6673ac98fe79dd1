"""Requests made with a PAR's presigned URLs: one Transport per use, pointed where the URL says.

The URLs come from the sealed grant and go straight into the request; the transport's logs and
every error message are redacted (``core.redact``), so a signature never leaves this module in
text. ``connect_url`` sends the connection elsewhere while the Host header keeps the URL's host (a
proxy, or a local stand-in for COS's bucket hosts), as the bucket clients' ``connect_url`` does.
"""

from __future__ import annotations

from typing import Mapping, Optional
from urllib.parse import urlsplit

import attrs

from cassdk_like.bucket import get_dialect
from cassdk_like.core.http import BodyLike, HttpRequest, RetryPolicy, Transport

__all__ = ["par_request", "par_transport"]


def par_transport(
    service: str,
    url: str,
    *,
    connect_url: Optional[str] = None,
    retry_policy: Optional[RetryPolicy] = None,
    max_pool_size: int = 10,
) -> Transport:
    """A Transport for the service's answers (its error codes and request id header)."""
    dialect = get_dialect(service)
    parts = urlsplit(url)
    return Transport(
        connect_url or f"{parts.scheme}://{parts.netloc}",
        retry_policy=retry_policy,
        max_pool_size=max_pool_size,
        request_id_headers=tuple(h.lower() for h in dialect.wire.request_id_headers),
        errors=dialect.errors,
    )


def par_request(
    method: str,
    url: str,
    *,
    operation: str,
    resource: str,
    connect_url: Optional[str] = None,
    headers: Optional[Mapping[str, str]] = None,
    body: BodyLike = None,
    stream: bool = False,
) -> HttpRequest:
    """The unsigned request for a presigned ``url`` (it carries its own signature)."""
    request = HttpRequest.from_url(
        method,
        url,
        headers=dict(headers or {}),
        body=body,
        stream=stream,
        operation=operation,
        resource=resource,
    )
    if connect_url is None:
        return request
    extra = {**request.headers, "Host": urlsplit(url).netloc}
    return attrs.evolve(request, base_url=connect_url, headers=extra)
