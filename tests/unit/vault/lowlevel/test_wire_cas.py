"""Every operation on the wire, CAS dialect: method, path, query, headers, signed headers
(q-header-list / q-url-param-list), body, and a q-sign that verifies (docs/vault-protocol.md §1
and §2.2)."""

from __future__ import annotations

import io
import json
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

import attrs
import pytest
import responses

from cassdk_like.core.byterange import ByteRange
from cassdk_like.vault.lowlevel import CASClient

from ._wire import (
    CAS_HOST,
    CAS_ID,
    CAS_NOW,
    SHA_1MIB_ZERO,
    SHA_3_5MIB_ZERO,
    SHA_A,
    TREE_3_5MIB_ZERO,
    MiB,
    Sent,
    qsign_check,
    qsign_fields,
    qsign_signed_headers,
)
from .conftest import ANY_URL

ROOT = "/1250000000/vaults"
POLICY = {"version": "2.0", "statement": [{"effect": "allow", "action": ["name/cas:*"]}]}
POLICY_TEXT = '{"version":"2.0","statement":[{"effect":"allow","action":["name/cas:*"]}]}'
TREE_X = "b" * 64


@attrs.frozen
class Case:
    name: str
    call: Callable[[CASClient], Any]
    method: str
    path: str
    query: List[Tuple[str, str]] = attrs.field(factory=list)
    headers: Dict[str, str] = attrs.field(factory=dict)
    signed: Set[str] = attrs.field(factory=lambda: {"host"})
    json_body: Optional[Any] = None
    raw_body: Optional[bytes] = None


