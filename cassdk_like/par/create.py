"""``create_par(bucket, ...)``: a PAR for an object or a key prefix of a bucket (docs/par.md §1).

``Bucket.create_par`` calls this function through the factory slot the package ``__init__``
fills: ``par`` uses the bucket facade, and the bucket package may not use ``par``
(tests/unit/test_layering.py), so the dependency points one way only. The URLs are presigned by
the bucket's own client (the same SigV4 and q-sign code as every other presigned URL of this SDK),
sealed at once, and not kept.
"""

from __future__ import annotations

import datetime as _dt
import time
import uuid
from typing import Any, Callable, Dict, Optional, Tuple

from cassdk_like.bucket import MAX_PRESIGN_SECONDS, Bucket
from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.par.errors import PARPermissionsError
from cassdk_like.par.grant import Grant, PostForm, signature_digests
from cassdk_like.par.par import PAR
from cassdk_like.par.registry import register
from cassdk_like.par.transfer import check_par_key

__all__ = ["DEFAULT_DURATION", "create_par"]

#: seconds a PAR lives when neither ``expires`` nor ``duration`` is given
DEFAULT_DURATION = 3600
_OPERATION = "create_par"


def _lifetime(
    expires: Optional[_dt.datetime], duration: Optional[int], now: float, resource: str
) -> Tuple[int, _dt.datetime]:
    """(seconds the URLs are signed for, the PAR's expiry): whole seconds from ``int(now)``, so the
    URLs never outlive the PAR's stated expiry nor die before it."""
    context = {"operation": _OPERATION, "resource": resource}
    if expires is not None and duration is not None:
        raise InvalidArgumentError("give expires or duration, not both", **context)
    if expires is not None:
        if not isinstance(expires, _dt.datetime):
            raise InvalidArgumentError("expires must be a datetime", **context)
        moment = expires if expires.tzinfo is not None else expires.replace(tzinfo=_dt.timezone.utc)
        seconds = int(moment.timestamp()) - int(now)
    else:
        seconds = DEFAULT_DURATION if duration is None else duration
        if isinstance(seconds, bool) or not isinstance(seconds, int):
            raise InvalidArgumentError(f"duration must be whole seconds, got {duration!r}", **context)
    if not 1 <= seconds <= MAX_PRESIGN_SECONDS:
        raise InvalidArgumentError(
            f"a PAR lives 1..{MAX_PRESIGN_SECONDS} seconds (7 days, the presigned URL limit), got {seconds}",
            **context,
        )
    return seconds, _dt.datetime.fromtimestamp(int(now) + seconds, tz=_dt.timezone.utc)


def create_par(
    bucket: Bucket,
    key: Optional[str] = None,
    *,
    readable: bool = False,
    writeable: bool = False,
    expires: Optional[_dt.datetime] = None,
    duration: Optional[int] = None,
    encrypt_key: Any = None,
    key_prefix: str = "",
    content_length_range: Optional[Tuple[int, int]] = None,
    registry: Optional[str] = None,
    clock: Callable[[], float] = time.time,
    use_hpke: Optional[bool] = None,
) -> PAR:
    """A PAR sealed to ``encrypt_key`` (the recipient's public key, or a ``Passphrase``).

    ``key``: the object to read (``readable``) and/or write (``writeable``); None makes a bucket
    PAR that writes any key under ``key_prefix`` (write only: the services cannot grant reading a
    whole bucket; docs/par.md §4.4). ``expires`` (a datetime) or ``duration`` (seconds, default one
    hour), at most 7 days. ``content_length_range`` bounds a bucket PAR's uploads. ``registry``: a
    grant registry's URL (the emulator's is ``<s3 or cos endpoint>/_emulator/<service>/par-grants``);
    with it ``close()`` really revokes the PAR, without it ``close()`` says it cannot
    (docs/par.md §5). Nothing is sent unless a registry is given.
    """
    resource = f"bucket {bucket.name!r}"
    if encrypt_key is None:
        raise InvalidArgumentError(
            "give encrypt_key: the recipient's public key or a Passphrase",
            operation=_OPERATION,
            resource=resource,
        )
    if not (readable or writeable):
        raise PARPermissionsError(
            "a PAR must grant read, write or both", operation=_OPERATION, resource=resource
        )
    now = clock()
    seconds, expires_at = _lifetime(expires, duration, now, resource)
    service = bucket.api.dialect.name
    uid = str(uuid.uuid4())
    if key is not None:
        check_par_key(key, _OPERATION)
        grant = Grant(
            get=str(bucket.presigned_get_url(key, seconds)) if readable else None,
            put=str(bucket.presigned_put_url(key, seconds)) if writeable else None,
            registry=registry,
        )
    else:
        if readable:
            raise PARPermissionsError(
                "S3 and COS cannot grant read access to a whole bucket with a presigned URL: make one "
                "read PAR per object",
                operation=_OPERATION,
                resource=resource,
            )
        check_par_key(key_prefix, _OPERATION, prefix=True)
        options: Dict[str, Any] = {"key_prefix": key_prefix, "expires": seconds}
        if content_length_range is not None:
            options["content_length_range"] = content_length_range
        post = bucket.presigned_post(**options)
        grant = Grant(post=PostForm(post.url, dict(post.fields)), registry=registry)
    details = {
        "driver": service,
        "bucket": bucket.name,
        "created_at": _dt.datetime.fromtimestamp(int(now), tz=_dt.timezone.utc),
        "registry": registry,
    }
    par = PAR(
        grant,
        key,
        encrypt_key,
        expires_at,
        is_readable=readable,
        is_writeable=writeable,
        driver_details=details,
        service=service,
        bucket=bucket.name,
        key_prefix=key_prefix if key is None else None,
        uid=uid,
        clock=clock,
        use_hpke=use_hpke,
    )
    if registry is not None:
        register(
            registry,
            uid,
            signatures=signature_digests(grant),
            close_proof=grant.close_proof(uid),
            expires_at=expires_at,
        )
    return par
