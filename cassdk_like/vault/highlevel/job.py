"""``Job``: one retrieval, inventory or COS job of a vault (seed: ``Job(vault, cas_response)``).

Downloads go through the transfer engine: ``download_to_file`` is parallel, resumable and checked
against the job's ``SHA256TreeHash``; ``download_by_range`` downloads a window the same way (to a
path) or streams it in order with bounded memory (to a file object). ``chunk_size`` keeps the
seed's meaning -- bytes per read/write -- and becomes the engine's ``io_chunk_size``; the piece
size of parallel requests is the engine's (``TransferConfig.piece_size``).

Seed ``block`` semantics, with docs/original-sdk-defects.md #6 fixed: ``block=True`` waits
(``wait()``), ``block=False`` on an unfinished job raises ``JobNotReadyError`` (a
``DownloadArchiveError``), and a ``Failed`` job raises ``JobFailedError`` in both modes instead
of being polled forever.
"""

from __future__ import annotations

import os
from typing import IO, TYPE_CHECKING, Any, Callable, ClassVar, Dict, Mapping, Optional, Union, cast

import attrs

from cassdk_like.core.byterange import ByteRange, ByteRangeLike
from cassdk_like.core.exceptions import (
    BadResponseError,
    DownloadArchiveError,
    InvalidArgumentError,
    JobFailedError,
    JobNotReadyError,
)
from cassdk_like.core.integrity import MiB, calc_part_size
from cassdk_like.core.labels import labelled
from cassdk_like.engine import (
    CancelToken,
    DownloadResult,
    ProgressCallback,
    StreamResult,
    TransferConfig,
    download_to_path,
    iter_range,
    stream_range,
)
from cassdk_like.engine.destination import check_destination
from cassdk_like.vault.highlevel.adapters import JobOutputSource
from cassdk_like.vault.highlevel.inventory import Inventory, parse_inventory
from cassdk_like.vault.highlevel.waiting import (
    DEFAULT_MAX_POLL_INTERVAL,
    DEFAULT_POLL_INTERVAL,
    PollSchedule,
    poll_until,
)
from cassdk_like.vault.lowlevel.validation import check_chunk_size, check_id, check_vault_name

if TYPE_CHECKING:
    from cassdk_like.vault.highlevel.vault import Vault

__all__ = ["Job"]

PathLike = Union[str, "os.PathLike[str]"]

ARCHIVE_RETRIEVAL = "ArchiveRetrieval"
INVENTORY_RETRIEVAL = "InventoryRetrieval"
_COS_ACTIONS = ("PushToCOS", "PullFromCOS")


def _int_or_none(value: Any) -> Optional[int]:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _job_fields(vault: Vault, props: Mapping[str, Any]) -> Dict[str, Any]:
    """Members from a Describe Job / List Jobs entry (docs/vault-protocol.md §1.4), named as in the seed."""
    job_id = props.get("JobId")
    if not isinstance(job_id, str) or not job_id:
        raise BadResponseError(
            "the job description has no JobId", operation="Job", resource=f"vault {vault.name!r}"
        )
    dialect = vault.cas_api.dialect
    params = props.get("InventoryRetrievalParameters")
    return {
        "id": job_id,
        "action": props.get("Action"),
        "status_code": props.get("StatusCode"),
        "completed": bool(props.get("Completed")),
        "archive_id": props.get("ArchiveId"),
        "archive_size": _int_or_none(props.get("ArchiveSizeInBytes")),
        "archive_etag": props.get("ArchiveSHA256TreeHash"),
        "description": props.get("JobDescription"),
        "job_range": props.get("RetrievalByteRange"),
        "creation_date": props.get("CreationDate"),
        "completion_date": props.get("CompletionDate"),
        "status_message": props.get("StatusMessage"),
        "tier": props.get("Tier"),
        "inventory_size": _int_or_none(props.get("InventorySizeInBytes")),
        "retrieval_etag": props.get("SHA256TreeHash"),
        "callback_url": props.get(dialect.callback_field),
        "vault_qcs": props.get(dialect.qcs_field),
        "inventory_params": dict(params) if isinstance(params, Mapping) else None,
        "bucket": props.get("Bucket"),
        "object_name": props.get("Object"),
        "props": dict(props),
    }


