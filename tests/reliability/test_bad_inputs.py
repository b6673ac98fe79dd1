"""The bad-input table: every mistake fails with its exact error, clearly, and harms nothing.

Each case prepares its situation (which may talk to a server), then makes one bad call and the
test checks four things:

1. the exact exception class (``type(exc) is``, never a base class);
2. the message names the operation and the resource, and the local path where one is involved
   (``exc.local_path`` and "(local path: ...)" in the text); it never contains the secret key;
3. when the mistake is knowable locally, nothing was sent (every server's request count is
   unchanged); otherwise exactly the requests the retry policy allows;
4. the destination folder is unchanged: nothing created, the existing file keeps its bytes and
   mtime. A download that failed after it started may leave only its own resumable partial file
   and journal (``<dest>.cassdk-partial[.json]``), never anything at the destination itself.

The servers are the bundled emulator (two of them: jobs finishing at once, and jobs that finish
only when told; a third serves the buckets in S3 and COS), and scripted local servers for answers
the emulator never gives (HTML errors, lying headers, corrupted object bodies).
"""

from __future__ import annotations

import builtins
import hashlib
import io
import os
import stat
import time
from pathlib import Path
from typing import Any, Callable, Iterator, List, Mapping, Optional, Sequence, Tuple, Type
from unittest import mock

import attrs
import pytest

from cassdk_like import (
    CASError,
    CASServerError,
    DownloadArchiveError,
    HashDoesNotMatchError,
    InvalidArgumentError,
    JobFailedError,
    JobNotReadyError,
    LocalFileError,
    ProgressEvent,
    TransferConfig,
    Vault,
)
from cassdk_like.bucket import (
    Bucket,
    Forbidden,
    InvalidBucketNameError,
    InvalidObjectKeyError,
    InvalidRange,
    NoSuchKey,
    PreconditionFailed,
    SignatureDoesNotMatch,
)
from cassdk_like.core.exceptions import (
    BadResponseError,
    InvalidByteRangeError,
    InvalidDescriptionError,
    InvalidPartSizeError,
    InvalidVaultNameError,
    MissingCredentialsError,
    PartsMismatchError,
)
from cassdk_like.direct import Client as DirectClient
from cassdk_like.direct import DirectIO, InvalidBlockSelectionError
from cassdk_like.engine import MultipartUploadError
from cassdk_like.par import (
    PAR,
    ObjectReader,
    ObjectWriter,
    PARKeyError,
    PARKeyPair,
    PARPassphraseError,
    PARPermissionsError,
    PARTamperedError,
    PARTimeoutError,
    Passphrase,
    create_par,
)
from cassdk_like.reduct import Batch as ReductBatch
from cassdk_like.reduct import BatchTooLargeError, InvalidLabelError, InvalidNameError
from cassdk_like.vault.errors import (
    InvalidSignatureException,
    ResourceNotFoundException,
    UnrecognizedClientException,
)
from tests.reliability.badinput_servers import Reply, Seen, job_output, stored_object
from tests.reliability.badinput_world import (
    ARCHIVE_SIZE,
    DIRECT_BLOCKS,
    OBJECT_KEY,
    OBJECT_SIZE,
    QUICK,
    REDUCT_TS,
    AnyWorld,
    BucketWorld,
    DirectWorld,
    Folders,
    MiB,
    ReductWorld,
    World,
    build_worlds,
    finished_job,
    local_vault,
    pattern,
    resumable_leftovers,
    snapshot,
)


@attrs.frozen
class Attempt:
    """The bad call a case makes, and what its error must name.

    ``resource``: text the message must contain to name the resource; ``local_path``: the path
    ``exc.local_path`` must be; ``says``: a fragment of the reason; ``dest``: the destination of a
    download that may leave its resumable partial file; ``check``: extra assertions on the error.
    """

    call: Callable[[], object]
    resource: str
    local_path: Optional[Path] = None
    says: Optional[str] = None
    dest: Optional[Path] = None
    check: Optional[Callable[[Any], None]] = None


#: ``World`` for the vault rows, ``BucketWorld`` for the bucket rows (by the case's dialect)
Prepare = Callable[[Any, Folders], Attempt]


@attrs.frozen
class Case:
    """One row of the table. ``requests``: None when the mistake is local (nothing may be sent),
    else the (least, most) requests the call may make."""

    id: str
    prepare: Prepare
    error: Type[CASError]
    operation: str
    requests: Optional[Tuple[int, int]] = None
    dialect: str = "cas"


CASES: List[Case] = []


def case(
    id: str,
    error: Type[CASError],
    operation: str,
    *,
    requests: Optional[Tuple[int, int]] = None,
    dialect: str = "cas",
) -> Callable[[Prepare], Prepare]:
    def register(prepare: Prepare) -> Prepare:
        CASES.append(Case(id, prepare, error, operation, requests, dialect))
        return prepare

    return register


def exactly(count: int) -> Tuple[int, int]:
    return (count, count)


def small_file(f: Folders, name: str = "small.bin", size: int = 4096) -> Path:
    return f.file(name, size)


# -- vault names -----------------------------------------------------------------------------------


@case("vault-name-empty", InvalidVaultNameError, "create_vault")
def _vault_name_empty(w: World, f: Folders) -> Attempt:
    return Attempt(lambda: Vault.create(w.api, ""), resource="vault ''")


@case("vault-name-256-chars", InvalidVaultNameError, "create_vault")
def _vault_name_long(w: World, f: Folders) -> Attempt:
    name = "v" * 256
    return Attempt(lambda: w.api.create_vault(name), resource=f"vault {name!r}")


@case("vault-name-with-spaces", InvalidVaultNameError, "describe_vault")
def _vault_name_spaces(w: World, f: Folders) -> Attempt:
    return Attempt(lambda: Vault.get_vault_by_name(w.api, "my vault"), resource="vault 'my vault'")


@case("vault-name-non-ascii", InvalidVaultNameError, "delete_vault", dialect="glacier")
def _vault_name_non_ascii(w: World, f: Folders) -> Attempt:
    return Attempt(lambda: w.api.client.delete_vault("größe"), resource="vault 'größe'")


@case("vault-name-with-slash-on-upload", InvalidVaultNameError, "upload_archive")
def _vault_name_slash(w: World, f: Folders) -> Attempt:
    path = small_file(f)
    vault = local_vault(w.api, "../other")
    return Attempt(lambda: vault.upload_archive(path), resource="vault '../other'", local_path=path)


@case("vault-name-dot-dot", InvalidVaultNameError, "create_vault")
def _vault_name_dotdot(w: World, f: Folders) -> Attempt:
    return Attempt(lambda: Vault.create(w.api, ".."), resource="vault '..'", says="not '.' or '..'")


@case("vault-name-dot", InvalidVaultNameError, "initiate_job", dialect="glacier")
def _vault_name_dot(w: World, f: Folders) -> Attempt:
    vault = local_vault(w.api, ".")
    return Attempt(lambda: vault.initiate_retrieve_inventory(desc="d"), resource="vault '.'")


@case("vault-name-none", InvalidVaultNameError, "create_vault")
def _vault_name_none(w: World, f: Folders) -> Attempt:
    """Before: sent as ``PUT /<appid>/vaults`` (405)."""
    return Attempt(lambda: w.api.create_vault(None), resource="vault None")  # type: ignore[arg-type]


# -- descriptions ----------------------------------------------------------------------------------


@case("description-non-ascii", InvalidDescriptionError, "upload_archive")
def _desc_non_ascii(w: World, f: Folders) -> Attempt:
    path = small_file(f)
    return Attempt(
        lambda: w.vault.upload_archive(path, desc="café"),
        resource=f"vault {w.vault.name!r}",
        local_path=path,
        says="printable ASCII",
    )


@case("description-1025-bytes", InvalidDescriptionError, "initiate_multipart_upload")
def _desc_too_long(w: World, f: Folders) -> Attempt:
    path = small_file(f)
    return Attempt(
        lambda: w.vault.initiate_multipart_upload(path, desc="d" * 1025),
        resource=f"vault {w.vault.name!r}",
        local_path=path,
        says="1025 bytes",
    )


@case("description-with-newline", InvalidDescriptionError, "initiate_job", dialect="glacier")
def _desc_newline(w: World, f: Folders) -> Attempt:
    """A header-splitting description is refused before it reaches a header."""
    desc = "ok\r\nx-amz-evil: 1"
    return Attempt(
        lambda: w.vault.retrieve_archive(w.archive_id, desc=desc), resource=f"vault {w.vault.name!r}"
    )


# -- part sizes ------------------------------------------------------------------------------------


def _part_size_case(part_size: int) -> Prepare:
    def prepare(w: World, f: Folders) -> Attempt:
        path = f.file("big.bin", 2 * MiB + 1)
        return Attempt(
            lambda: w.vault.upload_archive(path, part_size=part_size, threshold=MiB),
            resource=f"vault {w.vault.name!r}",
            local_path=path,
            says=f"got {part_size}",
        )

    return prepare


case("part-size-0", InvalidPartSizeError, "initiate_multipart_upload")(_part_size_case(0))
case("part-size-3MiB", InvalidPartSizeError, "initiate_multipart_upload")(_part_size_case(3 * MiB))


