"""MultipartUpload members and operations, and the engine adapters (JobOutputSource, UploadTarget)."""

from __future__ import annotations

import collections
from pathlib import Path
from typing import Any, Dict, List

import pytest
import responses

from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.exceptions import BadResponseError, InvalidArgumentError, InvalidPartSizeError
from cassdk_like.core.integrity import MiB, combine_tree_hashes, tree_hash
from cassdk_like.vault.errors import ResourceNotFoundException
from cassdk_like.vault.highlevel import CasAPI, JobOutputSource, MultipartUpload, UploadTarget
from tests.unit.vault.highlevel.hl_helpers import ANY, CAS_KEY, calls, make_vault, pattern_bytes, url

DATA = pattern_bytes(2 * MiB + 100)
PARTS = [DATA[:MiB], DATA[MiB : 2 * MiB], DATA[2 * MiB :]]
RANGES = [(0, MiB - 1), (MiB, 2 * MiB - 1), (2 * MiB, 2 * MiB + 99)]


def _listing(parts: List[int], marker: Any = None, **extra: Any) -> Dict[str, Any]:
    doc = {
        "ArchiveDescription": "backup",
        "CreationDate": "2017-08-29T08:29:41.000Z",
        "MultipartUploadId": "U1",
        "PartSizeInBytes": MiB,
        "VaultQCS": "q",
        "Parts": [
            {"RangeInBytes": f"{RANGES[i][0]}-{RANGES[i][1]}", "SHA256TreeHash": tree_hash(PARTS[i])}
            for i in parts
        ],
        "Marker": marker,
    }
    doc.update(extra)
    return doc


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "data.bin"
    path.write_bytes(DATA)
    return path


def test_members_from_a_list_parts_answer(cas_api: CasAPI) -> None:
    upload = MultipartUpload(make_vault(cas_api), _listing([1]))
    assert upload.id == "U1"
    assert upload.part_size == MiB
    assert upload.description == "backup"
    assert upload.creation_date == "2017-08-29T08:29:41.000Z"
    assert upload.size_total is None
    assert upload.parts == collections.OrderedDict([(RANGES[1], tree_hash(PARTS[1]))])
    assert upload.size_completed == MiB
    assert upload.tree_hash == ""


def test_with_a_file_every_part_is_planned(cas_api: CasAPI, data_file: Path) -> None:
    upload = MultipartUpload(make_vault(cas_api), _listing([0, 2]), data_file)
    assert upload.file_path == str(data_file)
    assert upload.size_total == len(DATA)
    assert list(upload.parts) == RANGES
    assert upload.parts[RANGES[1]] is None
    assert upload.tree_hash == ""
    upload.parts[RANGES[1]] = tree_hash(PARTS[1])
    assert upload.tree_hash == tree_hash(DATA) == combine_tree_hashes([tree_hash(p) for p in PARTS])


def test_equality_and_repr(cas_api: CasAPI) -> None:
    one = MultipartUpload(make_vault(cas_api), _listing([]))
    assert one == MultipartUpload(make_vault(cas_api), _listing([0], PartSizeInBytes=2 * MiB))
    assert one != MultipartUpload(make_vault(cas_api), _listing([], MultipartUploadId="U2"))
    assert len({one, MultipartUpload(make_vault(cas_api), _listing([1]))}) == 1
    assert repr(one).startswith("MultipartUpload(vault='v1', id='U1', part_size=1048576")
    assert CAS_KEY not in repr(one)


def test_bad_description_of_an_upload_is_a_bad_response(cas_api: CasAPI) -> None:
    with pytest.raises(BadResponseError):
        MultipartUpload(make_vault(cas_api), {"MultipartUploadId": "U1"})


def test_upload_part_checks_the_grid_and_records_the_hash(
    mock: responses.RequestsMock, any_api: CasAPI, data_file: Path
) -> None:
    upload = MultipartUpload(make_vault(any_api), _listing([]), data_file)
    for bad in [(1, MiB), (0, MiB - 2), (2 * MiB, 2 * MiB + 100), (2 * MiB, 2 * MiB + 5)]:
        with pytest.raises(InvalidArgumentError, match="part grid"):
            upload.upload_part(bad, b"x")
    assert len(mock.calls) == 0
    mock.add("PUT", url("/v1/multipart-uploads/U1"), status=204)
    assert upload.upload_part(RANGES[2], PARTS[2]) == tree_hash(PARTS[2])
    (sent,) = calls(mock)
    h = any_api.dialect.h
    assert sent.headers["content-range"] == f"bytes {2 * MiB}-{2 * MiB + 99}/*"
    assert sent.headers[h("sha256-tree-hash")] == tree_hash(PARTS[2])
    assert upload.parts[RANGES[2]] == tree_hash(PARTS[2])
    assert upload.size_completed == 100


