"""``MultipartUpload`` (seed: ``MultipartUpload(vault, cas_response, file_path=None)``) and the
upload path behind ``Vault.upload_archive``.

Parts go through the transfer engine: each part is hashed in one pass and streamed from the file
(the original SDK read each part three times, docs/original-sdk-defects.md #8), parts upload in
parallel with retries, and a failed upload is kept so ``resume()`` can list *all* its parts
(every page), re-hash the local bytes of each, send only what is missing or different, and
complete with the combined tree hash. Where the seed raised ``HashDoesNotMatchError`` for a stored
part that differs from the file, the engine re-uploads that part (the service allows overwriting).
"""

from __future__ import annotations

import collections
import os
import stat
from typing import IO, TYPE_CHECKING, Any, BinaryIO, Dict, List, Mapping, Optional, Tuple, Union

import attrs

from cassdk_like.core.byterange import ByteRange, ByteRangeLike
from cassdk_like.core.exceptions import (
    BadResponseError,
    InvalidArgumentError,
    InvalidPartSizeError,
    LocalFileError,
)
from cassdk_like.core.integrity import MAX_PARTS, combine_tree_hashes, hash_bytes
from cassdk_like.core.labels import labelled, source_label
from cassdk_like.engine import CancelToken, Pacer, ProgressCallback, TransferConfig, upload_multipart
from cassdk_like.vault.highlevel.adapters import VAULT_PART_SIZER, UploadTarget
from cassdk_like.vault.highlevel.response import CASResponse

if TYPE_CHECKING:
    from cassdk_like.vault.highlevel.vault import Vault

__all__ = [
    "MultipartUpload",
    "describe_upload",
    "empty_file_error",
    "initiate_for",
    "is_path",
    "local_file_size",
]

PathLike = Union[str, "os.PathLike[str]"]
Source = Union[str, "os.PathLike[str]", IO[bytes]]
Parts = Dict[Tuple[int, int], Optional[str]]


def is_path(value: Any) -> bool:
    return isinstance(value, (str, os.PathLike))


def local_file_size(path: PathLike, operation: str, resource: str, *, refuse_empty: bool = False) -> int:
    """Size of a regular file; errors name the path. ``refuse_empty``: the service rejects 0 bytes."""
    label = os.fspath(path)
    try:
        info = os.stat(label)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise LocalFileError(
            f"cannot read the file: {reason}", operation=operation, resource=resource, local_path=label
        ) from exc
    if not stat.S_ISREG(info.st_mode):
        raise LocalFileError("not a regular file", operation=operation, resource=resource, local_path=label)
    if refuse_empty and info.st_size == 0:
        raise empty_file_error(operation, resource, label)
    return info.st_size


def empty_file_error(operation: str, resource: str, label: Optional[str]) -> InvalidArgumentError:
    return InvalidArgumentError(
        "the file is empty: the service does not accept zero-byte archives",
        operation=operation,
        resource=resource,
        local_path=label,
    )


def _plan(size_total: Optional[int], part_size: int) -> Parts:
    """Every part of the file, in order, with no hash yet (the seed's ``parts`` layout)."""
    parts: Parts = collections.OrderedDict()
    if size_total:
        for start in range(0, size_total, part_size):
            parts[(start, min(start + part_size, size_total) - 1)] = None
    return parts


def _upload_fields(props: Mapping[str, Any], vault: Vault) -> Dict[str, Any]:
    upload_id = props.get("MultipartUploadId")
    part_size = props.get("PartSizeInBytes")
    if not isinstance(upload_id, str) or not upload_id or not str(part_size or "").isdigit():
        raise BadResponseError(
            "the upload description lacks MultipartUploadId or PartSizeInBytes",
            operation="MultipartUpload",
            resource=f"vault {vault.name!r}",
        )
    return {
        "id": upload_id,
        "part_size": int(str(part_size)),
        "description": props.get("ArchiveDescription") or None,
        "creation_date": props.get("CreationDate"),
    }


