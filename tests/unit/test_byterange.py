"""ByteRange: parsing, validation messages, wire forms, alignment checks (docs/vault-protocol.md §3.4)."""

from __future__ import annotations

import pickle
from typing import Optional

import attrs
import pytest

from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.exceptions import InvalidArgumentError, InvalidByteRangeError
from cassdk_like.core.integrity import MiB


@pytest.mark.parametrize(
    "value",
    ["0-1048575", " 0 - 1048575 ", "0-1048575\n", (0, 1048575), [0, 1048575], ByteRange(0, 1048575)],
)
def test_parse_accepted_forms(value: object) -> None:
    parsed = ByteRange.parse(value)  # type: ignore[arg-type]
    assert parsed == ByteRange(0, MiB - 1)
    assert parsed.length == MiB


def test_parse_returns_same_instance_for_byterange() -> None:
    rng = ByteRange(5, 9)
    assert ByteRange.parse(rng) is rng


def test_single_byte_range() -> None:
    rng = ByteRange.parse("7-7")
    assert rng.length == 1
    assert str(rng) == "7-7"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("5-", "open-ended"),
        ("-5", "open-ended"),
        (" 5 - ", "open-ended"),
        ("-5-10", "start-end"),
        ("10-5", "end is before start"),
        ((10, 5), "end is before start"),
        ((-1, 5), "negative"),
        ([0, -5], "negative"),
        ("1.5-3", "start-end"),
        ((0.0, 5), "integers"),
        ((0, 5.0), "integers"),
        ((True, 5), "booleans"),
        ((0, False), "booleans"),
        (("0", "5"), "integers"),
        ((0, 1, 2), "pair"),
        ((5,), "pair"),
        ("", "start-end"),
        ("a-b", "start-end"),
        ("0x10-0x20", "start-end"),
        ("\u0663-\u0665", "start-end"),  # Arabic-Indic digits: int() would accept them
        ("bytes=0-5", "start-end"),
        (b"0-5", "expected"),
        (5, "expected"),
        (None, "expected"),
    ],
)
def test_parse_rejects(value: object, reason: str) -> None:
    with pytest.raises(InvalidByteRangeError) as info:
        ByteRange.parse(value, operation="initiate_job", resource="archive abc")  # type: ignore[arg-type]
    message = str(info.value)
    assert reason in message
    assert message.startswith("initiate_job archive abc: ")
    assert repr(value) in message
    assert isinstance(info.value, InvalidArgumentError)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(("start", "end"), [(-1, 0), (5, 4), (1.0, 2), (True, 3), (0, None)])
def test_constructor_validates(start: object, end: object) -> None:
    with pytest.raises(InvalidByteRangeError):
        ByteRange(start, end)  # type: ignore[arg-type]


def test_frozen_hashable_and_picklable() -> None:
    rng = ByteRange(0, 99)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        rng.start = 1  # type: ignore[misc]
    assert {rng: 1}[ByteRange(0, 99)] == 1
    assert pickle.loads(pickle.dumps(rng)) == rng
    assert ByteRange(0, 99) != ByteRange(0, 100)


def test_wire_forms() -> None:
    rng = ByteRange(1048576, 2097151)
    assert rng.to_header() == "bytes=1048576-2097151"
    assert str(rng) == "1048576-2097151"
    assert ByteRange.parse(str(rng)) == rng
    assert rng.length == MiB


def test_shift() -> None:
    rng = ByteRange(0, MiB - 1).shift(64 * MiB)
    assert rng == ByteRange(64 * MiB, 65 * MiB - 1)
    assert rng.shift(-64 * MiB) == ByteRange(0, MiB - 1)
    with pytest.raises(InvalidByteRangeError):
        ByteRange(0, 5).shift(-1)


def test_check_within() -> None:
    ByteRange(0, 9).check_within(10)
    with pytest.raises(InvalidByteRangeError) as info:
        ByteRange(0, 10).check_within(10, operation="get_job_output", resource="job j1")
    message = str(info.value)
    assert "get_job_output job j1" in message
    assert "0-10" in message
    assert "size 10" in message


@pytest.mark.parametrize(
    ("start", "end", "total"),
    [
        (0, MiB - 1, 10 * MiB),
        (MiB, 4 * MiB - 1, 10 * MiB),  # 3 MiB: MiB-aligned although not tree-aligned
        (2 * MiB, 3 * MiB + 6, 3 * MiB + 7),  # ends at the last byte
        (0, 4, 5),  # tiny archive, whole thing
        (0, 10 * MiB - 1, 10 * MiB),
    ],
)
def test_mib_aligned_accepts(start: int, end: int, total: int) -> None:
    ByteRange(start, end).check_mib_aligned(total)


@pytest.mark.parametrize(
    ("start", "end", "total", "reason"),
    [
        (1, MiB - 1, 10 * MiB, "start must be a multiple"),
        (MiB - 1, 2 * MiB - 1, 10 * MiB, "start must be a multiple"),
        (0, MiB - 2, 10 * MiB, "end + 1 must be a multiple"),
        (0, MiB, 10 * MiB, "end + 1 must be a multiple"),
        (0, 3 * MiB + 5, 3 * MiB + 7, "end + 1 must be a multiple"),  # one byte short of the end
        (0, 10 * MiB, 10 * MiB, "past the last byte"),
    ],
)
def test_mib_aligned_rejects(start: int, end: int, total: int, reason: str) -> None:
    with pytest.raises(InvalidByteRangeError) as info:
        ByteRange(start, end).check_mib_aligned(total, operation="initiate_job", resource="archive a1")
    message = str(info.value)
    assert reason in message
    assert "initiate_job archive a1" in message
    assert f"{start}-{end}" in message


@pytest.mark.parametrize(
    ("header", "expected", "total"),
    [
        ("bytes 0-1048575/3670016", ByteRange(0, MiB - 1), 3670016),
        ("bytes 0-1048575/*", ByteRange(0, MiB - 1), None),
        ("BYTES 5-5/6", ByteRange(5, 5), 6),
        ("  bytes  2 - 9 / 10 ", ByteRange(2, 9), 10),
    ],
)
def test_from_content_range(header: str, expected: ByteRange, total: Optional[int]) -> None:
    assert ByteRange.from_content_range(header) == (expected, total)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "0-5/10",
        "bytes=0-5/10",
        "bytes 0-5",
        "bytes */10",
        "bytes 5-/10",
        "bytes 6-5/10",
        "bytes 0-10/10",
        "bytes -1-5/10",
        "bytes 0-5/x",
        "bytes 0-5/10 extra",
    ],
)
def test_from_content_range_rejects(header: str) -> None:
    with pytest.raises(InvalidByteRangeError) as info:
        ByteRange.from_content_range(header)
    assert repr(header) in str(info.value)


def test_from_content_range_rejects_non_string() -> None:
    with pytest.raises(InvalidByteRangeError):
        ByteRange.from_content_range(None)  # type: ignore[arg-type]