CASES = [
    Case("create_vault", lambda c: c.create_vault("v1"), "PUT", f"{ROOT}/v1"),
    Case("describe_vault", lambda c: c.describe_vault("v1"), "GET", f"{ROOT}/v1"),
    Case("delete_vault", lambda c: c.delete_vault("v1"), "DELETE", f"{ROOT}/v1"),
    Case("list_vaults", lambda c: c.list_vaults(), "GET", ROOT),
    Case(
        "list_vaults_paged",
        lambda c: c.list_vaults(marker="qcs:id/0:cas:ap-chengdu:uid/1:vaults/Ab", limit=7),
        "GET",
        ROOT,
        query=[("marker", "qcs:id/0:cas:ap-chengdu:uid/1:vaults/Ab"), ("limit", "7")],
    ),
    Case("get_access_policy", lambda c: c.get_vault_access_policy("v1"), "GET", f"{ROOT}/v1/access-policy"),
    Case(
        "set_access_policy_dict",
        lambda c: c.set_vault_access_policy("v1", POLICY),
        "PUT",
        f"{ROOT}/v1/access-policy",
        json_body={"policy": POLICY_TEXT},
    ),
    Case(
        "set_access_policy_text",
        lambda c: c.set_vault_access_policy("v1", POLICY_TEXT),
        "PUT",
        f"{ROOT}/v1/access-policy",
        json_body={"policy": POLICY_TEXT},
    ),
    Case(
        "delete_access_policy",
        lambda c: c.delete_vault_access_policy("v1"),
        "DELETE",
        f"{ROOT}/v1/access-policy",
    ),
    Case(
        "set_notifications",
        lambda c: c.set_vault_notifications(
            "v1", "https://hook.example/cb", ["ArchiveRetrievalCompleted", "PullFromCOSCompleted"]
        ),
        "PUT",
        f"{ROOT}/v1/notification-configuration",
        json_body={
            "CallBackUrl": "https://hook.example/cb",
            "Events": ["ArchiveRetrievalCompleted", "PullFromCOSCompleted"],
        },
    ),
    Case(
        "get_notifications",
        lambda c: c.get_vault_notifications("v1"),
        "GET",
        f"{ROOT}/v1/notification-configuration",
    ),
    Case(
        "delete_notifications",
        lambda c: c.delete_vault_notifications("v1"),
        "DELETE",
        f"{ROOT}/v1/notification-configuration",
    ),
    Case(
        "initiate_lock",
        lambda c: c.initiate_vault_lock("v1", POLICY),
        "POST",
        f"{ROOT}/v1/lock-policy",
        json_body={"Policy": POLICY_TEXT},
    ),
    Case(
        "complete_lock",
        lambda c: c.complete_vault_lock("v1", "LOCK-1"),
        "POST",
        f"{ROOT}/v1/lock-policy/LOCK-1",
    ),
    Case("abort_lock", lambda c: c.abort_vault_lock("v1"), "DELETE", f"{ROOT}/v1/lock-policy"),
    Case("get_lock", lambda c: c.get_vault_lock("v1"), "GET", f"{ROOT}/v1/lock-policy"),
    Case(
        "add_tags",
        lambda c: c.add_tags_to_vault("v1", {"team": "ops", "env": ""}),
        "POST",
        f"{ROOT}/v1/tags",
        query=[("operation", "add")],
        json_body={"Tags": {"team": "ops", "env": ""}},
    ),
    Case(
        "remove_tags",
        lambda c: c.remove_tags_from_vault("v1", ["team", "env"]),
        "POST",
        f"{ROOT}/v1/tags",
        query=[("operation", "remove")],
        json_body={"TagKeys": ["team", "env"]},
    ),
    Case("list_tags", lambda c: c.list_tags_for_vault("v1"), "GET", f"{ROOT}/v1/tags"),
    Case(
        "upload_archive",
        lambda c: c.upload_archive("v1", b"a", desc="my file (1).tar gz~"),
        "POST",
        f"{ROOT}/v1/archives",
        headers={
            "content-length": "1",
            "x-cas-content-sha256": SHA_A,
            "x-cas-sha256-tree-hash": SHA_A,
            "x-cas-archive-description": "my file (1).tar gz~",
        },
        signed={
            "content-length",
            "host",
            "x-cas-archive-description",
            "x-cas-content-sha256",
            "x-cas-sha256-tree-hash",
        },
        raw_body=b"a",
    ),
    Case(
        "upload_archive_given_hashes",
        lambda c: c.upload_archive("v1", b"a", "A" * 64, TREE_X),
        "POST",
        f"{ROOT}/v1/archives",
        headers={"x-cas-content-sha256": "a" * 64, "x-cas-sha256-tree-hash": TREE_X},
        signed={"content-length", "host", "x-cas-content-sha256", "x-cas-sha256-tree-hash"},
        raw_body=b"a",
    ),
    Case(
        "delete_archive",
        lambda c: c.delete_archive("v1", "--ikMDFA46zW_pP6"),
        "DELETE",
        f"{ROOT}/v1/archives/--ikMDFA46zW_pP6",
    ),
    Case(
        "initiate_multipart",
        lambda c: c.initiate_multipart_upload("v1", 4 * MiB, desc="big one"),
        "POST",
        f"{ROOT}/v1/multipart-uploads",
        headers={"x-cas-part-size": "4194304", "x-cas-archive-description": "big one"},
        signed={"host", "x-cas-part-size", "x-cas-archive-description"},
    ),
    Case(
        "upload_part",
        lambda c: c.upload_part("v1", "UP1", bytes(MiB), (MiB, 2 * MiB - 1)),
        "PUT",
        f"{ROOT}/v1/multipart-uploads/UP1",
        headers={
            "content-range": "bytes 1048576-2097151/*",
            "content-length": "1048576",
            "x-cas-content-sha256": SHA_1MIB_ZERO,
            "x-cas-sha256-tree-hash": SHA_1MIB_ZERO,
        },
        signed={"content-length", "host", "x-cas-content-sha256", "x-cas-sha256-tree-hash"},
        raw_body=bytes(MiB),
    ),
    Case(
        "complete_multipart",
        lambda c: c.complete_multipart_upload("v1", "UP1", 3670016, TREE_3_5MIB_ZERO),
        "POST",
        f"{ROOT}/v1/multipart-uploads/UP1",
        headers={"x-cas-archive-size": "3670016", "x-cas-sha256-tree-hash": TREE_3_5MIB_ZERO},
        signed={"host", "x-cas-archive-size", "x-cas-sha256-tree-hash"},
    ),
    Case(
        "abort_multipart",
        lambda c: c.abort_multipart_upload("v1", "UP1"),
        "DELETE",
        f"{ROOT}/v1/multipart-uploads/UP1",
    ),
    Case(
        "list_multipart_uploads",
        lambda c: c.list_multipart_uploads("v1", "M1", 50),
        "GET",
        f"{ROOT}/v1/multipart-uploads",
        query=[("marker", "M1"), ("limit", "50")],
    ),
    Case(
        "list_parts",
        lambda c: c.list_parts("v1", "UP1", marker=4194304, limit="2"),
        "GET",
        f"{ROOT}/v1/multipart-uploads/UP1",
        query=[("marker", "4194304"), ("limit", "2")],
    ),
    Case(
        "archive_retrieval_job",
        lambda c: c.initiate_job(
            "v1", "archive-retrieval", "ARCH1", "restore", "0-1048575", "expedited", callback_url="https://cb"
        ),
        "POST",
        f"{ROOT}/v1/jobs",
        json_body={
            "Type": "archive-retrieval",
            "ArchiveId": "ARCH1",
            "Description": "restore",
            "RetrievalByteRange": "0-1048575",
            "Tier": "Expedited",
            "CallBackUrl": "https://cb",
        },
    ),
    Case(
        "inventory_job",
        lambda c: c.initiate_job(
            "v1",
            "inventory-retrieval",
            desc="inv",
            marker="ARCH9",
            limit=500,
            start_date="2017-01-01T00:00:00Z",
            end_date="2017-12-31T00:00:00Z",
            format="csv",
            callback_url="https://cb",
        ),
        "POST",
        f"{ROOT}/v1/jobs",
        json_body={
            "Type": "inventory-retrieval",
            "Description": "inv",
            "Format": "CSV",
            "CallBackUrl": "https://cb",
            "InventoryRetrievalParameters": {
                "StartDate": "2017-01-01T00:00:00Z",
                "EndDate": "2017-12-31T00:00:00Z",
                "Limit": "500",
                "Marker": "ARCH9",
            },
        },
    ),
    Case(
        "inventory_job_bare",
        lambda c: c.initiate_job("v1", "inventory-retrieval"),
        "POST",
        f"{ROOT}/v1/jobs",
        json_body={"Type": "inventory-retrieval"},
    ),
    Case(
        "push_to_cos_job",
        lambda c: c.initiate_job(
            "v1",
            "push-to-cos",
            "ARCH1",
            byte_range=ByteRange(0, 2 * MiB - 1),
            tier="Bulk",
            bucket_endpoint="bk-1250000000.cos.ap-chengdu.myqcloud.com",
            object_name="dir/obj.bin",
        ),
        "POST",
        f"{ROOT}/v1/jobs",
        json_body={
            "Type": "push-to-cos",
            "ArchiveId": "ARCH1",
            "Bucket": "bk-1250000000.cos.ap-chengdu.myqcloud.com",
            "Object": "dir/obj.bin",
            "RetrievalByteRange": "0-2097151",
            "Tier": "Bulk",
        },
    ),
    Case(
        "pull_from_cos_job",
        lambda c: c.initiate_job(
            "v1",
            "pull-from-cos",
            desc="import",
            byte_range="0-99",
            bucket_endpoint="bk-1250000000.cos.ap-chengdu.myqcloud.com",
            object_name="obj.bin",
            condition={"If-Match": '"etag"'},
            archive_desc="imported",
        ),
        "POST",
        f"{ROOT}/v1/jobs",
        json_body={
            "Type": "pull-from-cos",
            "Description": "import",
            "Bucket": "bk-1250000000.cos.ap-chengdu.myqcloud.com",
            "Object": "obj.bin",
            "Range": "0-99",
            "Condition": {"If-Match": '"etag"'},
            "ArchiveDescription": "imported",
        },
    ),
    Case("describe_job", lambda c: c.describe_job("v1", "-JOB_1"), "GET", f"{ROOT}/v1/jobs/-JOB_1"),
    Case(
        "get_job_output",
        lambda c: c.get_job_output("v1", "J1", (0, 1048575)),
        "GET",
        f"{ROOT}/v1/jobs/J1/output",
        headers={"range": "bytes=0-1048575"},
        signed={"host", "range"},
    ),
    Case("get_job_output_whole", lambda c: c.get_job_output("v1", "J1"), "GET", f"{ROOT}/v1/jobs/J1/output"),
    Case(
        "list_jobs",
        lambda c: c.list_jobs("v1", True, "M2", 10, "succeeded"),
        "GET",
        f"{ROOT}/v1/jobs",
        query=[("completed", "true"), ("marker", "M2"), ("limit", "10"), ("statuscode", "Succeeded")],
    ),
    Case(
        "list_jobs_not_completed",
        lambda c: c.list_jobs("v1", completed=False),
        "GET",
        f"{ROOT}/v1/jobs",
        query=[("completed", "false")],
    ),
]


