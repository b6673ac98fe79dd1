"""The blocking client over real HTTP: server, buckets and tokens against the emulator."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

import pytest

from cassdk_like.core.exceptions import ConnectionFailedError
from cassdk_like.reduct import (
    Bucket,
    BucketSettings,
    Client,
    Conflict,
    Forbidden,
    NotFound,
    Permissions,
    QuotaType,
    Unauthorized,
    UnprocessableEntity,
)


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def test_info_and_the_api_version(client: Client) -> None:
    info = client.info()
    assert info.version.startswith("1.21")
    assert info.defaults.bucket == BucketSettings(
        max_block_size=64_000_000, max_block_records=1024, quota_type=QuotaType.NONE, quota_size=0
    )
    assert client.api_version == (1, 21)


def test_buckets_are_created_listed_configured_renamed_and_removed(
    client: Client, reduct_bucket_name: str
) -> None:
    bucket = client.create_bucket(reduct_bucket_name, BucketSettings(max_block_records=10))
    assert bucket.get_settings().max_block_records == 10
    assert bucket.get_settings().max_block_size == 64_000_000  # the server's default filled in
    bucket.set_settings(BucketSettings(quota_type="FIFO", quota_size=10_000))
    settings = bucket.get_settings()
    assert (settings.max_block_records, settings.quota_type, settings.quota_size) == (
        10,
        QuotaType.FIFO,
        10_000,
    )
    assert reduct_bucket_name in [b.name for b in client.list()]
    with pytest.raises(Conflict, match="already exists"):
        client.create_bucket(reduct_bucket_name)
    assert client.create_bucket(reduct_bucket_name, exist_ok=True).name == reduct_bucket_name
    new_name = _name("renamed")
    bucket.rename(new_name)
    assert client.get_bucket(new_name).info().name == new_name
    with pytest.raises(NotFound) as caught:
        client.get_bucket(reduct_bucket_name)
    assert str(caught.value) == f"Status 404: Bucket '{reduct_bucket_name}' is not found"
    bucket.remove()
    with pytest.raises((NotFound, Conflict)):  # gone, or still being deleted in the background
        client.get_bucket(new_name).info()


def test_a_removed_bucket_is_deleting_until_it_is_gone(client: Client, bucket: Bucket) -> None:
    bucket.write("e", b"x", timestamp=1)
    bucket.remove()
    try:
        state = str(bucket.info().status)
    except Conflict as exc:
        state = str(exc.message)
    except NotFound:
        state = "gone"
    assert state in ("DELETING", "gone") or "is being deleted" in state


def test_tokens_carry_permissions_and_are_returned_once(
    client: Client, bucket: Bucket, reduct_url: str
) -> None:
    name = _name("reader")
    value = client.create_token(
        name, Permissions(read=[bucket.name]), ttl=3600, ip_allowlist=["127.0.0.1", "10.0.0.0/8"]
    )
    assert value.startswith(f"{name}-")
    token = client.get_token(name)
    assert token.permissions == Permissions(read=[bucket.name])
    assert (token.ttl, token.ip_allowlist, token.is_provisioned) == (3600, ("127.0.0.1", "10.0.0.0/8"), False)
    assert token.created_at.tzinfo is not None
    assert name in [t.name for t in client.get_token_list()]
    bucket.write("e", b"data", timestamp=5)
    with Client(reduct_url, api_token=value) as reader:
        assert reader.me().name == name
        with Bucket(bucket.name, reader).read("e", 5) as record:
            assert record.read_all() == b"data"
        with pytest.raises(Forbidden, match="write access"):
            Bucket(bucket.name, reader).write("e", b"no", timestamp=6)
        with pytest.raises(Forbidden, match="full access"):
            reader.create_bucket(_name("nope"))
    rotated = client.rotate_token(name)
    assert rotated != value
    with Client(reduct_url, api_token=value) as stale, pytest.raises(Unauthorized, match="Invalid token"):
        stale.me()
    client.remove_token(name)
    with pytest.raises(NotFound):
        client.get_token(name)


def test_an_expired_token_is_refused(client: Client, reduct_url: str) -> None:
    name = _name("brief")
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)
    value = client.create_token(name, Permissions(full_access=True), expires_at=soon)
    assert client.get_token(name).expires_at is not None
    import time

    time.sleep(1.3)
    with Client(reduct_url, api_token=value) as late, pytest.raises(Unauthorized, match="expired"):
        late.info()
    client.remove_token(name)


def test_the_server_refuses_what_the_client_cannot_know(client: Client) -> None:
    with pytest.raises(UnprocessableEntity):
        client.create_token(
            _name("past"), Permissions(), expires_at=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
        )


def test_no_token_or_a_wrong_one_is_unauthorized(reduct_url: str) -> None:
    with Client(reduct_url) as anonymous, pytest.raises(Unauthorized):
        anonymous.list()
    with Client(reduct_url, api_token="not-a-token") as wrong, pytest.raises(Unauthorized) as caught:
        wrong.info()
    assert "not-a-token" not in str(caught.value)


def test_a_closed_port_is_a_typed_connection_failure() -> None:
    import socket

    from cassdk_like.core.http.retry import RetryPolicy

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = Client(f"http://127.0.0.1:{port}", retry_policy=RetryPolicy.never())
    try:
        with pytest.raises(ConnectionFailedError) as caught:
            client.info()
    finally:
        client.close()
    assert caught.value.operation == "info"


def test_debug_logs_never_show_the_token(
    client: Client, reduct_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="cassdk_like")
    name = _name("logged")
    value = client.create_token(name, Permissions())
    client.get_token(name)
    client.remove_token(name)
    assert "GET /api/v1/tokens/" in caplog.text
    assert reduct_token not in caplog.text
    assert value not in caplog.text
