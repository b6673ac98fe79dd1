"""Browser-style uploads: ``POST`` of a ``multipart/form-data`` form to the bucket URL, authorized by
a signed policy document (docs/bucket-protocol.md §6.4), in either dialect.

The policy is base64 JSON with an ``expiration`` and ``conditions``; the dialect's signature over it
(SigV4 for S3, q-sign for COS) is checked by the service's ``PolicyCheck``. Every form field
(except the signature fields, the policy, the file and ``x-ignore-*``) must be allowed by a
condition: exact matches (``{"key": "a"}``, ``["eq", "$key", "a"]``), prefixes
(``["starts-with", "$key", "user/"]``) and the file size (``["content-length-range", min, max]``).
This is how a grant to write anywhere under a key prefix works.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, FrozenSet, List, Mapping, Optional, Tuple
from urllib.parse import quote, urlencode

from cassdk_like.core.auth.qsign import qsign_key
from cassdk_like.core.auth.sigv4_canonical import sign_string
from cassdk_like.emulator.objectstore.attributes import REPRESENTATION_HEADERS, check_tags
from cassdk_like.emulator.objectstore.context import Context
from cassdk_like.emulator.objectstore.digests import Tee
from cassdk_like.emulator.objectstore.errors import (
    StoreError,
    access_denied,
    entity_too_large,
    entity_too_small,
    invalid_access_key,
    invalid_argument,
    precondition_failed,
    signature_mismatch,
)
from cassdk_like.emulator.objectstore.form import FormStream, boundary_of
from cassdk_like.emulator.objectstore.ingest import Ingested
from cassdk_like.emulator.objectstore.names import check_key
from cassdk_like.emulator.objectstore.records import ObjectRecord
from cassdk_like.emulator.objectstore.xmldoc import child_text, children, parse_xml, xml_response
from cassdk_like.emulator.wire import Response, empty_response

__all__ = ["PolicyCheck", "check_qsign_form", "check_sigv4_form", "post_object"]
#: how far ahead of the server's clock a q-key-time window may start
MAX_SKEW = 900
_ISO_FORMATS = ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class PolicyCheck:
    """What the service lends the operation: how its dialect signs a form (``signature(fields,
    bucket, check, now)`` raises when it does not hold), the fields that carry that signature (they need
    no condition), the secret for a key id and the bucket's region."""

    signature: Callable[[Dict[str, str], str, PolicyCheck, float], None]
    signature_fields: FrozenSet[str]
    secret_for: Callable[[str], Optional[str]]
    region_of: Callable[[str], Optional[str]]
    #: a condition's field -> the form field it constrains, where the names differ (COS's
    #: ``q-sign-time`` condition holds the ``q-key-time`` field)
    aliases: Mapping[str, str] = field(default_factory=dict)
    #: the service's presign guards, shown the form's fields once its signature holds
    guard: Optional[Callable[[Dict[str, str]], None]] = None


def _policy_failed(condition: Any) -> StoreError:
    text = json.dumps(condition, separators=(", ", ": "))
    return access_denied(f"Invalid according to Policy: Policy Condition failed: {text}")


def _invalid_policy(detail: str) -> StoreError:
    return StoreError("InvalidPolicyDocument", f"Invalid Policy: {detail}", status=400)


def _expiration(value: Any) -> float:
    if not isinstance(value, str):
        raise _invalid_policy("Invalid 'expiration' value: must be an ISO8601 date string.")
    for pattern in _ISO_FORMATS:
        try:
            parsed = time.strptime(value, pattern)
        except ValueError:
            continue
        return float(calendar.timegm(parsed))
    raise _invalid_policy(f"Invalid 'expiration' value: '{value}'")


def _decode_policy(text: str) -> Dict[str, Any]:
    try:
        doc = json.loads(base64.b64decode(text.strip(), validate=True).decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _invalid_policy("Invalid JSON.") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("conditions"), list):
        raise _invalid_policy("Policy missing conditions.")
    return doc


