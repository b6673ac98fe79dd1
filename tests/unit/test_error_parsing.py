"""Error answers of every kind: JSON (CAS, Glacier), XML (S3, COS), header-borne (ReductStore),
and per-service code tables, also as the transport uses them to type and retry answers."""

from __future__ import annotations

import pickle
from typing import Any, Callable, Dict, Iterator, List

import pytest
import responses

from cassdk_like.core.errorparse import (
    MAX_ERROR_DOCUMENT,
    ParsedError,
    first_of,
    header_error_parser,
    parse_json_error,
    parse_xml_error,
)
from cassdk_like.core.errortable import NO_CODES, ErrorCode, ErrorDecoder, ErrorTable
from cassdk_like.core.exceptions import CASServerError
from cassdk_like.core.http import HttpRequest, HttpResponse, RetryPolicy, Transport
from cassdk_like.vault import errors as vault_errors
from cassdk_like.vault.errors import VAULT_ERRORS

S3_DOCUMENT = b"""<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>NoSuchKey</Code>
  <Message>The specified key does not exist.</Message>
  <Key>photos/2006/cat.jpg</Key>
  <RequestId>4442587FB7D0A2F9</RequestId>
  <HostId>abc=</HostId>
</Error>"""


# -- a second service's table, as the bucket package will define it --------------------------------


class SlowDown(CASServerError):
    default_status = 503
    retryable = True


class NoSuchKey(CASServerError):
    default_status = 404


BUCKET_ERRORS = ErrorTable.of_classes("bucket", [SlowDown, NoSuchKey])


# -- JSON ---------------------------------------------------------------------------------------


def test_json_error_body() -> None:
    body = b'{"code": "ResourceNotFoundException", "message": "no vault", "type": "Client"}'
    assert parse_json_error(404, {}, body) == ParsedError("ResourceNotFoundException", "no vault", "Client")


def test_json_type_field_with_a_namespace_and_keys_in_any_case() -> None:
    body = b'{"__type": "com.amazon.coral#ThrottlingException", "Message": "slow down"}'
    assert parse_json_error(400, {}, body) == ParsedError("ThrottlingException", "slow down")


def test_json_falls_back_to_the_amzn_error_type_header() -> None:
    headers = {"X-Amzn-ErrorType": "AccessDeniedException:http://internal.amazon.com/"}
    assert parse_json_error(403, headers, b"").code == "AccessDeniedException"
    assert parse_json_error(403, {"x-amzn-errortype": "Busy"}, b"<html/>").code == "Busy"


@pytest.mark.parametrize(
    "body",
    [b"", b"<html>502 Bad Gateway</html>", b"[1, 2]", b'"text"', b"\xff\xfe", b"{" * 100000, b'{"code": '],
)
def test_json_junk_gives_nothing(body: bytes) -> None:
    assert parse_json_error(502, {}, body) == ParsedError()


# -- XML ----------------------------------------------------------------------------------------


def test_s3_xml_error_document_parses() -> None:
    parsed = parse_xml_error(404, {}, S3_DOCUMENT)
    assert parsed == ParsedError(
        code="NoSuchKey", message="The specified key does not exist.", request_id="4442587FB7D0A2F9"
    )


def test_xml_error_with_a_namespace_or_wrapped_in_error_response() -> None:
    namespaced = b'<Error xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Code>SlowDown</Code></Error>'
    assert parse_xml_error(503, {}, namespaced).code == "SlowDown"
    wrapped = b"<ErrorResponse><Error><Code>Throttling</Code><Message>m</Message></Error>"
    wrapped += b"<RequestId>R-7</RequestId></ErrorResponse>"
    assert parse_xml_error(400, {}, wrapped) == ParsedError("Throttling", "m", None, "R-7")