def test_upload_part_from_a_file_object_uses_the_answered_hash(
    mock: responses.RequestsMock, cas_api: CasAPI, data_file: Path
) -> None:
    upload = MultipartUpload(make_vault(cas_api), _listing([]))
    mock.add(
        "PUT", url("/v1/multipart-uploads/U1"), status=204, headers={"x-cas-sha256-tree-hash": "CD" * 32}
    )
    with open(data_file, "rb") as fileobj:
        fileobj.seek(MiB)
        assert upload.upload_part((MiB, 2 * MiB - 1), fileobj) == "CD" * 32
    assert calls(mock)[0].body == PARTS[1]
    assert upload.parts[RANGES[1]] == "cd" * 32


def test_complete_uses_the_combined_hash(
    mock: responses.RequestsMock, any_api: CasAPI, data_file: Path
) -> None:
    upload = MultipartUpload(make_vault(any_api), _listing([0, 1]), data_file)
    with pytest.raises(InvalidArgumentError, match="2 of 3 parts") as info:
        upload.complete()
    assert info.value.local_path == str(data_file)
    upload.parts[RANGES[2]] = tree_hash(PARTS[2])
    h = any_api.dialect.h
    mock.add("POST", url("/v1/multipart-uploads/U1"), status=201, headers={h("archive-id"): "A9"})
    assert upload.complete() == "A9"
    assert upload.archive_id == "A9"
    sent = calls(mock)[0]
    assert sent.headers[h("archive-size")] == str(len(DATA))
    assert sent.headers[h("sha256-tree-hash")] == tree_hash(DATA)


