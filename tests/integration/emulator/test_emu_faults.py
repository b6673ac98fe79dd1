"""Every fault switch, through ``emu.faults`` and through the admin endpoint, plus the statistics
other suites count requests and bytes with."""

from __future__ import annotations

import time
from typing import Any, List, Optional, Tuple

import pytest
import requests

from cassdk_like.emulator import Emulator
from tests.integration.emulator.emu_helpers import MiB, Raw, admin, error_of, pattern

BODY = pattern(2 * MiB, seed=9)


def _output_job(cas: Raw, data: bytes = BODY) -> str:
    cas.create_vault("fv")
    archive_id = cas.upload_ok("fv", data)
    return cas.job_ok("fv", {"Type": "archive-retrieval", "ArchiveId": archive_id})


def _read_all(response: requests.Response) -> Tuple[int, Optional[Exception]]:
    """Bytes received before the body ended or broke (a short body counts as broken).

    urllib3 2.x raises on a body shorter than its Content-Length; 1.26 (what Python 3.9 resolves
    with botocore) just ends it, so the length is compared here too.
    """
    received = 0
    declared = int(response.headers.get("Content-Length", "-1"))
    try:
        while True:
            chunk = response.raw.read(16384)
            if not chunk:
                break
            received += len(chunk)
    except Exception as exc:  # urllib3's IncompleteRead / ProtocolError: the body was cut
        return received, exc
    if 0 <= received < declared:
        return received, EOFError(f"body ended after {received} of {declared} bytes")
    return received, None


@pytest.mark.parametrize(
    ("status", "code", "expected_code", "expected_type"),
    [
        (503, None, "ServiceUnavailableException", "Server"),
        (500, "ServiceUnavailableException", "ServiceUnavailableException", "Server"),
        (408, None, "RequestTimeoutException", "Client"),
        (400, "ThrottlingException", "ThrottlingException", "Client"),
    ],
)
def test_fail_next_n_with_status_and_code(
    emulator: Emulator, cas: Raw, status: int, code: Optional[str], expected_code: str, expected_type: str
) -> None:
    emulator.faults.fail_next(2, status=status, code=code, method="GET", path="/-/vaults")
    assert cas.request("PUT", "/-/vaults/other").status_code == 201  # another method: unaffected
    for _ in range(2):
        response = cas.request("GET", "/-/vaults")
        assert error_of(response) == (status, expected_code, expected_type)
        assert response.headers["x-cas-requestId"]
    assert cas.request("GET", "/-/vaults").status_code == 200


def test_throttling_carries_retry_after(emulator: Emulator, cas: Raw) -> None:
    emulator.faults.fail_next(status=400, code="ThrottlingException", retry_after=2, operation="ListVaults")
    response = cas.request("GET", "/-/vaults")
    assert error_of(response)[1] == "ThrottlingException"
    assert response.headers["Retry-After"] == "2"


def test_fail_matches_path_glob(emulator: Emulator, cas: Raw) -> None:
    cas.create_vault("v")
    emulator.faults.fail_next(1, status=503, path="*/multipart-uploads*")
    assert cas.call("GET", "v").status_code == 200
    assert cas.initiate_upload("v", MiB).status_code == 503
    assert cas.initiate_upload("v", MiB).status_code == 201


def test_fail_via_admin_endpoint(emulator: Emulator, cas: Raw) -> None:
    rule = {
        "kind": "fail",
        "count": 1,
        "status": 400,
        "code": "ThrottlingException",
        "retry_after": 1,
        "operation": "ListVaults",
    }
    created = admin(emulator, "POST", "faults", rule)
    assert created.status_code == 200
    assert created.json()["rule_id"] >= 1
    listed = admin(emulator, "GET", "faults").json()
    assert listed["rules"][0]["code"] == "ThrottlingException"
    response = cas.request("GET", "/-/vaults")
    assert error_of(response)[:2] == (400, "ThrottlingException")
    assert response.headers["Retry-After"] == "1"
    assert admin(emulator, "GET", "faults").json()["rules"] == []  # used up


def test_cut_connection_after_k_bytes(emulator: Emulator, cas: Raw) -> None:
    job_id = _output_job(cas)
    emulator.faults.cut_after(1000, path="*/output")
    cut = cas.call("GET", "fv", "jobs", job_id, "output", stream=True)
    assert cut.headers["Content-Length"] == str(len(BODY))
    received, error = _read_all(cut)
    assert received == 1000
    assert error is not None
    whole = cas.call("GET", "fv", "jobs", job_id, "output", stream=True)  # the rule is spent
    assert _read_all(whole) == (len(BODY), None)


def test_cut_via_admin_endpoint(emulator: Emulator, cas: Raw) -> None:
    job_id = _output_job(cas)
    assert admin(
        emulator, "POST", "faults", {"kind": "cut", "after_bytes": 4096, "operation": "GetJobOutput"}
    ).ok
    received, error = _read_all(cas.call("GET", "fv", "jobs", job_id, "output", stream=True))
    assert (received, error is not None) == (4096, True)


