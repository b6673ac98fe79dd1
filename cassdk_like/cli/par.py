"""``cascmd par ...``: make, inspect, use and close PARs from the shell (docs/cascmd.md §6).

``create`` talks to the bucket with the connection of ``cascmd bucket``; the other commands need
only the PAR file and the recipient's key. A passphrase never comes from an option (a command line
is visible to other users): it is read from the environment variable ``--passphrase-env`` names,
or asked for on the terminal. Nothing printed holds a URL, a signature, a key or a passphrase.
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import shutil
import sys
import tempfile
import warnings
from typing import Any, Dict, TextIO, Union

from cassdk_like.bucket import Bucket
from cassdk_like.cli.args import UsageError, refuse
from cassdk_like.cli.bucket import bucket_connection_options, connect, split_target
from cassdk_like.cli.commands import binary_stdout
from cassdk_like.cli.console import console_of
from cassdk_like.cli.output import add_output_option, description
from cassdk_like.core.exceptions import LocalFileError
from cassdk_like.engine import TransferConfig
from cassdk_like.par import (
    PAR,
    BucketWriter,
    ObjectReader,
    ObjectWriter,
    PARKeyPair,
    PARNotRevocableWarning,
    Passphrase,
)

__all__ = ["add_par_commands", "parse_duration"]

_DURATION = re.compile(r"(\d+)([smhd]?)")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> int:
    """Seconds, or a number with ``s``, ``m``, ``h`` or ``d``: ``900``, ``15m``, ``2h``, ``7d``."""
    found = _DURATION.fullmatch(text.strip().lower())
    if found is None:
        raise argparse.ArgumentTypeError(f"expected a duration such as 900, 15m, 2h or 7d, got {text!r}")
    return int(found.group(1)) * _UNIT_SECONDS[found.group(2)]


# -- secrets: from the environment or the terminal, never from argv -----------------------------------


def _passphrase(args: argparse.Namespace, what: str, *, confirm: bool = False) -> Passphrase:
    """The passphrase from ``$<--passphrase-env>``, else asked on the terminal; else a usage error."""
    name = args.passphrase_env
    if name is not None:
        text = os.environ.get(name)
        if not text:
            raise UsageError(f"--passphrase-env {name}: the variable is not set or empty")
        return Passphrase(text, operation=what)
    if not sys.stdin.isatty():
        raise UsageError(f"{what} needs a passphrase: pass --passphrase-env VAR (or run on a terminal)")
    text = getpass.getpass(f"{what} passphrase: ")
    if confirm and getpass.getpass("again: ") != text:
        raise UsageError("the two passphrases differ")
    return Passphrase(text, operation=what)


def _read_file(path: str, what: str, operation: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise LocalFileError(
            f"cannot read the {what} ({exc.strerror or type(exc).__name__})",
            operation=operation,
            local_path=path,
        ) from None


def _load_par(args: argparse.Namespace, operation: str) -> PAR:
    """The PAR file (``-``: stdin); a PAR saved under a passphrase asks for it."""
    text = _read_file(args.par_file, "PAR file", operation)
    if b'"wrap"' in text:
        return PAR.from_data(text, _passphrase(args, "PAR file"))
    return PAR.from_data(text)


def _decrypt_key(args: argparse.Namespace, par: PAR, operation: str) -> Union[PARKeyPair, Passphrase]:
    """The recipient's private key (``--private-key``, its passphrase asked for when it is
    encrypted), else the passphrase the PAR was sealed under."""
    if args.private_key is None:
        return _passphrase(args, "PAR")
    pem = _read_file(args.private_key, "private key", operation)
    if b"ENCRYPTED" in pem:
        return PARKeyPair.from_pem(pem, _passphrase(args, "private key"))
    return PARKeyPair.from_pem(pem)


def _write_new(path: str, data: bytes, force: bool, operation: str, resource: str) -> None:
    """Write ``data`` to a new file of mode 0600 (an existing one only with ``force``)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise LocalFileError(
            "the file exists (pass --force to replace it)",
            operation=operation,
            resource=resource,
            local_path=path,
        ) from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


# -- the commands ---------------------------------------------------------------------------------------


def cmd_create(args: argparse.Namespace, out: TextIO) -> int:
    """A PAR for BUCKET/KEY (or for writing under ``--key-prefix`` of BUCKET), to stdout or a file."""
    name, key = split_target(args.target, key_required=False, operation="par create")
    if key:
        refuse(args, "to an object PAR (it names its key)", "--key-prefix")
    if not (args.read or args.write):
        raise UsageError("say what the PAR grants: --read, --write or both")
    if args.recipient_public_key is not None:
        refuse(args, "with --recipient-public-key (the PAR is sealed to the key)", "--passphrase-env")
        encrypt_key: Any = _read_file(args.recipient_public_key, "public key", "par create")
    else:
        encrypt_key = _passphrase(args, "PAR", confirm=True)
    api = connect(args)
    bucket = Bucket(api, api.client.bucket_name(name))
    par = bucket.create_par(
        key or None,
        readable=args.read,
        writeable=args.write,
        duration=args.expires_in,
        encrypt_key=encrypt_key,
        key_prefix=args.key_prefix or "",
        registry=args.registry,
    )
    text = par.to_json() + "\n"
    if args.save in (None, "-"):
        out.write(text)
    else:
        _write_new(args.save, text.encode("utf-8"), args.force, "par create", f"PAR {par.uid}")
    revocable = "revocable at its registry" if par.revocable else "NOT revocable (no --registry)"
    console_of(args).note(f"PAR {par.uid}: {_perms(par)} until {par.to_data()['expires_at']}, {revocable}")
    return 0