def check_sigv4_form(fields: Dict[str, str], bucket: str, check: PolicyCheck, now: float) -> None:
    """S3: ``x-amz-signature`` is the SigV4 HMAC of the base64 policy with the credential's key."""
    for name in ("x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature", "policy"):
        if name not in fields:
            raise invalid_argument(f"Bucket POST must contain a field named '{name}'.", name, "")
    if fields["x-amz-algorithm"] != "AWS4-HMAC-SHA256":
        raise invalid_argument(
            "Only AWS4-HMAC-SHA256 is supported", "x-amz-algorithm", fields["x-amz-algorithm"]
        )
    parts = fields["x-amz-credential"].split("/")
    if len(parts) != 5 or parts[3] != "s3" or parts[4] != "aws4_request":
        raise invalid_argument(
            "Invalid credential in the form", "x-amz-credential", fields["x-amz-credential"]
        )
    key_id, date, region = parts[0], parts[1], parts[2]
    secret = check.secret_for(key_id)
    if secret is None:
        raise invalid_access_key([("AWSAccessKeyId", key_id)])
    expected_region = check.region_of(bucket) or region
    if region != expected_region:
        raise invalid_argument(
            f"the region '{region}' is wrong; expecting '{expected_region}'",
            "x-amz-credential",
            fields["x-amz-credential"],
        )
    if not fields["x-amz-date"].startswith(date):
        raise invalid_argument(
            "The x-amz-date does not match the credential date", "x-amz-date", fields["x-amz-date"]
        )
    signature = sign_string(secret, date, region, "s3", fields["policy"])
    if not hmac.compare_digest(signature, fields["x-amz-signature"].strip().lower()):
        raise signature_mismatch([("AWSAccessKeyId", key_id)])


def check_qsign_form(fields: Dict[str, str], bucket: str, check: PolicyCheck, now: float) -> None:
    """COS: ``q-signature`` is HMAC-SHA1(SignKey, SHA1(policy JSON)), SignKey from ``q-key-time``;
    the policy's conditions must name the same algorithm, key and window (docs/bucket-protocol.md §7.3)."""
    for name in ("q-sign-algorithm", "q-ak", "q-key-time", "q-signature", "policy"):
        if name not in fields:
            raise invalid_argument(f"Bucket POST must contain a field named '{name}'.", name, "")
    if fields["q-sign-algorithm"] != "sha1":
        raise invalid_argument("Only sha1 is supported", "q-sign-algorithm", fields["q-sign-algorithm"])
    key_id, key_time = fields["q-ak"], fields["q-key-time"]
    secret = check.secret_for(key_id)
    if secret is None:
        raise invalid_access_key([("SecretId", key_id)], "COS")
    try:
        document = base64.b64decode(fields["policy"].strip(), validate=True)
    except binascii.Error:
        raise _invalid_policy("Invalid JSON.") from None
    digest = hashlib.sha1(document).hexdigest()  # noqa: S324 - the scheme's hash
    expected = hmac.new(qsign_key(secret, key_time).encode("ascii"), digest.encode("ascii"), hashlib.sha1)
    if not hmac.compare_digest(expected.hexdigest(), fields["q-signature"].strip().lower()):
        raise signature_mismatch([("SecretId", key_id)])
    start, _, end = key_time.partition(";")
    if not (start.isdigit() and end.isdigit()) or not int(start) - MAX_SKEW <= now <= int(end):
        raise access_denied("Invalid according to Policy: q-key-time is not valid now.")
    signed = _decode_policy(fields["policy"])["conditions"]
    for name, value in (("q-sign-algorithm", "sha1"), ("q-ak", key_id), ("q-sign-time", key_time)):
        if {name: value} not in signed:
            raise access_denied(f"Invalid according to Policy: the policy must require {name} = {value}")


def _read_condition(condition: Any) -> Tuple[str, str, Any]:
    """(operator, field, operand) of one condition; the field is empty for content-length-range,
    whose operand is the (min, max) pair."""
    if isinstance(condition, dict) and len(condition) == 1:
        name, expected = next(iter(condition.items()))
        return "eq", str(name).lower(), expected
    if not isinstance(condition, list) or len(condition) != 3:
        raise _invalid_policy("Invalid condition.")
    operator = str(condition[0]).lower()
    if operator == "content-length-range":
        try:
            return operator, "", (int(condition[1]), int(condition[2]))
        except (TypeError, ValueError):
            raise _invalid_policy("Invalid content-length-range") from None
    if operator not in ("eq", "starts-with"):
        raise _invalid_policy(f"Invalid condition operator: {condition[0]}")
    if not str(condition[1]).startswith("$"):
        raise _invalid_policy(f"Invalid condition field: {condition[1]}")
    return operator, str(condition[1])[1:].lower(), condition[2]


def _check_conditions(
    fields: Dict[str, str],
    bucket: str,
    conditions: List[Any],
    exempt: FrozenSet[str],
    aliases: Mapping[str, str],
) -> Optional[Tuple[int, int]]:
    """Every condition holds and every field is covered; returns the content-length-range."""
    values = dict(fields, bucket=bucket)
    values.update({condition: fields.get(name, "") for condition, name in aliases.items()})
    covered = {"bucket"} if "bucket" not in fields else set()
    length_range: Optional[Tuple[int, int]] = None
    for condition in conditions:
        operator, subject, operand = _read_condition(condition)
        if not subject:
            length_range = operand
            continue
        covered.add(subject)
        actual = values.get(subject, "")
        holds = actual == str(operand) if operator == "eq" else actual.startswith(str(operand))
        if not holds:
            raise _policy_failed(condition)
    extra = sorted(
        name
        for name in fields
        if name not in covered and name not in exempt and not name.startswith("x-ignore-")
    )
    if extra:
        raise access_denied(f"Invalid according to Policy: Extra input fields: {extra[0]}")
    return length_range