@case("part-size-1.5MiB", InvalidPartSizeError, "initiate_multipart_upload", dialect="glacier")
def _part_size_one_and_half(w: World, f: Folders) -> Attempt:
    path = f.file("big.bin", 2 * MiB)
    return Attempt(
        lambda: w.vault.initiate_multipart_upload(path, part_size=3 * MiB // 2),
        resource=f"vault {w.vault.name!r}",
        local_path=path,
        says="1 MiB x 2^n",
    )


@case("part-size-10MiB-not-power-of-two", InvalidPartSizeError, "initiate_multipart_upload")
def _part_size_ten(w: World, f: Folders) -> Attempt:
    return Attempt(
        lambda: w.api.initiate_multipart_upload(w.vault.name, 10 * MiB), resource=f"vault {w.vault.name!r}"
    )


@case("part-size-changed-on-resume", InvalidPartSizeError, "upload_archive", requests=exactly(1))
def _part_size_resume(w: World, f: Folders) -> Attempt:
    """Resuming an upload with another part size is refused after one List Parts, before any part."""
    path = f.file("big.bin", 2 * MiB + 5)
    upload = w.vault.initiate_multipart_upload(path, part_size=MiB)
    return Attempt(
        lambda: w.vault.upload_archive(path, upload_id=upload.id, part_size=2 * MiB),
        resource=f"vault {w.vault.name!r}",
        local_path=path,
        says=f"upload {upload.id!r} was initiated with {MiB}-byte parts",
    )


@case("file-shrank-before-resume", PartsMismatchError, "upload_multipart", requests=exactly(2))
def _file_shrank_resume(w: World, f: Folders) -> Attempt:
    """A stored part that lies past the file's new end: refused after listing, before any part."""
    path = f.file("big.bin", 3 * MiB)
    upload = w.vault.initiate_multipart_upload(path, part_size=MiB)
    with open(path, "rb") as reader:
        reader.seek(2 * MiB)
        upload.upload_part((2 * MiB, 3 * MiB - 1), reader.read())
    os.truncate(path, 2 * MiB + 5)
    return Attempt(
        lambda: w.vault.upload_archive(path, upload_id=upload.id),
        resource=f"upload {upload.id!r} in vault {w.vault.name!r}",
        local_path=path,
        says="stored part 2097152-3145727 does not fit",
    )


# -- byte ranges -----------------------------------------------------------------------------------


def _job_resource(w: World) -> str:
    return f"job {w.job.id!r} in vault {w.vault.name!r}"


@case("range-negative", InvalidByteRangeError, "download_by_range")
def _range_negative(w: World, f: Folders) -> Attempt:
    return Attempt(
        lambda: w.job.download_by_range((-1, 1023), file_path=f.existing),
        resource=_job_resource(w),
        local_path=f.existing,
        says="must not be negative",
    )


@case("range-reversed", InvalidByteRangeError, "download_by_range", dialect="glacier")
def _range_reversed(w: World, f: Folders) -> Attempt:
    return Attempt(
        lambda: w.job.download_by_range("1048575-0", file_path=f.existing),
        resource=_job_resource(w),
        local_path=f.existing,
        says="end is before start",
    )


@case("range-open-ended", InvalidByteRangeError, "retrieve_archive")
def _range_open(w: World, f: Folders) -> Attempt:
    return Attempt(
        lambda: w.vault.retrieve_archive(w.archive_id, byte_range="5-"),
        resource=f"vault {w.vault.name!r}",
        says="open-ended",
    )


@case("range-open-ended-suffix-to-stream", InvalidByteRangeError, "download_by_range")
def _range_suffix(w: World, f: Folders) -> Attempt:
    """Streaming into a file object: the object's name is the local path named."""
    target = f.dest / "stream.bin"
    handle = target.open("wb")  # created before the snapshot; must stay empty

    def call() -> object:
        with handle:
            return w.job.download_by_range("-100", file_obj=handle)

    return Attempt(call, resource=_job_resource(w), local_path=target, says="open-ended")


@case("range-misaligned-for-retrieval", InvalidByteRangeError, "retrieve_archive", dialect="glacier")
def _range_misaligned(w: World, f: Folders) -> Attempt:
    return Attempt(
        lambda: w.vault.retrieve_archive(w.archive_id, byte_range=(1, MiB)),
        resource=f"vault {w.vault.name!r}",
        says="multiples of 1 MiB",
    )


@case("range-past-end-of-archive", InvalidByteRangeError, "retrieve_archive")
def _range_past_archive(w: World, f: Folders) -> Attempt:
    return Attempt(
        lambda: w.vault.retrieve_archive(
            w.archive_id, byte_range=(0, 4 * MiB - 1), archive_size=ARCHIVE_SIZE
        ),
        resource=f"vault {w.vault.name!r}",
        says="ends past the last byte",
    )


@case("range-past-end-of-job-output", InvalidByteRangeError, "download_by_range")
def _range_past_output(w: World, f: Folders) -> Attempt:
    return Attempt(
        lambda: w.job.download_by_range(f"0-{ARCHIVE_SIZE}", file_path=f.existing),
        resource=_job_resource(w),
        local_path=f.existing,
        says=f"size {ARCHIVE_SIZE}",
    )


@case("part-range-off-the-grid", InvalidArgumentError, "upload_part", requests=exactly(0))
def _part_off_grid(w: World, f: Folders) -> Attempt:
    path = f.file("big.bin", 2 * MiB + 5)
    upload = w.vault.initiate_multipart_upload(path, part_size=MiB)
    return Attempt(
        lambda: upload.upload_part((1, MiB), b"x" * MiB),
        resource=f"upload {upload.id!r} in vault {w.vault.name!r}",
        says="not on the 1048576-byte part grid",
    )


# -- local files -----------------------------------------------------------------------------------


@case("file-missing", LocalFileError, "upload_archive")
def _file_missing(w: World, f: Folders) -> Attempt:
    path = f.src / "no-such-file.bin"
    return Attempt(
        lambda: w.vault.upload_archive(path),
        resource=f"vault {w.vault.name!r}",
        local_path=path,
        says="No such file or directory",
    )


@case("file-is-a-directory", LocalFileError, "upload_archive", dialect="glacier")
def _file_is_dir(w: World, f: Folders) -> Attempt:
    return Attempt(
        lambda: w.vault.upload_archive(f.src),
        resource=f"vault {w.vault.name!r}",
        local_path=f.src,
        says="not a regular file",
    )


def _can_read(path: Path) -> bool:
    try:
        with path.open("rb"):
            return True
    except OSError:
        return False


@case("file-unreadable", LocalFileError, "upload_archive")
def _file_unreadable(w: World, f: Folders) -> Attempt:
    """chmod 000; as root permissions are not enforced, so the file becomes a FIFO instead
    (it exists, but reading it would block forever: it must be refused, not opened)."""
    path = small_file(f, "secret.bin")
    path.chmod(0)
    says = "Permission denied"
    if _can_read(path):  # running as root
        path.unlink()
        os.mkfifo(path)
        says = "not a regular file"
    return Attempt(
        lambda: w.vault.upload_archive(path), resource=f"vault {w.vault.name!r}", local_path=path, says=says
    )


@case("file-path-under-a-file", LocalFileError, "initiate_multipart_upload")
def _file_under_file(w: World, f: Folders) -> Attempt:
    path = small_file(f) / "child.bin"
    return Attempt(
        lambda: w.vault.initiate_multipart_upload(path),
        resource=f"vault {w.vault.name!r}",
        local_path=path,
        says="Not a directory",
    )


@case("file-empty", InvalidArgumentError, "upload_archive", dialect="glacier")
def _file_empty(w: World, f: Folders) -> Attempt:
    path = f.file("empty.bin", 0)
    return Attempt(
        lambda: w.vault.upload_archive(path),
        resource=f"vault {w.vault.name!r}",
        local_path=path,
        says="zero-byte",
    )


@case("file-size-argument-wrong", InvalidArgumentError, "upload_archive")
def _file_size_wrong(w: World, f: Folders) -> Attempt:
    path = small_file(f)
    return Attempt(
        lambda: w.vault.upload_archive(path, size=4097),
        resource=f"vault {w.vault.name!r}",
        local_path=path,
        says="the file has 4096 bytes",
    )


def _grows(path: Path) -> Callable[[ProgressEvent], None]:
    grown: List[bool] = []

    def progress(event: ProgressEvent) -> None:
        if not grown:
            grown.append(True)
            with path.open("ab") as handle:
                handle.write(b"appended during the upload")

    return progress


def _changed_file_check(w: World, path: Path) -> Callable[[Any], None]:
    completes = w.emu.stats.count("CompleteMultipartUpload")

    def check(exc: Any) -> None:
        assert isinstance(exc.__cause__, LocalFileError), repr(exc.__cause__)
        assert exc.__cause__.local_path == str(path)
        assert "changed" in str(exc.__cause__) or "ended" in str(exc.__cause__)
        assert exc.upload_id  # kept, and named, for resume()
        assert exc.upload_id in str(exc)
        assert w.emu.stats.count("CompleteMultipartUpload") == completes  # never completed

    return check


@case("file-grows-during-upload", MultipartUploadError, "upload_multipart", requests=(3, 5))
def _file_grows(w: World, f: Folders) -> Attempt:
    """The file grows after the first part (initiate + List Parts + part 1); the read path checks
    size and mtime every MiB, so the next part read fails the upload (3 requests when that read
    comes after the progress callback grew the file; at most all 3 parts otherwise), never a
    Complete."""
    path = f.file("growing.bin", 3 * MiB)
    config = TransferConfig(max_workers=1, progress_interval=0)
    return Attempt(
        lambda: w.vault.upload_archive(
            path, threshold=MiB, part_size=MiB, config=config, progress=_grows(path)
        ),
        resource="upload '",
        local_path=path,
        says="changed while being uploaded",
        check=_changed_file_check(w, path),
    )


class _ShrinkingFile(io.RawIOBase):
    """A source wrapper: a seekable binary file object (without a file descriptor, so the engine
    reads it through ``readinto``) whose file is truncated to 1.5 MiB right after its first read."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._file = path.open("r+b")
        self.name = str(path)
        self._shrunk = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def readinto(self, buffer: Any) -> int:
        count = self._file.readinto(buffer)
        if not self._shrunk:
            self._shrunk = True
            self._file.truncate(MiB + MiB // 2)
        return count

    def close(self) -> None:
        self._file.close()
        super().close()


@case("file-shrinks-during-upload", MultipartUploadError, "upload_multipart", requests=(2, 5))
def _file_shrinks(w: World, f: Folders) -> Attempt:
    path = f.file("shrinking.bin", 3 * MiB)
    config = TransferConfig(max_workers=1)

    def call() -> object:
        with _ShrinkingFile(path) as source:
            return w.vault.upload_archive(source, threshold=MiB, part_size=MiB, config=config)

    return Attempt(
        call,
        resource="upload '",
        local_path=path,
        says="changed size while being uploaded",
        check=_changed_file_check(w, path),
    )


@case("upload-text-mode-file-object", InvalidArgumentError, "upload_archive")
def _upload_text_mode(w: World, f: Folders) -> Attempt:
    """Before: TypeError from memoryview inside the hashing."""
    path = small_file(f)

    def call() -> object:
        with open(path, encoding="latin-1") as handle:
            return w.vault.upload_archive(handle, desc="text")  # type: ignore[arg-type]

    return Attempt(call, resource=f"vault {w.vault.name!r}", local_path=path, says="text mode")


@case("upload-unopenable-file-above-threshold", LocalFileError, "upload_archive", dialect="glacier")
def _upload_unopenable(w: World, f: Folders) -> Attempt:
    """Before: Initiate Multipart Upload was sent first, leaving an orphaned upload in the vault."""
    path = f.file("locked.bin", 2 * MiB + 1)
    denied = PermissionError(13, "Permission denied", str(path))
    real_open = builtins.open

    def refusing_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if os.fspath(file) == str(path):
            raise denied
        return real_open(file, *args, **kwargs)

    def call() -> object:
        with mock.patch.object(builtins, "open", refusing_open):  # root reads mode-000 files
            return w.vault.upload_archive(path, threshold=MiB)

    return Attempt(call, resource=f"vault {w.vault.name!r}", local_path=path, says="Permission denied")


# -- destinations ----------------------------------------------------------------------------------


@case("destination-folder-missing", LocalFileError, "download_to_file")
def _dest_folder_missing(w: World, f: Folders) -> Attempt:
    target = f.dest / "no-such-folder" / "out.bin"
    return Attempt(
        lambda: w.job.download_to_file(target),
        resource=_job_resource(w),
        local_path=target,
        says="folder does not exist",
    )


@case("destination-is-a-folder", LocalFileError, "download_to_file", dialect="glacier")
def _dest_is_folder(w: World, f: Folders) -> Attempt:
    target = f.dest / "sub"
    return Attempt(
        lambda: w.job.download_to_file(target),
        resource=_job_resource(w),
        local_path=target,
        says="is a folder",
    )


@case("destination-range-into-a-folder", LocalFileError, "download_by_range")
def _dest_range_folder(w: World, f: Folders) -> Attempt:
    target = f.dest / "sub"
    return Attempt(
        lambda: w.job.download_by_range((0, MiB - 1), file_path=target),
        resource=_job_resource(w),
        local_path=target,
        says="is a folder",
    )


@case("destination-empty-path", LocalFileError, "download_to_file")
def _dest_empty(w: World, f: Folders) -> Attempt:
    """Before: the whole output was fetched, then it failed leaving a partial file in the cwd."""
    return Attempt(lambda: w.job.download_to_file(""), resource=_job_resource(w), says="path is empty")


@case("destination-is-a-fifo", LocalFileError, "download_to_file")
def _dest_fifo(w: World, f: Folders) -> Attempt:
    target = f.dest / "pipe"
    os.mkfifo(target)
    return Attempt(
        lambda: w.job.download_to_file(target),
        resource=_job_resource(w),
        local_path=target,
        says="not a regular file (it is a FIFO)",
        check=lambda _exc: _still_a_fifo(target),
    )


@case("destination-symlink-to-a-fifo", LocalFileError, "download_by_range", dialect="glacier")
def _dest_link_fifo(w: World, f: Folders) -> Attempt:
    fifo = f.dest / "pipe"
    os.mkfifo(fifo)
    link = f.dest / "link"
    link.symlink_to(fifo)
    return Attempt(
        lambda: w.job.download_by_range((0, MiB - 1), file_path=link),
        resource=_job_resource(w),
        local_path=link,
        says="not a regular file",
        check=lambda _exc: _still_a_fifo(fifo),
    )


@case("destination-is-a-device", LocalFileError, "download_to_file")
def _dest_device(w: World, f: Folders) -> Attempt:
    """Before (as root): /dev/full was replaced by a regular file and the call returned verified.

    A private node in the case's folder, never a real one under /dev (today's code replaces it).
    """
    device = f.dest / "null"
    if os.geteuid() != 0:
        pytest.skip("creating a device node needs root (the FIFO cases cover the rest)")
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    return Attempt(
        lambda: w.job.download_to_file(device),
        resource=_job_resource(w),
        local_path=device,
        says="it is a device",
        check=lambda _exc: _still_a_device(device),
    )


@case("destination-parent-is-a-file", LocalFileError, "download_to_file")
def _dest_parent_file(w: World, f: Folders) -> Attempt:
    target = f.existing / "out.bin"
    return Attempt(
        lambda: w.job.download_to_file(target),
        resource=_job_resource(w),
        local_path=target,
        says="folder is not a folder",
    )


def _still_a_fifo(path: Path) -> None:
    assert stat.S_ISFIFO(os.stat(path).st_mode)


def _still_a_device(path: Path) -> None:
    assert stat.S_ISCHR(os.stat(path).st_mode)


@case("destination-and-file-object-both", InvalidArgumentError, "download_by_range")
def _dest_both(w: World, f: Folders) -> Attempt:
    handle = io.BytesIO()
    return Attempt(
        lambda: w.job.download_by_range((0, MiB - 1), file_path=f.existing, file_obj=handle),
        resource=_job_resource(w),
        says="exactly one of file_path and file_obj",
    )


@case("chunk-size-zero", InvalidArgumentError, "download_to_file")
def _chunk_zero(w: World, f: Folders) -> Attempt:
    return Attempt(
        lambda: w.job.download_to_file(f.existing, chunk_size=0),
        resource=_job_resource(w),
        local_path=f.existing,
        says="io_chunk_size",
    )


@case("chunk-size-a-terabyte", InvalidArgumentError, "download_by_range")
def _chunk_huge(w: World, f: Folders) -> Attempt:
    """Before: a request was sent, then an empty MemoryError."""
    target = f.dest / "out.bin"
    return Attempt(
        lambda: w.job.download_by_range((0, MiB - 1), file_path=target, chunk_size=10**12),
        resource=_job_resource(w),
        local_path=target,
        says="chunk_size 1000000000000",
    )


# -- credentials and clocks ------------------------------------------------------------------------


@case("secret-key-bytes", InvalidArgumentError, "resolve_credentials")
def _secret_key_bytes(w: World, f: Folders) -> Attempt:
    """Before: AttributeError at the first request."""
    key = w.emu.secret_key.encode()
    return Attempt(
        lambda: w.client(secret_key=key), resource="argument 'secret_key'", says="must be a str, not bytes"
    )


@case("secret-id-int", InvalidArgumentError, "resolve_credentials", dialect="glacier")
def _secret_id_int(w: World, f: Folders) -> Attempt:
    return Attempt(
        lambda: w.client(secret_id=1250000000), resource="", says="secret_id must be a str, not int"
    )


@case("wrong-secret-key", InvalidSignatureException, "describe_vault", requests=exactly(1))
def _wrong_key(w: World, f: Folders) -> Attempt:
    api = w.client(secret_key="not-the-secret-key")
    return Attempt(lambda: Vault.get_vault_by_name(api, w.vault.name), resource=f"vault {w.vault.name!r}")


@case(
    "wrong-secret-key-upload",
    InvalidSignatureException,
    "upload_archive",
    requests=exactly(1),
    dialect="glacier",
)
def _wrong_key_upload(w: World, f: Folders) -> Attempt:
    path = small_file(f)
    vault = local_vault(w.client(secret_key="not-the-secret-key"), w.vault.name)
    return Attempt(
        lambda: vault.upload_archive(path),
        resource=f"vault {w.vault.name!r}",
        local_path=path,
        says="HTTP 403",
    )


@case("unknown-secret-id", UnrecognizedClientException, "list_vaults", requests=exactly(1))
def _unknown_id(w: World, f: Folders) -> Attempt:
    api = w.client(secret_id="AKIDnobodyknowsthisone", secret_key="whatever")
    return Attempt(lambda: Vault.list_all_vaults(api), resource="vaults of account")


@case("clock-one-hour-ahead", InvalidSignatureException, "describe_vault", requests=exactly(1))
def _clock_ahead(w: World, f: Folders) -> Attempt:
    api = w.client(clock=lambda: time.time() + 3600)
    return Attempt(lambda: Vault.get_vault_by_name(api, w.vault.name), resource=f"vault {w.vault.name!r}")


@case(
    "clock-one-hour-behind", InvalidSignatureException, "describe_job", requests=exactly(1), dialect="glacier"
)
def _clock_behind(w: World, f: Folders) -> Attempt:
    vault = local_vault(w.client(clock=lambda: time.time() - 3600), w.vault.name)
    return Attempt(
        lambda: vault.get_job(w.job.id),
        resource=f"job {w.job.id!r} in vault {w.vault.name!r}",
        says="expired",
    )


# -- jobs ------------------------------------------------------------------------------------------


@case("job-not-ready-block-false", JobNotReadyError, "download_to_file", requests=exactly(1))
def _job_not_ready(w: World, f: Folders) -> Attempt:
    archive_id = w.slow_api.upload_archive(w.slow_vault.name, b"not ready yet")[w.h("archive-id")]
    job = w.slow_vault.retrieve_archive(archive_id)
    return Attempt(
        lambda: job.download_to_file(f.existing, block=False),
        resource=f"job {job.id!r} in vault {w.slow_vault.name!r}",
        local_path=f.existing,
        says="InProgress",
    )


@case("job-failed-archive-deleted-while-running", JobFailedError, "download_to_file", requests=exactly(1))
def _job_failed(w: World, f: Folders) -> Attempt:
    """A slow emulator (nonzero job_delay_scale): the archive is deleted while the job runs."""
    archive_id = w.slow_api.upload_archive(w.slow_vault.name, b"soon gone")[w.h("archive-id")]
    job = w.slow_vault.retrieve_archive(archive_id)
    assert job.status_code == "InProgress"
    w.slow_vault.delete_archive(archive_id)
    w.slow.finish_jobs()
    return Attempt(
        lambda: job.download_to_file(f.existing),  # block=True: waits, sees Failed, stops
        resource=f"job {job.id!r} in vault {w.slow_vault.name!r}",
        local_path=f.existing,
        says="was deleted before the job completed",
    )


@case("archive-deleted-then-retrieved", JobFailedError, "wait", requests=exactly(0), dialect="glacier")
def _archive_deleted_retrieved(w: World, f: Folders) -> Attempt:
    archive_id = w.api.upload_archive(w.vault.name, b"short-lived")[w.h("archive-id")]
    w.vault.delete_archive(archive_id)
    job = w.vault.retrieve_archive(archive_id)  # accepted; fails at once
    return Attempt(
        lambda: job.wait(timeout=5), resource=f"job {job.id!r}", says="was deleted before the job completed"
    )


@case("archive-deleted-twice", ResourceNotFoundException, "delete_archive", requests=exactly(1))
def _archive_deleted_twice(w: World, f: Folders) -> Attempt:
    archive_id = w.api.upload_archive(w.vault.name, b"delete me")[w.h("archive-id")]
    w.vault.delete_archive(archive_id)
    return Attempt(
        lambda: w.vault.delete_archive(archive_id),
        resource=f"archive {archive_id!r} in vault {w.vault.name!r}",
    )


@case("cos-job-has-no-output", DownloadArchiveError, "download_to_file")
def _cos_job(w: World, f: Folders) -> Attempt:
    job = w.vault.push_archive_to_cos(w.archive_id, "bucket-1250000000.cos.ap-guangzhou.myqcloud.com", "obj")
    return Attempt(
        lambda: job.download_to_file(f.existing),
        resource=f"job {job.id!r}",
        local_path=f.existing,
        says="has no output to download",
    )


@case("inventory-of-a-retrieval-job", InvalidArgumentError, "inventory")
def _inventory_of_retrieval(w: World, f: Folders) -> Attempt:
    return Attempt(w.job.inventory, resource=_job_resource(w), says="only inventory-retrieval jobs")


@case("job-type-not-in-glacier", InvalidArgumentError, "initiate_job", dialect="glacier")
def _glacier_cos(w: World, f: Folders) -> Attempt:
    return Attempt(
        lambda: w.vault.push_archive_to_cos(w.archive_id, "bucket", "object"),
        resource=f"vault {w.vault.name!r}",
        says="not offered by glacier",
    )


@case("tier-unknown", InvalidArgumentError, "initiate_job")
def _tier(w: World, f: Folders) -> Attempt:
    return Attempt(
        lambda: w.vault.retrieve_archive(w.archive_id, tier="Instant"),
        resource=f"vault {w.vault.name!r}",
        says="invalid tier 'Instant'",
    )


@case("complete-with-no-parts", InvalidArgumentError, "complete_multipart_upload", requests=exactly(0))
def _complete_nothing(w: World, f: Folders) -> Attempt:
    path = f.file("big.bin", 2 * MiB)
    upload = w.vault.initiate_multipart_upload(path, part_size=MiB)
    return Attempt(upload.complete, resource=f"upload {upload.id!r}", local_path=path, says="0 of 2 parts")


@case("tags-empty", InvalidArgumentError, "add_tags_to_vault")
def _tags_empty(w: World, f: Folders) -> Attempt:
    return Attempt(lambda: w.vault.add_tags({}), resource=f"vault {w.vault.name!r}", says="non-empty dict")


# -- unknown ids and path-like ids -----------------------------------------------------------------


@case("unknown-vault", ResourceNotFoundException, "describe_vault", requests=exactly(1))
def _unknown_vault(w: World, f: Folders) -> Attempt:
    return Attempt(lambda: Vault.get_vault_by_name(w.api, "no-such-vault"), resource="vault 'no-such-vault'")


@case(
    "unknown-vault-upload",
    ResourceNotFoundException,
    "upload_archive",
    requests=exactly(1),
    dialect="glacier",
)
def _unknown_vault_upload(w: World, f: Folders) -> Attempt:
    path = small_file(f)
    return Attempt(
        lambda: local_vault(w.api, "no-such-vault").upload_archive(path),
        resource="vault 'no-such-vault'",
        local_path=path,
    )


@case("unknown-upload-id", ResourceNotFoundException, "list_parts", requests=exactly(1))
def _unknown_upload(w: World, f: Folders) -> Attempt:
    return Attempt(
        lambda: w.vault.get_multipart_uploader("no-such-upload"),
        resource=f"upload 'no-such-upload' in vault {w.vault.name!r}",
    )


@case("unknown-job-id", ResourceNotFoundException, "describe_job", requests=exactly(1), dialect="glacier")
def _unknown_job(w: World, f: Folders) -> Attempt:
    return Attempt(
        lambda: w.vault.get_job("no-such-job"), resource=f"job 'no-such-job' in vault {w.vault.name!r}"
    )


@case("unknown-archive-id", ResourceNotFoundException, "initiate_job", requests=exactly(1))
def _unknown_archive(w: World, f: Folders) -> Attempt:
    return Attempt(
        lambda: w.vault.retrieve_archive("no-such-archive"),
        resource=f"vault {w.vault.name!r}",
        says="no-such-archive",
    )


def _bad_id_case(kind: str, ident: str) -> Prepare:
    def prepare(w: World, f: Folders) -> Attempt:
        calls = {
            "job": lambda: w.vault.get_job(ident),
            "archive": lambda: w.vault.delete_archive(ident),
            "upload": lambda: w.vault.get_multipart_uploader(ident),
        }
        return Attempt(calls[kind], resource=f"vault {w.vault.name!r}", says=f"invalid {kind} id {ident!r}")

    return prepare


case("job-id-dot", InvalidArgumentError, "describe_job")(_bad_id_case("job", "."))
case("job-id-dotdot", InvalidArgumentError, "describe_job", dialect="glacier")(_bad_id_case("job", ".."))
case("archive-id-dotdot", InvalidArgumentError, "delete_archive")(_bad_id_case("archive", ".."))
case("upload-id-with-slash", InvalidArgumentError, "list_parts")(_bad_id_case("upload", "../x"))
case("archive-id-percent-encoded-dots", InvalidArgumentError, "delete_archive")(
    _bad_id_case("archive", "%2e%2e")
)


@case("server-sent-job-id-with-path", InvalidArgumentError, "download_to_file")
def _server_job_id_path(w: World, f: Folders) -> Attempt:
    """A job id from a (hostile) listing that would climb out of the path is never sent, and no
    partial file is prepared for it."""
    job = finished_job(w.vault, w.archive_data, job_id="../../../vaults/x")
    return Attempt(
        lambda: job.download_to_file(f.existing),
        resource=f"job '../../../vaults/x' in vault {w.vault.name!r}",
        local_path=f.existing,
        says="invalid job id",
    )


# -- servers that misbehave ------------------------------------------------------------------------


def _text_error(seen: Seen) -> Reply:
    return Reply(400, {"Content-Type": "text/plain"}, b"Bad Request: something went wrong upstream")


def _html_error(seen: Seen) -> Reply:
    html = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
    return Reply(502, {"Content-Type": "text/html"}, html)


def _html_as_json(seen: Seen) -> Reply:
    return Reply(200, {"Content-Type": "application/json"}, b"<html><body>maintenance</body></html>")


def _server_error_check(status: int, snippet: str) -> Callable[[Any], None]:
    def check(exc: Any) -> None:
        assert exc.status == status
        assert (exc.code, exc.message, exc.type) == (None, None, None)
        assert snippet in str(exc)  # the unexpected body is shown, briefly

    return check


@case("server-plain-text-error", CASServerError, "describe_vault", requests=exactly(1))
def _server_text(w: World, f: Folders) -> Attempt:
    api = w.fake(_text_error)
    return Attempt(
        lambda: Vault.get_vault_by_name(api, "v1"),
        resource="vault 'v1'",
        check=_server_error_check(400, "something went wrong upstream"),
    )


@case(
    "server-html-error-after-retries", CASServerError, "describe_job", requests=exactly(2), dialect="glacier"
)
def _server_html(w: World, f: Folders) -> Attempt:
    api = w.fake(_html_error)
    return Attempt(
        lambda: local_vault(api).get_job("job-1"),
        resource="job 'job-1' in vault 'v1'",
        check=_server_error_check(502, "502 Bad Gateway"),
    )


@case("server-html-error-on-job-output", CASServerError, "get_job_output", requests=exactly(4))
def _server_html_output(w: World, f: Folders) -> Attempt:
    """Transport retries (2 attempts) inside the engine's retries (2 per piece): 4 requests at most."""
    api = w.fake(_html_error)
    job = finished_job(local_vault(api), pattern(MiB))
    return Attempt(
        lambda: job.download_to_file(f.existing, config=QUICK),
        resource="job 'job-1' in vault 'v1'",
        local_path=f.existing,
        dest=f.existing,
        check=_server_error_check(502, "502 Bad Gateway"),
    )


