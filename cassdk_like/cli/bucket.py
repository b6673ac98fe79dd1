"""``cascmd bucket ...``: buckets over S3 or COS from the shell, a few lines of SDK use per command.

Objects are named ``BUCKET/KEY`` (an ``s3://`` or ``cos://`` prefix is accepted). The connection
comes from the options, else the environment ``cascmd serve`` prints (``AWS_ENDPOINT_URL_S3``,
``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``; ``COS_ENDPOINT``, ``COS_REGION``, ``COS_APPID``,
``COS_SECRET_ID``/``COS_SECRET_KEY``), as the bucket clients themselves read it.
"""

from __future__ import annotations

import argparse
import os
from typing import TextIO, Tuple

from cassdk_like.bucket import Bucket, BucketAPI, BucketClient, COSClient, S3Client, list_all_buckets
from cassdk_like.cli.console import console_of
from cassdk_like.cli.output import add_output_option, json_document, listing
from cassdk_like.core.exceptions import InvalidArgumentError, LocalFileError
from cassdk_like.engine.upload import MultipartUploadError

__all__ = ["add_bucket_commands", "bucket_connection_options", "connect", "split_target"]

MiB = 1024 * 1024


def bucket_connection_options() -> argparse.ArgumentParser:
    """The connection options of every command that talks to a bucket (``bucket``, ``par create``)."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group(
        "connection",
        "Options win over the environment: S3 reads AWS_ENDPOINT_URL_S3, AWS_REGION, "
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; COS reads COS_ENDPOINT, COS_REGION, COS_APPID, "
        "COS_SECRET_ID/COS_SECRET_KEY (keep the secret in the environment: command lines are visible).",
    )
    group.add_argument(
        "--dialect", choices=("s3", "cos"), help="bucket API (default: $CASSDK_BUCKET_DIALECT or s3)"
    )
    group.add_argument("--endpoint", help="base URL, e.g. http://127.0.0.1:8391")
    group.add_argument("--region", help="region (COS: required, e.g. ap-guangzhou)")
    group.add_argument("--appid", help="COS account id (the -<appid> of bucket names)")
    group.add_argument("--path-style", action="store_true", help="S3: /bucket/key addressing")
    shown = common.add_argument_group("output")
    shown.add_argument("-q", "--quiet", action="store_true", help="no progress bar on stderr")
    return common


def connect(args: argparse.Namespace) -> BucketAPI:
    """A ``BucketAPI`` in the chosen dialect; the key pair comes from the environment or profile."""
    dialect = args.dialect or os.environ.get("CASSDK_BUCKET_DIALECT") or "s3"
    client: BucketClient
    if dialect == "cos":
        client = COSClient(args.region, args.appid, endpoint=args.endpoint)
    else:
        addressing = "path" if args.path_style else "auto"
        client = S3Client(args.endpoint, region=args.region, addressing=addressing)
    return BucketAPI(client)


def split_target(text: str, *, key_required: bool, operation: str) -> Tuple[str, str]:
    """``[s3://|cos://]BUCKET[/KEY]`` -> (bucket, key); the key may be "" unless required."""
    rest = text
    for scheme in ("s3://", "cos://"):
        if rest.startswith(scheme):
            rest = rest[len(scheme) :]
    bucket, _, key = rest.partition("/")
    if not bucket or (key_required and not key):
        shape = "BUCKET/KEY" if key_required else "BUCKET[/PREFIX]"
        raise InvalidArgumentError(f"expected {shape}, got {text!r}", operation=operation, resource=text)
    return bucket, key


def _bucket(api: BucketAPI, name: str) -> Bucket:
    return Bucket(api, api.client.bucket_name(name))


def cmd_ls(args: argparse.Namespace, out: TextIO) -> int:
    """Buckets, or the objects (and one level of prefixes with --dirs) under BUCKET[/PREFIX]."""
    api = connect(args)
    if not args.target:
        buckets = [
            {"name": b.name, "region": b.region, "created": b.creation_date} for b in list_all_buckets(api)
        ]
        listing(out, args.output, [("BUCKET", "name"), ("REGION", "region"), ("CREATED", "created")], buckets)
        return 0
    name, prefix = split_target(args.target, key_required=False, operation="ls")
    bucket = _bucket(api, name)
    if args.dirs:
        listing(
            out, args.output, [("PREFIX", "prefix")], ({"prefix": p} for p in bucket.prefixes(prefix or None))
        )
        return 0
    objects = (
        {"key": o.key, "size": o.size, "modified": o.last_modified, "etag": o.etag}
        for o in bucket.objects(prefix or None)
    )
    columns = [("KEY", "key"), ("SIZE", "size"), ("MODIFIED", "modified"), ("ETAG", "etag")]
    listing(out, args.output, columns, objects, sizes=("size",))
    return 0


def cmd_mb(args: argparse.Namespace, out: TextIO) -> int:
    made = Bucket.create(connect(args), args.bucket, exist_ok=args.exist_ok)
    print(f"bucket {made.name} ready", file=out)
    return 0


def cmd_rb(args: argparse.Namespace, out: TextIO) -> int:
    bucket = _bucket(connect(args), args.bucket)
    bucket.delete()
    print(f"deleted bucket {bucket.name}", file=out)
    return 0


def cmd_put(args: argparse.Namespace, out: TextIO) -> int:
    """Upload a file (parallel multipart when large); a failure that keeps the upload says how to go on."""
    name, key = split_target(args.target, key_required=True, operation="put")
    if not os.path.isfile(args.file):
        raise LocalFileError(
            "not a regular file", operation="put", resource=args.target, local_path=args.file
        )
    bucket = _bucket(connect(args), name)
    part_size = args.part_size_mib * MiB if args.part_size_mib else None
    # a part size asks for multipart: any file larger than one part is sent in parts
    threshold = {"threshold": part_size} if part_size else {}
    try:
        with console_of(args).progress(f"put {os.path.basename(args.file)}") as bar:
            done = bucket.upload_file(
                args.file,
                key,
                part_size=part_size,
                **threshold,
                content_type=args.content_type,
                upload_id=args.upload_id,
                keep_for_resume=args.keep_for_resume,
                progress=bar,
            )
    except MultipartUploadError as exc:
        if exc.upload_id:
            raise MultipartUploadError(
                f"{exc}; resume with: cascmd bucket put --upload-id={exc.upload_id} --keep-for-resume "
                f"{args.file} {args.target}, or abort with: cascmd bucket abort {args.target} "
                f"--upload-id={exc.upload_id}",
                upload_id=exc.upload_id,
            ) from exc
        raise
    how = f"{done.parts_uploaded} parts" if done.multipart else "one request"
    print(f"uploaded {done.size:,} bytes to {name}/{key} ({how}, etag {done.etag})", file=out)
    return 0


def cmd_get(args: argparse.Namespace, out: TextIO) -> int:
    """Download, verified, to FILE (never over an existing file unless --force)."""
    name, key = split_target(args.target, key_required=True, operation="get")
    if os.path.exists(args.file) and not args.force:
        raise LocalFileError(
            "the destination exists (pass --force to replace it)",
            operation="get",
            resource=args.target,
            local_path=args.file,
        )
    with console_of(args).progress(f"get {key.rsplit('/', 1)[-1]}") as bar:
        result = _bucket(connect(args), name).download_file(key, args.file, progress=bar)
    checked = "verified" if result.verified else "nothing to verify against"
    print(f"saved {result.size:,} bytes to {result.path} ({checked})", file=out)
    return 0


def cmd_rm(args: argparse.Namespace, out: TextIO) -> int:
    """Delete objects of one bucket in one batch request per 1,000 keys."""
    api = connect(args)
    targets = [split_target(t, key_required=True, operation="rm") for t in args.targets]
    names = {name for name, _ in targets}
    if len(names) != 1:
        raise InvalidArgumentError("every object must be in the same bucket", operation="rm")
    bucket = _bucket(api, names.pop())
    result = bucket.delete_objects([key for _, key in targets])
    for key in result.deleted:
        print(f"deleted {bucket.name}/{key}", file=out)
    if not result.ok:
        raise InvalidArgumentError(
            "; ".join(f"{f.key}: {f.code} {f.message}" for f in result.failed),
            operation="rm",
            resource=bucket.name,
        )
    return 0


def cmd_head(args: argparse.Namespace, out: TextIO) -> int:
    name, key = split_target(args.target, key_required=True, operation="head")
    found = _bucket(connect(args), name).head(key)
    json_document(
        out,
        {
            "bucket": found.bucket,
            "key": found.key,
            "size": found.size,
            "etag": found.etag,
            "last_modified": found.last_modified.isoformat() if found.last_modified else None,
            "content_type": found.content_type,
            "metadata": dict(found.metadata),
            "sha256": found.sha256,
        },
    )
    return 0


def cmd_presign(args: argparse.Namespace, out: TextIO) -> int:
    """A URL anyone can use until it expires: printed to stdout only, never logged."""
    name, key = split_target(args.target, key_required=True, operation="presign")
    bucket = _bucket(connect(args), name)
    url = (
        bucket.presigned_put_url(key, args.expires)
        if args.put
        else bucket.presigned_get_url(key, args.expires)
    )
    print(str.__str__(url), file=out)
    return 0


def cmd_uploads(args: argparse.Namespace, out: TextIO) -> int:
    name, prefix = split_target(args.target, key_required=False, operation="uploads")
    uploads = (
        {"key": u.key, "upload_id": u.upload_id, "initiated": u.initiated}
        for u in _bucket(connect(args), name).uploads(prefix or None)
    )
    columns = [("KEY", "key"), ("UPLOAD ID", "upload_id"), ("INITIATED", "initiated")]
    listing(out, args.output, columns, uploads)
    return 0


def cmd_abort(args: argparse.Namespace, out: TextIO) -> int:
    """Abort one multipart upload (--upload-id), or every upload under BUCKET[/PREFIX] (--all)."""
    api = connect(args)
    if args.all:
        name, prefix = split_target(args.target, key_required=False, operation="abort")
        for upload in _bucket(api, name).abort_uploads(prefix or None):
            print(f"aborted {upload.key} {upload.upload_id}", file=out)
        return 0
    if not args.upload_id:
        raise InvalidArgumentError("pass --upload-id=ID, or --all", operation="abort", resource=args.target)
    name, key = split_target(args.target, key_required=True, operation="abort")
    bucket = _bucket(api, name)
    api.abort_multipart_upload(bucket.name, key, args.upload_id)
    print(f"aborted {key} {args.upload_id}", file=out)
    return 0


def add_bucket_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``cascmd bucket <command>``."""
    conn = [bucket_connection_options()]
    group = sub.add_parser(
        "bucket",
        help="buckets and objects over S3 or COS (see: cascmd bucket --help)",
        description="Buckets and objects over S3 or Tencent COS. Objects are BUCKET/KEY.",
        epilog="example: cascmd bucket put --dialect s3 backup.tar photos/2026/backup.tar",
    )
    commands = group.add_subparsers(dest="bucket_command", metavar="COMMAND")
    commands.required = True

    ls = commands.add_parser("ls", parents=conn, help="list buckets, or objects under BUCKET[/PREFIX]")
    ls.add_argument("target", nargs="?", help="BUCKET[/PREFIX]; none lists the buckets")
    ls.add_argument("--dirs", action="store_true", help="list the prefixes one level down instead")
    add_output_option(ls, "table")
    ls.set_defaults(handler=cmd_ls)

    mb = commands.add_parser("mb", parents=conn, help="make a bucket")
    mb.add_argument("bucket")
    mb.add_argument("--exist-ok", action="store_true", help="succeed when the bucket is already yours")
    mb.set_defaults(handler=cmd_mb)

    rb = commands.add_parser("rb", parents=conn, help="remove an empty bucket")
    rb.add_argument("bucket")
    rb.set_defaults(handler=cmd_rb)

    put = commands.add_parser("put", parents=conn, help="upload FILE as BUCKET/KEY (multipart when large)")
    put.add_argument("file")
    put.add_argument("target", metavar="BUCKET/KEY")
    put.add_argument("--part-size-mib", type=int, help="multipart part size (default: chosen from the size)")
    put.add_argument("--content-type")
    put.add_argument(
        "--keep-for-resume", action="store_true", help="keep a failed multipart upload to resume"
    )
    put.add_argument("--upload-id", help="resume this kept upload, sending only the missing parts")
    put.set_defaults(handler=cmd_put)

    get = commands.add_parser("get", parents=conn, help="download BUCKET/KEY to FILE, verified")
    get.add_argument("target", metavar="BUCKET/KEY")
    get.add_argument("file")
    get.add_argument("--force", action="store_true", help="replace an existing FILE")
    get.set_defaults(handler=cmd_get)

    rm = commands.add_parser("rm", parents=conn, help="delete objects (one bucket, batched)")
    rm.add_argument("targets", nargs="+", metavar="BUCKET/KEY")
    rm.set_defaults(handler=cmd_rm)

    head = commands.add_parser("head", parents=conn, help="describe an object (JSON)")
    head.add_argument("target", metavar="BUCKET/KEY")
    head.set_defaults(handler=cmd_head)

    presign = commands.add_parser("presign", parents=conn, help="print a presigned GET (or --put) URL")
    presign.add_argument("target", metavar="BUCKET/KEY")
    presign.add_argument("--expires", type=int, default=3600, help="seconds (default 3600, at most 7 days)")
    presign.add_argument("--put", action="store_true", help="a URL to upload with instead of to download")
    presign.set_defaults(handler=cmd_presign)

    uploads = commands.add_parser("uploads", parents=conn, help="list multipart uploads in progress")
    uploads.add_argument("target", metavar="BUCKET[/PREFIX]")
    add_output_option(uploads, "table")
    uploads.set_defaults(handler=cmd_uploads)

    abort = commands.add_parser(
        "abort", parents=conn, help="abort a multipart upload (or --all under a prefix)"
    )
    abort.add_argument("target", metavar="BUCKET/KEY")
    abort.add_argument("--upload-id")
    abort.add_argument("--all", action="store_true", help="abort every upload under BUCKET[/PREFIX]")
    abort.set_defaults(handler=cmd_abort)
