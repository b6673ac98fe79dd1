"""The crash matrix: SIGKILL a transferring process at fixed points, resume in a new process.

The emulator runs here, in the test process; each transfer runs in a child process
(``crash_child.py``) that is killed with SIGKILL at one of these points, in both dialects:

=========================  ===============================================================
upload, before part 1      initiated; every worker's first Upload Part held at the server
upload, mid-part           2 parts stored; the next part of every worker held at the server
                           while the worker is still sending its 8 MiB body
upload, before complete    every part stored; Complete Multipart Upload held at the server
download, before piece 1   journal started; every worker's first Get Job Output held
download, mid-piece        >= 1 piece per worker journaled, the next ones about a quarter sent
                           (the emulator caps each connection at 2 MiB/s)
download, before rename    every piece fetched and checked; the child stops in the rename
=========================  ===============================================================

A "held" request is a latency rule (``HOLD`` seconds, far longer than the kill takes) matched
by count, paired with a failure rule where the held request must not take effect; the parent
kills as soon as the emulator's counters (or the child's own line) show the point was reached,
so every kill point is deterministic.  A new process then resumes (``upload_archive(upload_id=...)``,
``MultipartUpload.resume`` or ``download_to_file`` again) and must produce the identical archive
(tree hash, bytes) or file (bytes, verified tree hash), sending again at most one part / piece per
worker: bytes received (uploads) or job-output bytes sent (downloads) by the emulator over both
processes, minus the size, is at most ``workers x part/piece size``; the second process sends
exactly what the first had not finished.  (The emulator counts a request body as received when the
request arrives, by its Content-Length: a held part counts whole in the first process, so the
upload cases that kill with parts in flight re-send exactly the bound.)
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import attrs
import pytest

from cassdk_like import CasAPI, CASClient, Vault
from cassdk_like.emulator import Emulator
from cassdk_like.engine import partial_paths
from tests.reliability.crash_world import (
    Child,
    bytes_received,
    journal_pieces,
    requests_of,
    settle,
    sha256_of,
)
from tests.reliability.soak_world import make_file

#: long-running: deselect with ``-m 'not slow'`` (still part of the default run)
pytestmark = pytest.mark.slow

MiB = 1024 * 1024
HOLD = 8.0  # seconds a held request waits at the server; the kill comes within milliseconds
WORKERS = 2
PART = 8 * MiB  # larger than what loopback socket buffers take in (4 MiB + 128 KiB): a held part
#                 upload is provably mid-body
UPLOAD_SIZE = 5 * PART + 3 * MiB + 4321  # 6 parts, the last one short
PIECE = MiB
DOWNLOAD_SIZE = 9 * MiB + 300 * 1024 + 7  # 10 pieces, the last one short
RATE = 2 * MiB  # per connection, for the mid-piece kill
#: the engine's default sizes (8 MiB pieces, requests of up to 64 MiB sized from measurement), for
#: one mid-download kill at full loopback speed: runs of several pieces are in flight at the kill
DEFAULT_PIECE = 8 * MiB
DEFAULT_SIZE = 12 * DEFAULT_PIECE + 3 * MiB + 77  # 13 pieces, the last one short
DEFAULT_KILL_PIECES = 4  # kill once the journal names this many pieces


@attrs.frozen
class Case:
    id: str
    kind: str  # "upload" or "download"
    point: str
    dialect: str
    resume: str = "upload-resume"  # how the new process resumes an upload
    journal_interval: Optional[float] = 0.0  # the child's download journal interval; None: the default
    default_sizes: bool = False  # the child downloads with the engine's default piece and request sizes


POINTS = [
    ("upload", "before-first", "upload-before-first-part"),
    ("upload", "mid", "upload-mid-part"),
    ("upload", "before-complete", "upload-before-complete"),
    ("download", "before-first", "download-before-first-piece"),
    ("download", "mid", "download-mid-piece"),
    ("download", "before-rename", "download-before-rename"),
]
#: every point in both dialects; a CAS upload resumes with upload_archive(upload_id=...), a Glacier
#: one with MultipartUpload.resume
RESUME = {"cas": "upload-resume", "glacier": "upload-resume-mpu"}
CASES = [
    Case(f"{name}-{dialect}", kind, point, dialect, RESUME[dialect])
    for kind, point, name in POINTS
    for dialect in ("cas", "glacier")
]
#: the rename point and the mid-piece point once more with the engine's default journal interval:
#: the journal must name every piece at the rename, and a mid-download kill re-sends at most one
#: piece per worker, as with an explicit interval of 0
DEFAULT_JOURNAL = "download-before-rename-default-journal-cas"
CASES.append(Case(DEFAULT_JOURNAL, "download", "before-rename", "cas", journal_interval=None))
CASES.append(Case("download-mid-piece-default-journal-cas", "download", "mid", "cas", journal_interval=None))
#: and with every download setting at its default (8 MiB pieces, runs of up to 64 MiB): the journal
#: names each piece of a run as it arrives, so a kill loses at most the pieces still arriving
DEFAULT_SIZES = "download-mid-run-default-sizes-cas"
CASES.append(Case(DEFAULT_SIZES, "download", "mid", "cas", journal_interval=None, default_sizes=True))


class World:
    """The emulator, the parent's own clients, and the latest time a held request wakes up."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.clients = {
            d: CASClient(emu.endpoint, emu.appid, emu.secret_id, emu.secret_key, dialect=d)
            for d in ("cas", "glacier")
        }
        self.apis = {d: CasAPI(c) for d, c in self.clients.items()}
        self.held_until = 0.0
        self.results: List[Dict[str, Any]] = []

    def hold(self, count: int, operation: str, *, fail: bool) -> None:
        """Hold the next ``count`` ``operation`` requests for HOLD s; ``fail``: then answer 503."""
        self.emu.faults.add_latency(HOLD, count=count, operation=operation)
        if fail:
            self.emu.faults.fail_next(count, status=503, operation=operation, message="crash matrix: held")
        self.held_until = max(self.held_until, time.monotonic() + HOLD + 1.0)

    def stats(self) -> Dict[str, Any]:
        return self.emu.stats_snapshot()

    def spec(self, case: Case, vault: str, **fields: Any) -> Dict[str, Any]:
        emu = self.emu
        return {
            "endpoint": emu.endpoint,
            "appid": emu.appid,
            "secret_id": emu.secret_id,
            "secret_key": emu.secret_key,
            "dialect": case.dialect,
            "vault": vault,
            "workers": WORKERS,
            "desc": f"crash {case.id}",
            **fields,
        }


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with Emulator(job_delay_scale=0) as emu:
        state = World(emu)
        yield state
        for client in state.clients.values():
            client.close()
        # let held requests wake up and end (on a dead socket) before the emulator goes away
        time.sleep(max(0.0, state.held_until - time.monotonic()))


