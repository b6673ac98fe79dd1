"""Error mapping (docs/vault-protocol.md §4): every documented code becomes its exception class with
status, code, message, type and request id; odd bodies never cause AttributeError
(docs/original-sdk-defects.md #4)."""

from __future__ import annotations

import pickle

import pytest
import responses

from cassdk_like.core.exceptions import CASServerError
from cassdk_like.vault import errors as exc
from cassdk_like.vault.highlevel import CasAPI
from cassdk_like.vault.lowlevel import CASClient

from .conftest import ANY_URL

# docs/vault-protocol.md §4.2, plus the two codes seen elsewhere (InvalidParameter, InvalidDigest)
DOCUMENTED = [
    ("AccessDeniedException", 403, "Client", exc.AccessDeniedException),
    ("BadRequest", 400, "Client", exc.BadRequest),
    ("ExpiredTokenException", 403, "Client", exc.ExpiredTokenException),
    ("InvalidParameterValueException", 400, "Client", exc.InvalidParameterValueException),
    ("InvalidSignatureException", 400, "Client", exc.InvalidSignatureException),
    ("LimitExceededException", 400, "Client", exc.LimitExceededException),
    ("MissingAuthenticationTokenException", 400, "Client", exc.MissingAuthenticationTokenException),
    ("MissingParameterValueException", 400, "Client", exc.MissingParameterValueException),
    ("PolicyEnforcedException", 400, "Client", exc.PolicyEnforcedException),
    ("ResourceNotFoundException", 404, "Client", exc.ResourceNotFoundException),
    ("RequestTimeoutException", 408, "Client", exc.RequestTimeoutException),
    ("SerializationException", 400, "Client", exc.SerializationException),
    ("ThrottlingException", 400, "Client", exc.ThrottlingException),
    ("UnrecognizedClientException", 400, "Client", exc.UnrecognizedClientException),
    ("ServiceUnavailableException", 500, "Server", exc.ServiceUnavailableException),
    ("InvalidParameter", 400, "Client", exc.InvalidParameter),
    ("InvalidDigest", 400, "Client", exc.InvalidDigest),
]


@pytest.mark.parametrize(("code", "status", "type_", "klass"), DOCUMENTED, ids=[row[0] for row in DOCUMENTED])
def test_documented_code_maps_to_its_class(
    mock: responses.RequestsMock, cas_api: CasAPI, code: str, status: int, type_: str, klass: type
) -> None:
    body = {"code": code, "message": f"text for {code}", "type": type_}
    mock.add("GET", ANY_URL, status=status, json=body, headers={"x-cas-requestId": "REQ-1"})
    with pytest.raises(klass) as info:
        cas_api.describe_vault("v1")
    err = info.value
    assert type(err) is klass
    assert isinstance(err, CASServerError)
    assert (err.status, err.code, err.message, err.type, err.request_id) == (
        status,
        code,
        f"text for {code}",
        type_,
        "REQ-1",
    )
    assert err.operation == "describe_vault"
    assert err.resource == "vault 'v1'"
    assert "describe_vault vault 'v1'" in str(err)
    assert code in str(err)
    assert len(mock.calls) == 1  # never retried with RetryPolicy.never()


def test_glacier_error_uses_the_amzn_request_id(mock: responses.RequestsMock, glacier_api: CasAPI) -> None:
    body = {"code": "ResourceNotFoundException", "message": "Vault not found", "type": "Client"}
    mock.add("GET", ANY_URL, status=404, json=body, headers={"x-amzn-RequestId": "AMZ-9"})
    with pytest.raises(exc.ResourceNotFoundException) as info:
        glacier_api.describe_job("v1", "J1")
    assert info.value.request_id == "AMZ-9"
    assert info.value.resource == "job 'J1' in vault 'v1'"


