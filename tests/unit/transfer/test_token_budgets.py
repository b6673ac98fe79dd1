"""The emulator's shared-token budgets (docs/transfer.md §8.4): what counts as a redemption, what a
file's byte budget allows and charges, and what amending and closing a token's grant change."""

from __future__ import annotations

import hashlib
import io
from typing import Dict, List, Optional

import pytest

from cassdk_like.emulator.errors import ApiError
from cassdk_like.emulator.faults import Decision
from cassdk_like.emulator.objectstore.budgets import REDEMPTION_HEADER, charge_of
from cassdk_like.emulator.objectstore.grants import GrantRegistry
from cassdk_like.emulator.wire import BodyReader, Request, Response

PROOF = "p" * 20
SIZE = 1000


def digest(signature: str) -> str:
    return hashlib.sha256(signature.encode()).hexdigest()


def get(signature: str, rid: Optional[str] = "r1", byte_range: Optional[str] = None) -> Request:
    headers: Dict[str, str] = {}
    if rid is not None:
        headers[REDEMPTION_HEADER] = rid
    if byte_range is not None:
        headers["range"] = byte_range
    return Request("GET", "/b/k", [("X-Amz-Signature", signature)], headers, BodyReader(io.BytesIO(), 0))


def registry(limit: Optional[int], now: List[float]) -> GrantRegistry:
    found = GrantRegistry(lambda: now[0])
    signatures = ["doc", "f0", "f1"]
    found.register(
        {
            "uid": "tok-1",
            "signature_sha256": [digest(s) for s in signatures],
            "proof_sha256": hashlib.sha256(PROOF.encode()).hexdigest(),
            "expires_at": 2000,
            "token": {
                "limit": limit,
                "document_sha256": [digest("doc")],
                "files": {digest("f0"): [0, SIZE], digest("f1"): [1, 10]},
            },
        }
    )
    return found


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, SIZE),
        ("bytes=0-0", 1),
        ("bytes=100-199", 100),
        ("bytes=900-", 100),
        ("bytes=-50", 50),
        ("bytes=990-5000", 10),
        ("bytes=0-9,20-29", SIZE),
        ("junk", SIZE),
        ("bytes=2000-", 0),
    ],
)
def test_a_request_is_charged_the_bytes_of_its_range(header: Optional[str], expected: int) -> None:
    assert charge_of(header, SIZE) == expected


def test_reading_the_document_never_counts_a_redemption() -> None:
    grants = registry(1, [1000.0])
    for rid in ("a", "b", "c"):
        assert grants.refusal(get("doc", rid)) is None
    assert grants.describe("tok-1")["token"]["redemptions"] == 0


def test_the_limit_refuses_a_new_redemption_on_the_document_and_on_files() -> None:
    grants = registry(1, [1000.0])
    assert grants.refusal(get("f1", "a")) is None  # the first file request starts redemption a
    assert grants.refusal(get("doc", "a")) is None  # a started redemption may read the document again
    assert "download limit" in str(grants.refusal(get("doc", "b")))
    assert "download limit" in str(grants.refusal(get("f0", "b")))
    assert grants.refusal(get("f0", "a")) is None
    described = grants.describe("tok-1")
    assert described["token"] == {"limit": 1, "redemptions": 1, "closed": False}
    assert described["requests_refused"] == 2


def test_a_redemption_may_probe_retry_and_resume_but_not_fetch_a_second_copy() -> None:
    grants = registry(1, [1000.0])
    assert grants.refusal(get("f0", byte_range="bytes=0-0")) is None  # the size probe: 1
    assert grants.refusal(get("f0", byte_range="bytes=0-499")) is None  # 501
    assert grants.refusal(get("f0", byte_range="bytes=300-499")) is None  # a range resumed: 701
    assert grants.refusal(get("f0", byte_range="bytes=500-")) is None  # 1201 of 1000 + 250 + 1
    assert "budget" in str(grants.refusal(get("f0", byte_range="bytes=0-99")))  # 1301: refused
    assert grants.refusal(get("f0", byte_range="bytes=0-49")) is None  # 1251: still within


def test_without_a_limit_nothing_is_refused_for_volume() -> None:
    grants = registry(None, [1000.0])
    for rid in ("a", "b", "c", "d"):
        assert grants.refusal(get("f0", rid)) is None
        assert grants.refusal(get("f0", rid)) is None
    assert grants.describe("tok-1")["token"]["redemptions"] == 4


