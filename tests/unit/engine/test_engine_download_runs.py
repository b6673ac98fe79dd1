"""File downloads whose requests cover runs of several pieces (engine.planner + PieceFetcher.fetch_run)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import List, Set, Tuple

import pytest

from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.exceptions import HashDoesNotMatchError, TransferCancelledError
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.core.integrity import MiB, tree_hash
from cassdk_like.engine import CancelToken, TransferConfig, download_to_path, partial_paths
from tests.helpers.engine_fakes import FakeFault, FakeSource

FAST = RetryPolicy(total_attempts=4, backoff_base=0.0, backoff_cap=0.0)
# one worker, 1 MiB pieces, runs of up to 4 MiB once the first request has been measured
RUNS = TransferConfig(
    max_workers=1,
    piece_size=MiB,
    max_request_size=4 * MiB,
    request_seconds=60.0,
    io_chunk_size=256 * 1024,
    retry_policy=FAST,
    journal_interval=0,
    poll_interval=0.02,
)


def spans(source: FakeSource) -> List[Tuple[int, int]]:
    return [(r.start // MiB, (r.end + 1) // MiB) for r in source.requests]


def test_after_the_first_request_one_get_covers_an_aligned_run_of_pieces(tmp_path: Path) -> None:
    data = os.urandom(12 * MiB)
    source = FakeSource(data)
    result = download_to_path(source, tmp_path / "o", config=RUNS)
    assert (tmp_path / "o").read_bytes() == data
    # piece 0 alone (no measurement yet), 1 alone (odd start), then aligned power-of-two runs
    assert spans(source) == [(0, 1), (1, 2), (2, 4), (4, 8), (8, 12)]
    assert result.requests == 5
    assert result.pieces_fetched == 12
    assert result.verified


def test_the_servers_hash_of_a_run_vouches_for_every_piece_in_it(tmp_path: Path) -> None:
    data = os.urandom(8 * MiB)
    dest = tmp_path / "o"
    _temp, journal_path = partial_paths(dest)
    journals: List[List[List[object]]] = []

    def read_journal(byte_range: ByteRange, pos: int) -> None:
        if byte_range.start == 4 * MiB and pos == 0:
            deadline = time.monotonic() + 5  # the journal is committed by a background thread
            while time.monotonic() < deadline:
                pieces = json.loads(Path(journal_path).read_text())["pieces"]
                if {2, 3} <= {entry[0] // MiB for entry in pieces}:
                    break
                time.sleep(0.01)
            journals.append(pieces)

    source = FakeSource(data, read_hook=read_journal)
    download_to_path(source, dest, config=RUNS)
    assert spans(source) == [(0, 1), (1, 2), (2, 4), (4, 8)]
    # the fake sends the tree hash of every tree-aligned range: the run 2..4 came with one
    assert "x-cas-sha256-tree-hash" in source.responses[2].headers
    # when the last run started, the pieces of run 2..4 were journaled as verified by that hash
    pieces = {entry[0] // MiB: entry for entry in journals[0]}  # [offset, length, hash, verified]
    assert pieces[2][3] is True
    assert pieces[3][3] is True
    assert pieces[2][2] == tree_hash(data[2 * MiB : 3 * MiB])
    assert pieces[3][2] == tree_hash(data[3 * MiB : 4 * MiB])


def test_a_run_that_fails_its_hash_is_refetched_whole_and_its_pieces_never_journaled_verified_before(
    tmp_path: Path,
) -> None:
    """Pieces of a run are journaled as they arrive (a crash then loses one piece per worker, not a
    run), but only as unverified: a resume hashes them from disk and the whole-output check decides."""
    data = os.urandom(8 * MiB)
    journaled: List[List[int]] = []
    dest = tmp_path / "o"
    _temp, journal_path = partial_paths(dest)

    def snapshot(byte_range: ByteRange, pos: int) -> None:
        if byte_range.start == 4 * MiB and pos == 0 and os.path.exists(journal_path):
            doc = json.loads(Path(journal_path).read_text())
            journaled.append(sorted(p[0] // MiB for p in doc["pieces"] if p[3]))

    source = FakeSource(
        data, faults=[FakeFault("corrupt", start=4 * MiB, after=3 * MiB + 5)], read_hook=snapshot
    )
    result = download_to_path(source, dest, config=RUNS)
    assert dest.read_bytes() == data
    assert spans(source) == [(0, 1), (1, 2), (2, 4), (4, 8), (4, 8)]
    assert result.bytes_fetched == 12 * MiB  # the bad 4 MiB run twice
    # when the run was fetched again, none of its pieces (4..7) had been recorded as verified
    assert journaled
    assert not {4, 5, 6, 7} & set(journaled[-1])


def test_a_run_failing_its_hash_every_time_raises_and_names_its_bytes(tmp_path: Path) -> None:
    data = os.urandom(4 * MiB)
    source = FakeSource(data, faults=[FakeFault("bad_hash", start=2 * MiB, times=-1)])
    with pytest.raises(HashDoesNotMatchError, match=f"bytes {2 * MiB}-{4 * MiB - 1}"):
        download_to_path(source, tmp_path / "o", config=RUNS)
    assert not (tmp_path / "o").exists()


def test_a_cut_inside_a_run_resumes_from_the_current_byte_and_keeps_each_pieces_hash(tmp_path: Path) -> None:
    data = os.urandom(8 * MiB)
    cut = MiB + 12345  # inside the second piece of the run 4..8
    source = FakeSource(data, faults=[FakeFault("cut", start=4 * MiB, after=cut)])
    result = download_to_path(source, tmp_path / "o", config=RUNS)
    assert (tmp_path / "o").read_bytes() == data
    assert [(r.start, r.end) for r in source.requests][-2:] == [
        (4 * MiB, 8 * MiB - 1),
        (4 * MiB + cut, 8 * MiB - 1),
    ]
    assert result.bytes_fetched == len(data)
    assert result.verified  # the resumed run was still checked against the first answer's hash


def test_without_server_hashes_pieces_are_journaled_as_soon_as_they_are_in(tmp_path: Path) -> None:
    """A run cancelled half-way keeps the pieces it finished: a resume fetches only the rest."""
    data = os.urandom(8 * MiB)
    dest = tmp_path / "o"
    token = CancelToken()

    def cancel_mid_run(byte_range: ByteRange, pos: int) -> None:
        if byte_range.start == 4 * MiB and pos >= 2 * MiB + 10:
            token.cancel("test")

    source = FakeSource(data, send_hash=False, read_hook=cancel_mid_run)
    with pytest.raises(TransferCancelledError):
        download_to_path(source, dest, config=RUNS, cancel_token=token)
    _temp, journal_path = partial_paths(dest)
    doc = json.loads(Path(journal_path).read_text())
    assert sorted(p[0] // MiB for p in doc["pieces"]) == [
        0,
        1,
        2,
        3,
        4,
        5,
    ]  # [offset, length, hash, verified]
    assert not any(p[3] for p in doc["pieces"])

    again = FakeSource(data, send_hash=False)
    result = download_to_path(again, dest, config=RUNS)
    assert dest.read_bytes() == data
    assert result.pieces_resumed == 6
    assert spans(again) == [(6, 7), (7, 8)]  # one piece, then (measured) the last one
    assert result.verified  # the whole-output check against the job's tree hash


def test_max_request_size_equal_to_the_piece_size_keeps_one_request_per_piece(tmp_path: Path) -> None:
    data = os.urandom(6 * MiB)
    source = FakeSource(data)
    download_to_path(
        source, tmp_path / "o", config=TransferConfig(max_workers=1, piece_size=MiB, max_request_size=MiB)
    )
    assert spans(source) == [(i, i + 1) for i in range(6)]


def test_pieces_of_a_vouched_run_are_journaled_as_they_arrive(tmp_path: Path) -> None:
    """A crash in the middle of a 4-piece run loses at most the piece being received, not the run."""
    data = os.urandom(8 * MiB)
    dest = tmp_path / "o"
    _temp, journal_path = partial_paths(dest)
    seen: List[Set[int]] = []

    def inside_the_last_piece(byte_range: ByteRange, pos: int) -> None:
        if byte_range.start == 4 * MiB and pos == 3 * MiB + 256 * 1024 and not seen:
            deadline = time.monotonic() + 5  # the journal is committed by a background thread
            got: Set[int] = set()
            while time.monotonic() < deadline:
                got = {entry[0] // MiB for entry in json.loads(Path(journal_path).read_text())["pieces"]}
                if {4, 5, 6} <= got:
                    break
                time.sleep(0.01)
            seen.append(got)

    source = FakeSource(data, read_hook=inside_the_last_piece)
    result = download_to_path(source, dest, config=RUNS)
    assert spans(source) == [(0, 1), (1, 2), (2, 4), (4, 8)]
    assert "x-cas-sha256-tree-hash" in source.responses[3].headers  # the run is vouched for
    assert {4, 5, 6} <= seen[0]  # journaled before the run's last byte arrived
    assert 7 not in seen[0]
    assert result.verified
    assert result.pieces_fetched == 8
