"""Buckets over real HTTP: reduct-py's bucket calls and what it parses, settings defaults and
partial updates, statistics, background removal, renames and quotas."""

from __future__ import annotations

import time
from typing import Iterator

import pytest
from reduct import BucketSettings, Client, QuotaType, ReductError

from cassdk_like.emulator import Emulator
from tests.integration.reduct.emulator.reduct_raw import Raw, error_of, run

U64_MAX = 2**64 - 1


@pytest.fixture
def raw(reduct_url: str, reduct_token: str) -> Iterator[Raw]:
    made = Raw(reduct_url, reduct_token)
    yield made
    made.close()


def test_create_get_and_settings_in_reduct_py(
    reduct_url: str, reduct_token: str, reduct_bucket_name: str
) -> None:
    async def scenario() -> None:
        client = Client(reduct_url, api_token=reduct_token)
        made = await client.create_bucket(reduct_bucket_name)
        assert made.name == reduct_bucket_name
        settings = await made.get_settings()
        assert settings == BucketSettings(
            max_block_size=64000000, max_block_records=1024, quota_type=QuotaType.NONE, quota_size=0
        )
        with pytest.raises(ReductError) as info:
            await client.create_bucket(reduct_bucket_name)
        assert (info.value.status_code, info.value.message) == (
            409,
            f"Bucket '{reduct_bucket_name}' already exists",
        )
        again = await client.create_bucket(reduct_bucket_name, exist_ok=True)
        assert again.name == reduct_bucket_name
        await made.set_settings(BucketSettings(quota_type=QuotaType.FIFO, quota_size=1000))
        changed = await (await client.get_bucket(reduct_bucket_name)).get_settings()
        assert changed.quota_type == QuotaType.FIFO
        assert changed.quota_size == 1000
        assert changed.max_block_size == 64000000  # null kept the current value
        assert changed.max_block_records == 1024

    run(scenario())


def test_create_with_settings_fills_the_rest_with_defaults(
    reduct_url: str, reduct_token: str, reduct_bucket_name: str
) -> None:
    async def scenario() -> None:
        client = Client(reduct_url, api_token=reduct_token)
        made = await client.create_bucket(
            reduct_bucket_name, BucketSettings(max_block_records=10, quota_type=QuotaType.HARD)
        )
        settings = await made.get_settings()
        assert (settings.max_block_records, settings.quota_type) == (10, QuotaType.HARD)
        assert (settings.max_block_size, settings.quota_size) == (64000000, 0)

    run(scenario())


def test_info_list_and_entries_in_reduct_py(
    reduct_url: str, reduct_token: str, reduct_bucket_name: str
) -> None:
    async def scenario() -> None:
        client = Client(reduct_url, api_token=reduct_token)
        bucket = await client.create_bucket(reduct_bucket_name, BucketSettings(max_block_records=2))
        empty = await bucket.info()
        assert (empty.entry_count, empty.size, empty.oldest_record, empty.latest_record) == (0, 0, 0, 0)
        for ts in (10, 20, 30):
            await bucket.write("a", b"xx", timestamp=ts)
        await bucket.write("b", b"yyy", timestamp=5)
        info = await bucket.info()
        assert info.name == reduct_bucket_name
        assert (info.entry_count, info.size, info.oldest_record, info.latest_record) == (2, 9, 5, 30)
        assert info.is_provisioned is False
        if hasattr(info, "status"):  # reduct-py 1.19+ models the status
            assert info.status.value == "READY"
        entries = {e.name: e for e in await bucket.get_entry_list()}
        assert set(entries) == {"a", "b"}
        assert (entries["a"].record_count, entries["a"].size, entries["a"].block_count) == (3, 6, 2)
        assert (entries["a"].oldest_record, entries["a"].latest_record) == (10, 30)
        listed = {b.name: b for b in await client.list()}
        assert listed[reduct_bucket_name].entry_count == 2
        server = await client.info()
        assert server.bucket_count >= 1
        assert server.usage >= 9
        assert server.latest_record >= 30

    run(scenario())


def test_get_bucket_checks_existence(reduct_url: str, reduct_token: str, raw: Raw) -> None:
    async def scenario() -> None:
        with pytest.raises(ReductError) as info:
            await Client(reduct_url, api_token=reduct_token).get_bucket("never-made-bucket")
        assert (info.value.status_code, info.value.message) == (
            404,
            "Bucket 'never-made-bucket' is not found",
        )

    run(scenario())
    assert error_of(raw.request("HEAD", "/b/never-made-bucket"))[0] == 404


def test_the_full_info_document(raw: Raw, reduct_bucket_name: str) -> None:
    assert raw.post(f"/b/{reduct_bucket_name}", json={"quota_type": None, "quota_size": 5}).status_code == 200
    doc = raw.get(f"/b/{reduct_bucket_name}").json()
    assert doc == {
        "info": {
            "name": reduct_bucket_name, "entry_count": 0, "size": 0, "oldest_record": 0, "latest_record": 0,
            "is_provisioned": False, "status": "READY",
        },
        "settings": {
            "quota_type": "NONE", "quota_size": 5, "max_block_size": 64000000, "max_block_records": 1024,
        },
        "entries": [],
    }  # fmt: skip


