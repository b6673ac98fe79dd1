"""``cascmd reduct ...``: a ReductStore server from the shell, a few lines of SDK use per command.

The server comes from ``--url`` or ``REDUCT_URL``; the token from ``REDUCT_API_TOKEN`` only (a
command line is visible to other users), as ``cascmd serve`` exports them. Records are named
``BUCKET/ENTRY`` (an entry may itself contain ``/``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import Any, Dict, List, Optional, TextIO, Tuple

from cassdk_like.cli.output import add_output_option, json_document, listing
from cassdk_like.core.exceptions import InvalidArgumentError, LocalFileError
from cassdk_like.reduct import BucketSettings, Client, Permissions, QuotaType

__all__ = ["add_reduct_commands"]

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
#: one segment of an entry name, as the server allows it (docs/reduct-protocol.md §5)
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")


def _connection_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group(
        "connection",
        "The server is --url, else REDUCT_URL; the token is REDUCT_API_TOKEN (none: no authentication).",
    )
    group.add_argument("--url", help="server URL, e.g. http://127.0.0.1:8383")
    group.add_argument("--timeout", type=float, default=None, help="seconds per request (default: none)")
    return common


def connect(args: argparse.Namespace) -> Client:
    url = args.url or os.environ.get("REDUCT_URL")
    if not url:
        raise InvalidArgumentError(
            "no server: pass --url or set REDUCT_URL", operation=f"reduct {args.reduct_command}"
        )
    return Client(url, api_token=os.environ.get("REDUCT_API_TOKEN") or None, timeout=args.timeout)


def split_record(text: str, operation: str) -> Tuple[str, str]:
    """``BUCKET/ENTRY`` -> (bucket, entry)."""
    bucket, _, entry = text.partition("/")
    if not bucket or not entry:
        raise InvalidArgumentError(f"expected BUCKET/ENTRY, got {text!r}", operation=operation, resource=text)
    return bucket, entry


def _labels(pairs: Optional[list]) -> Dict[str, str]:  # type: ignore[type-arg]
    labels: Dict[str, str] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise InvalidArgumentError(f"a label is NAME=VALUE, got {pair!r}", operation="reduct write")
        labels[name] = value
    return labels


def _when(text: Optional[str]) -> Optional[Dict[str, Any]]:
    if text is None:
        return None
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise InvalidArgumentError(f"--when must be a JSON object: {exc}", operation="reduct query") from None
    if not isinstance(doc, dict):
        raise InvalidArgumentError("--when must be a JSON object", operation="reduct query")
    return doc


def cmd_info(args: argparse.Namespace, out: TextIO) -> int:
    with connect(args) as client:
        info = client.info()
        json_document(
            out,
            {
                "version": info.version,
                "bucket_count": info.bucket_count,
                "usage": info.usage,
                "uptime": info.uptime,
                "api": ".".join(map(str, client.api_version or ())),
            },
        )
    return 0


def cmd_ls(args: argparse.Namespace, out: TextIO) -> int:
    """Buckets, or the entries of one bucket."""
    with connect(args) as client:
        if not args.bucket:
            buckets = [
                {"name": b.name, "entries": b.entry_count, "size": b.size, "status": b.status.value}
                for b in client.list()
            ]
            columns = [("BUCKET", "name"), ("ENTRIES", "entries"), ("SIZE", "size"), ("STATUS", "status")]
            listing(out, args.output, columns, buckets, sizes=("size",))
            return 0
        entries = [
            {"name": e.name, "records": e.record_count, "size": e.size, "oldest": e.oldest_record,
             "latest": e.latest_record}
            for e in client.get_bucket(args.bucket).get_entry_list()
        ]  # fmt: skip
        columns = [("ENTRY", "name"), ("RECORDS", "records"), ("SIZE", "size"), ("OLDEST", "oldest")]
        columns.append(("LATEST", "latest"))
        listing(out, args.output, columns, entries, sizes=("size",))
    return 0


def cmd_mb(args: argparse.Namespace, out: TextIO) -> int:
    settings = None
    if args.quota_type or args.quota_size is not None:
        quota = QuotaType(args.quota_type) if args.quota_type else None
        settings = BucketSettings(quota_type=quota, quota_size=args.quota_size)
    with connect(args) as client:
        client.create_bucket(args.bucket, settings, exist_ok=args.exist_ok)
    print(f"bucket {args.bucket} ready", file=out)
    return 0


def cmd_rb(args: argparse.Namespace, out: TextIO) -> int:
    with connect(args) as client:
        client.get_bucket(args.bucket).remove()
    print(f"removing bucket {args.bucket} (the server finishes in the background)", file=out)
    return 0


def cmd_write(args: argparse.Namespace, out: TextIO) -> int:
    """One record from a file (streamed) or from stdin with ``-``."""
    bucket_name, entry = split_record(args.target, "reduct write")
    labels = _labels(args.label)
    if args.file != "-" and not os.path.isfile(args.file):
        raise LocalFileError(
            "not a regular file", operation="reduct write", resource=args.target, local_path=args.file
        )
    with connect(args) as client:
        bucket = client.get_bucket(bucket_name)
        if args.file == "-":
            data = sys.stdin.buffer.read()
            bucket.write(entry, data, args.timestamp, labels=labels, content_type=args.content_type)
            size = len(data)
        else:
            with open(args.file, "rb") as source:
                size = os.fstat(source.fileno()).st_size
                bucket.write(entry, source, args.timestamp, labels=labels, content_type=args.content_type)
    print(f"wrote {size:,} bytes to {bucket_name}/{entry}", file=out)
    return 0


def _safe_name(timestamp: int, content_type: str) -> str:
    subtype = content_type.rsplit("/", maxsplit=1)[-1].split(";", maxsplit=1)[0] if content_type else ""
    suffix = (
        subtype if re.fullmatch(r"[A-Za-z0-9.+-]{1,16}", subtype) and subtype != "octet-stream" else "bin"
    )
    return f"{timestamp}.{suffix}"


def cmd_read(args: argparse.Namespace, out: TextIO) -> int:
    """The record at --timestamp (else the latest) to FILE, or its metadata with --head."""
    bucket_name, entry = split_record(args.target, "reduct read")
    if args.file and args.file != "-" and os.path.exists(args.file) and not args.force:
        raise LocalFileError(
            "the destination exists (pass --force to replace it)",
            operation="reduct read",
            resource=args.target,
            local_path=args.file,
        )
    with connect(args) as client:
        bucket = client.get_bucket(bucket_name)
        with bucket.read(entry, args.timestamp, head=args.head or not args.file) as record:
            if args.head or not args.file:
                json_document(
                    out,
                    {
                        "timestamp": record.timestamp,
                        "size": record.size,
                        "content_type": record.content_type,
                        "labels": dict(record.labels),
                    },
                )
                return 0
            if args.file == "-":
                record.read_into(sys.stdout.buffer)
                return 0
            partial = args.file + ".cassdk-partial"
            try:
                with open(partial, "wb") as target:
                    copied = record.read_into(target)
                    target.flush()
                    os.fsync(target.fileno())
                os.replace(partial, args.file)
            except BaseException:
                if os.path.exists(partial):
                    os.remove(partial)
                raise
    print(f"saved {copied:,} bytes to {args.file}", file=out)
    return 0


def cmd_query(args: argparse.Namespace, out: TextIO) -> int:
    """Every record of an entry (or ``*`` pattern) in [start, stop) into FOLDER, one file each."""
    bucket_name, entry = split_record(args.target, "reduct query")
    when = _when(args.when)
    if not os.path.isdir(args.folder):
        raise LocalFileError(
            "not a folder", operation="reduct query", resource=args.target, local_path=args.folder
        )
    count = 0
    total = 0
    with connect(args) as client:
        bucket = client.get_bucket(bucket_name)
        for record in bucket.query(entry, start=args.start, stop=args.stop, when=when):
            segments = record.entry.split("/")
            if not all(_SEGMENT.fullmatch(part) for part in segments):  # names from the server
                raise InvalidArgumentError(
                    f"the server named an entry {record.entry!r}, which is no safe folder name",
                    operation="reduct query",
                    resource=args.target,
                )
            folder = os.path.join(args.folder, *segments)
            os.makedirs(folder, exist_ok=True)
            path = os.path.join(folder, _safe_name(record.timestamp, record.content_type))
            with open(path, "wb") as target:
                total += record.read_into(target)
            count += 1
    print(f"saved {count} records ({total:,} bytes) under {args.folder}", file=out)
    return 0


def cmd_tokens(args: argparse.Namespace, out: TextIO) -> int:
    with connect(args) as client:
        tokens = [
            {"name": t.name, "created": t.created_at.strftime(_TIME_FORMAT), "expires": t.expires_at,
             "expired": t.is_expired}
            for t in client.get_token_list()
        ]  # fmt: skip
    columns = [("TOKEN", "name"), ("CREATED", "created"), ("EXPIRES", "expires"), ("EXPIRED", "expired")]
    listing(out, args.output, columns, tokens)
    return 0


def cmd_create_token(args: argparse.Namespace, out: TextIO) -> int:
    """Prints the new token's value, once: the server never shows it again."""
    permissions = Permissions(full_access=args.full_access, read=args.read or (), write=args.write or ())
    with connect(args) as client:
        value = client.create_token(args.name, permissions, ttl=args.ttl, ip_allowlist=args.ip or None)
    print(value, file=out)
    return 0


