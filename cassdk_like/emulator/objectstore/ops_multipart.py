"""Multipart upload operations both dialects share (docs/bucket-protocol.md §4): create, upload
part, upload part by copy, list parts, complete, abort, list uploads.

Completion is where the rules bite: parts listed in ascending order (InvalidPartOrder), each one
uploaded with that ETag (InvalidPart), every part but the last at least the dialect's minimum
(EntityTooSmall: 5 MiB for S3, 1 MiB for COS), and for an upload created with a checksum
algorithm, each part's checksum named and matching. The object's ETag is the MD5 of the parts'
binary MD5s, ``-N`` appended.
"""

from __future__ import annotations

import hashlib
from typing import Callable, Dict, List, Optional, Tuple

from cassdk_like.emulator.objectstore.attributes import read_attributes
from cassdk_like.emulator.objectstore.body import read_small
from cassdk_like.emulator.objectstore.conditions import check_write
from cassdk_like.emulator.objectstore.context import Context
from cassdk_like.emulator.objectstore.digests import (
    COMPOSITE,
    FULL_OBJECT,
    TYPE_ALGORITHMS,
    Tee,
    b64,
    combine_full_object,
    composite_checksum,
    crc64_combine,
    decode_checksum,
)
from cassdk_like.emulator.objectstore.errors import (
    bad_digest,
    entity_too_small,
    invalid_argument,
    invalid_part,
    invalid_part_order,
    invalid_request,
    malformed_xml,
)
from cassdk_like.emulator.objectstore.ingest import check_document, declared_digests, ingest
from cassdk_like.emulator.objectstore.names import check_key
from cassdk_like.emulator.objectstore.ops_buckets import encoder, max_keys_param, owner_node
from cassdk_like.emulator.objectstore.ops_objects import (
    checksum_headers,
    part_number_param,
    require_content_length,
    source_object,
)
from cassdk_like.emulator.objectstore.records import ObjectRecord, PartRecord, UploadRecord
from cassdk_like.emulator.objectstore.xmldoc import (
    MAX_XML_BODY,
    Node,
    child_text,
    children,
    iso_time,
    parse_xml,
    xml_response,
)
from cassdk_like.emulator.wire import Response, empty_response

__all__ = ["OPERATIONS"]

Operation = Callable[[Context], Response]


def _upload_id(ctx: Context) -> str:
    value = ctx.param("uploadId")
    if not value:
        raise invalid_argument("This operation does not accept an empty uploadId", "uploadId", value or "")
    return value


def _checksum_choice(ctx: Context) -> Tuple[str, str]:
    """(algorithm, type) a CreateMultipartUpload asks for ("" for none)."""
    algorithm = (ctx.h("checksum-algorithm") or "").strip().lower()
    kind = (ctx.h("checksum-type") or "").strip().upper()
    if not algorithm:
        if kind:
            raise invalid_request(
                f"The {ctx.dialect.h('checksum-type')} header can only be used with the"
                f" {ctx.dialect.h('checksum-algorithm')} header."
            )
        return "", ""
    if algorithm not in ctx.dialect.checksum_algorithms:
        raise invalid_request(f"Checksum algorithm {algorithm} is not supported.")
    if kind and kind not in TYPE_ALGORITHMS:
        raise invalid_request(f"Value for {ctx.dialect.h('checksum-type')} header is invalid.")
    kind = kind or (FULL_OBJECT if algorithm == "crc64nvme" else COMPOSITE)
    if algorithm not in TYPE_ALGORITHMS[kind]:
        raise invalid_request(
            f"The {kind} checksum type cannot be used with the {algorithm} checksum algorithm."
        )
    return algorithm, kind


def create_multipart_upload(ctx: Context) -> Response:
    ctx.store.require_bucket(ctx.bucket)
    check_key(ctx.key, ctx.dialect.max_key_bytes)
    attributes = read_attributes(ctx)
    algorithm, kind = _checksum_choice(ctx)
    upload = ctx.uploads.create(
        UploadRecord(
            upload_id="",
            bucket=ctx.bucket,
            key=ctx.key,
            initiated=ctx.now,
            content_type=attributes.content_type,
            headers=attributes.headers,
            metadata=attributes.metadata,
            tags=attributes.tags,
            checksum_algorithm=algorithm,
            checksum_type=kind,
            storage_class=attributes.storage_class,
        )
    )
    headers = []
    if algorithm:
        headers = [
            (ctx.dialect.h("checksum-algorithm"), algorithm.upper()),
            (ctx.dialect.h("checksum-type"), kind),
        ]
    nodes: List[Node] = [("Bucket", ctx.bucket), ("Key", ctx.key), ("UploadId", upload.upload_id)]
    return xml_response(200, "InitiateMultipartUploadResult", nodes, ctx.dialect.xmlns, headers)


