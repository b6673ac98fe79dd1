"""``aws-chunked`` request bodies (S3 streaming uploads), decoded as they are read
(docs/bucket-protocol.md §6.3).

The wire form is a run of chunks, ``<hex size>[;chunk-signature=<sig>]\\r\\n<bytes>\\r\\n``, ending
with a zero-size chunk and, in the trailer modes, ``name:value`` lines and an empty line. Signed
modes chain each chunk's signature from the previous one, starting with the request's own; the
trailer of a signed mode carries ``x-amz-trailer-signature``. ``x-amz-decoded-content-length``
gives the decoded size up front.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Callable, Dict, List, Optional

from cassdk_like.core.auth.sigv4 import SigV4Claim
from cassdk_like.core.auth.sigv4_canonical import chunk_string_to_sign, sign_string, trailer_string_to_sign
from cassdk_like.emulator.objectstore.errors import StoreError, signature_mismatch
from cassdk_like.emulator.wire import BodyReader

__all__ = ["MIN_SIGNED_CHUNK", "ChunkSigner", "ChunkedBody", "claim_signer"]

_MAX_LINE = 4096
#: the smallest chunk a signed body may use but for the last one (S3's rule)
MIN_SIGNED_CHUNK = 8192

#: signs a string to sign with the request's key and scope (the secret stays with the verifier)
ChunkSigner = Callable[[str], str]


def _incomplete() -> StoreError:
    return StoreError(
        "IncompleteBody",
        "You did not provide the number of bytes specified by the Content-Length HTTP header",
        status=400,
    )


def _bad_encoding(detail: str) -> StoreError:
    return StoreError("InvalidRequest", f"Malformed aws-chunked body: {detail}", status=400)


def claim_signer(claim: SigV4Claim, secret: str) -> ChunkSigner:
    date, region, service = claim.scope

    def sign(string_to_sign: str) -> str:
        return sign_string(secret, date, region, service, string_to_sign)

    return sign


class ChunkedBody:
    """Decoded bytes of an aws-chunked body. ``signer`` is None for the unsigned modes."""

    def __init__(
        self,
        reader: BodyReader,
        decoded_length: int,
        *,
        claim: Optional[SigV4Claim],
        signer: Optional[ChunkSigner],
        trailer: bool,
    ) -> None:
        self._reader = reader
        self._decoded = decoded_length
        self._claim = claim
        self._signer = signer
        self._trailer = trailer
        self._previous = claim.signature if claim is not None else ""
        self._left = 0  # bytes left in the current chunk
        self._chunk_hash = hashlib.sha256()
        self._chunk_signature = ""
        self._chunk_size = 0
        self._chunks: List[int] = []
        self._done = False
        self._delivered = 0
        self._trailers: Dict[str, str] = {}

    @property
    def length(self) -> Optional[int]:
        return self._decoded

    def _line(self) -> str:
        data = bytearray()
        while not data.endswith(b"\r\n"):
            byte = self._reader.read(1)
            if not byte:
                raise _incomplete()
            data += byte
            if len(data) > _MAX_LINE:
                raise _bad_encoding("a chunk header line is too long")
        return data[:-2].decode("latin-1")

    def _start_chunk(self) -> None:
        header = self._line()
        size_text, _, extension = header.partition(";")
        try:
            size = int(size_text.strip(), 16)
        except ValueError:
            raise _bad_encoding(f"bad chunk size {size_text[:20]!r}") from None
        signature = ""
        if self._signer is not None:
            name, _, signature = extension.partition("=")
            if name.strip() != "chunk-signature" or len(signature.strip()) != 64:
                raise _bad_encoding("a signed chunk lacks its chunk-signature")
            signature = signature.strip().lower()
        if self._chunks and self._signer is not None and size and self._chunks[-1] < MIN_SIGNED_CHUNK:
            raise StoreError(
                "InvalidChunkSizeError",
                "Only the last chunk is allowed to have a size less than 8192 bytes",
                status=403,
            )
        self._chunks.append(size)
        self._chunk_size, self._left, self._chunk_signature = size, size, signature
        self._chunk_hash = hashlib.sha256()
        if size == 0:
            self._end_chunk()
            self._finish_stream()

    def _end_chunk(self) -> None:
        if self._chunk_size and self._reader.read(2) != b"\r\n":
            raise _bad_encoding("a chunk does not end with CRLF")
        if self._signer is not None and self._claim is not None:
            sts = chunk_string_to_sign(
                self._claim.amz_date,
                self._claim.credential_scope,
                self._previous,
                self._chunk_hash.hexdigest(),
            )
            if not hmac.compare_digest(self._signer(sts), self._chunk_signature):
                raise signature_mismatch()
            self._previous = self._chunk_signature

    def _finish_stream(self) -> None:
        self._done = True
        if not self._trailer:
            if self._signer is not None:
                self._reader.read(2)  # the empty line after the final chunk
            return
        lines = []
        while True:
            line = self._line()
            if not line:
                break
            lines.append(line)
        signature = ""
        text = ""
        for line in lines:
            name, sep, value = line.partition(":")
            if not sep:
                raise _bad_encoding("a trailing header lacks ':'")
            if name.strip().lower() == "x-amz-trailer-signature":
                signature = value.strip().lower()
                continue
            self._trailers[name.strip().lower()] = value.strip()
            text += f"{name.strip().lower()}:{value.strip()}\n"
        if self._signer is not None and self._claim is not None:
            sts = trailer_string_to_sign(
                self._claim.amz_date,
                self._claim.credential_scope,
                self._previous,
                hashlib.sha256(text.encode("utf-8")).hexdigest(),
            )
            if not signature or not hmac.compare_digest(self._signer(sts), signature):
                raise signature_mismatch()

    def read(self, size: int) -> bytes:
        while not self._done and self._left == 0:
            self._start_chunk()
        if self._done:
            return b""
        data = self._reader.read(min(size, self._left))
        if not data:
            raise _incomplete()
        self._chunk_hash.update(data)
        self._left -= len(data)
        self._delivered += len(data)
        if self._delivered > self._decoded:
            raise _bad_encoding("more bytes than x-amz-decoded-content-length")
        if self._left == 0:
            self._end_chunk()
        return data

    def finish(self, sha256_hex: str) -> None:
        while not self._done:
            if self._left:
                raise _incomplete()
            self._start_chunk()
        if self._delivered != self._decoded:
            raise _incomplete()
        if self._reader.remaining:
            raise _bad_encoding("bytes after the last chunk")

    def trailers(self) -> Dict[str, str]:
        return dict(self._trailers)
