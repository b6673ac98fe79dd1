"""Job: seed members, wait() (docs/original-sdk-defects.md #6), block=, COS jobs, downloads, inventories."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any, Dict, List

import pytest
import responses

from cassdk_like.core.exceptions import (
    DownloadArchiveError,
    HashDoesNotMatchError,
    InvalidArgumentError,
    InvalidByteRangeError,
    JobFailedError,
    JobNotReadyError,
    JobWaitTimeoutError,
    TransferCancelledError,
)
from cassdk_like.core.integrity import MiB, tree_hash
from cassdk_like.engine import CancelToken, TransferConfig
from cassdk_like.vault.highlevel import CasAPI, Job, PollSchedule
from cassdk_like.vault.highlevel import job as job_module
from tests.unit.vault.highlevel.hl_helpers import (
    CAS_KEY,
    QCS,
    OutputServer,
    calls,
    in_progress,
    job_doc,
    make_vault,
    pattern_bytes,
    url,
)

SMALL = TransferConfig(piece_size=MiB, max_workers=2, poll_interval=0.01)


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: List[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def _job(api: CasAPI, **doc: Any) -> Job:
    return Job(make_vault(api), job_doc(api, **doc))


def _describe(mock: responses.RequestsMock, *docs: Dict[str, Any]) -> None:
    for doc in docs:
        mock.add("GET", url("/v1/jobs/J1"), json=doc)


def _describes(mock: responses.RequestsMock) -> int:
    return sum(1 for c in calls(mock) if c.method == "GET" and c.path.endswith("/jobs/J1"))


# -- members --------------------------------------------------------------------------------------


def test_every_seed_member_and_the_extras(any_api: CasAPI) -> None:
    doc = job_doc(any_api, **{any_api.dialect.callback_field: "https://example.com/cb"})
    job = Job(make_vault(any_api), doc)
    assert job.id == "J1"
    assert job.action == "ArchiveRetrieval"
    assert job.archive_id == "A1"
    assert job.archive_size == 3 * MiB
    assert job.archive_etag == "ab" * 32
    assert job.description == "my job"
    assert job.job_range == f"0-{3 * MiB - 1}"
    assert job.creation_date == "2017-08-29T08:29:41.000Z"
    assert job.completed is True
    assert job.completion_date == "2017-08-29T09:29:41.000Z"
    assert job.status_code == "Succeeded"
    assert job.status_message == "Succeeded"
    assert job.tier == "Standard"
    assert job.inventory_size is None
    assert job.retrieval_etag == "ab" * 32
    assert job.callback_url == "https://example.com/cb"
    assert job.vault_qcs == QCS
    assert job.output_size == 3 * MiB
    assert job.props == doc


def test_inventory_and_cos_members(cas_api: CasAPI) -> None:
    params = {"Format": "CSV", "StartDate": None, "EndDate": None, "Limit": "10", "Marker": None}
    inv = _job(
        cas_api, Action="InventoryRetrieval", InventorySizeInBytes=77, InventoryRetrievalParameters=params
    )
    assert (inv.inventory_size, inv.inventory_params, inv.output_size) == (77, params, 77)
    push = _job(cas_api, Action="PushToCOS", Bucket="b.cos", Object="k")
    assert (push.bucket, push.object_name) == ("b.cos", "k")


def test_equality_hash_and_repr(cas_api: CasAPI, glacier_api: CasAPI) -> None:
    one = _job(cas_api)
    assert one == Job(make_vault(glacier_api), in_progress(job_doc(glacier_api)))
    assert one != _job(cas_api, JobId="J2")
    assert one != Job(make_vault(cas_api, "v2"), job_doc(cas_api))
    assert len({one, _job(cas_api)}) == 1
    text = repr(one)
    assert text.startswith("Job(vault='v1', id='J1', action='ArchiveRetrieval', status_code='Succeeded'")
    assert CAS_KEY not in text


def test_calc_part_size_follows_the_seed() -> None:
    assert Job.calc_part_size(1024**3) == 32 * MiB
    assert Job.calc_part_size(str(400 * 1024**3)) == 64 * MiB
    assert Job.calc_part_size(0) == 32 * MiB
    with pytest.raises(InvalidArgumentError):
        Job.calc_part_size("lots")


def test_update_status_reloads(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    job = Job(make_vault(cas_api), in_progress(job_doc(cas_api)))
    _describe(mock, job_doc(cas_api))
    assert job.update_status() is job
    assert (job.completed, job.status_code) == (True, "Succeeded")


# -- wait -----------------------------------------------------------------------------------------


def test_wait_polls_with_growing_jittered_intervals(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    running = in_progress(job_doc(cas_api))
    job = Job(make_vault(cas_api), running)
    _describe(mock, running, running, running, job_doc(cas_api))
    fake, polled = FakeTime(), []
    assert job.wait(poll_interval=1.0, on_poll=polled.append, sleep=fake.sleep, clock=fake.clock) is job
    assert job.status_code == "Succeeded"
    assert _describes(mock) == 4
    assert polled == [job] * 4
    assert len(fake.sleeps) == 3
    for number, slept in enumerate(fake.sleeps):
        nominal = 2.0**number
        assert nominal / 2 <= slept <= nominal


def test_wait_intervals_are_capped(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    running = in_progress(job_doc(cas_api))
    _describe(mock, *([running] * 9), job_doc(cas_api))
    fake = FakeTime()
    Job(make_vault(cas_api), running).wait(
        poll_interval=1, max_interval=4, sleep=fake.sleep, clock=fake.clock
    )
    assert max(fake.sleeps) <= 4
    assert min(fake.sleeps[3:]) >= 2


def test_wait_raises_when_the_job_failed(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    """docs/original-sdk-defects.md #6: the original never noticed Failed and polled forever."""
    running = in_progress(job_doc(cas_api))
    failed = dict(running, Completed=True, StatusCode="Failed", StatusMessage="archive was deleted")
    _describe(mock, running, failed)
    fake = FakeTime()
    with pytest.raises(JobFailedError, match="archive was deleted") as info:
        Job(make_vault(cas_api), running).wait(sleep=fake.sleep, clock=fake.clock)
    assert isinstance(info.value, DownloadArchiveError)
    assert "J1" in str(info.value)
    assert _describes(mock) == 2


