"""The download journal: round trip, strict validation, atomic rewrite, background commits."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import List

import pytest

from cassdk_like.core.integrity import MiB
from cassdk_like.engine.journal import (
    DownloadJournal,
    JournalPiece,
    JournalWriter,
    load_journal,
    write_journal,
)

H = "a" * 64


def sample() -> DownloadJournal:
    journal = DownloadJournal("vault/job", 3 * MiB + 5, MiB, "b" * 64)
    journal.add(JournalPiece(0, MiB, H, True))
    journal.add(JournalPiece(3 * MiB, 5, H))
    return journal


def test_round_trip(tmp_path: Path) -> None:
    path = str(tmp_path / "j.json")
    write_journal(path, sample().to_json())
    loaded = load_journal(path)
    assert loaded == sample()
    assert loaded is not None
    assert loaded.matches("vault/job", 3 * MiB + 5, "B" * 64)
    assert not loaded.matches("vault/other", 3 * MiB + 5, "b" * 64)
    assert not loaded.matches("vault/job", 3 * MiB, "b" * 64)
    assert os.listdir(tmp_path) == ["j.json"]  # the temp file was renamed away


def test_text_form_is_the_same_document_and_follows_changes(tmp_path: Path) -> None:
    journal = sample()
    assert json.loads(journal.to_text()) == journal.to_json()
    journal.add(JournalPiece(MiB, MiB, "c" * 64, False))
    journal.add(JournalPiece(0, MiB, "d" * 64, False))  # a piece fetched again replaces the old entry
    del journal.pieces[3 * MiB]
    assert json.loads(journal.to_text()) == journal.to_json()
    assert [p[0] for p in json.loads(journal.to_text())["pieces"]] == [0, MiB]
    path = str(tmp_path / "j.json")
    write_journal(path, journal.to_text())
    assert load_journal(path) == journal


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(format="other"),
        lambda d: d.update(version=2),
        lambda d: d.update(size=-1),
        lambda d: d.update(piece_size=0),
        lambda d: d["pieces"].append([MiB + 1, MiB, H, False]),  # off the piece grid
        lambda d: d["pieces"].append([MiB, 10, H, False]),  # wrong length
        lambda d: d["pieces"].append([MiB, MiB, "zz", False]),  # not a hash
        lambda d: d["pieces"].append([9 * MiB, MiB, H, False]),  # past the end
    ],
)
def test_invalid_journals_are_ignored(tmp_path: Path, mutate: object) -> None:
    doc = sample().to_json()
    mutate(doc)  # type: ignore[operator]
    path = tmp_path / "j.json"
    path.write_text(json.dumps(doc))
    assert load_journal(str(path)) is None


def test_garbage_or_missing_journal_is_none(tmp_path: Path) -> None:
    path = tmp_path / "j.json"
    assert load_journal(str(path)) is None
    path.write_bytes(b"\xff{not json")
    assert load_journal(str(path)) is None


def test_writer_commits_in_background_and_forgets(tmp_path: Path) -> None:
    path = str(tmp_path / "j.json")
    journal = DownloadJournal("id", 3 * MiB, MiB)
    writer = JournalWriter(path, journal, interval=0)
    writer.start()
    writer.record(JournalPiece(0, MiB, H))
    writer.record(JournalPiece(MiB, MiB, H))
    writer.close(commit=True)
    loaded = load_journal(path)
    assert loaded is not None
    assert sorted(loaded.pieces) == [0, MiB]
    writer.forget([0])
    writer.commit(force=True)
    loaded = load_journal(path)
    assert loaded is not None
    assert sorted(loaded.pieces) == [MiB]
    assert writer.commits >= 2


def test_writer_commits_at_most_once_per_interval(tmp_path: Path) -> None:
    # a finished piece must not cut the interval short: each commit costs a journal rewrite
    journal = DownloadJournal("id", 40 * MiB, MiB)
    writer = JournalWriter(str(tmp_path / "j.json"), journal, interval=60)
    writer.start()
    writer.record(JournalPiece(0, MiB, H))
    deadline = time.monotonic() + 5
    while writer.commits == 0 and time.monotonic() < deadline:  # the first piece commits at once
        time.sleep(0.01)
    for index in range(1, 40):
        writer.record(JournalPiece(index * MiB, MiB, H))
        time.sleep(0.001)
    time.sleep(0.2)
    assert writer.commits == 1  # the other 39 wait for the interval (or close)
    writer.close(commit=True)
    assert writer.commits == 2
    loaded = load_journal(str(tmp_path / "j.json"))
    assert loaded is not None
    assert len(loaded.pieces) == 40


def test_commits_never_sync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A resume re-hashes what the journal names, so a commit needs no fsync to be safe, and one
    that waited for the disk would fall behind the network (a kill -9 would then cost more)."""
    syncs: List[str] = []
    for name in ("fsync", "fdatasync"):
        monkeypatch.setattr(os, name, lambda fd, name=name: syncs.append(name))
    writer = JournalWriter(str(tmp_path / "j.json"), DownloadJournal("id", 4 * MiB, MiB), interval=0)
    writer.start()
    writer.record(JournalPiece(0, MiB, H))
    deadline = time.monotonic() + 5
    while writer.commits == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    writer.record(JournalPiece(MiB, MiB, H))
    writer.close(commit=True)
    monkeypatch.undo()
    assert writer.commits == 2
    assert syncs == []
    loaded = load_journal(str(tmp_path / "j.json"))
    assert loaded is not None
    assert sorted(loaded.pieces) == [0, MiB]
