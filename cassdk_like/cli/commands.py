"""The ``cascmd`` vault, archive and job commands, each a few lines of ordinary SDK use.

Every handler takes the parsed arguments and the output stream and returns the exit status;
errors propagate as the SDK's exceptions and ``main`` turns them into one line on stderr.
Commentary (progress, job status, timing) goes to stderr through ``args.console``.
"""

from __future__ import annotations

import argparse
import os
from typing import IO, Any, Callable, Dict, Iterable, Iterator, Optional, TextIO, Union, cast

from cassdk_like.cli.args import CommandFailed, UsageError, command_line, refuse
from cassdk_like.cli.console import Console, console_of
from cassdk_like.cli.demo import run_demo
from cassdk_like.cli.output import description, listing
from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.config import (
    LEGACY_CREDENTIALS_PATH,
    config_path,
    load_legacy_credentials,
    load_profile,
    readable_by_others,
    resolve_credentials,
    resolve_endpoint,
)
from cassdk_like.core.exceptions import (
    CASError,
    InvalidByteRangeError,
    JobNotReadyError,
    LocalFileError,
    MissingCredentialsError,
)
from cassdk_like.engine import DownloadResult, StreamResult
from cassdk_like.vault.errors import ResourceNotFoundException
from cassdk_like.vault.highlevel import CasAPI, Job, Vault
from cassdk_like.vault.highlevel.response import CASResponse
from cassdk_like.vault.lowlevel import CASClient

__all__ = [
    "SECRET_ENV_VARS",
    "binary_stdout",
    "cmd_create_job",
    "cmd_create_vault",
    "cmd_delete_archive",
    "cmd_delete_vault",
    "cmd_demo",
    "cmd_desc_job",
    "cmd_desc_vault",
    "cmd_fetch",
    "cmd_list_jobs",
    "cmd_ls",
    "cmd_rm",
    "connect",
    "pages",
]

#: environment variables whose values must never be printed
SECRET_ENV_VARS = (
    "CAS_SECRET_KEY",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "COS_SECRET_KEY",
    "COS_SESSION_TOKEN",
    "REDUCT_API_TOKEN",
    "CTERA_SECRET_ACCESS_KEY",
)


def _warn_if_exposed(args: argparse.Namespace) -> None:
    for path in (config_path(), LEGACY_CREDENTIALS_PATH.expanduser()):
        if path.is_file() and readable_by_others(path):
            console_of(args).warn(
                f"{path} is readable by other users and may hold a secret key; run: chmod 600 {path}"
            )