@case("server-html-labelled-json", BadResponseError, "describe_vault", requests=exactly(1))
def _server_html_json(w: World, f: Folders) -> Attempt:
    api = w.fake(_html_as_json)
    return Attempt(lambda: Vault.get_vault_by_name(api, "v1"), resource="vault 'v1'", says="not valid JSON")


@case("wrong-content-range", BadResponseError, "download", requests=exactly(2))
def _wrong_content_range(w: World, f: Folders) -> Attempt:
    data = pattern(MiB + 17)
    api = w.fake(job_output(data, content_range=lambda s, e, n: f"bytes {s + 1}-{e}/{n}"))
    job = finished_job(local_vault(api), data)
    return Attempt(
        lambda: job.download_to_file(f.existing, config=QUICK),
        resource="job 'job-1' in vault 'v1'",
        local_path=f.existing,
        dest=f.existing,
        says="Content-Range",
    )


@case(
    "wrong-content-range-in-window",
    BadResponseError,
    "download_by_range",
    requests=exactly(2),
    dialect="glacier",
)
def _wrong_content_range_window(w: World, f: Folders) -> Attempt:
    """A window of the output: the adapter checks the server's range before shifting it."""
    data = pattern(2 * MiB + 17)
    api = w.fake(
        job_output(
            data,
            tree_hash_header="x-amz-sha256-tree-hash",
            content_range=lambda s, e, n: f"bytes 0-{e - s}/{n}",
        )
    )
    job = finished_job(local_vault(api), data)
    return Attempt(
        lambda: job.download_by_range((MiB, 2 * MiB - 1), file_path=f.existing, config=QUICK),
        resource="job 'job-1' in vault 'v1'",
        local_path=f.existing,
        dest=f.existing,
        says="Content-Range",
    )


