"""Priority lane rules (every bad input a typed error) and the weighted share that enforces them."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.transfer.errors import LaneConfigError
from cassdk_like.transfer.lanes import DEFAULT_LANES, LaneShare, check_lane_change, validate_lanes


def test_the_default_lanes_follow_the_rules() -> None:
    assert validate_lanes(DEFAULT_LANES) == {"High": 0.7, "Normal": 0.25, "Low": 0.05, "Idle": 0.0}


def test_names_are_stripped_and_a_float_sum_within_tolerance_passes() -> None:
    assert validate_lanes({" a ": 0.1, "b": 0.2, "c": 0.7}) == {"a": 0.1, "b": 0.2, "c": 0.7}


@pytest.mark.parametrize(
    ("lanes", "words"),
    [
        ([("a", 1.0)], "a dict"),
        ({}, "at least one lane"),
        ({"": 1.0}, "blank"),
        ({"  ": 1.0}, "blank"),
        ({3: 1.0}, "blank"),
        ({"a": 0.5, " a": 0.5}, "unique"),
        ({"a": 0.5, "b": 0.4}, "sum to 1.0"),
        ({"a": 1.2, "b": -0.2}, "0.0 to 1.0"),
        ({"a": True}, "0.0 to 1.0"),
        ({"a": "1"}, "0.0 to 1.0"),
        ({"a": float("nan")}, "0.0 to 1.0"),
        ({"a": 1.0, "b": 0.0, "c": 0.0}, "at most one lane may be idle"),
    ],
)
def test_bad_lanes_are_typed_errors(lanes: Any, words: str) -> None:
    with pytest.raises(LaneConfigError, match=words) as caught:
        validate_lanes(lanes, resource="destination dst-1")
    assert isinstance(caught.value, InvalidArgumentError)
    assert caught.value.operation == "setPriorityLanes"
    assert "dst-1" in str(caught.value)


def test_while_transfers_run_the_count_is_fixed_and_busy_lanes_keep_their_names() -> None:
    now = {"a": 0.5, "b": 0.5}
    check_lane_change(now, {"a": 0.9, "b": 0.1}, {"a", "b"}, in_progress=True)  # rates may change
    check_lane_change(now, {"a": 1.0}, set(), in_progress=False)  # anything goes when idle
    with pytest.raises(LaneConfigError, match="number of lanes"):
        check_lane_change(now, {"a": 1.0}, {"a"}, in_progress=True)
    with pytest.raises(LaneConfigError, match="renamed"):
        check_lane_change(now, {"a": 0.5, "c": 0.5}, {"b"}, in_progress=True)


def _run(share: LaneShare, ready: Any, picks: int, size: int = 100) -> Counter[str]:
    taken: Counter[str] = Counter()
    for _ in range(picks):
        lane = share.pick(ready)
        assert lane is not None
        share.charge(lane, size)
        taken[lane] += size
    return taken


def test_busy_lanes_get_their_proportions() -> None:
    share = LaneShare(DEFAULT_LANES)
    taken = _run(share, {"High", "Normal", "Low", "Idle"}, 2000)
    total = sum(taken.values())
    assert taken["Idle"] == 0
    for lane in ("High", "Normal", "Low"):
        assert abs(taken[lane] / total - DEFAULT_LANES[lane]) < 0.01, lane


def test_an_empty_lanes_share_goes_to_the_busy_ones() -> None:
    share = LaneShare(DEFAULT_LANES)
    taken = _run(share, {"Normal", "Low"}, 3000)
    assert abs(taken["Normal"] / 3000 / 100 - 0.25 / 0.30) < 0.01


def test_the_idle_lane_sends_only_when_the_others_are_empty() -> None:
    share = LaneShare(DEFAULT_LANES)
    assert share.pick({"Idle", "Low"}) == "Low"
    assert share.pick({"Idle"}) == "Idle"
    assert share.pick(set()) is None


def test_a_waking_lane_gets_no_credit_for_its_quiet_time() -> None:
    share = LaneShare({"a": 0.5, "b": 0.5})
    _run(share, {"a"}, 100)
    taken = _run(share, {"a", "b"}, 100)
    assert taken["a"] == taken["b"]


def test_proportions_change_live() -> None:
    share = LaneShare({"a": 0.5, "b": 0.5})
    _run(share, {"a", "b"}, 10)
    share.set_lanes({"a": 0.9, "b": 0.1})
    taken = _run(share, {"a", "b"}, 1000)
    assert abs(taken["a"] / 100_000 - 0.9) < 0.02
