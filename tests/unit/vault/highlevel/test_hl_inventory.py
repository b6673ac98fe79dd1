"""Inventory parsing: JSON (both dialects' vault field), CSV with and without a header, bad input."""

from __future__ import annotations

import json

import pytest

from cassdk_like.core.exceptions import BadResponseError
from cassdk_like.vault.highlevel import Inventory, InventoryArchive, parse_inventory

ENTRY = {
    "ArchiveId": "-A_1",
    "ArchiveDescription": "photos 2017",
    "CreationDate": "2017-08-29T08:29:41Z",
    "Size": 1048576,
    "SHA256TreeHash": "AB" * 32,
}


@pytest.mark.parametrize("field", ["VaultQCS", "VaultARN"])
def test_json_inventory(field: str) -> None:
    doc = {field: "qcs-or-arn", "InventoryDate": "2017-08-30T00:00:00Z", "ArchiveList": [ENTRY, ENTRY]}
    inventory = parse_inventory(json.dumps(doc).encode(), "JSON")
    assert inventory.format == "JSON"
    assert inventory.vault_qcs == "qcs-or-arn"
    assert inventory.inventory_date == "2017-08-30T00:00:00Z"
    assert len(inventory) == 2
    assert inventory.size == 2 * 1048576
    assert inventory.archives[0] == InventoryArchive(
        archive_id="-A_1",
        description="photos 2017",
        creation_date="2017-08-29T08:29:41Z",
        size=1048576,
        tree_hash="ab" * 32,
    )


def test_empty_json_inventory() -> None:
    inventory = parse_inventory(b'{"VaultQCS": "q", "InventoryDate": "d", "ArchiveList": []}')
    assert inventory == Inventory(format="JSON", vault_qcs="q", inventory_date="d")


def test_csv_with_a_header_in_any_column_order() -> None:
    data = (
        b"Size,ArchiveId,SHA256TreeHash,CreationDate,ArchiveDescription\r\n"
        b'5,A1,ab,2017-08-29T08:29:41Z,"has, a comma"\r\n'
        b'7,A2,,2017-08-29T08:29:42Z,"has ""quotes"""\r\n'
    )
    inventory = parse_inventory(data, "csv")
    assert inventory.format == "CSV"
    assert [(a.archive_id, a.size, a.description, a.tree_hash) for a in inventory] == [
        ("A1", 5, "has, a comma", "ab"),
        ("A2", 7, 'has "quotes"', None),
    ]


def test_csv_without_a_header_uses_glacier_order() -> None:
    data = b"A1,desc,2017-08-29T08:29:41Z,5,ab\nA2,,2017-08-29T08:29:42Z,6,cd\n"
    inventory = parse_inventory(data, "CSV")
    assert [(a.archive_id, a.description, a.size) for a in inventory] == [("A1", "desc", 5), ("A2", "", 6)]


def test_csv_with_only_four_columns() -> None:
    """The CAS page names four of "five" columns; a missing tree hash column is tolerated."""
    data = b"ArchiveId,ArchiveDescription,CreationDate,Size\nA1,d,2017-08-29T08:29:41Z,5\n"
    assert parse_inventory(data, "CSV").archives[0].tree_hash is None


def test_csv_that_looks_like_yaml_stays_csv() -> None:
    """docs/original-sdk-defects.md #5: the original ran non-JSON through yaml.load; here it is bad CSV."""
    with pytest.raises(BadResponseError, match="Size"):
        parse_inventory(b"ArchiveId: x\n", "CSV")


def test_format_is_sniffed_when_unknown() -> None:
    assert parse_inventory(b' {"ArchiveList": []}').format == "JSON"
    assert parse_inventory(b"A1,d,2017,5,ab\n").format == "CSV"
    assert parse_inventory(b"").format == "CSV"


def test_marker_is_kept() -> None:
    assert parse_inventory(b'{"ArchiveList": []}', marker="M").marker == "M"


@pytest.mark.parametrize(
    ("data", "fmt", "reason"),
    [
        (b"{not json", "JSON", "not valid JSON"),
        (b'{"ArchiveList": {}}', "JSON", "ArchiveList"),
        (b'{"ArchiveList": [{"Size": 1}]}', "JSON", "ArchiveId"),
        (b'{"ArchiveList": [{"ArchiveId": "A", "Size": "big"}]}', "JSON", "Size"),
        (b"A1,d,date,5,ab,extra\n", "CSV", "columns"),
        (b"\xff\xfe", "CSV", "UTF-8"),
    ],
)
def test_malformed_inventories_are_bad_responses(data: bytes, fmt: str, reason: str) -> None:
    with pytest.raises(BadResponseError, match=reason) as info:
        parse_inventory(data, fmt, resource="job 'J1' in vault 'v1'")
    assert info.value.operation == "inventory"
    assert info.value.resource == "job 'J1' in vault 'v1'"
