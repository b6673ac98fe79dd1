"""q-sign in its COS flavour agrees byte for byte with cos-python-sdk-v5's signer.

``qcloud_cos.cos_auth.CosS3Auth`` (headers mode) and ``CosS3Client.get_presigned_url`` (URL mode)
are run with a frozen clock on the same inputs as ``QSigner(flavor="cos", backdate=60)``, the
window COS's SDK uses (now - 60 .. now + expires).
"""

from __future__ import annotations

import types
from typing import Dict, List, Tuple
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
import requests
from qcloud_cos import CosConfig, CosS3Client, cos_auth

from cassdk_like.core.auth import PresignedURL, QSigner, cos_signs, qsign_from_query, verify_qsign
from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.core.http import HttpRequest

NOW = 1_700_000_000
SECRET_ID = "AKIDEXAMPLECOS"
SECRET_KEY = "cos-secret-key-for-tests"
REGION = "ap-guangzhou"
BUCKET = "examplebucket-1250000000"
HOST = f"{BUCKET}.cos.{REGION}.myqcloud.com"

CASES: List[Tuple[str, str, Dict[str, str], Dict[str, str]]] = [
    ("GET", "photo.jpg", {}, {}),
    ("PUT", "dir/a file.txt", {}, {"Content-Type": "text/plain", "Content-Length": "13"}),
    ("GET", "数据/报告 2024.csv", {"response-content-type": "text/csv"}, {"Range": "bytes=0-99"}),
    ("POST", "big", {"uploads": ""}, {"x-cos-meta-Owner": "Zoë Ünïcode", "Content-MD5": "AbC+/="}),
    ("PUT", "big", {"partNumber": "3", "uploadId": "Up LoAd/ID"}, {"x-cos-storage-class": "ARCHIVE"}),
    ("GET", "k", {"prefix": "a b/c", "Ünï": "VaLue", "max-keys": "10"}, {"If-None-Match": '"etag"'}),
    ("DELETE", "a+b=c&d", {"versionId": "MTg0NDUx"}, {"x-cos-security-token": "tok en"}),
]


@pytest.fixture(autouse=True)
def frozen_cos_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cos_auth, "time", types.SimpleNamespace(time=lambda: NOW))


def _config() -> CosConfig:
    return CosConfig(Region=REGION, SecretId=SECRET_ID, SecretKey=SECRET_KEY, Scheme="https")


def _ours() -> QSigner:
    return QSigner(SECRET_ID, SECRET_KEY, clock=lambda: NOW, flavor="cos", backdate=60, expires=900)


@pytest.mark.parametrize(("method", "key", "params", "headers"), CASES)
def test_headers_mode_matches_cos_s3_auth(
    method: str, key: str, params: Dict[str, str], headers: Dict[str, str]
) -> None:
    url = _config().uri(bucket=BUCKET, path=key)
    theirs = cos_auth.CosS3Auth(_config(), key, params, expire=900)(
        requests.Request(method, url, headers=dict(headers), params=params)
    ).headers["Authorization"]
    signed = {k: v for k, v in headers.items() if cos_signs(k)}
    signed["host"] = HOST
    ours = _ours().sign(method, "/" + key, list(params.items()), signed)
    assert ours == theirs


@pytest.mark.parametrize(("method", "key", "params", "headers"), CASES)
def test_url_mode_matches_get_presigned_url(
    method: str, key: str, params: Dict[str, str], headers: Dict[str, str]
) -> None:
    theirs = CosS3Client(_config()).get_presigned_url(
        Bucket=BUCKET, Key=key, Method=method, Expired=900, Params=dict(params), Headers=dict(headers)
    )
    request = HttpRequest(method, "/" + key, list(params.items()), base_url=f"https://{HOST}")
    ours = _ours().presign(request, 900, headers={k: v for k, v in headers.items() if cos_signs(k)})
    assert isinstance(ours, PresignedURL)
    mine, other = urlsplit(ours), urlsplit(theirs)
    assert (mine.scheme, mine.netloc) == (other.scheme, other.netloc)
    assert unquote(mine.path) == unquote(other.path) == "/" + key
    # the same fields and values once decoded (COS writes spaces as '+', we as %20)
    assert parse_qsl(mine.query, keep_blank_values=True) == parse_qsl(other.query, keep_blank_values=True)


