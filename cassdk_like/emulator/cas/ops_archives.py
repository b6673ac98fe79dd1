"""Archive and multipart-upload operations (docs/vault-protocol.md §1.2 and §1.3).

Bodies stream to disk while both checksums are computed; the client's ``content-sha256`` and
``sha256-tree-hash`` headers are then compared with what actually arrived.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.exceptions import InvalidByteRangeError
from cassdk_like.emulator.cas.context import Context, OperationTable
from cassdk_like.emulator.cas.errors import invalid_value, missing_value
from cassdk_like.emulator.cas.uploads import Upload
from cassdk_like.emulator.cas.util import check_description, check_hex_digest, iso_ms, parse_limit
from cassdk_like.emulator.db import Blob
from cassdk_like.emulator.wire import Response, empty_response, json_response

__all__ = ["OPERATIONS"]


def _content_length(ctx: Context) -> int:
    raw = ctx.request.header("content-length")
    if raw is None:
        raise missing_value("the Content-Length header is required")
    length = ctx.request.body.length
    if length == 0 and not ctx.state.settings.allow_empty_archives:
        raise invalid_value("an archive or part cannot be empty (zero bytes)")
    return length


def _checksums(ctx: Context) -> Tuple[str, str]:
    sha_header, tree_header = ctx.h("content-sha256"), ctx.h("sha256-tree-hash")
    sha = check_hex_digest(ctx.request.require_header(sha_header), sha_header)
    tree = check_hex_digest(ctx.request.require_header(tree_header), tree_header)
    return sha, tree


def _verify(ctx: Context, blob: Blob, sha: str, tree: str) -> None:
    """Compare the claimed checksums with the body; drop the blob when they differ."""
    problems = []
    if blob.sha256 != sha:
        problems.append(f"{ctx.h('content-sha256')} {sha} does not match the body's SHA-256 {blob.sha256}")
    if blob.tree_hash != tree:
        problems.append(
            f"{ctx.h('sha256-tree-hash')} {tree} does not match the body's tree hash {blob.tree_hash}"
        )
    if problems:
        ctx.state.store.db.discard(blob.token)
        raise invalid_value("; ".join(problems))


def upload_archive(ctx: Context) -> Response:
    store, request = ctx.state.store, ctx.request
    store.vault(ctx.vault)
    length = _content_length(ctx)
    sha, tree = _checksums(ctx)
    desc_header = ctx.h("archive-description")
    description = check_description(request.header(desc_header), desc_header)
    blob = store.db.spool(request.body.read, length)
    _verify(ctx, blob, sha, tree)
    archive_id = store.add_archive(ctx.vault, blob, description, ctx.now())
    return empty_response(
        201,
        [
            ctx.location(ctx.vault, "archives", archive_id),
            (ctx.h("archive-id"), archive_id),
            (ctx.h("content-sha256"), blob.sha256),
            (ctx.h("sha256-tree-hash"), blob.tree_hash),
        ],
    )


def delete_archive(ctx: Context) -> Response:
    ctx.state.store.delete_archive(ctx.vault, ctx.route.params["archive_id"], ctx.now())
    return empty_response(204)


def initiate_upload(ctx: Context) -> Response:
    header = ctx.h("part-size")
    raw = ctx.request.require_header(header)
    if not raw.isdigit():
        raise invalid_value(f"{header} must be a whole number of bytes, got {raw[:40]!r}")
    desc_header = ctx.h("archive-description")
    description = check_description(ctx.request.header(desc_header), desc_header)
    upload_id = ctx.state.uploads.initiate(ctx.vault, int(raw), description, ctx.now())
    return empty_response(
        201,
        [
            ctx.location(ctx.vault, "multipart-uploads", upload_id),
            (ctx.h("multipart-upload-id"), upload_id),
        ],
    )


def _upload(ctx: Context) -> Upload:
    return ctx.state.uploads.get(ctx.vault, ctx.route.params["upload_id"], ctx.now())


def _part_range(ctx: Context) -> ByteRange:
    raw = ctx.request.require_header("Content-Range")
    try:
        byte_range, total = ByteRange.from_content_range(raw)
    except InvalidByteRangeError as exc:
        raise invalid_value(f"Content-Range {raw!r} is not 'bytes <start>-<end>/*'") from exc
    if total is not None:
        raise invalid_value(f"Content-Range {raw!r} must end in '/*' (the archive size is not known yet)")
    if byte_range.length != ctx.request.body.length:
        raise invalid_value(
            f"Content-Range {raw!r} covers {byte_range.length} bytes but Content-Length is"
            f" {ctx.request.body.length}"
        )
    return byte_range


def upload_part(ctx: Context) -> Response:
    upload = _upload(ctx)
    uploads, request = ctx.state.uploads, ctx.request
    _content_length(ctx)
    byte_range = _part_range(ctx)
    sha, tree = _checksums(ctx)
    uploads.check_part(upload, byte_range.start, byte_range.end)
    blob = ctx.state.store.db.spool(request.body.read, byte_range.length)
    _verify(ctx, blob, sha, tree)
    uploads.put_part(upload, byte_range.start, blob, ctx.now())
    return empty_response(204, [(ctx.h("sha256-tree-hash"), blob.tree_hash)])


def complete_upload(ctx: Context) -> Response:
    size_header, tree_header = ctx.h("archive-size"), ctx.h("sha256-tree-hash")
    raw_size = ctx.request.require_header(size_header)
    if not raw_size.isdigit():
        raise invalid_value(f"{size_header} must be a whole number of bytes, got {raw_size[:40]!r}")
    tree = check_hex_digest(ctx.request.require_header(tree_header), tree_header)
    uploads, upload_id = ctx.state.uploads, ctx.route.params["upload_id"]
    again = uploads.completed_again(ctx.vault, upload_id, int(raw_size), tree, ctx.now())
    if again is not None:
        archive_id, combined = again
    else:
        archive_id, combined = uploads.complete(_upload(ctx), int(raw_size), tree, ctx.now())
    return empty_response(
        201,
        [
            ctx.location(ctx.vault, "archives", archive_id),
            (ctx.h("archive-id"), archive_id),
            (ctx.h("sha256-tree-hash"), combined),
        ],
    )


def abort_upload(ctx: Context) -> Response:
    ctx.state.uploads.abort(_upload(ctx))
    return empty_response(204)


def _upload_doc(ctx: Context, upload: Upload) -> Dict[str, Any]:
    return {
        "ArchiveDescription": upload.description,
        "CreationDate": iso_ms(upload.created),
        "MultipartUploadId": upload.upload_id,
        "PartSizeInBytes": upload.part_size,
        ctx.dialect.qcs_field: ctx.state.settings.qcs(upload.vault, ctx.dialect),
    }


def list_uploads(ctx: Context) -> Response:
    default = ctx.dialect.list_defaults["ListMultipartUploads"]
    limit = parse_limit(ctx.request.param("limit"), default=default, maximum=1000)
    uploads, following = ctx.state.uploads.list(ctx.vault, ctx.request.param("marker"), limit)
    return json_response(200, {"Marker": following, "UploadsList": [_upload_doc(ctx, u) for u in uploads]})


def list_parts(ctx: Context) -> Response:
    upload = _upload(ctx)
    limit = parse_limit(
        ctx.request.param("limit"), default=ctx.dialect.list_defaults["ListParts"], maximum=1000
    )
    marker: Optional[str] = ctx.request.param("marker")
    if marker is not None and not marker.isdigit():
        raise invalid_value(f"marker {marker!r} is not a part offset returned by List Parts")
    parts, following = ctx.state.uploads.parts(upload.upload_id, int(marker or 0), limit)
    doc = _upload_doc(ctx, upload)
    doc.update(
        Marker=None if following is None else str(following),
        Parts=[{"RangeInBytes": f"{p.start}-{p.end}", "SHA256TreeHash": p.tree_hash} for p in parts],
    )
    return json_response(200, doc)


OPERATIONS: OperationTable = {
    "UploadArchive": upload_archive,
    "DeleteArchive": delete_archive,
    "InitiateMultipartUpload": initiate_upload,
    "UploadMultipartPart": upload_part,
    "CompleteMultipartUpload": complete_upload,
    "AbortMultipartUpload": abort_upload,
    "ListMultipartUploads": list_uploads,
    "ListParts": list_parts,
}
