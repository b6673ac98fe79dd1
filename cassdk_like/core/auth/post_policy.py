"""Signing browser-form uploads (POST policies): a JSON policy, base64-encoded, signed as a whole.

A POST policy lets whoever holds the form fields upload within the policy's conditions (a key
prefix, a size range) until it expires, without ever seeing a key.  Both schemes sign the policy
document rather than a request: SigV4 with the derived key over the base64 text, q-sign with the
SignKey over the SHA-1 of the JSON text.  The scheme's own fields (algorithm, credential, date or
key time) are added to the conditions here, so a policy cannot be used with other ones.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import hmac
import json
from typing import Any, Dict, List, Optional, Sequence

from cassdk_like.core.auth.qsign import MAX_QSIGN_EXPIRES, qsign_key
from cassdk_like.core.auth.sigv4_canonical import (
    ALGORITHM,
    MAX_PRESIGN_EXPIRES,
    credential_scope,
    format_amz_date,
    sign_string,
)
from cassdk_like.core.exceptions import InvalidArgumentError

__all__ = ["qsign_post_fields", "sigv4_post_fields"]

#: a condition as the policy document spells it: {"field": value} or [operator, "$field", value...]
Condition = Any


def _check_expires(expires: int, limit: int) -> int:
    if isinstance(expires, bool) or not isinstance(expires, int) or not 1 <= expires <= limit:
        raise InvalidArgumentError(f"expires must be 1..{limit} seconds, got {expires!r}")
    return expires


def _document(now: float, expires: int, conditions: Sequence[Condition]) -> str:
    end = _dt.datetime.fromtimestamp(int(now) + expires, tz=_dt.timezone.utc)
    doc = {"expiration": end.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "conditions": list(conditions)}
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def sigv4_post_fields(
    *,
    access_key: str,
    secret_key: str,
    region: str,
    service: str,
    now: float,
    expires: int,
    conditions: Sequence[Condition],
    session_token: Optional[str] = None,
) -> Dict[str, str]:
    """The SigV4 form fields (``policy``, ``x-amz-algorithm``, ``x-amz-credential``, ``x-amz-date``,
    ``x-amz-signature`` and, with a token, ``x-amz-security-token``) for ``conditions``."""
    _check_expires(expires, MAX_PRESIGN_EXPIRES)
    amz_date = format_amz_date(now)
    credential = f"{access_key}/{credential_scope(amz_date[:8], region, service)}"
    fields = {"x-amz-algorithm": ALGORITHM, "x-amz-credential": credential, "x-amz-date": amz_date}
    if session_token:
        fields["x-amz-security-token"] = session_token
    signed: List[Condition] = [*conditions, *({name: value} for name, value in fields.items())]
    policy = _b64(_document(now, expires, signed))
    fields["policy"] = policy
    fields["x-amz-signature"] = sign_string(secret_key, amz_date[:8], region, service, policy)
    return fields


def qsign_post_fields(
    *,
    secret_id: str,
    secret_key: str,
    now: float,
    expires: int,
    conditions: Sequence[Condition],
    backdate: int = 0,
    session_token: Optional[str] = None,
    token_field: str = "x-cos-security-token",  # noqa: S107 - a field name, not a secret
) -> Dict[str, str]:
    """The q-sign form fields (``policy``, ``q-sign-algorithm``, ``q-ak``, ``q-key-time``,
    ``q-signature`` and, with a token, ``token_field``) for ``conditions``; the window opens
    ``backdate`` seconds before ``now``."""
    _check_expires(expires, MAX_QSIGN_EXPIRES)
    start = max(int(now) - backdate, 0)
    key_time = f"{start};{int(now) + expires}"
    signed: List[Condition] = [
        *conditions,
        {"q-sign-algorithm": "sha1"},
        {"q-ak": secret_id},
        {"q-sign-time": key_time},
    ]
    fields = {"q-sign-algorithm": "sha1", "q-ak": secret_id, "q-key-time": key_time}
    if session_token:
        fields[token_field] = session_token
        signed.append({token_field: session_token})
    document = _document(now, expires, signed)
    digest = hashlib.sha1(document.encode("utf-8")).hexdigest()  # noqa: S324 - the scheme's hash
    sign_key = qsign_key(secret_key, key_time)
    fields["policy"] = _b64(document)
    signature = hmac.new(sign_key.encode("ascii"), digest.encode("ascii"), hashlib.sha1)
    fields["q-signature"] = signature.hexdigest()
    return fields
