"""The two bucket dialects' wire facts and the bucket error table: typed errors from XML documents,
from bodyless answers, and never the vault's classes."""

from __future__ import annotations

import pytest

from cassdk_like.bucket import COS, S3, get_dialect
from cassdk_like.bucket import errors as bucket_errors
from cassdk_like.bucket.errors import (
    BUCKET_ERRORS,
    BucketNotEmpty,
    Conflict,
    NoSuchBucket,
    NoSuchKey,
    NotFound,
    PreconditionFailed,
    SlowDown,
)
from cassdk_like.core.exceptions import CASServerError, InvalidArgumentError
from cassdk_like.core.http.response import HttpResponse
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.vault import errors as vault_errors

NO_SUCH_KEY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>'
    b"<Message>The specified key does not exist.</Message><Key>a</Key>"
    b"<RequestId>4442587FB7D0A2F9</RequestId></Error>"
)


def test_wire_facts() -> None:
    assert (S3.name, S3.meta_prefix, S3.wire.request_id_header) == ("s3", "x-amz-meta-", "x-amz-request-id")
    assert (COS.name, COS.meta_prefix, COS.wire.request_id_header) == (
        "cos",
        "x-cos-meta-",
        "x-cos-request-id",
    )
    assert S3.list_v2
    assert not COS.list_v2
    assert (S3.part_checksum, COS.part_checksum) == ("sha256", "md5")
    assert COS.h("copy-source") == "x-cos-copy-source"
    assert S3.wire.resolve_region(None, "s3.eu-west-3.amazonaws.com") == "eu-west-3"
    assert COS.wire.resolve_region(None, "b-1.cos.ap-beijing.myqcloud.com") == "ap-beijing"
    assert get_dialect("COS") is COS
    assert get_dialect(S3) is S3
    with pytest.raises(InvalidArgumentError, match="unknown bucket dialect"):
        get_dialect("glacier")


@pytest.mark.parametrize("dialect", [S3, COS])
def test_an_xml_error_becomes_its_class_with_the_request_id(dialect: object) -> None:
    response = HttpResponse(404, {}, NO_SUCH_KEY, errors=dialect.errors, operation="get_object", resource="k")  # type: ignore[attr-defined]
    error = response.to_error()
    assert type(error) is NoSuchKey
    assert isinstance(error, NotFound)
    assert (error.code, error.message, error.request_id) == (
        "NoSuchKey",
        "The specified key does not exist.",
        "4442587FB7D0A2F9",
    )
    assert str(error).startswith("get_object k: HTTP 404 NoSuchKey")


def test_a_bodyless_answer_is_typed_by_its_status_and_refined_by_the_operation() -> None:
    response = HttpResponse(404, {"x-amz-request-id": "R"}, b"", request_id="R", errors=S3.errors)
    assert type(response.to_error()) is NotFound
    assert type(S3.parse_error(response, missing=NoSuchBucket)) is NoSuchBucket
    assert S3.parse_error(response, missing=NoSuchBucket).request_id == "R"
    precondition = HttpResponse(412, {}, b"", errors=S3.errors)
    assert type(precondition.to_error()) is PreconditionFailed
    # a body that names its own code is never overridden
    named = HttpResponse(404, {}, NO_SUCH_KEY, errors=S3.errors)
    assert type(S3.parse_error(named, missing=NoSuchBucket)) is NoSuchKey


def test_slow_down_is_retried_and_the_others_are_not() -> None:
    slow = HttpResponse(503, {}, b"<Error><Code>SlowDown</Code></Error>", errors=S3.errors)
    assert slow.error_code == "SlowDown"
    assert slow.error_code.retryable
    assert RetryPolicy().should_retry_status(slow.status, slow.error_code)
    empty = HttpResponse(409, {}, b"<Error><Code>BucketNotEmpty</Code></Error>", errors=S3.errors)
    assert not RetryPolicy().should_retry_status(empty.status, empty.error_code)
    assert isinstance(empty.to_error(), BucketNotEmpty)
    assert isinstance(empty.to_error(), Conflict)


def test_bucket_codes_are_their_own_classes() -> None:
    assert SlowDown is not vault_errors.SlowDown
    assert bucket_errors.BadRequest is not vault_errors.BadRequest
    assert "ResourceNotFoundException" not in BUCKET_ERRORS
    for code, klass in BUCKET_ERRORS.codes().items():
        assert klass.__name__ == code
        assert issubclass(klass, CASServerError)
        assert klass.default_status is not None, code
