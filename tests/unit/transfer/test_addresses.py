"""Destination addresses: what parses, how it is normalised, and every refusal a typed error."""

from __future__ import annotations

from pathlib import Path

import pytest

from cassdk_like.core.cancel import CancelToken
from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.transfer.destinations import (
    Address,
    ConnectionSettings,
    FolderDestination,
    join_key,
    parse_address,
)
from cassdk_like.transfer.errors import InvalidDestinationError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("s3://photos/2024/june/", Address("s3", "photos", "2024/june")),
        ("s3://photos", Address("s3", "photos", "")),
        ("S3://photos//a", Address("s3", "photos", "a")),
        ("cos://backup-1250000000/", Address("cos", "backup-1250000000", "")),
        ("cos://backup-1250000000/x/y", Address("cos", "backup-1250000000", "x/y")),
        ("cas://archive-vault", Address("cas", "archive-vault", "")),
        ("file:///srv/backup/", Address("file", "/srv/backup", "")),
        ("file:///srv/with%20space", Address("file", "/srv/with space", "")),
    ],
)
def test_addresses_parse_and_normalise(text: str, expected: Address) -> None:
    assert parse_address(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("photos", "SCHEME://"),
        (42, "SCHEME://"),
        ("ftp://host/x", "unknown scheme"),
        ("s3:///prefix", "no bucket name"),
        ("cas://", "no vault name"),
        ("cas://vault/prefix", "no prefix"),
        ("cos://backup/", "<name>-<appid>"),
        ("cos://backup-12ab/", "<name>-<appid>"),
        ("file://relative/dir", "absolute"),
        ("s3://bucket/a/../b", "'..'"),
    ],
)
def test_bad_addresses_are_typed_errors_naming_the_address(text: object, words: str) -> None:
    with pytest.raises(InvalidDestinationError, match=words) as caught:
        parse_address(text)
    assert isinstance(caught.value, InvalidArgumentError)
    assert caught.value.operation == "createDestination"
    assert repr(text) in str(caught.value)


def test_str_gives_the_normalised_address_back() -> None:
    for text in ("s3://b/p/q", "cos://b-1250000000", "cas://v", "file:///tmp/x"):
        assert str(parse_address(text)) == text


def test_keys_join_without_empty_segments() -> None:
    assert join_key("pre", "/backup/", "/a/b.txt") == "pre/backup/a/b.txt"
    assert join_key("", "", "a") == "a"


def test_settings_never_show_their_secrets() -> None:
    settings = ConnectionSettings(endpoint="http://h", secret_id="AKID", secret_key="s3cr3t-value")
    assert "s3cr3t-value" not in repr(settings)
    assert "s3cr3t-value" not in str(settings)


def test_a_folder_destination_puts_a_file_in_place_with_its_mtime(tmp_path: Path) -> None:
    source = tmp_path / "src.bin"
    source.write_bytes(b"x" * 3000)
    mtime_ns = 1_600_000_000_123_456_000
    dest = FolderDestination(parse_address(f"file://{tmp_path / 'out'}"))
    sent = dest.send_file(str(source), "a/b/c.bin", mtime_ns=mtime_ns, cancel_token=CancelToken())
    target = tmp_path / "out" / "a" / "b" / "c.bin"
    assert sent == 3000
    assert target.read_bytes() == source.read_bytes()
    assert target.stat().st_mtime_ns == mtime_ns
    found = dest.stat("a/b/c.bin")
    assert found is not None
    assert (found.size, found.mtime_us) == (3000, mtime_ns // 1000)
    assert [p.name for p in target.parent.iterdir()] == ["c.bin"]  # no temporary file left
