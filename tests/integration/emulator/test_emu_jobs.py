"""Jobs, job output ranges and tree-hash headers, inventory, callbacks, and the COS job types
against the emulator's bucket stand-in (docs/vault-protocol.md §1.4, §1.5 and §3.4)."""

from __future__ import annotations

import csv
import io
import time
from typing import Tuple

import pytest

from cassdk_like.emulator import Emulator
from tests.integration.emulator.emu_helpers import (
    CallbackReceiver,
    MiB,
    Raw,
    admin,
    error_of,
    pattern,
    ref_tree_hash,
)

DATA = pattern(5 * MiB + 1000, seed=7)


@pytest.fixture
def archive(cas: Raw, vault: str) -> Tuple[str, str]:
    return vault, cas.upload_ok(vault, DATA, "five and a bit")


def _retrieve(cas: Raw, vault: str, archive_id: str, **extra: str) -> str:
    return cas.job_ok(vault, {"Type": "archive-retrieval", "ArchiveId": archive_id, **extra})


def test_archive_retrieval_fields(cas: Raw, archive: Tuple[str, str]) -> None:
    vault, archive_id = archive
    response = cas.initiate_job(vault, {"Type": "archive-retrieval", "ArchiveId": archive_id, "Tier": "Bulk"})
    assert response.status_code == 202
    job_id = response.headers["x-cas-job-id"]
    assert response.headers["Location"] == f"/{cas.emu.appid}/vaults/{vault}/jobs/{job_id}"
    doc = cas.wait_job(vault, job_id)
    assert doc["Action"] == "ArchiveRetrieval"
    assert doc["JobId"] == job_id
    assert (doc["StatusCode"], doc["Completed"], doc["Tier"]) == ("Succeeded", True, "Bulk")
    assert doc["RetrievalByteRange"] == f"0-{len(DATA) - 1}"
    assert doc["ArchiveSizeInBytes"] == len(DATA)
    assert doc["SHA256TreeHash"] == doc["ArchiveSHA256TreeHash"] == ref_tree_hash(DATA)
    assert doc["CompletionDate"] >= doc["CreationDate"]
    assert doc["VaultQCS"].endswith(f":vaults/{vault}")
    assert not any(key.startswith("_") for key in doc)


def test_whole_output_200_with_tree_hash(cas: Raw, archive: Tuple[str, str]) -> None:
    vault, archive_id = archive
    response = cas.output(vault, _retrieve(cas, vault, archive_id))
    assert response.status_code == 200
    assert response.content == DATA
    assert response.headers["x-cas-sha256-tree-hash"] == ref_tree_hash(DATA)
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert "Content-Range" not in response.headers
    assert response.headers["x-cas-archive-description"] == "five and a bit"


@pytest.mark.parametrize(
    ("first", "last", "aligned"),
    [
        (0, 2 * MiB - 1, True),  # a complete subtree
        (4 * MiB, 5 * MiB + 999, True),  # ends at the archive's end
        (2 * MiB, 3 * MiB - 1, True),  # one leaf
        (MiB, 3 * MiB - 1, False),  # two leaves not starting on a multiple of two
        (0, 3 * MiB - 1, False),  # three leaves, inside the archive
        (10, 100, False),  # not even MiB-aligned
    ],
)
def test_ranged_output_tree_hash_only_when_aligned(
    cas: Raw, archive: Tuple[str, str], first: int, last: int, aligned: bool
) -> None:
    vault, archive_id = archive
    response = cas.output(vault, _retrieve(cas, vault, archive_id), (first, last))
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes {first}-{last}/{len(DATA)}"
    assert response.content == DATA[first : last + 1]
    if aligned:
        assert response.headers["x-cas-sha256-tree-hash"] == ref_tree_hash(DATA[first : last + 1])
    else:
        assert "x-cas-sha256-tree-hash" not in response.headers


def test_output_range_outside_the_output(cas: Raw, archive: Tuple[str, str]) -> None:
    vault, archive_id = archive
    job_id = _retrieve(cas, vault, archive_id)
    assert error_of(cas.output(vault, job_id, (0, len(DATA))))[1] == "InvalidParameterValueException"