def _check_part_algorithm(ctx: Context, upload: UploadRecord, sent: Tuple[str, ...]) -> None:
    if upload.checksum_algorithm and sent and upload.checksum_algorithm not in sent:
        raise invalid_request(
            f"Checksum Type mismatch occurred, expected checksum Type: {upload.checksum_algorithm},"
            f" actual checksum Type: {sent[0]}"
        )


def _part_limits(ctx: Context) -> Tuple[int, UploadRecord]:
    number = part_number_param(ctx)
    if number is None:
        raise invalid_argument(
            "Part number must be an integer between 1 and 10000, inclusive", "partNumber", ""
        )
    ctx.store.require_bucket(ctx.bucket)
    return number, ctx.uploads.get(ctx.bucket, ctx.key, _upload_id(ctx))


def upload_part(ctx: Context) -> Response:
    number, upload = _part_limits(ctx)
    require_content_length(ctx)
    _check_part_algorithm(ctx, upload, declared_digests(ctx).algorithms)
    also = [upload.checksum_algorithm] if upload.checksum_algorithm else []
    taken = ingest(ctx, max_size=ctx.dialect.max_part_size, also=also)
    part = PartRecord(
        upload.upload_id,
        number,
        taken.size,
        taken.md5_hex,
        taken.blob.token,
        ctx.now,
        taken.checksums,
        taken.crc64,
    )
    try:
        ctx.uploads.put_part(ctx.bucket, ctx.key, part)
    except BaseException:
        ctx.store.db.discard(taken.blob.token)
        raise
    headers = [("ETag", f'"{part.etag}"'), *checksum_headers(ctx, part.checksums)]
    if ctx.dialect.crc64_header is not None and part.crc64 is not None:
        headers.append((ctx.dialect.crc64_header, str(part.crc64)))
    return empty_response(200, headers)


def _copy_range(ctx: Context, size: int) -> Tuple[int, int]:
    header = ctx.dialect.h("copy-source-range")
    value = ctx.header(header)
    if value is None:
        return 0, size
    text = value.strip()
    first_text, dash, last_text = (
        text[len("bytes=") :].partition("-") if text.startswith("bytes=") else ("", "", "")
    )
    if not dash or not first_text.isdigit() or not last_text.isdigit() or int(last_text) < int(first_text):
        raise invalid_argument(
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are"
            " the zero-based offsets of the first and last bytes to copy",
            header,
            text,
        )
    first, last = int(first_text), int(last_text)
    if last >= size:
        raise invalid_argument(
            f"Range specified is not valid for source object of size: {size}", header, text
        )
    return first, last - first + 1


def upload_part_copy(ctx: Context) -> Response:
    number, upload = _part_limits(ctx)
    source = source_object(ctx)
    offset, length = _copy_range(ctx, source.size)
    if length > ctx.dialect.max_part_size:
        raise invalid_request("The specified copy range is larger than the maximum part size")
    algorithms = [upload.checksum_algorithm] if upload.checksum_algorithm else []
    with open(ctx.store.db.path(source.blob), "rb") as handle:
        handle.seek(offset)
        tee = Tee(handle.read, algorithms, crc64=ctx.dialect.crc64_header is not None)
        blob = ctx.store.db.spool(tee.read, length)
    part = PartRecord(
        upload.upload_id,
        number,
        blob.size,
        tee.md5.hexdigest(),
        blob.token,
        ctx.now,
        tee.checksums(),
        tee.crc64,
    )
    try:
        ctx.uploads.put_part(ctx.bucket, ctx.key, part)
    except BaseException:
        ctx.store.db.discard(blob.token)
        raise
    nodes: List[Node] = [("ETag", f'"{part.etag}"'), ("LastModified", iso_time(part.modified))]
    nodes += [(f"Checksum{name.upper()}", value) for name, value in sorted(part.checksums.items())]
    return xml_response(200, "CopyPartResult", nodes, ctx.dialect.xmlns)


def _part_node(part: PartRecord) -> Node:
    nodes: List[Node] = [
        ("PartNumber", str(part.part_number)),
        ("LastModified", iso_time(part.modified)),
        ("ETag", f'"{part.etag}"'),
        ("Size", str(part.size)),
    ]
    nodes += [(f"Checksum{name.upper()}", value) for name, value in sorted(part.checksums.items())]
    return ("Part", nodes)


