"""Presigned URLs and POST policies (docs/bucket-protocol.md §6.2 and §6.4): access for whoever holds them.

A presigned GET or PUT URL carries its signature in the query and is valid for at most 7 days; a
POST policy is a signed set of conditions (a key or key prefix, a size range, a content type) under
which a browser form may upload, which is the services' real mechanism for "write anywhere under
this prefix".  Both are secrets: their reprs hide the signature.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple
from urllib.parse import quote

import attrs

from cassdk_like.bucket.lowlevel._base import ClientCore
from cassdk_like.bucket.validation import check_expires, check_key
from cassdk_like.core.auth.post_policy import qsign_post_fields, sigv4_post_fields
from cassdk_like.core.auth.presigned import PresignedURL
from cassdk_like.core.auth.qsign import QSigner
from cassdk_like.core.auth.sigv4 import SigV4Signer
from cassdk_like.core.config import Credentials
from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.core.http.request import HttpRequest
from cassdk_like.core.redact import REDACTED

__all__ = ["PresignOps", "PresignedPost"]

#: form fields whose value grants access (hidden in reprs)
_SECRET_FIELDS = frozenset(
    {"policy", "x-amz-signature", "q-signature", "x-amz-security-token", "x-cos-security-token"}
)


@attrs.frozen(repr=False)
class PresignedPost:
    """Where to POST a ``multipart/form-data`` upload and the fields to send before the file.

    ``fields`` go first, in order, then the file as the last field (``file``).  ``key`` is the key,
    or the prefix followed by ``${filename}`` (the service puts the uploaded file's name there).
    """

    url: str
    fields: Dict[str, str]

    def __repr__(self) -> str:
        shown = {name: (REDACTED if name in _SECRET_FIELDS else value) for name, value in self.fields.items()}
        return f"PresignedPost(url={self.url!r}, fields={shown!r})"


class PresignOps(ClientCore):
    """Presigning operations of ``BucketClient``."""

    _credentials: Credentials
    _region: str
    _clock: Callable[[], float]

    def _signer(self) -> Any:
        if self._dialect.name == "cos":
            return QSigner(
                self._credentials.secret_id,
                self._credentials.secret_key,
                clock=self._clock,
                flavor="cos",
                backdate=60,
            )
        return SigV4Signer(
            self._credentials.secret_id,
            self._credentials.secret_key,
            region=self._region,
            service="s3",
            session_token=self._credentials.session_token,
            clock=self._clock,
            normalize_path=False,
            double_encode=False,
        )

    def presign_url(
        self,
        method: str,
        bucket: str,
        key: str,
        expires: int = 3600,
        *,
        headers: Optional[Mapping[str, str]] = None,
        query: Optional[Mapping[str, str]] = None,
    ) -> PresignedURL:
        """A URL for ``method`` on the object, valid ``expires`` seconds (1 s .. 7 days).

        ``headers`` are signed and must be sent by whoever uses the URL; ``query`` (e.g.
        ``response-content-type``) is signed into it.  Nothing is sent.
        """
        target = self._object_target(f"presign_{method.lower()}", bucket, key)
        expires = check_expires(expires, target.operation, target.resource)
        request = HttpRequest(
            method.upper(),
            target.path,
            list((query or {}).items()),
            operation=target.operation,
            resource=target.resource,
        )
        url = str(self._signer().presign(request, expires, base_url=target.route.public_url, headers=headers))
        token = self._credentials.session_token
        if token and self._dialect.name == "cos":
            url += "&" + _form_pair(self._dialect.h("security-token"), token)
        return PresignedURL(url)

    def presigned_get_url(self, bucket: str, key: str, expires: int = 3600) -> PresignedURL:
        """A GET URL for the object (a ``Range`` header may be added when using it)."""
        return self.presign_url("GET", bucket, key, expires)

    def presigned_put_url(
        self, bucket: str, key: str, expires: int = 3600, *, content_type: Optional[str] = None
    ) -> PresignedURL:
        """A PUT URL for the object; with ``content_type`` the uploader must send exactly that type."""
        headers = {"Content-Type": content_type} if content_type is not None else None
        return self.presign_url("PUT", bucket, key, expires, headers=headers)

    def presigned_post(
        self,
        bucket: str,
        *,
        key: Optional[str] = None,
        key_prefix: Optional[str] = None,
        expires: int = 3600,
        content_length_range: Optional[Tuple[int, int]] = None,
        content_type: Optional[str] = None,
        fields: Optional[Mapping[str, str]] = None,
    ) -> PresignedPost:
        """A POST policy for uploads to exactly ``key``, or to any key starting with ``key_prefix``.

        ``content_length_range=(min, max)`` bounds the upload's size, ``content_type`` fixes its
        type, ``fields`` are more form fields the policy requires as given (``success_action_status``,
        ``x-amz-meta-*``, ...).  Nothing is sent.
        """
        target = self._bucket_target("presigned_post", bucket)
        context = {"operation": target.operation, "resource": target.resource}
        if (key is None) == (key_prefix is None):
            raise InvalidArgumentError("give exactly one of key and key_prefix", **context)
        expires = check_expires(expires, target.operation, target.resource)
        conditions: List[Any] = [{"bucket": bucket}]
        form: Dict[str, str] = {}
        if key is not None:
            check_key(key, target.operation, bucket, self._dialect.max_key_bytes)
            conditions.append({"key": key})
            form["key"] = key
        else:
            if not isinstance(key_prefix, str):
                raise InvalidArgumentError("key_prefix must be a str", **context)
            conditions.append(["starts-with", "$key", key_prefix])
            form["key"] = key_prefix + "${filename}"
        if content_length_range is not None:
            low, high = _length_range(content_length_range, context)
            conditions.append(["content-length-range", low, high])
        if content_type is not None:
            conditions.append({"Content-Type": content_type})
            form["Content-Type"] = content_type
        for name, value in (fields or {}).items():
            if not isinstance(name, str) or not isinstance(value, str) or name.lower() in _SECRET_FIELDS:
                raise InvalidArgumentError(f"invalid extra form field {name!r}", **context)
            conditions.append({name: value})
            form[name] = value
        form.update(self._post_fields(conditions, expires))
        return PresignedPost(target.route.public_url + target.route.path(), form)

    def _post_fields(self, conditions: List[Any], expires: int) -> Dict[str, str]:
        credentials = self._credentials
        if self._dialect.name == "cos":
            return qsign_post_fields(
                secret_id=credentials.secret_id,
                secret_key=credentials.secret_key,
                now=self._clock(),
                expires=expires,
                conditions=conditions,
                backdate=60,
                session_token=credentials.session_token,
            )
        return sigv4_post_fields(
            access_key=credentials.secret_id,
            secret_key=credentials.secret_key,
            region=self._region,
            service="s3",
            now=self._clock(),
            expires=expires,
            conditions=conditions,
            session_token=credentials.session_token,
        )


def _length_range(value: Any, context: Dict[str, str]) -> Tuple[int, int]:
    ok = isinstance(value, tuple) and len(value) == 2
    ok = ok and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)
    if not ok or value[0] > value[1]:
        raise InvalidArgumentError(f"content_length_range must be (min, max) bytes, got {value!r}", **context)
    return value[0], value[1]


def _form_pair(name: str, value: str) -> str:
    return f"{quote(name, safe='')}={quote(value, safe='')}"