@case("truncated-body-correct-length", BadResponseError, "get_job_output", requests=exactly(2))
def _truncated_output(w: World, f: Folders) -> Attempt:
    w.emu.faults.cut_after(1000, count=None, operation="GetJobOutput")
    return Attempt(
        lambda: w.job.download_to_file(f.existing, config=QUICK),
        resource=_job_resource(w),
        local_path=f.existing,
        dest=f.existing,
        says="ended",
    )


@case("truncated-json-body", BadResponseError, "list_vaults", requests=exactly(2), dialect="glacier")
def _truncated_json(w: World, f: Folders) -> Attempt:
    w.emu.faults.cut_after(5, count=None, operation="ListVaults")
    api = w.client()
    return Attempt(lambda: Vault.list_all_vaults(api), resource="vaults of account", says="ended")


@case("tree-hash-header-mismatch", HashDoesNotMatchError, "download", requests=exactly(2))
def _tree_hash_mismatch(w: World, f: Folders) -> Attempt:
    data = pattern(MiB + 17)
    api = w.fake(job_output(data, wrong_tree_hash=True))
    job = finished_job(local_vault(api), data)

    def check(exc: Any) -> None:
        assert exc.expected is not None
        assert exc.actual not in (None, exc.expected)

    return Attempt(
        lambda: job.download_to_file(f.existing, config=QUICK),
        resource="job 'job-1' in vault 'v1'",
        local_path=f.existing,
        dest=f.existing,
        says="tree hash",
        check=check,
    )


