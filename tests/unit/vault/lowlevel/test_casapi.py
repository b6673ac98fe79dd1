"""CasAPI and CASResponse: same signatures as CASClient, responses as dicts, paging to the end."""

from __future__ import annotations

import inspect
import json
from typing import Any, Callable, Dict, List

import pytest
import responses

from cassdk_like.core.exceptions import BadResponseError
from cassdk_like.vault.highlevel import CasAPI, CASResponse
from cassdk_like.vault.lowlevel import CASClient

from ._wire import Sent
from .conftest import ANY_URL

VAULT = {
    "CreationDate": "2017-03-20T17:03:43.221Z",
    "LastInventoryDate": None,
    "NumberOfArchives": None,
    "SizeInBytes": None,
    "VaultQCS": "qcs:id/0:cas:ap-chengdu:uid/1250000000:vaults/v1",
    "VaultName": "v1",
}
CSV = "ArchiveId,ArchiveDescription,CreationDate,Size,SHA256TreeHash\nA1,,2017-08-29T08:29:41Z,1,ab\n"


def _public_methods(cls: type) -> Dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_") and name not in ("close",)
    }


def test_casapi_has_every_client_method_with_the_same_parameters() -> None:
    client_methods = _public_methods(CASClient)
    api_methods = _public_methods(CasAPI)
    assert set(client_methods) <= set(api_methods)
    for name, signature in client_methods.items():
        shape = [(p.name, p.kind, p.default) for p in signature.parameters.values()]
        assert [(p.name, p.kind, p.default) for p in api_methods[name].parameters.values()] == shape, name


def test_describe_multipart_is_list_parts() -> None:
    assert CasAPI.describe_multipart is CasAPI.list_parts


def test_response_is_the_json_body_with_status_headers_and_request_id(
    mock: responses.RequestsMock, cas_api: CasAPI
) -> None:
    mock.add("GET", ANY_URL, json=VAULT, headers={"x-cas-requestid": "R-7"})
    resp = cas_api.describe_vault("v1")
    assert isinstance(resp, CASResponse)
    assert isinstance(resp, dict)
    assert resp == VAULT
    assert resp["VaultName"] == "v1"
    assert resp["NumberOfArchives"] is None
    assert resp.status == 200
    assert resp.request_id == "R-7"
    assert resp.headers["X-CAS-REQUESTID"] == "R-7"
    assert json.loads(resp.text) == VAULT


