"""Per-request hosts: one pooled Transport serving several hosts, each request signed for its own."""

from __future__ import annotations

from typing import Dict, List

import pytest
import responses

from cassdk_like.core.auth import UNSIGNED_PAYLOAD, QSigner, SigV4Signer, verify_sigv4
from cassdk_like.core.auth.qsign import verify_qsign
from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.core.http import HttpRequest, RetryPolicy, Transport

ENDPOINT = "https://s3.us-east-1.amazonaws.com"
NOW = 1_369_353_600  # 2013-05-24T00:00:00Z


def _sigv4_sign(signer: SigV4Signer):  # type: ignore[no-untyped-def]
    def sign(request: HttpRequest, headers: Dict[str, str]) -> None:
        signed = {k: v for k, v in headers.items() if k.lower() in ("host", "x-amz-content-sha256")}
        headers["x-amz-content-sha256"] = UNSIGNED_PAYLOAD
        signed["x-amz-content-sha256"] = UNSIGNED_PAYLOAD
        headers.update(signer.sign(request.method, request.path, request.query, signed, UNSIGNED_PAYLOAD))

    return sign


@responses.activate
def test_two_hosts_through_one_transport_each_with_its_own_host_header() -> None:
    responses.get("https://bucket-a.s3.us-east-1.amazonaws.com/k1", body=b"a")
    responses.get("https://bucket-b.s3.us-east-1.amazonaws.com/k2", body=b"b")
    responses.get(ENDPOINT + "/", body=b"list")
    with Transport(ENDPOINT, retry_policy=RetryPolicy.never()) as transport:
        first = transport.send(
            HttpRequest("GET", "/k1", base_url="https://bucket-a.s3.us-east-1.amazonaws.com")
        )
        second = transport.send(
            HttpRequest("GET", "/k2", base_url="https://bucket-b.s3.us-east-1.amazonaws.com")
        )
        default = transport.send(HttpRequest("GET", "/"))
    assert (first.body, second.body, default.body) == (b"a", b"b", b"list")
    hosts = [call.request.headers["Host"] for call in responses.calls]
    assert hosts == [
        "bucket-a.s3.us-east-1.amazonaws.com",
        "bucket-b.s3.us-east-1.amazonaws.com",
        "s3.us-east-1.amazonaws.com",
    ]


@responses.activate
def test_sigv4_signature_is_computed_over_the_request_host() -> None:
    host = "examplebucket.s3.us-east-1.amazonaws.com"
    responses.get(f"https://{host}/test.txt", body=b"ok")
    signer = SigV4Signer(
        "AKIDEXAMPLE",
        "SECRET",
        region="us-east-1",
        service="s3",
        clock=lambda: NOW,
        normalize_path=False,
        double_encode=False,
    )
    with Transport(ENDPOINT, sign=_sigv4_sign(signer), retry_policy=RetryPolicy.never()) as transport:
        transport.send(HttpRequest("GET", "/test.txt", base_url=f"https://{host}"))
    sent = responses.calls[0].request
    assert sent.headers["Host"] == host
    assert "SignedHeaders=host;x-amz-content-sha256;x-amz-date" in sent.headers["Authorization"]
    common = {
        "method": "GET",
        "path": "/test.txt",
        "query": [],
        "payload_hash": UNSIGNED_PAYLOAD,
        "secret_for": lambda _key: "SECRET",
        "now": NOW,
        "region": "us-east-1",
        "service": "s3",
        "normalize_path": False,
        "double_encode": False,
    }
    headers: List = list(sent.headers.items())
    assert verify_sigv4(sent.headers["Authorization"], headers=headers, **common) is None  # type: ignore[arg-type]
    # the same signature does not hold for the Transport's own endpoint host
    moved = [(k, ENDPOINT[8:] if k.lower() == "host" else v) for k, v in headers]
    assert verify_sigv4(sent.headers["Authorization"], headers=moved, **common) is not None  # type: ignore[arg-type]


@responses.activate
def test_qsign_signature_is_computed_over_the_cos_host() -> None:
    host = "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com"
    responses.put(f"https://{host}/photo.jpg", body=b"")
    signer = QSigner("AKIDQ", "SECRETQ", clock=lambda: NOW, flavor="cos")

    def sign(request: HttpRequest, headers: Dict[str, str]) -> None:
        signed = {k: v for k, v in headers.items() if k.lower() in ("host", "content-length")}
        headers["Authorization"] = signer.sign(request.method, request.path, request.query, signed)

    with Transport("https://cos.ap-guangzhou.myqcloud.com", sign=sign) as transport:
        transport.send(HttpRequest("PUT", "/photo.jpg", body=b"xyz", base_url=f"https://{host}"))
    sent = responses.calls[0].request
    assert sent.headers["Host"] == host
    assert "q-header-list=content-length;host" in sent.headers["Authorization"]
    lowered = {k.lower(): v for k, v in sent.headers.items()}
    assert lowered["host"] == host
    result = verify_qsign(
        sent.headers["Authorization"],
        method="PUT",
        path="/photo.jpg",
        params=[],
        headers=lowered,
        secret_for=lambda _: "SECRETQ",
        now=NOW,
        flavor="cos",
    )
    assert result is None


@responses.activate
def test_a_presigned_url_on_another_host_is_sent_unsigned_as_given() -> None:
    url = "https://other.example.net:8443/a%20b/c?X-Amz-Signature=deadbeef&x=1%2F2"
    responses.get("https://other.example.net:8443/a%20b/c", body=b"ok")
    calls: List[str] = []
    with Transport(ENDPOINT, sign=lambda r, h: calls.append(r.path)) as transport:
        request = HttpRequest.from_url("GET", url)
        assert "deadbeef" not in repr(request)
        assert transport.url_for(request) == url
        assert transport.send(request).body == b"ok"
    assert calls == []  # not signed again
    sent = responses.calls[0].request
    assert sent.headers["Host"] == "other.example.net:8443"
    assert "Authorization" not in sent.headers


@pytest.mark.parametrize(
    "base_url", ["ftp://h", "https://user:pw@h", "https://h/path", "https:///", "https://h:99999"]
)
def test_a_bad_base_url_is_refused_before_anything_is_sent(base_url: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        HttpRequest("GET", "/", base_url=base_url)
    assert "pw" not in str(info.value)