@case(
    "tree-hash-header-mismatch-new-file",
    HashDoesNotMatchError,
    "download",
    requests=exactly(2),
    dialect="glacier",
)
def _tree_hash_mismatch_new(w: World, f: Folders) -> Attempt:
    data = pattern(MiB)
    api = w.fake(job_output(data, tree_hash_header="x-amz-sha256-tree-hash", wrong_tree_hash=True))
    job = finished_job(local_vault(api), data)
    target = f.dest / "new.bin"
    return Attempt(
        lambda: job.download_to_file(target, config=QUICK),
        resource="job 'job-1' in vault 'v1'",
        local_path=target,
        dest=target,
        says="tree hash",
    )


# -- buckets: names ----------------------------------------------------------------------------------
#
# The bucket rows run in the "s3" and "cos" worlds (``BucketWorld``): one bucket holding
# ``OBJECT_KEY`` (3 MiB + 100 bytes) per dialect, on an emulator of its own.


def _object(b: BucketWorld, key: str = OBJECT_KEY, bucket: Optional[str] = None) -> str:
    return f"object {key!r} in bucket {bucket or b.bucket.name!r}"


@case("bucket-name-too-short", InvalidBucketNameError, "create_bucket", dialect="s3")
def _bucket_short(b: BucketWorld, f: Folders) -> Attempt:
    return Attempt(lambda: Bucket.create(b.api, "ab"), resource="bucket 'ab'", says="3-63 characters")


@case("bucket-name-64-chars", InvalidBucketNameError, "head_bucket", dialect="s3")
def _bucket_long(b: BucketWorld, f: Folders) -> Attempt:
    name = "b" * 64
    return Attempt(lambda: Bucket.get_bucket(b.api, name), resource=f"bucket {name!r}", says="3-63")


@case("bucket-name-uppercase", InvalidBucketNameError, "list_objects", dialect="s3")
def _bucket_upper(b: BucketWorld, f: Folders) -> Attempt:
    return Attempt(lambda: list(Bucket(b.api, "MyBucket").objects()), resource="bucket 'MyBucket'")


@case("bucket-name-underscore-on-upload", InvalidBucketNameError, "upload_file", dialect="s3")
def _bucket_underscore(b: BucketWorld, f: Folders) -> Attempt:
    path = small_file(f)
    return Attempt(
        lambda: Bucket(b.api, "my_bucket").upload_file(path, "k"),
        resource="bucket 'my_bucket'",
        local_path=path,
    )


@case("bucket-name-like-an-ip-address", InvalidBucketNameError, "create_bucket", dialect="s3")
def _bucket_ip(b: BucketWorld, f: Folders) -> Attempt:
    return Attempt(
        lambda: Bucket.create(b.api, "192.168.5.4"), resource="bucket '192.168.5.4'", says="IP address"
    )


@case("bucket-name-xn-prefix", InvalidBucketNameError, "create_bucket", dialect="s3")
def _bucket_xn(b: BucketWorld, f: Folders) -> Attempt:
    return Attempt(lambda: Bucket.create(b.api, "xn--data"), resource="bucket 'xn--data'", says="'xn--'")


@case("bucket-name-s3alias-suffix", InvalidBucketNameError, "delete_bucket", dialect="s3")
def _bucket_alias(b: BucketWorld, f: Folders) -> Attempt:
    return Attempt(
        lambda: b.api.delete_bucket("data-s3alias"), resource="bucket 'data-s3alias'", says="'-s3alias'"
    )


@case("bucket-name-without-appid", InvalidBucketNameError, "download_file", dialect="cos")
def _bucket_no_appid(b: BucketWorld, f: Folders) -> Attempt:
    target = f.dest / "out.bin"
    return Attempt(
        lambda: Bucket(b.api, "mybucket").download_file(OBJECT_KEY, target),
        resource="bucket 'mybucket'",
        local_path=target,
        says="'<name>-<appid>'",
    )


@case("bucket-name-wrong-appid", InvalidBucketNameError, "upload_file", dialect="cos")
def _bucket_wrong_appid(b: BucketWorld, f: Folders) -> Attempt:
    path = small_file(f)
    name = "bad-inputs-1250000000"
    return Attempt(
        lambda: Bucket(b.api, name).upload_file(path, "k"),
        resource=f"bucket {name!r}",
        local_path=path,
        says="belongs to appid 1250000000",
    )


# -- buckets: keys -----------------------------------------------------------------------------------


@case("key-empty-on-upload", InvalidObjectKeyError, "upload_file", dialect="s3")
def _key_empty(b: BucketWorld, f: Folders) -> Attempt:
    path = small_file(f)
    return Attempt(
        lambda: b.bucket.upload_file(path, ""), resource=_object(b, ""), local_path=path, says="non-empty"
    )


@case("key-1025-bytes-s3", InvalidObjectKeyError, "put_object", dialect="s3")
def _key_long_s3(b: BucketWorld, f: Folders) -> Attempt:
    key = "k" * 1025
    return Attempt(lambda: b.bucket.put(key, b"x"), resource=_object(b, key), says="1025 bytes")


@case("key-851-bytes-cos", InvalidObjectKeyError, "download_file", dialect="cos")
def _key_long_cos(b: BucketWorld, f: Folders) -> Attempt:
    """850 bytes is COS's limit; here 426 two-byte characters make 852."""
    key = "é" * 426
    target = f.dest / "out.bin"
    return Attempt(
        lambda: b.bucket.download_file(key, target),
        resource=_object(b, key),
        local_path=target,
        says="852 bytes in UTF-8; at most 850",
    )


@case("key-lone-surrogate", InvalidObjectKeyError, "head_object", dialect="s3")
def _key_surrogate(b: BucketWorld, f: Folders) -> Attempt:
    key = "a\udc80b"
    return Attempt(lambda: b.bucket.head(key), resource=_object(b, key), says="lone surrogate")


@case("key-lone-surrogate-on-upload", InvalidObjectKeyError, "upload_file", dialect="cos")
def _key_surrogate_upload(b: BucketWorld, f: Folders) -> Attempt:
    key = "\ud800.bin"
    path = small_file(f)
    return Attempt(
        lambda: b.bucket.upload_file(path, key), resource=_object(b, key), local_path=path, says="surrogate"
    )


@case("key-dot-dot-segment", InvalidObjectKeyError, "get_object", dialect="s3")
def _key_dotdot(b: BucketWorld, f: Folders) -> Attempt:
    key = "data/../object.bin"
    return Attempt(lambda: b.bucket.get_bytes(key), resource=_object(b, key), says="'..' path segment")


# -- buckets: ranges ---------------------------------------------------------------------------------


@case("object-range-negative", InvalidByteRangeError, "get_object", dialect="s3")
def _obj_range_negative(b: BucketWorld, f: Folders) -> Attempt:
    return Attempt(
        lambda: b.bucket.get_bytes(OBJECT_KEY, (-1, 10)), resource=_object(b), says="must not be negative"
    )


@case("object-range-reversed", InvalidByteRangeError, "iter_bytes", dialect="cos")
def _obj_range_reversed(b: BucketWorld, f: Folders) -> Attempt:
    """Before: a HEAD was sent first, and the error named neither the object nor iter_bytes."""
    return Attempt(
        lambda: list(b.bucket.iter_bytes(OBJECT_KEY, (10, 5))), resource=_object(b), says="end is before"
    )


@case("object-range-suffix-of-zero", InvalidByteRangeError, "get_object", dialect="cos")
def _obj_range_suffix_zero(b: BucketWorld, f: Folders) -> Attempt:
    return Attempt(lambda: b.bucket.get_bytes(OBJECT_KEY, "-0"), resource=_object(b), says="at least 1 byte")


@case(
    "object-range-past-the-end-streamed",
    InvalidByteRangeError,
    "iter_bytes",
    requests=exactly(1),
    dialect="s3",
)
def _obj_range_past_stream(b: BucketWorld, f: Folders) -> Attempt:
    """The size is known only after the HEAD: one request, then refused before any GET."""
    return Attempt(
        lambda: list(b.bucket.iter_bytes(OBJECT_KEY, (OBJECT_SIZE, OBJECT_SIZE + 10))),
        resource=_object(b),
        says=f"ends past the last byte (size {OBJECT_SIZE}",
    )


@case("object-range-past-the-end", InvalidRange, "get_object", requests=exactly(1), dialect="cos")
def _obj_range_past(b: BucketWorld, f: Folders) -> Attempt:
    """A single GET does not know the size: the service's 416, typed."""
    return Attempt(
        lambda: b.bucket.get_bytes(OBJECT_KEY, (OBJECT_SIZE, OBJECT_SIZE + 10)),
        resource=_object(b),
        says="HTTP 416",
    )


# -- buckets: part sizes -----------------------------------------------------------------------------


def _bucket_part_case(part_size: int, says: str, size: int = 6 * MiB + 1) -> Prepare:
    def prepare(b: BucketWorld, f: Folders) -> Attempt:
        path = f.file("big.bin", size)
        return Attempt(
            lambda: b.bucket.upload_file(path, "big.bin", part_size=part_size, threshold=MiB),
            resource=_object(b, "big.bin"),
            local_path=path,
            says=says,
        )

    return prepare