def test_html_error_body_gives_a_plain_server_error(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    """docs/original-sdk-defects.md #4: a non-JSON body leaves code/message/type None, never unset."""
    html = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    mock.add("PUT", ANY_URL, status=502, body=html, content_type="text/html")
    with pytest.raises(CASServerError) as info:
        cas_api.create_vault("v1")
    err = info.value
    assert type(err) is CASServerError
    assert (err.status, err.code, err.message, err.type, err.request_id) == (502, None, None, None, None)
    assert err.body == html
    assert "502" in str(err)
    assert "Bad Gateway" in str(err)
    assert err.is_server_fault
    assert not err.is_client_fault


def test_empty_error_body(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    mock.add("DELETE", ANY_URL, status=503, body=b"")
    with pytest.raises(CASServerError) as info:
        cas_api.delete_vault("v1")
    assert info.value.code is None
    assert info.value.status == 503


def test_json_error_that_is_not_an_object(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    mock.add("GET", ANY_URL, status=400, json=["not", "an", "object"])
    with pytest.raises(CASServerError) as info:
        cas_api.list_vaults()
    assert info.value.code is None
    assert info.value.message is None


@pytest.mark.parametrize("type_", ["Client", "client", "CLIENT", " client "])
def test_client_type_is_compared_case_insensitively(
    mock: responses.RequestsMock, cas_api: CasAPI, type_: str
) -> None:
    """docs/original-sdk-defects.md #2: the service sends "Client"; the original compared with "client"."""
    body = {"code": "BadRequest", "message": "vault is not empty", "type": type_}
    mock.add("DELETE", ANY_URL, status=400, json=body)
    with pytest.raises(exc.BadRequest) as info:
        cas_api.delete_vault("v1")
    assert info.value.is_client_fault
    assert not info.value.is_server_fault


@pytest.mark.parametrize("type_", ["Server", "server"])
def test_server_type_is_compared_case_insensitively(
    mock: responses.RequestsMock, cas_api: CasAPI, type_: str
) -> None:
    body = {"code": "ServiceUnavailableException", "message": "busy", "type": type_}
    mock.add("GET", ANY_URL, status=500, json=body)
    with pytest.raises(exc.ServiceUnavailableException) as info:
        cas_api.describe_vault("v1")
    assert info.value.is_server_fault
    assert info.value.retryable


def test_unknown_code_falls_back_to_the_base_class(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    mock.add("GET", ANY_URL, status=409, json={"code": "SomethingNew", "message": "m", "type": "Client"})
    with pytest.raises(CASServerError) as info:
        cas_api.describe_vault("v1")
    assert type(info.value) is CASServerError
    assert info.value.code == "SomethingNew"


def test_low_level_never_raises_on_status(mock: responses.RequestsMock, cas: CASClient) -> None:
    mock.add("GET", ANY_URL, status=404, json={"code": "ResourceNotFoundException", "message": "m"})
    response = cas.describe_vault("v1")
    assert response.status == 404
    assert not response.ok
    err = cas.dialect.parse_error(response)
    assert isinstance(err, exc.ResourceNotFoundException)
    assert err.operation == "describe_vault"


def test_streamed_output_error_is_read_and_raised(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    body = {"code": "ResourceNotFoundException", "message": "job expired", "type": "Client"}
    mock.add("GET", ANY_URL, status=404, json=body, headers={"x-cas-requestid": "R2"})
    with pytest.raises(exc.ResourceNotFoundException) as info:
        cas_api.get_job_output("v1", "J1", (0, 9))
    assert info.value.message == "job expired"
    assert info.value.request_id == "R2"
    assert info.value.operation == "get_job_output"


def test_server_errors_pickle_with_their_context(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    mock.add("GET", ANY_URL, status=403, json={"code": "AccessDeniedException", "message": "no"})
    with pytest.raises(exc.AccessDeniedException) as info:
        cas_api.get_vault_lock("v1")
    clone = pickle.loads(pickle.dumps(info.value))
    assert type(clone) is exc.AccessDeniedException
    assert (clone.status, clone.code, clone.operation) == (403, "AccessDeniedException", "get_vault_lock")