@attrs.define(init=False, unsafe_hash=True)
class _JobRecord:
    """The members of a ``Job``; equal (and hashed) by vault name and job id."""

    vault: Vault = attrs.field(repr=lambda v: repr(v.name))
    id: str
    action: Optional[str] = attrs.field(eq=False)
    status_code: Optional[str] = attrs.field(eq=False)
    completed: bool = attrs.field(eq=False)
    archive_id: Optional[str] = attrs.field(eq=False)
    archive_size: Optional[int] = attrs.field(eq=False, repr=False)
    archive_etag: Optional[str] = attrs.field(eq=False, repr=False)
    description: Optional[str] = attrs.field(eq=False)
    job_range: Optional[str] = attrs.field(eq=False)
    creation_date: Optional[str] = attrs.field(eq=False, repr=False)
    completion_date: Optional[str] = attrs.field(eq=False, repr=False)
    status_message: Optional[str] = attrs.field(eq=False, repr=False)
    tier: Optional[str] = attrs.field(eq=False)
    inventory_size: Optional[int] = attrs.field(eq=False, repr=False)
    retrieval_etag: Optional[str] = attrs.field(eq=False, repr=False)
    callback_url: Optional[str] = attrs.field(eq=False, repr=False)
    vault_qcs: Optional[str] = attrs.field(eq=False, repr=False)
    inventory_params: Optional[Dict[str, Any]] = attrs.field(eq=False, repr=False)
    bucket: Optional[str] = attrs.field(eq=False, repr=False)
    object_name: Optional[str] = attrs.field(eq=False, repr=False)
    props: Dict[str, Any] = attrs.field(eq=False, repr=False)