case("part-size-below-5MiB-s3", InvalidPartSizeError, "upload_file", dialect="s3")(
    _bucket_part_case(5 * MiB - 1, f"(5 MiB..5 GiB), got {5 * MiB - 1}")
)
case("part-size-below-1MiB-cos", InvalidPartSizeError, "upload_file", dialect="cos")(
    _bucket_part_case(MiB - 1, f"(1 MiB..5 GiB), got {MiB - 1}")
)
case("part-size-above-5GiB", InvalidPartSizeError, "upload_file", dialect="s3")(
    _bucket_part_case(5 * 1024 * MiB + 1, f"got {5 * 1024 * MiB + 1}")
)


def _part_checksum_case(checksum: str, says: str) -> Prepare:
    def prepare(b: BucketWorld, f: Folders) -> Attempt:
        path = f.file("big.bin", 6 * MiB + 1)
        return Attempt(
            lambda: b.bucket.upload_file(path, "big.bin", part_checksum=checksum, threshold=MiB),
            resource=_object(b, "big.bin"),
            local_path=path,
            says=says,
        )

    return prepare


case("part-checksum-md5-on-s3", InvalidArgumentError, "upload_file", dialect="s3")(
    _part_checksum_case("md5", "part_checksum must be one of 'crc32', 'sha256' on s3, got 'md5'")
)
case("part-checksum-crc32-on-cos", InvalidArgumentError, "upload_file", dialect="cos")(
    _part_checksum_case("crc32", "part_checksum must be one of 'md5' on cos, got 'crc32'")
)


@case("parts-more-than-10000", InvalidPartSizeError, "upload_file", dialect="cos")
def _too_many_parts(b: BucketWorld, f: Folders) -> Attempt:
    """A sparse 10 GiB file in 1 MiB parts: 10,240 parts (nothing is read before the refusal)."""
    path = f.src / "sparse.bin"
    with path.open("wb") as handle:
        handle.truncate(10 * 1024 * MiB)
    return Attempt(
        lambda: b.bucket.upload_file(path, "sparse.bin", part_size=MiB),
        resource=_object(b, "sparse.bin"),
        local_path=path,
        says="need more than 10000 parts",
    )


@case("part-number-10001", InvalidArgumentError, "upload_part", dialect="s3")
def _part_number(b: BucketWorld, f: Folders) -> Attempt:
    return Attempt(
        lambda: b.api.upload_part(b.bucket.name, "k", "upload-1", 10001, b"x"),
        resource=_object(b, "k"),
        says="from 1 to 10000, got 10001",
    )


# -- buckets: local files ----------------------------------------------------------------------------


@case("object-file-missing", LocalFileError, "upload_file", dialect="s3")
def _obj_file_missing(b: BucketWorld, f: Folders) -> Attempt:
    path = f.src / "no-such-file.bin"
    return Attempt(
        lambda: b.bucket.upload_file(path, "k"),
        resource=_object(b, "k"),
        local_path=path,
        says="No such file or directory",
    )


@case("object-file-is-a-directory", LocalFileError, "upload_file", dialect="cos")
def _obj_file_dir(b: BucketWorld, f: Folders) -> Attempt:
    return Attempt(
        lambda: b.bucket.upload_file(f.src, "k"),
        resource=_object(b, "k"),
        local_path=f.src,
        says="not a regular file",
    )


@case("object-text-mode-file-object", InvalidArgumentError, "upload_file", dialect="s3")
def _obj_text_mode(b: BucketWorld, f: Folders) -> Attempt:
    """Before: the bytes under the text wrapper were uploaded as if it were binary."""
    path = small_file(f)

    def call() -> object:
        with open(path, encoding="latin-1") as handle:
            return b.bucket.upload_file(handle, "k")  # type: ignore[arg-type]

    return Attempt(call, resource=_object(b, "k"), local_path=path, says="text mode")


@case("object-pipe-without-size", InvalidArgumentError, "upload_file", dialect="cos")
def _obj_pipe(b: BucketWorld, f: Folders) -> Attempt:
    """Before: the error named neither upload_file nor the object."""
    read_end, write_end = os.pipe()
    os.write(write_end, b"streamed bytes")
    os.close(write_end)

    def call() -> object:
        with os.fdopen(read_end, "rb") as pipe:
            return b.bucket.upload_file(pipe, "k")

    return Attempt(call, resource=_object(b, "k"), says="its size is given")


# -- buckets: destinations ---------------------------------------------------------------------------


@case("object-destination-folder-missing", LocalFileError, "download_file", dialect="s3")
def _obj_dest_missing(b: BucketWorld, f: Folders) -> Attempt:
    """Before: a HEAD was sent first, and the error named neither download_file nor the object."""
    target = f.dest / "no-such-folder" / "out.bin"
    return Attempt(
        lambda: b.bucket.download_file(OBJECT_KEY, target),
        resource=_object(b),
        local_path=target,
        says="folder does not exist",
    )


@case("object-destination-is-a-folder", LocalFileError, "download_file", dialect="cos")
def _obj_dest_folder(b: BucketWorld, f: Folders) -> Attempt:
    target = f.dest / "sub"
    return Attempt(
        lambda: b.bucket.download_file(OBJECT_KEY, target),
        resource=_object(b),
        local_path=target,
        says="is a folder",
    )


@case("object-destination-is-a-fifo", LocalFileError, "download_file", dialect="s3")
def _obj_dest_fifo(b: BucketWorld, f: Folders) -> Attempt:
    target = f.dest / "pipe"
    os.mkfifo(target)
    return Attempt(
        lambda: b.bucket.download_file(OBJECT_KEY, target),
        resource=_object(b),
        local_path=target,
        says="FIFO",
        check=lambda _exc: _still_a_fifo(target),
    )


# -- buckets: credentials and missing objects --------------------------------------------------------


@case("object-wrong-secret-key", SignatureDoesNotMatch, "get_object", requests=exactly(1), dialect="s3")
def _obj_wrong_key(b: BucketWorld, f: Folders) -> Attempt:
    bucket = b.other(b.client(secret_key="not-the-secret-key"))
    return Attempt(lambda: bucket.get_bytes(OBJECT_KEY), resource=_object(b), says="HTTP 403")


@case(
    "object-wrong-secret-key-upload", SignatureDoesNotMatch, "put_object", requests=exactly(1), dialect="cos"
)
def _obj_wrong_key_upload(b: BucketWorld, f: Folders) -> Attempt:
    path = small_file(f)
    bucket = b.other(b.client(secret_key="not-the-secret-key"))
    return Attempt(
        lambda: bucket.upload_file(path, "k"), resource=_object(b, "k"), local_path=path, says="HTTP 403"
    )


@case("object-wrong-secret-key-download", Forbidden, "head_object", requests=exactly(1), dialect="s3")
def _obj_wrong_key_download(b: BucketWorld, f: Folders) -> Attempt:
    """A HEAD answer has no body, so only its status can be told: Forbidden, not the code."""
    target = f.dest / "out.bin"
    bucket = b.other(b.client(secret_key="not-the-secret-key"))
    return Attempt(lambda: bucket.download_file(OBJECT_KEY, target), resource=_object(b), local_path=target)


@case("object-missing-download", NoSuchKey, "head_object", requests=exactly(1), dialect="cos")
def _obj_missing(b: BucketWorld, f: Folders) -> Attempt:
    target = f.dest / "out.bin"
    return Attempt(
        lambda: b.bucket.download_file("no/such/key", target),
        resource=_object(b, "no/such/key"),
        local_path=target,
    )


# -- buckets: objects that change or arrive corrupted ------------------------------------------------


def _replaced_mid_download(b: BucketWorld, f: Folders) -> Attempt:
    """The object is replaced after the first piece arrived: the next range, pinned with If-Match
    to the ETag the download began with, is refused (412): HEAD, 1-2 GETs (a body replaced while
    it is sent may break and be asked again), the replacing PUT, the refused GET."""
    key = "moving.bin"
    b.bucket.put(key, pattern(OBJECT_SIZE, seed=21))
    replaced: List[object] = []

    def replace_once(event: ProgressEvent) -> None:
        if not replaced and event.done:
            replaced.append(b.bucket.put(key, b"version 2"))

    one_by_one = TransferConfig(
        max_workers=1,
        piece_size=MiB,
        max_request_size=MiB,
        progress_interval=0,
        retry_policy=QUICK.retry_policy,
    )
    target = f.dest / "moving.out"
    return Attempt(
        lambda: b.bucket.download_file(key, target, config=one_by_one, progress=replace_once),
        resource=_object(b, key),
        local_path=target,
        dest=target,
        says="changed since the download began",
    )


case("object-replaced-mid-download-s3", PreconditionFailed, "download_file", requests=(4, 6), dialect="s3")(
    _replaced_mid_download
)
case("object-replaced-mid-download-cos", PreconditionFailed, "download_file", requests=(4, 6), dialect="cos")(
    _replaced_mid_download
)


@case("object-body-corrupted", HashDoesNotMatchError, "download", requests=exactly(3), dialect="s3")
def _obj_corrupted(b: BucketWorld, f: Folders) -> Attempt:
    """A server whose bodies differ from the SHA-256 it describes: HEAD, the range, the range once
    more (fetched again before giving up); no file is left, not even a partial one."""
    data = pattern(MiB + 17)
    bucket = b.fake(stored_object(data, corrupt=True))
    target = f.dest / "corrupt.bin"

    def check(exc: Any) -> None:
        assert exc.expected == hashlib.sha256(data).hexdigest()
        assert exc.actual not in (None, exc.expected)

    return Attempt(
        lambda: bucket.download_file("corrupt.bin", target, config=QUICK),
        resource=_object(b, "corrupt.bin"),
        local_path=target,
        says="do not match the source's SHA-256",
        check=check,
    )


@case("object-stored-digest-mismatch", HashDoesNotMatchError, "download", requests=exactly(3), dialect="cos")
def _obj_digest_mismatch(b: BucketWorld, f: Folders) -> Attempt:
    """An object whose stored ``sha256`` metadata is not its bytes' (written by another tool)."""
    key = "mislabelled.bin"
    b.bucket.put(key, pattern(2 * MiB), metadata={"sha256": "0" * 64})
    target = f.dest / "mislabelled.bin"
    return Attempt(
        lambda: b.bucket.download_file(key, target, config=QUICK),
        resource=_object(b, key),
        local_path=target,
        says="expected " + "0" * 64,
    )


# -- PARs: tampered, wrongly opened, expired, used beyond their permissions (all local) ------------