def test_xml_refuses_dtds_and_entities_unread() -> None:
    laughs = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
    laughs += b"<Error><Code>&lol2;</Code></Error>"
    assert parse_xml_error(400, {}, laughs) == ParsedError()
    external = b'<!DOCTYPE e SYSTEM "file:///etc/passwd"><Error><Code>X</Code></Error>'
    assert parse_xml_error(400, {}, external) == ParsedError()
    # a declaration the byte scan cannot see: UTF-16, or an EBCDIC code page named in the prologue
    utf16 = (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE e [<!ENTITY x "y">]><Error><Code>&x;</Code></Error>'
    )
    assert parse_xml_error(400, {}, utf16.encode("utf-16")) == ParsedError()
    ebcdic = b'<?xml version="1.0" encoding="cp500"?>' + "<!DOCTYPE e><Error><Code>X</Code></Error>".encode(
        "cp500"
    )
    assert parse_xml_error(400, {}, ebcdic) == ParsedError()
    latin = (
        '<?xml version="1.0" encoding="ISO-8859-1"?><Error><Code>X</Code><Message>caf\xe9</Message></Error>'
    )
    assert parse_xml_error(400, {}, latin.encode("latin-1")) == ParsedError("X", "caf\xe9")
    # comments and CDATA are not declarations
    fine = b"<!-- note --><Error><Code><![CDATA[SlowDown]]></Code></Error>"
    assert parse_xml_error(503, {}, fine).code == "SlowDown"


def test_xml_over_the_size_cap_is_not_parsed() -> None:
    padding = b" " * MAX_ERROR_DOCUMENT
    assert parse_xml_error(400, {}, b"<Error><Code>X</Code></Error>" + padding) == ParsedError()


@pytest.mark.parametrize(
    "body",
    [b"", b"not xml", b"<Error><Code>cut", b"<html><body>502</body></html>", b'{"code": "X"}', b"\xff"],
)
def test_xml_junk_gives_nothing(body: bytes) -> None:
    assert parse_xml_error(502, {}, body) == ParsedError()


# -- header-borne -------------------------------------------------------------------------------


def test_reduct_style_header_error_parses() -> None:
    parse = header_error_parser("x-reduct-error")
    headers = {"X-Reduct-Error": "Bucket 'data' is not found", "x-reduct-api": "1.21"}
    assert parse(404, headers, b'{"detail": "ignored"}') == ParsedError("404", "Bucket 'data' is not found")
    assert parse(500, {}, b"") == ParsedError("500", None)


def test_first_of_takes_the_first_parser_that_finds_a_code() -> None:
    parse = first_of(parse_xml_error, header_error_parser("x-cos-error-code"))
    assert parse(404, {}, S3_DOCUMENT).code == "NoSuchKey"
    assert parse(404, {"x-cos-error-code": "NoSuchKey"}, b"").code == "404"
    with pytest.raises(ValueError, match="at least one"):
        first_of()


# -- tables -------------------------------------------------------------------------------------


def test_slowdown_in_a_second_table_is_that_tables_class() -> None:
    assert BUCKET_ERRORS.class_for("SlowDown") is SlowDown
    assert VAULT_ERRORS.class_for("SlowDown") is vault_errors.SlowDown
    assert SlowDown is not vault_errors.SlowDown
    assert BUCKET_ERRORS.class_for("ResourceNotFoundException") is CASServerError
    assert BUCKET_ERRORS.retryable_codes == {"SlowDown"}


def test_codes_need_not_be_class_names() -> None:
    class NotFound(CASServerError):
        pass

    table = ErrorTable("reduct", {"404": NotFound})
    decoder = ErrorDecoder(header_error_parser("x-reduct-error"), table)
    error = decoder.decode(404, {"x-reduct-error": "Entry 'e' not found"}, b"", operation="read")
    assert type(error) is NotFound
    assert (error.status, error.code, error.message) == (404, "404", "Entry 'e' not found")
    assert str(error) == "read: HTTP 404: Entry 'e' not found"  # a status-as-code is not repeated


def test_a_table_refuses_classes_outside_the_tree() -> None:
    with pytest.raises(TypeError, match="CASServerError"):
        ErrorTable("bad", {"X": ValueError})  # type: ignore[dict-item]


def test_error_codes_carry_their_tables_verdict_and_pickle() -> None:
    code = BUCKET_ERRORS.error_code("SlowDown")
    assert code == "SlowDown"
    assert isinstance(code, str)
    assert code.retryable
    assert not NO_CODES.error_code("SlowDown").retryable
    clone = pickle.loads(pickle.dumps(code))
    assert isinstance(clone, ErrorCode)
    assert clone.retryable
    assert clone == "SlowDown"


