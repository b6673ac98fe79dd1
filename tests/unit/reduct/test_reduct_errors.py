"""ReductStore errors: typed by status from ``x-reduct-error``, printed as reduct-py prints them."""

from __future__ import annotations

import pickle

import pytest

from cassdk_like.core.exceptions import CASServerError
from cassdk_like.core.http.response import HttpResponse
from cassdk_like.reduct import errors
from cassdk_like.reduct.errors import REDUCT_ERROR_DECODER, ReductError, error_for


def _answer(status: int, message: str = "") -> HttpResponse:
    headers = {"x-reduct-error": message, "content-type": "application/json"} if message else {}
    body = b'{"detail": "%s"}' % message.encode() if message else b""
    return HttpResponse(
        status, headers, body, errors=REDUCT_ERROR_DECODER, operation="get_bucket", resource="bucket 'b'"
    )


@pytest.mark.parametrize(
    ("status", "message", "klass"),
    [
        (400, "Bad thing", errors.BadRequest),
        (400, "Quota of 'data' exceeded", errors.QuotaExceeded),
        (401, "Invalid token", errors.Unauthorized),
        (403, "Token 'x' doesn't have read access to bucket 'b'", errors.Forbidden),
        (404, "Bucket 'b' is not found", errors.NotFound),
        (405, "Method not allowed", errors.MethodNotAllowed),
        (409, "Bucket 'b' already exists", errors.Conflict),
        (412, "Precondition", errors.PreconditionFailed),
        (413, "Too large", errors.PayloadTooLarge),
        (422, "Invalid JSON: x", errors.UnprocessableEntity),
        (425, "Record is being written", errors.TooEarly),
        (500, "boom", errors.InternalServerError),
        (503, "later", errors.ServiceUnavailable),
    ],
)
def test_each_status_has_its_class(status: int, message: str, klass: type) -> None:
    error = _answer(status, message).to_error()
    assert type(error) is klass
    assert isinstance(error, ReductError)
    assert isinstance(error, CASServerError)
    assert (error.status_code, error.message) == (status, message)
    assert str(error) == f"Status {status}: {message}"
    assert (error.operation, error.resource) == ("get_bucket", "bucket 'b'")


def test_an_undocumented_status_is_still_a_reduct_error() -> None:
    error = _answer(418, "teapot").to_error()
    assert type(error) is ReductError
    assert error.code == "418"


def test_a_missing_header_says_unknown_error_like_reduct_py() -> None:
    error = _answer(404).to_error()
    assert isinstance(error, errors.NotFound)
    assert str(error) == "Status 404: Unknown error"


def test_only_server_faults_are_retryable_codes() -> None:
    assert _answer(500, "x").error_code is not None
    assert _answer(500, "x").error_code.retryable  # type: ignore[union-attr]
    assert not _answer(404, "x").error_code.retryable  # type: ignore[union-attr]


def test_error_for_types_a_batch_record_error() -> None:
    error = error_for(409, "A record with timestamp 1 already exists", operation="write_batch")
    assert isinstance(error, errors.Conflict)
    assert str(error) == "Status 409: A record with timestamp 1 already exists"
    assert error_for(400, "Quota of 'b' exceeded").__class__ is errors.QuotaExceeded


def test_errors_compare_and_pickle_like_values() -> None:
    first = error_for(404, "gone")
    assert first == error_for(404, "gone")
    assert first != error_for(404, "other")
    assert hash(first) == hash(error_for(404, "gone"))
    again = pickle.loads(pickle.dumps(first))
    assert type(again) is errors.NotFound
    assert str(again) == "Status 404: gone"