PAR_PASSPHRASE = "par passphrase for the bad-input table"


def _par(b: BucketWorld, *, readable: bool = True, writeable: bool = False, encrypt_key: Any = None) -> PAR:
    return create_par(
        b.bucket,
        OBJECT_KEY,
        readable=readable,
        writeable=writeable,
        duration=600,
        encrypt_key=encrypt_key if encrypt_key is not None else b.par_pair,
    )


def _secret_free(exc: Any) -> None:
    assert PAR_PASSPHRASE not in str(exc) + repr(exc)
    assert "X-Amz-Signature" not in str(exc) + repr(exc)
    assert "q-signature" not in str(exc) + repr(exc)


@case("par-tampered-json", PARTamperedError, "verify", dialect="s3")
def _par_tampered(b: BucketWorld, f: Folders) -> Attempt:
    par = _par(b)
    data = par.to_data()
    data["perms"] = ["read", "write"]
    edited = PAR.from_data(data)
    return Attempt(lambda: edited.verify(b.par_pair), resource=f"PAR {par.uid}", check=_secret_free)


@case("par-wrong-key", PARKeyError, "verify", dialect="cos")
def _par_wrong_key(b: BucketWorld, f: Folders) -> Attempt:
    par = _par(b)
    other = PARKeyPair.generate()
    return Attempt(
        lambda: par.verify(other), resource=f"PAR {par.uid}", says="another key", check=_secret_free
    )


@case("par-wrong-passphrase", PARPassphraseError, "verify", dialect="s3")
def _par_wrong_passphrase(b: BucketWorld, f: Folders) -> Attempt:
    par = _par(b, encrypt_key=Passphrase(PAR_PASSPHRASE))
    wrong = Passphrase("not the passphrase it was sealed with")
    return Attempt(lambda: par.verify(wrong), resource=f"PAR {par.uid}", check=_secret_free)


@case("par-expired", PARTimeoutError, "get_object_as_file", dialect="s3")
def _par_expired(b: BucketWorld, f: Folders) -> Attempt:
    par = _par(b)
    late = PAR.from_data(par.to_data(), clock=lambda: par.expires_at.timestamp() + 1)  # type: ignore[union-attr]
    dest = f.dest / "par.bin"
    reader = ObjectReader(late, b.par_pair)
    return Attempt(lambda: reader.get_object_as_file(dest), resource=f"PAR {par.uid}", says="expires")


@case("par-read-on-write-only", PARPermissionsError, "get_object_as_file", dialect="cos")
def _par_read_on_write(b: BucketWorld, f: Folders) -> Attempt:
    par = _par(b, readable=False, writeable=True)
    dest = f.dest / "par.bin"
    reader = ObjectReader(par, b.par_pair)
    return Attempt(lambda: reader.get_object_as_file(dest), resource=f"PAR {par.uid}", says="read")


@case("par-write-on-read-only", PARPermissionsError, "set_object_from_file", dialect="s3")
def _par_write_on_read(b: BucketWorld, f: Folders) -> Attempt:
    par = _par(b)
    path = small_file(f)
    writer = ObjectWriter(par, b.par_pair)
    return Attempt(lambda: writer.set_object_from_file(path), resource=f"PAR {par.uid}", says="write")


@case("par-traversal-key", InvalidObjectKeyError, "create_par", dialect="s3")
def _par_traversal(b: BucketWorld, f: Folders) -> Attempt:
    return Attempt(
        lambda: create_par(b.bucket, "a/../../etc/passwd", readable=True, encrypt_key=b.par_pair),
        resource="key 'a/../../etc/passwd'",
        says="'..'",
    )


# -- the table -------------------------------------------------------------------------------------


# -- ReductStore: names, timestamps, labels, bodies, batches, queries (all refused before sending) --


def _records(w: ReductWorld, records: int) -> ReductBatch:
    batch = ReductBatch()
    for index in range(records):
        batch.add(REDUCT_TS + 1 + index, b"x")
    return batch


@case("reduct-bucket-name-with-space", InvalidNameError, "create_bucket", dialect="reduct")
def _reduct_bucket_space(w: ReductWorld, f: Folders) -> Attempt:
    return Attempt(lambda: w.client.create_bucket("my bucket"), resource="bucket 'my bucket'")


@case("reduct-bucket-name-dollar", InvalidNameError, "get_bucket", dialect="reduct")
def _reduct_bucket_dollar(w: ReductWorld, f: Folders) -> Attempt:
    """``$`` names are the server's system buckets, never made or read through this API."""
    return Attempt(lambda: w.client.get_bucket("$audit"), resource="bucket '$audit'")


@case("reduct-entry-empty-segment", InvalidNameError, "write", dialect="reduct")
def _reduct_entry_segment(w: ReductWorld, f: Folders) -> Attempt:
    return Attempt(lambda: w.bucket.write("cam//front", b"x", REDUCT_TS + 9), resource="entry 'cam//front'")


@case("reduct-entry-trailing-slash-on-read", InvalidNameError, "read", dialect="reduct")
def _reduct_entry_trailing(w: ReductWorld, f: Folders) -> Attempt:
    return Attempt(lambda: w.bucket.read("cam/").__enter__(), resource="entry 'cam/'")


@case("reduct-timestamp-negative", InvalidArgumentError, "write", dialect="reduct")
def _reduct_ts_negative(w: ReductWorld, f: Folders) -> Attempt:
    return Attempt(lambda: w.bucket.write("sensor", b"x", -1), resource="entry 'sensor'", says="1970-01-01")


@case("reduct-timestamp-bool", InvalidArgumentError, "write", dialect="reduct")
def _reduct_ts_bool(w: ReductWorld, f: Folders) -> Attempt:
    return Attempt(lambda: w.bucket.write("sensor", b"x", True), resource="entry 'sensor'", says="not a bool")


@case("reduct-timestamp-nan-seconds", InvalidArgumentError, "remove_record", dialect="reduct")
def _reduct_ts_nan(w: ReductWorld, f: Folders) -> Attempt:
    return Attempt(
        lambda: w.bucket.remove_record("sensor", float("nan")), resource="entry 'sensor'", says="finite"
    )


@case("reduct-label-name-with-comma", InvalidLabelError, "write", dialect="reduct")
def _reduct_label_comma(w: ReductWorld, f: Folders) -> Attempt:
    """A single record's label is a header name: ``,`` cannot be in it (batches quote it instead)."""
    call = lambda: w.bucket.write("sensor", b"x", REDUCT_TS + 9, labels={"a,b": "1"})  # noqa: E731
    return Attempt(call, resource="entry 'sensor'", says="label 'a,b'")


@case("reduct-label-name-with-equals-on-update", InvalidLabelError, "update", dialect="reduct")
def _reduct_label_equals(w: ReductWorld, f: Folders) -> Attempt:
    return Attempt(lambda: w.bucket.update("sensor", REDUCT_TS, {"a=b": "1"}), resource="entry 'sensor'")


@case("reduct-label-value-newline", InvalidLabelError, "write", dialect="reduct")
def _reduct_label_newline(w: ReductWorld, f: Folders) -> Attempt:
    call = lambda: w.bucket.write("sensor", b"x", REDUCT_TS + 9, labels={"note": "a\nb"})  # noqa: E731
    return Attempt(call, resource="entry 'sensor'", says="printable ASCII")


@case("reduct-content-length-mismatch", InvalidArgumentError, "write", dialect="reduct")
def _reduct_length(w: ReductWorld, f: Folders) -> Attempt:
    call = lambda: w.bucket.write("sensor", b"abc", REDUCT_TS + 9, content_length=5)  # noqa: E731
    return Attempt(call, resource="entry 'sensor'", says="5")


@case("reduct-iterator-without-length", InvalidArgumentError, "write", dialect="reduct")
def _reduct_iterator(w: ReductWorld, f: Folders) -> Attempt:
    call = lambda: w.bucket.write("sensor", iter([b"a", b"b"]), REDUCT_TS + 9)  # noqa: E731
    return Attempt(call, resource="entry 'sensor'", says="content_length is required")


@case("reduct-text-mode-file", InvalidArgumentError, "write", dialect="reduct")
def _reduct_text_file(w: ReductWorld, f: Folders) -> Attempt:
    path = small_file(f, "reading.txt", 64)

    def call() -> object:
        with open(path, encoding="latin-1") as handle:
            w.bucket.write("sensor", handle, REDUCT_TS + 9)  # type: ignore[arg-type]
        return None

    return Attempt(call, resource="entry 'sensor'", says="text mode")


@case("reduct-batch-over-the-server-limit", BatchTooLargeError, "write_batch", dialect="reduct")
def _reduct_batch_big(w: ReductWorld, f: Folders) -> Attempt:
    batch = _records(w, 200)
    return Attempt(lambda: w.bucket.write_batch("sensor", batch), resource="bucket 'bad-inputs'", says="85")


@case("reduct-query-condition-not-an-object", InvalidArgumentError, "query", dialect="reduct")
def _reduct_when(w: ReductWorld, f: Folders) -> Attempt:
    return Attempt(lambda: next(w.bucket.query("sensor", when="&unit == c")), resource="bucket 'bad-inputs'")  # type: ignore[arg-type]


@case("reduct-query-start-after-stop", InvalidArgumentError, "query", dialect="reduct")
def _reduct_range(w: ReductWorld, f: Folders) -> Attempt:
    call = lambda: next(w.bucket.query("sensor", start=REDUCT_TS, stop=REDUCT_TS - 1))  # noqa: E731
    return Attempt(call, resource="bucket 'bad-inputs'", says="start must be before stop")


# -- DirectIO ----------------------------------------------------------------------------------


def _no_profile(f: Folders) -> Path:
    return f.src / "no-such-profile.ini"


@case("direct-file-id-not-a-number", InvalidArgumentError, "metadata", dialect="direct")
def _direct_id_text(d: DirectWorld, f: Folders) -> Attempt:
    return Attempt(lambda: d.dio.metadata("12a"), "file '12a'", says="non-negative integer")


@case("direct-file-id-negative", InvalidArgumentError, "blocks", dialect="direct")
def _direct_id_negative(d: DirectWorld, f: Folders) -> Attempt:
    return Attempt(lambda: d.dio.blocks(-3), "file -3", says="non-negative integer")


