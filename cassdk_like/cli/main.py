"""``cascmd``: argument parsing and error handling; the commands themselves live in ``commands.py``.

Errors are reported the way shell users expect: one line on stderr with the exception's message
(secrets scrubbed) and exit status 1; usage mistakes exit 2 (argparse); Ctrl-C exits 130.
"""

from __future__ import annotations

import argparse
import configparser
import os
import sys
from typing import Callable, List, Optional, Sequence, TextIO

from cassdk_like import __version__
from cassdk_like.cli import commands
from cassdk_like.cli.bucket import add_bucket_commands
from cassdk_like.cli.reduct import add_reduct_commands
from cassdk_like.core.config import load_profile
from cassdk_like.core.exceptions import CASError

__all__ = ["build_parser", "main"]

Handler = Callable[[argparse.Namespace, TextIO], int]


def _connection_options() -> argparse.ArgumentParser:
    """Options shared by every command that talks to a service (argparse parent parser)."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group(
        "connection",
        "Arguments win over the environment (CAS_ENDPOINT, CAS_APPID, CAS_SECRET_ID/CAS_SECRET_KEY or "
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, CAS_DIALECT), which wins over the profile file "
        "(~/.cassdk/config or $CASSDK_CONFIG). Prefer the environment for the secret key: "
        "command lines are visible to other users.",
    )
    group.add_argument("--endpoint", help="host name or base URL, e.g. http://127.0.0.1:8390")
    group.add_argument("--appid", help="account id (cas dialect)")
    group.add_argument("--secret-id", help="access key id")
    group.add_argument("--secret-key", help="secret key (prefer the environment)")
    group.add_argument("--dialect", choices=("cas", "glacier"), help="wire dialect (default cas)")
    group.add_argument("--region", help="region (glacier dialect; default from the host or us-east-1)")
    group.add_argument("--profile", default="default", help="profile section to read (default 'default')")
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cascmd",
        description="Archive and object storage from the shell: vaults, archives and retrieval jobs; "
        "buckets and objects (cascmd bucket); ReductStore (cascmd reduct).",
        epilog="Archive, job and upload ids may begin with '-': pass them to options as --archive-id=ID "
        "and put -- before positional ids (cascmd desc-job -- VAULT JOBID).",
    )
    parser.add_argument("--version", action="version", version=f"cascmd {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    conn = [_connection_options()]

    # handled before parsing (its options belong to the emulator); listed here for --help
    sub.add_parser(
        "serve",
        help="run the local emulator in the foreground, CAS on port 8390 (see: cascmd serve --help)",
    )

    demo = sub.add_parser("demo", help="run the quickstart against a throw-away local emulator")
    demo.add_argument("--size-mib", type=int, default=64, help="size of the generated archive (default 64)")
    demo.add_argument("--workers", type=int, default=None, help="parallel transfers (default: engine's)")
    demo.set_defaults(handler=commands.cmd_demo)

    _add_vault_commands(sub, conn)
    add_bucket_commands(sub)
    add_reduct_commands(sub)
    return parser


def _add_vault_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], conn: List[argparse.ArgumentParser]
) -> None:
    ls = sub.add_parser("ls", parents=conn, help="list vaults")
    ls.set_defaults(handler=commands.cmd_ls)

    for name, helptext, handler in (
        ("create-vault", "create a vault", commands.cmd_create_vault),
        ("delete-vault", "delete an empty vault", commands.cmd_delete_vault),
        ("desc-vault", "describe a vault", commands.cmd_desc_vault),
    ):
        cmd = sub.add_parser(name, parents=conn, help=helptext)
        cmd.add_argument("vault")
        cmd.set_defaults(handler=handler)

    upload = sub.add_parser("upload", parents=conn, help="upload a file as an archive (multipart when large)")
    upload.add_argument("vault")
    upload.add_argument("file")
    upload.add_argument("--desc", help="archive description (printable ASCII, at most 1024 bytes)")
    upload.set_defaults(handler=commands.cmd_upload)

    delete_archive = sub.add_parser("delete-archive", parents=conn, help="delete an archive")
    delete_archive.add_argument("vault")
    delete_archive.add_argument("archive_id")
    delete_archive.set_defaults(handler=commands.cmd_delete_archive)

    create_job = sub.add_parser("create-job", parents=conn, help="start an archive or inventory retrieval")
    create_job.add_argument("vault")
    what = create_job.add_mutually_exclusive_group(required=True)
    what.add_argument("--archive-id", help="retrieve this archive")
    what.add_argument("--inventory", action="store_true", help="retrieve the vault inventory")
    create_job.add_argument("--range", dest="byte_range", help="archive bytes 'start-end' (MiB-aligned)")
    create_job.add_argument("--tier", choices=("Expedited", "Standard", "Bulk"), help="retrieval tier")
    create_job.add_argument("--format", choices=("JSON", "CSV"), help="inventory format")
    create_job.add_argument("--desc", help="job description")
    create_job.set_defaults(handler=commands.cmd_create_job)

    desc_job = sub.add_parser("desc-job", parents=conn, help="describe a job (JSON)")
    desc_job.add_argument("vault")
    desc_job.add_argument("job_id")
    desc_job.set_defaults(handler=commands.cmd_desc_job)

    list_jobs = sub.add_parser("list-jobs", parents=conn, help="list the jobs of a vault")
    list_jobs.add_argument("vault")
    list_jobs.add_argument("--status", choices=("InProgress", "Succeeded", "Failed"), help="filter")
    list_jobs.set_defaults(handler=commands.cmd_list_jobs)

    fetch = sub.add_parser("fetch", parents=conn, help="download a job's output to a file")
    fetch.add_argument("vault")
    fetch.add_argument("job_id")
    fetch.add_argument("file")
    fetch.add_argument("--no-wait", action="store_true", help="fail instead of waiting for the job")
    fetch.add_argument("--timeout", type=float, default=None, help="give up waiting after this many s")
    fetch.set_defaults(handler=commands.cmd_fetch)


def _scrub(text: str, args: Optional[argparse.Namespace]) -> str:
    """Remove any secret the user gave us from a message, whatever produced it."""
    secrets: List[str] = [os.environ.get(name, "") for name in commands.SECRET_ENV_VARS]
    if args is not None and getattr(args, "secret_key", None):
        secrets.append(str(args.secret_key))
    try:
        profile = load_profile(getattr(args, "profile", None) or "default")
    except (OSError, ValueError, configparser.Error):
        profile = {}
    secrets.extend(profile.get(key, "") for key in ("secret_key", "session_token"))
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "<hidden>")
    return " ".join(text.split())  # one line


def main(argv: Optional[Sequence[str]] = None, *, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Entry point of the ``cascmd`` console script; returns the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["serve"]:
        from cassdk_like.emulator.cli import serve_main  # noqa: PLC0415 - other commands stay light

        return serve_main(arguments[1:], out=out)
    parser = build_parser()
    args: Optional[argparse.Namespace] = None
    try:
        args = parser.parse_args(arguments)
        handler: Handler = args.handler
        return handler(args, out)
    except KeyboardInterrupt:
        print("cascmd: interrupted", file=err)
        return 130
    except (CASError, OSError, ValueError, configparser.Error) as exc:
        print(f"cascmd: error: {_scrub(str(exc) or type(exc).__name__, args)}", file=err)
        return 1


if __name__ == "__main__":
    sys.exit(main())
