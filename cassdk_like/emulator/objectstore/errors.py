"""The bucket services' error vocabulary: S3's codes, statuses and messages (COS uses the same).

An :class:`StoreError` is an :class:`ApiError` that also carries the extra elements an S3 or COS
error document names (``<Key>``, ``<BucketName>``, ``<Condition>``...) and headers to send with it
(``Content-Range`` on a 416). The services render it (docs/bucket-protocol.md §5).
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

from cassdk_like.emulator.errors import ApiError

__all__ = [
    "StoreError",
    "access_denied",
    "bad_digest",
    "bucket_not_empty",
    "entity_too_large",
    "entity_too_small",
    "invalid_access_key",
    "invalid_argument",
    "invalid_bucket_name",
    "invalid_digest",
    "invalid_part",
    "invalid_part_order",
    "invalid_range",
    "invalid_request",
    "key_too_long",
    "malformed_xml",
    "method_not_allowed",
    "no_such_bucket",
    "no_such_key",
    "no_such_upload",
    "not_implemented",
    "not_modified",
    "precondition_failed",
    "signature_mismatch",
]


class StoreError(ApiError):
    """A refused request: code, message, status, the document's extra elements and headers."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int,
        fields: Sequence[Tuple[str, str]] = (),
        headers: Sequence[Tuple[str, str]] = (),
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(code, message, status=status, retry_after=retry_after)
        self.fields: List[Tuple[str, str]] = list(fields)
        self.headers: List[Tuple[str, str]] = list(headers)


def no_such_bucket(bucket: str) -> StoreError:
    return StoreError(
        "NoSuchBucket", "The specified bucket does not exist", status=404, fields=[("BucketName", bucket)]
    )


def no_such_key(key: str) -> StoreError:
    return StoreError("NoSuchKey", "The specified key does not exist.", status=404, fields=[("Key", key)])


def no_such_upload(upload_id: str) -> StoreError:
    message = (
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have"
        " been aborted or completed."
    )
    return StoreError("NoSuchUpload", message, status=404, fields=[("UploadId", upload_id)])


def bucket_not_empty(bucket: str) -> StoreError:
    return StoreError(
        "BucketNotEmpty",
        "The bucket you tried to delete is not empty",
        status=409,
        fields=[("BucketName", bucket)],
    )


def invalid_bucket_name(bucket: str) -> StoreError:
    return StoreError(
        "InvalidBucketName", "The specified bucket is not valid.", status=400, fields=[("BucketName", bucket)]
    )


def invalid_argument(message: str, name: str = "", value: str = "") -> StoreError:
    fields = [("ArgumentName", name), ("ArgumentValue", value)] if name else []
    return StoreError("InvalidArgument", message, status=400, fields=fields)


def invalid_request(message: str) -> StoreError:
    return StoreError("InvalidRequest", message, status=400)


def malformed_xml() -> StoreError:
    message = "The XML you provided was not well-formed or did not validate against our published schema"
    return StoreError("MalformedXML", message, status=400)


def invalid_range(requested: str, size: int) -> StoreError:
    return StoreError(
        "InvalidRange",
        "The requested range is not satisfiable",
        status=416,
        fields=[("RangeRequested", requested), ("ActualObjectSize", str(size))],
        headers=[("Content-Range", f"bytes */{size}")],
    )


def precondition_failed(condition: str) -> StoreError:
    return StoreError(
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
        status=412,
        fields=[("Condition", condition)],
    )


def not_modified(headers: Sequence[Tuple[str, str]] = ()) -> StoreError:
    """304: not an error to the client, but it leaves the operation the same way (no body)."""
    return StoreError("NotModified", "Not Modified", status=304, headers=headers)


def bad_digest(message: str, fields: Sequence[Tuple[str, str]] = ()) -> StoreError:
    return StoreError("BadDigest", message, status=400, fields=fields)


def invalid_digest(message: str = "The Content-MD5 you specified is not valid.") -> StoreError:
    return StoreError("InvalidDigest", message, status=400)


def entity_too_small(size: int, minimum: int, fields: Sequence[Tuple[str, str]] = ()) -> StoreError:
    return StoreError(
        "EntityTooSmall",
        "Your proposed upload is smaller than the minimum allowed object size.",
        status=400,
        fields=[("ProposedSize", str(size)), ("MinSizeAllowed", str(minimum)), *fields],
    )


def entity_too_large(size: int, maximum: int) -> StoreError:
    return StoreError(
        "EntityTooLarge",
        "Your proposed upload exceeds the maximum allowed size",
        status=400,
        fields=[("ProposedSize", str(size)), ("MaxSizeAllowed", str(maximum))],
    )


def invalid_part(upload_id: str, part_number: int, etag: str) -> StoreError:
    message = (
        "One or more of the specified parts could not be found.  The part may not have been"
        " uploaded, or the specified entity tag may not match the part's entity tag."
    )
    fields = [("UploadId", upload_id), ("PartNumber", str(part_number)), ("ETag", etag)]
    return StoreError("InvalidPart", message, status=400, fields=fields)


def invalid_part_order(upload_id: str) -> StoreError:
    message = "The list of parts was not in ascending order. Parts must be ordered by part number."
    return StoreError("InvalidPartOrder", message, status=400, fields=[("UploadId", upload_id)])


def key_too_long(size: int, maximum: int) -> StoreError:
    return StoreError(
        "KeyTooLongError",
        "Your key is too long",
        status=400,
        fields=[("Size", str(size)), ("MaxSizeAllowed", str(maximum))],
    )


def method_not_allowed(method: str, resource_type: str, allowed: str) -> StoreError:
    return StoreError(
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
        status=405,
        fields=[("Method", method), ("ResourceType", resource_type)],
        headers=[("Allow", allowed)],
    )


def not_implemented(header: str) -> StoreError:
    return StoreError(
        "NotImplemented",
        "A header you provided implies functionality that is not implemented",
        status=501,
        fields=[("Header", header)],
    )


def access_denied(message: str = "Access Denied", fields: Sequence[Tuple[str, str]] = ()) -> StoreError:
    return StoreError("AccessDenied", message, status=403, fields=fields)


def signature_mismatch(fields: Sequence[Tuple[str, str]] = ()) -> StoreError:
    message = (
        "The request signature we calculated does not match the signature you provided. Check your key and"
        " signing method."
    )
    return StoreError("SignatureDoesNotMatch", message, status=403, fields=fields)


def invalid_access_key(fields: Sequence[Tuple[str, str]], service: str = "AWS") -> StoreError:
    message = f"The {service} Access Key Id you provided does not exist in our records."
    return StoreError("InvalidAccessKeyId", message, status=403, fields=fields)
