"""Multipart upload operations (docs/bucket-protocol.md §4 and §3.2)."""

from typing import Any, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

from cassdk_like.bucket.lowlevel._base import ClientCore, Content, Target, b64_of_hex
from cassdk_like.bucket.lowlevel._objects import ObjectOps
from cassdk_like.bucket.lowlevel._xml import complete_document
from cassdk_like.bucket.validation import MAX_PARTS, check_part_number, check_upload_id
from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.core.http.response import HttpResponse

__all__ = ["CompletedPart", "MultipartOps"]


class CompletedPart(NamedTuple):
    """One part as Complete Multipart Upload names it: number, ETag, and its SHA-256 or CRC-32 (hex)
    when the upload was created with ``checksum_algorithm="SHA256"`` or ``"CRC32"``."""

    number: int
    etag: str
    sha256: Optional[str] = None
    crc32: Optional[str] = None


PartLike = Union[
    CompletedPart,
    Tuple[int, str],
    Tuple[int, str, Optional[str]],
    Tuple[int, str, Optional[str], Optional[str]],
]


class MultipartOps(ObjectOps, ClientCore):
    """Multipart operations of ``BucketClient``."""

    def _upload_target(self, operation: str, bucket: str, key: str, upload_id: str) -> Any:
        target = self._object_target(operation, bucket, key)
        check_upload_id(upload_id, operation, target.resource)
        return target

    def create_multipart_upload(
        self,
        bucket: str,
        key: str,
        *,
        content_type: Optional[str] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        storage_class: Optional[str] = None,
        checksum_algorithm: Optional[str] = None,
    ) -> HttpResponse:
        """Create Multipart Upload (``POST ?uploads``); the metadata is the object's, set now.

        ``checksum_algorithm="CRC32"`` or ``"SHA256"`` (S3) makes every part carry, and Complete
        list, that checksum.
        """
        target = self._object_target("create_multipart_upload", bucket, key)
        headers = self._object_headers(
            target,
            content_type=content_type or "application/octet-stream",
            metadata=metadata,
            storage_class=storage_class,
        )
        if checksum_algorithm is not None:
            headers[self._dialect.h("checksum-algorithm")] = checksum_algorithm
        return self._send(target, "POST", query=[("uploads", "")], headers=headers)

    def upload_part(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        part_number: int,
        content: Content,
        *,
        size: Optional[int] = None,
        sha256: Optional[str] = None,
        md5: Optional[str] = None,
        crc32: Optional[str] = None,
        checksum: bool = True,
    ) -> HttpResponse:
        """Upload Part ``part_number`` (1..10,000) from bytes or a seekable file object; the answer's
        ETag is the part's token for Complete.  Checksums as for ``put_object``; ``crc32`` (8 hex
        digits, S3) goes as ``x-amz-checksum-crc32`` instead of a SHA-256."""
        target = self._upload_target("upload_part", bucket, key, upload_id)
        number = check_part_number(part_number, target.operation, target.resource)
        body, headers = self._payload(
            target, content, size, sha256=sha256, md5=md5, crc32=crc32, checksum=checksum
        )
        query = [("partNumber", str(number)), ("uploadId", upload_id)]
        return self._send(target, "PUT", query=query, headers=headers, body=body)

    def list_parts(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        *,
        part_number_marker: Optional[int] = None,
        max_parts: Optional[int] = None,
    ) -> HttpResponse:
        """One page of List Parts, after ``part_number_marker`` (the previous page's NextPartNumberMarker)."""
        target = self._upload_target("list_parts", bucket, key, upload_id)
        query: List[Tuple[str, str]] = [("uploadId", upload_id)]
        if max_parts is not None:
            if isinstance(max_parts, bool) or not isinstance(max_parts, int) or not 1 <= max_parts <= 1000:
                raise InvalidArgumentError(
                    f"max_parts must be 1..1000, got {max_parts!r}",
                    operation=target.operation,
                    resource=target.resource,
                )
            query.append(("max-parts", str(max_parts)))
        if part_number_marker is not None:
            if isinstance(part_number_marker, bool) or not isinstance(part_number_marker, int):
                raise InvalidArgumentError(
                    f"part_number_marker must be an int, got {part_number_marker!r}",
                    operation=target.operation,
                    resource=target.resource,
                )
            query.append(("part-number-marker", str(part_number_marker)))
        return self._send(target, "GET", query=query)

    def complete_multipart_upload(
        self, bucket: str, key: str, upload_id: str, parts: Sequence[PartLike]
    ) -> HttpResponse:
        """Complete Multipart Upload from every part's (number, ETag[, SHA-256 hex[, CRC-32 hex]]),
        numbers strictly ascending.  S3 may answer 200 with an ``<Error>`` body: the high level
        checks it."""
        target = self._upload_target("complete_multipart_upload", bucket, key, upload_id)
        checked: List[Tuple[int, str, Optional[Tuple[str, str]]]] = []
        for item in parts:
            part = CompletedPart(*item)
            number = check_part_number(part.number, target.operation, target.resource)
            if checked and number <= checked[-1][0]:
                raise InvalidArgumentError(
                    "part numbers must be strictly ascending",
                    operation=target.operation,
                    resource=target.resource,
                )
            if not isinstance(part.etag, str) or not part.etag.strip('"'):
                raise InvalidArgumentError(
                    f"part {number} has no ETag", operation=target.operation, resource=target.resource
                )
            checked.append((number, part.etag, _part_checksum(part, target)))
        if not 1 <= len(checked) <= MAX_PARTS:
            raise InvalidArgumentError(
                f"Complete takes 1..{MAX_PARTS} parts, got {len(checked)}",
                operation=target.operation,
                resource=target.resource,
            )
        body = complete_document(checked, self._dialect.xml_namespace)
        return self._send(
            target, "POST", query=[("uploadId", upload_id)], headers=self._xml_body(body), body=body
        )

    def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> HttpResponse:
        """Abort Multipart Upload (204): the parts are dropped."""
        target = self._upload_target("abort_multipart_upload", bucket, key, upload_id)
        return self._send(target, "DELETE", query=[("uploadId", upload_id)])


def _part_checksum(part: CompletedPart, target: Target) -> Optional[Tuple[str, str]]:
    """The (element, base64 value) of the part's checksum in the Complete document, if any."""
    if part.sha256 and part.crc32:
        raise InvalidArgumentError(
            f"part {part.number} has both a SHA-256 and a CRC-32; an upload uses one",
            operation=target.operation,
            resource=target.resource,
        )
    if part.sha256:
        return ("ChecksumSHA256", b64_of_hex(part.sha256))
    if part.crc32:
        return ("ChecksumCRC32", b64_of_hex(part.crc32))
    return None
