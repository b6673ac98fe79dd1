"""Timestamps: what reduct-py accepts, converted exactly; what cannot be a timestamp is refused."""

from __future__ import annotations

import datetime as dt

import pytest

from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.reduct.timestamps import MAX_TIMESTAMP, parse_rfc3339, to_datetime, to_microseconds

UTC = dt.timezone.utc


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1_700_000_000_123_456, 1_700_000_000_123_456),
        (0, 0),
        (1.000001, 1_000_001),  # rounded, not truncated
        (1_700_000_000.5, 1_700_000_000_500_000),
        (dt.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), 1_704_164_645_678_901),
        ("2024-01-02T03:04:05.678901Z", 1_704_164_645_678_901),
        ("2024-01-02T03:04:05.678901234Z", 1_704_164_645_678_901),
        ("2024-01-02T05:04:05.678901+02:00", 1_704_164_645_678_901),
        (
            "2024-01-02",
            1_704_153_600_000_000
            - int(dt.datetime(2024, 1, 2).astimezone().utcoffset().total_seconds() * 1e6),
        ),  # type: ignore[union-attr]
    ],
)
def test_accepted_forms(value: object, expected: int) -> None:
    assert to_microseconds(value) == expected  # type: ignore[arg-type]


def test_a_naive_datetime_is_local_time_as_python_reads_it() -> None:
    naive = dt.datetime(2024, 1, 2, 3, 4, 5)
    assert to_microseconds(naive) == int(naive.timestamp()) * 1_000_000


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (True, "not a bool"),
        (-1, "before 1970"),
        (float("nan"), "finite"),
        (float("inf"), "finite"),
        (MAX_TIMESTAMP + 1, "largest timestamp"),
        ("yesterday", "ISO-8601"),
        ("2024-13-01", "ISO-8601"),
        (b"123", "not bytes"),
    ],
)
def test_refused_forms_name_the_argument(value: object, words: str) -> None:
    with pytest.raises(InvalidArgumentError, match=words) as caught:
        to_microseconds(value, what="start", operation="query", resource="entry 'e'")  # type: ignore[arg-type]
    assert "start" in str(caught.value)
    assert caught.value.operation == "query"


def test_rfc3339_with_nanoseconds_and_back() -> None:
    moment = parse_rfc3339("2025-06-01T12:00:00.123456789Z")
    assert moment == dt.datetime(2025, 6, 1, 12, 0, 0, 123456, tzinfo=UTC)
    assert to_datetime(to_microseconds(moment)) == moment  # type: ignore[arg-type]
    assert parse_rfc3339("not a time") is None