def test_cancel_aborts(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    mock.add("DELETE", url("/v1/multipart-uploads/U1"), status=204)
    assert MultipartUpload(make_vault(cas_api), _listing([])).cancel().status == 204


def test_reload_and_get_multipart_uploader_read_every_page(
    mock: responses.RequestsMock, cas_api: CasAPI
) -> None:
    mock.add("GET", url("/v1/multipart-uploads/U1"), json=_listing([0], marker=str(MiB)))
    mock.add("GET", url("/v1/multipart-uploads/U1"), json=_listing([0], marker=str(MiB)))
    mock.add("GET", url("/v1/multipart-uploads/U1"), json=_listing([1, 2]))
    upload = make_vault(cas_api).get_multipart_uploader("U1")
    assert list(upload.parts) == RANGES
    assert [c.query.get("marker") for c in calls(mock)] == [None, None, str(MiB)]


def test_unknown_upload_id(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    mock.add(
        "GET", ANY, status=404, json={"code": "ResourceNotFoundException", "message": "x", "type": "Client"}
    )
    with pytest.raises(ResourceNotFoundException):
        make_vault(cas_api).get_multipart_uploader("nope")


def test_list_all_multipart_uploads(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    entry = {k: v for k, v in _listing([]).items() if k not in ("Parts", "Marker")}
    mock.add("GET", url("/v1/multipart-uploads"), json={"UploadsList": [entry], "Marker": "M"})
    mock.add("GET", url("/v1/multipart-uploads"), json={"UploadsList": [dict(entry, MultipartUploadId="U2")]})
    uploads = make_vault(cas_api).list_all_multipart_uploads()
    assert [u.id for u in uploads] == ["U1", "U2"]


def test_resume_with_another_part_size_is_refused(
    mock: responses.RequestsMock, cas_api: CasAPI, data_file: Path
) -> None:
    mock.add("GET", url("/v1/multipart-uploads/U1"), json=_listing([0]))
    with pytest.raises(InvalidPartSizeError):
        make_vault(cas_api).upload_archive(data_file, upload_id="U1", part_size=2 * MiB)


def test_resume_uploads_only_the_gaps(mock: responses.RequestsMock, cas_api: CasAPI, data_file: Path) -> None:
    mock.add("GET", url("/v1/multipart-uploads/U1"), json=_listing([0, 2]))
    mock.add("PUT", url("/v1/multipart-uploads/U1"), status=204)
    mock.add("POST", url("/v1/multipart-uploads/U1"), status=201, headers={"x-cas-archive-id": "A7"})
    upload = make_vault(cas_api).get_multipart_uploader("U1")
    assert upload.resume(data_file) == "A7"
    puts = [c for c in calls(mock) if c.method == "PUT"]
    assert [p.headers["content-range"] for p in puts] == [f"bytes {MiB}-{2 * MiB - 1}/*"]
    assert upload.tree_hash == tree_hash(DATA)


# -- adapters -------------------------------------------------------------------------------------


def test_job_output_source_identity_and_window(cas_api: CasAPI) -> None:
    source = JobOutputSource(
        cas_api, "v1", "J1", 3 * MiB, expected_tree_hash="ab" * 32, job_range="0-3145727"
    )
    assert source.identity == f"v1/J1/0-3145727/{'ab' * 32}"
    assert source.tree_hash_header == "x-cas-sha256-tree-hash"
    window = source.window(ByteRange(MiB, 2 * MiB - 1))
    assert (window.size, window.offset, window.expected_tree_hash) == (MiB, MiB, None)
    assert window.identity.endswith(f"/{MiB}-{2 * MiB - 1}")
    whole = source.window(ByteRange(0, 3 * MiB - 1))
    assert (whole.offset, whole.expected_tree_hash) == (0, "ab" * 32)


def test_window_translates_content_range(mock: responses.RequestsMock, glacier_api: CasAPI) -> None:
    body = b"x" * 10
    headers = {"Content-Range": f"bytes {MiB + 5}-{MiB + 14}/{3 * MiB}"}
    mock.add("GET", url("/v1/jobs/J1/output"), status=206, body=body, headers=headers)
    window = JobOutputSource(glacier_api, "v1", "J1", 3 * MiB).window(ByteRange(MiB, 2 * MiB - 1))
    assert window.tree_hash_header == "x-amz-sha256-tree-hash"
    response = window.open_range(ByteRange(5, 14))
    assert response.headers["Content-Range"] == f"bytes 5-14/{MiB}"
    buf = memoryview(bytearray(20))
    assert response.readinto(buf) == 10
    response.close()
    assert calls(mock)[0].headers["range"] == f"bytes={MiB + 5}-{MiB + 14}"


def test_window_refuses_a_wrong_answer(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    mock.add("GET", url("/v1/jobs/J1/output"), status=200, body=b"everything")
    window = JobOutputSource(cas_api, "v1", "J1", 3 * MiB).window(ByteRange(MiB, 2 * MiB - 1))
    with pytest.raises(BadResponseError, match="Content-Range"):
        window.open_range(ByteRange(0, 9))


def test_output_errors_are_typed(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    mock.add(
        "GET",
        ANY,
        status=404,
        json={"code": "ResourceNotFoundException", "message": "gone", "type": "Client"},
    )
    with pytest.raises(ResourceNotFoundException, match="gone"):
        JobOutputSource(cas_api, "v1", "J1", 10).open_range(ByteRange(0, 9))


def test_upload_target_lists_every_page_and_checks_entries(
    mock: responses.RequestsMock, cas_api: CasAPI
) -> None:
    mock.add("GET", url("/v1/multipart-uploads/U1"), json=_listing([0], marker=str(MiB)))
    mock.add("GET", url("/v1/multipart-uploads/U1"), json=_listing([1]))
    target = UploadTarget(cas_api, "v1", "U1")
    assert [r for _, r, _ in target.list_parts()] == [ByteRange(*RANGES[0]), ByteRange(*RANGES[1])]
    numbered = UploadTarget(cas_api, "v1", "U1", part_size=MiB)
    mock.replace("GET", url("/v1/multipart-uploads/U1"), json=_listing([1]))
    assert [n for n, _, _ in numbered.list_parts()] == [RANGES[1][0] // MiB + 1]
    mock.replace("GET", url("/v1/multipart-uploads/U1"), json={"Parts": [{"RangeInBytes": "5-"}]})
    with pytest.raises(BadResponseError, match="RangeInBytes"):
        list(UploadTarget(cas_api, "v1", "U1").list_parts())


def test_upload_target_complete_needs_an_archive_id(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    mock.add("POST", url("/v1/multipart-uploads/U1"), status=201)
    with pytest.raises(BadResponseError, match="no archive id"):
        UploadTarget(cas_api, "v1", "U1").complete([(1, "ab" * 32)], 10)
