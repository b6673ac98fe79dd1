"""The Glacier dialect on the same server: SigV4 (service ``glacier``), x-amz-* headers,
x-amz-glacier-version, VaultARN, x-amzn-RequestId (docs/vault-protocol.md §7)."""

from __future__ import annotations

from cassdk_like.emulator import Emulator
from tests.integration.emulator.emu_helpers import MiB, Raw, error_of, pattern, ref_tree_hash


def test_glacier_basic_flow(glacier: Raw) -> None:
    created = glacier.request("PUT", "/-/vaults/gv")
    assert created.status_code == 201
    assert created.headers["x-amzn-RequestId"]
    data = pattern(2 * MiB + 5)
    uploaded = glacier.upload("gv", data)
    assert uploaded.status_code == 201, uploaded.text
    archive_id = uploaded.headers["x-amz-archive-id"]
    assert uploaded.headers["x-amz-sha256-tree-hash"] == ref_tree_hash(data)

    described = glacier.request("GET", "/-/vaults/gv").json()
    assert described["VaultARN"] == f"arn:aws:glacier:us-east-1:{glacier.emu.appid}:vaults/gv"
    assert "VaultQCS" not in described

    job_id = glacier.job_ok("gv", {"Type": "archive-retrieval", "ArchiveId": archive_id, "SNSTopic": "arn:x"})
    job = glacier.wait_job("gv", job_id)
    assert job["StatusCode"] == "Succeeded"
    assert job["VaultARN"].endswith(":vaults/gv")
    assert job["SNSTopic"] == "arn:x"
    assert "CallBackUrl" not in job
    output = glacier.output("gv", job_id, (0, MiB - 1))
    assert output.status_code == 206
    assert output.content == data[:MiB]
    assert output.headers["x-amz-sha256-tree-hash"] == ref_tree_hash(data[:MiB])
    assert "x-cas-requestId" not in output.headers
    assert output.headers["x-amzn-RequestId"]


def test_glacier_multipart_and_default_list_limit(glacier: Raw) -> None:
    glacier.create_vault("gv")
    upload_id = glacier.initiate_upload("gv", MiB).headers["x-amz-multipart-upload-id"]
    data = pattern(MiB + 10)
    assert glacier.upload_part("gv", upload_id, 0, data[:MiB]).status_code == 204
    assert glacier.upload_part("gv", upload_id, MiB, data[MiB:]).status_code == 204
    done = glacier.complete("gv", upload_id, len(data), ref_tree_hash(data))
    assert done.status_code == 201
    assert done.headers["x-amz-archive-id"]
    for i in range(11):
        glacier.create_vault(f"many{i:02d}")
    page = glacier.request("GET", "/-/vaults").json()
    assert len(page["VaultList"]) == 10
    assert page["Marker"].startswith("arn:aws:glacier:")


def test_glacier_access_policy_uses_capital_policy_key(glacier: Raw) -> None:
    glacier.create_vault("gv")
    assert glacier.call("PUT", "gv", "access-policy", json_body={"Policy": "{}"}).status_code == 204
    assert glacier.call("GET", "gv", "access-policy").json() == {"Policy": "{}"}


def test_glacier_version_header_required(glacier: Raw) -> None:
    response = glacier.request("GET", "/-/vaults", headers={"x-amz-glacier-version": ""})
    assert error_of(response)[:2] == (400, "MissingParameterValueException")
    assert response.headers["x-amzn-ErrorType"] == "MissingParameterValueException"


def test_glacier_bad_signature_is_403(glacier: Raw) -> None:
    response = glacier.request("GET", "/-/vaults", tamper=True)
    assert error_of(response) == (403, "InvalidSignatureException", "Client")
    assert response.headers["x-amzn-RequestId"]


def test_glacier_wrong_region_or_key(emulator: Emulator) -> None:
    wrong_region = Raw(emulator, "glacier", region="eu-west-1").request("GET", "/-/vaults")
    assert error_of(wrong_region)[1] == "InvalidSignatureException"
    wrong_key = Raw(emulator, "glacier", secret_id=emulator.secret_id, secret_key="nope").request(
        "GET", "/-/vaults"
    )
    assert error_of(wrong_key)[1] == "InvalidSignatureException"


def test_glacier_payload_hash_is_signed(glacier: Raw) -> None:
    """The SigV4 payload hash covers JSON bodies: changing the body after signing is caught."""
    glacier.create_vault("gv")
    sent = {"Host": f"127.0.0.1:{glacier.emu.port}", "x-amz-glacier-version": "2012-06-01"}
    signed_body = b'{"Type": "inventory-retrieval"}'
    glacier._sign("POST", "/-/vaults/gv/jobs", [], sent, signed_body)
    response = glacier.session.post(
        f"{glacier.emu.endpoint}/-/vaults/gv/jobs",
        headers=sent,
        data=b'{"Type": "archive-retrieval"}',
        timeout=10,
    )
    assert error_of(response)[:2] == (403, "InvalidSignatureException")


def test_glacier_has_no_cos_jobs(glacier: Raw) -> None:
    glacier.create_vault("gv")
    response = glacier.initiate_job(
        "gv", {"Type": "push-to-cos", "ArchiveId": "x", "Bucket": "b", "Object": "o"}
    )
    assert error_of(response)[1] == "InvalidParameterValueException"
