"""Vault and Archive: seed members and class methods, equality/repr, job starts, helpers, uploads."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, Dict, Tuple

import pytest
import requests
import responses

from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.exceptions import (
    InvalidArgumentError,
    InvalidByteRangeError,
    InvalidDescriptionError,
    LocalFileError,
)
from cassdk_like.core.integrity import MiB, hash_bytes, tree_hash
from cassdk_like.vault.errors import ResourceNotFoundException
from cassdk_like.vault.highlevel import Archive, CasAPI, Job, Vault
from tests.unit.vault.highlevel.hl_helpers import (
    ANY,
    ARN,
    CAS_KEY,
    QCS,
    calls,
    job_doc,
    make_vault,
    pattern_bytes,
    url,
    vault_props,
)

# -- members, equality, repr ----------------------------------------------------------------------


def test_members_follow_the_seed_and_nulls_become_zero(any_api: CasAPI) -> None:
    vault = Vault(any_api, vault_props(any_api))
    assert vault.name == "v1"
    assert vault.creation_date == "2017-03-20T17:03:43.221Z"
    assert vault.last_inventory_date is None
    assert vault.number_of_archives == 0
    assert vault.size == 0
    assert vault.qcs == (QCS if any_api.dialect.name == "cas" else ARN)
    assert vault.cas_api is any_api


def test_counts_after_an_inventory(cas_api: CasAPI) -> None:
    vault = Vault(cas_api, vault_props(cas_api, NumberOfArchives=3, SizeInBytes=12345))
    assert (vault.number_of_archives, vault.size) == (3, 12345)


def test_equality_is_by_name_and_ignores_the_api_handle(cas_api: CasAPI, glacier_api: CasAPI) -> None:
    one = Vault(cas_api, vault_props(cas_api))
    two = Vault(glacier_api, vault_props(glacier_api, SizeInBytes=9))
    assert one == two
    assert hash(one) == hash(two)
    assert one != make_vault(cas_api, "v2")
    assert {one, two} == {one}


def test_repr_is_readable_and_has_no_secrets(cas_api: CasAPI) -> None:
    text = repr(make_vault(cas_api))
    assert text.startswith("Vault(name='v1'")
    assert CAS_KEY not in text
    assert "CasAPI" not in text


def test_archive_equality_repr_and_vault(cas_api: CasAPI) -> None:
    vault = make_vault(cas_api)
    archive = vault.get_archive("-A_1")
    assert isinstance(archive, Archive)
    assert archive == Archive(make_vault(cas_api), "-A_1")
    assert archive != Archive(make_vault(cas_api, "v2"), "-A_1")
    assert archive.get_vault() is vault
    assert repr(archive) == "Archive(vault='v1', archive_id='-A_1')"
    assert len({archive, Archive(vault, "-A_1")}) == 1


# -- class methods --------------------------------------------------------------------------------


def test_get_vault_by_name_makes_exactly_one_describe_request(
    mock: responses.RequestsMock, any_api: CasAPI
) -> None:
    """docs/original-sdk-defects.md #12: the original listed every vault to find one."""
    mock.add("GET", url("/v1"), json=vault_props(any_api))
    vault = Vault.get_vault_by_name(any_api, "v1")
    assert vault.name == "v1"
    sent = calls(mock)
    assert len(sent) == 1
    assert sent[0].method == "GET"
    assert sent[0].path.endswith("/vaults/v1")


def test_get_vault_by_name_unknown_raises_after_one_request(
    mock: responses.RequestsMock, cas_api: CasAPI
) -> None:
    body = {"code": "ResourceNotFoundException", "message": "no vault", "type": "Client"}
    mock.add("GET", ANY, status=404, json=body)
    with pytest.raises(ResourceNotFoundException) as info:
        Vault.get_vault_by_name(cas_api, "nope")
    assert "nope" in str(info.value)
    assert len(mock.calls) == 1