@attrs.define(init=False, unsafe_hash=True)
class _UploadRecord:
    """The members of a ``MultipartUpload``; equal (and hashed) by vault name and upload id."""

    vault: Vault = attrs.field(repr=lambda v: repr(v.name))
    id: str
    part_size: int = attrs.field(eq=False)
    description: Optional[str] = attrs.field(eq=False)
    file_path: Optional[str] = attrs.field(eq=False)
    size_total: Optional[int] = attrs.field(eq=False)
    creation_date: Optional[str] = attrs.field(eq=False, repr=False)
    parts: Parts = attrs.field(eq=False, repr=False)
    archive_id: Optional[str] = attrs.field(eq=False, default=None)
    archive_tree_hash: Optional[str] = attrs.field(eq=False, repr=False, default=None)
    #: whether ``parts`` came from List Parts (a List Multipart Uploads entry does not list them)
    parts_listed: bool = attrs.field(eq=False, repr=False, default=False)


class MultipartUpload(_UploadRecord):
    """One in-progress multipart upload of a vault, which survives failures until completed or aborted.

    ``MultipartUpload(vault, cas_response, file_path=None)`` is built from a List Parts or List
    Multipart Uploads entry (``cas_response``); usually ``Vault.initiate_multipart_upload`` or
    ``Vault.get_multipart_uploader`` makes it. ``file_path`` is the local file being uploaded.
    Members: ``id``, ``part_size``, ``description``, ``file_path``, ``size_total`` (the file's
    size; None when no file is known), ``parts`` (``(start, end)`` -> the part's tree hash, None
    while not uploaded), ``archive_id`` once completed. ``tree_hash`` is the archive's combined
    tree hash once every part is known, else ``''`` (as the seed). Equal (and hashed) by vault
    name and upload id. Not thread-safe to mutate; ``upload``/``resume`` are parallel inside.
    """

    __slots__ = ()

    def __init__(
        self, vault: Vault, cas_response: Mapping[str, Any], file_path: Optional[PathLike] = None
    ) -> None:
        fields = _upload_fields(cas_response, vault)
        path = None if file_path is None else os.fspath(file_path)
        resource = f"upload {fields['id']!r} in vault {vault.name!r}"
        size = None if path is None else local_file_size(path, "MultipartUpload", resource)
        plan = _plan(size, fields["part_size"])
        listed = "Parts" in cas_response
        self.__attrs_init__(vault, file_path=path, size_total=size, parts=plan, parts_listed=listed, **fields)
        self._record(cas_response.get("Parts") or [])

    # -- state ----------------------------------------------------------------------------------

    @property
    def size_completed(self) -> int:
        """Bytes in parts known to be uploaded."""
        return sum(end - start + 1 for (start, end), tree in self.parts.items() if tree)

    @property
    def tree_hash(self) -> str:
        """The archive's tree hash when every part is uploaded (or the upload completed), else ``''``."""
        if self.archive_tree_hash:
            return self.archive_tree_hash
        hashes = list(self.parts.values())
        if self.size_total is None or not hashes or not all(hashes):
            return ""
        if self.size_completed != self.size_total:
            return ""
        return combine_tree_hashes([h for h in hashes if h])

    def reload(self) -> MultipartUpload:
        """List the upload's parts again (every page) and refresh the members; returns ``self``."""
        first, entries = _list_parts(self.vault, self.id)
        fields = _upload_fields(first, self.vault)
        self.part_size, self.description, self.creation_date = (
            fields["part_size"], fields["description"], fields["creation_date"],
        )  # fmt: skip
        self.parts = _plan(self.size_total, self.part_size)
        self._record(entries)
        self.parts_listed = True
        return self

    def _record(self, entries: Any) -> None:
        for entry in entries:
            rng = ByteRange.parse(
                str(entry.get("RangeInBytes")), operation="list_parts", resource=self._resource()
            )
            tree = entry.get("SHA256TreeHash")
            self.parts[(rng.start, rng.end)] = str(tree).lower() if tree else None

    def _resource(self) -> str:
        return f"upload {self.id!r} in vault {self.vault.name!r}"

    def _target(self) -> UploadTarget:
        return UploadTarget(self.vault.cas_api, self.vault.name, self.id, part_size=self.part_size)

    # -- operations -----------------------------------------------------------------------------

    def upload_part(
        self, byte_range: ByteRangeLike, data_or_fileobj: Union[bytes, bytearray, memoryview, BinaryIO]
    ) -> str:
        """Upload ``data_or_fileobj`` as the part ``byte_range``; returns the part's tree hash.

        The range must be on the part-size grid (only the last part may be shorter), else
        ``InvalidArgumentError`` before anything is sent. A buffer is hashed here in one pass; a
        seekable file object is hashed and streamed by the client from its current position.
        """
        op, res = "upload_part", self._resource()
        rng = ByteRange.parse(byte_range, operation=op, resource=res)
        self._check_grid(rng, op)
        api = self.vault.cas_api
        if isinstance(data_or_fileobj, (bytes, bytearray, memoryview)):
            hashes = hash_bytes(data_or_fileobj)
            api.upload_part(self.vault.name, self.id, data_or_fileobj, rng, hashes.sha256, hashes.tree_hash)
            tree: Optional[str] = hashes.tree_hash
        else:
            response = api.upload_part(self.vault.name, self.id, data_or_fileobj, rng)
            tree = response.headers.get(api.dialect.h("sha256-tree-hash"))
        self.parts[(rng.start, rng.end)] = tree.lower() if tree else None
        return tree or ""

    def _check_grid(self, rng: ByteRange, operation: str) -> None:
        size = self.size_total
        full = rng.length == self.part_size
        last = rng.length < self.part_size and (size is None or rng.end == size - 1)
        if rng.start % self.part_size or not (full or last) or (size is not None and rng.end >= size):
            raise InvalidArgumentError(
                f"part {rng} is not on the {self.part_size}-byte part grid"
                + ("" if size is None else f" of a {size}-byte file"),
                operation=operation,
                resource=self._resource(),
            )

    def upload(
        self,
        file_path_or_fileobj: Optional[Source] = None,
        *,
        size: Optional[int] = None,
        config: Optional[TransferConfig] = None,
        progress: Optional[ProgressCallback] = None,
        cancel_token: Optional[CancelToken] = None,
        resume: Optional[bool] = None,
        limiter: Optional[Pacer] = None,
        keep_for_resume: bool = False,
    ) -> str:
        """Upload every part of ``file_path_or_fileobj`` (default: ``file_path``); returns the archive id.

        ``resume`` (default: unless List Parts showed no stored part) first lists the stored
        parts and skips those matching the local bytes. ``size`` is the byte count of a file
        object that cannot say it; ``config``, ``progress``, ``cancel_token`` and ``limiter`` as
        in ``Vault.upload_archive``. On failure the upload is kept (``MultipartUploadError`` names
        its id) so ``resume()`` can finish it later; ``TransferCancelledError`` when cancelled,
        which aborts the upload unless ``keep_for_resume=True``.
        """
        source = file_path_or_fileobj if file_path_or_fileobj is not None else self.file_path
        if source is None:
            raise InvalidArgumentError(
                "no file to upload: pass a path or a file object",
                operation="upload",
                resource=self._resource(),
            )
        if isinstance(source, (str, os.PathLike)):
            self.file_path = os.fspath(source)
            self.size_total = local_file_size(self.file_path, "upload", self._resource())
        again = (any(self.parts.values()) or not self.parts_listed) if resume is None else resume
        with labelled("upload", self._resource(), source_label(source)):
            result = upload_multipart(
                source,
                self._target(),
                size=size,
                part_size=self.part_size,
                config=config,
                progress=progress,
                cancel_token=cancel_token,
                limiter=limiter,
                resume=again,
                keep_for_resume=keep_for_resume,
            )
        self.archive_id, self.archive_tree_hash, self.size_total = (
            result.archive_id,
            result.tree_hash,
            result.size,
        )
        return result.archive_id

    def start(self) -> str:
        """Seed name: upload the parts of ``file_path`` that are not uploaded yet, then complete."""
        return self.upload()

    def resume(
        self,
        file_path: Optional[Source] = None,
        *,
        size: Optional[int] = None,
        config: Optional[TransferConfig] = None,
        progress: Optional[ProgressCallback] = None,
        cancel_token: Optional[CancelToken] = None,
        limiter: Optional[Pacer] = None,
        keep_for_resume: bool = False,
    ) -> str:
        """List every stored part, verify each against the local file, upload the gaps, complete.

        ``file_path`` defaults to the upload's own; ``size``, ``config``, ``progress``,
        ``cancel_token``, ``limiter`` and ``keep_for_resume`` as in :meth:`upload`. Returns the
        archive id; errors as in :meth:`upload`.
        """
        return self.upload(
            file_path,
            size=size,
            config=config,
            progress=progress,
            cancel_token=cancel_token,
            resume=True,
            limiter=limiter,
            keep_for_resume=keep_for_resume,
        )

    def complete(self, size_total: Optional[int] = None, tree_hash: Optional[str] = None) -> str:
        """Complete the upload; returns the archive id.

        ``size_total`` and ``tree_hash`` default to the file's size and the known parts' combined
        tree hash; ``InvalidArgumentError`` when parts are still missing and none are given.
        """
        size = self.size_total if size_total is None else size_total
        tree = tree_hash or self.tree_hash
        if not size or not tree:
            known = sum(1 for h in self.parts.values() if h)
            raise InvalidArgumentError(
                f"cannot complete: {known} of {len(self.parts) or '?'} parts are known to be uploaded; "
                "upload the rest (or pass size_total and tree_hash)",
                operation="complete_multipart_upload",
                resource=self._resource(),
                local_path=self.file_path,
            )
        self.archive_id = self._target().complete_with(size, tree)
        self.archive_tree_hash, self.size_total = tree, size
        return self.archive_id

    def cancel(self) -> CASResponse:
        """Abort the upload; its parts are discarded by the service."""
        return self.vault.cas_api.abort_multipart_upload(self.vault.name, self.id)


