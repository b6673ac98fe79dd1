"""XML in and out for the bucket services: building response documents, reading request bodies.

Requests are read whole only up to a limit, must not declare a DTD (no entity expansion), and are
matched on local element names so a namespace (S3's) or none (COS, many clients) both work.
"""

from __future__ import annotations

import time
from typing import Iterable, List, Optional, Sequence, Tuple, Union
from xml.etree import ElementTree

from cassdk_like.emulator.objectstore.errors import malformed_xml
from cassdk_like.emulator.wire import Response

__all__ = [
    "MAX_XML_BODY",
    "Node",
    "child_text",
    "children",
    "iso_time",
    "local",
    "parse_xml",
    "render",
    "xml_response",
]

#: request documents larger than this are refused as malformed (S3's own limits are lower)
MAX_XML_BODY = 2 * 1024 * 1024

#: (tag, text) or (tag, [child nodes]); a None text leaves the element out
Node = Tuple[str, Union[str, Sequence["Node"], None]]


def iso_time(timestamp: float) -> str:
    """``2009-10-12T17:50:30.000Z``, the timestamp form of S3's XML."""
    whole = int(timestamp)
    millis = int((timestamp - whole) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"


def _build(parent: ElementTree.Element, nodes: Iterable[Node]) -> None:
    for tag, content in nodes:
        if content is None:
            continue
        element = ElementTree.SubElement(parent, tag)
        if isinstance(content, str):
            element.text = content
        else:
            _build(element, content)


def render(
    root: str, nodes: Iterable[Node], xmlns: Optional[str] = None, text: Optional[str] = None
) -> bytes:
    """A document: ``root`` holding ``nodes`` (or, for a one-element document, ``text``)."""
    element = ElementTree.Element(root)
    if xmlns:
        element.set("xmlns", xmlns)
    element.text = text
    _build(element, nodes)
    document: bytes = ElementTree.tostring(element, encoding="utf-8")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + document


def xml_response(
    status: int,
    root: str,
    nodes: Iterable[Node],
    xmlns: Optional[str] = None,
    headers: Optional[List[Tuple[str, str]]] = None,
    text: Optional[str] = None,
) -> Response:
    body = render(root, nodes, xmlns, text)
    return Response(status, [("Content-Type", "application/xml"), *(headers or [])], body)


def local(tag: str) -> str:
    """An element's name without its namespace."""
    return tag.rsplit("}", 1)[-1]


def parse_xml(data: bytes, root: str) -> ElementTree.Element:
    """The document element, which must be named ``root``; MalformedXML otherwise."""
    if not data.strip() or len(data) > MAX_XML_BODY or b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise malformed_xml()
    try:
        element = ElementTree.fromstring(data)  # noqa: S314 - DTDs and entities were refused above
    except ElementTree.ParseError:
        raise malformed_xml() from None
    if local(element.tag) != root:
        raise malformed_xml()
    return element


def children(element: ElementTree.Element, name: str) -> List[ElementTree.Element]:
    return [child for child in element if local(child.tag) == name]


def child_text(element: ElementTree.Element, name: str) -> Optional[str]:
    """The text of the first child called ``name`` ("" when it is empty), None when there is none."""
    for child in element:
        if local(child.tag) == name:
            return child.text or ""
    return None