def test_retrieval_byte_range_tree_aligned(cas: Raw, archive: Tuple[str, str]) -> None:
    vault, archive_id = archive
    job_id = _retrieve(cas, vault, archive_id, RetrievalByteRange=f"{2 * MiB}-{4 * MiB - 1}")
    doc = cas.wait_job(vault, job_id)
    piece = DATA[2 * MiB : 4 * MiB]
    assert doc["RetrievalByteRange"] == f"{2 * MiB}-{4 * MiB - 1}"
    assert doc["SHA256TreeHash"] == ref_tree_hash(piece)
    response = cas.output(vault, job_id)
    assert response.content == piece
    assert response.headers["x-cas-sha256-tree-hash"] == ref_tree_hash(piece)
    half = cas.output(vault, job_id, (MiB, 2 * MiB - 1))  # archive bytes 3-4 MiB: one leaf, aligned
    assert half.headers["x-cas-sha256-tree-hash"] == ref_tree_hash(piece[MiB:])


def test_retrieval_byte_range_not_tree_aligned(cas: Raw, archive: Tuple[str, str]) -> None:
    vault, archive_id = archive
    job_id = _retrieve(cas, vault, archive_id, RetrievalByteRange=f"{MiB}-{3 * MiB - 1}")
    doc = cas.wait_job(vault, job_id)
    assert doc["StatusCode"] == "Succeeded"
    assert doc["SHA256TreeHash"] is None
    response = cas.output(vault, job_id)
    assert response.content == DATA[MiB : 3 * MiB]
    assert "x-cas-sha256-tree-hash" not in response.headers
    assert "x-cas-sha256-tree-hash" not in cas.output(vault, job_id, (MiB, 2 * MiB - 1)).headers


@pytest.mark.parametrize("value", [f"1-{MiB - 1}", f"0-{MiB}", f"0-{len(DATA)}", "0-", "abc"])
def test_misaligned_retrieval_range(cas: Raw, archive: Tuple[str, str], value: str) -> None:
    vault, archive_id = archive
    response = cas.initiate_job(
        vault, {"Type": "archive-retrieval", "ArchiveId": archive_id, "RetrievalByteRange": value}
    )
    assert error_of(response) == (400, "InvalidParameterValueException", "Client")


def test_unknown_job_fields_and_types(cas: Raw, archive: Tuple[str, str]) -> None:
    vault, archive_id = archive
    typo = cas.initiate_job(
        vault, {"Type": "archive-retrieval", "ArchiveId": archive_id, "Retrievalbyterange": "0-1"}
    )
    assert error_of(typo)[1] == "InvalidParameterValueException"
    assert "Retrievalbyterange" in typo.json()["message"]
    assert error_of(cas.initiate_job(vault, {"Type": "select"}))[1] == "InvalidParameterValueException"
    missing = cas.initiate_job(vault, {"Type": "archive-retrieval", "ArchiveId": "not-an-archive"})
    assert error_of(missing)[:2] == (404, "ResourceNotFoundException")


def test_unknown_job_is_404(cas: Raw, vault: str) -> None:
    assert error_of(cas.call("GET", vault, "jobs", "no-such-job"))[:2] == (404, "ResourceNotFoundException")
    assert error_of(cas.output(vault, "no-such-job"))[:2] == (404, "ResourceNotFoundException")


def test_job_in_progress_until_the_tier_delay_passes() -> None:
    """With job_delay_scale 0.05: Expedited takes 50 ms, Bulk 500 ms."""
    with Emulator(job_delay_scale=0.05) as emu:
        raw = Raw(emu)
        raw.create_vault("v")
        archive_id = raw.upload_ok("v", b"payload")
        started = time.monotonic()
        bulk = raw.job_ok("v", {"Type": "archive-retrieval", "ArchiveId": archive_id, "Tier": "Bulk"})
        fast = raw.job_ok("v", {"Type": "archive-retrieval", "ArchiveId": archive_id, "Tier": "Expedited"})
        assert raw.describe_job("v", bulk)["StatusCode"] == "InProgress"
        not_ready = raw.output("v", bulk)
        assert error_of(not_ready)[1] == "InvalidParameterValueException"
        assert raw.wait_job("v", fast)["StatusCode"] == "Succeeded"
        doc = raw.wait_job("v", bulk)
        assert doc["StatusCode"] == "Succeeded"
        assert time.monotonic() - started >= 0.45
        assert raw.output("v", bulk).content == b"payload"