def connect(args: argparse.Namespace) -> CasAPI:
    """A ``CasAPI`` from the flags, else the environment, else the profile, else ``~/.cascmd_credentials``.

    Credentials resolve field by field: ``--secret-key`` alone is used with the secret id from the
    environment or profile, never dropped because the environment holds a complete pair.
    """
    _warn_if_exposed(args)
    profile = load_profile(args.profile)
    legacy = load_legacy_credentials()
    dialect = args.dialect or os.environ.get("CAS_DIALECT") or profile.get("dialect") or "cas"
    settings = resolve_endpoint(args.endpoint, args.appid, args.region, profile=args.profile, fallback=legacy)
    if not settings.endpoint:
        raise MissingCredentialsError(
            "no endpoint: pass --endpoint, set CAS_ENDPOINT, or run: cascmd config --endpoint URL ...",
            operation=args.command,
        )
    try:
        credentials = resolve_credentials(
            args.secret_id, args.secret_key, dialect=dialect, profile=args.profile, fallback=legacy
        )
    except MissingCredentialsError as exc:
        names = (
            "CAS_SECRET_ID and CAS_SECRET_KEY"
            if dialect == "cas"
            else "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )
        raise MissingCredentialsError(
            f"no key pair: pass --secret-id (and --secret-key, better in the environment), set {names}, "
            f"or run: cascmd config (profile [{args.profile}] of {config_path()})",
            operation=args.command,
        ) from exc
    client = CASClient(
        settings.endpoint,
        settings.appid,
        credentials.secret_id,
        credentials.secret_key,
        dialect=dialect,
        region=settings.region,
        session_token=credentials.session_token,
    )
    return CasAPI(client)


def pages(
    args: argparse.Namespace,
    every: Callable[[], Iterable[Dict[str, Any]]],
    one: Callable[[Optional[str], Optional[int]], CASResponse],
    key: str,
) -> Iterator[Dict[str, Any]]:
    """Every entry, or with ``--limit``/``--marker`` one page (the next marker is noted on stderr)."""
    if args.limit is None and args.marker is None:
        yield from every()
        return
    page = one(args.marker, args.limit)
    yield from page.get(key) or []
    following = page.get("Marker")
    if following:
        console_of(args).note(f"more entries: add --marker={following}")


# -- vaults ------------------------------------------------------------------------------------


def cmd_ls(args: argparse.Namespace, out: TextIO) -> int:
    api = connect(args)
    entries = pages(args, api.list_all_vaults, api.list_vaults, "VaultList")
    columns = [("VAULT", "VaultName"), ("ARCHIVES", "NumberOfArchives"), ("SIZE", "SizeInBytes")]
    columns.append(("CREATED", "CreationDate"))
    listing(out, args.output, columns, entries, sizes=("SizeInBytes",))
    return 0


def cmd_create_vault(args: argparse.Namespace, out: TextIO) -> int:
    """Create the vault; one that exists already is reported as such (creating is idempotent)."""
    api = connect(args)
    try:
        api.describe_vault(args.vault)
    except ResourceNotFoundException:
        api.create_vault(args.vault)
        print(f"created vault {args.vault}", file=out)
        return 0
    print(f"vault {args.vault} already exists", file=out)
    return 0


def _delete_vault(args: argparse.Namespace, api: CasAPI, out: TextIO) -> int:
    try:
        api.delete_vault(args.vault)
    except CASError as exc:
        uploads = _uploads_in_progress(api, args.vault)
        if not uploads:
            raise
        raise CommandFailed(
            f"{exc}; it has {uploads} multipart upload(s) in progress: list them with "
            f"{command_line(args, 'list-uploads', args.vault)}, then abort them all with "
            f"{command_line(args, 'abort-upload', args.vault, options=('--all',))}"
        ) from exc
    print(f"deleted vault {args.vault}", file=out)
    return 0


def _uploads_in_progress(api: CasAPI, vault: str) -> int:
    try:
        return sum(1 for _ in api.list_all_multipart_uploads(vault))
    except CASError:
        return 0


def cmd_delete_vault(args: argparse.Namespace, out: TextIO) -> int:
    return _delete_vault(args, connect(args), out)


def cmd_desc_vault(args: argparse.Namespace, out: TextIO) -> int:
    doc = connect(args).describe_vault(args.vault)
    description(out, args.output, doc, sizes=("SizeInBytes",))
    return 0


def cmd_rm(args: argparse.Namespace, out: TextIO) -> int:
    """The original's ``rm``: an archive when an id is given, else the (empty) vault."""
    api = connect(args)
    if args.archive_id is None:
        return _delete_vault(args, api, out)
    api.delete_archive(args.vault, args.archive_id)
    print(f"deleted archive {args.archive_id}", file=out)
    return 0


# -- archives ----------------------------------------------------------------------------------


def cmd_delete_archive(args: argparse.Namespace, out: TextIO) -> int:
    connect(args).delete_archive(args.vault, args.archive_id)
    print(f"deleted archive {args.archive_id}", file=out)
    return 0


# -- jobs --------------------------------------------------------------------------------------


def _retrieval_range(args: argparse.Namespace) -> Optional[ByteRange]:
    """``--range A-B``, or ``--start``/``--size`` (the original's form); None for everything."""
    if args.byte_range is not None:
        if args.start is not None or args.size is not None:
            raise UsageError("give --range, or --start and --size, not both")
        return ByteRange.parse(args.byte_range, operation=args.command)
    if args.size is not None:
        return ByteRange(args.start or 0, (args.start or 0) + args.size - 1)
    if args.start is not None:
        raise UsageError("--start needs --size (bytes from --start)")
    return None


def cmd_create_job(args: argparse.Namespace, out: TextIO) -> int:
    """Start a retrieval (an archive, a range of it, or the inventory); print the job id."""
    archive_id = args.archive_id or args.archive
    if args.archive_id and args.archive:
        raise UsageError("give the archive id once (positional or --archive-id)")
    if args.inventory and archive_id:
        raise UsageError("give --inventory or an archive id, not both")
    if args.timeout is not None and not args.wait:
        raise UsageError("--timeout applies to --wait only")
    inventory_flags = ("--limit", "--marker", "--start-date", "--end-date", "--format")
    if archive_id:
        refuse(args, "to an archive retrieval (they select inventory entries)", *inventory_flags)
        rng = _retrieval_range(args)
    else:
        refuse(args, "to an inventory retrieval", "--range", "--start", "--size", "--tier", "--archive-size")
    vault = Vault.get_vault_by_name(connect(args), args.vault)
    if archive_id:
        try:
            job = vault.retrieve_archive(
                archive_id, args.desc, rng, args.tier, archive_size=args.archive_size
            )
        except InvalidByteRangeError as exc:
            raise CommandFailed(
                f"the range {rng} must start and end on 1 MiB boundaries (--start and --size multiples "
                "of 1M); one that ends at the archive's last byte also needs --archive-size BYTES"
            ) from exc
    else:
        job = vault.initiate_retrieve_inventory(
            args.desc, args.format, args.start_date, args.end_date, args.limit, args.marker
        )
    print(job.id, file=out, flush=True)
    if args.wait:
        console = console_of(args)
        again = command_line(args, "desc-job", args.vault, job.id)
        console.wait_for_job(job, args.timeout, again)
        console.note(f"job {job.id} is ready: {command_line(args, 'fetch', args.vault, job.id, 'FILE')}")
        console.finished()
    return 0


def cmd_desc_job(args: argparse.Namespace, out: TextIO) -> int:
    doc = connect(args).describe_job(args.vault, args.job_id)
    description(out, args.output, doc, sizes=("ArchiveSizeInBytes", "InventorySizeInBytes"))
    return 0


def cmd_list_jobs(args: argparse.Namespace, out: TextIO) -> int:
    api = connect(args)
    entries = pages(
        args,
        lambda: api.list_all_jobs(args.vault, status_code=args.status),
        lambda marker, limit: api.list_jobs(args.vault, None, marker, limit, args.status),
        "JobList",
    )
    columns = [("JOB", "JobId"), ("ACTION", "Action"), ("STATUS", "StatusCode")]
    columns += [("SIZE", "ArchiveSizeInBytes"), ("CREATED", "CreationDate")]
    listing(out, args.output, columns, entries, sizes=("ArchiveSizeInBytes",))
    return 0


def _fetch_range(args: argparse.Namespace, job: Job) -> Optional[ByteRange]:
    if args.start is None and args.size is None:
        return None
    size = job.output_size
    start = args.start or 0
    end = start + args.size - 1 if args.size is not None else (size or 0) - 1
    return ByteRange(start, end)


def binary_stdout(out: TextIO) -> IO[bytes]:
    buffer = getattr(out, "buffer", None)
    if buffer is None:
        raise UsageError("'-' writes to standard output, which is not a binary stream here")
    return cast(IO[bytes], buffer)


def cmd_fetch(args: argparse.Namespace, out: TextIO) -> int:
    """Wait for the job (unless --no-wait), then a parallel, verified download (``-``: stdout)."""
    if args.no_wait and args.timeout is not None:
        raise UsageError("--timeout applies to waiting; it cannot go with --no-wait")
    to_stdout = args.file == "-"
    if to_stdout and args.force:
        raise UsageError("--force applies to a file, not to '-' (standard output)")
    if not to_stdout and os.path.exists(args.file) and not args.force:
        raise LocalFileError(
            "the file exists: pass --force (-f) to replace it", operation="fetch", local_path=args.file
        )
    console = console_of(args)
    job = Vault.get_vault_by_name(connect(args), args.vault).get_job(args.job_id)
    if not args.no_wait:
        again = command_line(args, "fetch", args.vault, args.job_id, args.file)
        console.wait_for_job(job, args.timeout, again)
    elif not job.finished:
        raise JobNotReadyError(
            f"job {job.id} is {job.status_code}: run without --no-wait to wait for it",
            operation="fetch",
            resource=f"vault {args.vault!r}",
        )
    try:
        _download(args, out, job, console)
    except KeyboardInterrupt:
        if not to_stdout:
            again = command_line(args, "fetch", args.vault, args.job_id, args.file)
            console.warn(f"the part already downloaded is kept; to go on from there run: {again}")
        raise
    console.finished()
    return 0


def _download(args: argparse.Namespace, out: TextIO, job: Job, console: Console) -> None:
    to_stdout = args.file == "-"
    wanted = _fetch_range(args, job)
    block = not args.no_wait
    with console.progress(f"fetch {job.id[:12]}") as bar:
        if to_stdout:
            sink = binary_stdout(out)
            whole = ByteRange(0, (job.output_size or 1) - 1)
            done = job.download_by_range(wanted or whole, file_obj=sink, block=block, progress=bar)
            sink.flush()
            console.note(f"wrote {done.size:,} bytes to standard output ({_checked(done.verified)})")
        else:
            result: Union[DownloadResult, StreamResult]
            if wanted is None:
                result = job.download_to_file(args.file, block=block, progress=bar)
            else:
                result = job.download_by_range(wanted, file_path=args.file, block=block, progress=bar)
            path = getattr(result, "path", args.file)
            print(f"saved {result.size:,} bytes to {path} ({_checked(result.verified)})", file=out)


def _checked(verified: bool) -> str:
    return "tree hash verified" if verified else "no tree hash to verify against"


# -- demo --------------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace, out: TextIO) -> int:
    report = run_demo(size_mib=args.size_mib, workers=args.workers, out=lambda line: print(line, file=out))
    return 0 if report.verified else 1
