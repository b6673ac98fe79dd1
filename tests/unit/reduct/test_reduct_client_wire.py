"""``Client`` on the wire: URLs, headers, bodies and the models read from each answer."""

from __future__ import annotations

import datetime as dt
import warnings

import pytest
import responses

from cassdk_like.core.exceptions import BadResponseError, CASServerError
from cassdk_like.reduct import (
    ApiVersionError,
    BucketSettings,
    Client,
    Conflict,
    Forbidden,
    FullTokenInfo,
    NotFound,
    Permissions,
    QuotaType,
    ReductError,
    Token,
    Unauthorized,
)
from tests.unit.reduct.reduct_wire import API, BASE, TOKEN, add, error, sent

SETTINGS = {"max_block_size": 64000000, "max_block_records": 1024, "quota_type": "NONE", "quota_size": 0}
INFO = {
    "version": "1.21.0",
    "bucket_count": 1,
    "usage": 10,
    "uptime": 5,
    "oldest_record": 1,
    "latest_record": 2,
    "defaults": {"bucket": SETTINGS},
    "license": None,
}
TOKEN_DOC = {
    "name": "reader",
    "value": "",
    "created_at": "2025-01-02T03:04:05.123456789Z",
    "permissions": {"full_access": False, "read": ["data"], "write": []},
    "is_provisioned": False,
    "expires_at": None,
    "ttl": None,
    "last_access": None,
    "ip_allowlist": [],
    "is_expired": False,
}


def test_info_goes_to_api_v1_with_the_bearer_token(client: Client, mock: responses.RequestsMock) -> None:
    add(mock, "GET", "/info", json=INFO)
    info = client.info()
    call = sent(mock)
    assert (call.method, call.path) == ("GET", "/api/v1/info")
    assert call.headers["Authorization"] == f"Bearer {TOKEN}"
    assert info.version == "1.21.0"
    assert info.defaults.bucket.quota_type is QuotaType.NONE
    assert client.api_version == (1, 21)


def test_no_authorization_header_without_a_token(anonymous: Client, mock: responses.RequestsMock) -> None:
    add(mock, "GET", "/info", json=INFO)
    anonymous.info()
    assert "Authorization" not in sent(mock).headers


def test_a_url_with_a_path_prefix_keeps_it(mock: responses.RequestsMock) -> None:
    mock.add("GET", "http://127.0.0.1:8383/reduct/api/v1/info", json=INFO)
    with Client("http://127.0.0.1:8383/reduct/") as client:
        assert client.info().usage == 10


def test_list_reads_every_bucket(client: Client, mock: responses.RequestsMock) -> None:
    bucket = {
        "name": "data",
        "entry_count": 2,
        "size": 3,
        "oldest_record": 4,
        "latest_record": 5,
        "is_provisioned": False,
        "status": "READY",
    }
    add(mock, "GET", "/list", json={"buckets": [bucket, {**bucket, "name": "logs"}]})
    assert [b.name for b in client.list()] == ["data", "logs"]
    assert client.list()[0].latest_record == 5


def test_get_bucket_checks_that_it_exists(client: Client, mock: responses.RequestsMock) -> None:
    add(mock, "GET", "/b/data", json={"info": {}, "settings": {}, "entries": []})
    assert client.get_bucket("data").name == "data"
    mock.replace("GET", f"{API}/b/data", **error(404, "Bucket 'data' is not found"))
    with pytest.raises(NotFound) as caught:
        client.get_bucket("data")
    assert str(caught.value) == "Status 404: Bucket 'data' is not found"
    assert caught.value.status_code == 404
    assert (caught.value.operation, caught.value.resource) == ("get_bucket", "bucket 'data'")
    assert isinstance(caught.value, CASServerError)


def test_create_bucket_sends_no_body_without_settings(client: Client, mock: responses.RequestsMock) -> None:
    add(mock, "POST", "/b/data")
    client.create_bucket("data")
    call = sent(mock)
    assert (call.method, call.path, call.body) == ("POST", "/api/v1/b/data", b"")
    assert call.headers["Content-Length"] == "0"


def test_create_bucket_sends_all_four_settings(client: Client, mock: responses.RequestsMock) -> None:
    add(mock, "POST", "/b/data")
    client.create_bucket("data", BucketSettings(quota_type="HARD", quota_size=1000))
    call = sent(mock)
    assert call.json() == {
        "max_block_size": None,
        "max_block_records": None,
        "quota_type": "HARD",
        "quota_size": 1000,
    }
    assert call.headers["Content-Type"] == "application/json"


def test_exist_ok_returns_an_existing_bucket(client: Client, mock: responses.RequestsMock) -> None:
    add(mock, "POST", "/b/data", **error(409, "Bucket 'data' already exists"))
    add(mock, "GET", "/b/data", json={"info": {}, "settings": {}, "entries": []})
    assert client.create_bucket("data", exist_ok=True).name == "data"
    with pytest.raises(Conflict):
        client.create_bucket("data")


def test_exist_ok_does_not_hide_a_bucket_being_deleted(client: Client, mock: responses.RequestsMock) -> None:
    add(mock, "POST", "/b/data", **error(409, "Bucket 'data' already exists"))
    add(mock, "GET", "/b/data", **error(409, "Bucket 'data' is being deleted"))
    with pytest.raises(Conflict, match="being deleted"):
        client.create_bucket("data", exist_ok=True)


