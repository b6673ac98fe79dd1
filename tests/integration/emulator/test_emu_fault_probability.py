"""Probabilistic fault rules (``probability=`` with a seeded generator), as the fault soak uses them.

Each matching request draws once per probabilistic rule it reaches, from the generator
``Faults.seed`` set; a miss leaves the rule (and its count) for later requests, and lets a later
rule of the same kind apply.  Sequential requests make the outcome exactly predictable from the seed.
"""

from __future__ import annotations

import random
from typing import List

import pytest
import requests

from cassdk_like.emulator import Emulator
from tests.integration.emulator.emu_helpers import Raw, admin, error_of


def _statuses(cas: Raw, count: int) -> List[int]:
    return [cas.request("GET", "/-/vaults").status_code for _ in range(count)]


def test_seeded_probability_fails_exactly_the_predicted_requests(emulator: Emulator, cas: Raw) -> None:
    emulator.faults.seed(1234)
    emulator.faults.fail_next(None, status=503, operation="ListVaults", probability=0.25)
    seen = _statuses(cas, 120)
    draws = random.Random(1234)
    expected = [503 if draws.random() < 0.25 else 200 for _ in range(120)]
    assert seen == expected
    assert 10 <= seen.count(503) <= 50  # the seed gives a real mix, not all or nothing
    emulator.faults.seed(1234)  # the same seed replays the same pattern
    assert _statuses(cas, 120) == expected


def test_count_bounds_the_triggers_and_misses_do_not_use_it_up(emulator: Emulator, cas: Raw) -> None:
    emulator.faults.seed(7)
    rule_id = emulator.faults.fail_next(3, status=500, operation="ListVaults", probability=0.5)
    seen = _statuses(cas, 40)
    assert seen.count(500) == 3
    draws = random.Random(7)
    hits, expected = 0, []
    for _ in range(40):  # the rule draws until its third hit, then it is gone
        hit = hits < 3 and draws.random() < 0.5
        hits += hit
        expected.append(500 if hit else 200)
    assert seen == expected
    assert all(rule["rule_id"] != rule_id for rule in emulator.faults.rules())


def test_a_miss_falls_through_to_the_next_rule_of_the_same_kind(emulator: Emulator, cas: Raw) -> None:
    emulator.faults.seed(99)
    emulator.faults.fail_next(None, status=503, operation="ListVaults", probability=0.5)
    emulator.faults.fail_next(None, status=400, code="ThrottlingException", operation="ListVaults")
    responses = [cas.request("GET", "/-/vaults") for _ in range(30)]
    draws = random.Random(99)
    expected = [503 if draws.random() < 0.5 else 400 for _ in range(30)]
    assert [r.status_code for r in responses] == expected
    assert {error_of(r)[1] for r in responses if r.status_code == 400} == {"ThrottlingException"}


def test_rules_without_probability_draw_nothing(emulator: Emulator, cas: Raw) -> None:
    emulator.faults.seed(5)
    emulator.faults.fail_next(2, status=503, operation="ListVaults")  # probability 1: no draw
    emulator.faults.add_latency(0.0, operation="ListVaults")  # matches every request, never draws
    assert _statuses(cas, 3) == [503, 503, 200]
    emulator.faults.cut_after(0, count=None, operation="ListVaults", probability=0.4)
    emulator.faults.fail_next(None, status=500, operation="ListVaults", probability=0.5)
    draws = random.Random(5)  # untouched so far: the first draw belongs to the fourth request
    expected = []
    for _ in range(30):
        cut = draws.random() < 0.4  # the cut rule is listed first, so it draws first
        failed = draws.random() < 0.5
        expected.append("cut" if cut else ("500" if failed else "200"))  # a cut also cuts an error body
    seen = []
    for _ in range(30):
        try:
            response = cas.request("GET", "/-/vaults")
        except requests.RequestException:  # the body was cut at 0 bytes: a broken answer
            seen.append("cut")
            continue
        # urllib3 1.26 (what Python 3.9 resolves) returns a short body without raising
        short = len(response.content) < int(response.headers.get("Content-Length", "0"))
        seen.append("cut" if short else str(response.status_code))
    assert seen == expected
    assert {"500", "cut", "200"} <= set(seen)
    assert [rule["probability"] for rule in emulator.faults.rules()] == [1.0, 0.4, 0.5]


def test_probability_and_seed_via_admin_endpoint(emulator: Emulator, cas: Raw) -> None:
    assert admin(emulator, "POST", "faults", {"kind": "seed", "seed": 42}).json() == {"seed": 42}
    rule = {"kind": "fail", "count": None, "status": 503, "operation": "ListVaults", "probability": 0.3}
    assert admin(emulator, "POST", "faults", rule).status_code == 200
    assert admin(emulator, "GET", "faults").json()["rules"][0]["probability"] == 0.3
    draws = random.Random(42)
    assert _statuses(cas, 50) == [503 if draws.random() < 0.3 else 200 for _ in range(50)]


@pytest.mark.parametrize("bad", [0, -0.1, 1.5, "0.5", True, None])
def test_bad_probabilities_and_seeds_are_refused(emulator: Emulator, bad: object) -> None:
    answer = admin(emulator, "POST", "faults", {"kind": "fail", "probability": bad})
    assert answer.status_code == 400
    assert "probability" in answer.json()["message"]
    with pytest.raises(ValueError, match="probability"):
        emulator.faults.fail_next(1, probability=bad)  # type: ignore[arg-type]
    assert admin(emulator, "POST", "faults", {"kind": "seed", "seed": "abc"}).status_code == 400
    with pytest.raises(ValueError, match="seed"):
        emulator.faults.seed(1.5)  # type: ignore[arg-type]
    assert admin(emulator, "GET", "faults").json()["rules"] == []