def _form_tags(text: Optional[str], limit: int) -> List[Tuple[str, str]]:
    if not text:
        return []
    root = parse_xml(text.encode("utf-8"), "Tagging")
    tags = []
    for tag_set in children(root, "TagSet"):
        for tag in children(tag_set, "Tag"):
            tags.append((child_text(tag, "Key") or "", child_text(tag, "Value") or ""))
    check_tags(tags, limit)
    return tags


def _ingest_file(ctx: Context, form: FormStream) -> Ingested:
    tee = Tee(form.read_file, [], crc64=False)
    blob = ctx.store.db.spool(tee.read, None)
    return Ingested(blob, tee.md5.hexdigest(), {}, None)


def post_object(ctx: Context, check: PolicyCheck) -> Response:
    bucket = ctx.store.require_bucket(ctx.bucket)
    boundary = boundary_of(ctx.header("content-type"))
    if boundary is None:
        raise precondition_failed("Bucket POST must be of the enclosure-type multipart/form-data")
    form = FormStream(ctx.body.read, boundary)
    has_file = form.read_fields()
    fields = form.fields
    if "key" not in fields:
        raise invalid_argument(
            "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the"
            " fields.",
            "key",
            "",
        )
    if "policy" not in fields and not check.signature_fields & set(fields):
        raise access_denied()
    check.signature(fields, bucket.name, check, ctx.now)
    if check.guard is not None:
        check.guard(fields)
    policy = _decode_policy(fields["policy"])
    if _expiration(policy.get("expiration")) < ctx.now:
        raise access_denied("Invalid according to Policy: Policy expired.")
    exempt = check.signature_fields | {"policy", "file"}
    length_range = _check_conditions(fields, bucket.name, policy["conditions"], exempt, check.aliases)
    if not has_file:
        raise invalid_argument("POST requires exactly one file upload per request.", "file", "0")
    key = fields["key"].replace("${filename}", form.filename)
    check_key(key, ctx.dialect.max_key_bytes)
    tags = _form_tags(fields.get("tagging"), ctx.dialect.max_tags)
    taken = _ingest_file(ctx, form)
    try:
        if length_range is not None and taken.size > length_range[1]:
            raise entity_too_large(taken.size, length_range[1])
        if length_range is not None and taken.size < length_range[0]:
            raise entity_too_small(taken.size, length_range[0])
        if taken.size > ctx.dialect.max_put_size:
            raise entity_too_large(taken.size, ctx.dialect.max_put_size)
        record = ObjectRecord(
            bucket=bucket.name,
            key=key,
            size=taken.size,
            etag=taken.md5_hex,
            blob=taken.blob.token,
            modified=ctx.now,
            content_type=fields.get("content-type") or ctx.dialect.default_content_type,
            headers={name: fields[name] for name in REPRESENTATION_HEADERS if name in fields},
            metadata={
                name[len(ctx.dialect.meta_prefix) :]: value
                for name, value in fields.items()
                if name.startswith(ctx.dialect.meta_prefix)
            },
            tags=tags,
            storage_class=(fields.get(ctx.dialect.h("storage-class")) or "STANDARD").upper(),
        )
        ctx.store.put(record)
    except BaseException:
        ctx.store.db.discard(taken.blob.token)
        raise
    return _answer(ctx, fields, record)


def _answer(ctx: Context, fields: Dict[str, str], record: ObjectRecord) -> Response:
    host = ctx.header("host") or "localhost"
    location = f"http://{host}/{quote(record.bucket)}/{quote(record.key)}"
    etag = f'"{record.etag}"'
    headers = [("ETag", etag), ("Location", location)]
    redirect = fields.get("success_action_redirect") or fields.get("redirect")
    if redirect:
        joiner = "&" if "?" in redirect else "?"
        target = redirect + joiner + urlencode({"bucket": record.bucket, "key": record.key, "etag": etag})
        return empty_response(303, [("ETag", etag), ("Location", target)])
    status = fields.get("success_action_status", "204")
    if status == "201":
        nodes = [("Location", location), ("Bucket", record.bucket), ("Key", record.key), ("ETag", etag)]
        return xml_response(201, "PostResponse", nodes, None, headers)
    return empty_response(200 if status == "200" else 204, headers)
