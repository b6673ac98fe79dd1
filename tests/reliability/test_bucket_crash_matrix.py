"""The crash matrix for buckets: SIGKILL an object transfer at fixed points, resume in a new process.

The same kill points as the vault matrix (``test_crash_matrix.py``), on the emulator's S3 and COS
services, with ``Bucket.upload_file`` / ``Bucket.download_file`` in a child process
(``crash_child.py``):

=========================  ===============================================================
upload, before part 1      created; every worker's first Upload Part held at the server
upload, mid-part           2 parts stored; the next part of every worker held while its
                           8 MiB body is still being sent
upload, before complete    every part stored; Complete Multipart Upload held
download, before piece 1   the object's HEAD answered; every worker's first ranged GET held
download, mid-piece        >= 1 piece per worker journaled, the next ones about a quarter sent
download, before rename    every piece fetched and the SHA-256 checked; the child stops in
                           the rename
=========================  ===============================================================

After a crash a user finds the upload with ``Bucket.uploads(prefix=key)`` and passes its id to
``upload_file(upload_id=...)``; a download is simply started again.  The new process must produce
the identical object (ETag of the parts, stored SHA-256, bytes) or file (bytes, verified), send
only what the first process had not finished, and re-send at most one part / piece per worker,
counted at the emulator: request bodies received by the service (uploads) and stored-data bytes
it sent (downloads; error documents are not counted) over both processes.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import attrs
import pytest

from cassdk_like.bucket import Bucket, BucketAPI, BucketClient, COSClient, S3Client
from cassdk_like.emulator import Emulator
from cassdk_like.engine import partial_paths
from tests.reliability.bucket_soak_world import multipart_etag
from tests.reliability.crash_world import (
    Child,
    bytes_received,
    journal_pieces,
    requests_of,
    settle,
    sha256_of,
)
from tests.reliability.soak_world import make_file

pytestmark = pytest.mark.slow

MiB = 1024 * 1024
HOLD = 8.0
WORKERS = 2
PART = 8 * MiB  # more than loopback socket buffers take in: a held part is provably mid-body
UPLOAD_SIZE = 4 * PART + 3 * MiB + 4321  # 5 parts, the last one short
PIECE = MiB
DOWNLOAD_SIZE = 9 * MiB + 300 * 1024 + 7  # 10 pieces, the last one short
RATE = 2 * MiB  # per connection, for the mid-piece kill
COS_REGION = "ap-guangzhou"
#: the Complete Multipart Upload document: the only request body of an upload that is not a part
COMPLETE_BODY_LIMIT = 4096


@attrs.frozen
class Case:
    id: str
    kind: str  # "upload" or "download"
    point: str  # "before-first", "mid", "before-complete" / "before-rename"
    service: str  # "s3" or "cos"


POINTS = [
    ("upload", "before-first"),
    ("upload", "mid"),
    ("upload", "before-complete"),
    ("download", "before-first"),
    ("download", "mid"),
    ("download", "before-rename"),
]
CASES = [Case(f"{kind}-{point}-{svc}", kind, point, svc) for kind, point in POINTS for svc in ("s3", "cos")]


class World:
    """The emulator, one bucket per service, and the latest time a held request wakes up."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        s3 = S3Client(emu.endpoints["s3"], emu.secret_id, emu.secret_key, region="us-east-1")
        cos = COSClient(COS_REGION, emu.appid, emu.secret_id, emu.secret_key, endpoint=emu.endpoints["cos"])
        self.clients: Dict[str, BucketClient] = {"s3": s3, "cos": cos}
        self.buckets = {
            "s3": Bucket.create(BucketAPI(s3), "crash-matrix"),
            "cos": Bucket.create(BucketAPI(cos), f"crash-matrix-{emu.appid}"),
        }
        self.held_until = 0.0

    def hold(self, case: Case, count: int, operation: str, *, fail: bool) -> None:
        """Hold the service's next ``count`` ``operation`` requests for HOLD s; ``fail``: then 503."""
        faults = self.emu.faults
        faults.add_latency(HOLD, count=count, operation=operation, service=case.service)
        if fail:
            faults.fail_next(count, status=503, operation=operation, service=case.service, message="held")
        self.held_until = max(self.held_until, time.monotonic() + HOLD + 1.0)

    def stats(self, case: Case) -> Dict[str, Any]:
        """The case's service's own counters."""
        return dict(self.emu.stats_snapshot()["services"].get(case.service, {"requests": {}}))

    def spec(self, case: Case, key: str, **fields: Any) -> Dict[str, Any]:
        emu = self.emu
        return {
            "service": case.service,
            "endpoint": emu.endpoints[case.service],
            "region": COS_REGION,
            "appid": emu.appid,
            "secret_id": emu.secret_id,
            "secret_key": emu.secret_key,
            "bucket": self.buckets[case.service].name,
            "key": key,
            "workers": WORKERS,
            **fields,
        }


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with Emulator(job_delay_scale=0, region=COS_REGION) as emu:
        state = World(emu)
        yield state
        for client in state.clients.values():
            client.close()
        time.sleep(max(0.0, state.held_until - time.monotonic()))


