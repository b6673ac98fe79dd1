"""The models read the server's JSON documents, field by field, and refuse documents of the wrong shape."""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict

import pytest

from cassdk_like.core.exceptions import BadResponseError, InvalidArgumentError
from cassdk_like.reduct import (
    BucketFullInfo,
    BucketInfo,
    BucketSettings,
    FullTokenInfo,
    Permissions,
    QuotaType,
    ServerInfo,
    Status,
    Token,
)

SETTINGS = {"max_block_size": 64000000, "max_block_records": 1024, "quota_type": "FIFO", "quota_size": 10}
INFO: Dict[str, Any] = {
    "version": "1.21.0",
    "instance_name": "main",
    "instance_role": "primary",
    "bucket_count": 2,
    "usage": 1234,
    "uptime": 60,
    "oldest_record": 18446744073709551615,
    "latest_record": 0,
    "defaults": {"bucket": SETTINGS},
    "license": None,
}
TOKEN = {
    "name": "reader",
    "value": "",
    "created_at": "2025-01-02T03:04:05.123456789Z",
    "permissions": {"full_access": False, "read": ["data", "logs-*"], "write": []},
    "is_provisioned": False,
    "expires_at": None,
    "ttl": 3600,
    "last_access": "2025-01-03T00:00:00Z",
    "ip_allowlist": ["10.0.0.0/8"],
    "is_expired": False,
}


def test_server_info_with_the_empty_store_sentinels() -> None:
    info = ServerInfo.from_json(INFO)
    assert info.version == "1.21.0"
    assert info.bucket_count == 2
    assert info.usage == 1234
    assert (info.oldest_record, info.latest_record) == (2**64 - 1, 0)
    assert info.defaults.bucket == BucketSettings(
        max_block_size=64000000, max_block_records=1024, quota_type=QuotaType.FIFO, quota_size=10
    )
    assert info.license is None
    assert info.instance_name == "main"


def test_server_info_with_a_licence() -> None:
    licence = {
        "licensee": "ACME",
        "invoice": "INV-1",
        "expiry_date": "2030-01-01T00:00:00Z",
        "plan": "STANDARD",
        "device_number": 0,
        "disk_quota": 10,
        "fingerprint": "abc",
    }
    info = ServerInfo.from_json({**INFO, "license": licence})
    assert info.license is not None
    assert info.license.expiry_date == dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
    assert info.license.disk_quota == 10


def test_bucket_full_info() -> None:
    doc = {
        "info": {
            "name": "data",
            "entry_count": 1,
            "size": 99,
            "oldest_record": 10,
            "latest_record": 20,
            "is_provisioned": True,
            "status": "DELETING",
        },
        "settings": SETTINGS,
        "entries": [
            {
                "name": "cam/1",
                "size": 99,
                "record_count": 2,
                "block_count": 1,
                "oldest_record": 10,
                "latest_record": 20,
                "status": "READY",
            }
        ],
    }
    full = BucketFullInfo.from_json(doc)
    assert full.info == BucketInfo(
        name="data",
        entry_count=1,
        size=99,
        oldest_record=10,
        latest_record=20,
        is_provisioned=True,
        status=Status.DELETING,
    )
    assert full.entries[0].name == "cam/1"
    assert full.entries[0].record_count == 2
    assert full.settings.quota_type == "FIFO"


def test_tokens_read_times_permissions_and_allow_lists() -> None:
    token = FullTokenInfo.from_json(TOKEN)
    assert token.created_at == dt.datetime(2025, 1, 2, 3, 4, 5, 123456, tzinfo=dt.timezone.utc)
    assert token.permissions == Permissions(read=["data", "logs-*"])
    assert (token.ttl, token.ip_allowlist, token.expires_at) == (3600, ("10.0.0.0/8",), None)
    assert token.last_access == dt.datetime(2025, 1, 3, tzinfo=dt.timezone.utc)
    listed = Token.from_json(TOKEN)
    assert isinstance(listed, FullTokenInfo)  # the list carries permissions: they are kept
    bare = Token.from_json({k: v for k, v in TOKEN.items() if k != "permissions"})
    assert type(bare) is Token
    assert not hasattr(bare, "value")


def test_settings_go_out_with_every_key() -> None:
    assert BucketSettings(quota_type="hard", quota_size=5).to_json() == {
        "max_block_size": None,
        "max_block_records": None,
        "quota_type": "HARD",
        "quota_size": 5,
    }
    assert Permissions(full_access=True, write=["a"]).to_json() == {
        "full_access": True,
        "read": [],
        "write": ["a"],
    }


@pytest.mark.parametrize(
    "kwargs",
    [{"quota_type": "LIFO"}, {"quota_size": -1}, {"max_block_size": True}, {"max_block_records": 1.5}],
)
def test_bad_settings_are_refused(kwargs: Dict[str, Any]) -> None:
    with pytest.raises(InvalidArgumentError):
        BucketSettings(**kwargs)


def test_bad_permissions_are_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="not the string"):
        Permissions(read="data")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="bool"):
        Permissions(full_access=1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("doc", "words"),
    [
        ({**INFO, "usage": "12"}, "'usage' must be an integer"),
        ({k: v for k, v in INFO.items() if k != "version"}, "'version' is missing"),
        ({**INFO, "defaults": []}, "'defaults' must be dict"),
        ({**INFO, "bucket_count": True}, "'bucket_count' must be an integer"),
    ],
)
def test_documents_of_the_wrong_shape_are_bad_responses(doc: Dict[str, Any], words: str) -> None:
    with pytest.raises(BadResponseError, match=words):
        ServerInfo.from_json(doc)


def test_a_bad_token_time_is_a_bad_response() -> None:
    with pytest.raises(BadResponseError, match="RFC 3339"):
        FullTokenInfo.from_json({**TOKEN, "created_at": "yesterday"})