@case("direct-file-id-a-path", InvalidArgumentError, "streamer", dialect="direct")
def _direct_id_path(d: DirectWorld, f: Folders) -> Attempt:
    return Attempt(lambda: d.dio.streamer("../admin"), "file '../admin'", says="non-negative integer")


@case("direct-file-id-bool", InvalidArgumentError, "blocks", dialect="direct")
def _direct_id_bool(d: DirectWorld, f: Folders) -> Attempt:
    return Attempt(lambda: d.dio.blocks(True), "file True", says="not bool")


@case("direct-block-zero", InvalidBlockSelectionError, "blocks", dialect="direct")
def _direct_block_zero(d: DirectWorld, f: Folders) -> Attempt:
    return Attempt(lambda: d.dio.blocks(d.file_id, [1, 0]), f"file {d.file_id}", says="start at 1, got 0")


@case("direct-block-negative", InvalidBlockSelectionError, "blocks", dialect="direct")
def _direct_block_negative(d: DirectWorld, f: Folders) -> Attempt:
    return Attempt(lambda: d.dio.blocks(d.file_id, [-1]), f"file {d.file_id}", says="got -1")


@case("direct-block-twice", InvalidBlockSelectionError, "blocks", dialect="direct")
def _direct_block_twice(d: DirectWorld, f: Folders) -> Attempt:
    return Attempt(lambda: d.dio.blocks(d.file_id, [2, 2]), f"file {d.file_id}", says="asked for twice")


@case("direct-blocks-not-a-list", InvalidBlockSelectionError, "blocks", dialect="direct")
def _direct_blocks_text(d: DirectWorld, f: Folders) -> Attempt:
    return Attempt(lambda: d.dio.blocks(d.file_id, "1-2"), f"file {d.file_id}", says="not str")  # type: ignore[arg-type]


@case(
    "direct-block-past-the-end", InvalidBlockSelectionError, "blocks", requests=exactly(1), dialect="direct"
)
def _direct_block_past(d: DirectWorld, f: Folders) -> Attempt:
    # the block count is known only from the metadata: one GET of it, no block fetched
    wanted = DIRECT_BLOCKS + 1
    return Attempt(
        lambda: d.dio.blocks(d.file_id, [1, wanted]), f"file {d.file_id}", says=f"there is no block {wanted}"
    )


@case("direct-workers-zero", InvalidArgumentError, "blocks", dialect="direct")
def _direct_workers(d: DirectWorld, f: Folders) -> Attempt:
    return Attempt(
        lambda: d.dio.blocks(d.file_id, None, 0),
        f"file {d.file_id}",
        says="max_workers must be an integer >= 1, got 0",
    )


@case("direct-range-inverted", InvalidArgumentError, "streamer", dialect="direct")
def _direct_range_inverted(d: DirectWorld, f: Folders) -> Attempt:
    return Attempt(lambda: d.dio.streamer(d.file_id, (100, 99)), f"file {d.file_id}", says="before start 100")  # type: ignore[arg-type]


@case("direct-range-negative-start", InvalidArgumentError, "streamer", dialect="direct")
def _direct_range_negative(d: DirectWorld, f: Folders) -> Attempt:
    return Attempt(lambda: d.dio.streamer(d.file_id, (-1, 10)), f"file {d.file_id}", says="got -1")  # type: ignore[arg-type]


@case("direct-range-a-string", InvalidArgumentError, "streamer", dialect="direct")
def _direct_range_text(d: DirectWorld, f: Folders) -> Attempt:
    return Attempt(lambda: d.dio.streamer(d.file_id, "0-10"), f"file {d.file_id}", says="not str")  # type: ignore[arg-type]


@case("direct-secret-missing", MissingCredentialsError, "DirectIO", dialect="direct")
def _direct_no_secret(d: DirectWorld, f: Folders) -> Attempt:
    def call() -> object:
        return DirectIO(d.url, d.access_key_id, environ={}, config_path=_no_profile(f))

    return Attempt(call, f"portal {d.url}", says="CTERA_SECRET_ACCESS_KEY")


@case("direct-secret-empty", MissingCredentialsError, "DirectIO", dialect="direct")
def _direct_empty_secret(d: DirectWorld, f: Folders) -> Attempt:
    def call() -> object:
        return DirectIO(
            d.url, d.access_key_id, "", environ={"CTERA_SECRET_ACCESS_KEY": ""}, config_path=_no_profile(f)
        )

    return Attempt(call, f"portal {d.url}", says="no secret_access_key")


@case("direct-access-key-id-missing", MissingCredentialsError, "DirectIO", dialect="direct")
def _direct_no_key_id(d: DirectWorld, f: Folders) -> Attempt:
    def call() -> object:
        return DirectIO(d.url, None, d.secret, environ={}, config_path=_no_profile(f))

    return Attempt(call, f"portal {d.url}", says="CTERA_ACCESS_KEY_ID")


@case("direct-portal-url-missing", MissingCredentialsError, "DirectIO", dialect="direct")
def _direct_no_url(d: DirectWorld, f: Folders) -> Attempt:
    def call() -> object:
        return DirectIO(None, d.access_key_id, d.secret, environ={}, config_path=_no_profile(f))

    return Attempt(call, "the DirectIO portal", says="CTERA_DIRECTIO_URL")


@case("direct-credentials-not-credentials", InvalidArgumentError, "DirectIO", dialect="direct")
def _direct_bad_credentials(d: DirectWorld, f: Folders) -> Attempt:
    pair = (d.access_key_id, d.secret)
    return Attempt(lambda: DirectClient(d.url, pair), f"portal {d.url}", says="must be Credentials")  # type: ignore[arg-type]


@case("direct-destination-folder-missing", LocalFileError, "to_file", dialect="direct")
def _direct_dest_missing(d: DirectWorld, f: Folders) -> Attempt:
    streamer = d.dio.streamer(d.file_id)  # the metadata is fetched here; to_file must send nothing
    dest = f.dest / "no-such-folder" / "out.bin"
    return Attempt(
        lambda: streamer.to_file(dest), f"file {d.file_id}", local_path=dest, says="does not exist"
    )


@case("direct-destination-is-a-folder", LocalFileError, "to_file", dialect="direct")
def _direct_dest_folder(d: DirectWorld, f: Folders) -> Attempt:
    streamer = d.dio.streamer(d.file_id, (0, 10))
    dest = f.dest / "sub"
    return Attempt(lambda: streamer.to_file(dest), f"file {d.file_id}", local_path=dest, says="is a folder")


@pytest.fixture(scope="module")
def worlds() -> Iterator[Mapping[str, AnyWorld]]:
    with build_worlds() as built:
        yield built


@pytest.fixture
def world(request: pytest.FixtureRequest, worlds: Mapping[str, AnyWorld]) -> Iterator[AnyWorld]:
    chosen = worlds[request.param]
    try:
        yield chosen
    finally:
        chosen.end_case()


def _check_folder(before: Mapping[str, Any], after: Mapping[str, Any], leftovers: Sequence[str]) -> None:
    created = sorted(set(after) - set(before))
    assert set(created) <= set(leftovers), f"created at the destination: {created}"
    assert set(before) <= set(after), f"removed: {sorted(set(before) - set(after))}"
    changed = sorted(name for name in before if before[name] != after[name])
    assert not changed, f"changed at the destination: {changed}"


@pytest.mark.parametrize(
    ("world", "bad"),
    [pytest.param(c.dialect, c, id=c.id) for c in CASES],
    indirect=["world"],
)
def test_bad_input(world: AnyWorld, bad: Case, tmp_path: Path) -> None:
    folders = Folders.make(tmp_path)
    attempt = bad.prepare(world, folders)
    sent_before = world.sent()
    before = snapshot(folders.dest)

    with pytest.raises(CASError) as caught:
        attempt.call()
    exc = caught.value

    # 3. nothing sent when the mistake is local; otherwise only what the retry policy allows
    sent = world.sent() - sent_before
    low, high = bad.requests or (0, 0)
    assert low <= sent <= high, f"{sent} requests sent, expected {low}-{high}"
    # 4. the destination is untouched (a started download may leave only its resumable partial)
    leftovers = resumable_leftovers(folders.dest, attempt.dest) if bad.requests is not None else []
    _check_folder(before, snapshot(folders.dest), leftovers)
    assert folders.existing.read_bytes() == folders.existing_bytes
    assert folders.existing.stat().st_mtime_ns == before["existing.bin"][2]
    # 1. the exact class
    assert type(exc) is bad.error, f"{type(exc).__name__}: {exc}"
    # 2. the message names the operation, the resource and the local path; never the secret
    text = str(exc)
    assert exc.operation == bad.operation
    assert text.startswith(f"{bad.operation} "), text
    assert attempt.resource in text, text
    if attempt.local_path is not None:
        assert exc.local_path == str(attempt.local_path)
        assert text.endswith(f"(local path: {attempt.local_path})"), text
    if attempt.says is not None:
        assert attempt.says in text, text
    assert world.emu.secret_key not in text
    if isinstance(world, ReductWorld):
        assert world.token not in text
    if isinstance(world, DirectWorld):
        assert world.secret not in text
        assert world.secret not in repr(exc)
    if attempt.check is not None:
        attempt.check(exc)


def test_a_file_changed_during_upload_is_named_once(worlds: Mapping[str, AnyWorld], tmp_path: Path) -> None:
    world = worlds["cas"]
    assert isinstance(world, World)
    try:
        attempt = _file_grows(world, Folders.make(tmp_path))
        with pytest.raises(MultipartUploadError) as caught:
            attempt.call()
        assert str(caught.value).count("(local path: ") == 1, str(caught.value)
    finally:
        world.end_case()


def test_the_table_is_big_enough_and_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 40
    local = [c for c in CASES if c.requests is None]
    assert len(local) >= 25  # most mistakes must be caught before anything is sent
    assert {c.dialect for c in CASES} == {"cas", "glacier", "s3", "cos", "reduct", "direct"}
    buckets = [c for c in CASES if c.dialect in ("s3", "cos")]
    assert len(buckets) >= 30
    assert len([c for c in buckets if c.requests is None]) >= 20
    assert min(sum(c.dialect == d for c in buckets) for d in ("s3", "cos")) >= 10
    assert len([c for c in CASES if c.dialect == "reduct" and c.requests is None]) >= 15
    assert len([c for c in CASES if c.dialect == "direct" and c.requests is None]) >= 15