def test_headers_are_readable_like_the_original_dict(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    headers = {"Location": "/1250000000/vaults/v1/archives/A1", "x-cas-archive-id": "A1"}
    mock.add("POST", ANY_URL, status=201, headers=headers)
    resp = cas_api.upload_archive("v1", b"a")
    assert resp["x-cas-archive-id"] == "A1"
    assert resp["location"] == "/1250000000/vaults/v1/archives/A1"
    assert resp.get("X-Cas-Archive-Id") == "A1"
    assert resp.get("x-cas-job-id", "none") == "none"
    assert dict(resp) == {}
    assert len(resp) == 0
    with pytest.raises(KeyError):
        resp["VaultName"]


def test_missing_request_id_is_none(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    """docs/original-sdk-defects.md #5: a 2xx without x-cas-requestId must not crash."""
    mock.add("PUT", ANY_URL, status=201)
    resp = cas_api.create_vault("v1")
    assert resp.request_id is None
    assert resp.status == 201
    assert resp == {}


def test_empty_tag_list_body_is_an_empty_dict(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    mock.add("GET", ANY_URL, status=200, body=b"", content_type="application/json")
    assert cas_api.list_tags_for_vault("v1") == {}


def test_csv_inventory_is_kept_as_text(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    """docs/original-sdk-defects.md #5: CSV is never parsed (the original ran it through yaml.load)."""
    mock.add("GET", ANY_URL, body=CSV.encode(), content_type="text/csv")
    resp = cas_api.get_job_output("v1", "J1")
    assert resp == {}
    assert resp.text == CSV
    assert resp.body == CSV.encode()
    assert resp.content_type == "text/csv"


def test_csv_that_looks_like_yaml_is_not_parsed(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    mock.add("GET", ANY_URL, body=b"ArchiveId: x\nSize: 1\n", content_type="text/csv")
    resp = cas_api.get_job_output("v1", "J1", stream=False)
    assert resp == {}
    assert resp.text == "ArchiveId: x\nSize: 1\n"


def test_json_inventory_output_is_parsed(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    inventory = {"VaultQCS": "q", "InventoryDate": "2017-08-29T08:29:41Z", "ArchiveList": []}
    mock.add("GET", ANY_URL, json=inventory)
    resp = cas_api.get_job_output("v1", "J1")
    assert resp == inventory


def test_mislabelled_json_object_is_parsed(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    # moto answers Describe Job with its JSON labelled text/html
    mock.add("GET", ANY_URL, body=json.dumps({"JobId": "J1", "Completed": True}), content_type="text/html")
    resp = cas_api.describe_job("v1", "J1")
    assert resp["JobId"] == "J1"


def test_mislabelled_non_json_stays_raw(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    mock.add("GET", ANY_URL, body=b"{not json at all", content_type="text/html")
    resp = cas_api.describe_job("v1", "J1")
    assert dict(resp) == {}
    assert resp.text == "{not json at all"


def test_partial_json_output_is_not_parsed(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    mock.add(
        "GET",
        ANY_URL,
        status=206,
        body=b'{"VaultQCS": "q", "Arch',
        content_type="application/json",
        headers={"Content-Range": "bytes 0-22/100"},
    )
    resp = cas_api.get_job_output("v1", "J1", "0-22")
    assert resp == {}
    assert resp.body == b'{"VaultQCS": "q", "Arch'


def test_archive_output_streams(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    data = bytes(range(256)) * 64
    mock.add(
        "GET",
        ANY_URL,
        status=206,
        body=data,
        content_type="application/octet-stream",
        headers={"Content-Range": f"bytes 0-{len(data) - 1}/*", "x-cas-sha256-tree-hash": "ab" * 32},
    )
    with cas_api.get_job_output("v1", "J1", (0, len(data) - 1)) as resp:
        assert resp.status == 206
        assert resp["x-cas-sha256-tree-hash"] == "ab" * 32
        chunks: List[bytes] = []
        while True:
            chunk = resp.read(1000)
            if not chunk:
                break
            chunks.append(chunk)
    assert b"".join(chunks) == data
    assert Sent.of(mock.calls[0].request).headers["range"] == f"bytes=0-{len(data) - 1}"


def test_body_of_a_stream_reads_the_rest(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    mock.add("GET", ANY_URL, body=b"0123456789", content_type="application/octet-stream")
    resp = cas_api.get_job_output("v1", "J1")
    assert resp.read(4) == b"0123"
    assert resp.body == b"456789"
    assert resp.body == b"456789"  # kept


def test_garbled_json_on_success_is_a_bad_response(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    mock.add("GET", ANY_URL, body=b"{oops", content_type="application/json")
    with pytest.raises(BadResponseError) as info:
        cas_api.describe_vault("v1")
    assert info.value.operation == "describe_vault"


def _pages(mock: responses.RequestsMock, key: str, pages: List[List[Any]]) -> None:
    for index, items in enumerate(pages):
        marker = f"M{index + 1}" if index + 1 < len(pages) else None
        mock.add("GET", ANY_URL, json={key: items, "Marker": marker})


def _markers(mock: responses.RequestsMock) -> List[Any]:
    return [dict(Sent.of(call.request).query).get("marker") for call in mock.calls]


def test_list_all_vaults_follows_marker(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    _pages(mock, "VaultList", [[{"VaultName": "a"}], [{"VaultName": "b"}, {"VaultName": "c"}], []])
    names = [vault["VaultName"] for vault in cas_api.list_all_vaults()]
    assert names == ["a", "b", "c"]
    assert _markers(mock) == [None, "M1", "M2"]


def test_list_all_multipart_uploads_reads_the_second_page(
    mock: responses.RequestsMock, cas_api: CasAPI
) -> None:
    """docs/original-sdk-defects.md #3: the original raised AttributeError when there was a second page."""
    _pages(mock, "UploadsList", [[{"MultipartUploadId": "U1"}], [{"MultipartUploadId": "U2"}]])
    ids = [upload["MultipartUploadId"] for upload in cas_api.list_all_multipart_uploads("v1")]
    assert ids == ["U1", "U2"]
    assert _markers(mock) == [None, "M1"]
    assert {Sent.of(call.request).path for call in mock.calls} == {"/1250000000/vaults/v1/multipart-uploads"}


def test_list_all_parts_follows_marker(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    parts = [[{"RangeInBytes": "0-1048575"}], [{"RangeInBytes": "1048576-2097151"}]]
    _pages(mock, "Parts", parts)
    ranges = [part["RangeInBytes"] for part in cas_api.list_all_parts("v1", "UP1")]
    assert ranges == ["0-1048575", "1048576-2097151"]
    assert _markers(mock) == [None, "M1"]


def test_list_all_jobs_keeps_its_filters_on_every_page(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    _pages(mock, "JobList", [[{"JobId": "J1"}], [{"JobId": "J2"}]])
    jobs = [job["JobId"] for job in cas_api.list_all_jobs("v1", completed=True, status_code="Succeeded")]
    assert jobs == ["J1", "J2"]
    queries = [dict(Sent.of(call.request).query) for call in mock.calls]
    assert queries == [
        {"completed": "true", "statuscode": "Succeeded"},
        {"completed": "true", "statuscode": "Succeeded", "marker": "M1"},
    ]


def test_paging_is_lazy_and_stops_on_a_repeated_marker(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    mock.add("GET", ANY_URL, json={"VaultList": [{"VaultName": "a"}], "Marker": "SAME"})
    vaults = cas_api.list_all_vaults()
    assert len(mock.calls) == 0
    with pytest.raises(BadResponseError, match="same Marker"):
        list(vaults)
    assert len(mock.calls) == 2


def test_paging_handles_a_null_list(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    mock.add("GET", ANY_URL, json={"JobList": None, "Marker": None})
    assert list(cas_api.list_all_jobs("v1")) == []


def test_initiate_job_returns_the_job_id_header(mock: responses.RequestsMock, glacier_api: CasAPI) -> None:
    mock.add("POST", ANY_URL, status=202, headers={"x-amz-job-id": "J9", "Location": "/-/vaults/v1/jobs/J9"})
    resp = glacier_api.initiate_job("v1", "inventory-retrieval", format="CSV")
    assert resp.status == 202
    assert resp["x-amz-job-id"] == "J9"
    assert glacier_api.dialect.h("job-id") == "x-amz-job-id"


def test_every_api_method_returns_a_response(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    for method in ("GET", "PUT", "POST", "DELETE"):
        mock.add(method, ANY_URL, status=204)
    calls: List[Callable[[], CASResponse]] = [
        lambda: cas_api.delete_vault_access_policy("v1"),
        lambda: cas_api.set_vault_notifications("v1", "https://cb", ["InventoryRetrievalCompleted"]),
        lambda: cas_api.complete_vault_lock("v1", "L1"),
        lambda: cas_api.add_tags_to_vault("v1", {"a": "b"}),
        lambda: cas_api.post_multipart("v1", "U1", b"a", "0-0"),
        lambda: cas_api.complete_multipart_upload("v1", "U1", 1, "c" * 64),
        lambda: cas_api.abort_multipart_upload("v1", "U1"),
    ]
    for call in calls:
        resp = call()
        assert isinstance(resp, CASResponse)
        assert resp.status == 204
    assert len(mock.calls) == len(calls)


def test_repr(cas_api: CasAPI) -> None:
    assert "CasAPI(CASClient(" in repr(cas_api)
    assert "EXAMPLESECRETKEY" not in repr(cas_api)
