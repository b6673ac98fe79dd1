"""Signer factories: what a wire profile plugs into the transport's ``sign`` hook.

A factory takes the credentials, the region and a clock and returns the callback the transport calls
before every attempt (signatures carry a timestamp, so each retry is signed afresh).  Services that
share a scheme share its factory and differ only in which headers they sign: q-sign for CAS and COS,
SigV4 for Glacier and S3.
"""

from __future__ import annotations

import hashlib
from typing import Callable, Dict, Mapping

from cassdk_like.core.auth.qsign import QSigner, cos_signs
from cassdk_like.core.auth.sigv4 import SigV4Signer, quote_path
from cassdk_like.core.config import Credentials
from cassdk_like.core.http.request import HttpRequest, RequestBody
from cassdk_like.core.integrity import hash_file

__all__ = [
    "HeaderSelector",
    "SignCallback",
    "SignerFactory",
    "aws_signed_header",
    "cas_signed_header",
    "cos_signed_header",
    "qsign_signer",
    "sigv4_signer",
]

#: called by the transport before every attempt with the final header dict; adds Authorization
SignCallback = Callable[[HttpRequest, Dict[str, str]], None]
#: (credentials, region, clock) -> SignCallback
SignerFactory = Callable[[Credentials, str, Callable[[], float]], SignCallback]
#: (lower-case header name, request) -> whether the signature covers that header
HeaderSelector = Callable[[str, HttpRequest], bool]

_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def cas_signed_header(name: str, request: HttpRequest) -> bool:
    """The original CAS SDK's choice: host, x-cas-*, range, and the content-length the client set
    itself (archive and part uploads); the transport's Content-Length on JSON bodies and empty
    requests stays unsigned, as httplib's was."""
    if name in ("host", "range") or name.startswith("x-cas-"):
        return True
    return name == "content-length" and any(k.lower() == "content-length" for k in request.headers)


def aws_signed_header(name: str, request: HttpRequest) -> bool:
    """Host, every x-amz-* header (content hash, tree hash, version, ...), content-type and range."""
    del request
    return name in ("host", "content-type", "range") or name.startswith("x-amz-")


def cos_signed_header(name: str, request: HttpRequest) -> bool:
    """What cos-python-sdk-v5 signs (``qsign.cos_signs``): host, x-cos-*, the content and
    conditional headers."""
    del request
    return cos_signs(name)


def qsign_signer(
    signs: HeaderSelector = cas_signed_header, *, flavor: str = "cas", backdate: int = 0
) -> SignerFactory:
    """q-sign (HMAC-SHA1) over every query parameter and the headers ``signs`` selects.

    ``flavor`` picks the list encoding ("cas" or "cos"); ``backdate`` opens the window that many
    seconds before now (COS's SDK uses 60 to absorb clock skew).
    """

    def factory(credentials: Credentials, region: str, clock: Callable[[], float]) -> SignCallback:
        del region  # q-sign has no region; it is part of the host name
        signer = QSigner(
            credentials.secret_id, credentials.secret_key, clock=clock, flavor=flavor, backdate=backdate
        )

        def sign(request: HttpRequest, headers: Dict[str, str]) -> None:
            signed = {k.lower(): v for k, v in headers.items() if signs(k.lower(), request)}
            headers["Authorization"] = signer.sign(request.method, request.path, list(request.query), signed)

        return sign

    return factory


def _payload_sha256(request: HttpRequest, headers: Mapping[str, str]) -> str:
    """SigV4 payload hash: x-amz-content-sha256 when the client set it, else hash the body."""
    for key, value in headers.items():
        if key.lower() == "x-amz-content-sha256":
            return value
    body = request.body
    if body is None:
        return _EMPTY_SHA256
    if isinstance(body, RequestBody):
        return hash_file(body.fileobj, body.offset, body.length, operation=request.operation).sha256
    return hashlib.sha256(body).hexdigest()


def sigv4_signer(
    service: str,
    signs: HeaderSelector = aws_signed_header,
    *,
    normalize_path: bool = True,
    double_encode: bool = True,
    send_payload_hash: bool = False,
) -> SignerFactory:
    """AWS SigV4 for ``service`` (``glacier``, ``s3``, ...) over the headers ``signs`` selects.

    S3 differs from the other services in two ways: its canonical URI is the path encoded once and
    never normalised (``normalize_path=False, double_encode=False``), and it requires the payload
    hash on the wire (``send_payload_hash=True`` adds ``x-amz-content-sha256`` when absent).
    """

    def factory(credentials: Credentials, region: str, clock: Callable[[], float]) -> SignCallback:
        signer = SigV4Signer(
            credentials.secret_id,
            credentials.secret_key,
            region=region,
            service=service,
            session_token=credentials.session_token,
            clock=clock,
            normalize_path=normalize_path,
            double_encode=double_encode,
        )

        def sign(request: HttpRequest, headers: Dict[str, str]) -> None:
            payload_hash = _payload_sha256(request, headers)
            if send_payload_hash and not any(k.lower() == "x-amz-content-sha256" for k in headers):
                headers["x-amz-content-sha256"] = payload_hash
            signed = {k: v for k, v in headers.items() if signs(k.lower(), request)}
            path = quote_path(request.path)  # SigV4 wants the request-line form
            headers.update(signer.sign(request.method, path, list(request.query), signed, payload_hash))

        return sign

    return factory
