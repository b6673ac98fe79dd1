"""What a PAR seals: the presigned URLs (and POST form) it grants, and where it can be revoked.

A ``Grant`` exists only while a request is being made (docs/par.md §4): it is opened from the
PAR's ciphertext, used, and dropped. Its repr shows which methods it holds, never a URL.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any, Dict, List, Mapping, Optional
from urllib.parse import parse_qsl, urlsplit

import attrs

from cassdk_like.par.errors import PARTamperedError
from cassdk_like.par.sealing import canonical

__all__ = ["Grant", "PostForm", "signature_digests"]

#: query parameters and form fields that carry a presigned signature (S3 SigV4, COS q-sign)
_SIGNATURE_NAMES = ("x-amz-signature", "q-signature")


@attrs.frozen(repr=False)
class PostForm:
    """A POST policy: the bucket URL and the form fields to send before the file."""

    url: str
    fields: Mapping[str, str]

    def __repr__(self) -> str:
        return f"PostForm(fields={sorted(self.fields)!r})"


@attrs.frozen(repr=False)
class Grant:
    """The sealed part of a PAR: ``get`` / ``put`` URLs of one object, or a ``post`` form for a
    bucket, and the grant registry's URL when the PAR can be revoked."""

    get: Optional[str] = None
    put: Optional[str] = None
    post: Optional[PostForm] = None
    registry: Optional[str] = None

    def to_bytes(self) -> bytes:
        """The grant as canonical JSON bytes, what gets sealed."""
        doc: Dict[str, Any] = {"get": self.get, "put": self.put, "registry": self.registry}
        doc["post"] = None if self.post is None else {"url": self.post.url, "fields": dict(self.post.fields)}
        return canonical(doc)

    @classmethod
    def from_bytes(cls, data: bytes, operation: str) -> Grant:
        """The grant sealed in ``data``; ``PARTamperedError`` (naming ``operation``) when it is not one."""
        try:
            doc = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise PARTamperedError("the PAR's sealed content is not a grant", operation=operation) from None
        if not isinstance(doc, dict) or set(doc) != {"get", "put", "post", "registry"}:
            raise PARTamperedError("the PAR's sealed content is not a grant", operation=operation)
        post = doc["post"]
        form = None
        if post is not None:
            if not (
                isinstance(post, dict)
                and isinstance(post.get("url"), str)
                and isinstance(post.get("fields"), dict)
            ):
                raise PARTamperedError("the PAR's sealed POST form is malformed", operation=operation)
            form = PostForm(post["url"], {str(k): str(v) for k, v in post["fields"].items()})
        for name in ("get", "put", "registry"):
            if doc[name] is not None and not isinstance(doc[name], str):
                raise PARTamperedError(f"the PAR's sealed {name} is not a URL", operation=operation)
        return cls(doc["get"], doc["put"], form, doc["registry"])

    def close_proof(self, uid: str) -> str:
        """What ``close()`` shows the registry: only someone who opened the grant can compute it."""
        return hmac.new(
            self.to_bytes(), b"cassdk-par/v1 close " + uid.encode("utf-8"), hashlib.sha256
        ).hexdigest()

    def __repr__(self) -> str:
        held = [name for name in ("get", "put", "post") if getattr(self, name) is not None]
        return f"Grant(methods={held!r}, revocable={self.registry is not None})"


def signature_digests(grant: Grant) -> List[str]:
    """SHA-256 (hex) of each signature the grant's URLs and form carry: how the registry recognises
    a request made with this PAR without ever holding the URL."""
    found: List[str] = []
    for url in (grant.get, grant.put):
        if url is None:
            continue
        for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
            if name.lower() in _SIGNATURE_NAMES:
                found.append(hashlib.sha256(value.encode("utf-8")).hexdigest())
    if grant.post is not None:
        for name, value in grant.post.fields.items():
            if name.lower() in _SIGNATURE_NAMES:
                found.append(hashlib.sha256(value.encode("utf-8")).hexdigest())
    return found
