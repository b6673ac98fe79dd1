"""Upload Archive / Delete Archive and multipart uploads (docs/vault-protocol.md §1.2, §1.3, §3.3)."""

from __future__ import annotations

import pytest

from tests.integration.emulator.emu_helpers import MiB, Raw, error_of, pattern, ref_tree_hash, sha256_hex

BAD_HASH = "0" * 64


def test_upload_archive_201_with_checksums_and_opaque_id(cas: Raw, vault: str) -> None:
    data = pattern(2 * MiB + 17)
    response = cas.upload(vault, data, "my backup")
    assert response.status_code == 201
    archive_id = response.headers["x-cas-archive-id"]
    assert len(archive_id) == 128
    assert set(archive_id) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert response.headers["Location"] == f"/{cas.emu.appid}/vaults/{vault}/archives/{archive_id}"
    assert response.headers["x-cas-sha256-tree-hash"] == ref_tree_hash(data)
    assert response.headers["x-cas-content-sha256"] == sha256_hex(data)
    assert cas.upload_ok(vault, data) != archive_id  # same bytes, new archive


def test_wrong_tree_hash_on_upload_archive(cas: Raw, vault: str) -> None:
    response = cas.upload(vault, pattern(3 * MiB), **{"x-cas-sha256-tree-hash": BAD_HASH})
    assert error_of(response) == (400, "InvalidParameterValueException", "Client")
    assert "tree hash" in response.json()["message"]
    assert cas.call("GET", vault).json()["NumberOfArchives"] is None  # nothing was stored


def test_wrong_sha256_on_upload_archive(cas: Raw, vault: str) -> None:
    response = cas.upload(vault, pattern(1000), **{"x-cas-content-sha256": BAD_HASH})
    assert error_of(response)[:2] == (400, "InvalidParameterValueException")
    assert "x-cas-content-sha256" in response.json()["message"]


def test_missing_checksum_header(cas: Raw, vault: str) -> None:
    data = pattern(10)
    response = cas.call(
        "POST", vault, "archives", headers={"x-cas-content-sha256": sha256_hex(data)}, body=data
    )
    assert error_of(response)[:2] == (400, "MissingParameterValueException")


def test_description_must_be_printable_ascii(cas: Raw, vault: str) -> None:
    assert error_of(cas.upload(vault, b"abc", "x" * 1025))[1] == "InvalidParameterValueException"
    assert error_of(cas.upload(vault, b"abc", "tab\there"))[1] == "InvalidParameterValueException"
    assert cas.upload(vault, b"abc", "x" * 1024).status_code == 201


def test_zero_byte_archive_is_refused(cas: Raw, vault: str) -> None:
    assert error_of(cas.upload(vault, b""))[:2] == (400, "InvalidParameterValueException")


def test_keep_alive_survives_refused_upload(cas: Raw, vault: str) -> None:
    """A refused upload's body is drained, so the next request on the connection still works."""
    assert cas.upload(vault, pattern(MiB), **{"x-cas-sha256-tree-hash": BAD_HASH}).status_code == 400
    assert cas.call("GET", vault).status_code == 200


def test_delete_archive(cas: Raw, vault: str) -> None:
    archive_id = cas.upload_ok(vault, b"data")
    assert cas.call("DELETE", vault, "archives", archive_id).status_code == 204
    assert error_of(cas.call("DELETE", vault, "archives", archive_id))[:2] == (
        404,
        "ResourceNotFoundException",
    )
    assert cas.call("GET", vault).json()["NumberOfArchives"] == 0


# -- multipart -------------------------------------------------------------------------------------


def _start(cas: Raw, vault: str, part_size: int = MiB) -> str:
    response = cas.initiate_upload(vault, part_size)
    assert response.status_code == 201, response.text
    upload_id = response.headers["x-cas-multipart-upload-id"]
    assert response.headers["Location"].endswith(f"/vaults/{vault}/multipart-uploads/{upload_id}")
    return upload_id


