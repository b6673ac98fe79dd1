"""Adapters from a vault's jobs and uploads to the transfer engine's interfaces.

The engine knows nothing of vaults (engine/interfaces.py); these classes are the only glue:

* :class:`JobOutputSource` serves ranges of one job's output (Get Job Output with ``Range``,
  streamed), optionally a window of it so ``download_by_range`` gets the engine's parallel,
  resumable, verified download of just that window. Its integrity is the tree hash, vouched for
  per range by the dialect's header (``x-cas-`` / ``x-amz-sha256-tree-hash``); the service sends
  it only for tree-aligned ranges, and the engine treats it as optional (docs/original-sdk-defects.md #7).
* :class:`UploadTarget` is one multipart upload (Upload Part, every page of List Parts, Complete,
  Abort); a part's token is its tree hash, and the archive's tree hash combines them.
* :data:`VAULT_PART_SIZER`: parts are 1 MiB x 2^n (so their tree hashes combine), at most 10,000.
"""

from __future__ import annotations

from typing import Iterator, Mapping, Optional, Sequence, Tuple

import attrs
from requests.structures import CaseInsensitiveDict

from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.checksums import SHA256, IntegrityStrategy, TreeHashIntegrity
from cassdk_like.core.exceptions import BadResponseError, InvalidArgumentError, InvalidByteRangeError
from cassdk_like.core.integrity import MAX_PARTS, calc_part_size, combine_tree_hashes, validate_part_size
from cassdk_like.engine import CompletedUpload, PartBody, RangeResponse
from cassdk_like.vault.highlevel.api import CasAPI

__all__ = ["VAULT_PART_SIZER", "JobOutputSource", "UploadTarget", "VaultPartSizer"]

_TREE = TreeHashIntegrity()


