"""The vault commands' command line: names, the original cascmd's names as aliases, and options.

Every command has a one-line description and an example; the connection options are the same
for all and are explained once, in ``cascmd --help`` (``CONNECTION_HELP``).
"""

from __future__ import annotations

import argparse
from typing import Callable, List, Sequence, TextIO

from cassdk_like.cli import commands, uploads
from cassdk_like.cli.args import parse_size, vault_name
from cassdk_like.cli.configure import PROFILE_FORMAT, cmd_config
from cassdk_like.cli.output import add_output_option

__all__ = ["CONNECTION_HELP", "add_vault_commands"]

Handler = Callable[[argparse.Namespace, TextIO], int]

CONNECTION_HELP = """\
connection (every vault command): a flag wins over the environment, which wins over the profile
file, which wins over the original cascmd's ~/.cascmd_credentials -- field by field.
  --endpoint URL     CAS_ENDPOINT    base URL; give http:// for a plain-HTTP server (the emulator)
  --appid ID         CAS_APPID       account id (cas dialect)
  --secret-id ID     CAS_SECRET_ID   (glacier dialect: AWS_ACCESS_KEY_ID)
  --secret-key KEY   CAS_SECRET_KEY  (glacier dialect: AWS_SECRET_ACCESS_KEY); prefer the
                                     environment or `cascmd config`: command lines are visible
  --dialect NAME     CAS_DIALECT     cas (default) or glacier
  --region NAME      AWS_REGION      glacier dialect
  --profile NAME                     profile section (default 'default'); see: cascmd config --help
Vaults are VAULT or cas://VAULT. Ids may begin with '-': put -- before positional ids.
Every command takes -q/--quiet (no progress or status on stderr) and -v/--debug (the SDK's log,
secrets redacted). stdout carries only the result.
"""


def _connection(common: argparse.ArgumentParser) -> None:
    group = common.add_argument_group("connection (see cascmd --help)")
    group.add_argument("--endpoint", metavar="URL")
    group.add_argument("--appid", metavar="ID")
    group.add_argument("--secret-id", "--secretid", dest="secret_id", metavar="ID")
    group.add_argument("--secret-key", "--secretkey", dest="secret_key", metavar="KEY")
    group.add_argument("--dialect", choices=("cas", "glacier"))
    group.add_argument("--region")
    group.add_argument("--profile", default="default", metavar="NAME")


def _runtime(common: argparse.ArgumentParser) -> None:
    group = common.add_argument_group("output")
    group.add_argument("-q", "--quiet", action="store_true", help="no progress or status lines on stderr")
    group.add_argument("-v", "--debug", action="store_true", help="log the SDK's requests to stderr")


def _parents() -> List[argparse.ArgumentParser]:
    common = argparse.ArgumentParser(add_help=False)
    _runtime(common)
    _connection(common)
    return [common]


_output = add_output_option


