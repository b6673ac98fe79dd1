"""The XML request documents of the bucket API (docs/bucket-protocol.md §1), built, never templated.

ElementTree escapes every text node, so a key such as ``a<b&c`` cannot break a Delete or Complete
document; the namespace is the dialect's (S3 writes its 2006-03-01 one, COS none).
"""

from __future__ import annotations

from typing import Iterable, Mapping, Optional, Sequence, Tuple
from xml.etree import ElementTree

__all__ = ["complete_document", "create_bucket_document", "delete_document", "tagging_document"]


def _root(name: str, namespace: Optional[str]) -> ElementTree.Element:
    root = ElementTree.Element(name)
    if namespace:
        root.set("xmlns", namespace)
    return root


def _add(parent: ElementTree.Element, name: str, text: Optional[str] = None) -> ElementTree.Element:
    node = ElementTree.SubElement(parent, name)
    if text is not None:
        node.text = text
    return node


def _bytes(root: ElementTree.Element) -> bytes:
    text: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + text


def create_bucket_document(location: str, namespace: Optional[str]) -> bytes:
    """``<CreateBucketConfiguration><LocationConstraint>``."""
    root = _root("CreateBucketConfiguration", namespace)
    _add(root, "LocationConstraint", location)
    return _bytes(root)


def complete_document(
    parts: Sequence[Tuple[int, str, Optional[Tuple[str, str]]]], namespace: Optional[str]
) -> bytes:
    """``<CompleteMultipartUpload>`` of (number, ETag, (checksum element, base64 value) or None),
    numbers ascending."""
    root = _root("CompleteMultipartUpload", namespace)
    for number, etag, checksum in parts:
        part = _add(root, "Part")
        _add(part, "PartNumber", str(number))
        _add(part, "ETag", etag if etag.startswith('"') else f'"{etag}"')
        if checksum:
            _add(part, *checksum)
    return _bytes(root)


def delete_document(keys: Iterable[str], quiet: bool, namespace: Optional[str]) -> bytes:
    """``<Delete>`` of up to 1000 keys; ``Quiet`` answers only with the failures."""
    root = _root("Delete", namespace)
    _add(root, "Quiet", "true" if quiet else "false")
    for key in keys:
        obj = _add(root, "Object")
        _add(obj, "Key", key)
    return _bytes(root)


def tagging_document(tags: Mapping[str, str], namespace: Optional[str]) -> bytes:
    """``<Tagging><TagSet><Tag><Key/><Value/>``."""
    root = _root("Tagging", namespace)
    tag_set = _add(root, "TagSet")
    for key, value in tags.items():
        tag = _add(tag_set, "Tag")
        _add(tag, "Key", key)
        _add(tag, "Value", value)
    return _bytes(root)
