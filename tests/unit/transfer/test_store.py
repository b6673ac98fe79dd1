"""The state database: what a new Store on the same folder reads back, and its schema guard."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import pytest

from cassdk_like.transfer.errors import TransferError
from cassdk_like.transfer.store import (
    DB_NAME,
    DONE,
    FAIL,
    PENDING,
    RESUME,
    SCHEMA_VERSION,
    SUSPEND,
    DestinationRecord,
    FileEntry,
    ManifestRecord,
    Store,
)


def _destination(store: Store, ident: str = "dst-1") -> DestinationRecord:
    record = DestinationRecord(
        ident, store.next_seq("destinations"), "file:///tmp/x", "default", 1000.0,
        {"High": 0.7, "Normal": 0.3}, {"priority": 100}, False, False, 1.0,
    )  # fmt: skip
    store.add_destination(record)
    return record


def _manifest(store: Store, ident: str = "man-1") -> None:
    files = [FileEntry(f"/d/{i}", f"/s/{i}", 10 * i, 5, 1) for i in range(3)]
    record = ManifestRecord(ident, store.next_seq("manifests"), "complete", {"/d": "/s"}, 0, 3, 30, None, 1.0)
    store.add_manifest(record, files)


def test_everything_written_is_read_back_by_a_new_store(tmp_path: Path) -> None:
    store = Store(tmp_path)
    dest = _destination(store)
    _manifest(store)
    transfer_id = store.add_transfer("dst-1", "man-1", {"priority": 7}, 2.0)
    store.checkpoint(transfer_id, [(1, DONE, 10)], status="transferring")
    store.set_user_data("dst-1", {"team": "a"})
    request_id = store.add_request("suspend", str(transfer_id), 3.0)
    store.finish_request(request_id, {"transferId": transfer_id}, None, 4.0)
    store.close()

    again = Store(tmp_path)
    assert again.destinations() == [dest]
    assert again.manifest("man-1") is not None
    assert [f.dest for f in again.manifest_files("man-1")] == ["/d/0", "/d/1", "/d/2"]
    record = again.transfer(transfer_id)
    assert record is not None
    assert record.status == "transferring"
    assert record.options == {"priority": 7}
    states = [(idx, state, nbytes) for idx, _entry, state, nbytes in again.transfer_files(transfer_id)]
    assert states == [(0, PENDING, 0), (1, DONE, 10), (2, PENDING, 0)]
    assert again.user_data("dst-1") == {"team": "a"}
    req = again.request(request_id)
    assert req is not None
    assert req.status == "complete"
    assert req.result == {"transferId": transfer_id}


def test_a_transfer_keeps_its_files_when_its_manifest_is_deleted(tmp_path: Path) -> None:
    store = Store(tmp_path)
    _destination(store)
    _manifest(store)
    transfer_id = store.add_transfer("dst-1", "man-1", {}, 2.0)
    store.delete_manifest("man-1")
    assert store.manifest("man-1") is None
    assert len(store.transfer_files(transfer_id)) == 3


def test_deleting_a_destination_deletes_its_transfers(tmp_path: Path) -> None:
    store = Store(tmp_path)
    _destination(store)
    _manifest(store)
    transfer_id = store.add_transfer("dst-1", "man-1", {}, 2.0)
    store.delete_destination("dst-1")
    assert store.transfer(transfer_id) is None
    assert store.transfer_files(transfer_id) == []


def test_the_database_is_in_wal_mode_with_its_schema_version(tmp_path: Path) -> None:
    store = Store(tmp_path)
    assert store.schema_version == SCHEMA_VERSION
    conn = sqlite3.connect(str(tmp_path / DB_NAME))
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    Store(tmp_path).close()
    conn = sqlite3.connect(str(tmp_path / DB_NAME))
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    conn.commit()
    conn.close()
    with pytest.raises(TransferError, match="newer"):
        Store(tmp_path)


def test_a_failed_write_changes_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path)
    _destination(store)
    with pytest.raises(sqlite3.IntegrityError):
        _destination(store)  # same id: the whole insert is rolled back
    assert len(store.destinations()) == 1


def test_threads_write_at_once(tmp_path: Path) -> None:
    store = Store(tmp_path)

    def write(n: int) -> None:
        for i in range(20):
            store.set_user_data(f"obj-{n}", {str(i): "v"})

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(len(store.user_data(f"obj-{n}")) == 20 for n in range(4))


def test_controls_bump_the_version_and_are_taken_once_newest_per_transfer(tmp_path: Path) -> None:
    store = Store(tmp_path)
    _destination(store)
    _manifest(store)
    before = store.control_version()
    first = store.add_transfer("dst-1", "man-1", {}, 2.0)
    second = store.add_transfer("dst-1", "man-1", {}, 2.0)
    assert store.control_version() == before + 2  # a runner must see new transfers
    other = Store(tmp_path)  # another process's view of the same folder
    other.request_control(first, SUSPEND, None, 3.0)
    other.request_control(second, FAIL, "stop", 4.0)
    other.request_control(first, RESUME, None, 5.0)  # replaces the suspend not yet taken
    assert store.control_version() == before + 5
    assert store.take_controls() == [(second, FAIL, "stop"), (first, RESUME, None)]
    assert store.take_controls() == []
    store.set_transfer(first, status="transferring")
    assert store.control_version() == before + 5  # progress is not a control
    store.set_transfer(first, options={"priority": 1})
    assert store.control_version() == before + 6


def test_a_version_2_database_gains_the_controls_and_keeps_its_transfers(tmp_path: Path) -> None:
    store = Store(tmp_path)
    _destination(store)
    _manifest(store)
    transfer_id = store.add_transfer("dst-1", "man-1", {}, 2.0)
    store.close()
    conn = sqlite3.connect(str(tmp_path / DB_NAME))
    conn.execute("DROP TABLE controls")
    conn.execute("DELETE FROM meta WHERE key = 'control_version'")
    conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    again = Store(tmp_path)
    assert again.schema_version == SCHEMA_VERSION
    assert again.control_version() == 0
    again.request_control(transfer_id, SUSPEND, None, 3.0)
    assert again.take_controls() == [(transfer_id, SUSPEND, None)]


def test_one_runner_lock_at_a_time_and_it_names_its_process(tmp_path: Path) -> None:
    store = Store(tmp_path)
    assert store.runner_pid() is None
    held = store.lock_runner()
    assert held is not None
    assert store.lock_runner() is None  # also refused within one process
    assert Store(tmp_path).runner_pid() == os.getpid()
    held.release()
    assert store.runner_pid() is None
    again = store.lock_runner()
    assert again is not None
    again.release()
