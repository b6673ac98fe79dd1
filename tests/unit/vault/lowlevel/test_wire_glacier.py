"""Every operation on the wire in the Glacier dialect: ``/-/`` paths, x-amz-* headers,
``x-amz-glacier-version: 2012-06-01``, X-Amz-Date, and a SigV4 (service glacier) that verifies."""

from __future__ import annotations

import hashlib
import io
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

import attrs
import pytest
import responses

from cassdk_like.core.config import Credentials
from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.core.http.request import HttpRequest, RequestBody
from cassdk_like.vault.dialect import GLACIER, get_dialect
from cassdk_like.vault.lowlevel import CASClient

from ._wire import (
    GLACIER_HOST,
    GLACIER_ID,
    GLACIER_KEY,
    GLACIER_NOW,
    SHA_1MIB_ZERO,
    SHA_3_5MIB_ZERO,
    SHA_A,
    TREE_3_5MIB_ZERO,
    MiB,
    Sent,
    sigv4_check,
    sigv4_signed_headers,
)
from .conftest import ANY_URL

ROOT = "/-/vaults"
BASE = {"host", "x-amz-date", "x-amz-glacier-version"}
JSON_SIGNED = BASE | {"content-type"}
POLICY = {"Version": "2012-10-17", "Statement": []}
POLICY_TEXT = '{"Version":"2012-10-17","Statement":[]}'
SNS = "arn:aws:sns:us-west-2:012345678901:topic"


@attrs.frozen
class Case:
    name: str
    call: Callable[[CASClient], Any]
    method: str
    path: str
    query: List[Tuple[str, str]] = attrs.field(factory=list)
    headers: Dict[str, str] = attrs.field(factory=dict)
    signed: Set[str] = attrs.field(factory=lambda: set(BASE))
    json_body: Optional[Any] = None
    raw_body: Optional[bytes] = None