def _send(mock: responses.RequestsMock, client: CASClient, case: Case) -> Sent:
    for method in ("GET", "PUT", "POST", "DELETE"):
        mock.add(method, ANY_URL, status=200, body=b"")
    response = case.call(client)
    response.close()
    assert len(mock.calls) == 1
    return Sent.of(mock.calls[0].request)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_operation_on_the_wire(mock: responses.RequestsMock, cas: CASClient, case: Case) -> None:
    sent = _send(mock, cas, case)
    assert sent.method == case.method
    assert sent.path == case.path
    assert sent.query == case.query
    assert sent.headers["host"] == CAS_HOST
    for name, value in case.headers.items():
        assert sent.headers[name] == value, name
    assert not [name for name in sent.headers if name.startswith("x-amz-")]
    assert qsign_signed_headers(sent) == case.signed
    fields = qsign_fields(sent)
    assert fields["q-url-param-list"] == ";".join(sorted(k for k, _ in case.query))
    assert fields["q-ak"] == CAS_ID
    assert fields["q-sign-time"] == fields["q-key-time"] == f"{CAS_NOW};{CAS_NOW + 1200}"
    assert qsign_check(sent) is None
    if case.json_body is not None:
        assert sent.headers["content-type"] == "application/json"
        assert sent.json() == case.json_body
    else:
        assert sent.body == (case.raw_body or b"")