def test_job_on_archive_deleted_before_completion_fails() -> None:
    with Emulator(job_delay_scale=1) as emu:
        raw = Raw(emu)
        raw.create_vault("v")
        archive_id = raw.upload_ok("v", b"payload")
        job_id = raw.job_ok("v", {"Type": "archive-retrieval", "ArchiveId": archive_id})
        assert raw.call("DELETE", "v", "archives", archive_id).status_code == 204
        emu.finish_jobs()
        doc = raw.describe_job("v", job_id)
        assert (doc["StatusCode"], doc["Completed"]) == ("Failed", True)
        assert "deleted" in doc["StatusMessage"]
        assert error_of(raw.output("v", job_id))[1] == "InvalidParameterValueException"
        # a deleted archive can still get a job (it then fails); an unknown id cannot
        assert (
            raw.initiate_job("v", {"Type": "archive-retrieval", "ArchiveId": archive_id}).status_code == 202
        )


def test_expedited_tier_limit() -> None:
    with Emulator(job_delay_scale=0, expedited_max_bytes=MiB) as emu:
        raw = Raw(emu)
        raw.create_vault("v")
        archive_id = raw.upload_ok("v", pattern(2 * MiB))
        body = {"Type": "archive-retrieval", "ArchiveId": archive_id, "Tier": "Expedited"}
        refused = raw.initiate_job("v", body)
        assert error_of(refused)[1] == "InvalidParameterValueException"
        assert "Expedited" in refused.json()["message"]
        assert raw.initiate_job("v", {**body, "Tier": "Standard"}).status_code == 202


def test_list_jobs_filters_and_paging() -> None:
    with Emulator(job_delay_scale=1) as emu:
        raw = Raw(emu)
        raw.create_vault("v")
        archive_id = raw.upload_ok("v", b"abc")
        ids = [raw.job_ok("v", {"Type": "archive-retrieval", "ArchiveId": archive_id}) for _ in range(3)]
        page = raw.call("GET", "v", "jobs", params=[("limit", "2")]).json()
        assert [j["JobId"] for j in page["JobList"]] == ids[:2]
        rest = raw.call("GET", "v", "jobs", params=[("limit", "2"), ("marker", page["Marker"])]).json()
        assert [j["JobId"] for j in rest["JobList"]] == ids[2:]
        assert rest["Marker"] is None
        assert len(raw.call("GET", "v", "jobs", params=[("completed", "true")]).json()["JobList"]) == 0
        emu.finish_jobs()
        done = raw.call("GET", "v", "jobs", params=[("statuscode", "Succeeded")]).json()["JobList"]
        assert sorted(j["JobId"] for j in done) == sorted(ids)
        assert raw.call("GET", "v", "jobs", params=[("statuscode", "InProgress")]).json()["JobList"] == []
        bad = raw.call("GET", "v", "jobs", params=[("statuscode", "Done")])
        assert error_of(bad)[1] == "InvalidParameterValueException"


def test_inventory_json(cas: Raw, vault: str) -> None:
    ids = sorted(cas.upload_ok(vault, pattern(100 + i, seed=i), f"file {i}") for i in range(3))
    job_id = cas.job_ok(vault, {"Type": "inventory-retrieval"})
    doc = cas.wait_job(vault, job_id)
    assert doc["Action"] == "InventoryRetrieval"
    assert doc["InventoryRetrievalParameters"]["Format"] == "JSON"
    response = cas.output(vault, job_id)
    assert response.headers["Content-Type"] == "application/json"
    assert doc["InventorySizeInBytes"] == len(response.content)
    inventory = response.json()
    assert inventory["VaultQCS"].endswith(f":vaults/{vault}")
    assert inventory["InventoryDate"].endswith("Z")
    assert [a["ArchiveId"] for a in inventory["ArchiveList"]] == ids
    entry = inventory["ArchiveList"][0]
    assert set(entry) == {"ArchiveId", "ArchiveDescription", "CreationDate", "Size", "SHA256TreeHash"}