def list_parts(ctx: Context) -> Response:
    ctx.store.require_bucket(ctx.bucket)
    upload = ctx.uploads.get(ctx.bucket, ctx.key, _upload_id(ctx))
    limit = max_keys_param(ctx, "max-parts")
    marker_text = ctx.param("part-number-marker") or "0"
    if not marker_text.isdigit():
        raise invalid_argument(
            "Argument part-number-marker must be an integer", "part-number-marker", marker_text
        )
    marker = int(marker_text)
    found = ctx.uploads.parts(upload.upload_id, after=marker, limit=limit + 1)
    truncated = len(found) > limit
    shown = found[:limit]
    nodes: List[Node] = [
        ("Bucket", ctx.bucket),
        ("Key", ctx.key),
        ("UploadId", upload.upload_id),
        owner_node(ctx, "Initiator"),
        owner_node(ctx),
        ("StorageClass", upload.storage_class),
        ("PartNumberMarker", str(marker)),
        ("NextPartNumberMarker", str(shown[-1].part_number) if shown else "0"),
        ("MaxParts", str(limit)),
        ("IsTruncated", "true" if truncated else "false"),
        ("ChecksumAlgorithm", upload.checksum_algorithm.upper() or None),
        ("ChecksumType", upload.checksum_type or None),
    ]
    nodes += [_part_node(part) for part in shown]
    return xml_response(200, "ListPartsResult", nodes, ctx.dialect.xmlns)


def _requested_parts(ctx: Context, upload: UploadRecord) -> List[Tuple[int, str, Optional[str]]]:
    """(part number, ETag, checksum) of each Part the CompleteMultipartUpload body lists, in order."""
    data = read_small(ctx.body, MAX_XML_BODY, malformed_xml())
    check_document(ctx, data)
    root = parse_xml(data, "CompleteMultipartUpload")
    listed = []
    checksum_tag = f"Checksum{upload.checksum_algorithm.upper()}" if upload.checksum_algorithm else ""
    for element in children(root, "Part"):
        number_text, etag = child_text(element, "PartNumber"), child_text(element, "ETag")
        if number_text is None or etag is None or not number_text.strip().isdigit():
            raise malformed_xml()
        checksum = child_text(element, checksum_tag) if checksum_tag else None
        listed.append((int(number_text), etag.strip().strip('"'), checksum))
    if not listed:
        raise malformed_xml()
    previous = 0
    for number, _etag, _checksum in listed:
        if number <= previous:
            raise invalid_part_order(upload.upload_id)
        previous = number
    return listed


def _chosen_parts(ctx: Context, upload: UploadRecord) -> List[PartRecord]:
    listed = _requested_parts(ctx, upload)
    stored = {part.part_number: part for part in ctx.uploads.parts(upload.upload_id)}
    chosen = []
    for index, (number, etag, checksum) in enumerate(listed):
        part = stored.get(number)
        if part is None or part.etag != etag:
            raise invalid_part(upload.upload_id, number, etag)
        if index < len(listed) - 1 and part.size < ctx.dialect.min_part_size:
            raise entity_too_small(
                part.size, ctx.dialect.min_part_size, [("PartNumber", str(number)), ("ETag", etag)]
            )
        algorithm = upload.checksum_algorithm
        if algorithm and upload.checksum_type == COMPOSITE:
            if checksum is None:
                raise invalid_request(
                    f"The upload was created using a {algorithm} checksum. The complete request must include"
                    f" the checksum for each part. It was missing for part {number} in the request."
                )
            if checksum.strip() != part.checksums.get(algorithm):
                raise invalid_part(upload.upload_id, number, etag)
        chosen.append(part)
    return chosen


def _object_checksum(ctx: Context, upload: UploadRecord, parts: List[PartRecord]) -> Dict[str, str]:
    algorithm = upload.checksum_algorithm
    if not algorithm:
        return {}
    values = [part.checksums[algorithm] for part in parts]
    if upload.checksum_type == COMPOSITE:
        return {algorithm: composite_checksum(algorithm, values)}
    whole = combine_full_object(algorithm, values, [part.size for part in parts])
    sent = ctx.h(f"checksum-{algorithm}")
    if sent is not None:
        raw = decode_checksum(algorithm, sent)
        if raw is None:
            raise invalid_request(f"Value for {ctx.dialect.h('checksum-' + algorithm)} header is invalid.")
        if b64(raw) != whole:
            raise bad_digest(f"The {algorithm} you specified did not match the calculated checksum.")
    return {algorithm: whole}