def test_added_latency(emulator: Emulator, cas: Raw) -> None:
    cas.create_vault("v")
    emulator.faults.add_latency(0.3, operation="DescribeVault", count=1)
    started = time.monotonic()
    assert cas.call("GET", "v").status_code == 200
    assert time.monotonic() - started >= 0.3
    assert admin(
        emulator, "POST", "faults", {"kind": "latency", "seconds": 0.2, "operation": "DescribeVault"}
    ).ok
    started = time.monotonic()
    assert cas.call("GET", "v").status_code == 200
    assert time.monotonic() - started >= 0.2
    assert admin(emulator, "GET", "faults").json()["rules"][0]["count"] is None  # latency lasts until reset


def test_send_rate_cap(emulator: Emulator, cas: Raw) -> None:
    """2 MiB at 4 MiB/s takes about 0.5 s (checked loosely: at least 0.4 s)."""
    job_id = _output_job(cas)
    emulator.faults.set_rate_limit(4 * MiB)
    started = time.monotonic()
    assert cas.output("fv", job_id).content == BODY
    assert time.monotonic() - started >= 0.4
    assert admin(emulator, "POST", "faults", {"kind": "rate", "bytes_per_second": 8 * MiB}).ok
    assert admin(emulator, "GET", "faults").json()["rate_limit"] == 8 * MiB
    started = time.monotonic()
    assert cas.output("fv", job_id, (0, MiB - 1)).content == BODY[:MiB]
    assert time.monotonic() - started >= 0.1


def test_reset_all_faults(emulator: Emulator, cas: Raw) -> None:
    emulator.faults.fail_next(None, status=503)
    emulator.faults.set_rate_limit(1024)
    assert cas.request("GET", "/-/vaults").status_code == 503
    emulator.faults.reset()
    assert cas.request("GET", "/-/vaults").status_code == 200
    assert emulator.faults.rate_limit is None
    emulator.faults.fail_next(None, status=500)
    assert cas.request("GET", "/-/vaults").status_code == 500
    assert admin(emulator, "DELETE", "faults").status_code == 204
    assert cas.request("GET", "/-/vaults").status_code == 200
    cleared = {"rules": [], "rate_limit": None, "service_rate_limits": {}}
    assert admin(emulator, "GET", "faults").json() == cleared


def test_admin_rejects_bad_fault_json(emulator: Emulator) -> None:
    bad = admin(emulator, "POST", "faults", {"kind": "explode"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "BadRequest"
    assert admin(emulator, "POST", "faults", {"kind": "fail", "sttaus": 500}).status_code == 400
    assert admin(emulator, "POST", "faults", {"kind": "fail", "status": "503"}).status_code == 400
    assert admin(emulator, "POST", "faults", {"kind": "cut", "after_bytes": -1}).status_code == 400
    with pytest.raises(ValueError, match="count"):
        emulator.faults.fail_next(0)
    assert admin(emulator, "GET", "faults").json()["rules"] == []


def test_stats_count_requests_and_output_bytes(emulator: Emulator, cas: Raw) -> None:
    job_id = _output_job(cas)
    assert cas.output("fv", job_id).status_code == 200
    assert cas.output("fv", job_id, (0, MiB - 1)).status_code == 206
    stats = admin(emulator, "GET", "stats").json()
    assert stats["requests"]["GET GetJobOutput"] == 2
    assert stats["operations"]["UploadArchive"] == 1
    assert (
        stats["total_requests"] == emulator.stats.total_requests == 5
    )  # PUT, POST archive, POST job, 2 GETs
    assert stats["job_output_bytes_sent"] == len(BODY) + MiB == emulator.stats.job_output_bytes_sent
    assert stats["bytes_received"] >= len(BODY)
    assert emulator.stats.count("GetJobOutput", method="GET") == 2
    assert admin(emulator, "DELETE", "stats").status_code == 204
    assert emulator.stats.total_requests == 0  # admin calls are never counted


def test_admin_cos_objects(emulator: Emulator) -> None:
    session = requests.Session()
    session.trust_env = False
    url = f"{emulator.endpoint}/_emulator/cos/bucket-1/dir/key.bin"
    assert session.put(url, data=b"hello", timeout=10).status_code == 200
    assert session.get(url, timeout=10).content == b"hello"
    assert emulator.cos.get_object("bucket-1", "dir/key.bin") == b"hello"
    assert session.get(f"{emulator.endpoint}/_emulator/cos/bucket-1", timeout=10).json()["Keys"] == [
        "dir/key.bin"
    ]
    assert session.delete(url, timeout=10).status_code == 204
    assert session.get(url, timeout=10).status_code == 404
    info = session.get(f"{emulator.endpoint}/_emulator/info", timeout=10).json()
    assert info["appid"] == emulator.appid
    assert emulator.secret_key not in str(info)


def test_observers_see_every_request_with_its_fault_decision(emulator: Emulator, cas: Raw) -> None:
    seen: List[Tuple[str, str, Optional[int], bool]] = []

    def observe(request: Any, response: Any, decision: Any) -> None:
        status = None if response is None else response.status
        seen.append((request.method, request.path, status, decision.fail is not None))

    emulator.add_observer(observe)
    try:
        emulator.faults.fail_next(1, status=500, method="GET", path="/-/vaults")
        assert cas.request("GET", "/-/vaults").status_code == 500
        assert cas.request("GET", "/-/vaults").status_code == 200
    finally:
        emulator.remove_observer(observe)
    assert cas.request("GET", "/-/vaults").status_code == 200  # no longer observed
    assert seen == [("GET", "/-/vaults", 500, True), ("GET", "/-/vaults", 200, False)]