def test_amending_replaces_the_urls_keeps_the_counts_and_moves_the_expiry() -> None:
    now = [1000.0]
    grants = registry(2, now)
    assert grants.refusal(get("f0", "a")) is None
    grants.amend("tok-1", {"proof": PROOF, "expires_at": 5000, "files": {digest("g0"): [0, SIZE]}})
    assert "replaced" in str(grants.refusal(get("f0", "a")))
    assert "budget" in str(grants.refusal(get("g0", "a")))  # file 0 already served in full to a
    now[0] = 4000.0  # past the first expiry, before the amended one
    assert grants.refusal(get("g0", "b")) is None  # a second redemption: the budget grows by a copy
    assert "download limit" in str(grants.refusal(get("doc", "c")))
    now[0] = 5001.0
    assert "expired" in str(grants.refusal(get("g0", "b")))


def test_closing_refuses_new_redemptions_and_lets_a_started_one_finish() -> None:
    grants = registry(None, [1000.0])
    assert grants.refusal(get("f0", "a", "bytes=0-99")) is None
    grants.amend("tok-1", {"proof": PROOF, "close": True})
    assert "deleted" in str(grants.refusal(get("doc", "b")))
    assert "deleted" in str(grants.refusal(get("f1", "b")))
    assert grants.refusal(get("f0", "a", "bytes=100-")) is None


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"proof": "wrong proof here"}, 403),
        ({}, 403),
        ({"proof": PROOF, "expires_at": "soon"}, 400),
        ({"proof": PROOF, "files": {"nothex": [0, 1]}}, 400),
        ({"proof": PROOF, "close": "yes"}, 400),
    ],
)
def test_an_amendment_needs_the_proof_and_well_formed_fields(changes: Dict[str, object], status: int) -> None:
    grants = registry(1, [1000.0])
    with pytest.raises(ApiError) as refused:
        grants.amend("tok-1", changes)
    assert refused.value.status == status
    assert grants.refusal(get("f0", "a")) is None  # nothing changed


def test_a_plain_par_grant_cannot_be_amended() -> None:
    grants = GrantRegistry(lambda: 0.0)
    grants.register(
        {
            "uid": "par-1",
            "signature_sha256": [digest("s")],
            "proof_sha256": hashlib.sha256(PROOF.encode()).hexdigest(),
            "expires_at": 10,
        }
    )
    with pytest.raises(ApiError) as refused:
        grants.amend("par-1", {"proof": PROOF, "close": True})
    assert refused.value.status == 400
    assert grants.describe("par-1")["token"] is None


def test_a_token_budget_must_cover_only_registered_signatures() -> None:
    grants = GrantRegistry(lambda: 0.0)
    with pytest.raises(ApiError) as refused:
        grants.register(
            {
                "uid": "tok-2",
                "signature_sha256": [digest("doc")],
                "proof_sha256": hashlib.sha256(PROOF.encode()).hexdigest(),
                "expires_at": 10,
                "token": {"limit": 1, "document_sha256": [digest("doc")], "files": {digest("x"): [0, 1]}},
            }
        )
    assert refused.value.status == 400


def _answered(request: Request, grants: GrantRegistry, status: int, length: int, cut: Optional[int]) -> None:
    grants.settle(request, Response(status, body=b"x" * length), Decision(cut_after=cut))


def test_a_request_is_charged_only_what_the_answer_sends() -> None:
    grants = registry(1, [1000.0])
    first = get("f0", byte_range="bytes=0-999")
    first.request_id = "req-1"
    assert grants.refusal(first) is None
    _answered(first, grants, 206, 1000, cut=300)  # the body was cut after 300 bytes
    for attempt, byte_range in enumerate(("bytes=300-999", "bytes=300-999", "bytes=300-999")):
        retry = get("f0", byte_range=byte_range)
        retry.request_id = f"retry-{attempt}"
        assert grants.refusal(retry) is None  # 700 reserved each time: 300 + 700 <= 1251
        _answered(retry, grants, 503 if attempt < 2 else 206, 700, cut=None)  # two errors, then the body
    spent = get("f0", byte_range="bytes=0-299")
    assert "budget" in str(grants.refusal(spent))  # 1000 sent + 300 > 1251: no second copy


def test_an_unanswered_request_gives_its_reservation_back() -> None:
    grants = registry(1, [1000.0])
    for attempt in range(5):
        broken = get("f0")
        broken.request_id = f"broken-{attempt}"
        assert grants.refusal(broken) is None
        grants.settle(broken, None, Decision())  # the pipeline raised: nothing was sent
    assert grants.refusal(get("f0")) is None