@attrs.frozen
class VaultPartSizer:
    """The service's rule: 1 MiB x 2^n parts (so part tree hashes combine), at most 10,000 of them."""

    max_parts: int = MAX_PARTS

    def part_size(self, size: int, *, requested: Optional[int], minimum: int) -> int:
        if requested is None:
            return calc_part_size(size, minimum=minimum)
        validate_part_size(requested, operation="upload_multipart")
        if -(-size // requested) > self.max_parts:
            raise InvalidArgumentError(
                f"part size {requested} needs more than {self.max_parts} parts for {size} bytes",
                operation="upload_multipart",
            )
        return requested


VAULT_PART_SIZER = VaultPartSizer()


class _WindowResponse:
    """A ranged answer re-expressed in window coordinates (Content-Range shifted back by the offset)."""

    def __init__(self, response: RangeResponse, headers: Mapping[str, str]) -> None:
        self._response = response
        self.status = response.status
        self.headers: Mapping[str, str] = headers

    def readinto(self, buf: memoryview) -> int:
        return self._response.readinto(buf)

    def readinto_for(self, buf: memoryview, seconds: float) -> int:
        read_for = getattr(self._response, "readinto_for", None)
        return int(read_for(buf, seconds)) if read_for is not None else self._response.readinto(buf)

    def abort(self) -> None:
        abort = getattr(self._response, "abort", None)
        if abort is not None:
            abort()

    def close(self) -> None:
        self._response.close()


class JobOutputSource:
    """The output of one finished job, or the window ``[offset, offset + size)`` of it. Thread-safe.

    ``output_size`` is the whole output's length; ``expected_tree_hash`` applies to the whole
    output only, so a window that is not the whole output never carries one.
    """

    @property
    def expected_digest(self) -> Optional[str]:
        return self.expected_tree_hash

    def __init__(
        self,
        cas_api: CasAPI,
        vault_name: str,
        job_id: str,
        output_size: int,
        *,
        expected_tree_hash: Optional[str] = None,
        job_range: Optional[str] = None,
        window: Optional[ByteRange] = None,
    ) -> None:
        self._api = cas_api
        self.vault_name = vault_name
        self.job_id = job_id
        self.output_size = output_size
        whole = window is None or (window.start == 0 and window.end == output_size - 1)
        self._window = None if whole else window
        self.offset = 0 if self._window is None else self._window.start
        self.size = output_size if self._window is None else self._window.length
        self.expected_tree_hash = expected_tree_hash if self._window is None else None
        self._job_range = job_range or "-"
        self.tree_hash_header = cas_api.dialect.h("sha256-tree-hash")
        self.integrity: IntegrityStrategy = TreeHashIntegrity(range_header=self.tree_hash_header)

    @property
    def identity(self) -> str:
        """What the resume journal matches on: vault/job/job range/tree hash[/window]."""
        parts = [self.vault_name, self.job_id, self._job_range, self.expected_tree_hash or "-"]
        if self._window is not None:
            parts.append(str(self._window))
        return "/".join(parts)

    def window(self, byte_range: ByteRange) -> JobOutputSource:
        """A source for ``byte_range`` (output offsets) of this job's output."""
        return JobOutputSource(
            self._api,
            self.vault_name,
            self.job_id,
            self.output_size,
            expected_tree_hash=self.expected_tree_hash,
            job_range=self._job_range,
            window=byte_range,
        )

    def open_range(self, byte_range: ByteRange) -> RangeResponse:
        """GET the range (window offsets) as a stream; a non-2xx raises the typed service error."""
        wanted = byte_range.shift(self.offset)
        response = self._api.client.get_job_output(self.vault_name, self.job_id, wanted, stream=True)
        if not response.ok:
            raise self._api.dialect.parse_error(response)
        if self._window is None:
            return response
        return _WindowResponse(response, self._window_headers(response.headers, wanted, byte_range))

    def _window_headers(
        self, headers: Mapping[str, str], wanted: ByteRange, asked: ByteRange
    ) -> Mapping[str, str]:
        """The engine checks Content-Range against what it asked; translate the server's answer."""
        shifted: CaseInsensitiveDict[str] = CaseInsensitiveDict(headers)
        raw = headers.get("Content-Range")
        try:
            got, total = ByteRange.from_content_range(raw) if raw is not None else (None, None)
        except InvalidByteRangeError:
            got, total = None, None
        if got != wanted or total not in (None, self.output_size):
            raise BadResponseError(
                f"asked for bytes {wanted} of the job output, got Content-Range {raw!r}",
                operation="download_by_range",
                resource=f"job {self.job_id!r} in vault {self.vault_name!r}",
            )
        shifted["Content-Range"] = f"bytes {asked.start}-{asked.end}/{self.size}"
        return shifted

    def __repr__(self) -> str:
        return f"JobOutputSource({self.identity!r}, size={self.size})"


class UploadTarget:
    """One multipart upload of a vault, as the engine's ``MultipartTarget``. Thread-safe.

    ``part_size`` (the size the upload was initiated with) numbers the stored parts List Parts
    reports; without it they are numbered in offset order.
    """

    part_sizer = VAULT_PART_SIZER
    #: Upload Part carries the linear SHA-256 and the tree hash; the first is also re-computed
    #: over the bytes actually sent
    part_checksums: Sequence[IntegrityStrategy] = (SHA256, _TREE)

    def __init__(
        self, cas_api: CasAPI, vault_name: str, upload_id: str, *, part_size: Optional[int] = None
    ) -> None:
        self._api = cas_api
        self.vault_name = vault_name
        self.upload_id = upload_id
        self.part_size = part_size

    def upload_part(self, number: int, body: PartBody) -> str:
        """Upload Part with the checksums the engine computed; the token is the part's tree hash."""
        digests = body.digests
        tree = digests[_TREE.name]
        self._api.upload_part(
            self.vault_name, self.upload_id, body.content(), body.byte_range, digests[SHA256.name], tree
        )
        return tree

    def token_for(self, number: int, digests: Mapping[str, str]) -> Optional[str]:
        return digests.get(_TREE.name)

    def list_parts(self) -> Iterator[Tuple[int, ByteRange, str]]:
        """Every stored part, all pages (the original CLI read only the first)."""
        parts = self._api.list_all_parts(self.vault_name, self.upload_id)
        for position, part in enumerate(parts, start=1):
            raw, tree_hash = part.get("RangeInBytes"), part.get("SHA256TreeHash")
            try:
                byte_range = ByteRange.parse(str(raw))
            except InvalidByteRangeError as exc:
                raise self._bad(f"List Parts returned an unreadable RangeInBytes {raw!r}") from exc
            if not isinstance(tree_hash, str) or not tree_hash:
                raise self._bad(f"List Parts returned part {byte_range} without a SHA256TreeHash")
            number = position if not self.part_size else byte_range.start // self.part_size + 1
            yield number, byte_range, tree_hash

    def complete(self, parts: Sequence[Tuple[int, str]], size: int) -> CompletedUpload:
        """Complete Multipart Upload with the tree hash combined from the parts' tokens."""
        tree = combine_tree_hashes([token for _number, token in sorted(parts)])
        return CompletedUpload(self.complete_with(size, tree), tree)

    def complete_with(self, size: int, tree_hash: str) -> str:
        """Complete Multipart Upload with a known archive tree hash; returns the archive id."""
        response = self._api.complete_multipart_upload(self.vault_name, self.upload_id, size, tree_hash)
        archive_id = response.headers.get(self._api.dialect.h("archive-id"))
        if not archive_id:
            raise self._bad("Complete Multipart Upload succeeded but returned no archive id")
        return archive_id

    def abort(self) -> None:
        self._api.abort_multipart_upload(self.vault_name, self.upload_id)

    def _bad(self, message: str) -> BadResponseError:
        return BadResponseError(
            message,
            operation="upload_multipart",
            resource=f"upload {self.upload_id!r} in vault {self.vault_name!r}",
        )

    def __repr__(self) -> str:
        return f"UploadTarget(vault={self.vault_name!r}, upload_id={self.upload_id!r})"
