"""Taking a body in: streamed to a blob while every digest the request declares is computed, then
checked (Content-MD5, ``x-amz-checksum-*`` in headers or trailers, the envelope's own claims).

A failed check discards the blob and answers BadDigest; nothing of a refused body is kept and
nothing is ever held whole in memory (docs/bucket-protocol.md §3.2).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Dict, Iterable, Optional, Tuple

from cassdk_like.emulator.db import Blob
from cassdk_like.emulator.objectstore.context import Context
from cassdk_like.emulator.objectstore.digests import ALGORITHMS, Tee, b64, decode_checksum, new_digest
from cassdk_like.emulator.objectstore.errors import (
    bad_digest,
    entity_too_large,
    invalid_digest,
    invalid_request,
)

__all__ = ["Declared", "Ingested", "check_document", "declared_digests", "ingest"]

_NOT_CHECKSUMS = frozenset({"mode", "algorithm", "type"})


@dataclass(frozen=True)
class Declared:
    """What a request says its body hashes to: Content-MD5, checksums by algorithm, and the
    algorithm whose value comes in a trailer (aws-chunked), if any."""

    md5: Optional[bytes]
    checksums: Dict[str, bytes]
    trailer: Optional[str]

    @property
    def algorithms(self) -> Tuple[str, ...]:
        names = set(self.checksums) | ({self.trailer} if self.trailer else set())
        return tuple(sorted(names))


@dataclass(frozen=True)
class Ingested:
    blob: Blob
    md5_hex: str
    checksums: Dict[str, str]
    crc64: Optional[int]

    @property
    def size(self) -> int:
        return self.blob.size


def _content_md5(value: Optional[str]) -> Optional[bytes]:
    if value is None:
        return None
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise invalid_digest() from None
    if len(raw) != 16:
        raise invalid_digest()
    return raw


def declared_digests(ctx: Context) -> Declared:
    """Read and validate the digest headers (malformed values are InvalidDigest/InvalidRequest)."""
    dialect = ctx.dialect
    md5 = _content_md5(ctx.header("content-md5"))
    checksums: Dict[str, bytes] = {}
    trailer: Optional[str] = None
    if dialect.checksum_algorithms:
        stem = dialect.h("checksum-")
        for name, value in ctx.request.headers.items():
            if not name.startswith(stem) or name[len(stem) :] in _NOT_CHECKSUMS:
                continue
            algorithm = name[len(stem) :]
            if algorithm not in dialect.checksum_algorithms:
                raise invalid_request(f"The {name} header names a checksum algorithm that is not supported.")
            raw = decode_checksum(algorithm, value)
            if raw is None:
                raise invalid_request(f"Value for {name} header is invalid.")
            checksums[algorithm] = raw
        if len(checksums) > 1:
            raise invalid_request(
                "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."
            )
        announced = (ctx.h("trailer") or "").strip().lower()
        if announced:
            if not announced.startswith(stem) or announced[len(stem) :] not in dialect.checksum_algorithms:
                raise invalid_request(f"The value of {dialect.h('trailer')} names no supported checksum.")
            trailer = announced[len(stem) :]
            if checksums:
                raise invalid_request(
                    "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."
                )
        sdk = (ctx.h("sdk-checksum-algorithm") or "").strip().lower()
        if sdk and sdk not in checksums and sdk != trailer:
            raise invalid_request(
                f"{dialect.h('sdk-checksum-algorithm')} specified, but no corresponding"
                f" {dialect.h('checksum-*')} or {dialect.h('trailer')} headers were found."
            )
    return Declared(md5, checksums, trailer)


def _verify(
    dialect_prefix: str, declared: Declared, md5: bytes, computed: Dict[str, str], trailers: Dict[str, str]
) -> None:
    if declared.md5 is not None and declared.md5 != md5:
        raise bad_digest(
            "The Content-MD5 you specified did not match what we received.",
            [("ExpectedDigest", b64(declared.md5)), ("CalculatedDigest", b64(md5))],
        )
    expected = dict(declared.checksums)
    if declared.trailer is not None:
        name = f"{dialect_prefix}checksum-{declared.trailer}"
        raw = decode_checksum(declared.trailer, trailers.get(name, ""))
        if raw is None:
            raise invalid_request(f"Value for {name} trailing header is invalid.")
        expected[declared.trailer] = raw
    for algorithm, raw in expected.items():
        if b64(raw) != computed[algorithm]:
            raise bad_digest(f"The {algorithm} you specified did not match the calculated checksum.")


def ingest(ctx: Context, *, max_size: int, also: Iterable[str] = ()) -> Ingested:
    """Stream the body into a new blob and check it; ``also`` names checksums to compute anyway
    (a multipart upload's algorithm). Raises StoreError (the blob is then gone)."""
    declared = declared_digests(ctx)
    length = ctx.body.length
    if length is not None and length > max_size:
        raise entity_too_large(length, max_size)
    algorithms = sorted(set(declared.algorithms) | (set(also) & ALGORITHMS))
    tee = Tee(ctx.body.read, algorithms, crc64=ctx.dialect.crc64_header is not None)
    blob = ctx.store.db.spool(tee.read, length)
    try:
        if blob.size > max_size:
            raise entity_too_large(blob.size, max_size)
        ctx.body.finish(blob.sha256)
        computed = tee.checksums()
        _verify(ctx.dialect.prefix, declared, tee.md5.digest(), computed, ctx.body.trailers())
    except BaseException:
        ctx.store.db.discard(blob.token)
        raise
    return Ingested(blob, tee.md5.hexdigest(), computed, tee.crc64)


def check_document(ctx: Context, data: bytes) -> Declared:
    """Check a small request document (already read whole) against its declared digests."""
    declared = declared_digests(ctx)
    computed = {}
    for algorithm in declared.algorithms:
        digest = new_digest(algorithm)
        digest.update(data)
        computed[algorithm] = b64(digest.digest())
    md5 = hashlib.md5(data).digest()  # noqa: S324 - Content-MD5 is MD5 by definition
    _verify(ctx.dialect.prefix, declared, md5, computed, ctx.body.trailers())
    return declared
