"""``cascmd upload`` and the multipart commands of the original cascmd, plus the tree-hash commands.

A multipart upload that fails or is interrupted stays in the vault; the message names the exact
commands that resume it (sending only the parts not stored yet) or abort it.
"""

from __future__ import annotations

import argparse
import os
from typing import Any, Dict, List, Optional, TextIO, Tuple

from cassdk_like.cli.args import CommandFailed, UsageError, command_line, refuse
from cassdk_like.cli.commands import connect, pages
from cassdk_like.cli.console import console_of
from cassdk_like.cli.output import description, listing
from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.exceptions import CASError
from cassdk_like.core.integrity import combine_tree_hashes, hash_file
from cassdk_like.engine import MultipartUploadError
from cassdk_like.vault.highlevel import MultipartUpload, Vault
from cassdk_like.vault.highlevel.multipart import local_file_size

__all__ = [
    "cmd_abort_upload",
    "cmd_complete_upload",
    "cmd_file_tree_etag",
    "cmd_init_upload",
    "cmd_list_parts",
    "cmd_list_uploads",
    "cmd_part_tree_etag",
    "cmd_upload",
    "cmd_upload_part",
]


def _next_steps(args: argparse.Namespace, upload_id: str) -> str:
    resume = command_line(args, "upload", args.vault, args.file, options=(f"--upload-id={upload_id}",))
    abort = command_line(args, "abort-upload", args.vault, upload_id)
    return f"upload {upload_id} is kept in the vault; resume with: {resume} ; or abort it with: {abort}"


def _stopped(exc: CASError) -> str:
    """What stopped a multipart upload, said once (the SDK's message nests every layer's context)."""
    where = ""
    if isinstance(exc, MultipartUploadError) and exc.parts_total:
        where = f" after {len(exc.parts_done)} of {exc.parts_total} parts"
    cause = exc.__cause__ if isinstance(exc.__cause__, CASError) else exc
    return f"the upload stopped{where}: {cause.reason or type(cause).__name__}"


def cmd_upload(args: argparse.Namespace, out: TextIO) -> int:
    """One request up to the threshold, parallel multipart above; prints the new archive id."""
    console = console_of(args)
    resource = f"vault {args.vault!r}"
    size = local_file_size(args.file, "upload", resource, refuse_empty=True)
    vault = Vault.get_vault_by_name(connect(args), args.vault)
    threshold = args.part_size if args.part_size else Vault.NormalUploadThreshold
    upload: Optional[MultipartUpload] = None
    if args.upload_id:
        refuse(args, "when resuming (the upload keeps the description it was started with)", "--desc")
        upload = vault.get_multipart_uploader(args.upload_id)
        if args.part_size and args.part_size != upload.part_size:
            raise UsageError(
                f"upload {args.upload_id} has {upload.part_size}-byte parts, not {args.part_size}: "
                "leave out --part-size when resuming"
            )
        stored = sum(1 for tree in upload.parts.values() if tree)
        console.note(f"resuming upload {upload.id}: {stored} part(s) stored, checking them against the file")
    elif size > threshold:
        upload = vault.initiate_multipart_upload(args.file, args.desc, args.part_size)
    name = os.path.basename(args.file)
    if upload is None:
        with console.progress(f"upload {name}") as bar:
            archive_id = vault.upload_archive(args.file, args.desc, progress=bar)
    else:
        # from here on the upload exists at the service: any way out names how to finish it
        try:
            if not args.upload_id:
                console.note(f"multipart upload {upload.id}: {size:,} bytes in parts of {upload.part_size:,}")
            with console.progress(f"upload {name}") as bar:
                archive_id = upload.upload(args.file, progress=bar, resume=bool(args.upload_id))
        except KeyboardInterrupt:
            console.warn(_next_steps(args, upload.id))
            raise
        except CASError as exc:
            raise CommandFailed(f"{_stopped(exc)}; {_next_steps(args, upload.id)}") from exc
    print(archive_id, file=out)
    console.finished()
    return 0


def cmd_init_upload(args: argparse.Namespace, out: TextIO) -> int:
    """Start a multipart upload by hand (the original's ``init_multipart_upload``); prints its id."""
    api = connect(args)
    response = api.initiate_multipart_upload(args.vault, args.part_size, args.desc)
    print(response[api.dialect.h("multipart-upload-id")], file=out)
    return 0


def cmd_list_uploads(args: argparse.Namespace, out: TextIO) -> int:
    api = connect(args)
    entries = pages(
        args,
        lambda: api.list_all_multipart_uploads(args.vault),
        lambda marker, limit: api.list_multipart_uploads(args.vault, marker, limit),
        "UploadsList",
    )
    columns = [("UPLOAD ID", "MultipartUploadId"), ("PART SIZE", "PartSizeInBytes")]
    columns += [("CREATED", "CreationDate"), ("DESCRIPTION", "ArchiveDescription")]
    listing(out, args.output, columns, entries, sizes=("PartSizeInBytes",))
    return 0