def _counter(stats: Dict[str, Any], name: str) -> int:
    return int(stats.get(name, 0))


def _verify_object(bucket: Bucket, key: str, source: Path, sha: str, folder: Path) -> None:
    """The object's ETag is the one of its parts, its stored SHA-256 the file's, its bytes identical."""
    obj = bucket.head(key)
    assert obj.etag == multipart_etag(source, PART)
    check = folder / "check.out"
    result = bucket.download_file(key, str(check))
    assert result.verified
    assert sha256_of(check) == sha


def _upload_case(world: World, case: Case, tmp_path: Path) -> Dict[str, Any]:
    faults, bucket = world.emu.faults, world.buckets[case.service]
    source, key = tmp_path / "source.bin", f"uploads/{case.id}.bin"
    sha, _tree = make_file(source, UPLOAD_SIZE, seed=len(case.id))
    parts = math.ceil(UPLOAD_SIZE / PART)
    faults.reset()
    stored_at_kill = {"before-first": 0, "mid": 2, "before-complete": parts}[case.point]
    if case.point == "before-first":
        world.hold(case, WORKERS, "UploadPart", fail=True)
        held, until = "PUT UploadPart", WORKERS
    elif case.point == "mid":
        faults.add_latency(0.0, count=stored_at_kill, operation="UploadPart", service=case.service)
        world.hold(case, WORKERS, "UploadPart", fail=False)
        held, until = "PUT UploadPart", stored_at_kill + WORKERS
    else:
        world.hold(case, 1, "CompleteMultipartUpload", fail=True)
        held, until = "POST CompleteMultipartUpload", 1

    world.emu.stats.reset()
    spec = world.spec(case, key, path=str(source), part_size=PART)
    first = Child({**spec, "mode": "bucket-upload"}, tmp_path / "1.json")
    first.wait_until(lambda: requests_of(world.stats(case), held) >= until, case.point)
    first.kill()
    assert first.said("ETAG") is None
    assert faults.rules() == []  # every hold was taken by the first process
    killed = settle(lambda: world.stats(case))
    found = [u for u in bucket.uploads(prefix=key) if u.key == key]
    assert len(found) == 1  # the killed upload is there to resume, and only it
    upload_id = found[0].upload_id
    stored = list(bucket.api.list_all_parts(bucket.name, key, upload_id))
    assert len(stored) == stored_at_kill
    stored_bytes = sum(part.size for part in stored)

    before = world.stats(case)
    second = Child({**spec, "mode": "bucket-upload-resume", "upload_id": upload_id}, tmp_path / "2.json")
    second.finish()
    assert second.said("ETAG") == multipart_etag(source, PART)
    assert second.said("PARTS") == f"{parts - stored_at_kill} {stored_at_kill}"
    after = world.stats(case)

    first_bytes = _counter(killed, "bytes_received")
    second_bytes = _counter(after, "bytes_received") - _counter(before, "bytes_received")
    complete_body = second_bytes - (UPLOAD_SIZE - stored_bytes)
    assert 0 < complete_body < COMPLETE_BODY_LIMIT  # exactly the missing parts, then Complete
    first_complete = complete_body if case.point == "before-complete" else 0
    resent = first_bytes - first_complete + second_bytes - complete_body - UPLOAD_SIZE
    assert 0 <= resent <= WORKERS * PART
    assert requests_of(after, "POST CreateMultipartUpload") == 1  # resumed, never restarted
    assert list(bucket.uploads(prefix=key)) == []
    _verify_object(bucket, key, source, sha, tmp_path)
    return {"first_process_bytes": first_bytes, "second_process_bytes": second_bytes, "resent_bytes": resent}


