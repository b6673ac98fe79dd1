"""Archive and multipart-upload operations (docs/vault-protocol.md §1.2 and §1.3).

Uploads compute their checksum headers themselves when the caller gives none, hashing a file object
in one pass and then streaming the same window as the body (never reading it whole into memory).
"""

from __future__ import annotations

from typing import BinaryIO, Dict, Optional, Union

from cassdk_like.core.byterange import ByteRange, ByteRangeLike
from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.core.http.response import HttpResponse
from cassdk_like.core.integrity import validate_part_size
from cassdk_like.vault.lowlevel._base import ClientCore, Content
from cassdk_like.vault.lowlevel._vaults import paging_query
from cassdk_like.vault.lowlevel.validation import check_checksum, check_description, positive_int

__all__ = ["ArchiveOps"]


class ArchiveOps(ClientCore):
    """Archive and multipart operations of ``CASClient``."""

    def upload_archive(
        self,
        vault_name: str,
        content: Content,
        etag: Optional[str] = None,
        tree_tag: Optional[str] = None,
        size: Optional[int] = None,
        desc: Optional[str] = None,
    ) -> HttpResponse:
        """Upload Archive from bytes, or from a seekable file object (``size`` bytes from its position).

        ``etag`` (linear SHA-256) and ``tree_tag`` (tree hash) are computed when not given.
        """
        target = self._target("upload_archive", vault_name)
        description = check_description(desc, target.operation, target.resource)
        body, headers = self._payload(target, content, size, etag, tree_tag)
        if description is not None:
            headers[self._dialect.h("archive-description")] = description
        headers["Content-Type"] = "application/octet-stream"
        return self._send(target, "POST", "/archives", headers=headers, body=body)

    def post_archive(
        self,
        vault_name: str,
        content: Union[bytes, bytearray, memoryview],
        etag: Optional[str] = None,
        tree_etag: Optional[str] = None,
        desc: Optional[str] = None,
    ) -> HttpResponse:
        """Original SDK name for an in-memory upload; see ``upload_archive``."""
        return self.upload_archive(vault_name, content, etag, tree_etag, None, desc)

    def post_archive_from_reader(
        self,
        vault_name: str,
        reader: BinaryIO,
        content_length: int,
        etag: Optional[str] = None,
        tree_etag: Optional[str] = None,
        desc: Optional[str] = None,
    ) -> HttpResponse:
        """Original SDK name for a streamed upload; see ``upload_archive``."""
        return self.upload_archive(vault_name, reader, etag, tree_etag, content_length, desc)

    def delete_archive(self, vault_name: str, archive_id: str) -> HttpResponse:
        """Delete Archive (204)."""
        return self._send(self._target("delete_archive", vault_name, "archive", archive_id), "DELETE")

    def initiate_multipart_upload(
        self, vault_name: str, part_size: int, desc: Optional[str] = None
    ) -> HttpResponse:
        """Initiate Multipart Upload; ``part_size`` must be 1 MiB x 2^n (docs/original-sdk-defects.md #13)."""
        target = self._target("initiate_multipart_upload", vault_name)
        validate_part_size(part_size, operation=target.operation, resource=target.resource)
        headers: Dict[str, str] = {self._dialect.h("part-size"): str(part_size)}
        description = check_description(desc, target.operation, target.resource)
        if description is not None:
            headers[self._dialect.h("archive-description")] = description
        return self._send(target, "POST", "/multipart-uploads", headers=headers)

    def upload_part(
        self,
        vault_name: str,
        upload_id: str,
        content: Content,
        byte_range: ByteRangeLike,
        etag: Optional[str] = None,
        tree_etag: Optional[str] = None,
    ) -> HttpResponse:
        """Upload Part: ``byte_range`` (ByteRange, "a-b" or (a, b)) becomes ``Content-Range: bytes a-b/*``.

        ``content`` holds exactly ``byte_range.length`` bytes: a buffer, or a seekable file object
        read from its current position.
        """
        target = self._target("upload_part", vault_name, "upload", upload_id)
        part = ByteRange.parse(byte_range, operation=target.operation, resource=target.resource)
        body, headers = self._payload(target, content, part.length, etag, tree_etag)
        headers["Content-Range"] = f"bytes {part.start}-{part.end}/*"
        headers["Content-Type"] = "application/octet-stream"
        return self._send(target, "PUT", headers=headers, body=body)

    def post_multipart(
        self,
        vault_name: str,
        upload_id: str,
        content: Union[bytes, bytearray, memoryview],
        prange: ByteRangeLike,
        etag: Optional[str] = None,
        tree_etag: Optional[str] = None,
    ) -> HttpResponse:
        """Original SDK name for ``upload_part`` from memory."""
        return self.upload_part(vault_name, upload_id, content, prange, etag, tree_etag)

    def post_multipart_from_reader(
        self,
        vault_name: str,
        upload_id: str,
        reader: BinaryIO,
        content_length: int,
        prange: ByteRangeLike,
        etag: Optional[str] = None,
        tree_etag: Optional[str] = None,
    ) -> HttpResponse:
        """Original SDK name for ``upload_part`` from a reader; ``content_length`` must match the range."""
        target = self._target("upload_part", vault_name, "upload", upload_id)
        part = ByteRange.parse(prange, operation=target.operation, resource=target.resource)
        if content_length != part.length:
            raise InvalidArgumentError(
                f"content_length {content_length!r} does not match range {part} ({part.length} bytes)",
                operation=target.operation,
                resource=target.resource,
            )
        return self.upload_part(vault_name, upload_id, reader, part, etag, tree_etag)

    def complete_multipart_upload(
        self, vault_name: str, upload_id: str, file_size: int, tree_etag: str
    ) -> HttpResponse:
        """Complete Multipart Upload with the archive size and the tree hash of the whole archive."""
        target = self._target("complete_multipart_upload", vault_name, "upload", upload_id)
        op, res = target.operation, target.resource
        headers = {
            self._dialect.h("archive-size"): str(positive_int(file_size, "file_size", op, res)),
            self._dialect.h("sha256-tree-hash"): check_checksum(tree_etag, "tree hash", op, res),
        }
        return self._send(target, "POST", headers=headers)

    def abort_multipart_upload(self, vault_name: str, upload_id: str) -> HttpResponse:
        """Abort Multipart Upload."""
        return self._send(self._target("abort_multipart_upload", vault_name, "upload", upload_id), "DELETE")

    def list_multipart_uploads(
        self, vault_name: str, marker: Optional[str] = None, limit: Optional[Union[int, str]] = None
    ) -> HttpResponse:
        """List Multipart Uploads: one page (``UploadsList``, ``Marker``)."""
        target = self._target("list_multipart_uploads", vault_name)
        return self._send(target, "GET", "/multipart-uploads", query=paging_query(target, marker, limit))

    def list_parts(
        self,
        vault_name: str,
        upload_id: str,
        marker: Optional[Union[str, int]] = None,
        limit: Optional[Union[int, str]] = None,
    ) -> HttpResponse:
        """List Parts: one page (``Parts``, ``Marker``; the marker is a byte offset)."""
        target = self._target("list_parts", vault_name, "upload", upload_id)
        return self._send(target, "GET", query=paging_query(target, marker, limit))
