"""``SigV4Signer.presign(request, expires)``: AWS's published query-signing example and its edges."""

from __future__ import annotations

import calendar
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses

from cassdk_like.core.auth import EMPTY_SHA256, UNSIGNED_PAYLOAD, PresignedURL, SigV4Signer, verify_sigv4
from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.core.http import HttpRequest, Transport

NOW = calendar.timegm((2013, 5, 24, 0, 0, 0))
ACCESS = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _s3(**kwargs: object) -> SigV4Signer:
    return SigV4Signer(
        ACCESS,
        SECRET,
        region="us-east-1",
        service="s3",
        clock=lambda: NOW,
        normalize_path=False,
        double_encode=False,
        **kwargs,  # type: ignore[arg-type]
    )


def test_presign_reproduces_the_s3_query_string_example() -> None:
    request = HttpRequest("GET", "/test.txt", base_url="https://examplebucket.s3.amazonaws.com")
    url = _s3().presign(request, 86400)
    assert isinstance(url, PresignedURL)
    assert str(url) == (
        "https://examplebucket.s3.amazonaws.com/test.txt"
        "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    )
    assert "aeeed9bb" not in repr(url)
    assert "X-Amz-Signature=***" in repr(url)


def test_base_url_argument_overrides_the_request_host() -> None:
    request = HttpRequest("GET", "/test.txt")
    url = _s3().presign(request, 86400, base_url="https://examplebucket.s3.amazonaws.com")
    assert url.endswith("aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")


def test_session_token_query_and_signed_headers_round_trip_through_the_verifier() -> None:
    request = HttpRequest(
        "PUT",
        "/dir/a b+c.txt",
        [("versionId", "v 1")],
        base_url="http://bucket.s3.us-east-1.amazonaws.com:9000",
    )
    url = _s3(session_token="TOKEN/abc+=").presign(request, 600, headers={"x-amz-acl": "private"})
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    fields = dict(query)
    assert fields["X-Amz-SignedHeaders"] == "host;x-amz-acl"
    assert fields["X-Amz-Security-Token"] == "TOKEN/abc+="
    assert fields["X-Amz-Expires"] == "600"
    assert "TOKEN" not in repr(url)

    def verify_at(now: float) -> object:
        return verify_sigv4(
            None,
            method="PUT",
            path=parts.path,
            query=query,
            headers={"Host": parts.netloc, "x-amz-acl": "private"},
            payload_hash=UNSIGNED_PAYLOAD,
            secret_for={ACCESS: SECRET}.get,
            now=now,
            region="us-east-1",
            service="s3",
            normalize_path=False,
            double_encode=False,
        )

    result = verify_at(NOW + 599)
    assert result is None
    late = verify_at(NOW + 601)
    assert late is not None
    assert "expired" in late[1]


def test_services_other_than_s3_sign_the_empty_payload() -> None:
    glacier = SigV4Signer(ACCESS, SECRET, region="us-east-1", service="glacier", clock=lambda: NOW)
    request = HttpRequest("GET", "/-/vaults/v1", base_url="https://glacier.us-east-1.amazonaws.com")
    url = glacier.presign(request, 60)
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    common = {
        "method": "GET",
        "path": parts.path,
        "query": query,
        "headers": {"Host": parts.netloc},
        "secret_for": {ACCESS: SECRET}.get,
        "now": NOW,
        "region": "us-east-1",
        "service": "glacier",
    }
    assert verify_sigv4(None, payload_hash=EMPTY_SHA256, **common) is None  # type: ignore[arg-type]
    assert verify_sigv4(None, payload_hash=UNSIGNED_PAYLOAD, **common) is not None  # type: ignore[arg-type]


@pytest.mark.parametrize("expires", [0, -1, 604801, True, 1.5])
def test_expiry_outside_one_second_to_seven_days_is_refused(expires: object) -> None:
    request = HttpRequest("GET", "/k", base_url="https://b.s3.amazonaws.com", operation="presign_get")
    with pytest.raises(InvalidArgumentError) as info:
        _s3().presign(request, expires)  # type: ignore[arg-type]
    assert "presign_get" in str(info.value)


def test_edges_of_the_expiry_range_are_accepted() -> None:
    request = HttpRequest("GET", "/k", base_url="https://b.s3.amazonaws.com")
    assert "X-Amz-Expires=1&" in _s3().presign(request, 1)
    assert "X-Amz-Expires=604800&" in _s3().presign(request, 604800)


def test_presign_without_a_host_names_the_operation() -> None:
    with pytest.raises(InvalidArgumentError, match="base_url") as info:
        _s3().presign(HttpRequest("GET", "/k", operation="get_object", resource="'k'"), 60)
    assert "get_object" in str(info.value)


@responses.activate
def test_a_presigned_url_is_sent_through_a_transport_bound_to_another_endpoint() -> None:
    request = HttpRequest("GET", "/dir/a b.txt", [("x", "1/2")], base_url="https://b.s3.amazonaws.com")
    url = _s3().presign(request, 300)
    responses.get("https://b.s3.amazonaws.com/dir/a%20b.txt", body=b"data")
    with Transport("https://s3.amazonaws.com") as transport:
        again = HttpRequest.from_url("GET", url)
        assert transport.url_for(again) == str(url)
        assert transport.send(again).body == b"data"
    assert responses.calls[0].request.url == str(url)