@pytest.mark.parametrize("size", [3 * MiB, MiB // 2, 10 * MiB, 0])
def test_part_size_must_be_a_power_of_two_mib(cas: Raw, vault: str, size: int) -> None:
    assert error_of(cas.initiate_upload(vault, size))[:2] == (400, "InvalidParameterValueException")


def test_multipart_upload_out_of_order_then_complete(cas: Raw, vault: str) -> None:
    data = pattern(5 * MiB + 123)
    upload_id = _start(cas, vault, 2 * MiB)
    for start in (4 * MiB, 0, 2 * MiB):
        response = cas.upload_part(vault, upload_id, start, data[start : start + 2 * MiB])
        assert response.status_code == 204
        assert response.headers["x-cas-sha256-tree-hash"] == ref_tree_hash(data[start : start + 2 * MiB])
    response = cas.complete(vault, upload_id, len(data), ref_tree_hash(data))
    assert response.status_code == 201, response.text
    assert response.headers["x-cas-archive-id"]
    assert error_of(cas.call("GET", vault, "multipart-uploads", upload_id))[1] == "ResourceNotFoundException"


def test_misaligned_content_range(cas: Raw, vault: str) -> None:
    upload_id = _start(cas, vault, 4 * MiB)
    response = cas.upload_part(vault, upload_id, 2 * MiB, pattern(4 * MiB))
    assert error_of(response)[:2] == (400, "InvalidParameterValueException")
    assert "aligned" in response.json()["message"]


def test_content_range_must_match_length_and_use_star(cas: Raw, vault: str) -> None:
    upload_id = _start(cas, vault)
    data = pattern(MiB)
    with_total = cas.upload_part(vault, upload_id, 0, data, **{"Content-Range": f"bytes 0-{MiB - 1}/{MiB}"})
    assert error_of(with_total)[1] == "InvalidParameterValueException"
    too_long = cas.upload_part(vault, upload_id, 0, data, **{"Content-Range": f"bytes 0-{MiB}/*"})
    assert error_of(too_long)[1] == "InvalidParameterValueException"


def test_only_the_last_part_may_be_short(cas: Raw, vault: str) -> None:
    upload_id = _start(cas, vault)
    assert cas.upload_part(vault, upload_id, MiB, pattern(MiB)).status_code == 204
    short_first = cas.upload_part(vault, upload_id, 0, pattern(1000))
    assert error_of(short_first)[:2] == (400, "InvalidParameterValueException")
    assert "last part" in short_first.json()["message"]
    assert cas.upload_part(vault, upload_id, 2 * MiB, pattern(1000)).status_code == 204
    after_short = cas.upload_part(vault, upload_id, 3 * MiB, pattern(MiB))
    assert error_of(after_short)[1] == "InvalidParameterValueException"


def test_more_than_10000_parts(cas: Raw, vault: str) -> None:
    upload_id = _start(cas, vault)
    assert cas.upload_part(vault, upload_id, 9999 * MiB, b"last").status_code == 204
    response = cas.upload_part(vault, upload_id, 10000 * MiB, b"too far")
    assert error_of(response)[:2] == (400, "InvalidParameterValueException")
    assert "10000" in response.json()["message"]


def test_wrong_checksums_on_upload_part(cas: Raw, vault: str) -> None:
    upload_id = _start(cas, vault)
    data = pattern(MiB)
    bad_tree = cas.upload_part(vault, upload_id, 0, data, **{"x-cas-sha256-tree-hash": BAD_HASH})
    assert error_of(bad_tree)[:2] == (400, "InvalidParameterValueException")
    bad_sha = cas.upload_part(vault, upload_id, 0, data, **{"x-cas-content-sha256": BAD_HASH})
    assert error_of(bad_sha)[:2] == (400, "InvalidParameterValueException")
    assert cas.call("GET", vault, "multipart-uploads", upload_id).json()["Parts"] == []


def test_complete_checks_size_tree_hash_and_gaps(cas: Raw, vault: str) -> None:
    data = pattern(3 * MiB)
    upload_id = _start(cas, vault)
    for start in (0, 2 * MiB):
        assert cas.upload_part(vault, upload_id, start, data[start : start + MiB]).status_code == 204
    gap = cas.complete(vault, upload_id, len(data), ref_tree_hash(data))
    assert error_of(gap)[1] == "InvalidParameterValueException"
    assert "missing" in gap.json()["message"]
    assert cas.upload_part(vault, upload_id, MiB, data[MiB : 2 * MiB]).status_code == 204
    wrong_size = cas.complete(vault, upload_id, len(data) + 1, ref_tree_hash(data))
    assert error_of(wrong_size)[1] == "InvalidParameterValueException"
    wrong_hash = cas.complete(vault, upload_id, len(data), ref_tree_hash(data[:-1]))
    assert error_of(wrong_hash)[1] == "InvalidParameterValueException"
    assert cas.complete(vault, upload_id, len(data), ref_tree_hash(data)).status_code == 201


def test_a_repeated_complete_returns_the_same_archive(cas: Raw, vault: str) -> None:
    """A client that lost the answer to Complete and sends it again gets the archive it created
    (Glacier documents Complete as idempotent); a different size or hash does not."""
    data = pattern(2 * MiB + 5)
    upload_id = _start(cas, vault)
    for start in (0, MiB, 2 * MiB):
        assert cas.upload_part(vault, upload_id, start, data[start : start + MiB]).status_code == 204
    first = cas.complete(vault, upload_id, len(data), ref_tree_hash(data))
    again = cas.complete(vault, upload_id, len(data), ref_tree_hash(data))
    assert first.status_code == again.status_code == 201
    assert again.headers["x-cas-archive-id"] == first.headers["x-cas-archive-id"]
    other = cas.complete(vault, upload_id, len(data) - 5, ref_tree_hash(data[:-5]))
    assert error_of(other)[:2] == (404, "ResourceNotFoundException")


def test_overwriting_a_part_is_allowed(cas: Raw, vault: str) -> None:
    upload_id = _start(cas, vault)
    assert cas.upload_part(vault, upload_id, 0, pattern(MiB, seed=1)).status_code == 204
    final = pattern(MiB, seed=2)
    assert cas.upload_part(vault, upload_id, 0, final).status_code == 204
    assert cas.complete(vault, upload_id, MiB, ref_tree_hash(final)).status_code == 201


def test_list_parts_paging(cas: Raw, vault: str) -> None:
    upload_id = _start(cas, vault)
    data = pattern(5 * MiB)
    for start in range(0, 5 * MiB, MiB):
        cas.upload_part(vault, upload_id, start, data[start : start + MiB])
    ranges, marker = [], None
    while True:
        params = [("limit", "2")] + ([("marker", marker)] if marker else [])
        page = cas.call("GET", vault, "multipart-uploads", upload_id, params=params).json()
        assert page["MultipartUploadId"] == upload_id
        assert page["PartSizeInBytes"] == MiB
        ranges += [p["RangeInBytes"] for p in page["Parts"]]
        marker = page["Marker"]
        if marker is None:
            break
    assert ranges == [f"{s}-{s + MiB - 1}" for s in range(0, 5 * MiB, MiB)]


def test_list_uploads_paging_and_abort(cas: Raw, vault: str) -> None:
    ids = [_start(cas, vault) for _ in range(3)]
    first = cas.call("GET", vault, "multipart-uploads", params=[("limit", "2")]).json()
    assert [u["MultipartUploadId"] for u in first["UploadsList"]] == ids[:2]
    second = cas.call("GET", vault, "multipart-uploads", params=[("limit", "2"), ("marker", first["Marker"])])
    assert [u["MultipartUploadId"] for u in second.json()["UploadsList"]] == ids[2:]
    assert second.json()["Marker"] is None
    assert cas.call("DELETE", vault, "multipart-uploads", ids[0]).status_code == 204
    assert error_of(cas.upload_part(vault, ids[0], 0, b"x"))[:2] == (404, "ResourceNotFoundException")


def test_unknown_upload_is_404(cas: Raw, vault: str) -> None:
    assert error_of(cas.call("GET", vault, "multipart-uploads", "no-such-upload"))[0] == 404
    assert error_of(cas.complete(vault, "no-such-upload", 1, BAD_HASH))[:2] == (
        404,
        "ResourceNotFoundException",
    )
