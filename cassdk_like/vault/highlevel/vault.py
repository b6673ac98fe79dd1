"""``Vault``: a vault and everything done through it (seed: ``Vault(cas_api, vault_props)``).

Fixes of the original SDK's defects: ``get_vault_by_name`` makes one Describe Vault call
instead of listing every vault (docs/original-sdk-defects.md #12); ``byte_range`` is one type
everywhere (a ``ByteRange``, ``"a-b"`` or ``(a, b)``; docs/original-sdk-defects.md #10); lists
follow every page; descriptions are checked before anything is sent
(docs/original-sdk-defects.md #16); the notification, lock and tag calls the original SDK
lacked are here (docs/original-sdk-defects.md #14).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from typing import IO, Any, ClassVar, Dict, List, Mapping, Optional, Sequence, Union, cast

import attrs

from cassdk_like.core.byterange import ByteRange, ByteRangeLike
from cassdk_like.core.exceptions import BadResponseError, InvalidArgumentError, InvalidByteRangeError
from cassdk_like.core.integrity import MiB
from cassdk_like.core.labels import labelled
from cassdk_like.engine import CancelToken, Pacer, ProgressCallback, TransferConfig
from cassdk_like.vault.highlevel.api import CasAPI
from cassdk_like.vault.highlevel.archive import Archive
from cassdk_like.vault.highlevel.job import Job
from cassdk_like.vault.highlevel.multipart import (
    MultipartUpload,
    describe_upload,
    initiate_for,
    local_file_size,
)
from cassdk_like.vault.highlevel.response import CASResponse
from cassdk_like.vault.highlevel.uploading import check_readable, upload_archive

__all__ = ["Vault"]

DateLike = Union[str, _dt.datetime, _dt.date]
Policy = Union[str, Mapping[str, Any]]


def _int0(value: Any) -> int:
    """``NumberOfArchives`` / ``SizeInBytes`` are null until the first daily inventory: 0, as the seed."""
    try:
        return int(value) if value is not None and not isinstance(value, bool) else 0
    except (TypeError, ValueError):
        return 0


def _vault_fields(cas_api: CasAPI, props: Mapping[str, Any]) -> Dict[str, Any]:
    name = props.get("VaultName")
    if not isinstance(name, str) or not name:
        raise BadResponseError("the vault description has no VaultName", operation="Vault")
    qcs = props.get(cas_api.dialect.qcs_field) or props.get("VaultQCS") or props.get("VaultARN")
    return {
        "name": name,
        "creation_date": props.get("CreationDate"),
        "last_inventory_date": props.get("LastInventoryDate"),
        "number_of_archives": _int0(props.get("NumberOfArchives")),
        "size": _int0(props.get("SizeInBytes")),
        "qcs": qcs,
    }


def _check_retrieval_range(
    byte_range: ByteRangeLike, archive_size: Optional[int], operation: str, resource: str
) -> ByteRange:
    """Refuse what can never be a retrieval range; the service judges what needs the archive size."""
    rng = ByteRange.parse(byte_range, operation=operation, resource=resource)
    if archive_size is not None:
        rng.check_mib_aligned(archive_size, operation=operation, resource=resource)
    elif rng.start % MiB or (rng.end + 1) % MiB:
        raise InvalidByteRangeError(
            f"invalid byte range {str(rng)!r}: start and end + 1 must be multiples of 1 MiB ({MiB}); "
            "a range ending at the archive's last byte needs archive_size=<bytes> to be checked",
            operation=operation,
            resource=resource,
        )
    return rng


@attrs.define(init=False, unsafe_hash=True)
class _VaultRecord:
    """The members of a ``Vault``; equal (and hashed) by name, the API handle neither compared nor shown."""

    cas_api: CasAPI = attrs.field(eq=False, repr=False)
    name: str
    creation_date: Optional[str] = attrs.field(eq=False)
    last_inventory_date: Optional[str] = attrs.field(eq=False)
    number_of_archives: int = attrs.field(eq=False)
    size: int = attrs.field(eq=False)
    qcs: Optional[str] = attrs.field(eq=False, repr=False)


class Vault(_VaultRecord):
    """A vault, and everything done through it: uploads, retrieval jobs, policy, lock, tags.

    ``Vault(cas_api, vault_props)`` is built from a Describe Vault answer (``vault_props``) and the
    ``CasAPI`` it came from (``cas_api``); usually you get one from :meth:`create`,
    :meth:`get_vault_by_name` or :meth:`list_all_vaults`. Members: ``name``, ``creation_date``,
    ``last_inventory_date``, ``number_of_archives`` and ``size`` (bytes; both 0 until the
    service's daily inventory counts them), ``qcs`` (the vault's resource name) and ``cas_api``.
    Equal (and hashed) by name. Thread-safe; :meth:`reload` refreshes the members.

    Every call raises the service's typed error (a ``CASServerError`` subclass) for an error
    answer, ``TransportError`` when no answer came, and ``InvalidArgumentError`` for bad input
    before anything is sent.
    """

    __slots__ = ()

    #: files larger than this many bytes are uploaded in parts (the seed's threshold)
    NormalUploadThreshold: ClassVar[int] = 100 * MiB

    def __init__(self, cas_api: CasAPI, vault_props: Mapping[str, Any]) -> None:
        self.__attrs_init__(cas_api, **_vault_fields(cas_api, vault_props))

    # -- class methods (seed) ---------------------------------------------------------------------

    @classmethod
    def create(cls, cas_api: CasAPI, name: str) -> Vault:
        """Create vault ``name`` through ``cas_api``, then describe it; returns the new ``Vault``."""
        cas_api.create_vault(name)
        return cls(cas_api, cas_api.describe_vault(name))

    @classmethod
    def get_vault_by_name(cls, cas_api: CasAPI, vault_name: str) -> Vault:
        """Vault ``vault_name`` seen through ``cas_api``, in one Describe Vault call.

        Raises ``ResourceNotFoundException`` when there is no such vault.
        """
        return cls(cas_api, cas_api.describe_vault(vault_name))

    @classmethod
    def delete_vault_by_name(cls, cas_api: CasAPI, vault_name: str) -> CASResponse:
        """Delete vault ``vault_name`` through ``cas_api`` without describing it first."""
        return cas_api.delete_vault(vault_name)

    @classmethod
    def list_all_vaults(cls, cas_api: CasAPI) -> List[Vault]:
        """Every vault of the account ``cas_api`` signs for (all pages)."""
        return [cls(cas_api, props) for props in cas_api.list_all_vaults()]

    def reload(self) -> Vault:
        """Describe the vault again and update the members; returns ``self``."""
        for key, value in _vault_fields(self.cas_api, self.cas_api.describe_vault(self.name)).items():
            setattr(self, key, value)
        return self

    def delete(self) -> CASResponse:
        """Delete this vault; the service refuses while it holds archives or in-progress uploads."""
        return self.cas_api.delete_vault(self.name)

    def _resource(self) -> str:
        return f"vault {self.name!r}"

    # -- archives -------------------------------------------------------------------------------

    def get_archive(self, archive_id: str) -> Archive:
        """The ``Archive`` ``archive_id`` here; nothing is sent (an unknown id fails on first use)."""
        return Archive(self, archive_id)

    def upload_archive(
        self,
        file_path: Optional[Union[str, os.PathLike[str], IO[bytes]]] = None,
        desc: Optional[str] = None,
        *,
        file_path_or_fileobj: Optional[Union[str, os.PathLike[str], IO[bytes]]] = None,
        size: Optional[int] = None,
        upload_id: Optional[str] = None,
        part_size: Optional[int] = None,
        threshold: Optional[int] = None,
        config: Optional[TransferConfig] = None,
        progress: Optional[ProgressCallback] = None,
        cancel_token: Optional[CancelToken] = None,
        limiter: Optional[Pacer] = None,
        keep_for_resume: bool = False,
    ) -> str:
        """Upload a file (path or binary file object) and return the new archive id.

        Up to ``threshold`` bytes (default ``NormalUploadThreshold``, 100 MiB) it is one request;
        above, a multipart upload through the parallel engine with ``part_size`` (default: the
        engine's choice, 16 MiB x 2^n). ``upload_id`` resumes an earlier multipart upload of the
        same file. ``desc`` is the archive description; ``size`` the byte count of a file object
        that cannot say it. ``config`` (a ``TransferConfig``) tunes workers and sizes,
        ``progress`` receives ``ProgressEvent`` callbacks, ``cancel_token`` stops the transfer;
        ``limiter`` (a ``BandwidthLimiter`` or any ``Pacer``) paces the bytes as they go out.
        ``file_path`` is the seed's keyword; ``file_path_or_fileobj`` is kept for existing callers.

        Raises ``InvalidArgumentError`` (zero-byte file, bad description) and ``LocalFileError``
        before anything is sent; ``MultipartUploadError`` when a multipart upload fails, naming the
        upload id it keeps for a resume; ``TransferCancelledError`` when cancelled, which aborts a
        multipart upload unless ``keep_for_resume=True``.
        """
        if (file_path is None) == (file_path_or_fileobj is None):
            which = "no file to upload" if file_path is None else "two files to upload"
            raise InvalidArgumentError(
                f"{which}: give one of file_path (a path or binary file) and file_path_or_fileobj",
                operation="upload_archive",
                resource=self._resource(),
            )
        source = file_path if file_path is not None else file_path_or_fileobj
        limit = self.NormalUploadThreshold if threshold is None else threshold
        return upload_archive(
            self,
            cast(Union[str, "os.PathLike[str]", IO[bytes]], source),
            desc,
            size=size,
            upload_id=upload_id,
            part_size=part_size,
            threshold=limit,
            config=config,
            progress=progress,
            cancel_token=cancel_token,
            limiter=limiter,
            keep_for_resume=keep_for_resume,
        )

    def delete_archive(self, archive_id: str) -> CASResponse:
        """Delete archive ``archive_id`` of this vault."""
        return self.cas_api.delete_archive(self.name, archive_id)

    # -- multipart uploads ----------------------------------------------------------------------

    def initiate_multipart_upload(
        self,
        file_path: Union[str, os.PathLike[str]],
        desc: Optional[str] = None,
        part_size: Optional[int] = None,
    ) -> MultipartUpload:
        """Initiate a multipart upload of ``file_path``; ``start()`` the returned ``MultipartUpload``.

        ``part_size`` defaults to the engine's choice for the file's size; ``desc`` is the archive
        description. Raises ``LocalFileError`` for an unreadable file and ``InvalidArgumentError``
        for an empty one, before anything is sent.
        """
        path = os.fspath(file_path)
        with labelled("initiate_multipart_upload", self._resource(), path):
            size = local_file_size(path, "initiate_multipart_upload", self._resource(), refuse_empty=True)
            check_readable(path, "initiate_multipart_upload", self._resource())
            return initiate_for(self, size, desc, part_size, path)

    def get_multipart_uploader(self, upload_id: str) -> MultipartUpload:
        """The in-progress upload ``upload_id`` with every part listed (all pages)."""
        return describe_upload(self, upload_id)

    def list_all_multipart_uploads(self) -> List[MultipartUpload]:
        """Every in-progress upload of this vault (all pages); their ``parts`` are not listed."""
        return [MultipartUpload(self, entry) for entry in self.cas_api.list_all_multipart_uploads(self.name)]

    # -- jobs -----------------------------------------------------------------------------------

    def _job(self, response: CASResponse) -> Job:
        job_id = response.headers.get(self.cas_api.dialect.h("job-id"))
        if not job_id:
            raise BadResponseError(
                "Initiate Job succeeded but returned no job id",
                operation="initiate_job",
                resource=self._resource(),
            )
        return self.get_job(job_id)

    def retrieve_archive(
        self,
        archive_id: str,
        desc: Optional[str] = None,
        byte_range: Optional[ByteRangeLike] = None,
        tier: Optional[str] = None,
        *,
        archive_size: Optional[int] = None,
        callback_url: Optional[str] = None,
    ) -> Job:
        """Start retrieving ``archive_id`` (whole, or a MiB-aligned ``byte_range``); returns the ``Job``.

        Without ``archive_size`` both ends must be MiB-aligned; with it, the end may also be the
        archive's last byte (docs/vault-protocol.md §3.4); a bad range raises
        ``InvalidByteRangeError`` before anything is sent. ``desc`` describes the job, ``tier``
        picks the speed (``Expedited``, ``Standard``, ``Bulk``), ``callback_url`` is called when
        it finishes. The job takes hours on the real service: ``Job.wait()`` for it.
        """
        rng = None
        if byte_range is not None:
            rng = _check_retrieval_range(byte_range, archive_size, "retrieve_archive", self._resource())
        response = self.cas_api.initiate_job(
            self.name, "archive-retrieval", archive_id, desc, rng, tier, callback_url=callback_url
        )
        return self._job(response)

    def initiate_retrieve_inventory(
        self,
        desc: Optional[str] = None,
        format: Optional[str] = None,
        start_date: Optional[DateLike] = None,
        end_date: Optional[DateLike] = None,
        limit: Optional[Union[int, str]] = None,
        marker: Optional[str] = None,
        *,
        callback_url: Optional[str] = None,
    ) -> Job:
        """Start an inventory-retrieval job; ``format`` is "JSON" (default) or "CSV".

        ``start_date``/``end_date`` bound the archives' creation dates, ``limit`` caps the entries
        and ``marker`` continues an earlier inventory (the service then ignores the dates).
        ``desc`` describes the job; ``callback_url`` is called when it finishes.
        """
        response = self.cas_api.initiate_job(
            self.name, "inventory-retrieval", None, desc, None, None, marker, limit, start_date, end_date,
            format=format, callback_url=callback_url,
        )  # fmt: skip
        return self._job(response)

    def push_archive_to_cos(
        self,
        archive_id: str,
        bucket_endpoint: str,
        object_name: str,
        desc: Optional[str] = None,
        byte_range: Optional[ByteRangeLike] = None,
        tier: Optional[str] = None,
    ) -> Job:
        """Start a push-to-cos job copying ``archive_id`` to ``object_name`` in bucket ``bucket_endpoint``.

        CAS only. ``byte_range`` (MiB-aligned) copies part of the archive; ``desc`` describes the
        job; ``tier`` picks the speed.
        """
        rng = None
        if byte_range is not None:
            rng = _check_retrieval_range(byte_range, None, "push_archive_to_cos", self._resource())
        response = self.cas_api.initiate_job(
            self.name, "push-to-cos", archive_id, desc, rng, tier,
            bucket_endpoint=bucket_endpoint, object_name=object_name,
        )  # fmt: skip
        return self._job(response)

    def get_job(self, job_id: str) -> Job:
        """Job ``job_id`` of this vault, described now (``ResourceNotFoundException`` if unknown)."""
        return Job(self, self.cas_api.describe_job(self.name, job_id))

    def list_jobs(self, completed: Optional[bool] = None, status_code: Optional[str] = None) -> List[Job]:
        """Every job of this vault (all pages), filtered by ``completed`` and ``status_code`` if given."""
        return [Job(self, props) for props in self.cas_api.list_all_jobs(self.name, completed, status_code)]

    # -- access policy, notifications, lock, tags -------------------------------------------------

    def set_access_policy(self, policy: Policy) -> CASResponse:
        """Set the vault's access ``policy`` (JSON text or a mapping)."""
        return self.cas_api.set_vault_access_policy(self.name, policy)

    def get_access_policy(self) -> str:
        """The policy document as JSON text (a ``policy``/``Policy`` field, or the body itself)."""
        response = self.cas_api.get_vault_access_policy(self.name)
        for key in (self.cas_api.dialect.policy_field, "policy", "Policy"):
            value = response.get(key)
            if isinstance(value, str):
                return value
            if isinstance(value, Mapping):
                return json.dumps(value, separators=(",", ":"))
        return json.dumps(dict(response), separators=(",", ":"))

    def delete_access_policy(self) -> CASResponse:
        """Remove the vault's access policy."""
        return self.cas_api.delete_vault_access_policy(self.name)

    def set_notifications(self, callback_url: str, events: Sequence[str]) -> CASResponse:
        """Have the service call ``callback_url`` on ``events`` (e.g. ``ArchiveRetrievalCompleted``)."""
        return self.cas_api.set_vault_notifications(self.name, callback_url, events)

    def get_notifications(self) -> Dict[str, Any]:
        """``{"CallBackUrl": ..., "Events": [...]}`` (Glacier: ``SNSTopic``)."""
        return dict(self.cas_api.get_vault_notifications(self.name))

    def delete_notifications(self) -> CASResponse:
        """Stop the vault's notifications."""
        return self.cas_api.delete_vault_notifications(self.name)

    def initiate_lock(self, policy: Policy) -> str:
        """Start locking the vault with ``policy``; returns the lock id ``complete_lock`` needs (24 h)."""
        response = self.cas_api.initiate_vault_lock(self.name, policy)
        lock_id = response.headers.get(self.cas_api.dialect.h("lock-id"))
        if not lock_id:
            raise BadResponseError(
                "Initiate Vault Lock returned no lock id",
                operation="initiate_lock",
                resource=self._resource(),
            )
        return lock_id

    def complete_lock(self, lock_id: str) -> CASResponse:
        """Make the lock ``lock_id`` from :meth:`initiate_lock` permanent (it cannot be undone)."""
        return self.cas_api.complete_vault_lock(self.name, lock_id)

    def abort_lock(self) -> CASResponse:
        """Abandon an in-progress (not yet completed) lock."""
        return self.cas_api.abort_vault_lock(self.name)

    def get_lock(self) -> Dict[str, Any]:
        """``Policy``, ``State`` (InProgress | Locked), ``ExpirationDate``, ``CreationDate``."""
        return dict(self.cas_api.get_vault_lock(self.name))

    def add_tags(self, tags: Mapping[str, str]) -> CASResponse:
        """Add (or overwrite) ``tags``, a ``{key: value}`` mapping."""
        return self.cas_api.add_tags_to_vault(self.name, tags)

    def remove_tags(self, keys: Sequence[str]) -> CASResponse:
        """Remove the tags named in ``keys``."""
        return self.cas_api.remove_tags_from_vault(self.name, keys)

    def list_tags(self) -> Dict[str, str]:
        """The vault's tags (``{}`` when it has none; the service may then send an empty body)."""
        tags = self.cas_api.list_tags_for_vault(self.name).get("Tags") or {}
        return {str(k): str(v) for k, v in dict(tags).items()}
