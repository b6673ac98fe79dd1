"""``cascmd``: argument parsing and error handling; the commands themselves live in ``commands.py``,
``uploads.py`` and ``configure.py``, their command line in ``vault_parser.py``.

Errors are reported the way shell users expect: one line on stderr with the exception's message
(secrets scrubbed) and exit status 1; usage mistakes exit 2 (argparse); Ctrl-C exits 130.
"""

from __future__ import annotations

import argparse
import configparser
import logging
import os
import re
import sys
from typing import Any, Callable, List, Optional, Sequence, TextIO

from cassdk_like import __version__
from cassdk_like.cli import commands
from cassdk_like.cli.args import CommandFailed, UsageError
from cassdk_like.cli.bucket import add_bucket_commands
from cassdk_like.cli.console import Console
from cassdk_like.cli.direct import add_direct_commands
from cassdk_like.cli.par import add_par_commands
from cassdk_like.cli.reduct import add_reduct_commands
from cassdk_like.cli.transfer import add_transfer_commands
from cassdk_like.cli.vault_parser import CONNECTION_HELP, add_vault_commands
from cassdk_like.core.config import load_legacy_credentials, load_profile
from cassdk_like.core.exceptions import CASError, TransportError

__all__ = ["build_parser", "main"]

Handler = Callable[[argparse.Namespace, TextIO], int]

#: the parsed words that name the command an error line speaks of (``cascmd transfer show: error``)
_COMMAND_WORDS = (
    "command", "bucket_command", "reduct_command", "direct_command", "par_command", "transfer_command",
)  # fmt: skip


#: an archive, job or upload id that begins with '-' (ids are long; options are short words)
_DASHED_ID = re.compile(r"-[A-Za-z0-9_-]{48,}")


class _Parser(argparse.ArgumentParser):
    """Reads a long id that begins with '-' as a positional argument, as the original cascmd did.

    Putting ``--`` before the ids always works too; this keeps the original's command lines
    (``cascmd list_part cas://VAULT -UPLOADID``) working.
    """

    def _parse_optional(self, arg_string: str) -> Any:
        if _DASHED_ID.fullmatch(arg_string):
            return None
        return super()._parse_optional(arg_string)


