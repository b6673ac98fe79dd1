"""Reading a service's error answer: one parser per way services report errors.

* :func:`parse_json_error` -- a JSON object with ``code`` (or ``__type``), ``message``, ``type``, and
  the ``x-amzn-ErrorType`` header when the body names no code (CAS, Glacier).
* :func:`parse_xml_error` -- an ``<Error><Code/><Message/><RequestId/></Error>`` document (S3, COS).
* :func:`header_error_parser` -- the message in a header, the status as the code (ReductStore).
* :func:`status_error_parser` -- a code named after the status, for answers without a body (HEAD).

A parser never raises: a proxy's HTML page, a cut body or an empty one gives a :class:`ParsedError`
whose fields are ``None``.  Which parser a request's answer goes through is a fact of the wire
profile that sent it, so services with different formats share one transport and one exception tree.
"""

from __future__ import annotations

import json
from typing import Callable, Mapping, Optional

import attrs

from cassdk_like.core.xmldoc import local_name, parse_xml, text_of

__all__ = [
    "MAX_ERROR_DOCUMENT",
    "ErrorParser",
    "ParsedError",
    "first_of",
    "header_error_parser",
    "parse_json_error",
    "parse_xml_error",
    "status_error_parser",
]

#: error documents larger than this are not parsed (a real one is a few hundred bytes)
MAX_ERROR_DOCUMENT = 64 * 1024


@attrs.frozen
class ParsedError:
    """What a non-2xx answer says about itself; every field ``None`` when it says nothing usable."""

    code: Optional[str] = None
    message: Optional[str] = None
    type: Optional[str] = None
    request_id: Optional[str] = None


#: (status, headers, body) -> ParsedError; must not raise on any body
ErrorParser = Callable[[int, Mapping[str, str], bytes], ParsedError]

_NOTHING = ParsedError()


def _header(headers: Mapping[str, str], name: str) -> Optional[str]:
    """A header by name, whatever the case of the mapping's keys."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, item in headers.items():
        if key.lower() == lowered:
            return item
    return None


def _text(value: object) -> Optional[str]:
    return None if value is None else str(value)


def parse_json_error(status: int, headers: Mapping[str, str], body: bytes) -> ParsedError:
    """``{"code", "message", "type"}`` (keys in any case, ``__type`` for the code, ``ns#Code`` trimmed);
    without a code in the body, the ``x-amzn-ErrorType`` header (``Code:uri`` trimmed)."""
    del status
    fields = _json_fields(body)
    if fields.code is None:
        header = _header(headers, "x-amzn-ErrorType")
        if header is not None:
            code = header.split(":", 1)[0].strip() or None
            fields = attrs.evolve(fields, code=code)
    return fields


def _json_fields(body: bytes) -> ParsedError:
    if not body or len(body) > MAX_ERROR_DOCUMENT:
        return _NOTHING
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _NOTHING
    if not isinstance(doc, dict):
        return _NOTHING
    lowered = {str(k).lower(): v for k, v in doc.items()}
    code = lowered.get("code") or lowered.get("__type")
    return ParsedError(
        code=str(code).split("#")[-1] if code else None,
        message=_text(lowered.get("message")),
        type=_text(lowered.get("type")),
    )


def parse_xml_error(status: int, headers: Mapping[str, str], body: bytes) -> ParsedError:
    """``<Error><Code/><Message/><RequestId/></Error>`` (S3, COS), also wrapped in ``<ErrorResponse>``.

    Documents with a DTD or entity declarations, in an encoding other than UTF-8/ASCII/Latin-1 (where
    a declaration could hide from the scan), or over :data:`MAX_ERROR_DOCUMENT` bytes, are refused
    unread: nothing is expanded or fetched.  Namespaces are ignored.
    """
    del status, headers
    root = parse_xml(body, max_bytes=MAX_ERROR_DOCUMENT)
    if root is None:
        return _NOTHING
    error = (
        root
        if local_name(root.tag) == "Error"
        else next((node for node in root.iter() if local_name(node.tag) == "Error"), None)
    )
    if error is None:
        return _NOTHING
    values = {local_name(child.tag): (child.text or "").strip() for child in error}
    request_id = values.get("RequestId") or text_of(root, "RequestId")
    return ParsedError(
        code=values.get("Code") or None,
        message=values.get("Message") or None,
        request_id=request_id or None,
    )


def header_error_parser(header: str) -> ErrorParser:
    """A parser for services that put the message in ``header`` and leave the body empty
    (ReductStore's ``x-reduct-error``): the code is the HTTP status, as text."""

    def parse(status: int, headers: Mapping[str, str], body: bytes) -> ParsedError:
        del body
        message = _header(headers, header)
        return ParsedError(code=str(status), message=message.strip() if message else None)

    return parse


def status_error_parser(codes: Mapping[int, str]) -> ErrorParser:
    """A parser for answers that carry no body (S3 and COS on HEAD, a 304 or 412): the code is
    ``codes[status]``, so such an answer is still typed; an answer with a body names no code here."""
    table = dict(codes)

    def parse(status: int, headers: Mapping[str, str], body: bytes) -> ParsedError:
        del headers
        if body.strip():
            return _NOTHING
        return ParsedError(code=table.get(status))

    return parse


def first_of(*parsers: ErrorParser) -> ErrorParser:
    """The first of ``parsers`` that finds a code (else the last one's answer), for services whose
    answers come in more than one form (an XML body, or only headers on a HEAD)."""
    if not parsers:
        raise ValueError("first_of needs at least one parser")

    def parse(status: int, headers: Mapping[str, str], body: bytes) -> ParsedError:
        parsed = _NOTHING
        for parser in parsers:
            parsed = parser(status, headers, body)
            if parsed.code is not None:
                return parsed
        return parsed

    return parse
