"""``CasAPI``: the ``CASClient`` operations with the same names and signatures, raising on errors.

Every method returns a :class:`CASResponse` for a 2xx answer and raises the typed
``CASServerError`` subclass (with operation, resource, status, code, message, type, request id) for
anything else. The ``list_all_*`` generators follow ``Marker`` to the end (docs/original-sdk-defects.md #3).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, BinaryIO, Callable, Dict, Iterator, Mapping, Optional, Sequence, Union

from cassdk_like.core.byterange import ByteRangeLike
from cassdk_like.core.exceptions import BadResponseError
from cassdk_like.core.http.response import HttpResponse
from cassdk_like.vault.dialect import VaultDialect
from cassdk_like.vault.highlevel.response import CASResponse
from cassdk_like.vault.lowlevel.client import CASClient

__all__ = ["CasAPI"]

Buffer = Union[bytes, bytearray, memoryview]
Content = Union[bytes, bytearray, memoryview, BinaryIO]
Policy = Union[str, Mapping[str, Any]]
DateLike = Union[str, _dt.datetime, _dt.date]
Limit = Optional[Union[int, str]]


class CasAPI:
    """High-level API over one ``CASClient`` (seed: ``CasAPI(client)``). Thread-safe like the client."""

    def __init__(self, client: CASClient) -> None:
        self._client = client

    @property
    def client(self) -> CASClient:
        return self._client

    @property
    def dialect(self) -> VaultDialect:
        """Field and header names of the client's dialect (``qcs_field``, ``h(...)``)."""
        return self._client.dialect

    def __repr__(self) -> str:
        return f"CasAPI({self._client!r})"

    def _ok(self, response: HttpResponse) -> CASResponse:
        """Raise the typed error for a non-2xx answer, else wrap it."""
        if not response.ok:
            raise self._client.dialect.parse_error(response)
        return CASResponse(response)

    # -- vaults ---------------------------------------------------------------------------------

    def create_vault(self, vault_name: str) -> CASResponse:
        return self._ok(self._client.create_vault(vault_name))

    def describe_vault(self, vault_name: str) -> CASResponse:
        return self._ok(self._client.describe_vault(vault_name))

    def delete_vault(self, vault_name: str) -> CASResponse:
        return self._ok(self._client.delete_vault(vault_name))

    def list_vaults(self, marker: Optional[str] = None, limit: Limit = None) -> CASResponse:
        return self._ok(self._client.list_vaults(marker, limit))

    def get_vault_access_policy(self, vault_name: str) -> CASResponse:
        return self._ok(self._client.get_vault_access_policy(vault_name))

    def set_vault_access_policy(self, vault_name: str, policy: Policy) -> CASResponse:
        return self._ok(self._client.set_vault_access_policy(vault_name, policy))

    def delete_vault_access_policy(self, vault_name: str) -> CASResponse:
        return self._ok(self._client.delete_vault_access_policy(vault_name))

    def set_vault_notifications(
        self, vault_name: str, callback_url: str, events: Sequence[str]
    ) -> CASResponse:
        return self._ok(self._client.set_vault_notifications(vault_name, callback_url, events))

    def get_vault_notifications(self, vault_name: str) -> CASResponse:
        return self._ok(self._client.get_vault_notifications(vault_name))

    def delete_vault_notifications(self, vault_name: str) -> CASResponse:
        return self._ok(self._client.delete_vault_notifications(vault_name))

    def initiate_vault_lock(self, vault_name: str, policy: Policy) -> CASResponse:
        return self._ok(self._client.initiate_vault_lock(vault_name, policy))

    def complete_vault_lock(self, vault_name: str, lock_id: str) -> CASResponse:
        return self._ok(self._client.complete_vault_lock(vault_name, lock_id))

    def abort_vault_lock(self, vault_name: str) -> CASResponse:
        return self._ok(self._client.abort_vault_lock(vault_name))

    def get_vault_lock(self, vault_name: str) -> CASResponse:
        return self._ok(self._client.get_vault_lock(vault_name))

    def add_tags_to_vault(self, vault_name: str, tags: Mapping[str, str]) -> CASResponse:
        return self._ok(self._client.add_tags_to_vault(vault_name, tags))

    def remove_tags_from_vault(self, vault_name: str, tag_keys: Sequence[str]) -> CASResponse:
        return self._ok(self._client.remove_tags_from_vault(vault_name, tag_keys))

    def list_tags_for_vault(self, vault_name: str) -> CASResponse:
        return self._ok(self._client.list_tags_for_vault(vault_name))

    # -- archives and multipart uploads ---------------------------------------------------------

    def upload_archive(
        self,
        vault_name: str,
        content: Content,
        etag: Optional[str] = None,
        tree_tag: Optional[str] = None,
        size: Optional[int] = None,
        desc: Optional[str] = None,
    ) -> CASResponse:
        return self._ok(self._client.upload_archive(vault_name, content, etag, tree_tag, size, desc))

    def post_archive(
        self,
        vault_name: str,
        content: Buffer,
        etag: Optional[str] = None,
        tree_etag: Optional[str] = None,
        desc: Optional[str] = None,
    ) -> CASResponse:
        return self._ok(self._client.post_archive(vault_name, content, etag, tree_etag, desc))

    def post_archive_from_reader(
        self,
        vault_name: str,
        reader: BinaryIO,
        content_length: int,
        etag: Optional[str] = None,
        tree_etag: Optional[str] = None,
        desc: Optional[str] = None,
    ) -> CASResponse:
        response = self._client.post_archive_from_reader(
            vault_name, reader, content_length, etag, tree_etag, desc
        )
        return self._ok(response)

    def delete_archive(self, vault_name: str, archive_id: str) -> CASResponse:
        return self._ok(self._client.delete_archive(vault_name, archive_id))

    def initiate_multipart_upload(
        self, vault_name: str, part_size: int, desc: Optional[str] = None
    ) -> CASResponse:
        return self._ok(self._client.initiate_multipart_upload(vault_name, part_size, desc))

    def upload_part(
        self,
        vault_name: str,
        upload_id: str,
        content: Content,
        byte_range: ByteRangeLike,
        etag: Optional[str] = None,
        tree_etag: Optional[str] = None,
    ) -> CASResponse:
        return self._ok(self._client.upload_part(vault_name, upload_id, content, byte_range, etag, tree_etag))

    def post_multipart(
        self,
        vault_name: str,
        upload_id: str,
        content: Buffer,
        prange: ByteRangeLike,
        etag: Optional[str] = None,
        tree_etag: Optional[str] = None,
    ) -> CASResponse:
        return self._ok(self._client.post_multipart(vault_name, upload_id, content, prange, etag, tree_etag))

    def post_multipart_from_reader(
        self,
        vault_name: str,
        upload_id: str,
        reader: BinaryIO,
        content_length: int,
        prange: ByteRangeLike,
        etag: Optional[str] = None,
        tree_etag: Optional[str] = None,
    ) -> CASResponse:
        response = self._client.post_multipart_from_reader(
            vault_name, upload_id, reader, content_length, prange, etag, tree_etag
        )
        return self._ok(response)

    def complete_multipart_upload(
        self, vault_name: str, upload_id: str, file_size: int, tree_etag: str
    ) -> CASResponse:
        return self._ok(self._client.complete_multipart_upload(vault_name, upload_id, file_size, tree_etag))

    def abort_multipart_upload(self, vault_name: str, upload_id: str) -> CASResponse:
        return self._ok(self._client.abort_multipart_upload(vault_name, upload_id))

    def list_multipart_uploads(
        self, vault_name: str, marker: Optional[str] = None, limit: Limit = None
    ) -> CASResponse:
        return self._ok(self._client.list_multipart_uploads(vault_name, marker, limit))

    def list_parts(
        self, vault_name: str, upload_id: str, marker: Optional[Union[str, int]] = None, limit: Limit = None
    ) -> CASResponse:
        return self._ok(self._client.list_parts(vault_name, upload_id, marker, limit))

    #: the original SDK's name for ``list_parts``
    describe_multipart = list_parts

    # -- jobs -----------------------------------------------------------------------------------

    def initiate_job(
        self,
        vault_name: str,
        job_type: str,
        archive_id: Optional[str] = None,
        desc: Optional[str] = None,
        byte_range: Optional[ByteRangeLike] = None,
        tier: Optional[str] = None,
        marker: Optional[str] = None,
        limit: Limit = None,
        start_date: Optional[DateLike] = None,
        end_date: Optional[DateLike] = None,
        bucket_endpoint: Optional[str] = None,
        object_name: Optional[str] = None,
        *,
        format: Optional[str] = None,
        callback_url: Optional[str] = None,
        condition: Optional[Mapping[str, str]] = None,
        archive_desc: Optional[str] = None,
    ) -> CASResponse:
        """See ``CASClient.initiate_job``; the job id is ``resp["x-cas-job-id"]`` (a header)."""
        response = self._client.initiate_job(
            vault_name, job_type, archive_id, desc, byte_range, tier, marker, limit, start_date,
            end_date, bucket_endpoint, object_name, format=format, callback_url=callback_url,
            condition=condition, archive_desc=archive_desc,
        )  # fmt: skip
        return self._ok(response)

    def describe_job(self, vault_name: str, job_id: str) -> CASResponse:
        return self._ok(self._client.describe_job(vault_name, job_id))

    def get_job_output(
        self,
        vault_name: str,
        job_id: str,
        byte_range: Optional[ByteRangeLike] = None,
        *,
        stream: bool = True,
        orange: Optional[str] = None,
    ) -> CASResponse:
        """Job output; a non-JSON body stays on the socket: ``read(n)`` it and ``close()`` the response."""
        response = self._client.get_job_output(vault_name, job_id, byte_range, stream=stream, orange=orange)
        return self._ok(response)

    def list_jobs(
        self,
        vault_name: str,
        completed: Optional[Union[bool, str]] = None,
        marker: Optional[str] = None,
        limit: Limit = None,
        status_code: Optional[str] = None,
    ) -> CASResponse:
        return self._ok(self._client.list_jobs(vault_name, completed, marker, limit, status_code))

    # -- every page -----------------------------------------------------------------------------

    def list_all_vaults(self) -> Iterator[Dict[str, Any]]:
        """Every vault (``VaultList`` entries), page after page."""
        return _follow(self.list_vaults, "VaultList")

    def list_all_jobs(
        self, vault_name: str, completed: Optional[Union[bool, str]] = None, status_code: Optional[str] = None
    ) -> Iterator[Dict[str, Any]]:
        """Every job of a vault (``JobList`` entries), optionally filtered."""
        return _follow(
            lambda marker: self.list_jobs(vault_name, completed, marker, None, status_code), "JobList"
        )

    def list_all_multipart_uploads(self, vault_name: str) -> Iterator[Dict[str, Any]]:
        """Every in-progress multipart upload of a vault (``UploadsList`` entries)."""
        return _follow(lambda marker: self.list_multipart_uploads(vault_name, marker), "UploadsList")

    def list_all_parts(self, vault_name: str, upload_id: str) -> Iterator[Dict[str, Any]]:
        """Every uploaded part of an upload (``Parts`` entries: ``RangeInBytes``, ``SHA256TreeHash``)."""
        return _follow(lambda marker: self.list_parts(vault_name, upload_id, marker), "Parts")


def _follow(fetch: Callable[[Optional[str]], CASResponse], key: str) -> Iterator[Dict[str, Any]]:
    """Yield ``key`` entries from each page until ``Marker`` is empty; a repeated marker is an error."""
    marker: Optional[str] = None
    while True:
        page = fetch(marker)
        yield from page.get(key) or []
        following = page.get("Marker")
        if not following:
            return
        if following == marker:
            raise BadResponseError(
                f"the service returned the same Marker {following!r} twice; stopping to avoid a loop",
                operation=page.response.operation or None,
                resource=page.response.resource or None,
            )
        marker = str(following)
