"""The glacier dialect against moto's server, an implementation we did not write.

moto covers Glacier's happy path only (docs/peer-notes.md §5), so these tests stay
on it: vaults, single-request uploads, archive and inventory jobs, whole job output. What moto does
not do is deliberately not tested here (the emulator suite covers it):

* it verifies no checksum: our client computes the linear SHA-256 and the tree hash and sends both,
  but moto would accept anything; it also answers ``x-amz-sha256-tree-hash`` with the *linear*
  SHA-256, so we compare tree hashes only for archives below 1 MiB, where the two are equal;
* it ignores ``Range`` on job output (always 200 with the whole body), so only whole output is read;
* it has no multipart upload, tags, policies, lock or notifications (HTML 404), no pagination;
* describe of an archive job reports ``ArchiveSizeInBytes`` 0.

Where moto's errors differ from Glacier's (400 VaultNotFound instead of 404
ResourceNotFoundException, HTML 500 pages for missing archives and jobs, an HTML 404 for output
that is not ready) we check that the SDK still raises a ``CASServerError`` carrying the status,
never an AttributeError or a JSON error of its own.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

from cassdk_like.core.exceptions import BadResponseError, CASServerError, DownloadArchiveError
from cassdk_like.core.integrity import MiB, tree_hash
from cassdk_like.vault.highlevel import CasAPI, CASResponse, Vault
from cassdk_like.vault.lowlevel import CASClient

pytestmark = pytest.mark.moto

VAULT = "sdk-moto-vault"


def _payload(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def _describe_job(api: CasAPI, vault: str, job_id: str) -> Dict[str, Any]:
    """Describe Job through the low level: moto labels this JSON ``text/html`` (see the xfail below)."""
    response = api.client.describe_job(vault, job_id)
    assert response.status == 200, response.body[:200]
    doc: Dict[str, Any] = response.json()
    return doc


def _wait_succeeded(api: CasAPI, vault: str, job_id: str, timeout: float = 15.0) -> Dict[str, Any]:
    """Poll Describe Job until Completed (moto_fastjobs makes Expedited/Standard jobs take < 1 s)."""
    deadline = time.monotonic() + timeout
    while True:
        job = _describe_job(api, vault, job_id)
        if job["Completed"]:
            assert job["StatusCode"] == "Succeeded"
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job['StatusCode']} after {timeout} s"
        time.sleep(0.1)


def _vault_names(api: CasAPI) -> List[str]:
    return [entry["VaultName"] for entry in api.list_all_vaults()]


# -- vaults ------------------------------------------------------------------------------------


def test_lowlevel_vault_lifecycle_returns_raw_responses(glacier_client: CASClient) -> None:
    created = glacier_client.create_vault(VAULT)
    assert created.status == 201  # moto sends no Location header; we do not rely on one
    described = glacier_client.describe_vault(VAULT)
    assert described.status == 200
    doc = described.json()
    assert doc["VaultName"] == VAULT
    assert doc["VaultARN"].endswith(f":vaults/{VAULT}")
    assert doc["NumberOfArchives"] == 0
    listed = glacier_client.list_vaults().json()
    assert [v["VaultName"] for v in listed["VaultList"]] == [VAULT]
    assert listed["Marker"] is None
    assert glacier_client.delete_vault(VAULT).status == 204
    assert glacier_client.list_vaults().json()["VaultList"] == []


def test_highlevel_vault_lifecycle(glacier_api: CasAPI) -> None:
    names = [f"{VAULT}-{i}" for i in range(3)]
    for name in names:
        assert glacier_api.create_vault(name).status == 201
    described = glacier_api.describe_vault(names[1])
    assert isinstance(described, CASResponse)
    assert described["VaultName"] == names[1]
    assert described["SizeInBytes"] == 0
    assert described.request_id  # moto sends x-amzn-RequestId, our glacier dialect reads it
    assert sorted(_vault_names(glacier_api)) == names
    for name in names:
        assert glacier_api.delete_vault(name).status == 204
    assert _vault_names(glacier_api) == []


def test_requests_are_signed_for_the_glacier_service(glacier_client: CASClient) -> None:
    """moto routes by the SigV4 credential scope; an unsigned or S3-scoped request would hit S3."""
    glacier_client.create_vault(VAULT)
    response = glacier_client.describe_vault(VAULT)
    assert response.headers.get("Content-Type", "").startswith("application/json")
    assert "VaultARN" in response.json()


# -- archives ----------------------------------------------------------------------------------


def test_upload_describe_and_delete_archive(glacier_api: CasAPI) -> None:
    glacier_api.create_vault(VAULT)
    data = _payload(512 * 1024, seed=1)
    # the client computes x-amz-content-sha256 and x-amz-sha256-tree-hash itself; moto checks neither
    uploaded = glacier_api.upload_archive(VAULT, data, desc="moto smoke archive")
    assert uploaded.status == 201
    archive_id = uploaded["x-amz-archive-id"]
    assert archive_id
    # below 1 MiB the tree hash is the plain SHA-256, which is what moto echoes back
    assert uploaded["x-amz-sha256-tree-hash"] == tree_hash(data)
    vault = glacier_api.describe_vault(VAULT)
    assert (vault["NumberOfArchives"], vault["SizeInBytes"]) == (1, len(data))
    assert glacier_api.delete_archive(VAULT, archive_id).status == 204
    assert glacier_api.describe_vault(VAULT)["NumberOfArchives"] == 0
    assert glacier_api.delete_vault(VAULT).status == 204


def test_upload_from_a_file_object(glacier_api: CasAPI, tmp_path: Any) -> None:
    glacier_api.create_vault(VAULT)
    data = _payload(3 * MiB + 17, seed=2)
    path = tmp_path / "archive.bin"
    path.write_bytes(data)
    with path.open("rb") as fileobj:
        uploaded = glacier_api.upload_archive(VAULT, fileobj, size=len(data), desc="from a file")
    # moto answers with the linear SHA-256 here, not the tree hash (a moto deviation)
    assert uploaded["x-amz-sha256-tree-hash"] == hashlib.sha256(data).hexdigest()
    assert glacier_api.describe_vault(VAULT)["SizeInBytes"] == len(data)


# -- jobs --------------------------------------------------------------------------------------


def test_archive_retrieval_job_and_whole_output(glacier_api: CasAPI) -> None:
    glacier_api.create_vault(VAULT)
    data = _payload(2 * MiB + 123, seed=3)
    archive_id = glacier_api.upload_archive(VAULT, data)["x-amz-archive-id"]

    started = glacier_api.initiate_job(
        VAULT, "archive-retrieval", archive_id, desc="restore", tier="Expedited"
    )
    assert started.status == 202
    job_id = started["x-amz-job-id"]
    assert job_id

    described = _describe_job(glacier_api, VAULT, job_id)
    assert described["JobId"] == job_id
    assert described["Action"] == "ArchiveRetrieval"
    assert described["ArchiveId"] == archive_id
    assert described["Tier"] == "Expedited"
    assert described["StatusCode"] in ("InProgress", "Succeeded")

    listed = glacier_api.list_jobs(VAULT)
    assert [j["JobId"] for j in listed["JobList"]] == [job_id]
    assert [j["JobId"] for j in glacier_api.list_all_jobs(VAULT)] == [job_id]

    done = _wait_succeeded(glacier_api, VAULT, job_id)
    assert done["CompletionDate"]

    # moto ignores Range and always sends the whole archive, so only the whole output is compared
    with glacier_api.get_job_output(VAULT, job_id) as output:
        assert output.status == 200
        assert output.body == data

    assert glacier_api.delete_archive(VAULT, archive_id).status == 204


def test_lowlevel_job_output_streams_in_chunks(glacier_client: CASClient) -> None:
    glacier_client.create_vault(VAULT)
    data = _payload(1 * MiB + 5, seed=4)
    archive_id = glacier_client.upload_archive(VAULT, data).headers["x-amz-archive-id"]
    job_id = glacier_client.initiate_job(VAULT, "archive-retrieval", archive_id).headers["x-amz-job-id"]
    _wait_succeeded(CasAPI(glacier_client), VAULT, job_id)
    with glacier_client.get_job_output(VAULT, job_id) as response:
        assert response.status == 200
        assert response.request_id
        received = b"".join(response.iter_chunks(64 * 1024))
    assert received == data


def test_inventory_retrieval_job(glacier_api: CasAPI) -> None:
    glacier_api.create_vault(VAULT)
    archives: Dict[str, int] = {}
    for seed, size in enumerate((1000, 200_000)):
        data = _payload(size, seed=10 + seed)
        archives[glacier_api.upload_archive(VAULT, data, desc=f"item {seed}")["x-amz-archive-id"]] = size

    job_id = glacier_api.initiate_job(VAULT, "inventory-retrieval", desc="inventory", format="JSON")[
        "x-amz-job-id"
    ]
    described = _describe_job(glacier_api, VAULT, job_id)
    assert described["Action"] == "InventoryRetrieval"
    _wait_succeeded(glacier_api, VAULT, job_id)

    output = glacier_api.get_job_output(VAULT, job_id)
    assert output.status == 200
    # a JSON inventory is parsed straight into the CASResponse dict
    assert output["VaultARN"].endswith(f":vaults/{VAULT}")
    listed = {item["ArchiveId"]: item for item in output["ArchiveList"]}
    assert {k: v["Size"] for k, v in listed.items()} == archives
    assert {v["ArchiveDescription"] for v in listed.values()} == {"item 0", "item 1"}
    assert json.loads(output.body)["ArchiveList"] == output["ArchiveList"]


def test_highlevel_describe_job_parses_json_labelled_text_html(glacier_api: CasAPI) -> None:
    glacier_api.create_vault(VAULT)
    job_id = glacier_api.initiate_job(VAULT, "inventory-retrieval")["x-amz-job-id"]
    described = glacier_api.describe_job(VAULT, job_id)
    assert described.headers["Content-Type"].startswith("text/html")  # moto's label
    assert described["JobId"] == job_id


def test_list_jobs_shows_both_kinds(glacier_api: CasAPI) -> None:
    glacier_api.create_vault(VAULT)
    archive_id = glacier_api.upload_archive(VAULT, b"tiny")["x-amz-archive-id"]
    first = glacier_api.initiate_job(VAULT, "archive-retrieval", archive_id, tier="Standard")
    second = glacier_api.initiate_job(VAULT, "inventory-retrieval")
    for job_id in (first["x-amz-job-id"], second["x-amz-job-id"]):
        _wait_succeeded(glacier_api, VAULT, job_id)
    actions = sorted(j["Action"] for j in glacier_api.list_all_jobs(VAULT, completed=True))
    assert actions == ["ArchiveRetrieval", "InventoryRetrieval"]


# -- moto's deviations: the SDK still raises a typed, readable error ---------------------------


def _assert_readable(error: CASServerError, status: int) -> None:
    assert error.status == status
    assert str(error).startswith(f"{error.operation} ")  # names the operation, no AttributeError
    assert f"HTTP {status}" in str(error)
    assert isinstance(error.body, bytes)
    assert error.is_client_fault == (status < 500)


def test_missing_vault_is_moto_400_vault_not_found(glacier_api: CasAPI) -> None:
    # real Glacier: 404 ResourceNotFoundException; moto: 400 with {"__type": "VaultNotFound"}
    with pytest.raises(CASServerError) as caught:
        glacier_api.describe_vault("no-such-vault")
    _assert_readable(caught.value, 400)
    assert caught.value.code == "VaultNotFound"
    assert caught.value.message == "Vault not found"
    assert caught.value.request_id
    assert not caught.value.retryable


def test_job_in_missing_vault_is_a_typed_error(glacier_api: CasAPI) -> None:
    with pytest.raises(CASServerError) as caught:
        glacier_api.initiate_job("no-such-vault", "inventory-retrieval")
    _assert_readable(caught.value, 400)
    assert caught.value.code == "VaultNotFound"


def test_missing_job_is_moto_html_500(strict_client: CASClient) -> None:
    api = CasAPI(strict_client)
    api.create_vault(VAULT)
    with pytest.raises(CASServerError) as caught:
        api.describe_job(VAULT, "NOSUCHJOB")
    error = caught.value
    _assert_readable(error, 500)
    assert error.code is None  # an HTML page has no error code; we do not invent one
    assert b"Internal Server Error" in error.body
    assert "unexpected response body" in str(error)


def test_missing_archive_delete_is_moto_html_500(strict_client: CASClient) -> None:
    api = CasAPI(strict_client)
    api.create_vault(VAULT)
    with pytest.raises(CASServerError) as caught:
        api.delete_archive(VAULT, "0" * 32)
    _assert_readable(caught.value, 500)


def test_html_500_is_retried_then_raised(glacier_client: CASClient) -> None:
    """A 500 is transient for us: the default policy retries it, then reports the last answer."""
    CasAPI(glacier_client).create_vault(VAULT)
    response = glacier_client.describe_job(VAULT, "NOSUCHJOB")
    assert response.status == 500
    assert response.attempts > 1
    with pytest.raises(CASServerError) as caught:
        response.raise_for_status()
    assert caught.value.status == 500


def test_output_of_unfinished_job_is_moto_html_404(glacier_api: CasAPI) -> None:
    glacier_api.create_vault(VAULT)
    archive_id = glacier_api.upload_archive(VAULT, b"not yet")["x-amz-archive-id"]
    # Bulk jobs are held InProgress by moto_fastjobs (see conftest.JOB_DELAYS)
    job_id = glacier_api.initiate_job(VAULT, "archive-retrieval", archive_id, tier="Bulk")["x-amz-job-id"]
    assert _describe_job(glacier_api, VAULT, job_id)["StatusCode"] == "InProgress"
    with pytest.raises(CASServerError) as caught:
        glacier_api.get_job_output(VAULT, job_id)
    _assert_readable(caught.value, 404)
    assert caught.value.code is None


# -- domain objects ----------------------------------------------------------------------------


def test_domain_vault_lifecycle(glacier_api: CasAPI) -> None:
    vault = Vault.create(glacier_api, VAULT)
    assert vault.name == VAULT
    assert vault.qcs is not None
    assert vault.qcs.endswith(f":vaults/{VAULT}")  # VaultARN in the glacier dialect
    assert Vault.get_vault_by_name(glacier_api, VAULT) == vault
    assert [v.name for v in Vault.list_all_vaults(glacier_api)] == [VAULT]
    vault.delete()
    assert Vault.list_all_vaults(glacier_api) == []


def test_domain_upload_and_delete_archive(glacier_api: CasAPI, tmp_path: Path) -> None:
    vault = Vault.create(glacier_api, VAULT)
    path = tmp_path / "small.bin"
    path.write_bytes(_payload(300_000, seed=20))
    archive_id = vault.upload_archive(path, "domain upload")  # below the threshold: one request
    assert vault.reload().number_of_archives == 1
    vault.get_archive(archive_id).delete()
    assert vault.reload().number_of_archives == 0


def test_domain_job_wait(glacier_api: CasAPI) -> None:
    vault = Vault.create(glacier_api, VAULT)
    archive = vault.get_archive(vault.upload_archive(io.BytesIO(b"abc" * 1000), "to restore"))
    job = archive.initiate_archive_retrieval("restore", tier="Expedited")
    assert job.wait(timeout=15, poll_interval=0.1) is job
    assert (job.status_code, job.completed, job.archive_id) == ("Succeeded", True, archive.archive_id)


def test_domain_job_download_refuses_a_job_without_output_size(glacier_api: CasAPI, tmp_path: Path) -> None:
    # moto reports ArchiveSizeInBytes 0 and no RetrievalByteRange: the SDK must refuse rather than
    # write an empty "successful" file (the whole output is compared through the low level above)
    vault = Vault.create(glacier_api, VAULT)
    data = _payload(700_000, seed=21)
    job = vault.get_archive(vault.upload_archive(io.BytesIO(data))).initiate_archive_retrieval()
    target = tmp_path / "restored.bin"
    with pytest.raises(DownloadArchiveError, match="how large"):
        job.download_to_file(target)  # block=True: waits for the job first
    assert not target.exists()


def test_domain_inventory_refuses_a_body_shorter_than_the_job_says(glacier_api: CasAPI) -> None:
    # moto always reports InventorySizeInBytes 10000; the engine must not accept a shorter body
    vault = Vault.create(glacier_api, VAULT)
    vault.upload_archive(io.BytesIO(b"x" * 5000), "listed")
    job = vault.initiate_retrieve_inventory("inventory", format="JSON")
    job.wait(timeout=15, poll_interval=0.1)
    with pytest.raises(BadResponseError):
        job.inventory()