def complete_multipart_upload(ctx: Context) -> Response:
    ctx.store.require_bucket(ctx.bucket)
    upload = ctx.uploads.get(ctx.bucket, ctx.key, _upload_id(ctx))
    if (ctx.header("if-none-match") or "*").strip() != "*":
        check_write(ctx.request.headers, None, ctx.key)
    parts = _chosen_parts(ctx, upload)
    total = sum(part.size for part in parts)
    declared_size = ctx.h("mp-object-size")
    if declared_size is not None and declared_size.strip() != str(total):
        raise invalid_request(
            f"The provided {ctx.dialect.h('mp-object-size')} header value {declared_size.strip()} does not"
            f" match the object size {total}."
        )
    checksums = _object_checksum(ctx, upload, parts)
    joined = hashlib.md5(b"".join(bytes.fromhex(part.etag) for part in parts))  # noqa: S324 - S3's ETag
    etag = f"{joined.hexdigest()}-{len(parts)}"
    crc64 = crc64_combine([part.crc64 for part in parts], [part.size for part in parts])

    def build(blob: str) -> ObjectRecord:
        return ObjectRecord(
            bucket=ctx.bucket,
            key=ctx.key,
            size=total,
            etag=etag,
            blob=blob,
            modified=ctx.now,
            content_type=upload.content_type,
            headers=upload.headers,
            metadata=upload.metadata,
            checksums=checksums,
            checksum_type=upload.checksum_type if checksums else "",
            tags=upload.tags,
            part_sizes=[part.size for part in parts],
            crc64=crc64,
            storage_class=upload.storage_class,
        )

    record = ctx.uploads.complete(
        upload, parts, build, lambda old: check_write(ctx.request.headers, old, ctx.key)
    )
    location = f"/{ctx.bucket}/{ctx.key}"
    nodes: List[Node] = [
        ("Location", location),
        ("Bucket", ctx.bucket),
        ("Key", ctx.key),
        ("ETag", f'"{etag}"'),
    ]
    nodes += [(f"Checksum{name.upper()}", value) for name, value in sorted(checksums.items())]
    if checksums:
        nodes.append(("ChecksumType", record.checksum_type))
    headers = checksum_headers(ctx, checksums, record.checksum_type)
    if ctx.dialect.crc64_header is not None and crc64 is not None:
        headers.append((ctx.dialect.crc64_header, str(crc64)))
    return xml_response(200, "CompleteMultipartUploadResult", nodes, ctx.dialect.xmlns, headers)


def abort_multipart_upload(ctx: Context) -> Response:
    ctx.store.require_bucket(ctx.bucket)
    ctx.uploads.abort(ctx.bucket, ctx.key, _upload_id(ctx))
    return empty_response(204)


def list_multipart_uploads(ctx: Context) -> Response:
    ctx.store.require_bucket(ctx.bucket)
    encode = encoder(ctx)
    limit = max_keys_param(ctx, "max-uploads")
    prefix = ctx.param("prefix") or ""
    delimiter = ctx.param("delimiter") or ""
    key_marker = ctx.param("key-marker") or ""
    id_marker = ctx.param("upload-id-marker") or ""
    candidates = ctx.uploads.uploads(ctx.bucket, prefix, key_marker, id_marker if key_marker else "", 100_000)
    shown: List[UploadRecord] = []
    prefixes: List[str] = []
    truncated = False
    for upload in candidates:
        group = ""
        if delimiter:
            cut = upload.key.find(delimiter, len(prefix))
            group = upload.key[: cut + len(delimiter)] if cut >= 0 else ""
        if group and group in prefixes:
            continue
        if len(shown) + len(prefixes) >= limit:
            truncated = True
            break
        if group:
            prefixes.append(group)
        else:
            shown.append(upload)
    nodes: List[Node] = [
        ("Bucket", ctx.bucket),
        ("KeyMarker", encode(key_marker)),
        ("UploadIdMarker", id_marker),
        ("NextKeyMarker", encode(shown[-1].key) if truncated and shown else None),
        ("NextUploadIdMarker", shown[-1].upload_id if truncated and shown else None),
        ("Prefix", encode(prefix) if prefix else None),
        ("Delimiter", encode(delimiter) if delimiter else None),
        ("MaxUploads", str(limit)),
        ("EncodingType", "url" if ctx.param("encoding-type") else None),
        ("IsTruncated", "true" if truncated else "false"),
    ]
    for upload in shown:
        nodes.append(
            (
                "Upload",
                [
                    ("Key", encode(upload.key)),
                    ("UploadId", upload.upload_id),
                    owner_node(ctx, "Initiator"),
                    owner_node(ctx),
                    ("StorageClass", upload.storage_class),
                    ("Initiated", iso_time(upload.initiated)),
                    ("ChecksumAlgorithm", upload.checksum_algorithm.upper() or None),
                ],
            )
        )
    nodes += [("CommonPrefixes", [("Prefix", encode(prefix_))]) for prefix_ in prefixes]
    return xml_response(200, "ListMultipartUploadsResult", nodes, ctx.dialect.xmlns)


OPERATIONS: Dict[str, Operation] = {
    "CreateMultipartUpload": create_multipart_upload,
    "UploadPart": upload_part,
    "UploadPartCopy": upload_part_copy,
    "ListParts": list_parts,
    "CompleteMultipartUpload": complete_multipart_upload,
    "AbortMultipartUpload": abort_multipart_upload,
    "ListMultipartUploads": list_multipart_uploads,
}
