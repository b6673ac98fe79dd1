"""``cascmd direct ...``: read DirectIO files of a CTERA-style portal from the shell.

The portal and the key pair come from ``--url`` / ``--access-key-id``, else the environment
(``CTERA_DIRECTIO_URL``, ``CTERA_ACCESS_KEY_ID``, ``CTERA_SECRET_ACCESS_KEY``), else the profile
file's ``[directio]`` section, as ``DirectIO`` itself reads them (docs/cascmd.md §5).  The secret
has no flag: a command line is visible to other users.  ``publish`` talks to the bundled emulator's
portal only: a real portal's files are those of its cloud drive.
"""

from __future__ import annotations

import argparse
import os
import re
from typing import Any, Dict, Optional, TextIO

import requests

from cassdk_like.cli.args import UsageError
from cassdk_like.cli.commands import binary_stdout
from cassdk_like.cli.console import console_of
from cassdk_like.cli.output import add_output_option, description
from cassdk_like.core.exceptions import InvalidArgumentError, LocalFileError, TransportError
from cassdk_like.direct import ByteRange, DirectIO
from cassdk_like.direct.settings import ENV_URL, PROFILE

__all__ = ["add_direct_commands", "parse_range"]

_RANGE = re.compile(r"(\d+)-(\d*)")


def parse_range(text: Optional[str]) -> Optional[ByteRange]:
    """``START-END`` (inclusive) or ``START-`` (to the end); a usage error otherwise."""
    if text is None:
        return None
    found = _RANGE.fullmatch(text.strip())
    if found is None:
        raise UsageError(f"--range must be START-END or START- (bytes, END included), got {text!r}")
    start, end = int(found.group(1)), int(found.group(2)) if found.group(2) else None
    if end is not None and end < start:
        raise UsageError(f"--range {text}: END is before START (the range is inclusive)")
    return ByteRange(start, end)


def _connect(args: argparse.Namespace, **options: Any) -> DirectIO:
    return DirectIO(args.url, args.access_key_id, profile=args.profile or PROFILE, **options)


def cmd_metadata(args: argparse.Namespace, out: TextIO) -> int:
    """The file's size, format and block map; the data key only as its fingerprint."""
    with _connect(args) as dio:
        found = dio.metadata(args.file_id)
    doc: Dict[str, Any] = {
        "file_id": found.file_id,
        "size": found.size,
        "encrypted": found.encrypted,
        "compression": found.compression,
        "block_format": found.block_format,
        "key_fingerprint": found.key_fingerprint,
    }
    if args.output == "json":
        doc["blocks"] = [{"number": b.number, "offset": b.offset, "length": b.length} for b in found.blocks]
    else:
        doc["blocks"] = len(found.blocks)
    description(out, args.output, doc, sizes=("size",))
    return 0


def cmd_fetch(args: argparse.Namespace, out: TextIO) -> int:
    """The file (or ``--range``) to DEST through a temporary file, or to stdout with ``-``."""
    byte_range = parse_range(args.range)
    if args.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {args.workers}")
    to_stdout = args.dest == "-"
    if not to_stdout and os.path.exists(args.dest) and not args.force:
        raise LocalFileError(
            "the destination exists (pass --force to replace it)",
            operation="fetch",
            resource=f"file {args.file_id}",
            local_path=args.dest,
        )
    sink = binary_stdout(out) if to_stdout else None
    console = console_of(args)
    dio = _connect(args, max_workers=args.workers, window=args.workers)
    bar = console.progress(f"fetch {args.file_id}")
    with dio, bar, dio.streamer(args.file_id, byte_range, progress=bar) as streamer:
        if sink is not None:
            for chunk in streamer:
                sink.write(chunk)
            sink.flush()
            return 0
        written = streamer.to_file(args.dest)
    print(f"saved {written.size:,} bytes to {written.path} ({written.blocks} blocks)", file=out)
    return 0


def _connection_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group(
        "connection",
        "Options win over the environment (CTERA_DIRECTIO_URL, CTERA_ACCESS_KEY_ID, "
        "CTERA_SECRET_ACCESS_KEY), which wins over the profile file's [directio] section. "
        "The secret access key has no option: keep it in the environment or the profile file.",
    )
    group.add_argument("--url", help="the portal, e.g. https://portal.example")
    group.add_argument("--access-key-id", help="the access key id")
    group.add_argument("--profile", help=f"profile file section (default {PROFILE})")
    shown = common.add_argument_group("output")
    shown.add_argument("-q", "--quiet", action="store_true", help="no progress bar on stderr")
    return common


