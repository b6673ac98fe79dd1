"""What the low-level client hands to the Transport: one HTTP request, described as data.

Bodies that come from a file are described by (fileobj, offset, length) rather than bytes, so a
multi-GiB part is streamed from disk and can be re-sent from the same offset on every retry.
"""

from __future__ import annotations

from typing import BinaryIO, Dict, List, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import quote, unquote, unquote_plus, urlsplit

import attrs

from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.core.redact import redact_text

__all__ = [
    "BodyLike",
    "BodyReader",
    "HttpRequest",
    "RequestBody",
    "merge_headers",
    "parse_endpoint",
    "wire_target",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _non_negative(_inst: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{attribute.name} must be a non-negative int, got {value!r}")


@attrs.define
class RequestBody:
    """A seekable source re-sent from ``offset`` on every attempt; never read whole into memory.

    The file object must not be used by another request at the same time (its position moves).
    """

    fileobj: BinaryIO
    offset: int = attrs.field(validator=_non_negative)
    length: int = attrs.field(validator=_non_negative)


BodyLike = Union[bytes, bytearray, memoryview, RequestBody, None]


def _redacted_query(query: List[Tuple[str, str]]) -> str:
    """Query pairs for a repr, with signatures and tokens masked (a presigned query is a secret)."""
    masked = [tuple(redact_text(f"{key}={value}").split("=", 1)) for key, value in query]
    return repr(masked)


def _check_base_url(_inst: object, _attribute: attrs.Attribute[Optional[str]], value: Optional[str]) -> None:
    if value is not None:
        parse_endpoint(value)


@attrs.define
class HttpRequest:
    """One REST call; ``path`` is raw (unencoded) because signers need it that way.

    ``base_url`` (``scheme://host[:port]``) sends this one request to another host through the
    same pooled Transport (S3 virtual-host buckets, COS ``<bucket>-<appid>`` hosts, presigned
    URLs); its Host header and signature then name that host. ``sign=False`` sends the request
    unsigned: a presigned URL already carries its signature in the query.
    """

    method: str
    path: str
    query: List[Tuple[str, str]] = attrs.field(factory=list, repr=_redacted_query)
    headers: Dict[str, str] = attrs.Factory(dict)
    body: BodyLike = attrs.field(default=None, repr=False)
    #: True: a 2xx response body is left unread for the caller (job output downloads)
    stream: bool = False
    #: user-level name for errors and logs ("upload_part")
    operation: str = ""
    #: what the call is about, for errors ("upload 'ID' in vault 'v1'")
    resource: str = ""
    #: ``scheme://host[:port]`` of this request; None: the Transport's endpoint
    base_url: Optional[str] = attrs.field(default=None, validator=_check_base_url)
    #: False: the Transport's signer is not called (presigned URLs)
    sign: bool = True
    #: False: repeating the request could apply it twice (a POST that appends); the Transport
    #: then retries it only when it was never sent (see ``RetryPolicy``)
    idempotent: bool = True

    @classmethod
    def from_url(cls, method: str, url: str, **fields: object) -> HttpRequest:
        """A request for an absolute URL (a presigned one, say): base URL, raw path and decoded query.

        Unsigned unless ``sign=True`` is passed, since such URLs carry their own signature.
        """
        try:
            parts = urlsplit(url)
        except ValueError:
            raise InvalidArgumentError("invalid URL") from None
        base = f"{parts.scheme}://{parts.netloc}"
        query = [
            (unquote_plus(key), unquote_plus(value))
            for key, _, value in (item.partition("=") for item in parts.query.split("&") if item)
        ]
        fields.setdefault("sign", False)
        return cls(method, unquote(parts.path or "/"), query, base_url=base, **fields)  # type: ignore[arg-type]

    @property
    def content_length(self) -> int:
        """Bytes the body will send (0 without a body)."""
        body = self.body
        if body is None:
            return 0
        if isinstance(body, RequestBody):
            return body.length
        if isinstance(body, memoryview):
            return body.nbytes
        return len(body)


class BodyReader:
    """Reads at most ``length`` bytes of a file from ``offset``; ``rewind()`` before each attempt.

    Read failures and files that turn out shorter than promised are remembered in ``failure`` so
    the Transport can report a local-file problem instead of a network one.
    """

    def __init__(self, body: RequestBody) -> None:
        self._body = body
        self._remaining = body.length
        self.failure: Optional[BaseException] = None

    def rewind(self) -> None:
        """Go back to the start of the range (called before every attempt)."""
        self._body.fileobj.seek(self._body.offset)
        self._remaining = self._body.length
        self.failure = None

    def __len__(self) -> int:
        # requests/urllib3 read the size from here; we also send Content-Length ourselves
        return self._body.length

    def read(self, size: Optional[int] = -1) -> bytes:
        if self._remaining <= 0:
            return b""
        want = self._remaining if size is None or size < 0 else min(size, self._remaining)
        try:
            data = self._body.fileobj.read(want)
        except (OSError, ValueError) as exc:
            # ValueError: a closed file; re-raised as OSError so urllib3 aborts the request cleanly
            self.failure = exc
            raise OSError(f"cannot read the request body: {type(exc).__name__}") from exc
        if not data:
            short = OSError(f"source ended {self._remaining} bytes before the declared length")
            self.failure = short
            raise short
        self._remaining -= len(data)
        return bytes(data)

    def __repr__(self) -> str:
        return f"<BodyReader offset={self._body.offset} length={self._body.length}>"


def parse_endpoint(endpoint: str) -> Tuple[str, str]:
    """(base URL, Host header) from ``scheme://host[:port]``; the port is dropped when default.

    The Host value is exactly what goes on the wire, so signers can sign what the server sees.
    """
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        raise InvalidArgumentError("invalid endpoint: bad host or port") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise InvalidArgumentError("endpoint must look like https://host[:port]")
    if parts.username or parts.password:
        # never echo the endpoint here: it holds a password
        raise InvalidArgumentError("endpoint must not carry credentials")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise InvalidArgumentError(f"endpoint must not carry a path or a query: {endpoint!r}")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    return f"{scheme}://{host}", host


def wire_target(path: str, query: Sequence[Tuple[str, str]] = ()) -> str:
    """Path and query percent-encoded per RFC 3986 (only unreserved characters left bare).

    Space is ``%20`` and ``/`` in query values is ``%2F``: the form SigV4 canonicalises to,
    and one the CAS server decodes back to the raw values that q-sign signs.
    """
    if not path.startswith("/"):
        raise InvalidArgumentError(f"request path must start with '/': {path!r}")
    target = quote(path, safe="/")
    if query:
        target += "?" + "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in query)
    return target


def merge_headers(target: Dict[str, str], extra: Mapping[str, str]) -> None:
    """Case-insensitive update in place: a later ``host`` replaces an earlier ``Host``."""
    for name, value in extra.items():
        for existing in [k for k in target if k.lower() == name.lower()]:
            del target[existing]
        target[name] = value