def _download_case(world: World, case: Case, tmp_path: Path) -> Dict[str, Any]:
    faults, bucket = world.emu.faults, world.buckets[case.service]
    source, key = tmp_path / "source.bin", f"downloads/{case.id}.bin"
    sha, _tree = make_file(source, DOWNLOAD_SIZE, seed=len(case.id))
    bucket.upload_file(str(source), key)
    dest = tmp_path / "out" / "restored.bin"
    dest.parent.mkdir()
    partial, journal = partial_paths(dest)
    pieces = math.ceil(DOWNLOAD_SIZE / PIECE)
    faults.reset()
    extra: Dict[str, Any] = {}
    if case.point == "before-first":
        world.hold(case, WORKERS, "GetObject", fail=True)
    elif case.point == "mid":
        faults.set_rate_limit(RATE, service=case.service)
    else:
        extra["hold_before_rename"] = True

    def reached() -> bool:
        if case.point == "before-first":
            return requests_of(world.stats(case), "GET GetObject") >= WORKERS
        if case.point == "mid":
            done = journal_pieces(journal)
            sent = _counter(world.stats(case), "stored_bytes_sent")
            in_flight = sent - sum(length for _, length in done)
            return len(done) >= WORKERS and in_flight >= WORKERS * PIECE // 4
        return first.said("RENAMING") is not None

    world.emu.stats.reset()
    spec = world.spec(case, key, mode="bucket-download", path=str(dest), piece_size=PIECE, **extra)
    first = Child(spec, tmp_path / "1.json")
    first.wait_until(reached, case.point)
    first.kill()
    faults.reset()
    faults.set_rate_limit(None, service=case.service)
    assert first.said("DOWNLOADED") is None
    killed = settle(lambda: world.stats(case))
    assert not dest.exists()  # the destination never holds partial bytes
    assert sorted(os.listdir(dest.parent)) == sorted(os.path.basename(p) for p in (partial, journal))
    done = journal_pieces(journal)
    journaled = sum(length for _, length in done)
    first_bytes = _counter(killed, "stored_bytes_sent")
    received = bytes_received(partial, source)
    if case.point == "before-first":
        assert (first_bytes, done) == (0, [])
    elif case.point == "mid":
        assert len(done) >= WORKERS
        assert journaled < first_bytes < DOWNLOAD_SIZE  # killed with pieces in flight
    else:
        assert first_bytes == DOWNLOAD_SIZE
        assert len(done) == pieces  # a new process fetches nothing again

    before = world.stats(case)
    second = Child({**spec, "hold_before_rename": False}, tmp_path / "2.json")
    second.finish()
    result = json.loads(second.said("DOWNLOADED") or "{}")
    after = world.stats(case)
    second_bytes = _counter(after, "stored_bytes_sent") - _counter(before, "stored_bytes_sent")
    assert second_bytes == DOWNLOAD_SIZE - journaled  # exactly the pieces the journal did not name
    resent = first_bytes + second_bytes - DOWNLOAD_SIZE
    assert 0 <= resent <= WORKERS * PIECE
    assert result["verified"] is True
    assert (result["size"], result["pieces_resumed"]) == (DOWNLOAD_SIZE, len(done))
    assert sha256_of(dest) == sha
    assert sorted(os.listdir(dest.parent)) == [dest.name]
    return {
        "first_process_bytes": first_bytes,
        "second_process_bytes": second_bytes,
        "resent_bytes": resent,
        "pieces_journaled_at_kill": len(done),
        "first_process_bytes_read": received,
    }


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_kill_and_resume_in_a_new_process(
    world: World, case: Case, tmp_path: Path, reliability_report: Callable[[str], None]
) -> None:
    run = _upload_case if case.kind == "upload" else _download_case
    figures = run(world, case, tmp_path)
    unit = PART if case.kind == "upload" else PIECE
    reliability_report(
        f"bucket crash matrix: {case.id} survived SIGKILL; re-sent {figures['resent_bytes']} bytes"
        f" (bound {WORKERS} x {unit // MiB} MiB = {WORKERS * unit} bytes)"
    )


def test_the_matrix_covers_every_kill_point_in_both_dialects() -> None:
    points: List[Any] = sorted({(c.kind, c.point, c.service) for c in CASES})
    assert points == sorted((kind, point, svc) for kind, point in POINTS for svc in ("s3", "cos"))
    assert UPLOAD_SIZE % PART
    assert DOWNLOAD_SIZE % PIECE