def test_decoder_keeps_the_header_request_id_over_the_bodys() -> None:
    decoder = ErrorDecoder(parse_xml_error, BUCKET_ERRORS)
    assert decoder.decode(404, {}, S3_DOCUMENT).request_id == "4442587FB7D0A2F9"
    error = decoder.decode(404, {}, S3_DOCUMENT, request_id="HDR-1", resource="object 'cat.jpg'")
    assert type(error) is NoSuchKey
    assert error.request_id == "HDR-1"
    assert error.resource == "object 'cat.jpg'"


def test_vault_json_error_maps_as_before() -> None:
    body = b'{"code": "ThrottlingException", "message": "slow", "type": "Client"}'
    response = HttpResponse(
        400,
        {"x-cas-requestId": "R1"},
        body,
        request_id="R1",
        errors=ErrorDecoder(parse_json_error, VAULT_ERRORS),
    )
    error = response.to_error()
    assert type(error) is vault_errors.ThrottlingException
    assert (error.status, error.code, error.message, error.type, error.request_id) == (
        400,
        "ThrottlingException",
        "slow",
        "Client",
        "R1",
    )
    assert error.retryable
    assert response.error_code == "ThrottlingException"
    assert response.error_code is not None
    assert response.error_code.retryable


def test_a_response_without_a_decoder_knows_no_service_codes() -> None:
    body = b'{"code": "ThrottlingException", "message": "slow"}'
    response = HttpResponse(400, {}, body)
    assert type(response.to_error()) is CASServerError
    assert response.error_code == "ThrottlingException"
    assert response.error_code is not None
    assert not response.error_code.retryable


# -- the transport types and retries with the decoder it was given ------------------------------

BASE = "https://bucket.example.com"


@pytest.fixture
def transport_for() -> Iterator[Callable[[ErrorDecoder], Transport]]:
    made: List[Transport] = []

    def make(errors: ErrorDecoder) -> Transport:
        transport = Transport(
            BASE,
            retry_policy=RetryPolicy(total_attempts=3, backoff_base=0.0),
            sleep=lambda _s: None,
            errors=errors,
        )
        made.append(transport)
        return transport

    yield make
    for transport in made:
        transport.close()


def _xml_slowdown() -> Dict[str, Any]:
    body = b"<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>"
    return {"status": 400, "body": body, "content_type": "application/xml"}


@responses.activate
def test_transport_retries_the_codes_its_table_marks_retryable(
    transport_for: Callable[[ErrorDecoder], Transport],
) -> None:
    responses.get(BASE + "/k", **_xml_slowdown())
    responses.get(BASE + "/k", status=200, body=b"ok")
    response = transport_for(ErrorDecoder(parse_xml_error, BUCKET_ERRORS)).send(HttpRequest("GET", "/k"))
    assert response.status == 200
    assert len(responses.calls) == 2


@responses.activate
def test_the_same_answer_under_a_table_that_lacks_the_code_is_not_retried(
    transport_for: Callable[[ErrorDecoder], Transport],
) -> None:
    class Quiet(CASServerError):
        pass

    responses.get(BASE + "/k", **_xml_slowdown())
    table = ErrorTable("other", {"SlowDown": Quiet})
    response = transport_for(ErrorDecoder(parse_xml_error, table)).send(
        HttpRequest("GET", "/k", operation="get")
    )
    assert response.status == 400
    assert len(responses.calls) == 1
    error = response.to_error()
    assert type(error) is Quiet
    assert error.message == "Reduce your request rate."


@responses.activate
def test_transport_reads_header_borne_errors(transport_for: Callable[[ErrorDecoder], Transport]) -> None:
    responses.get(BASE + "/b/data", status=404, headers={"x-reduct-error": "Bucket 'data' is not found"})
    decoder = ErrorDecoder(header_error_parser("x-reduct-error"))
    response = transport_for(decoder).send(HttpRequest("GET", "/b/data", operation="get_bucket"))
    assert response.error_code == "404"
    error = response.to_error()
    assert (error.status, error.code, error.message, error.operation) == (
        404,
        "404",
        "Bucket 'data' is not found",
        "get_bucket",
    )
