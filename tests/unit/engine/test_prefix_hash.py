"""The in-order digest that follows a download: right whatever order the pieces land in, and
stoppable without leaving a thread reading the file."""

from __future__ import annotations

import hashlib
import os
import random
import threading
from pathlib import Path

from cassdk_like.core.checksums import MD5, SHA256
from cassdk_like.engine.fetch import plan_pieces
from cassdk_like.engine.prefix_hash import PrefixHasher

MiB = 1024 * 1024


def test_pieces_landing_in_any_order_give_the_digest_of_the_whole(tmp_path: Path) -> None:
    data = os.urandom(5 * MiB + 123)
    path = tmp_path / "partial"
    path.write_bytes(data)
    pieces = plan_pieces(0, len(data) - 1, MiB)
    fd = os.open(path, os.O_RDONLY)
    try:
        for strategy, reference in ((SHA256, hashlib.sha256), (MD5, hashlib.md5)):
            hasher = PrefixHasher(strategy, fd, pieces, 256 * 1024).start()
            shuffled = list(pieces)
            random.Random(7).shuffle(shuffled)
            landers = [threading.Thread(target=hasher.landed, args=(p,)) for p in shuffled]
            for thread in landers:
                thread.start()
            for thread in landers:
                thread.join()
            assert hasher.result() == reference(data).hexdigest()
    finally:
        os.close(fd)


def test_a_stopped_hasher_gives_no_digest_and_its_thread_is_gone(tmp_path: Path) -> None:
    path = tmp_path / "partial"
    path.write_bytes(b"x" * (3 * MiB))
    pieces = plan_pieces(0, 3 * MiB - 1, MiB)
    fd = os.open(path, os.O_RDONLY)
    try:
        hasher = PrefixHasher(SHA256, fd, pieces, MiB).start()
        hasher.landed(pieces[0])  # the second piece never lands: the thread waits for it
        hasher.stop()
        assert hasher.result() is None
        assert not any(t.name == "cassdk-prefix-hash" and t.is_alive() for t in threading.enumerate())
    finally:
        os.close(fd)


def test_a_file_shorter_than_its_pieces_gives_no_digest(tmp_path: Path) -> None:
    path = tmp_path / "partial"
    path.write_bytes(b"x" * MiB)
    pieces = plan_pieces(0, 2 * MiB - 1, MiB)
    fd = os.open(path, os.O_RDONLY)
    try:
        hasher = PrefixHasher(SHA256, fd, pieces, MiB).start()
        for piece in pieces:
            hasher.landed(piece)
        assert hasher.result() is None  # the caller then hashes the file itself and reports it
    finally:
        os.close(fd)