def initiate_for(
    vault: Vault,
    total: int,
    desc: Optional[str],
    part_size: Optional[int],
    file_path: Optional[str],
    config: Optional[TransferConfig] = None,
) -> MultipartUpload:
    """Initiate an upload of ``total`` bytes, then describe it.

    The part size is ``part_size``, else the vault's part sizer's choice for ``config``
    (16 MiB x 2^n by default, at most 10,000 parts).
    """
    op, res = "initiate_multipart_upload", f"vault {vault.name!r}"
    cfg = config or TransferConfig()
    if part_size is None:
        part = VAULT_PART_SIZER.part_size(total, requested=cfg.part_size, minimum=cfg.min_part_size)
    else:
        part = part_size
    if isinstance(part, int) and part > 0 and -(-total // part) > MAX_PARTS:
        raise InvalidPartSizeError(
            f"{total} bytes need more than {MAX_PARTS} parts of {part} bytes",
            operation=op,
            resource=res,
            local_path=file_path,
        )
    api = vault.cas_api
    response = api.initiate_multipart_upload(vault.name, part, desc)
    upload_id = response.headers.get(api.dialect.h("multipart-upload-id"))
    if not upload_id:
        raise BadResponseError("Initiate Multipart Upload returned no upload id", operation=op, resource=res)
    return describe_upload(vault, upload_id, file_path)


def _list_parts(vault: Vault, upload_id: str) -> Tuple[CASResponse, List[Any]]:
    """The first List Parts page (upload details) and every part; later pages only when there are any."""
    api = vault.cas_api
    first = api.list_parts(vault.name, upload_id)
    entries = list(first.get("Parts") or [])
    if first.get("Marker"):
        entries = list(api.list_all_parts(vault.name, upload_id))
    return first, entries


def describe_upload(vault: Vault, upload_id: str, file_path: Optional[PathLike] = None) -> MultipartUpload:
    """A ``MultipartUpload`` with every stored part listed (all pages)."""
    first, entries = _list_parts(vault, upload_id)
    upload = MultipartUpload(vault, first, file_path)
    if first.get("Marker"):
        upload._record(entries)
    return upload
