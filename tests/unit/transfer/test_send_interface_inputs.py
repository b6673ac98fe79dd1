"""Bad input to every SendInterface method: a typed error naming the operation, and no state change.

A folder destination needs no server, so these run without the emulator; the state database is
dumped before and after each refused call and must be identical.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple, Type

import pytest

from cassdk_like.core.exceptions import CASError, InvalidArgumentError
from cassdk_like.transfer import (
    InvalidDestinationError,
    InvalidManifestError,
    InvalidTransferArgumentError,
    LaneConfigError,
    SendInterface,
    TransferManager,
    TransferNotFoundError,
    TransferStateError,
)
from cassdk_like.transfer.store import DB_NAME


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Tuple[SendInterface, Dict[str, Any], Path]]:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.bin").write_bytes(b"a" * 100)
    manager = TransferManager(tmp_path / "state", max_workers=1, start=False)
    send = SendInterface(manager)
    dest = send.createDestination(f"file://{tmp_path / 'out'}")
    manifest = send.createManifest(mappings={"/d": str(src)})
    send.waitForManifest(manifest)
    transfer = send.createTransfer(dest, manifest)
    yield send, {"dest": dest, "manifest": manifest, "transfer": transfer, "src": str(src)}, tmp_path
    manager.close()


def _dump(state: Path) -> List[Tuple[Any, ...]]:
    conn = sqlite3.connect(str(state / DB_NAME))
    try:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        rows: List[Tuple[Any, ...]] = []
        for table in sorted(tables):
            rows.extend((table, *row) for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1"))
        return rows
    finally:
        conn.close()


Call = Callable[[SendInterface, Dict[str, Any]], Any]
CASES: List[Tuple[str, Call, Type[CASError], str]] = [
    ("address", lambda s, w: s.createDestination("ftp://x"), InvalidDestinationError, "createDestination"),
    ("port", lambda s, w: s.createDestination("file:///tmp/y", destinationPort=9000),
     InvalidTransferArgumentError, "createDestination"),
    ("rate", lambda s, w: s.createDestination("file:///tmp/y", sendRateMax="fast"),
     InvalidTransferArgumentError, "createDestination"),
    ("mapping", lambda s, w: s.createManifest(mappings={"/x": "/no/such/source"}),
     InvalidManifestError, "createManifest"),
    ("mappings type", lambda s, w: s.createManifest(mappings=["/x"]), InvalidManifestError, "createManifest"),
    ("no mappings", lambda s, w: s.createManifest(), InvalidManifestError, "createManifest"),
    ("unknown dest", lambda s, w: s.createTransfer("dst-nope", w["manifest"]),
     TransferNotFoundError, "createTransfer"),
    ("unknown manifest", lambda s, w: s.createTransfer(w["dest"], "man-nope"),
     TransferNotFoundError, "createTransfer"),
    ("priority", lambda s, w: s.createTransfer(w["dest"], w["manifest"], priority=2**32),
     InvalidTransferArgumentError, "createTransfer"),
    ("lane", lambda s, w: s.createTransfer(w["dest"], w["manifest"], priorityLane="Turbo"),
     LaneConfigError, "createTransfer"),
    ("overwrite", lambda s, w: s.createTransfer(w["dest"], w["manifest"], overwriteMode=9),
     InvalidTransferArgumentError, "createTransfer"),
    ("checkpoint", lambda s, w: s.createTransfer(w["dest"], w["manifest"], checkpointFrequencySeconds=-1),
     InvalidTransferArgumentError, "createTransfer"),
    ("user data", lambda s, w: s.createTransfer(w["dest"], w["manifest"], userData={"k": 1}),
     InvalidTransferArgumentError, "createTransfer"),
    ("login", lambda s, w: s.createTransfer(w["dest"], w["manifest"], userName="bob", password="pw"),
     InvalidTransferArgumentError, "createTransfer"),
    ("path", lambda s, w: s.createTransfer(w["dest"], w["manifest"], destinationPath="../up"),
     InvalidTransferArgumentError, "createTransfer"),
    ("get transfer", lambda s, w: s.getTransfer(999), TransferNotFoundError, "getTransfer"),
    ("get transfer type", lambda s, w: s.getTransfer("abc"), TransferNotFoundError, "getTransfer"),
    ("get destination", lambda s, w: s.getDestination("dst-0"), TransferNotFoundError, "getDestination"),
    ("get manifest", lambda s, w: s.getManifest("man-0"), TransferNotFoundError, "getManifest"),
    ("manifest files", lambda s, w: s.getManifestFiles("man-0"), TransferNotFoundError, "getManifestFiles"),
    ("wait manifest", lambda s, w: s.waitForManifest("man-0"), TransferNotFoundError, "waitForManifest"),
    ("get transfers", lambda s, w: s.getTransfers("dst-0"), TransferNotFoundError, "getTransfers"),
    ("lanes sum", lambda s, w: s.setPriorityLanesAsync(w["dest"], {"a": 0.5, "b": 0.4}),
     LaneConfigError, "setPriorityLanes"),
    ("lanes idle", lambda s, w: s.setPriorityLanesAsync(w["dest"], {"a": 1.0, "b": 0.0, "c": 0.0}),
     LaneConfigError, "setPriorityLanes"),
    ("lanes count", lambda s, w: s.setPriorityLanesAsync(w["dest"], {"High": 0.5, "Normal": 0.5}),
     LaneConfigError, "setPriorityLanes"),
    ("lanes rename",
     lambda s, w: s.setPriorityLanesAsync(w["dest"], {"A": 0.7, "B": 0.25, "C": 0.05, "D": 0}),
     LaneConfigError, "setPriorityLanes"),
    ("lanes dest", lambda s, w: s.setPriorityLanesAsync("dst-0", {"a": 1.0}), TransferNotFoundError,
     "setPriorityLanes"),
    ("send rate", lambda s, w: s.setSendRateMaxAsync(w["dest"], -5), InvalidTransferArgumentError,
     "setSendRateMax"),
    ("transfer rate", lambda s, w: s.setTransferSendRateMaxAsync(w["transfer"], 0),
     InvalidTransferArgumentError, "setTransferSendRateMax"),
    ("set priority", lambda s, w: s.setTransferPriorityAsync(w["transfer"], priority=-1),
     InvalidTransferArgumentError, "setTransferPriority"),
    ("set lane", lambda s, w: s.setTransferPriorityAsync(w["transfer"], priorityLane=""),
     LaneConfigError, "setTransferPriority"),
    ("resume active", lambda s, w: s.resumeTransferAsync(w["transfer"]), TransferStateError,
     "resumeTransfer"),
    ("suspend unknown", lambda s, w: s.suspendTransferAsync(12345), TransferNotFoundError, "suspendTransfer"),
    ("delete active", lambda s, w: s.deleteTransfer(w["transfer"]), TransferStateError, "deleteTransfer"),
    ("delete dest busy", lambda s, w: s.deleteDestination(w["dest"]), TransferStateError,
     "deleteDestination"),
    ("fail message", lambda s, w: s.failTransfer(w["transfer"], errorMessage=5),
     InvalidTransferArgumentError, "failTransfer"),
    ("user data key", lambda s, w: s.deleteObjectUserData(w["transfer"], "absent"),
     TransferNotFoundError, "deleteObjectUserData"),
    ("user data object", lambda s, w: s.updateObjectUserData("nothing", "k", "v"),
     TransferNotFoundError, "updateObjectUserData"),
    ("user data value", lambda s, w: s.updateObjectUserData(w["dest"], "k", 5),
     InvalidTransferArgumentError, "updateObjectUserData"),
    ("defaults", lambda s, w: s.updateTransferDefaults(w["dest"], priorityLane="Nope"),
     LaneConfigError, "updateTransferDefaults"),
    ("request", lambda s, w: s.getRequestStatus(777), TransferNotFoundError, "getRequestStatus"),
    ("request result", lambda s, w: s.getRequestResult({"requestId": 777}), TransferNotFoundError,
     "getRequestResult"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "call", "error", "operation"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_a_typed_error_and_changes_nothing(
    world: Tuple[SendInterface, Dict[str, Any], Path],
    name: str,
    call: Call,
    error: Type[CASError],
    operation: str,
) -> None:
    send, objects, root = world
    before = _dump(root / "state")
    with pytest.raises(error) as caught:
        call(send, objects)
    assert caught.value.operation == operation, name
    assert _dump(root / "state") == before
    if isinstance(caught.value, InvalidTransferArgumentError):
        assert isinstance(caught.value, InvalidArgumentError)


def test_ids_and_structures_are_accepted_alike(world: Tuple[SendInterface, Dict[str, Any], Path]) -> None:
    send, objects, _root = world
    transfer = objects["transfer"]
    assert send.getTransfer(transfer) == send.getTransfer(transfer["transferId"])
    assert send.getTransfer(str(transfer["transferId"]))["transferId"] == transfer["transferId"]
    assert send.getDestination(objects["dest"]) == send.getDestination(objects["dest"]["destinationId"])
    assert send.getManifest(objects["manifest"])["manifestId"] == objects["manifest"]["manifestId"]
    send.updateObjectUserData(transfer, "owner", "ops")
    send.updateObjectUserData(objects["manifest"], "kind", "nightly")
    assert send.getTransfer(transfer)["userData"] == {"owner": "ops"}
    assert send.getManifest(objects["manifest"]["manifestId"])["userData"] == {"kind": "nightly"}
    send.deleteObjectUserData(transfer, "owner")
    assert send.getTransfer(transfer)["userData"] == {}


def test_an_existing_destination_is_returned_unless_exclusive(
    world: Tuple[SendInterface, Dict[str, Any], Path],
) -> None:
    send, objects, root = world
    again = send.createDestination(f"file://{root / 'out'}/", sendRateMax=999)
    assert again["destinationId"] == objects["dest"]["destinationId"]
    assert again["sendRateMax"] is None  # ignored for an existing destination
    other = send.createDestination(f"file://{root / 'out'}", exclusive=True, sendRateMax=800)
    assert other["destinationId"] != objects["dest"]["destinationId"]
    assert other["sendRateMax"] == pytest.approx(800)
    assert len(send.getDestinations()) == 2


def test_async_commands_answer_request_ids(world: Tuple[SendInterface, Dict[str, Any], Path]) -> None:
    send, objects, _root = world
    request = send.setSendRateMaxAsync(objects["dest"], 8000)
    assert send.getRequestStatus(request) == {
        "requestId": request["requestId"],
        "status": "complete",
        "errorMessage": None,
    }
    assert send.getRequestResult(request) == {"sendRateMax": pytest.approx(8000)}
    assert send.getDestination(objects["dest"])["sendRateMax"] == pytest.approx(8000)
    lanes = {"High": 0.5, "Normal": 0.3, "Low": 0.2, "Idle": 0.0}
    request = send.setPriorityLanesAsync(objects["dest"], lanes)
    assert send.getRequestResult(request) == {"priorityLanes": lanes}
    request = send.setTransferPriorityAsync(objects["transfer"], priority=3, priorityLane="Low")
    assert send.getRequestResult(request) == {"transferId": objects["transfer"]["transferId"]}
    shown = send.getTransfer(objects["transfer"])
    assert (shown["priority"], shown["priorityLane"]) == (3, "Low")
    request = send.setTransferSendRateMaxAsync(objects["transfer"], -1)
    assert send.getRequestResult(request) == {"sendRateMax": -1}


def test_a_manifest_of_known_sizes_needs_no_io(tmp_path: Path) -> None:
    with TransferManager(tmp_path / "state", start=False) as manager:
        send = SendInterface(manager)
        made = send.createManifest(mappings={"/storage/f.txt": {"src": "/not/yet/there", "size": 100}})
        assert made["status"] == "complete"
        assert send.getManifestFiles(made)["files"] == [
            {
                "destination": "storage/f.txt",
                "source": "/not/yet/there",
                "size": 100,
                "flags": 1,
                "access": "",
            }
        ]