def _perms(par: PAR) -> str:
    return "+".join(name for name, on in (("read", par.is_readable), ("write", par.is_writeable)) if on)


def cmd_show(args: argparse.Namespace, out: TextIO) -> int:
    """What the PAR says about itself; never its URL (which stays sealed)."""
    par = _load_par(args, "par show")
    data = par.to_data()
    doc: Dict[str, Any] = {
        "uid": par.uid,
        "kind": par.kind,
        "service": par.service,
        "bucket": par.bucket,
        "key": par.key(),
        "key_prefix": par.key_prefix,
        "permissions": _perms(par),
        "expires_at": data["expires_at"],
        "seconds_remaining": int(par.seconds_remaining(buffer=0)),
        "revocable": par.revocable,
    }
    if args.output == "table":
        doc = {name: value for name, value in doc.items() if value is not None}
    description(out, args.output, doc)
    return 0


def _config(args: argparse.Namespace) -> TransferConfig:
    if args.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {args.workers}")
    return TransferConfig(max_workers=args.workers)


def cmd_get(args: argparse.Namespace, out: TextIO) -> int:
    """Download through a read PAR to DEST (``-``: stdout once verified), in parallel ranges."""
    to_stdout = args.dest == "-"
    if to_stdout and args.force:
        raise UsageError("--force applies to a file, not to '-' (standard output)")
    config = _config(args)
    if not to_stdout and os.path.exists(args.dest) and not args.force:
        raise LocalFileError(
            "the destination exists (pass --force to replace it)", operation="par get", local_path=args.dest
        )
    sink = binary_stdout(out) if to_stdout else None
    par = _load_par(args, "par get")
    reader = ObjectReader(
        par, _decrypt_key(args, par, "par get"), connect_url=args.connect_url, config=config
    )
    label = str(par.key() or par.uid).rsplit("/", 1)[-1]
    with console_of(args).progress(f"get {label}") as bar:
        if sink is None:
            result = reader.get_object_as_file(args.dest, progress=bar)
        else:
            with tempfile.TemporaryDirectory(prefix="cascmd-par-") as scratch:
                result = reader.get_object_as_file(os.path.join(scratch, "object"), progress=bar)
                with open(result.path, "rb") as verified:
                    shutil.copyfileobj(verified, sink)
                sink.flush()
    if sink is None:
        checked = "verified" if result.verified else "nothing to verify against"
        print(f"saved {result.size:,} bytes to {result.path} ({checked})", file=out)
    return 0


def cmd_put(args: argparse.Namespace, out: TextIO) -> int:
    """Upload FILE through a write PAR: as its object, or as KEY under a bucket PAR's prefix."""
    par = _load_par(args, "par put")
    if not os.path.isfile(args.file):
        raise LocalFileError("not a regular file", operation="par put", local_path=args.file)
    if par.kind == "bucket" and not args.key:
        raise UsageError("a bucket PAR writes any key under its prefix: give KEY after FILE")
    if par.kind == "object" and args.key:
        raise UsageError(f"this PAR writes one object ({par.key()!r}): give no KEY")
    decrypt_key = _decrypt_key(args, par, "par put")
    with console_of(args).progress(f"put {os.path.basename(args.file)}") as bar:
        if par.kind == "bucket":
            done = BucketWriter(par, decrypt_key, connect_url=args.connect_url).set_object_from_file(
                args.key, args.file, progress=bar
            )
        else:
            done = ObjectWriter(par, decrypt_key, connect_url=args.connect_url).set_object_from_file(
                args.file, progress=bar
            )
    print(f"uploaded {done.size:,} bytes to {par.bucket}/{done.key} (etag {done.etag})", file=out)
    return 0


def cmd_close(args: argparse.Namespace, out: TextIO) -> int:
    """Revoke the PAR at its grant registry; exit 1 when it cannot be revoked, saying until when
    its URLs stay valid."""
    par = _load_par(args, "par close")
    decrypt_key = _decrypt_key(args, par, "par close")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PARNotRevocableWarning)  # said below, in the command's words
        result = par.close(decrypt_key)
    doc = {"uid": result.uid, "revoked": result.revoked, "detail": result.detail}
    if args.output == "json":
        description(out, "json", doc)
    elif result.revoked:
        print(f"revoked PAR {result.uid}: {result.detail}", file=out)
    else:
        print(f"NOT revoked PAR {result.uid}: {result.detail}", file=out)
    if not result.revoked:
        console_of(args).warn(f"PAR {result.uid} was not revoked; its URLs work until it expires")
        return 1
    return 0