def cmd_remove_token(args: argparse.Namespace, out: TextIO) -> int:
    with connect(args) as client:
        client.remove_token(args.name)
    print(f"removed token {args.name}", file=out)
    return 0


def add_reduct_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``cascmd reduct <command>``."""
    conn = [_connection_options()]
    group = sub.add_parser(
        "reduct",
        help="a ReductStore server: buckets, records, queries, tokens (see: cascmd reduct --help)",
        description="A ReductStore server from the shell. Records are BUCKET/ENTRY.",
        epilog="example: cascmd reduct write --label camera=front frame.jpg data/cam/front",
    )
    commands = group.add_subparsers(dest="reduct_command", metavar="COMMAND")
    commands.required = True

    info = commands.add_parser("info", parents=conn, help="server version and usage (JSON)")
    info.set_defaults(handler=cmd_info)

    ls = commands.add_parser("ls", parents=conn, help="list buckets, or the entries of BUCKET")
    ls.add_argument("bucket", nargs="?")
    add_output_option(ls, "table")
    ls.set_defaults(handler=cmd_ls)

    mb = commands.add_parser("mb", parents=conn, help="make a bucket")
    mb.add_argument("bucket")
    mb.add_argument("--exist-ok", action="store_true", help="succeed when the bucket exists")
    mb.add_argument("--quota-type", choices=("NONE", "FIFO", "HARD"))
    mb.add_argument("--quota-size", type=int, help="bytes")
    mb.set_defaults(handler=cmd_mb)

    rb = commands.add_parser("rb", parents=conn, help="remove a bucket and all its records")
    rb.add_argument("bucket")
    rb.set_defaults(handler=cmd_rb)

    write = commands.add_parser("write", parents=conn, help="write FILE (or - for stdin) as a record")
    write.add_argument("file")
    write.add_argument("target", metavar="BUCKET/ENTRY")
    write.add_argument("--timestamp", type=int, help="microseconds since the epoch (default: now)")
    write.add_argument("--label", action="append", metavar="NAME=VALUE", help="repeatable")
    write.add_argument("--content-type")
    write.set_defaults(handler=cmd_write)

    read = commands.add_parser("read", parents=conn, help="read a record to FILE (or -), or its metadata")
    read.add_argument("target", metavar="BUCKET/ENTRY")
    read.add_argument("file", nargs="?", help="where to save the body (none: print the metadata)")
    read.add_argument("--timestamp", type=int, help="microseconds (default: the latest record)")
    read.add_argument("--head", action="store_true", help="print the metadata only")
    read.add_argument("--force", action="store_true", help="replace an existing FILE")
    read.set_defaults(handler=cmd_read)

    query = commands.add_parser("query", parents=conn, help="save the records of a time range to a folder")
    query.add_argument("target", metavar="BUCKET/ENTRY", help="an entry or a pattern such as cam/*")
    query.add_argument("folder")
    query.add_argument("--start", type=int, help="microseconds, inclusive")
    query.add_argument("--stop", type=int, help="microseconds, exclusive")
    query.add_argument("--when", help='a condition as JSON, e.g. \'{"&camera": {"$eq": "front"}}\'')
    query.set_defaults(handler=cmd_query)

    _add_token_commands(commands, conn)


def _add_token_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], conn: List[argparse.ArgumentParser]
) -> None:
    tokens = commands.add_parser("tokens", parents=conn, help="list tokens")
    add_output_option(tokens, "table")
    tokens.set_defaults(handler=cmd_tokens)

    create_token = commands.add_parser(
        "create-token", parents=conn, help="create a token; prints its value once"
    )
    create_token.add_argument("name")
    create_token.add_argument("--full-access", action="store_true")
    create_token.add_argument(
        "--read", action="append", metavar="BUCKET", help="repeatable; a trailing * is a prefix"
    )
    create_token.add_argument("--write", action="append", metavar="BUCKET", help="repeatable")
    create_token.add_argument("--ttl", type=int, help="seconds of inactivity before it stops working")
    create_token.add_argument("--ip", action="append", help="allowed address or network (repeatable)")
    create_token.set_defaults(handler=cmd_create_token)

    remove_token = commands.add_parser("remove-token", parents=conn, help="remove a token")
    remove_token.add_argument("name")
    remove_token.set_defaults(handler=cmd_remove_token)
