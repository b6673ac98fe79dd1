"""Reading a service's error answer: one parser per way services report errors.

* :func:`parse_json_error` -- a JSON object with ``code`` (or ``__type``), ``message``, ``type``, and
  the ``x-amzn-ErrorType`` header when the body names no code (CAS, Glacier).
* :func:`parse_xml_error` -- an ``<Error><Code/><Message/><RequestId/></Error>`` document (S3, COS).
* :func:`header_error_parser` -- the message in a header, the status as the code (ReductStore).

A parser never raises: a proxy's HTML page, a cut body or an empty one gives a :class:`ParsedError`
whose fields are ``None``.  Which parser a request's answer goes through is a fact of the wire
profile that sent it, so services with different formats share one transport and one exception tree.
"""

from __future__ import annotations

import json
import re
from typing import Callable, Mapping, Optional
from xml.etree import ElementTree

import attrs

__all__ = [
    "MAX_ERROR_DOCUMENT",
    "ErrorParser",
    "ParsedError",
    "first_of",
    "header_error_parser",
    "parse_json_error",
    "parse_xml_error",
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


#: any markup declaration other than a comment or CDATA: a DTD, an entity, ... (refused, never expanded)
_DECLARATION = re.compile(rb"<!(?!--|\[CDATA\[)")
#: the encoding an XML declaration names
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
#: encodings in which the declaration scan above sees every ``<!`` (ASCII-compatible ones)
_SCANNABLE = frozenset({"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1"})


def _safe_to_parse(body: bytes) -> bool:
    """Small, ASCII-compatible (no UTF-16/32, no EBCDIC) and free of DTDs and entity declarations."""
    if not body or len(body) > MAX_ERROR_DOCUMENT or b"\x00" in body:
        return False
    declared = _ENCODING.match(body.lstrip(b"\xef\xbb\xbf"))
    if declared is not None and declared.group(1).decode("ascii").lower() not in _SCANNABLE:
        return False
    return _DECLARATION.search(body) is None


def parse_xml_error(status: int, headers: Mapping[str, str], body: bytes) -> ParsedError:
    """``<Error><Code/><Message/><RequestId/></Error>`` (S3, COS), also wrapped in ``<ErrorResponse>``.

    Documents with a DTD or entity declarations, in an encoding other than UTF-8/ASCII/Latin-1 (where
    a declaration could hide from the scan), or over :data:`MAX_ERROR_DOCUMENT` bytes, are refused
    unread: nothing is expanded or fetched.  Namespaces are ignored.
    """
    del status, headers
    if not _safe_to_parse(body):
        return _NOTHING
    try:
        root = ElementTree.fromstring(body)  # noqa: S314 - DTDs and entities were refused above
    except (ElementTree.ParseError, ValueError, RecursionError):
        return _NOTHING
    error = (
        root
        if _local(root.tag) == "Error"
        else next((node for node in root.iter() if _local(node.tag) == "Error"), None)
    )
    if error is None:
        return _NOTHING
    values = {_local(child.tag): (child.text or "").strip() for child in error}
    request_id = values.get("RequestId") or _child_text(root, "RequestId")
    return ParsedError(
        code=values.get("Code") or None,
        message=values.get("Message") or None,
        request_id=request_id or None,
    )


def _local(tag: object) -> str:
    """An element name without its ``{namespace}``."""
    return str(tag).rsplit("}", 1)[-1]


def _child_text(node: ElementTree.Element, name: str) -> Optional[str]:
    for child in node:
        if _local(child.tag) == name:
            return (child.text or "").strip() or None
    return None


def header_error_parser(header: str) -> ErrorParser:
    """A parser for services that put the message in ``header`` and leave the body empty
    (ReductStore's ``x-reduct-error``): the code is the HTTP status, as text."""

    def parse(status: int, headers: Mapping[str, str], body: bytes) -> ParsedError:
        del body
        message = _header(headers, header)
        return ParsedError(code=str(status), message=message.strip() if message else None)

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
