"""The guarded XML reader under error documents and listings: what it refuses, and namespace-free lookups."""

from __future__ import annotations

import pytest

from cassdk_like.core.errorparse import first_of, parse_xml_error, status_error_parser
from cassdk_like.core.xmldoc import child, children, parse_xml, text_of

LISTING = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>'
    b"<Contents><Key>a</Key></Contents><Contents><Key>b</Key></Contents></ListBucketResult>"
)


def test_namespaced_documents_are_read_by_local_names() -> None:
    root = parse_xml(LISTING, max_bytes=1 << 20)
    assert root is not None
    assert text_of(root, "Name") == "b"
    assert [text_of(item, "Key") for item in children(root, "Contents")] == ["a", "b"]
    assert child(root, "Missing") is None


@pytest.mark.parametrize(
    "body",
    [
        b'<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>',
        b'<?xml version="1.0" encoding="UTF-16"?><x/>',
        b"<x>\x00</x>",
        b"<x><unclosed></x>",
        b"",
    ],
)
def test_unsafe_or_broken_documents_are_refused(body: bytes) -> None:
    assert parse_xml(body, max_bytes=1 << 20) is None


def test_the_size_limit_is_enforced() -> None:
    assert parse_xml(LISTING, max_bytes=len(LISTING) - 1) is None
    assert parse_xml(LISTING, max_bytes=len(LISTING)) is not None


def test_bodyless_answers_get_a_code_from_their_status() -> None:
    parser = first_of(parse_xml_error, status_error_parser({404: "NotFound", 412: "PreconditionFailed"}))
    assert parser(404, {}, b"").code == "NotFound"
    assert parser(412, {}, b"  ").code == "PreconditionFailed"
    assert parser(500, {}, b"").code is None
    assert parser(404, {}, b"<Error><Code>NoSuchKey</Code></Error>").code == "NoSuchKey"
    assert parser(404, {}, b"<html>proxy page</html>").code is None
