"""A bucket dialect = a wire profile + the few facts in which S3 and COS differ (docs/bucket-protocol.md §0).

``BucketClient(dialect="s3" | "cos")`` picks one; the client and the high level ask it for a header
name (``h("meta-sha256")``), how pages of a listing are requested, which checksum goes with a part,
or the typed error of an answer (``parse_error``), so no code outside this module says "if COS".
"""

from __future__ import annotations

import re
from typing import Optional, Tuple, Type, Union

import attrs

from cassdk_like.bucket.errors import BODYLESS_CODES, BUCKET_ERRORS
from cassdk_like.core.auth.signers import cos_signed_header, qsign_signer, sigv4_signer
from cassdk_like.core.errorparse import first_of, parse_xml_error, status_error_parser
from cassdk_like.core.errortable import ErrorDecoder
from cassdk_like.core.exceptions import CASServerError, InvalidArgumentError
from cassdk_like.core.http.response import HttpResponse
from cassdk_like.core.wire import WireProfile

__all__ = ["COS", "COS_WIRE", "S3", "S3_WIRE", "BucketDialect", "get_dialect"]

#: XML error documents, else (HEAD, 304, 412 without a body) a code named after the status
_BUCKET_ERROR_PARSER = first_of(parse_xml_error, status_error_parser(BODYLESS_CODES))

#: AWS S3: x-amz-* headers, SigV4 (service ``s3``: path encoded once, never normalised, payload hash
#: always sent), XML errors
S3_WIRE = WireProfile(
    name="s3",
    header_prefix="x-amz-",
    request_id_headers=("x-amz-request-id", "x-amzn-RequestId"),
    default_region="us-east-1",
    host_region=re.compile(r"(?:^|\.)s3[.-]([a-z0-9-]+)\.amazonaws\.com$"),
    make_signer=sigv4_signer("s3", normalize_path=False, double_encode=False, send_payload_hash=True),
    error_parser=_BUCKET_ERROR_PARSER,
)

#: Tencent COS XML API: x-cos-* headers, q-sign in its COS flavour (window opened 60 s early, as
#: cos-python-sdk-v5 does), XML errors, region in ``<bucket>-<appid>.cos.<region>.myqcloud.com``
COS_WIRE = WireProfile(
    name="cos",
    header_prefix="x-cos-",
    request_id_headers=("x-cos-request-id",),
    host_region=re.compile(r"(?:^|\.)cos\.([a-z0-9-]+)\.myqcloud\.com$"),
    make_signer=qsign_signer(cos_signed_header, flavor="cos", backdate=60),
    error_parser=_BUCKET_ERROR_PARSER,
)


@attrs.frozen
class BucketDialect:
    """One bucket dialect. Immutable, so thread-safe and shareable between clients.

    * ``list_v2``: listings page with ``list-type=2`` and continuation tokens (S3), or with
      ``marker`` / ``NextMarker`` (COS's GET Bucket).
    * ``part_checksum``: the checksum sent with a single PUT: ``"sha256"``
      (``x-amz-checksum-sha256``, S3 verifies it; the same pass gives the metadata digest) or
      ``"md5"`` (``Content-MD5``, COS verifies it).
    * ``multipart_checksums``: the checksums the parts of a multipart upload may carry, the
      default first: S3 ``"crc32"`` (``x-amz-checksum-crc32``: a third of SHA-256's CPU, as boto3
      sends) or ``"sha256"``; COS ``"md5"``.  Defaults to ``part_checksum`` alone, which parts
      also default to where the signature hashes every body (S3 over plain HTTP).
    * ``crc64_header``: the response header carrying COS's CRC-64/ECMA of what it stored, if any.
    * ``replace_directive``: the metadata directive value of a copy that replaces the metadata.
    * ``xml_namespace``: the namespace request documents are written in (None: none).
    * ``max_key_bytes`` / ``min_part_size``: the longest key (UTF-8 bytes) and the smallest part
      but the last (S3 1024 and 5 MiB, COS 850 and 1 MiB).
    """

    wire: WireProfile
    list_v2: bool
    part_checksum: str
    replace_directive: str
    crc64_header: Optional[str] = None
    xml_namespace: Optional[str] = None
    max_key_bytes: int = 1024
    min_part_size: int = 5 * 1024 * 1024
    multipart_checksums: Tuple[str, ...] = attrs.field()
    errors: ErrorDecoder = attrs.field(eq=False, repr=False)

    @multipart_checksums.default
    def _single_put_checksum(self) -> Tuple[str, ...]:
        return (self.part_checksum,)

    @errors.default
    def _errors_from_wire(self) -> ErrorDecoder:
        return ErrorDecoder(self.wire.error_parser, BUCKET_ERRORS)

    @property
    def name(self) -> str:
        """The dialect's name ("s3" or "cos")."""
        return self.wire.name

    @property
    def meta_prefix(self) -> str:
        """User metadata headers: ``x-amz-meta-`` / ``x-cos-meta-``."""
        return self.wire.h("meta-")

    def h(self, suffix: str) -> str:
        """A dialect header name: ``h("copy-source") -> "x-cos-copy-source"``."""
        return self.wire.h(suffix)

    def parse_error(
        self,
        response: HttpResponse,
        *,
        operation: Optional[str] = None,
        resource: Optional[str] = None,
        missing: Optional[Type[CASServerError]] = None,
    ) -> CASServerError:
        """The typed error of a non-2xx answer.  ``missing`` names what a bodyless 404 means for
        this operation (a HEAD of an object: ``NoSuchKey``), since the answer cannot say it."""
        error = self.errors.decode(
            response.status,
            response.headers,
            response.body,
            request_id=response.request_id,
            operation=operation or response.operation or None,
            resource=resource or response.resource or None,
        )
        if missing is not None and response.status == 404 and not response.body.strip():
            return missing(
                error.status,
                missing.__name__,
                error.message,
                error.type,
                error.request_id,
                error.body,
                operation=error.operation,
                resource=error.resource,
            )
        return error


S3 = BucketDialect(
    S3_WIRE,
    list_v2=True,
    part_checksum="sha256",
    multipart_checksums=("crc32", "sha256"),
    replace_directive="REPLACE",
    xml_namespace="http://s3.amazonaws.com/doc/2006-03-01/",
)
COS = BucketDialect(
    COS_WIRE,
    list_v2=False,
    part_checksum="md5",
    replace_directive="Replaced",
    crc64_header="x-cos-hash-crc64ecma",
    max_key_bytes=850,
    min_part_size=1024 * 1024,
)

_BY_NAME = {dialect.name: dialect for dialect in (S3, COS)}


def get_dialect(name: Union[str, BucketDialect]) -> BucketDialect:
    """Look a dialect up by name ("s3" or "cos", any case); a BucketDialect is returned as is."""
    if isinstance(name, BucketDialect):
        return name
    dialect = _BY_NAME.get(str(name).strip().lower())
    if dialect is None:
        raise InvalidArgumentError(f"unknown bucket dialect {name!r}; expected one of {sorted(_BY_NAME)}")
    return dialect