def test_create_token_sends_the_v2_body_and_returns_the_value_once(
    client: Client, mock: responses.RequestsMock
) -> None:
    add(mock, "GET", "/info", json=INFO)
    add(
        mock,
        "POST",
        "/tokens/reader",
        json={"value": "reader-0123456789abcdef0123456789abcdef", "created_at": "x"},
    )
    value = client.create_token(
        "reader",
        Permissions(read=["data", "logs-*"]),
        expires_at=dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
        ttl=3600,
        ip_allowlist=["10.0.0.0/8", "127.0.0.1"],
    )
    assert value == "reader-0123456789abcdef0123456789abcdef"
    assert sent(mock).json() == {
        "permissions": {"full_access": False, "read": ["data", "logs-*"], "write": []},
        "ip_allowlist": ["10.0.0.0/8", "127.0.0.1"],
        "expires_at": "2030-01-02T03:04:05.000000Z",
        "ttl": 3600,
    }
    assert value not in repr(client)
    assert value not in repr(client.lowlevel.transport.redactor) + str(vars(client))


def test_create_token_sends_bare_permissions_to_old_servers(
    client: Client, mock: responses.RequestsMock
) -> None:
    add(mock, "GET", "/info", json=INFO, api="1.18")
    add(mock, "POST", "/tokens/reader", json={"value": "reader-x"}, api="1.18")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client.create_token("reader", Permissions(full_access=True))
        assert [sent(mock, i).path for i in range(2)] == ["/api/v1/info", "/api/v1/tokens/reader"]
        assert sent(mock).json() == {"full_access": True, "read": [], "write": []}
        with pytest.raises(ValueError, match="cannot give a token an expiry"):
            client.create_token("reader", Permissions(), ttl=10)
    assert len(mock.calls) == 2


def test_create_token_learns_the_version_from_info_when_no_header_says_it(
    client: Client, mock: responses.RequestsMock
) -> None:
    add(mock, "GET", "/info", json={**INFO, "version": "1.17.3"}, api=None)
    add(mock, "POST", "/tokens/t", json={"value": "t-x"}, api=None)
    with pytest.warns(UserWarning, match="older"):
        client.create_token("t", Permissions())
    assert client.api_version == (1, 17)
    assert sent(mock).json() == {"full_access": False, "read": [], "write": []}


def test_token_reads(client: Client, mock: responses.RequestsMock) -> None:
    add(mock, "GET", "/tokens", json={"tokens": [TOKEN_DOC, {**TOKEN_DOC, "name": "writer"}]})
    add(mock, "GET", "/tokens/reader", json=TOKEN_DOC)
    add(mock, "GET", "/me", json={**TOKEN_DOC, "name": "init-token"})
    tokens = client.get_token_list()
    assert [t.name for t in tokens] == ["reader", "writer"]
    assert all(isinstance(t, Token) for t in tokens)
    token = client.get_token("reader")
    assert isinstance(token, FullTokenInfo)
    assert token.permissions.read == ("data",)
    assert client.me().name == "init-token"


def test_rotate_and_remove_token(client: Client, mock: responses.RequestsMock) -> None:
    add(
        mock,
        "POST",
        "/tokens/reader/rotate",
        json={"value": "reader-new", "created_at": "2025-01-01T00:00:00Z"},
    )
    add(mock, "DELETE", "/tokens/reader")
    assert client.rotate_token("reader") == "reader-new"
    assert sent(mock).method == "POST"
    client.remove_token("reader")
    assert (sent(mock).method, sent(mock).path) == ("DELETE", "/api/v1/tokens/reader")


@pytest.mark.parametrize(
    ("status", "message", "klass"),
    [
        (401, "Invalid token", Unauthorized),
        (403, "Token 'x' doesn't have full access", Forbidden),
        (404, "Token 'x' doesn't exist", NotFound),
        (409, "Token 'x' already exists", Conflict),
    ],
)
def test_token_errors_are_typed(
    client: Client, mock: responses.RequestsMock, status: int, message: str, klass: type
) -> None:
    add(mock, "GET", "/tokens/x", **error(status, message))
    with pytest.raises(klass) as caught:
        client.get_token("x")
    assert str(caught.value) == f"Status {status}: {message}"
    assert isinstance(caught.value, ReductError)


def test_a_major_version_mismatch_is_an_error(client: Client, mock: responses.RequestsMock) -> None:
    add(mock, "GET", "/info", json=INFO, api="2.0")
    with pytest.raises(ApiVersionError, match=r"API 2\.0"):
        client.info()
    assert client.api_version is None


def test_an_old_minor_warns_once(client: Client, mock: responses.RequestsMock) -> None:
    add(mock, "GET", "/info", json=INFO, api="1.15")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client.info()
        client.info()
    assert [str(w.message)[:60] for w in caught if issubclass(w.category, UserWarning)] == [
        f"the ReductStore server at {BASE} speaks API 1.15, more than"[:60]
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        add(mock, "GET", "/list", json={"buckets": []}, api="1.19")
        client.list()  # 1.19 is within two minors of 1.21


def test_bad_json_is_a_bad_response(client: Client, mock: responses.RequestsMock) -> None:
    add(mock, "GET", "/info", body=b"<html>proxy</html>")
    with pytest.raises(BadResponseError):
        client.info()


def test_timeout_is_the_total_per_request() -> None:
    with Client(BASE, timeout=2.5) as client:
        transport = client.lowlevel.transport
        assert transport.request_timeout == 2.5
        assert transport.timeouts == (2.5, 2.5)
    with Client(BASE) as client:
        assert client.lowlevel.transport.request_timeout is None