def test_wait_times_out_without_real_sleeping(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    running = in_progress(job_doc(cas_api))
    _describe(mock, running)
    fake = FakeTime()
    job = Job(make_vault(cas_api), running)
    with pytest.raises(JobWaitTimeoutError) as info:
        job.wait(timeout=30, poll_interval=1, sleep=fake.sleep, clock=fake.clock)
    assert sum(fake.sleeps) == pytest.approx(30)
    assert 3 <= _describes(mock) <= 8  # 1, 2, 4, 8, 16 ... not a busy loop
    assert info.value.resource == "job 'J1' in vault 'v1'"


def test_wait_with_zero_timeout_checks_once(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    running = in_progress(job_doc(cas_api))
    _describe(mock, running)
    fake = FakeTime()
    with pytest.raises(JobWaitTimeoutError):
        Job(make_vault(cas_api), running).wait(timeout=0, sleep=fake.sleep, clock=fake.clock)
    assert (_describes(mock), fake.sleeps) == (1, [])


def test_wait_on_a_finished_job_sends_nothing(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    job = _job(cas_api)
    assert job.wait(sleep=FakeTime().sleep) is job
    assert len(mock.calls) == 0


@pytest.mark.parametrize("interval", [0, -1, math.nan, math.inf, "1"])
def test_wait_refuses_a_busy_loop_interval(cas_api: CasAPI, interval: Any) -> None:
    with pytest.raises(InvalidArgumentError):
        Job(make_vault(cas_api), in_progress(job_doc(cas_api))).wait(poll_interval=interval)


def test_wait_stops_when_cancelled(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    running = in_progress(job_doc(cas_api))
    _describe(mock, running)
    token = CancelToken()
    with pytest.raises(TransferCancelledError):
        Job(make_vault(cas_api), running).wait(
            poll_interval=60, on_poll=lambda _job: token.cancel(), cancel_token=token
        )
    assert _describes(mock) == 1


def test_poll_schedule_validation() -> None:
    with pytest.raises(InvalidArgumentError):
        PollSchedule(initial=5, maximum=1)
    assert PollSchedule(initial=1, maximum=8).delay(10, rng=lambda: 1.0) == 8


# -- readiness and COS jobs -----------------------------------------------------------------------


def test_block_false_on_an_unfinished_job_raises_not_ready(
    mock: responses.RequestsMock, cas_api: CasAPI, tmp_path: Path
) -> None:
    running = in_progress(job_doc(cas_api))
    _describe(mock, running)
    target = tmp_path / "out.bin"
    with pytest.raises(JobNotReadyError) as info:
        Job(make_vault(cas_api), running).download_to_file(target, block=False)
    assert isinstance(info.value, DownloadArchiveError)
    assert info.value.local_path == str(target)
    assert info.value.operation == "download_to_file"
    assert _describes(mock) == 1  # one fresh look, no waiting
    assert not target.exists()
    with pytest.raises(JobNotReadyError):
        Job(make_vault(cas_api), running).download_by_range((0, MiB - 1), file_obj=io.BytesIO(), block=False)


def test_block_true_waits_then_downloads(
    mock: responses.RequestsMock, cas_api: CasAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Job, "default_poll_schedule", PollSchedule(initial=0.001, maximum=0.001))
    data = pattern_bytes(MiB + 10)
    done = job_doc(cas_api, RetrievalByteRange=f"0-{len(data) - 1}", SHA256TreeHash=tree_hash(data))
    _describe(mock, in_progress(done), done)
    mock.add_callback("GET", url("/v1/jobs/J1/output"), callback=OutputServer(data))
    job = Job(make_vault(cas_api), in_progress(done))
    result = job.download_to_file(tmp_path / "out.bin")
    assert result.verified
    assert (tmp_path / "out.bin").read_bytes() == data


@pytest.mark.parametrize("block", [True, False])
def test_failed_job_refuses_download(
    mock: responses.RequestsMock, cas_api: CasAPI, tmp_path: Path, block: bool
) -> None:
    job = _job(cas_api, StatusCode="Failed", StatusMessage="gone")
    with pytest.raises(JobFailedError, match="gone") as info:
        job.download_to_file(tmp_path / "x", block=block)
    assert info.value.local_path == str(tmp_path / "x")
    assert len(mock.calls) == 0


@pytest.mark.parametrize("action", ["PushToCOS", "PullFromCOS"])
def test_cos_jobs_have_no_output_to_download(
    mock: responses.RequestsMock, cas_api: CasAPI, tmp_path: Path, action: str
) -> None:
    job = _job(cas_api, Action=action)
    with pytest.raises(DownloadArchiveError, match="no output to download") as info:
        job.download_to_file(tmp_path / "x")
    assert action in str(info.value)
    with pytest.raises(DownloadArchiveError):
        job.download_by_range((0, MiB - 1), file_obj=io.BytesIO(), block=False)
    assert len(mock.calls) == 0


# -- downloads through the engine -----------------------------------------------------------------


def _output_job(mock: responses.RequestsMock, api: CasAPI, data: bytes, server: OutputServer) -> Job:
    mock.add_callback("GET", url("/v1/jobs/J1/output"), callback=server)
    doc = job_doc(
        api,
        ArchiveSizeInBytes=len(data),
        RetrievalByteRange=f"0-{len(data) - 1}",
        SHA256TreeHash=tree_hash(data),
    )
    return Job(make_vault(api), doc)


def test_missing_per_piece_tree_hash_header_is_not_an_error(
    mock: responses.RequestsMock, any_api: CasAPI, tmp_path: Path
) -> None:
    """docs/original-sdk-defects.md #7: the original raised KeyError in every worker without the header."""
    data = pattern_bytes(3 * MiB + 77)
    server = OutputServer(data, header=None)
    result = _output_job(mock, any_api, data, server).download_to_file(tmp_path / "out.bin", config=SMALL)
    assert (tmp_path / "out.bin").read_bytes() == data
    assert result.verified  # the whole output still matched SHA256TreeHash
    assert len(server.ranges) == 4


def test_per_piece_headers_in_the_dialect_are_checked(
    mock: responses.RequestsMock, any_api: CasAPI, tmp_path: Path
) -> None:
    data = pattern_bytes(2 * MiB + 5)
    server = OutputServer(data, header=any_api.dialect.h("sha256-tree-hash"))
    result = _output_job(mock, any_api, data, server).download_to_file(tmp_path / "o", config=SMALL)
    assert result.verified
    assert result.pieces_fetched == 3


def test_corrupt_output_fails_the_whole_hash_and_leaves_no_file(
    mock: responses.RequestsMock, cas_api: CasAPI, tmp_path: Path
) -> None:
    data = pattern_bytes(MiB + 5)
    job = _output_job(mock, cas_api, data, OutputServer(data, header=None, corrupt=True))
    with pytest.raises(HashDoesNotMatchError) as info:
        job.download_to_file(tmp_path / "o", config=SMALL, resume=False)
    assert info.value.local_path == str(tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_download_by_range_to_a_file_object_in_order(mock: responses.RequestsMock, cas_api: CasAPI) -> None:
    data = pattern_bytes(3 * MiB)
    server = OutputServer(data)
    sink = io.BytesIO()
    result = _output_job(mock, cas_api, data, server).download_by_range(
        f"{MiB}-{3 * MiB - 1}", file_obj=sink, config=SMALL
    )
    assert sink.getvalue() == data[MiB:]
    assert result.size == 2 * MiB
    assert server.ranges == [(MiB, 2 * MiB - 1), (2 * MiB, 3 * MiB - 1)]


def test_download_by_range_to_a_path_uses_the_window(
    mock: responses.RequestsMock, any_api: CasAPI, tmp_path: Path
) -> None:
    data = pattern_bytes(4 * MiB + 3)
    server = OutputServer(data, header=any_api.dialect.h("sha256-tree-hash"))
    job = _output_job(mock, any_api, data, server)
    result = job.download_by_range((2 * MiB, 4 * MiB + 2), file_path=tmp_path / "w", config=SMALL)
    assert (tmp_path / "w").read_bytes() == data[2 * MiB :]
    assert result.size == 2 * MiB + 3
    assert sorted(server.ranges) == [(2 * MiB, 3 * MiB - 1), (3 * MiB, 4 * MiB - 1), (4 * MiB, 4 * MiB + 2)]


def test_download_by_range_argument_checks(
    mock: responses.RequestsMock, cas_api: CasAPI, tmp_path: Path
) -> None:
    job = _job(cas_api)
    with pytest.raises(InvalidArgumentError, match="exactly one"):
        job.download_by_range((0, 1))
    with pytest.raises(InvalidArgumentError, match="exactly one"):
        job.download_by_range((0, 1), tmp_path / "x", io.BytesIO())
    with pytest.raises(InvalidByteRangeError):
        job.download_by_range((0, 3 * MiB), file_obj=io.BytesIO())
    with pytest.raises(InvalidByteRangeError):
        job.download_by_range("7-", file_obj=io.BytesIO())
    assert len(mock.calls) == 0


def test_chunk_size_becomes_the_engine_io_chunk(
    cas_api: CasAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: Dict[str, Any] = {}

    def fake_download(source: Any, path: str, **kwargs: Any) -> str:
        seen.update(kwargs, source=source, path=path)
        return "done"

    monkeypatch.setattr(job_module, "download_to_path", fake_download)
    assert _job(cas_api).download_to_file(tmp_path / "x", chunk_size=4096) == "done"  # type: ignore[comparison-overlap]
    assert seen["config"].io_chunk_size == 4096
    assert seen["config"].piece_size == TransferConfig().piece_size
    assert seen["source"].identity == f"v1/J1/0-{3 * MiB - 1}/{'ab' * 32}"


# -- inventories ----------------------------------------------------------------------------------

JSON_INV = b"""{"VaultQCS": "q", "InventoryDate": "2017-08-29T08:29:41Z", "ArchiveList": [
 {"ArchiveId": "A1", "ArchiveDescription": "d1", "CreationDate": "2017-08-29T08:29:41Z", "Size": 10,
  "SHA256TreeHash": "AB"}]}"""
CSV_INV = (
    b"ArchiveId,ArchiveDescription,CreationDate,Size,SHA256TreeHash\r\n"
    b'A1,"a, b",2017-08-29T08:29:41Z,10,ab\r\n'
)


@pytest.mark.parametrize(
    ("fmt", "data", "ctype"), [("JSON", JSON_INV, "application/json"), ("CSV", CSV_INV, "text/csv")]
)
def test_inventory_is_parsed(
    mock: responses.RequestsMock, any_api: CasAPI, fmt: str, data: bytes, ctype: str
) -> None:
    params = {"Format": fmt, "StartDate": None, "EndDate": None, "Limit": "1", "Marker": "next-one"}
    job = _job(
        any_api,
        Action="InventoryRetrieval",
        InventorySizeInBytes=len(data),
        InventoryRetrievalParameters=params,
    )
    mock.add_callback(
        "GET", url("/v1/jobs/J1/output"), callback=OutputServer(data, header=None, content_type=ctype)
    )
    inventory = job.inventory()
    assert inventory.format == fmt
    assert [a.archive_id for a in inventory] == ["A1"]
    assert inventory.archives[0].size == 10
    assert inventory.archives[0].tree_hash == "ab"
    assert inventory.marker == "next-one"


def test_inventory_of_an_archive_job_is_refused(cas_api: CasAPI) -> None:
    with pytest.raises(InvalidArgumentError, match="inventory-retrieval"):
        _job(cas_api).inventory()


def test_archive_job_reporting_no_output_size_is_refused(cas_api: CasAPI, tmp_path: Path) -> None:
    # moto reports ArchiveSizeInBytes 0 and no RetrievalByteRange: an empty file must not "succeed"
    job = _job(cas_api, ArchiveSizeInBytes=0, RetrievalByteRange=None, SHA256TreeHash=None)
    target = tmp_path / "out.bin"
    with pytest.raises(DownloadArchiveError, match="how large"):
        job.download_to_file(target)
    assert not target.exists()