def test_inventory_csv_and_paging(cas: Raw, vault: str) -> None:
    ids = sorted(cas.upload_ok(vault, pattern(10, seed=i), f"f,{i}") for i in range(3))
    body = {"Type": "inventory-retrieval", "Format": "CSV", "InventoryRetrievalParameters": {"Limit": "2"}}
    job_id = cas.job_ok(vault, body)
    doc = cas.wait_job(vault, job_id)
    response = cas.output(vault, job_id)
    assert response.headers["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["ArchiveId", "ArchiveDescription", "CreationDate", "Size", "SHA256TreeHash"]
    assert [r[0] for r in rows[1:]] == ids[:2]
    assert rows[1][1].startswith("f,")
    assert rows[1][3] == "10"
    marker = doc["InventoryRetrievalParameters"]["Marker"]
    assert marker == ids[2]
    nxt = cas.job_ok(vault, {**body, "InventoryRetrievalParameters": {"Limit": "2", "Marker": marker}})
    rows = list(csv.reader(io.StringIO(cas.output(vault, nxt).text)))
    assert [r[0] for r in rows[1:]] == ids[2:]
    assert cas.describe_job(vault, nxt)["InventoryRetrievalParameters"]["Marker"] is None


def test_callbacks_on_job_and_vault_notification(cas: Raw, archive: Tuple[str, str]) -> None:
    vault, archive_id = archive
    with CallbackReceiver() as receiver:
        config = {"CallBackUrl": receiver.url("/vault"), "Events": ["ArchiveRetrievalCompleted"]}
        assert cas.call("PUT", vault, "notification-configuration", json_body=config).status_code == 204
        job_id = _retrieve(cas, vault, archive_id, CallBackUrl=receiver.url("/job"))
        got = receiver.wait_for(2)
        assert sorted(path for path, _ in got) == ["/job", "/vault"]
        for _, doc in got:
            assert doc["JobId"] == job_id
            assert doc["StatusCode"] == "Succeeded"
            assert doc["Completed"] is True
            assert doc["CallBackUrl"] == receiver.url("/job")
        inventory = cas.job_ok(vault, {"Type": "inventory-retrieval"})
        cas.wait_job(vault, inventory)
        time.sleep(0.1)
        assert len(receiver.received) == 2  # InventoryRetrievalCompleted is not subscribed
    assert admin(cas.emu, "GET", "stats").json()["callbacks_sent"] == 2


def test_push_to_cos_and_pull_from_cos(emulator: Emulator, cas: Raw, archive: Tuple[str, str]) -> None:
    vault, archive_id = archive
    push = cas.job_ok(
        vault,
        {
            "Type": "push-to-cos",
            "ArchiveId": archive_id,
            "Bucket": "b-1250.cos.test",
            "Object": "copy.bin",
            "RetrievalByteRange": f"0-{MiB - 1}",
        },
    )
    doc = cas.wait_job(vault, push)
    assert (doc["Action"], doc["StatusCode"], doc["Bucket"]) == ("PushToCOS", "Succeeded", "b-1250.cos.test")
    assert emulator.cos.get_object("b-1250.cos.test", "copy.bin") == DATA[:MiB]
    assert error_of(cas.output(vault, push))[1] == "InvalidParameterValueException"

    emulator.cos.put_object("src", "obj", b"0123456789")
    pull = cas.job_ok(
        vault,
        {
            "Type": "pull-from-cos",
            "Bucket": "src",
            "Object": "obj",
            "Range": "2-5",
            "ArchiveDescription": "pulled",
        },
    )
    doc = cas.wait_job(vault, pull)
    assert (doc["Action"], doc["StatusCode"], doc["ArchiveSizeInBytes"]) == ("PullFromCOS", "Succeeded", 4)
    fetched = _retrieve(cas, vault, doc["ArchiveId"])
    assert cas.output(vault, fetched).content == b"2345"

    missing = cas.job_ok(vault, {"Type": "pull-from-cos", "Bucket": "src", "Object": "nope", "Range": "0-1"})
    assert cas.wait_job(vault, missing)["StatusCode"] == "Failed"
    condition = {"If-Match": "not-the-etag"}
    guarded = cas.job_ok(
        vault,
        {"Type": "pull-from-cos", "Bucket": "src", "Object": "obj", "Range": "0-1", "Condition": condition},
    )
    assert "PreconditionFailed" in cas.wait_job(vault, guarded)["StatusMessage"]