CASES = [
    Case("create_vault", lambda c: c.create_vault("v1"), "PUT", f"{ROOT}/v1"),
    Case("describe_vault", lambda c: c.describe_vault("v1"), "GET", f"{ROOT}/v1"),
    Case("delete_vault", lambda c: c.delete_vault("v1"), "DELETE", f"{ROOT}/v1"),
    Case(
        "list_vaults",
        lambda c: c.list_vaults("arn:aws:glacier:us-west-2:0:vaults/Ab", 3),
        "GET",
        ROOT,
        query=[("marker", "arn:aws:glacier:us-west-2:0:vaults/Ab"), ("limit", "3")],
    ),
    Case("get_access_policy", lambda c: c.get_vault_access_policy("v1"), "GET", f"{ROOT}/v1/access-policy"),
    Case(
        "set_access_policy",
        lambda c: c.set_vault_access_policy("v1", POLICY),
        "PUT",
        f"{ROOT}/v1/access-policy",
        signed=JSON_SIGNED,
        json_body={"Policy": POLICY_TEXT},
    ),
    Case(
        "delete_access_policy",
        lambda c: c.delete_vault_access_policy("v1"),
        "DELETE",
        f"{ROOT}/v1/access-policy",
    ),
    Case(
        "set_notifications",
        lambda c: c.set_vault_notifications("v1", SNS, ["ArchiveRetrievalCompleted"]),
        "PUT",
        f"{ROOT}/v1/notification-configuration",
        signed=JSON_SIGNED,
        json_body={"SNSTopic": SNS, "Events": ["ArchiveRetrievalCompleted"]},
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
        lambda c: c.initiate_vault_lock("v1", POLICY_TEXT),
        "POST",
        f"{ROOT}/v1/lock-policy",
        signed=JSON_SIGNED,
        json_body={"Policy": POLICY_TEXT},
    ),
    Case("complete_lock", lambda c: c.complete_vault_lock("v1", "L1"), "POST", f"{ROOT}/v1/lock-policy/L1"),
    Case("abort_lock", lambda c: c.abort_vault_lock("v1"), "DELETE", f"{ROOT}/v1/lock-policy"),
    Case("get_lock", lambda c: c.get_vault_lock("v1"), "GET", f"{ROOT}/v1/lock-policy"),
    Case(
        "add_tags",
        lambda c: c.add_tags_to_vault("v1", {"k": "v"}),
        "POST",
        f"{ROOT}/v1/tags",
        query=[("operation", "add")],
        signed=JSON_SIGNED,
        json_body={"Tags": {"k": "v"}},
    ),
    Case(
        "remove_tags",
        lambda c: c.remove_tags_from_vault("v1", ["k"]),
        "POST",
        f"{ROOT}/v1/tags",
        query=[("operation", "remove")],
        signed=JSON_SIGNED,
        json_body={"TagKeys": ["k"]},
    ),
    Case("list_tags", lambda c: c.list_tags_for_vault("v1"), "GET", f"{ROOT}/v1/tags"),
    Case(
        "upload_archive",
        lambda c: c.upload_archive("v1", b"a", desc="notes"),
        "POST",
        f"{ROOT}/v1/archives",
        headers={
            "content-length": "1",
            "x-amz-content-sha256": SHA_A,
            "x-amz-sha256-tree-hash": SHA_A,
            "x-amz-archive-description": "notes",
        },
        signed=BASE
        | {"content-type", "x-amz-archive-description", "x-amz-content-sha256", "x-amz-sha256-tree-hash"},
        raw_body=b"a",
    ),
    Case("delete_archive", lambda c: c.delete_archive("v1", "_A-1"), "DELETE", f"{ROOT}/v1/archives/_A-1"),
    Case(
        "initiate_multipart",
        lambda c: c.initiate_multipart_upload("v1", MiB),
        "POST",
        f"{ROOT}/v1/multipart-uploads",
        headers={"x-amz-part-size": "1048576"},
        signed=BASE | {"x-amz-part-size"},
    ),
    Case(
        "upload_part",
        lambda c: c.upload_part("v1", "UP1", bytes(MiB), "0-1048575"),
        "PUT",
        f"{ROOT}/v1/multipart-uploads/UP1",
        headers={
            "content-range": "bytes 0-1048575/*",
            "x-amz-content-sha256": SHA_1MIB_ZERO,
            "x-amz-sha256-tree-hash": SHA_1MIB_ZERO,
        },
        signed=BASE | {"content-type", "x-amz-content-sha256", "x-amz-sha256-tree-hash"},
        raw_body=bytes(MiB),
    ),
    Case(
        "complete_multipart",
        lambda c: c.complete_multipart_upload("v1", "UP1", 3670016, TREE_3_5MIB_ZERO),
        "POST",
        f"{ROOT}/v1/multipart-uploads/UP1",
        headers={"x-amz-archive-size": "3670016", "x-amz-sha256-tree-hash": TREE_3_5MIB_ZERO},
        signed=BASE | {"x-amz-archive-size", "x-amz-sha256-tree-hash"},
    ),
    Case(
        "abort_multipart",
        lambda c: c.abort_multipart_upload("v1", "UP1"),
        "DELETE",
        f"{ROOT}/v1/multipart-uploads/UP1",
    ),
    Case(
        "list_multipart_uploads",
        lambda c: c.list_multipart_uploads("v1", limit=5),
        "GET",
        f"{ROOT}/v1/multipart-uploads",
        query=[("limit", "5")],
    ),
    Case(
        "list_parts",
        lambda c: c.list_parts("v1", "UP1", "1048576"),
        "GET",
        f"{ROOT}/v1/multipart-uploads/UP1",
        query=[("marker", "1048576")],
    ),
    Case(
        "archive_retrieval_job",
        lambda c: c.initiate_job("v1", "archive-retrieval", "A1", "d", None, "Standard", callback_url=SNS),
        "POST",
        f"{ROOT}/v1/jobs",
        signed=JSON_SIGNED,
        json_body={
            "Type": "archive-retrieval",
            "ArchiveId": "A1",
            "Description": "d",
            "Tier": "Standard",
            "SNSTopic": SNS,
        },
    ),
    Case(
        "inventory_job",
        lambda c: c.initiate_job("v1", "inventory-retrieval", limit="10", format="JSON"),
        "POST",
        f"{ROOT}/v1/jobs",
        signed=JSON_SIGNED,
        json_body={
            "Type": "inventory-retrieval",
            "Format": "JSON",
            "InventoryRetrievalParameters": {"Limit": "10"},
        },
    ),
    Case("describe_job", lambda c: c.describe_job("v1", "J1"), "GET", f"{ROOT}/v1/jobs/J1"),
    Case(
        "get_job_output",
        lambda c: c.get_job_output("v1", "J1", "1048576-2097151"),
        "GET",
        f"{ROOT}/v1/jobs/J1/output",
        headers={"range": "bytes=1048576-2097151"},
        signed=BASE | {"range"},
    ),
    Case(
        "list_jobs",
        lambda c: c.list_jobs("v1", completed=False, status_code="InProgress"),
        "GET",
        f"{ROOT}/v1/jobs",
        query=[("completed", "false"), ("statuscode", "InProgress")],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_operation_on_the_wire(mock: responses.RequestsMock, glacier: CASClient, case: Case) -> None:
    for method in ("GET", "PUT", "POST", "DELETE"):
        mock.add(method, ANY_URL, status=200, body=b"")
    case.call(glacier).close()
    assert len(mock.calls) == 1
    sent = Sent.of(mock.calls[0].request)
    assert sent.method == case.method
    assert sent.path == case.path
    assert sent.query == case.query
    assert sent.headers["host"] == GLACIER_HOST
    assert sent.headers["x-amz-glacier-version"] == "2012-06-01"
    assert sent.headers["x-amz-date"] == "20150830T123600Z"
    for name, value in case.headers.items():
        assert sent.headers[name] == value, name
    assert not [name for name in sent.headers if name.startswith("x-cas-")]
    authorization = sent.headers["authorization"]
    assert authorization.startswith(
        f"AWS4-HMAC-SHA256 Credential={GLACIER_ID}/20150830/us-west-2/glacier/aws4_request, "
    )
    assert sigv4_signed_headers(sent) == case.signed
    payload_hash = sent.headers.get("x-amz-content-sha256") or hashlib.sha256(sent.body).hexdigest()
    assert sigv4_check(sent, payload_hash) is None
    if case.json_body is not None:
        assert sent.json() == case.json_body
    else:
        assert sent.body == (case.raw_body or b"")


def test_upload_from_file_object_signs_the_content_hash(
    mock: responses.RequestsMock, glacier: CASClient, tmp_path: Any
) -> None:
    data = bytes(3 * MiB + MiB // 2)
    path = tmp_path / "a.bin"
    path.write_bytes(data)
    mock.add("POST", ANY_URL, status=201)
    with path.open("rb") as fileobj:
        glacier.upload_archive("v1", fileobj, size=len(data))
    sent = Sent.of(mock.calls[0].request)
    assert sent.headers["x-amz-content-sha256"] == SHA_3_5MIB_ZERO
    assert sent.headers["x-amz-sha256-tree-hash"] == TREE_3_5MIB_ZERO
    assert sigv4_check(sent, SHA_3_5MIB_ZERO) is None


def test_session_token_is_sent_and_signed(mock: responses.RequestsMock) -> None:
    mock.add("GET", ANY_URL, json={})
    client = CASClient(
        GLACIER_HOST, None, GLACIER_ID, GLACIER_KEY, dialect="glacier", session_token="TOKEN", clock=lambda: 0
    )
    client.describe_vault("v1")
    sent = Sent.of(mock.calls[0].request)
    assert sent.headers["x-amz-security-token"] == "TOKEN"
    assert "x-amz-security-token" in sigv4_signed_headers(sent)
    assert "TOKEN" not in repr(client)


def test_region_comes_from_the_host_or_the_option() -> None:
    assert CASClient(GLACIER_HOST, None, "id", "key", dialect="glacier").region == "us-west-2"
    assert CASClient("http://127.0.0.1:5000", None, "id", "key", dialect="glacier").region == "us-east-1"
    local = CASClient("http://127.0.0.1:5000", None, "id", "key", dialect="glacier", region="eu-west-1")
    assert local.region == "eu-west-1"


def test_account_is_dash_unless_a_uid_is_given(mock: responses.RequestsMock) -> None:
    mock.add("PUT", ANY_URL, status=201)
    CASClient(GLACIER_HOST, "123", "id", "key", dialect="glacier").create_vault("v1")
    CASClient(GLACIER_HOST, None, "id", "key", dialect="glacier", uid="012345678901").create_vault("v1")
    paths = [Sent.of(call.request).path for call in mock.calls]
    assert paths == ["/-/vaults/v1", "/012345678901/vaults/v1"]


@pytest.mark.parametrize("job_type", ["push-to-cos", "pull-from-cos"])
def test_cos_jobs_do_not_exist_in_glacier(
    mock: responses.RequestsMock, glacier: CASClient, job_type: str
) -> None:
    with pytest.raises(InvalidArgumentError, match="not offered by glacier"):
        glacier.initiate_job("v1", job_type, "A1", bucket_endpoint="b", object_name="o", byte_range="0-9")
    assert len(mock.calls) == 0


def test_glacier_credentials_come_from_aws_variables(
    mock: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", GLACIER_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", GLACIER_KEY)
    mock.add("GET", ANY_URL, json={})
    CASClient(GLACIER_HOST, dialect="glacier", clock=lambda: 1440938160).describe_vault("v1")
    sent = Sent.of(mock.calls[0].request)
    assert sigv4_check(sent, hashlib.sha256(b"").hexdigest()) is None


@pytest.mark.parametrize("body", [None, b"{}", "file"])
def test_signer_hashes_the_body_when_no_content_hash_header_is_set(body: Any) -> None:
    """The payload hash is x-amz-content-sha256 when set, else SHA-256 of the body (file window too)."""
    request_body: Any = RequestBody(io.BytesIO(b"xx{}yy"), 2, 2) if body == "file" else body
    expected = hashlib.sha256(b"" if body is None else b"{}").hexdigest()
    request = HttpRequest("POST", "/-/vaults/v1/jobs", body=request_body)
    headers = {"Host": GLACIER_HOST, "x-amz-glacier-version": "2012-06-01"}
    sign = GLACIER.signer(Credentials(GLACIER_ID, GLACIER_KEY), "us-west-2", lambda: GLACIER_NOW)
    sign(request, headers)
    lowered = {k.lower(): v for k, v in headers.items()}
    sent = Sent("POST", "/-/vaults/v1/jobs", "/-/vaults/v1/jobs", [], lowered, b"")
    assert sigv4_check(sent, expected) is None
    assert sigv4_check(sent, hashlib.sha256(b"other").hexdigest()) is not None


def test_get_dialect_by_name() -> None:
    assert get_dialect("GLACIER") is GLACIER
    assert get_dialect(GLACIER) is GLACIER
    assert GLACIER.h("archive-id") == "x-amz-archive-id"
    with pytest.raises(InvalidArgumentError):
        get_dialect("s3")
