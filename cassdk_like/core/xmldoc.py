"""Reading XML answers without the risks of XML: one guarded parser for error documents and listings.

Services that answer in XML (S3, COS) are reached through proxies and peers we do not control, so
a body is parsed only when it cannot make the parser expand entities, fetch a DTD or read an
encoding in which the guard below could miss a declaration.  Callers get ``None`` for anything
refused or malformed and decide what that means (an unreadable error, a bad response).
"""

from __future__ import annotations

import re
from typing import Iterator, Optional
from xml.etree import ElementTree

__all__ = ["child", "children", "local_name", "parse_xml", "safe_to_parse", "text_of"]

#: any markup declaration other than a comment or CDATA: a DTD, an entity, ... (refused, never expanded)
_DECLARATION = re.compile(rb"<!(?!--|\[CDATA\[)")
#: the encoding an XML declaration names
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
#: encodings in which the declaration scan above sees every ``<!`` (ASCII-compatible ones)
_SCANNABLE = frozenset({"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1"})


def safe_to_parse(body: bytes, max_bytes: int) -> bool:
    """Non-empty, at most ``max_bytes``, ASCII-compatible (no UTF-16/32, no EBCDIC) and free of DTDs
    and entity declarations."""
    if not body or len(body) > max_bytes or b"\x00" in body:
        return False
    declared = _ENCODING.match(body.lstrip(b"\xef\xbb\xbf"))
    if declared is not None and declared.group(1).decode("ascii").lower() not in _SCANNABLE:
        return False
    return _DECLARATION.search(body) is None


def parse_xml(body: bytes, *, max_bytes: int) -> Optional[ElementTree.Element]:
    """The document's root element, or None when the body is refused (see :func:`safe_to_parse`)
    or is not well-formed XML."""
    if not safe_to_parse(body, max_bytes):
        return None
    try:
        return ElementTree.fromstring(body)  # noqa: S314 - DTDs and entities were refused above
    except (ElementTree.ParseError, ValueError, RecursionError):
        return None


def local_name(tag: object) -> str:
    """An element name without its ``{namespace}`` (S3 answers carry one, COS's none)."""
    return str(tag).rsplit("}", 1)[-1]


def children(node: ElementTree.Element, name: str) -> Iterator[ElementTree.Element]:
    """The direct children called ``name``, whatever their namespace."""
    return (item for item in node if local_name(item.tag) == name)


def child(node: ElementTree.Element, name: str) -> Optional[ElementTree.Element]:
    """The first direct child called ``name``, or None."""
    return next(children(node, name), None)


def text_of(node: ElementTree.Element, name: str) -> Optional[str]:
    """The stripped text of the first child called ``name``; None when absent or empty."""
    found = child(node, name)
    if found is None:
        return None
    return (found.text or "").strip() or None