def cmd_publish(args: argparse.Namespace, out: TextIO) -> int:
    """Publish an object of the emulator's S3 service as a DirectIO file; prints the file id."""
    bucket, _, key = args.target.partition("/")
    if not bucket or not key:
        raise UsageError(f"expected BUCKET/KEY, got {args.target!r}")
    url = (args.url or os.environ.get(ENV_URL) or "").rstrip("/")
    if not url:
        raise InvalidArgumentError(f"no portal: pass --url or set {ENV_URL}", operation="publish")
    doc: Dict[str, Any] = {"bucket": bucket, "key": key, "block_format": args.block_format}
    doc["encrypted"] = not args.plain
    if args.codec is not None:
        doc["codec"] = args.codec
    if args.block_size_kib is not None:
        doc["block_size"] = args.block_size_kib * 1024
    try:
        answer = requests.post(f"{url}/_emulator/direct/files", json=doc, timeout=600)
    except requests.RequestException as exc:
        raise TransportError(f"could not reach {url} ({type(exc).__name__})", operation="publish") from None
    if answer.status_code == 404 and "application/json" not in answer.headers.get("Content-Type", ""):
        raise InvalidArgumentError(
            f"{url} is not the bundled emulator's DirectIO portal (cascmd serve)", operation="publish"
        )
    if answer.status_code != 201:
        raise InvalidArgumentError(
            f"the portal refused: HTTP {answer.status_code} {answer.text.strip()[:200]}",
            operation="publish",
            resource=args.target,
        )
    made = answer.json()
    print(made["file_id"], file=out)
    console_of(args).note(f"published {args.target} as file {made['file_id']} ({made['blocks']} blocks)")
    return 0


def add_direct_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``cascmd direct <command>``."""
    conn = [_connection_options()]
    group = sub.add_parser(
        "direct",
        help="read DirectIO files of a CTERA-style portal (see: cascmd direct --help)",
        description="DirectIO: a file's blocks read straight from object storage, decrypted and "
        "decompressed, checked block by block.",
        epilog="example: cascmd direct fetch 1234 report.pdf --range 0-1048575",
    )
    commands = group.add_subparsers(dest="direct_command", metavar="COMMAND")
    commands.required = True

    metadata = commands.add_parser("metadata", parents=conn, help="describe FILE_ID: size, format, blocks")
    metadata.add_argument("file_id", metavar="FILE_ID")
    add_output_option(metadata, "table")
    metadata.set_defaults(handler=cmd_metadata)

    fetch = commands.add_parser("fetch", parents=conn, help="write FILE_ID (or a range of it) to DEST or -")
    fetch.add_argument("file_id", metavar="FILE_ID")
    fetch.add_argument("dest", metavar="DEST", help="a file, or - for standard output")
    fetch.add_argument(
        "--range", metavar="START-END", help="bytes START to END, both included (END may be empty)"
    )
    fetch.add_argument("--force", action="store_true", help="replace an existing DEST")
    fetch.add_argument("--workers", type=int, default=8, help="blocks fetched at once (default 8)")
    fetch.set_defaults(handler=cmd_fetch)

    publish = commands.add_parser(
        "publish",
        parents=conn,
        help="publish BUCKET/KEY of the emulator's S3 service as a DirectIO file (cascmd serve only)",
        epilog="example: cascmd bucket put report.pdf docs/report.pdf; cascmd direct publish docs/report.pdf",
    )
    publish.add_argument("target", metavar="BUCKET/KEY")
    publish.add_argument(
        "--block-format", type=int, choices=(1, 2), default=1, help="1: the portal's (default); 2: ours"
    )
    publish.add_argument("--codec", choices=("none", "gzip", "snappy", "snappy-raw"), help="default snappy")
    publish.add_argument("--plain", action="store_true", help="format 1 without encryption")
    publish.add_argument("--block-size-kib", type=int, help="plaintext per block (default 4096)")
    publish.set_defaults(handler=cmd_publish)