def test_qsign_example_2_end_to_end(mock: responses.RequestsMock, cas: CASClient) -> None:
    """docs/vault-protocol.md §2.3 example 2: the URL keeps the marker's case, the signature lowercases it."""
    mock.add("GET", ANY_URL, json={"VaultList": [], "Marker": None})
    marker = "qcs::cas:ap-chengdu:uid/1250000000:vaults/MyVault"
    cas.list_vaults(marker=marker, limit=2)
    request = mock.calls[0].request
    assert request.url is not None
    assert "MyVault" in request.url
    assert "myvault" not in request.url
    assert dict(Sent.of(request).query) == {"marker": marker, "limit": "2"}
    assert request.headers["Authorization"] == (
        "q-sign-algorithm=sha1&q-ak=AKIDEXAMPLE&q-sign-time=1480932292;1480933492"
        "&q-key-time=1480932292;1480933492&q-header-list=host&q-url-param-list=limit;marker"
        "&q-signature=36580e019bff0519cb675247c056d692e112b236"
    )


def test_upload_archive_from_file_object_hashes_and_streams_the_window(
    mock: responses.RequestsMock, cas: CASClient, tmp_path: Any
) -> None:
    data = bytes(3 * MiB + MiB // 2)
    path = tmp_path / "archive.bin"
    path.write_bytes(b"HEADER" + data + b"TRAILER")
    mock.add("POST", ANY_URL, status=201, headers={"x-cas-archive-id": "A1"})
    with path.open("rb") as fileobj:
        fileobj.seek(6)
        response = cas.upload_archive("v1", fileobj, size=len(data))
        sent = Sent.of(mock.calls[0].request)
    assert response.status == 201
    assert sent.headers["x-cas-content-sha256"] == SHA_3_5MIB_ZERO
    assert sent.headers["x-cas-sha256-tree-hash"] == TREE_3_5MIB_ZERO
    assert sent.headers["content-length"] == str(len(data))
    assert sent.body == data
    assert qsign_check(sent) is None


def test_upload_part_from_reader_sends_exactly_the_range(
    mock: responses.RequestsMock, cas: CASClient
) -> None:
    mock.add("PUT", ANY_URL, status=204)
    reader = io.BytesIO(b"xx" + b"a" + b"yy")
    reader.seek(2)
    cas.post_multipart_from_reader("v1", "UP1", reader, 1, "0-0")
    sent = Sent.of(mock.calls[0].request)
    assert sent.body == b"a"
    assert sent.headers["content-range"] == "bytes 0-0/*"
    assert sent.headers["x-cas-sha256-tree-hash"] == SHA_A


def test_original_sdk_aliases_reach_the_same_requests(mock: responses.RequestsMock, cas: CASClient) -> None:
    mock.add("POST", ANY_URL, status=201)
    mock.add("PUT", ANY_URL, status=204)
    cas.post_archive("v1", b"a", desc="d")
    cas.post_archive_from_reader("v1", io.BytesIO(b"a"), 1)
    cas.post_multipart("v1", "UP1", b"a", "0-0")
    archive, reader_archive, part = (Sent.of(call.request) for call in mock.calls)
    assert archive.path == reader_archive.path == f"{ROOT}/v1/archives"
    assert archive.headers["x-cas-archive-description"] == "d"
    assert archive.body == reader_archive.body == part.body == b"a"
    assert part.headers["content-range"] == "bytes 0-0/*"


def test_json_bodies_are_compact_json(mock: responses.RequestsMock, cas: CASClient) -> None:
    mock.add("PUT", ANY_URL, status=204)
    cas.set_vault_access_policy("v1", {"a": 1})
    body = mock.calls[0].request.body
    assert body == json.dumps({"policy": '{"a":1}'}, separators=(",", ":")).encode()