def test_an_empty_server_reports_u64_max_as_its_oldest_record() -> None:
    with Emulator(reduct_api_token="t") as emu:
        raw = Raw(emu.endpoints["reduct"], "t")
        info = raw.get("/info").json()
        assert (info["oldest_record"], info["latest_record"], info["bucket_count"]) == (U64_MAX, 0, 0)
        assert info["defaults"]["bucket"]["max_block_size"] == 64000000
        raw.close()


def test_bucket_name_rules(raw: Raw) -> None:
    assert error_of(raw.post("/b/bad.name")) == (
        422,
        "Bucket or entry name can contain only letters, digests and [-,_] symbols",
    )
    assert error_of(raw.post("/b/some-bucket", data=b"{not json"))[0] == 422
    assert error_of(raw.post("/b/some-bucket", json={"quota_type": "SOMETIMES"}))[0] == 422
    assert raw.get("/b/some-bucket").status_code == 404  # nothing was created


def test_removal_runs_in_the_background(
    reduct_url: str, reduct_token: str, raw: Raw, reduct_bucket_name: str
) -> None:
    bucket = reduct_bucket_name
    assert raw.post(f"/b/{bucket}").status_code == 200
    assert raw.post(f"/b/{bucket}/e?ts=1", data=b"x").status_code == 200
    assert raw.request("DELETE", f"/b/{bucket}").status_code == 200
    assert error_of(raw.get(f"/b/{bucket}")) == (409, f"Bucket '{bucket}' is being deleted")
    assert error_of(raw.post(f"/b/{bucket}/e?ts=2", data=b"y")) == (
        409,
        f"Bucket '{bucket}' is being deleted",
    )
    assert error_of(raw.request("DELETE", f"/b/{bucket}")) == (409, f"Bucket '{bucket}' is being deleted")
    listed = {b["name"]: b for b in raw.get("/list").json()["buckets"]}
    assert listed[bucket]["status"] == "DELETING"
    deadline = time.monotonic() + 5
    while raw.get(f"/b/{bucket}").status_code == 409 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert error_of(raw.get(f"/b/{bucket}")) == (404, f"Bucket '{bucket}' is not found")
    assert raw.post(f"/b/{bucket}").status_code == 200  # the name is free again
    assert raw.get(f"/b/{bucket}").json()["entries"] == []

    async def scenario() -> None:
        b = await Client(reduct_url, api_token=reduct_token).get_bucket(bucket)
        await b.remove()
        with pytest.raises(ReductError) as info:
            await b.info()
        assert info.value.status_code in (404, 409)

    run(scenario())


def test_rename_in_reduct_py(reduct_url: str, reduct_token: str, raw: Raw, reduct_bucket_name: str) -> None:
    new_name = reduct_bucket_name + "-renamed"

    async def scenario() -> None:
        client = Client(reduct_url, api_token=reduct_token)
        bucket = await client.create_bucket(reduct_bucket_name)
        await bucket.write("e", b"moved", timestamp=1)
        await bucket.rename(new_name)
        assert bucket.name == new_name
        async with bucket.read("e", timestamp=1) as record:
            assert await record.read_all() == b"moved"

    run(scenario())
    assert raw.get(f"/b/{reduct_bucket_name}").status_code == 404
    assert raw.post(f"/b/{reduct_bucket_name}").status_code == 200
    renamed = raw.request("PUT", f"/b/{reduct_bucket_name}/rename", json={"new_name": new_name})
    assert error_of(renamed) == (409, f"Bucket '{new_name}' already exists")


def test_hard_quota_refuses_what_does_not_fit(raw: Raw, reduct_bucket_name: str) -> None:
    bucket = reduct_bucket_name
    assert raw.post(f"/b/{bucket}", json={"quota_type": "HARD", "quota_size": 10}).status_code == 200
    assert raw.post(f"/b/{bucket}/e?ts=1", data=b"123456").status_code == 200
    assert error_of(raw.post(f"/b/{bucket}/e?ts=2", data=b"12345")) == (400, f"Quota of '{bucket}' exceeded")
    assert raw.post(f"/b/{bucket}/e?ts=3", data=b"1234").status_code == 200  # exactly full is fine


def test_fifo_quota_drops_the_oldest_records(raw: Raw, reduct_bucket_name: str) -> None:
    bucket = reduct_bucket_name
    assert raw.post(f"/b/{bucket}", json={"quota_type": "FIFO", "quota_size": 10}).status_code == 200
    for ts in (1, 2, 3):
        assert raw.post(f"/b/{bucket}/e?ts={ts}", data=b"abcd").status_code == 200
    assert raw.get(f"/b/{bucket}/e?ts=1").status_code == 404
    assert raw.get(f"/b/{bucket}/e?ts=2").content == b"abcd"
    assert raw.get(f"/b/{bucket}").json()["info"]["size"] == 8
    assert error_of(raw.post(f"/b/{bucket}/e?ts=9", data=b"x" * 11)) == (
        500,
        f"Failed to keep quota of '{bucket}'",
    )


def test_replications_and_lifecycles_are_empty(reduct_url: str, reduct_token: str, raw: Raw) -> None:
    assert raw.get("/replications").json() == {"replications": []}
    assert raw.get("/lifecycles").json() == {"lifecycles": []}

    async def scenario() -> None:
        assert await Client(reduct_url, api_token=reduct_token).get_replications() == []

    run(scenario())
