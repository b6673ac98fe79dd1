"""``bucket.create_par(...)``, the seed's spelling, on a ``Bucket`` of each dialect against the
emulator: an object PAR read in parallel, one written then read back, a bucket PAR writing under its
prefix, and a revocable one that answers 403 after ``close`` (docs/par.md §1, §4 and §5)."""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Optional

import pytest

from cassdk_like.bucket import Bucket
from cassdk_like.engine import TransferConfig
from cassdk_like.par import (
    PAR,
    BucketWriter,
    ObjectReader,
    ObjectWriter,
    PARKeyPair,
    PARReadError,
    Passphrase,
)

MiB = 1024 * 1024
PARALLEL = TransferConfig(max_workers=4, piece_size=MiB, max_request_size=MiB)


def test_a_read_par_from_the_bucket_method_downloads_in_parallel(
    bucket: Bucket, pair: PARKeyPair, connect: Optional[str], dialect: str, tmp_path: Path
) -> None:
    data = os.urandom(3 * MiB + 17)
    bucket.put("share/a.bin", data)
    par = bucket.create_par("share/a.bin", readable=True, duration=600, encrypt_key=pair.public_pem())
    assert isinstance(par, PAR)
    assert (par.service, par.bucket, par.key()) == (dialect, bucket.name, "share/a.bin")
    received = PAR.from_data(par.to_json())
    result = ObjectReader(received, pair, connect_url=connect, config=PARALLEL).get_object_as_file(
        tmp_path / "a.bin"
    )
    assert (tmp_path / "a.bin").read_bytes() == data
    assert result.requests >= 3


def test_expires_as_a_datetime_and_a_passphrase_seal(
    bucket: Bucket, connect: Optional[str], tmp_path: Path
) -> None:
    secret = "a passphrase long enough for the rules"
    expires = _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(minutes=10)
    par = bucket.create_par(
        "in/w.bin", readable=True, writeable=True, expires=expires, encrypt_key=Passphrase(secret)
    )
    assert par.expires_at <= expires.replace(microsecond=0) + _dt.timedelta(seconds=1)
    assert 500 < par.seconds_remaining() <= 600
    (tmp_path / "w.bin").write_bytes(b"written through the method's PAR")
    writer = ObjectWriter(PAR.from_data(par.to_data()), secret, connect_url=connect)
    writer.set_object_from_file(tmp_path / "w.bin")
    assert bucket.get_bytes("in/w.bin") == b"written through the method's PAR"
    writer.get_object_as_file(tmp_path / "back.bin")
    assert (tmp_path / "back.bin").read_bytes() == b"written through the method's PAR"


def test_a_bucket_par_from_the_method_writes_under_its_prefix(
    bucket: Bucket, pair: PARKeyPair, connect: Optional[str], tmp_path: Path
) -> None:
    (tmp_path / "n.txt").write_bytes(b"dropped")
    par = bucket.create_par(writeable=True, key_prefix="drop/", duration=600, encrypt_key=pair)
    assert par.kind == "bucket"
    assert par.key() is None
    stored = BucketWriter(par, pair, connect_url=connect).set_object_from_file("n.txt", tmp_path / "n.txt")
    assert stored.key == "drop/n.txt"
    assert bucket.get_bytes("drop/n.txt") == b"dropped"


def test_a_revocable_par_from_the_method_is_refused_after_close(
    bucket: Bucket, pair: PARKeyPair, connect: Optional[str], registry: str, tmp_path: Path
) -> None:
    bucket.put("doc", b"until closed")
    par = bucket.create_par("doc", readable=True, duration=600, encrypt_key=pair, registry=registry)
    assert par.revocable
    copy = PAR.from_data(par.to_data())
    assert par.close(pair).revoked
    with pytest.raises(PARReadError) as denied:
        ObjectReader(copy, pair, connect_url=connect).get_object_as_file(tmp_path / "doc")
    assert denied.value.status == 403
