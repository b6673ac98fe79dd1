"""The emulator's object store finds a bucket once, and never answers for one that was deleted."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Iterator, List

import pytest

from cassdk_like.emulator.db import Database
from cassdk_like.emulator.objectstore.errors import StoreError
from cassdk_like.emulator.objectstore.store import ObjectStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ObjectStore]:
    db = Database(tmp_path / "data", fsync=False)
    try:
        yield ObjectStore(db, "s3", clock=lambda: 1_700_000_000.0)
    finally:
        db.close()


def _count_reads(store: ObjectStore, monkeypatch: pytest.MonkeyPatch) -> List[str]:
    reads: List[str] = []
    real = store.db.row

    def row(sql: str, args: object = ()) -> object:
        reads.append(sql)
        return real(sql, args)  # type: ignore[arg-type]

    monkeypatch.setattr(store.db, "row", row)
    return reads


def test_a_found_bucket_is_read_from_the_database_once(
    store: ObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert store.create_bucket("photos", "eu-west-1") is None
    reads = _count_reads(store, monkeypatch)
    first = store.bucket("photos")
    assert first is not None
    assert (first.name, first.region) == ("photos", "eu-west-1")
    for _ in range(5):
        assert store.bucket("photos") == first
    assert len(reads) == 1


def test_a_missing_bucket_is_looked_up_again_so_a_new_one_is_seen(
    store: ObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = _count_reads(store, monkeypatch)
    assert store.bucket("later") is None
    store.create_bucket("later", "us-east-1")
    found = store.bucket("later")
    assert found is not None
    assert found.region == "us-east-1"
    assert len(reads) == 2


def test_a_deleted_bucket_is_gone_for_every_later_request(store: ObjectStore) -> None:
    store.create_bucket("old", "us-east-1")
    assert store.bucket("old") is not None
    store.delete_bucket("old")
    assert store.bucket("old") is None
    with pytest.raises(StoreError) as caught:
        store.require_bucket("old")
    assert caught.value.code == "NoSuchBucket"
    store.create_bucket("old", "ap-south-1")  # a new bucket under the old name, elsewhere
    again = store.bucket("old")
    assert again is not None
    assert again.region == "ap-south-1"


def test_look_ups_racing_deletes_never_see_a_deleted_bucket_afterwards(store: ObjectStore) -> None:
    stale: List[str] = []

    def look(name: str, stop: threading.Event) -> None:
        while not stop.is_set():
            store.bucket(name)

    for round_ in range(5):
        name = f"b{round_}"
        store.create_bucket(name, "us-east-1")
        stop = threading.Event()
        threads = [threading.Thread(target=look, args=(name, stop)) for _ in range(4)]
        for thread in threads:
            thread.start()
        store.delete_bucket(name)
        stop.set()
        for thread in threads:
            thread.join()
        if store.bucket(name) is not None:
            stale.append(name)
    assert stale == []