@pytest.mark.parametrize(("method", "key", "params", "headers"), CASES)
def test_the_cos_flavoured_verifier_accepts_what_cos_s3_auth_signs(
    method: str, key: str, params: Dict[str, str], headers: Dict[str, str]
) -> None:
    url = _config().uri(bucket=BUCKET, path=key)
    authorization = cos_auth.CosS3Auth(_config(), key, params, expire=900)(
        requests.Request(method, url, headers=dict(headers), params=params)
    ).headers["Authorization"]
    sent = dict(headers, Host=HOST, **{"User-Agent": "unsigned"})
    common = {
        "method": method,
        "path": "/" + key,
        "params": list(params.items()),
        "secret_for": {SECRET_ID: SECRET_KEY}.get,
    }
    assert verify_qsign(authorization, headers=sent, now=NOW, flavor="cos", **common) is None  # type: ignore[arg-type]
    tampered = dict(sent, Host="otherbucket-1250000000.cos.ap-guangzhou.myqcloud.com")
    assert verify_qsign(authorization, headers=tampered, now=NOW, flavor="cos", **common) is not None  # type: ignore[arg-type]


def test_a_presigned_query_verifies_once_split_back_into_authorization() -> None:
    request = HttpRequest("GET", "/dir/a b.txt", [("versionId", "V1")], base_url=f"https://{HOST}")
    url = _ours().presign(request, 600)
    query = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    authorization, rest = qsign_from_query(query)
    assert authorization is not None
    assert rest == [("versionId", "V1")]
    ok = verify_qsign(
        authorization,
        method="GET",
        path="/dir/a b.txt",
        params=rest,
        headers={"Host": HOST},
        secret_for={SECRET_ID: SECRET_KEY}.get,
        now=NOW + 500,
        flavor="cos",
    )
    assert ok is None
    expired = verify_qsign(
        authorization,
        method="GET",
        path="/dir/a b.txt",
        params=rest,
        headers={"Host": HOST},
        secret_for={SECRET_ID: SECRET_KEY}.get,
        now=NOW + 601,
        flavor="cos",
    )
    assert expired is not None
    assert "expired" in expired[1]


def test_the_cas_and_cos_flavours_differ_only_where_cos_keeps_case() -> None:
    cas = QSigner(SECRET_ID, SECRET_KEY, clock=lambda: NOW)
    cos = QSigner(SECRET_ID, SECRET_KEY, clock=lambda: NOW, flavor="cos")
    plain = ("GET", "/k", [("uploads", "")], {"host": HOST})
    assert cas.sign(*plain) == cos.sign(*plain)
    mixed = ("GET", "/k", [("uploadId", "AbC")], {"host": HOST})
    assert cas.sign(*mixed) != cos.sign(*mixed)


def test_presign_refuses_bad_expiry_and_a_missing_host_and_hides_the_signature() -> None:
    signer = _ours()
    with pytest.raises(InvalidArgumentError):
        signer.presign(HttpRequest("GET", "/k", base_url=f"https://{HOST}"), 0)
    with pytest.raises(InvalidArgumentError):
        signer.presign(HttpRequest("GET", "/k", base_url=f"https://{HOST}"), 604801)
    with pytest.raises(InvalidArgumentError, match="base_url"):
        signer.presign(HttpRequest("GET", "/k", operation="get_object"), 60)
    url = signer.presign(HttpRequest("GET", "/k", base_url=f"https://{HOST}"), 60)
    signature = dict(parse_qsl(urlsplit(url).query))["q-signature"]
    assert signature not in repr(url)
    assert "q-signature=***" in repr(url)
    assert signature not in repr(HttpRequest.from_url("GET", str(url)))
    with pytest.raises(InvalidArgumentError):
        QSigner(SECRET_ID, SECRET_KEY, flavor="oss")