class Job(_JobRecord):
    """A job of a vault: an archive retrieval, an inventory retrieval or a COS copy.

    ``Job(vault, cas_response)`` is built from a Describe Job or List Jobs entry
    (``cas_response``); usually ``Vault.retrieve_archive``, ``Vault.get_job`` or
    ``Vault.list_jobs`` makes it. Members, named as in the original SDK: ``id``, ``action``,
    ``status_code`` (InProgress | Succeeded | Failed), ``completed``, ``archive_id``,
    ``archive_size``, ``job_range``, ``tier``, ``retrieval_etag`` (the output's tree hash),
    ``inventory_size``, ``props`` (the whole description) and more. Equal (and hashed) by vault
    name and job id. ``reload()`` and ``wait()`` change the members, so call them from one thread;
    downloads are parallel inside and safe to run side by side.
    """

    __slots__ = ()

    #: default piece size of the original SDK's parallel download (see ``calc_part_size``)
    DefaultPartSize: ClassVar[int] = 32 * MiB
    #: how ``block=True`` downloads poll an unfinished job (call ``wait()`` yourself for other values)
    default_poll_schedule: ClassVar[PollSchedule] = PollSchedule()

    def __init__(self, vault: Vault, cas_response: Mapping[str, Any]) -> None:
        self.__attrs_init__(vault, **_job_fields(vault, cas_response))

    @classmethod
    def calc_part_size(cls, size_total: Union[int, str]) -> int:
        """The seed's download piece: 32 MiB, doubled until at most 10,000 pieces cover ``size_total``."""
        try:
            total = int(size_total)
        except (TypeError, ValueError):
            raise InvalidArgumentError(
                f"size_total must be a whole number of bytes, got {size_total!r}", operation="calc_part_size"
            ) from None
        return calc_part_size(total, minimum=cls.DefaultPartSize)

    # -- state ----------------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        """True once the job Succeeded or Failed."""
        return self.completed or self.status_code in ("Succeeded", "Failed")

    @property
    def output_size(self) -> Optional[int]:
        """Bytes of the job's output: the retrieved range, or the inventory's size; None if unknown."""
        if self.action == INVENTORY_RETRIEVAL:
            return self.inventory_size
        if self.job_range:
            return ByteRange.parse(self.job_range, operation="output_size", resource=self._resource()).length
        return self.archive_size

    def reload(self) -> Job:
        """Describe the job again and update every member; returns ``self``."""
        props = self.vault.cas_api.describe_job(self.vault.name, self.id)
        for name, value in _job_fields(self.vault, props).items():
            if name != "id":
                setattr(self, name, value)
        return self

    def update_status(self) -> Job:
        """Seed name of :meth:`reload`."""
        return self.reload()

    def wait(
        self,
        timeout: Optional[float] = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        on_poll: Optional[Callable[[Job], None]] = None,
        *,
        max_interval: float = DEFAULT_MAX_POLL_INTERVAL,
        cancel_token: Optional[CancelToken] = None,
        sleep: Optional[Callable[[float], None]] = None,
        clock: Optional[Callable[[], float]] = None,
    ) -> Job:
        """Block until the job finishes; returns ``self`` when it Succeeded.

        Polls Describe Job at once, then after jittered intervals doubling from ``poll_interval``
        up to ``max_interval`` seconds. ``on_poll(job)`` runs after each Describe. Raises
        ``JobFailedError`` when it Failed, ``JobWaitTimeoutError`` after ``timeout`` seconds (None:
        no limit) and ``TransferCancelledError`` when ``cancel_token`` fires. ``sleep``/``clock``
        replace ``time.sleep``/``time.monotonic`` (tests).
        """
        schedule = PollSchedule.between(poll_interval, max_interval)
        self._wait("wait", None, timeout, schedule, on_poll, cancel_token, sleep, clock)
        return self

    def _wait(
        self,
        operation: str,
        local_path: Optional[str],
        timeout: Optional[float],
        schedule: PollSchedule,
        on_poll: Optional[Callable[[Job], None]],
        cancel_token: Optional[CancelToken],
        sleep: Optional[Callable[[float], None]],
        clock: Optional[Callable[[], float]],
    ) -> None:
        def check() -> bool:
            self.reload()
            if on_poll is not None:
                on_poll(self)
            self._raise_if_failed(operation, local_path)
            return self.finished

        self._raise_if_failed(operation, local_path)
        if self.finished:
            return
        poll_until(
            check,
            what=self._resource(),
            timeout=timeout,
            schedule=schedule,
            cancel_token=cancel_token,
            sleep=sleep,
            clock=clock,
        )

    # -- output ---------------------------------------------------------------------------------

    def download_to_file(
        self,
        file_path: PathLike,
        chunk_size: Optional[int] = None,
        block: bool = True,
        *,
        config: Optional[TransferConfig] = None,
        progress: Optional[ProgressCallback] = None,
        cancel_token: Optional[CancelToken] = None,
        resume: bool = True,
    ) -> DownloadResult:
        """Download the whole output to ``file_path``: parallel, resumable, tree hash checked.

        The file appears only when complete and verified. Until then a partial file and a journal
        sit next to it, and with ``resume`` (the default) a later call after a failure or Ctrl-C
        downloads only the missing pieces; ``resume=False`` starts over. ``block=True`` waits for
        an unfinished job (polling with ``default_poll_schedule``); ``block=False`` raises
        ``JobNotReadyError`` instead. ``chunk_size`` is the bytes per read/write; ``config`` (a
        ``TransferConfig``) sets workers and piece size; ``progress`` receives ``ProgressEvent``
        callbacks (``console_progress()`` draws a bar); ``cancel_token`` stops the download.

        Returns a ``DownloadResult``: ``path``, ``size``, ``tree_hash``, ``verified`` and counts
        (``pieces_resumed`` tells how much a resume saved).
        Raises ``JobFailedError`` for a failed job, ``HashDoesNotMatchError`` when the bytes do
        not match the job's tree hash, ``DownloadArchiveError`` for a COS job or an output of
        unknown size, ``LocalFileError`` when the file cannot be written, and
        ``TransferCancelledError`` when cancelled (the partial file is kept for a resume).
        """
        op, res = "download_to_file", self._resource()
        path = check_destination(file_path, operation=op, resource=res)
        check_chunk_size(chunk_size, op, res, path)
        with labelled(op, res, path):
            self._ensure_output(op, block, path)
            source = self._source("download_to_file", path)
            cfg = self._config(config, chunk_size)
            return download_to_path(
                source, path, config=cfg, progress=progress, cancel_token=cancel_token, resume=resume
            )

    def download_by_range(
        self,
        byte_range: ByteRangeLike,
        file_path: Optional[PathLike] = None,
        file_obj: Optional[IO[bytes]] = None,
        chunk_size: Optional[int] = None,
        block: bool = True,
        *,
        config: Optional[TransferConfig] = None,
        progress: Optional[ProgressCallback] = None,
        cancel_token: Optional[CancelToken] = None,
        resume: bool = True,
    ) -> Union[DownloadResult, StreamResult]:
        """Download ``byte_range`` (offsets in the job's output, inclusive) to a path or a file object.

        Give exactly one of ``file_path`` (parallel, resumable with ``resume``, atomic; returns a
        ``DownloadResult``) and ``file_obj`` (written in order from its current position, memory
        bounded by the engine's stream window; returns a ``StreamResult``). Per-piece tree hashes
        are checked when the service sends them (aligned ranges only); the job's tree hash is
        checked when the range is the whole output. ``block``, ``chunk_size``, ``config``,
        ``progress`` and ``cancel_token`` work as in :meth:`download_to_file`, and so do the
        errors; a range outside the output raises ``InvalidByteRangeError`` first.
        """
        op, res = "download_by_range", self._resource()
        if (file_path is None) == (file_obj is None):
            raise InvalidArgumentError(
                "give exactly one of file_path and file_obj", operation=op, resource=res
            )
        path = None if file_path is None else check_destination(file_path, operation=op, resource=res)
        local = path if path is not None else _name_of(file_obj)
        check_chunk_size(chunk_size, op, res, local)
        with labelled(op, res, local):
            wanted = ByteRange.parse(byte_range, operation=op, resource=res)
            self._ensure_output(op, block, local)
            source = self._source(op, local)
            wanted.check_within(source.size, operation=op, resource=res)
            cfg = self._config(config, chunk_size)
            if path is not None:
                return download_to_path(
                    source.window(wanted),
                    path,
                    config=cfg,
                    progress=progress,
                    cancel_token=cancel_token,
                    resume=resume,
                )
            sink = cast(IO[bytes], file_obj)
            return stream_range(
                source, wanted, sink, config=cfg, progress=progress, cancel_token=cancel_token
            )

    def inventory(
        self,
        block: bool = True,
        *,
        config: Optional[TransferConfig] = None,
        cancel_token: Optional[CancelToken] = None,
    ) -> Inventory:
        """The parsed ``Inventory`` (JSON or CSV) of an inventory-retrieval job.

        ``block`` waits for an unfinished job (else ``JobNotReadyError``); ``config`` and
        ``cancel_token`` as in :meth:`download_to_file`. Any other job type raises
        ``InvalidArgumentError``; an unreadable inventory raises ``BadResponseError``.
        """
        op = "inventory"
        if self.action != INVENTORY_RETRIEVAL:
            raise InvalidArgumentError(
                f"only inventory-retrieval jobs have an inventory; this is a {self.action} job",
                operation=op,
                resource=self._resource(),
            )
        self._ensure_output(op, block, None)
        source = self._source(op, None)
        data = b"".join(iter_range(source, None, config=config, cancel_token=cancel_token))
        params = self.inventory_params or {}
        return parse_inventory(
            data, params.get("Format"), marker=params.get("Marker"), operation=op, resource=self._resource()
        )

    # -- helpers --------------------------------------------------------------------------------

    def _resource(self) -> str:
        return f"job {self.id!r} in vault {self.vault.name!r}"

    def _raise_if_failed(self, operation: str, local_path: Optional[str]) -> None:
        if self.status_code == "Failed":
            message = self.status_message or "no status message"
            raise JobFailedError(
                f"the job failed: {message}",
                operation=operation,
                resource=self._resource(),
                local_path=local_path,
            )

    def _ensure_output(self, operation: str, block: bool, local_path: Optional[str]) -> None:
        """Refuse COS jobs; wait (block) or refuse (not block) while unfinished; refuse Failed jobs."""
        if self.action in _COS_ACTIONS:
            raise DownloadArchiveError(
                f"a {self.action} job has no output to download: {self._cos_hint()}",
                operation=operation,
                resource=self._resource(),
                local_path=local_path,
            )
        if not self.finished:
            if block:
                self._wait(operation, local_path, None, self.default_poll_schedule, None, None, None, None)
            else:
                self.reload()
        self._raise_if_failed(operation, local_path)
        if not self.finished:
            raise JobNotReadyError(
                f"the job is {self.status_code or 'not finished'}; wait() for it or pass block=True",
                operation=operation,
                resource=self._resource(),
                local_path=local_path,
            )

    def _cos_hint(self) -> str:
        if self.action == "PushToCOS":
            return f"it copies the archive to object {self.object_name!r} of COS bucket {self.bucket!r}"
        return f"it imports a COS object as archive {self.archive_id!r}; retrieve that archive instead"

    def _source(self, operation: str, local_path: Optional[str]) -> JobOutputSource:
        # ids from a listing are the server's: refuse path-like ones before any file is prepared
        check_vault_name(self.vault.name, operation)
        check_id(self.id, "job", operation, self._resource())
        size = self.output_size
        if size is None or (size == 0 and self.action == ARCHIVE_RETRIEVAL):
            # An archive is never empty; a peer reporting 0 bytes (moto does) would otherwise
            # yield an empty "successful" file.
            raise DownloadArchiveError(
                f"the job does not say how large its output is (size {size!r})",
                operation=operation,
                resource=self._resource(),
                local_path=local_path,
            )
        expected = self.retrieval_etag if self.action == ARCHIVE_RETRIEVAL else None
        return JobOutputSource(
            self.vault.cas_api,
            self.vault.name,
            self.id,
            size,
            expected_tree_hash=expected,
            job_range=self.job_range,
        )

    @staticmethod
    def _config(config: Optional[TransferConfig], chunk_size: Optional[int]) -> TransferConfig:
        cfg = config or TransferConfig()
        return cfg if chunk_size is None else attrs.evolve(cfg, io_chunk_size=chunk_size)


def _name_of(file_obj: Any) -> Optional[str]:
    name = getattr(file_obj, "name", None)
    return name if isinstance(name, str) else None
