"""Every seed method, called by the keyword names the original SDK documents, reaches the wire.

The names come from the Tencent CAS Python SDK document (``CASClient(host, appid, secret_id,
secret_key)``, ``Vault.upload_archive(file_path, desc)``, ``Job.download_by_range(byte_range,
file_path, file_obj, chunk_size, block)``, ...) and the original SDK's low-level signatures. A
keyword renamed in this SDK fails here with ``TypeError`` instead of in a user's script.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest
import requests
import responses

from cassdk_like import Archive, CasAPI, CASClient, Job, MultipartUpload, Vault
from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.core.integrity import MiB, tree_hash
from tests.unit.vault.highlevel.hl_helpers import (
    CAS_APPID,
    CAS_HOST,
    CAS_ID,
    CAS_KEY,
    NOW,
    OutputServer,
    calls,
    job_doc,
    pattern_bytes,
    vault_props,
)

OUTPUT = pattern_bytes(3 * MiB)
ETAG = "0" * 64
Reply = Tuple[int, Dict[str, str], str]


class FakeService:
    """Plausible answers for every vault, archive, upload and job route of the CAS dialect."""

    def __init__(self, api: CasAPI) -> None:
        self.api = api
        self.output = OutputServer(OUTPUT)

    def __call__(self, request: requests.PreparedRequest) -> Any:
        path = re.sub(r"^/[^/]+/vaults", "", request.path_url.split("?")[0])
        method = request.method or ""
        h = self.api.dialect.h
        if path.endswith("/output"):
            return self.output(request)
        if path == "":
            return _json({"VaultList": [vault_props(self.api)], "Marker": None})
        if path.endswith("/access-policy") and method == "GET":
            return _json({"policy": '{"Statement": []}'})
        if path.endswith("/archives"):
            return 201, {h("archive-id"): "A1"}, ""
        if path.endswith("/jobs") and method == "POST":
            return 202, {h("job-id"): "J1"}, ""
        if path.endswith("/jobs"):
            return _json({"JobList": [self._job()], "Marker": None})
        if "/jobs/" in path:
            return _json(self._job())
        if path.endswith("/multipart-uploads") and method == "POST":
            return 201, {h("multipart-upload-id"): "U1"}, ""
        if path.endswith("/multipart-uploads"):
            return _json({"UploadsList": [_upload()], "Marker": None})
        if "/multipart-uploads/" in path:
            if method == "PUT":
                return 204, {h("sha256-tree-hash"): request.headers[h("sha256-tree-hash")]}, ""
            if method == "POST":
                return 201, {h("archive-id"): "A2"}, ""
            if method == "GET":
                return _json(dict(_upload(), Parts=[], Marker=None))
        if method == "GET":
            return _json(vault_props(self.api))
        return 204, {}, ""

    def _job(self) -> Dict[str, Any]:
        top = len(OUTPUT) - 1
        return job_doc(
            self.api, ArchiveSizeInBytes=len(OUTPUT), RetrievalByteRange=f"0-{top}",
            SHA256TreeHash=tree_hash(OUTPUT),
        )  # fmt: skip


def _upload() -> Dict[str, Any]:
    return {
        "MultipartUploadId": "U1",
        "PartSizeInBytes": MiB,
        "ArchiveDescription": "d",
        "CreationDate": "2017-03-20T17:03:43.221Z",
    }


def _json(doc: Any) -> Reply:
    return 200, {"Content-Type": "application/json"}, json.dumps(doc)


@pytest.fixture
def client() -> Iterator[CASClient]:
    made = CASClient(
        host=CAS_HOST, appid=CAS_APPID, secret_id=CAS_ID, secret_key=CAS_KEY,
        clock=lambda: NOW, retry_policy=RetryPolicy.never(),
    )  # fmt: skip
    yield made
    made.close()


@pytest.fixture
def api(client: CASClient) -> CasAPI:
    return CasAPI(client=client)


@pytest.fixture
def mock(api: CasAPI) -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        service = FakeService(api)
        for method in ("GET", "PUT", "POST", "DELETE"):
            rsps.add_callback(method, re.compile(r"https?://.*"), callback=service)
        yield rsps


def _sent(mock: responses.RequestsMock) -> List[Tuple[str, str]]:
    return [(s.method, re.sub(r"^/[^/]+/vaults", "", s.path)) for s in calls(mock)]


def test_casclient_low_level_methods_by_seed_keywords(
    client: CASClient, mock: responses.RequestsMock
) -> None:
    client.create_vault(vault_name="v1")
    client.describe_vault(vault_name="v1")
    client.list_vaults(marker="m", limit=10)
    client.delete_vault(vault_name="v1")
    client.set_vault_access_policy(vault_name="v1", policy='{"Statement": []}')
    client.get_vault_access_policy(vault_name="v1")
    client.delete_vault_access_policy(vault_name="v1")
    client.upload_archive(vault_name="v1", content=b"abc", etag=None, tree_tag=None, size=3, desc="d")
    client.post_archive(vault_name="v1", content=b"abc", etag=None, tree_etag=None, desc="d")
    client.post_archive_from_reader(
        vault_name="v1", reader=io.BytesIO(b"abc"), content_length=3, etag=None, tree_etag=None, desc="d"
    )
    client.delete_archive(vault_name="v1", archive_id="A1")
    client.initiate_multipart_upload(vault_name="v1", part_size=MiB, desc="d")
    client.list_multipart_uploads(vault_name="v1", marker="m", limit=5)
    client.post_multipart(
        vault_name="v1", upload_id="U1", content=b"x" * 10, prange="0-9", etag=None, tree_etag=None
    )
    client.post_multipart_from_reader(
        vault_name="v1", upload_id="U1", reader=io.BytesIO(b"x" * 10), content_length=10, prange="0-9",
        etag=None, tree_etag=None,
    )  # fmt: skip
    client.list_parts(vault_name="v1", upload_id="U1", marker="0", limit=5)
    client.complete_multipart_upload(vault_name="v1", upload_id="U1", file_size=10, tree_etag=ETAG)
    client.abort_multipart_upload(vault_name="v1", upload_id="U1")
    client.initiate_job(
        vault_name="v1", job_type="archive-retrieval", archive_id="A1", desc="d", byte_range="0-1048575",
        tier="Standard",
    )  # fmt: skip
    client.initiate_job(
        vault_name="v1", job_type="inventory-retrieval", desc="d", marker="m", limit=10,
        start_date="2017-01-01T00:00:00Z", end_date="2017-02-01T00:00:00Z",
    )  # fmt: skip
    client.initiate_job(
        vault_name="v1", job_type="push-to-cos", archive_id="A1", bucket_endpoint="b.cos.example",
        object_name="o",
    )  # fmt: skip
    client.describe_job(vault_name="v1", job_id="J1")
    client.get_job_output(vault_name="v1", job_id="J1", orange="bytes=0-1048575").close()
    client.list_jobs(vault_name="v1", completed=True, marker="m", limit=10, status_code="Succeeded")
    assert len(mock.calls) == 24
    ranged = [c.request.headers.get("Range") for c in mock.calls if c.request.path_url.endswith("/output")]
    assert ranged == ["bytes=0-1048575"]


def test_get_job_output_takes_the_seed_orange_or_byte_range_but_not_both(
    client: CASClient, mock: responses.RequestsMock
) -> None:
    client.get_job_output("v1", "J1", "0-1048575").close()
    client.get_job_output("v1", "J1", orange="0-1048575").close()
    with pytest.raises(InvalidArgumentError):
        client.get_job_output("v1", "J1", "0-1", orange="bytes=0-1")
    assert [c.request.headers.get("Range") for c in mock.calls] == ["bytes=0-1048575"] * 2


def test_casapi_methods_by_seed_keywords(api: CasAPI, mock: responses.RequestsMock) -> None:
    api.create_vault(vault_name="v1")
    assert api.describe_vault(vault_name="v1")["VaultName"] == "v1"
    api.list_vaults(marker="m", limit=10)
    assert [v["VaultName"] for v in api.list_all_vaults()] == ["v1"]
    api.upload_archive(vault_name="v1", content=b"abc", etag=None, tree_tag=None, size=3, desc="d")
    api.post_archive(vault_name="v1", content=b"abc", etag=None, tree_etag=None, desc="d")
    api.initiate_multipart_upload(vault_name="v1", part_size=MiB, desc="d")
    api.list_parts(vault_name="v1", upload_id="U1", marker="0", limit=5)
    api.describe_multipart(vault_name="v1", upload_id="U1")
    assert [u["MultipartUploadId"] for u in api.list_all_multipart_uploads(vault_name="v1")] == ["U1"]
    assert list(api.list_all_parts(vault_name="v1", upload_id="U1")) == []
    api.post_multipart(
        vault_name="v1", upload_id="U1", content=b"x" * 10, prange="0-9", etag=None, tree_etag=None
    )
    api.complete_multipart_upload(vault_name="v1", upload_id="U1", file_size=10, tree_etag=ETAG)
    api.abort_multipart_upload(vault_name="v1", upload_id="U1")
    api.initiate_job(vault_name="v1", job_type="archive-retrieval", archive_id="A1", desc="d", tier="Bulk")
    api.describe_job(vault_name="v1", job_id="J1")
    out = api.get_job_output(vault_name="v1", job_id="J1", byte_range=(0, MiB - 1))
    assert out.read(MiB) == OUTPUT[:MiB]
    api.list_jobs(vault_name="v1", completed=False, marker="m", limit=10, status_code="InProgress")
    assert [j["JobId"] for j in api.list_all_jobs(vault_name="v1")] == ["J1"]
    api.set_vault_access_policy(vault_name="v1", policy={"Statement": []})
    api.get_vault_access_policy(vault_name="v1")
    api.delete_vault_access_policy(vault_name="v1")
    api.post_archive_from_reader(
        vault_name="v1", reader=io.BytesIO(b"abc"), content_length=3, etag=None, tree_etag=None, desc="d"
    )
    api.list_multipart_uploads(vault_name="v1", marker="m", limit=5)
    api.post_multipart_from_reader(
        vault_name="v1", upload_id="U1", reader=io.BytesIO(b"x" * 10), content_length=10, prange="0-9",
        etag=None, tree_etag=None,
    )  # fmt: skip
    api.get_job_output(vault_name="v1", job_id="J1", orange="bytes=0-1048575").close()
    api.delete_archive(vault_name="v1", archive_id="A1")
    api.delete_vault(vault_name="v1")
    assert ("DELETE", "/v1") in _sent(mock)


def test_vault_class_and_member_methods_by_seed_keywords(
    api: CasAPI, mock: responses.RequestsMock, tmp_path: Path
) -> None:
    vault = Vault.create(cas_api=api, name="v1")
    assert Vault(cas_api=api, vault_props=api.describe_vault("v1")) == vault
    assert Vault.get_vault_by_name(cas_api=api, vault_name="v1") == vault
    assert Vault.list_all_vaults(cas_api=api) == [vault]
    archive = vault.get_archive(archive_id="A1")
    assert archive == Archive(vault=vault, archive_id="A1")
    assert vault.retrieve_archive(archive_id="A1", desc="d", byte_range="0-1048575", tier="Bulk").id == "J1"
    assert vault.initiate_retrieve_inventory(desc="d").id == "J1"
    source = tmp_path / "small.bin"
    source.write_bytes(b"seed keywords")
    assert vault.upload_archive(file_path=str(source), desc="d") == "A1"
    upload = vault.initiate_multipart_upload(file_path=str(source), desc="d")
    assert isinstance(upload, MultipartUpload)
    assert vault.get_multipart_uploader(upload_id="U1") == upload
    assert vault.list_all_multipart_uploads() == [upload]
    assert vault.get_job(job_id="J1").id == "J1"
    vault.push_archive_to_cos(
        archive_id="A1",
        bucket_endpoint="b.cos.example",
        object_name="o",
        desc="d",
        byte_range=None,
        tier=None,
    )
    vault.delete_archive(archive_id="A1")
    vault.delete()
    Vault.delete_vault_by_name(cas_api=api, vault_name="v1")
    uploads = [s for s in calls(mock) if s.path.endswith("/archives")]
    assert len(uploads) == 1
    assert uploads[0].body == b"seed keywords"
    assert uploads[0].headers[api.dialect.h("archive-description")] == "d"


def test_upload_archive_keeps_todays_keyword_and_refuses_both(
    api: CasAPI, mock: responses.RequestsMock, tmp_path: Path
) -> None:
    vault = Vault(api, vault_props(api))
    source = tmp_path / "small.bin"
    source.write_bytes(b"abc")
    assert vault.upload_archive(file_path_or_fileobj=str(source), desc="d") == "A1"
    assert vault.upload_archive(str(source)) == "A1"
    with open(source, "rb") as handle:
        assert vault.upload_archive(file_path=handle) == "A1"
    sent = len(mock.calls)
    with pytest.raises(InvalidArgumentError, match="two files to upload"):
        vault.upload_archive(file_path=str(source), file_path_or_fileobj=str(source))
    with pytest.raises(InvalidArgumentError, match="no file to upload: give one of file_path"):
        vault.upload_archive()
    assert len(mock.calls) == sent


def test_archive_and_job_methods_by_seed_keywords(
    api: CasAPI, mock: responses.RequestsMock, tmp_path: Path
) -> None:
    vault = Vault(api, vault_props(api))
    archive = Archive(vault=vault, archive_id="A1")
    assert archive.get_vault() is vault
    job = archive.initiate_archive_retrieval(desc="d", byte_range="0-1048575", tier="Standard")
    archive.push_to_cos(
        bucket_endpoint="b.cos.example", object_name="o", byte_range=None, desc="d", tier=None
    )
    archive.delete()
    assert Job.calc_part_size(size_total=100 * MiB) == 32 * MiB
    assert Job(vault=vault, cas_response=api.describe_job("v1", "J1")) == job
    job.update_status()
    whole = tmp_path / "whole.bin"
    result = job.download_to_file(file_path=str(whole), chunk_size=MiB, block=True)
    assert result.verified
    assert whole.read_bytes() == OUTPUT
    part = tmp_path / "part.bin"
    job.download_by_range(
        byte_range="0-1048575", file_path=str(part), file_obj=None, chunk_size=MiB, block=True
    )
    assert part.read_bytes() == OUTPUT[:MiB]
    sink = io.BytesIO()
    job.download_by_range(
        byte_range=(MiB, 2 * MiB - 1), file_path=None, file_obj=sink, chunk_size=MiB, block=False
    )
    assert sink.getvalue() == OUTPUT[MiB : 2 * MiB]


def test_multipart_upload_methods_by_seed_keywords(
    api: CasAPI, mock: responses.RequestsMock, tmp_path: Path
) -> None:
    vault = Vault(api, vault_props(api))
    source = tmp_path / "two-parts.bin"
    source.write_bytes(pattern_bytes(MiB + 5))
    props = api.list_parts("v1", "U1")
    upload = MultipartUpload(vault=vault, cas_response=props, file_path=str(source))
    assert upload.size_total == MiB + 5
    assert upload.start() == "A2"
    again = MultipartUpload(vault, props)
    assert again.resume(file_path=str(source)) == "A2"
    again.cancel()
    parts = [s for s in calls(mock) if s.method == "PUT" and "/multipart-uploads/" in s.path]
    assert sorted(s.headers["content-range"] for s in parts) == sorted(
        ["bytes 0-1048575/*", f"bytes {MiB}-{MiB + 4}/*"] * 2
    )
