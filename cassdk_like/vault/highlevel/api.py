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
    """The vault service's operations, each returning a ``CASResponse`` or raising a typed error.

    ``CasAPI(client)`` wraps one ``CASClient``; it is thread-safe like the client. Every method
    raises the ``CASServerError`` subclass named by the service's code (``ResourceNotFoundException``,
    ``ThrottlingException``, ... from ``cassdk_like.vault``) for an error answer,
    ``TransportError`` when no answer came, and ``InvalidArgumentError`` for bad input before
    anything is sent. The ``list_all_*`` methods follow every page.
    """

    def __init__(self, client: CASClient) -> None:
        self._client = client

    @property
    def client(self) -> CASClient:
        """The ``CASClient`` every call goes through."""
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
        """Create vault ``vault_name``; returns the (empty) answer."""
        return self._ok(self._client.create_vault(vault_name))

    def describe_vault(self, vault_name: str) -> CASResponse:
        """The description of ``vault_name``: ``VaultName``, ``CreationDate``, ``SizeInBytes``, ....

        Raises ``ResourceNotFoundException`` when there is no such vault.
        """
        return self._ok(self._client.describe_vault(vault_name))

    def delete_vault(self, vault_name: str) -> CASResponse:
        """Delete vault ``vault_name``; the service refuses a vault with archives or in-progress uploads."""
        return self._ok(self._client.delete_vault(vault_name))

    def list_vaults(self, marker: Optional[str] = None, limit: Limit = None) -> CASResponse:
        """One page of vaults (``VaultList``), starting after ``marker``, at most ``limit`` entries.

        ``Marker`` in the answer is the next page's ``marker`` (empty on the last); :meth:`list_all_vaults`
        follows it for you.
        """
        return self._ok(self._client.list_vaults(marker, limit))

    def get_vault_access_policy(self, vault_name: str) -> CASResponse:
        """The access policy of ``vault_name`` (``ResourceNotFoundException`` when it has none)."""
        return self._ok(self._client.get_vault_access_policy(vault_name))

    def set_vault_access_policy(self, vault_name: str, policy: Policy) -> CASResponse:
        """Set the access policy of ``vault_name``; ``policy`` is JSON text or a mapping."""
        return self._ok(self._client.set_vault_access_policy(vault_name, policy))

    def delete_vault_access_policy(self, vault_name: str) -> CASResponse:
        """Remove the access policy of ``vault_name``."""
        return self._ok(self._client.delete_vault_access_policy(vault_name))

    def set_vault_notifications(
        self, vault_name: str, callback_url: str, events: Sequence[str]
    ) -> CASResponse:
        """Ask the service to call ``callback_url`` on ``events`` of ``vault_name``.

        ``events`` are the service's names (``ArchiveRetrievalCompleted``, ``InventoryRetrievalCompleted``).
        """
        return self._ok(self._client.set_vault_notifications(vault_name, callback_url, events))

    def get_vault_notifications(self, vault_name: str) -> CASResponse:
        """The notification settings of ``vault_name``."""
        return self._ok(self._client.get_vault_notifications(vault_name))

    def delete_vault_notifications(self, vault_name: str) -> CASResponse:
        """Stop the notifications of ``vault_name``."""
        return self._ok(self._client.delete_vault_notifications(vault_name))

    def initiate_vault_lock(self, vault_name: str, policy: Policy) -> CASResponse:
        """Start locking ``vault_name`` with ``policy`` (JSON text or a mapping); the lock id is a header."""
        return self._ok(self._client.initiate_vault_lock(vault_name, policy))

    def complete_vault_lock(self, vault_name: str, lock_id: str) -> CASResponse:
        """Make the lock ``lock_id`` (from :meth:`initiate_vault_lock`) of ``vault_name`` permanent."""
        return self._ok(self._client.complete_vault_lock(vault_name, lock_id))

    def abort_vault_lock(self, vault_name: str) -> CASResponse:
        """Abandon the in-progress lock of ``vault_name``."""
        return self._ok(self._client.abort_vault_lock(vault_name))

    def get_vault_lock(self, vault_name: str) -> CASResponse:
        """The lock of ``vault_name``: ``Policy``, ``State``, ``ExpirationDate``, ``CreationDate``."""
        return self._ok(self._client.get_vault_lock(vault_name))

    def add_tags_to_vault(self, vault_name: str, tags: Mapping[str, str]) -> CASResponse:
        """Add (or overwrite) ``tags``, a ``{key: value}`` mapping, on ``vault_name``."""
        return self._ok(self._client.add_tags_to_vault(vault_name, tags))

    def remove_tags_from_vault(self, vault_name: str, tag_keys: Sequence[str]) -> CASResponse:
        """Remove the tags named in ``tag_keys`` from ``vault_name``."""
        return self._ok(self._client.remove_tags_from_vault(vault_name, tag_keys))

    def list_tags_for_vault(self, vault_name: str) -> CASResponse:
        """The tags of ``vault_name`` (``Tags``; the body may be empty when there are none)."""
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
        """Upload ``content`` (bytes or a binary file) as one archive of ``vault_name``.

        ``etag`` (SHA-256) and ``tree_tag`` (tree hash) are computed when not given; ``size`` is the
        byte count of a file object that cannot say it; ``desc`` is the archive description. The new
        archive id is ``resp["x-cas-archive-id"]`` (a header). Bad input raises
        ``InvalidArgumentError`` before anything is sent.
        """
        return self._ok(self._client.upload_archive(vault_name, content, etag, tree_tag, size, desc))

    def post_archive(
        self,
        vault_name: str,
        content: Buffer,
        etag: Optional[str] = None,
        tree_etag: Optional[str] = None,
        desc: Optional[str] = None,
    ) -> CASResponse:
        """Upload the buffer ``content`` as one archive of ``vault_name``.

        ``etag``/``tree_etag`` (SHA-256 and tree hash) are computed when not given; ``desc`` is the
        description.
        """
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
        """Upload ``content_length`` bytes read from ``reader`` as one archive of ``vault_name``.

        Both hashes, ``etag`` and ``tree_etag``, must then be given (the body is streamed once);
        ``desc`` is the description.
        """
        response = self._client.post_archive_from_reader(
            vault_name, reader, content_length, etag, tree_etag, desc
        )
        return self._ok(response)

    def delete_archive(self, vault_name: str, archive_id: str) -> CASResponse:
        """Delete archive ``archive_id`` of ``vault_name``."""
        return self._ok(self._client.delete_archive(vault_name, archive_id))

    def initiate_multipart_upload(
        self, vault_name: str, part_size: int, desc: Optional[str] = None
    ) -> CASResponse:
        """Start a multipart upload into ``vault_name`` with parts of ``part_size`` bytes.

        ``part_size`` is 1 MiB times a power of two (at most 4 GiB); ``desc`` becomes the archive's
        description. The upload id is ``resp["x-cas-multipart-upload-id"]``.
        """
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
        """Upload ``content``, the bytes of ``byte_range``, as a part of ``upload_id`` in ``vault_name``.

        ``etag``/``tree_etag`` are computed when not given. The range must lie on the upload's part
        grid (only the last part may be shorter).
        """
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
        """Upload the buffer ``content`` as the part ``prange`` of upload ``upload_id`` in ``vault_name``.

        ``etag``/``tree_etag`` are computed when not given.
        """
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
        """Send ``content_length`` bytes of ``reader`` as part ``prange`` of ``upload_id`` in ``vault_name``.

        ``etag`` and ``tree_etag`` must be given (the body is streamed once).
        """
        response = self._client.post_multipart_from_reader(
            vault_name, upload_id, reader, content_length, prange, etag, tree_etag
        )
        return self._ok(response)

    def complete_multipart_upload(
        self, vault_name: str, upload_id: str, file_size: int, tree_etag: str
    ) -> CASResponse:
        """Finish upload ``upload_id`` of ``vault_name``: ``file_size`` bytes of tree hash ``tree_etag``.

        The archive id is ``resp["x-cas-archive-id"]``. A wrong size or hash is refused by the
        service (``InvalidParameterValueException``) and the upload stays open.
        """
        return self._ok(self._client.complete_multipart_upload(vault_name, upload_id, file_size, tree_etag))

    def abort_multipart_upload(self, vault_name: str, upload_id: str) -> CASResponse:
        """Abandon upload ``upload_id`` of ``vault_name``; the service discards its parts."""
        return self._ok(self._client.abort_multipart_upload(vault_name, upload_id))

    def list_multipart_uploads(
        self, vault_name: str, marker: Optional[str] = None, limit: Limit = None
    ) -> CASResponse:
        """One page of the in-progress uploads of ``vault_name`` after ``marker``, at most ``limit``."""
        return self._ok(self._client.list_multipart_uploads(vault_name, marker, limit))

    def list_parts(
        self, vault_name: str, upload_id: str, marker: Optional[Union[str, int]] = None, limit: Limit = None
    ) -> CASResponse:
        """One page of the parts of ``upload_id`` in ``vault_name`` after ``marker``, at most ``limit``.

        Also carries the upload's ``PartSizeInBytes`` and ``ArchiveDescription``.
        """
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
        """Start a job in ``vault_name``; the job id is ``resp["x-cas-job-id"]`` (a header).

        ``job_type`` is ``archive-retrieval`` (of ``archive_id``, optionally a MiB-aligned
        ``byte_range``), ``inventory-retrieval`` (``format`` JSON or CSV, ``marker``, ``limit``,
        ``start_date``/``end_date``), ``push-to-cos`` (``bucket_endpoint``, ``object_name``) or
        ``pull-from-cos`` (``condition``, ``archive_desc``). ``desc`` describes the job, ``tier``
        picks the retrieval speed (``Expedited``, ``Standard``, ``Bulk``) and ``callback_url`` is
        called when it finishes.
        """
        response = self._client.initiate_job(
            vault_name, job_type, archive_id, desc, byte_range, tier, marker, limit, start_date,
            end_date, bucket_endpoint, object_name, format=format, callback_url=callback_url,
            condition=condition, archive_desc=archive_desc,
        )  # fmt: skip
        return self._ok(response)

    def describe_job(self, vault_name: str, job_id: str) -> CASResponse:
        """Job ``job_id`` of ``vault_name``: ``StatusCode``, ``Completed``, sizes and tree hashes."""
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
        """The output of job ``job_id`` in ``vault_name``, whole or ``byte_range`` of it.

        With ``stream`` (the default) a non-JSON body stays on the socket: ``read(n)`` it and
        ``close()`` the response. ``orange`` is the original SDK's name for the range
        (``"bytes=a-b"``); give it or ``byte_range``, not both. An unfinished job raises the
        service's error (``ResourceNotFoundException`` or ``InvalidParameterValueException``).
        """
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
        """One page of the jobs of ``vault_name`` after ``marker``, at most ``limit``.

        ``completed`` (true/false) and ``status_code`` (``InProgress``, ``Succeeded``, ``Failed``)
        filter the list.
        """
        return self._ok(self._client.list_jobs(vault_name, completed, marker, limit, status_code))

    # -- every page -----------------------------------------------------------------------------

    def list_all_vaults(self) -> Iterator[Dict[str, Any]]:
        """Every vault (``VaultList`` entries), page after page; ``BadResponseError`` on a looping marker."""
        return _follow(self.list_vaults, "VaultList")

    def list_all_jobs(
        self, vault_name: str, completed: Optional[Union[bool, str]] = None, status_code: Optional[str] = None
    ) -> Iterator[Dict[str, Any]]:
        """Every job of ``vault_name`` (``JobList`` entries), filtered by ``completed``/``status_code``."""
        return _follow(
            lambda marker: self.list_jobs(vault_name, completed, marker, None, status_code), "JobList"
        )

    def list_all_multipart_uploads(self, vault_name: str) -> Iterator[Dict[str, Any]]:
        """Every in-progress multipart upload of ``vault_name`` (``UploadsList`` entries)."""
        return _follow(lambda marker: self.list_multipart_uploads(vault_name, marker), "UploadsList")

    def list_all_parts(self, vault_name: str, upload_id: str) -> Iterator[Dict[str, Any]]:
        """Every part of ``upload_id`` in ``vault_name`` (``Parts``: ``RangeInBytes``, ``SHA256TreeHash``)."""
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