def test_create_puts_then_describes(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    mock.add("PUT", url("/v1"), status=201)
    mock.add("GET", url("/v1"), json=vault_props(cas_api))
    vault = Vault.create(cas_api, "v1")
    assert vault.name == "v1"
    assert [c.method for c in calls(mock)] == ["PUT", "GET"]


def test_list_all_vaults_reads_every_page(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    first = {"VaultList": [vault_props(cas_api, "a")], "Marker": "M1"}
    mock.add("GET", url(""), json=first)
    mock.add("GET", url(""), json={"VaultList": [vault_props(cas_api, "b")], "Marker": None})
    vaults = Vault.list_all_vaults(cas_api)
    assert [v.name for v in vaults] == ["a", "b"]
    assert all(isinstance(v, Vault) for v in vaults)
    assert [c.query.get("marker") for c in calls(mock)] == [None, "M1"]


def test_delete_by_name_and_delete(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    mock.add("DELETE", url("/v1"), status=204)
    assert Vault.delete_vault_by_name(cas_api, "v1").status == 204
    assert make_vault(cas_api).delete().status == 204
    assert [c.method for c in calls(mock)] == ["DELETE", "DELETE"]


def test_reload_replaces_members(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    vault = make_vault(cas_api)
    mock.add("GET", url("/v1"), json=vault_props(cas_api, NumberOfArchives=2, SizeInBytes=10))
    assert vault.reload() is vault
    assert (vault.number_of_archives, vault.size) == (2, 10)


# -- jobs -----------------------------------------------------------------------------------------


def _initiated(mock: responses.RequestsMock, api: CasAPI, **doc: Any) -> None:
    mock.add("POST", url("/v1/jobs"), status=202, headers={api.dialect.h("job-id"): "J1"})
    mock.add("GET", url("/v1/jobs/J1"), json=job_doc(api, **doc))


@pytest.mark.parametrize(
    "byte_range", [ByteRange(MiB, 2 * MiB - 1), f"{MiB}-{2 * MiB - 1}", (MiB, 2 * MiB - 1)]
)
def test_retrieve_archive_accepts_every_range_type(
    mock: responses.RequestsMock, any_api: CasAPI, byte_range: Any
) -> None:
    """docs/original-sdk-defects.md #10: one range type everywhere."""
    _initiated(mock, any_api)
    job = make_vault(any_api).retrieve_archive("A1", "why", byte_range, "Bulk")
    assert isinstance(job, Job)
    assert job.id == "J1"
    body = calls(mock)[0].json()
    assert body == {
        "Type": "archive-retrieval",
        "ArchiveId": "A1",
        "Description": "why",
        "RetrievalByteRange": f"{MiB}-{2 * MiB - 1}",
        "Tier": "Bulk",
    }


def test_retrieve_whole_archive_sends_no_range(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    _initiated(mock, cas_api)
    make_vault(cas_api).get_archive("A1").initiate_archive_retrieval()
    assert calls(mock)[0].json() == {"Type": "archive-retrieval", "ArchiveId": "A1"}


@pytest.mark.parametrize(
    "bad",
    [
        "5-",  # open range
        "-5",
        (-1, MiB - 1),
        (5, MiB - 1),  # start not MiB-aligned
        (0, MiB),  # end + 1 not aligned, and no archive size to say it is the last byte
        (MiB, 0),  # reversed
        "abc",
    ],
)
def test_retrieve_archive_refuses_bad_ranges_before_sending(
    mock: responses.RequestsMock, cas_api: CasAPI, bad: Any
) -> None:
    with pytest.raises(InvalidByteRangeError):
        make_vault(cas_api).retrieve_archive("A1", byte_range=bad)
    assert len(mock.calls) == 0


def test_range_ending_at_the_last_byte_needs_the_archive_size(
    mock: responses.RequestsMock, cas_api: CasAPI
) -> None:
    vault = make_vault(cas_api)
    size = 3 * MiB + 5
    with pytest.raises(InvalidByteRangeError, match="archive_size"):
        vault.retrieve_archive("A1", byte_range=(MiB, size - 1))
    with pytest.raises(InvalidByteRangeError, match="past the last byte"):
        vault.retrieve_archive("A1", byte_range=(MiB, size), archive_size=size)
    assert len(mock.calls) == 0
    _initiated(mock, cas_api)
    vault.retrieve_archive("A1", byte_range=(MiB, size - 1), archive_size=size)
    assert calls(mock)[0].json()["RetrievalByteRange"] == f"{MiB}-{size - 1}"


def test_inventory_job_body(mock: responses.RequestsMock, any_api: CasAPI) -> None:
    _initiated(mock, any_api, Action="InventoryRetrieval")
    job = make_vault(any_api).initiate_retrieve_inventory(
        "inv", "csv", "2017-01-01T00:00:00Z", "2017-12-31T00:00:00Z", 50, "MK"
    )
    assert job.action == "InventoryRetrieval"
    assert calls(mock)[0].json() == {
        "Type": "inventory-retrieval",
        "Description": "inv",
        "Format": "CSV",
        "InventoryRetrievalParameters": {
            "StartDate": "2017-01-01T00:00:00Z",
            "EndDate": "2017-12-31T00:00:00Z",
            "Limit": "50",
            "Marker": "MK",
        },
    }


def test_push_to_cos_starts_a_job(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    _initiated(mock, cas_api, Action="PushToCOS", Bucket="b-1250000000.cos.ap-chengdu.myqcloud.com")
    job = (
        make_vault(cas_api)
        .get_archive("A1")
        .push_to_cos("b-1250000000.cos.ap-chengdu.myqcloud.com", "obj/key", (0, MiB - 1))
    )
    assert job.action == "PushToCOS"
    assert job.bucket == "b-1250000000.cos.ap-chengdu.myqcloud.com"
    assert calls(mock)[0].json() == {
        "Type": "push-to-cos",
        "ArchiveId": "A1",
        "Bucket": "b-1250000000.cos.ap-chengdu.myqcloud.com",
        "Object": "obj/key",
        "RetrievalByteRange": f"0-{MiB - 1}",
    }


def test_list_jobs_reads_every_page_with_filters(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    mock.add("GET", url("/v1/jobs"), json={"JobList": [job_doc(cas_api, "J1")], "Marker": "M1"})
    mock.add("GET", url("/v1/jobs"), json={"JobList": [job_doc(cas_api, "J2")], "Marker": None})
    jobs = make_vault(cas_api).list_jobs(completed=True, status_code="Succeeded")
    assert [j.id for j in jobs] == ["J1", "J2"]
    sent = calls(mock)
    assert sent[0].query == {"completed": "true", "statuscode": "Succeeded"}
    assert sent[1].query["marker"] == "M1"


def test_get_job_describes_it(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    mock.add("GET", url("/v1/jobs/J9"), json=job_doc(cas_api, "J9"))
    assert make_vault(cas_api).get_job("J9").id == "J9"


# -- uploads --------------------------------------------------------------------------------------


def _archive_created(mock: responses.RequestsMock, api: CasAPI) -> None:
    mock.add("POST", url("/v1/archives"), status=201, headers={api.dialect.h("archive-id"): "A-new"})


def test_small_file_is_one_request_with_both_checksums(
    mock: responses.RequestsMock, any_api: CasAPI, tmp_path: Path
) -> None:
    data = pattern_bytes(3 * MiB + MiB // 2)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    _archive_created(mock, any_api)
    assert make_vault(any_api).upload_archive(str(path), "my file") == "A-new"
    (only,) = calls(mock)
    h = any_api.dialect.h
    assert (
        only.headers[h("sha256-tree-hash")]
        == "094456e16bceb3fc2f45d87b61e61e1bde33b762ada2d1a9228412789152d2c9"
    )
    assert only.headers[h("content-sha256")] == hash_bytes(data).sha256
    assert only.headers[h("archive-description")] == "my file"
    assert only.body == data


def test_file_object_upload_from_its_position(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    _archive_created(mock, cas_api)
    fileobj = io.BytesIO(b"skip" + b"payload")
    fileobj.seek(4)
    assert make_vault(cas_api).upload_archive(fileobj) == "A-new"
    assert calls(mock)[0].body == b"payload"


def test_zero_byte_file_is_refused_naming_the_path(
    mock: responses.RequestsMock, cas_api: CasAPI, tmp_path: Path
) -> None:
    path = tmp_path / "empty.bin"
    path.write_bytes(b"")
    with pytest.raises(InvalidArgumentError, match="zero-byte") as info:
        make_vault(cas_api).upload_archive(path)
    assert info.value.local_path == str(path)
    assert info.value.operation == "upload_archive"
    assert len(mock.calls) == 0


def test_missing_file_is_a_local_file_error(
    mock: responses.RequestsMock, cas_api: CasAPI, tmp_path: Path
) -> None:
    with pytest.raises(LocalFileError) as info:
        make_vault(cas_api).upload_archive(tmp_path / "nope.bin")
    assert info.value.local_path == str(tmp_path / "nope.bin")
    assert len(mock.calls) == 0


@pytest.mark.parametrize("desc", ["caf\u00e9", "line\nbreak", "x" * 1025])
@pytest.mark.parametrize("threshold", [None, 1])
def test_descriptions_are_checked_before_sending(
    mock: responses.RequestsMock, cas_api: CasAPI, tmp_path: Path, desc: str, threshold: Any
) -> None:
    """docs/original-sdk-defects.md #16, for the single-request and the multipart path."""
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 10)
    with pytest.raises(InvalidDescriptionError):
        make_vault(cas_api).upload_archive(path, desc, threshold=threshold)
    assert len(mock.calls) == 0


def test_unseekable_stream_needs_a_size(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    class Pipe(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buf: Any) -> int:
            buf[:1] = b"x"
            return 1

    with pytest.raises(InvalidArgumentError, match="size is required"):
        make_vault(cas_api).upload_archive(Pipe())
    _archive_created(mock, cas_api)
    assert make_vault(cas_api).upload_archive(Pipe(), size=3) == "A-new"
    assert calls(mock)[0].body == b"xxx"


def _multipart_server(mock: responses.RequestsMock, api: CasAPI) -> Dict[Tuple[int, int], bytes]:
    """Initiate, List Parts (empty), Upload Part (stored), Complete: enough for one upload."""
    stored: Dict[Tuple[int, int], bytes] = {}
    h = api.dialect.h
    mock.add("POST", url("/v1/multipart-uploads"), status=201, headers={h("multipart-upload-id"): "U1"})
    listing = {"MultipartUploadId": "U1", "PartSizeInBytes": MiB, "Parts": [], "Marker": None}
    mock.add("GET", url("/v1/multipart-uploads/U1"), json=listing)

    def put(request: requests.PreparedRequest) -> Tuple[int, Dict[str, str], bytes]:
        start, end = (int(x) for x in request.headers["Content-Range"].split()[1].split("/")[0].split("-"))
        body = request.body if isinstance(request.body, bytes) else bytes(request.body or b"")
        stored[(start, end)] = body
        return 204, {h("sha256-tree-hash"): tree_hash(body)}, b""

    mock.add_callback("PUT", url("/v1/multipart-uploads/U1"), callback=put)
    mock.add("POST", url("/v1/multipart-uploads/U1"), status=201, headers={h("archive-id"): "A-multi"})
    return stored


def test_large_file_goes_multipart_through_the_engine(
    mock: responses.RequestsMock, any_api: CasAPI, tmp_path: Path
) -> None:
    data = pattern_bytes(2 * MiB + 123)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    stored = _multipart_server(mock, any_api)
    archive_id = make_vault(any_api).upload_archive(path, "big", threshold=MiB, part_size=MiB)
    assert archive_id == "A-multi"
    assert sorted(stored) == [(0, MiB - 1), (MiB, 2 * MiB - 1), (2 * MiB, 2 * MiB + 122)]
    assert b"".join(stored[k] for k in sorted(stored)) == data
    sent = calls(mock)
    h = any_api.dialect.h
    assert sent[0].headers[h("part-size")] == str(MiB)
    assert sent[0].headers[h("archive-description")] == "big"
    complete = sent[-1]
    assert complete.headers[h("archive-size")] == str(len(data))
    assert complete.headers[h("sha256-tree-hash")] == tree_hash(data)


def test_initiate_multipart_upload_plans_every_part(
    mock: responses.RequestsMock, cas_api: CasAPI, tmp_path: Path
) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"z" * (2 * MiB + 1))
    _multipart_server(mock, cas_api)
    upload = make_vault(cas_api).initiate_multipart_upload(path, part_size=MiB)
    assert upload.id == "U1"
    assert upload.size_total == 2 * MiB + 1
    assert list(upload.parts) == [(0, MiB - 1), (MiB, 2 * MiB - 1), (2 * MiB, 2 * MiB)]
    assert upload.size_completed == 0
    assert upload.tree_hash == ""


# -- thin helpers ---------------------------------------------------------------------------------


def test_policy_notification_lock_and_tag_helpers(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    vault = make_vault(cas_api)
    policy = {"version": "2.0", "statement": []}
    mock.add("PUT", url("/v1/access-policy"), status=204)
    mock.add("GET", url("/v1/access-policy"), json={"policy": json.dumps(policy)})
    mock.add("PUT", url("/v1/notification-configuration"), status=204)
    notif = {"CallBackUrl": "https://example.com/cb", "Events": ["ArchiveRetrievalCompleted"]}
    mock.add("GET", url("/v1/notification-configuration"), json=notif)
    mock.add("POST", url("/v1/lock-policy"), status=201, headers={"x-cas-lock-id": "L1"})
    mock.add("POST", url("/v1/lock-policy/L1"), status=204)
    mock.add("GET", url("/v1/lock-policy"), json={"State": "Locked", "Policy": "{}"})
    mock.add("POST", url("/v1/tags"), status=204)
    mock.add("GET", url("/v1/tags"), json={"Tags": {"k": "v"}})
    vault.set_access_policy(policy)
    assert json.loads(vault.get_access_policy()) == policy
    vault.set_notifications("https://example.com/cb", ["ArchiveRetrievalCompleted"])
    assert vault.get_notifications() == notif
    assert vault.initiate_lock("{}") == "L1"
    assert vault.complete_lock("L1").status == 204
    assert vault.get_lock()["State"] == "Locked"
    vault.add_tags({"k": "v"})
    vault.remove_tags(["k"])
    assert vault.list_tags() == {"k": "v"}
    sent = calls(mock)
    assert sent[0].json() == {"policy": json.dumps(policy, separators=(",", ":"))}
    assert [c.query.get("operation") for c in sent if c.path.endswith("/tags") and c.method == "POST"] == [
        "add",
        "remove",
    ]


def test_list_tags_of_an_untagged_vault_is_empty(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    mock.add("GET", url("/v1/tags"), body=b"", content_type="application/json")
    assert make_vault(cas_api).list_tags() == {}


def test_delete_archive_and_archive_delete(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    mock.add("DELETE", url("/v1/archives/A1"), status=204)
    vault = make_vault(cas_api)
    assert vault.delete_archive("A1").status == 204
    assert vault.get_archive("A1").delete().status == 204
    assert len(mock.calls) == 2