def _verify_archive(vault: Vault, archive_id: str, tree: str, sha: str, folder: Path) -> None:
    """The service's tree hash of the archive is the file's, and its bytes come back identical."""
    job = vault.retrieve_archive(archive_id, tier="Expedited")
    assert job.retrieval_etag == tree
    check = folder / "check.out"
    result = job.download_to_file(str(check))
    assert result.verified
    assert sha256_of(check) == sha


# -- uploads ----------------------------------------------------------------------------------------


def _upload_case(world: World, case: Case, tmp_path: Path) -> Dict[str, Any]:
    emu, faults = world.emu, world.emu.faults
    source = tmp_path / "source.bin"
    sha, tree = make_file(source, UPLOAD_SIZE, seed=len(case.id))
    vault = Vault.create(world.apis[case.dialect], case.id)
    parts = math.ceil(UPLOAD_SIZE / PART)
    faults.reset()
    stored_at_kill = {"before-first": 0, "mid": 2, "before-complete": parts}[case.point]
    if case.point == "before-first":
        world.hold(WORKERS, "UploadMultipartPart", fail=True)
        held, until = "PUT UploadMultipartPart", WORKERS
    elif case.point == "mid":
        faults.add_latency(0.0, count=stored_at_kill, operation="UploadMultipartPart")  # these go through
        world.hold(WORKERS, "UploadMultipartPart", fail=False)  # then each worker's next part waits mid-body
        held, until = "PUT UploadMultipartPart", stored_at_kill + WORKERS
    else:
        world.hold(1, "CompleteMultipartUpload", fail=True)
        held, until = "POST CompleteMultipartUpload", 1

    def reached() -> bool:
        return first.said("UPLOAD_ID") is not None and requests_of(world.stats(), held) >= until

    emu.stats.reset()
    first = Child(
        world.spec(case, case.id, mode="upload-start", path=str(source), part_size=PART), tmp_path / "1.json"
    )
    first.wait_until(reached, case.point)
    first.kill()
    upload_id = first.said("UPLOAD_ID")
    assert upload_id
    assert first.said("ARCHIVE_ID") is None
    assert faults.rules() == []  # every hold was taken by the first process
    killed = settle(world.stats)
    stored = vault.get_multipart_uploader(upload_id)
    assert sum(1 for h in stored.parts.values() if h) == stored_at_kill
    stored_bytes = stored.size_completed

    before = world.stats()
    second = Child(
        world.spec(case, case.id, mode=case.resume, path=str(source), upload_id=upload_id),
        tmp_path / "2.json",
    )
    lines = second.finish()
    archive_id = second.said("ARCHIVE_ID")
    assert archive_id, lines
    after = world.stats()

    first_bytes = killed["bytes_received"]
    second_bytes = after["bytes_received"] - before["bytes_received"]
    resent = first_bytes + second_bytes - UPLOAD_SIZE
    assert second_bytes == UPLOAD_SIZE - stored_bytes  # exactly the parts not stored
    assert 0 <= resent <= WORKERS * PART
    assert requests_of(after, "POST InitiateMultipartUpload") == 1  # resumed, never restarted
    assert vault.list_all_multipart_uploads() == []
    _verify_archive(vault, archive_id, tree, sha, tmp_path)
    return {"first_process_bytes": first_bytes, "second_process_bytes": second_bytes, "resent_bytes": resent}