def build_parser() -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = _Parser(
        prog="cascmd",
        description="Archive and object storage from the shell: vaults, archives and retrieval jobs; "
        "buckets and objects (cascmd bucket); ReductStore (cascmd reduct); PARs (cascmd par); "
        "transfers kept in a state folder (cascmd transfer). "
        "The original cascmd's command names (cv, create_vault, list_job, ...) work too.",
        epilog=CONNECTION_HELP
        + "\nexample: cascmd upload cas://backups nightly.tar  (then: cascmd help upload)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"cascmd {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    # handled before parsing (its options belong to the emulator); listed here for --help
    sub.add_parser(
        "serve",
        help="run the local emulator in the foreground, CAS on port 8390 (see: cascmd serve --help)",
    )
    helper = sub.add_parser("help", help="show the help of a command", epilog="example: cascmd help fetch")
    helper.add_argument("topic", nargs="?", metavar="COMMAND")
    helper.set_defaults(handler=None)

    demo = sub.add_parser(
        "demo",
        help="run the quickstart against a throw-away local emulator",
        epilog="example: cascmd demo --size-mib 8",
    )
    demo.add_argument("--size-mib", type=int, default=64, help="size of the generated archive (default 64)")
    demo.add_argument("--workers", type=int, default=None, help="parallel transfers (default: engine's)")
    demo.set_defaults(handler=commands.cmd_demo)

    add_vault_commands(sub)
    add_bucket_commands(sub)
    add_reduct_commands(sub)
    add_direct_commands(sub)
    add_par_commands(sub)
    add_transfer_commands(sub)
    return parser


def _secrets(args: Optional[argparse.Namespace]) -> List[str]:
    found: List[str] = [os.environ.get(name, "") for name in commands.SECRET_ENV_VARS]
    if args is not None and getattr(args, "secret_key", None):
        found.append(str(args.secret_key))
    passphrase_env = getattr(args, "passphrase_env", None)
    if passphrase_env:
        found.append(os.environ.get(passphrase_env, ""))
    try:
        profile = load_profile(getattr(args, "profile", None) or "default")
        direct = load_profile("directio")
        legacy = load_legacy_credentials()
    except (OSError, ValueError, configparser.Error):
        profile, direct, legacy = {}, {}, {}
    keys = ("secret_key", "session_token", "secret_access_key")
    found.extend(source.get(key, "") for source in (profile, direct, legacy) for key in keys)
    return [secret for secret in found if len(secret) >= 4]


def _scrub(text: str, args: Optional[argparse.Namespace]) -> str:
    """Remove any secret the user gave us from a message, whatever produced it."""
    for secret in _secrets(args):
        text = text.replace(secret, "<hidden>")
    return " ".join(text.split())  # one line


class _ScrubFilter(logging.Filter):
    """``-v`` shows the SDK's own log lines; any secret that reached one is replaced on the way out."""

    def __init__(self, args: argparse.Namespace) -> None:
        super().__init__()
        self._args = args

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _scrub(record.getMessage(), self._args)
        record.args = None
        return True


def _enable_debug(args: argparse.Namespace, err: TextIO) -> logging.Handler:
    handler = logging.StreamHandler(err)
    handler.setFormatter(logging.Formatter("cascmd: debug: %(name)s: %(message)s"))
    handler.addFilter(_ScrubFilter(args))
    logger = logging.getLogger("cassdk_like")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    return handler


def _explain(exc: BaseException, args: Optional[argparse.Namespace]) -> str:
    """The message, with what to do when the cause is a common set-up mistake.

    The SDK's errors name the Python method that failed; the user ran a command, so the line
    names the resource and the reason only (``main`` prefixes the command).
    """
    text = str(exc) or type(exc).__name__
    if isinstance(exc, CASError) and exc.reason:
        text = f"{exc.resource}: {exc.reason}" if exc.resource else exc.reason
        if exc.local_path is not None:
            text += f" (local path: {exc.local_path})"
    endpoint = getattr(args, "endpoint", None) or os.environ.get("CAS_ENDPOINT") or ""
    if isinstance(exc, TransportError) and "SSL" in text and "://" not in endpoint:
        host = endpoint or "the endpoint"
        return (
            f"could not open a TLS (https) connection to {host}: endpoints without a scheme use "
            f"https; if the server speaks plain HTTP (cascmd serve does), give --endpoint http://{endpoint}"
        )
    return text


def _help(parser: argparse.ArgumentParser, topic: Optional[str], out: TextIO) -> int:
    if topic is None:
        parser.print_help(out)
        return 0
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and topic in action.choices:
            action.choices[topic].print_help(out)
            return 0
    raise UsageError(f"no command {topic!r}; cascmd help lists them")


def main(argv: Optional[Sequence[str]] = None, *, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Entry point of the ``cascmd`` console script; returns the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["serve"]:
        from cassdk_like.emulator.cli import serve_main  # noqa: PLC0415 - other commands stay light

        return serve_main(arguments[1:], out=out)
    parser = build_parser()
    args: Optional[argparse.Namespace] = None
    debug: Optional[logging.Handler] = None
    try:
        args = parser.parse_args(arguments)
        if args.command == "help":
            return _help(parser, args.topic, out)
        args.console = Console(err, quiet=bool(getattr(args, "quiet", False)))
        if getattr(args, "debug", False):
            debug = _enable_debug(args, err)
        handler: Handler = args.handler
        return handler(args, out)
    except KeyboardInterrupt:
        print("cascmd: interrupted", file=err)
        return 130
    except UsageError as exc:
        usage = getattr(args, "usage_parser", None)
        (usage if isinstance(usage, argparse.ArgumentParser) else parser).print_usage(err)
        print(f"cascmd: error: {_scrub(str(exc), args)}", file=err)
        return 2
    except (CASError, CommandFailed, OSError, ValueError, configparser.Error) as exc:
        words = [getattr(args, name, None) for name in _COMMAND_WORDS]
        where = " ".join(["cascmd", *(word for word in words if isinstance(word, str))])
        print(f"{where}: error: {_scrub(_explain(exc, args), args)}", file=err)
        return 1
    finally:
        if debug is not None:
            logging.getLogger("cassdk_like").removeHandler(debug)


if __name__ == "__main__":
    sys.exit(main())