def cmd_list_parts(args: argparse.Namespace, out: TextIO) -> int:
    api = connect(args)
    entries = pages(
        args,
        lambda: api.list_all_parts(args.vault, args.upload_id),
        lambda marker, limit: api.list_parts(args.vault, args.upload_id, marker, limit),
        "Parts",
    )
    listing(out, args.output, [("RANGE", "RangeInBytes"), ("TREE HASH", "SHA256TreeHash")], entries)
    return 0


def cmd_upload_part(args: argparse.Namespace, out: TextIO) -> int:
    """Upload bytes START..END (inclusive) of FILE as one part; prints its tree hash."""
    rng = ByteRange(args.start, args.end)
    hashes = hash_file(args.file, rng.start, rng.length, operation="upload-part")
    for given, computed, what in (
        (args.etag, hashes.sha256, "sha256"),
        (args.tree_etag, hashes.tree_hash, "tree hash"),
    ):
        if given and given.lower() != computed:
            raise CommandFailed(
                f"the {what} given ({given}) is not that of bytes {rng} of {args.file} ({computed})"
            )
    upload = Vault.get_vault_by_name(connect(args), args.vault).get_multipart_uploader(args.upload_id)
    with open(args.file, "rb") as stream:
        stream.seek(rng.start)
        tree = upload.upload_part(rng, stream)
    print(tree or hashes.tree_hash, file=out)
    return 0


def _assembled(parts: List[Dict[str, Any]], operation: str) -> Tuple[int, str]:
    """(size, tree hash) of contiguous parts from byte 0; a gap means the upload is not finished."""
    ranges = sorted(
        (
            (ByteRange.parse(str(p.get("RangeInBytes")), operation=operation), str(p.get("SHA256TreeHash")))
            for p in parts
        ),
        key=lambda entry: entry[0].start,
    )
    expected = 0
    for rng, _tree in ranges:
        if rng.start != expected:
            raise CommandFailed(
                f"bytes {expected}-{rng.start - 1} have no part yet: upload them, or pass SIZE and TREE_HASH"
            )
        expected = rng.end + 1
    if not ranges:
        raise CommandFailed("the upload has no parts yet")
    return expected, combine_tree_hashes([tree for _rng, tree in ranges])


def cmd_complete_upload(args: argparse.Namespace, out: TextIO) -> int:
    """Complete with SIZE and TREE_HASH, or with what the stored parts add up to; prints the archive id."""
    if (args.size is None) != (args.tree_hash is None):
        raise UsageError("give both SIZE and TREE_HASH, or neither (they are then computed from the parts)")
    api = connect(args)
    size, tree = args.size, args.tree_hash
    if size is None:
        size, tree = _assembled(list(api.list_all_parts(args.vault, args.upload_id)), "complete-upload")
    response = api.complete_multipart_upload(args.vault, args.upload_id, size, tree)
    print(response[api.dialect.h("archive-id")], file=out)
    return 0


def cmd_abort_upload(args: argparse.Namespace, out: TextIO) -> int:
    """Abort one upload, or with ``--all`` every upload in progress in the vault."""
    if args.all == bool(args.upload_id):
        raise UsageError("give an UPLOAD_ID or --all (not both)")
    api = connect(args)
    ids = (
        [args.upload_id]
        if args.upload_id
        else [str(u.get("MultipartUploadId")) for u in api.list_all_multipart_uploads(args.vault)]
    )
    for upload_id in ids:
        api.abort_multipart_upload(args.vault, upload_id)
        print(f"aborted upload {upload_id}", file=out)
    return 0


def cmd_file_tree_etag(args: argparse.Namespace, out: TextIO) -> int:
    """The SHA-256 and the SHA-256 tree hash of a whole file (what the service checks)."""
    hashes = hash_file(args.file, operation="file-tree-etag")
    size = local_file_size(args.file, "file-tree-etag", args.file)
    doc = {"file": args.file, "size": size, "sha256": hashes.sha256, "tree_hash": hashes.tree_hash}
    description(out, args.output, doc, sizes=())
    return 0


def cmd_part_tree_etag(args: argparse.Namespace, out: TextIO) -> int:
    """The hashes of bytes START..END (inclusive) of a file, as ``upload-part`` sends them."""
    rng = ByteRange(args.start, args.end)
    hashes = hash_file(args.file, rng.start, rng.length, operation="part-tree-etag")
    doc = {
        "file": args.file,
        "range": f"{rng.start}-{rng.end}",
        "sha256": hashes.sha256,
        "tree_hash": hashes.tree_hash,
    }
    description(out, args.output, doc, sizes=())
    return 0