# -- downloads --------------------------------------------------------------------------------------


def _download_case(world: World, case: Case, tmp_path: Path) -> Dict[str, Any]:
    emu, faults = world.emu, world.emu.faults
    size, piece = (DEFAULT_SIZE, DEFAULT_PIECE) if case.default_sizes else (DOWNLOAD_SIZE, PIECE)
    source = tmp_path / "source.bin"
    sha, tree = make_file(source, size, seed=len(case.id))
    vault = Vault.create(world.apis[case.dialect], case.id)
    archive_id = vault.upload_archive(str(source), "crash source")
    job = vault.retrieve_archive(archive_id, tier="Expedited")
    dest = tmp_path / "out" / "restored.bin"
    dest.parent.mkdir()
    partial, journal = partial_paths(dest)
    pieces = math.ceil(size / piece)
    faults.reset()
    extra: Dict[str, Any] = {}
    if case.point == "before-first":
        world.hold(WORKERS, "GetJobOutput", fail=True)
    elif case.point == "mid" and not case.default_sizes:
        faults.set_rate_limit(RATE)
    else:
        extra["hold_before_rename"] = True

    def reached() -> bool:
        if case.point == "before-first":
            return requests_of(world.stats(), "GET GetJobOutput") >= WORKERS
        if case.default_sizes:  # full speed: kill once a few pieces are journaled
            return len(journal_pieces(journal)) >= DEFAULT_KILL_PIECES
        if case.point == "mid":  # a piece per worker journaled, the next ones about a quarter sent
            done = journal_pieces(journal)
            in_flight = world.stats()["job_output_bytes_sent"] - sum(length for _, length in done)
            return len(done) >= WORKERS and in_flight >= WORKERS * PIECE // 4
        return first.said("RENAMING") is not None

    emu.stats.reset()
    spec = world.spec(
        case,
        case.id,
        mode="download",
        path=str(dest),
        job_id=job.id,
        piece_size=None if case.default_sizes else PIECE,
        default_sizes=case.default_sizes,
        journal_interval=case.journal_interval,
        **extra,
    )
    first = Child(spec, tmp_path / "1.json")
    first.wait_until(reached, case.point)
    first.kill()
    faults.reset()  # also lifts the rate cap
    assert first.said("DOWNLOADED") is None
    killed = settle(world.stats)
    assert not dest.exists()  # the destination never holds partial bytes
    assert sorted(os.listdir(dest.parent)) == sorted(os.path.basename(p) for p in (partial, journal))
    assert os.path.getsize(partial) == size
    done = journal_pieces(journal)
    journaled = sum(length for _, length in done)
    first_bytes = killed["job_output_bytes_sent"]
    first_requests = requests_of(killed, "GET GetJobOutput")
    received = bytes_received(partial, source)  # what the client itself read before the kill
    if case.point == "before-first":
        assert (first_bytes, done) == (0, [])
    elif case.default_sizes:
        # without a rate cap the emulator sends a body with one sendfile and counts it when that
        # returns, so the client's side tells what was in flight: the bytes it had written
        assert len(done) >= DEFAULT_KILL_PIECES
        assert journaled <= received < size
    elif case.point == "mid":
        assert len(done) >= WORKERS
        assert first_bytes > journaled  # killed with pieces in flight
        assert first_bytes < size
    else:
        assert first_bytes == size  # every piece was fetched before the rename
        assert len(done) == pieces  # ... and journaled: a new process fetches nothing again

    before = world.stats()
    second = Child({**spec, "hold_before_rename": False}, tmp_path / "2.json")
    second.finish()
    result = json.loads(second.said("DOWNLOADED") or "{}")
    after = world.stats()

    second_bytes = after["job_output_bytes_sent"] - before["job_output_bytes_sent"]
    assert second_bytes == size - journaled  # exactly the pieces the journal did not name
    # default sizes: what the killed client had read and the new one fetched again; otherwise what
    # the server sent twice (it counts paced sends as they go)
    resent = received - journaled if case.default_sizes else first_bytes + second_bytes - size
    assert 0 <= resent <= WORKERS * piece
    assert result["verified"] is True
    assert (result["size"], result["tree_hash"], result["pieces_resumed"]) == (size, tree, len(done))
    assert sha256_of(dest) == sha
    assert sorted(os.listdir(dest.parent)) == [dest.name]  # no partial file or journal left
    return {
        "first_process_bytes": first_bytes,
        "second_process_bytes": second_bytes,
        "resent_bytes": resent,
        "pieces_journaled_at_kill": len(done),
        "first_process_requests": first_requests,
        "first_process_bytes_read": received,
        "unit_bytes": piece,
    }


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_kill_and_resume_in_a_new_process(
    world: World,
    case: Case,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    reliability_report: Callable[[str], None],
) -> None:
    run = _upload_case if case.kind == "upload" else _download_case
    figures = run(world, case, tmp_path)
    unit = int(figures.get("unit_bytes", PART if case.kind == "upload" else PIECE))
    row = {"case": case.id, "dialect": case.dialect, "workers": WORKERS, "unit_bytes": unit, **figures}
    world.results.append(row)
    path = tmp_path_factory.getbasetemp() / "crash-matrix.json"
    path.write_text(json.dumps(world.results, indent=2) + "\n", encoding="utf-8")
    reliability_report(
        f"crash matrix: {case.id} ({case.dialect}) survived SIGKILL; re-sent {figures['resent_bytes']} bytes"
        f" (bound {WORKERS} x {unit // MiB} MiB = {WORKERS * unit} bytes)"
    )


def test_the_matrix_covers_every_kill_point() -> None:
    points = {(c.kind, c.point, c.dialect) for c in CASES}
    wanted = {("upload", "before-complete"), ("download", "before-rename")}
    wanted |= {(kind, point) for kind in ("upload", "download") for point in ("before-first", "mid")}
    assert points == {(kind, point, d) for kind, point in wanted for d in ("cas", "glacier")}
    assert {c.resume for c in CASES if c.kind == "upload"} == {"upload-resume", "upload-resume-mpu"}
    assert UPLOAD_SIZE % PART  # a short last part
    assert DOWNLOAD_SIZE % PIECE  # a short last piece