def _paging(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--limit", type=int, help="one page of at most this many entries")
    cmd.add_argument("--marker", help="the page after this marker (printed when there are more)")


class _Commands:
    """Adds one subcommand with its help line, aliases and example."""

    def __init__(self, sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        self._sub = sub
        self._parents = _parents()

    def add(
        self,
        name: str,
        summary: str,
        example: str,
        handler: Handler,
        *,
        aliases: Sequence[str] = (),
        connection: bool = True,
        extra: str = "",
    ) -> argparse.ArgumentParser:
        epilog = f"example:\n  {example}\n" + (f"\n{extra}" if extra else "")
        cmd = self._sub.add_parser(
            name,
            aliases=list(aliases),
            parents=self._parents if connection else [],
            help=summary,
            description=summary[0].upper() + summary[1:] + ".",
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        cmd.set_defaults(handler=handler, command=name, usage_parser=cmd)
        return cmd


def _vault(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("vault", type=vault_name, metavar="VAULT", help="VAULT or cas://VAULT")


def add_vault_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register every vault command on ``sub``."""
    c = _Commands(sub)

    cfg = c.add(
        "config",
        "write connection settings to a profile (mode 600)",
        "cascmd config --endpoint https://cas.ap-chengdu.myqcloud.com --appid 1250000000 --secret-id AKID...",
        cmd_config,
        connection=False,
        extra=PROFILE_FORMAT,
    )
    cfg.add_argument("--endpoint", metavar="URL")
    cfg.add_argument("--appid", metavar="ID")
    cfg.add_argument("--secret-id", "--secretid", dest="secret_id", metavar="ID")
    cfg.add_argument(
        "--secret-key",
        "--secretkey",
        dest="secret_key",
        metavar="KEY",
        help="(asked for without echo on a terminal when left out)",
    )
    cfg.add_argument("--dialect", choices=("cas", "glacier"))
    cfg.add_argument("--region")
    cfg.add_argument(
        "--profile", default="default", metavar="NAME", help="section to write (default 'default')"
    )
    cfg.add_argument(
        "--config-file", metavar="PATH", help="file to write (default $CASSDK_CONFIG or ~/.cassdk/config)"
    )
    cfg.add_argument("--show", action="store_true", help="print the profile (secret hidden) instead")
    _output(cfg, "table")

    ls = c.add(
        "ls", "list vaults", "cascmd ls --output json", commands.cmd_ls, aliases=("list-vaults", "list_vault")
    )
    _paging(ls)
    _output(ls, "table")

    for name, aliases, summary, example, handler in (
        (
            "create-vault",
            ("cv", "create_vault"),
            "create a vault (an existing one is reported)",
            "cascmd create-vault cas://backups",
            commands.cmd_create_vault,
        ),
        (
            "delete-vault",
            ("delete_vault",),
            "delete an empty vault",
            "cascmd delete-vault cas://backups",
            commands.cmd_delete_vault,
        ),
    ):
        _vault(c.add(name, summary, example, handler, aliases=aliases))

    desc_vault = c.add(
        "desc-vault",
        "describe a vault",
        "cascmd desc-vault cas://backups --output table",
        commands.cmd_desc_vault,
        aliases=("desc_vault",),
    )
    _vault(desc_vault)
    _output(desc_vault, "json")

    rm = c.add(
        "rm",
        "delete an archive, or the vault when no archive id is given",
        "cascmd rm cas://backups -- ARCHIVE_ID",
        commands.cmd_rm,
    )
    _vault(rm)
    rm.add_argument("archive_id", nargs="?", metavar="ARCHIVE_ID")

    upload = c.add(
        "upload",
        "upload a file as an archive (parallel multipart when large; resumable)",
        "cascmd upload cas://backups nightly.tar --desc 'nightly 2026-12-03'",
        uploads.cmd_upload,
        aliases=("upload_archive",),
        extra="A multipart upload that fails is kept; the error prints the command that resumes it\n"
        "(cascmd upload --upload-id=ID VAULT FILE) and the one that aborts it.",
    )
    _vault(upload)
    upload.add_argument("file", metavar="FILE")
    upload.add_argument("--desc", help="archive description (printable ASCII, at most 1024 bytes)")
    upload.add_argument(
        "-p",
        "--part-size",
        type=parse_size,
        metavar="SIZE",
        help="multipart part size, e.g. 16M (1 MiB x 2^n); a file larger than one part goes in parts",
    )
    upload.add_argument(
        "--upload-id", "--upload_id", dest="upload_id", metavar="ID", help="resume this upload"
    )

    delete_archive = c.add(
        "delete-archive",
        "delete an archive",
        "cascmd delete-archive cas://backups -- ARCHIVE_ID",
        commands.cmd_delete_archive,
        aliases=("delete_archive",),
    )
    _vault(delete_archive)
    delete_archive.add_argument("archive_id", metavar="ARCHIVE_ID")

    _add_multipart(c)
    _add_hashes(c)
    _add_jobs(c)


def _add_multipart(c: _Commands) -> None:
    init = c.add(
        "init-upload",
        "start a multipart upload by hand; prints its id",
        "cascmd init-upload cas://backups 16M",
        uploads.cmd_init_upload,
        aliases=("init-multipart-upload", "init_multipart_upload"),
    )
    _vault(init)
    init.add_argument("part_size", type=parse_size, metavar="PART_SIZE", help="1 MiB x 2^n, e.g. 16M")
    init.add_argument("--desc", help="archive description")

    lsu = c.add(
        "list-uploads",
        "list the multipart uploads in progress",
        "cascmd list-uploads cas://backups",
        uploads.cmd_list_uploads,
        aliases=("list-multipart-uploads", "list_multipart_upload"),
    )
    _vault(lsu)
    _paging(lsu)
    _output(lsu, "table")

    part = c.add(
        "upload-part",
        "upload bytes START..END (inclusive) of FILE as one part; prints its tree hash",
        "cascmd upload-part cas://backups -- UPLOAD_ID big.tar 0 16777215",
        uploads.cmd_upload_part,
        aliases=("upload_part",),
    )
    _vault(part)
    part.add_argument("upload_id", metavar="UPLOAD_ID")
    part.add_argument("file", metavar="FILE")
    part.add_argument("start", type=int, metavar="START")
    part.add_argument("end", type=int, metavar="END")
    part.add_argument("etag", nargs="?", metavar="SHA256", help="checked against the bytes when given")
    part.add_argument(
        "tree_etag", nargs="?", metavar="TREE_HASH", help="checked against the bytes when given"
    )

    lsp = c.add(
        "list-parts",
        "list the stored parts of a multipart upload",
        "cascmd list-parts cas://backups -- UPLOAD_ID",
        uploads.cmd_list_parts,
        aliases=("list_part", "list_parts"),
    )
    _vault(lsp)
    lsp.add_argument("upload_id", metavar="UPLOAD_ID")
    _paging(lsp)
    _output(lsp, "table")

    done = c.add(
        "complete-upload",
        "complete a multipart upload; prints the archive id",
        "cascmd complete-upload cas://backups -- UPLOAD_ID",
        uploads.cmd_complete_upload,
        aliases=("complete-multipart-upload", "complete_multipart_upload"),
        extra="Without SIZE and TREE_HASH they are computed from the stored parts.",
    )
    _vault(done)
    done.add_argument("upload_id", metavar="UPLOAD_ID")
    done.add_argument("size", type=int, nargs="?", metavar="SIZE")
    done.add_argument("tree_hash", nargs="?", metavar="TREE_HASH")

    abort = c.add(
        "abort-upload",
        "abort a multipart upload (or --all of the vault's)",
        "cascmd abort-upload cas://backups --all",
        uploads.cmd_abort_upload,
        aliases=("abort-multipart-upload", "abort_multipart_upload"),
    )
    _vault(abort)
    abort.add_argument("upload_id", nargs="?", metavar="UPLOAD_ID")
    abort.add_argument("--all", action="store_true", help="abort every upload in progress in the vault")


def _add_hashes(c: _Commands) -> None:
    whole = c.add(
        "file-tree-etag",
        "print a file's SHA-256 and SHA-256 tree hash",
        "cascmd file-tree-etag nightly.tar",
        uploads.cmd_file_tree_etag,
        aliases=("file_tree_etag",),
        connection=False,
    )
    whole.add_argument("file", metavar="FILE")
    _output(whole, "table")
    part = c.add(
        "part-tree-etag",
        "print the hashes of bytes START..END (inclusive) of a file",
        "cascmd part-tree-etag nightly.tar 0 16777215",
        uploads.cmd_part_tree_etag,
        aliases=("part_tree_etag",),
        connection=False,
    )
    part.add_argument("file", metavar="FILE")
    part.add_argument("start", type=int, metavar="START")
    part.add_argument("end", type=int, metavar="END")
    _output(part, "table")


def _add_jobs(c: _Commands) -> None:
    job = c.add(
        "create-job",
        "start an archive retrieval (or, without an archive id, an inventory); prints the job id",
        "cascmd create-job --tier Expedited --wait cas://backups -- ARCHIVE_ID",
        commands.cmd_create_job,
        aliases=("create_job",),
    )
    _vault(job)
    job.add_argument("archive", nargs="?", metavar="ARCHIVE_ID", help="retrieve this archive")
    job.add_argument("--archive-id", help="the same, as an option (for ids that begin with '-')")
    job.add_argument("--inventory", action="store_true", help="retrieve the vault inventory")
    job.add_argument("--range", dest="byte_range", metavar="A-B", help="archive bytes A..B (MiB-aligned)")
    job.add_argument("--start", type=parse_size, help="first archive byte (with --size)")
    job.add_argument("--size", type=parse_size, help="bytes from --start")
    job.add_argument(
        "--archive-size", type=parse_size, metavar="BYTES", help="lets a range end at the archive's last byte"
    )
    job.add_argument("--tier", choices=("Expedited", "Standard", "Bulk"), help="retrieval tier")
    job.add_argument("--format", choices=("JSON", "CSV"), help="inventory format")
    job.add_argument("--limit", type=int, help="inventory: at most this many archives")
    job.add_argument("--marker", help="inventory: continue after this marker")
    job.add_argument(
        "--start-date", "--start_date", dest="start_date", help="inventory: archives created from"
    )
    job.add_argument("--end-date", "--end_date", dest="end_date", help="inventory: archives created before")
    job.add_argument("--desc", help="job description")
    job.add_argument("--wait", action="store_true", help="wait for the job, reporting its status on stderr")
    job.add_argument("--timeout", type=float, help="with --wait: give up after this many seconds")

    desc = c.add(
        "desc-job",
        "describe a job",
        "cascmd desc-job cas://backups -- JOB_ID",
        commands.cmd_desc_job,
        aliases=("desc_job",),
    )
    _vault(desc)
    desc.add_argument("job_id", metavar="JOB_ID")
    _output(desc, "json")

    jobs = c.add(
        "list-jobs",
        "list the jobs of a vault",
        "cascmd list-jobs cas://backups --status Succeeded",
        commands.cmd_list_jobs,
        aliases=("list_job", "list_jobs"),
    )
    _vault(jobs)
    jobs.add_argument(
        "--status", choices=("InProgress", "Succeeded", "Failed"), help="only jobs in this state"
    )
    _paging(jobs)
    _output(jobs, "table")

    fetch = c.add(
        "fetch",
        "wait for a job, then download its output to FILE ('-': standard output)",
        "cascmd fetch cas://backups -- JOB_ID restored.tar",
        commands.cmd_fetch,
        aliases=("fetch_job_output",),
        extra="An existing FILE is kept unless --force; an interrupted download resumes when run again.",
    )
    _vault(fetch)
    fetch.add_argument("job_id", metavar="JOB_ID")
    fetch.add_argument("file", metavar="FILE")
    fetch.add_argument("--start", type=parse_size, help="first byte of the job's output to fetch")
    fetch.add_argument("--size", type=parse_size, help="bytes to fetch from --start")
    fetch.add_argument("-f", "--force", action="store_true", help="replace an existing FILE")
    fetch.add_argument("--no-wait", action="store_true", help="fail instead of waiting for the job")
    fetch.add_argument("--timeout", type=float, help="give up waiting after this many seconds")