# -- the command line -----------------------------------------------------------------------------------


def _key_options(*, with_private_key: bool = True, with_quiet: bool = True) -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group(
        "keys",
        "A passphrase is read from the environment variable --passphrase-env names, or asked for on "
        "the terminal; it has no option of its own (command lines are visible to other users).",
    )
    if with_private_key:
        group.add_argument(
            "--private-key", metavar="FILE", help="the recipient's private key PEM (else: the passphrase)"
        )
    group.add_argument("--passphrase-env", metavar="VAR", help="read the passphrase from $VAR")
    if with_quiet:
        shown = common.add_argument_group("output")
        shown.add_argument("-q", "--quiet", action="store_true", help="no progress bar on stderr")
    return common


def _recipient_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("recipient")
    group.add_argument(
        "--connect-url",
        metavar="URL",
        help="send the requests to URL, keeping the host the PAR's URL names (the bundled emulator's COS)",
    )
    return common


def add_par_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``cascmd par <command>``."""
    keys, recipient = _key_options(), _recipient_options()
    group = sub.add_parser(
        "par",
        allow_abbrev=False,
        help="sealed, expiring pre-authenticated requests (see: cascmd par --help)",
        description="PARs: access to one object, or writes under a prefix of a bucket, sealed to a "
        "recipient's public key or under a passphrase, expiring, revocable where the service can.",
        epilog="example: cascmd par create photos/cat.jpg --read --expires-in 1h "
        "--recipient-public-key bob.pub --save cat.par",
    )
    commands = group.add_subparsers(dest="par_command", metavar="COMMAND")
    commands.required = True

    create = commands.add_parser(
        "create",
        allow_abbrev=False,
        parents=[bucket_connection_options(), _key_options(with_private_key=False, with_quiet=False)],
        help="make a PAR for BUCKET/KEY, or for writes under a prefix of BUCKET",
        epilog="example: cascmd par create inbox --write --key-prefix uploads/ --passphrase-env PAR_PASS",
    )
    create.add_argument("target", metavar="BUCKET[/KEY]")
    create.add_argument("--read", action="store_true", help="grant reading the object")
    create.add_argument("--write", action="store_true", help="grant writing the object (or under the prefix)")
    create.add_argument(
        "--expires-in",
        "--duration",
        type=parse_duration,
        default=3600,
        metavar="DURATION",
        help="lifetime: seconds or 15m, 2h, 7d (default 1h, at most 7d)",
    )
    create.add_argument("--key-prefix", help="a bucket PAR: every key it writes starts with this")
    create.add_argument(
        "--recipient-public-key",
        metavar="FILE",
        help="seal to this X25519 public key PEM (else: to a passphrase)",
    )
    create.add_argument("--registry", metavar="URL", help="a grant registry, so that close can revoke it")
    create.add_argument(
        "--save", metavar="FILE", help="write the PAR JSON here (mode 0600) instead of stdout"
    )
    create.add_argument("--force", action="store_true", help="replace an existing --save FILE")
    create.set_defaults(handler=cmd_create)

    show = commands.add_parser(
        "show",
        allow_abbrev=False,
        parents=[_key_options(with_private_key=False)],
        help="what a PAR file grants, until when (never its URL)",
        epilog="example: cascmd par show cat.par --output json",
    )
    show.add_argument("par_file", metavar="PAR_FILE", help="a PAR file, or - for standard input")
    add_output_option(show, "table")
    show.set_defaults(handler=cmd_show)

    get = commands.add_parser(
        "get",
        allow_abbrev=False,
        parents=[keys, recipient],
        help="download through a read PAR to DEST or -",
        epilog="example: cascmd par get cat.par cat.jpg --private-key bob.key",
    )
    get.add_argument("par_file", metavar="PAR_FILE")
    get.add_argument("dest", metavar="DEST", help="a file, or - for standard output")
    get.add_argument("--force", action="store_true", help="replace an existing DEST")
    get.add_argument("--workers", type=int, default=8, help="ranges downloaded at once (default 8)")
    get.set_defaults(handler=cmd_get)

    put = commands.add_parser(
        "put",
        allow_abbrev=False,
        parents=[keys, recipient],
        help="upload FILE through a write PAR (KEY for a bucket PAR)",
        epilog="example: cascmd par put inbox.par report.pdf 2026/report.pdf --passphrase-env PAR_PASS",
    )
    put.add_argument("par_file", metavar="PAR_FILE")
    put.add_argument("file", metavar="FILE")
    put.add_argument("key", metavar="KEY", nargs="?", help="a bucket PAR: the key under its prefix")
    put.set_defaults(handler=cmd_put)

    close = commands.add_parser(
        "close",
        allow_abbrev=False,
        parents=[keys],
        help="revoke a PAR (exit 1 when the service cannot revoke it)",
        epilog="example: cascmd par close cat.par --private-key bob.key",
    )
    close.add_argument("par_file", metavar="PAR_FILE")
    add_output_option(close, "table")
    close.set_defaults(handler=cmd_close)
