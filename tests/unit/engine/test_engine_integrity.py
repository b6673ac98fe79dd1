"""Integrity strategies, and the engine using them: whole-object digests, transforms, part tokens,
flat-memory parts and edits caught while uploading."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any, List, Mapping, Optional, Sequence, Tuple

import attrs
import pytest

from cassdk_like.core.byterange import ByteRange
from cassdk_like.core.checksums import (
    CRC32C,
    MD5,
    NO_INTEGRITY,
    SHA256,
    Crc32cHasher,
    TreeHashIntegrity,
    crc32c,
)
from cassdk_like.core.exceptions import (
    HashDoesNotMatchError,
    InvalidArgumentError,
    InvalidPartSizeError,
    LocalFileError,
)
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.core.integrity import MiB, tree_hash
from cassdk_like.engine import (
    CompletedUpload,
    GenericPartSizer,
    MultipartUploadError,
    PartBody,
    TransferConfig,
    download_to_path,
    iter_range,
    stream_range,
    upload_multipart,
)
from cassdk_like.engine import upload as upload_module
from tests.helpers.engine_fakes import FakeSource, FakeTarget, read_body

FAST = RetryPolicy(total_attempts=3, backoff_base=0.0, backoff_cap=0.0)
CFG = TransferConfig(
    max_workers=3,
    piece_size=MiB,
    stream_piece_size=MiB,
    min_part_size=MiB,
    retry_policy=FAST,
    poll_interval=0.01,
)


# --- strategies -----------------------------------------------------------------------------------


def test_crc32c_matches_the_rfc_3720_check_value() -> None:
    assert crc32c(b"123456789") == 0xE3069283
    hasher = Crc32cHasher()
    for part in (b"1234", b"", b"56789"):
        hasher.update(part)
    assert hasher.hexdigest() == "e3069283"
    assert hasher.digest() == bytes.fromhex("e3069283")
    assert crc32c(b"") == 0
    assert crc32c(bytes(32)) == 0x8A9136AA  # RFC 3720 B.4: 32 bytes of zeros


@pytest.mark.parametrize(("strategy", "name"), [(SHA256, "sha256"), (MD5, "md5")])
def test_whole_object_strategies_are_hashlib_and_do_not_combine(strategy: Any, name: str) -> None:
    data = os.urandom(3 * MiB + 1)
    hasher = strategy.new_hasher()
    hasher.update(data[:MiB])
    hasher.update(memoryview(data)[MiB:])
    assert hasher.hexdigest() == hashlib.new(name, data).hexdigest()
    assert strategy.name == name
    assert not strategy.combinable
    with pytest.raises(NotImplementedError):
        strategy.combine(["00"])


def test_tree_strategy_combines_and_none_checks_nothing() -> None:
    data = os.urandom(4 * MiB + 3)
    tree = TreeHashIntegrity(range_header="x-h")
    parts = [tree_hash(data[i : i + MiB]) for i in range(0, len(data), MiB)]
    assert tree.combine(parts) == tree_hash(data)
    assert tree.range_header == "x-h"
    assert tree.combinable
    none = NO_INTEGRITY.new_hasher()
    none.update(data)
    assert none.hexdigest() == ""
    assert NO_INTEGRITY.combine(["", ""]) == ""
    assert not CRC32C.combinable


# --- downloads with a strategy that does not combine -----------------------------------------------


def test_download_with_a_whole_object_sha256_is_verified_by_hashing_in_order(tmp_path: Path) -> None:
    data = os.urandom(5 * MiB + 7)
    source = FakeSource(data, integrity=SHA256)
    result = download_to_path(source, tmp_path / "o", config=CFG)
    assert (tmp_path / "o").read_bytes() == data
    assert result.verified
    assert result.integrity == "sha256"
    assert result.digest == hashlib.sha256(data).hexdigest()


def test_download_with_a_wrong_whole_object_digest_leaves_nothing(tmp_path: Path) -> None:
    data = os.urandom(3 * MiB)
    source = FakeSource(data, integrity=SHA256, expected_tree_hash="ab" * 32)
    with pytest.raises(HashDoesNotMatchError, match="SHA-256"):
        download_to_path(source, tmp_path / "o", config=CFG)
    assert not (tmp_path / "o").exists()


def test_download_without_an_expected_digest_of_a_whole_object_strategy_is_not_verified(
    tmp_path: Path,
) -> None:
    data = os.urandom(2 * MiB + 1)
    result = download_to_path(
        FakeSource(data, integrity=MD5, expected_tree_hash=None), tmp_path / "o", config=CFG
    )
    assert (tmp_path / "o").read_bytes() == data
    assert not result.verified


@pytest.mark.parametrize("strategy", [SHA256, CRC32C], ids=lambda s: s.name)
def test_stream_with_a_whole_object_digest_hashes_in_emission_order(strategy: Any) -> None:
    data = os.urandom(3 * MiB + 11) if strategy is SHA256 else os.urandom(2 * MiB + 3)
    out = io.BytesIO()
    result = stream_range(FakeSource(data, integrity=strategy), None, out, config=CFG)
    assert out.getvalue() == data
    assert result.verified
    assert result.integrity == strategy.name
    with pytest.raises(HashDoesNotMatchError):
        stream_range(
            FakeSource(data, integrity=strategy, expected_tree_hash="00" * 4), None, io.BytesIO(), config=CFG
        )


# --- transform hook ------------------------------------------------------------------------------


class XorSource(FakeSource):
    """Stores every byte XOR 0x5A; ``transform`` turns a fetched range back into plaintext."""

    def __init__(self, plain: bytes) -> None:
        super().__init__(bytes(b ^ 0x5A for b in plain))
        self.seen: List[ByteRange] = []

    def transform(self, byte_range: ByteRange, data: memoryview) -> bytes:
        self.seen.append(byte_range)
        return bytes(b ^ 0x5A for b in data)


def test_stream_applies_the_transform_after_verifying_the_fetched_bytes() -> None:
    plain = bytes((i * 7) % 256 for i in range(2 * MiB + 100))
    source = XorSource(plain)
    assert b"".join(iter_range(source, None, config=CFG)) == plain
    assert source.seen == [
        ByteRange(0, MiB - 1),
        ByteRange(MiB, 2 * MiB - 1),
        ByteRange(2 * MiB, 2 * MiB + 99),
    ]
    out = io.BytesIO()
    result = stream_range(source, None, out, config=CFG)
    assert out.getvalue() == plain
    assert result.verified
    assert result.tree_hash == tree_hash(source.data)


def test_download_to_path_refuses_a_transforming_source(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="stream_range"):
        download_to_path(XorSource(b"abc"), tmp_path / "o", config=CFG)
    assert not (tmp_path / "o").exists()


# --- upload parts --------------------------------------------------------------------------------


def test_parts_of_a_file_stream_from_it_without_part_buffers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_pool(*_args: Any) -> None:
        raise AssertionError("a file upload must not allocate part buffers")

    monkeypatch.setattr(upload_module, "BufferPool", no_pool)
    data = os.urandom(5 * MiB + 1)
    path = tmp_path / "in.bin"
    path.write_bytes(data)
    kinds: List[str] = []

    class Recording(FakeTarget):
        def upload_part(self, number: int, body: PartBody) -> str:
            kinds.append(type(body.content()).__name__)
            return super().upload_part(number, body)

    target = Recording()
    result = upload_multipart(path, target, part_size=2 * MiB, config=CFG)
    assert target.archive() == data
    assert result.tree_hash == tree_hash(data)
    assert kinds
    assert set(kinds) == {"WindowReader"}
    assert [n for n, _ in result.parts] == [1, 2, 3]


def test_an_edit_of_the_file_during_the_upload_fails_the_part_and_names_it(tmp_path: Path) -> None:
    data = os.urandom(4 * MiB)
    path = tmp_path / "in.bin"
    path.write_bytes(data)
    before = os.stat(path)

    def edit(rng: ByteRange) -> None:
        if rng.start == MiB:  # part 2 was hashed; change one of its bytes before it is sent
            with open(path, "r+b") as handle:
                handle.seek(MiB + 10)
                handle.write(bytes([data[MiB + 10] ^ 0xFF]))
            # hide the edit from the size/mtime check: only the part's own checksum can tell
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))

    target = FakeTarget(on_part=edit)
    one_worker = attrs.evolve(CFG, max_workers=1)  # no other worker reads while the file is edited
    with pytest.raises(MultipartUploadError, match=r"part 2 \(bytes 1048576-2097151\) changed") as info:
        upload_multipart(path, target, config=one_worker)
    assert isinstance(info.value.__cause__, LocalFileError)
    assert MiB not in target.parts  # the changed bytes were never stored
    assert sum(1 for c in target.calls if c.start == MiB) == 1  # not retried: it cannot succeed


def test_a_window_reader_rewound_by_a_retry_checks_again(tmp_path: Path) -> None:
    data = os.urandom(2 * MiB)
    path = tmp_path / "in.bin"
    path.write_bytes(data)

    class ReadTwice(FakeTarget):
        def upload_part(self, number: int, body: PartBody) -> str:
            reader: Any = body.content()
            reader.read(1000)  # an attempt that broke half-way
            reader.seek(0)
            return super().upload_part(number, body)

    target = ReadTwice()
    upload_multipart(path, target, config=CFG)
    assert target.archive() == data


class BucketLikeTarget:
    """An S3-shaped target: any part size, MD5 per part, the ETag as token, no part sizer."""

    part_checksums = (MD5,)

    def __init__(self) -> None:
        self.parts: dict = {}
        self.completed: Optional[Sequence[Tuple[int, str]]] = None

    def upload_part(self, number: int, body: PartBody) -> str:
        data = read_body(body)
        assert hashlib.md5(data).hexdigest() == body.digests["md5"]
        self.parts[number] = data
        return f'"{body.digests["md5"]}"'

    def token_for(self, number: int, digests: Mapping[str, str]) -> Optional[str]:
        return f'"{digests["md5"]}"'

    def list_parts(self) -> List[Tuple[int, ByteRange, str]]:
        return []

    def complete(self, parts: Sequence[Tuple[int, str]], size: int) -> CompletedUpload:
        self.completed = parts
        return CompletedUpload("object-key")

    def abort(self) -> None:
        return None


def test_a_target_without_a_part_sizer_takes_any_part_size(tmp_path: Path) -> None:
    data = os.urandom(7 * MiB + 5)
    path = tmp_path / "in.bin"
    path.write_bytes(data)
    target = BucketLikeTarget()
    result = upload_multipart(path, target, part_size=3 * MiB, config=CFG)
    assert b"".join(target.parts[n] for n in sorted(target.parts)) == data
    assert [n for n, _ in target.completed or []] == [1, 2, 3]
    assert result.archive_id == "object-key"
    assert result.tree_hash == ""
    with pytest.raises(InvalidArgumentError):
        upload_multipart(io.BytesIO(data), FakeTarget(), part_size=3 * MiB, config=CFG)  # a vault's rule


def test_generic_part_sizer_keeps_within_the_part_limit() -> None:
    sizer = GenericPartSizer()
    assert sizer.part_size(5 * MiB, requested=None, minimum=MiB) == MiB
    chosen = sizer.part_size(30_000 * MiB + 1, requested=None, minimum=MiB)
    assert -(-(30_000 * MiB + 1) // chosen) <= 10_000
    assert GenericPartSizer(multiple=MiB).part_size(30_000 * MiB + 1, requested=None, minimum=MiB) == 4 * MiB
    assert sizer.part_size(10, requested=3, minimum=MiB) == 3
    with pytest.raises(InvalidPartSizeError):
        GenericPartSizer(multiple=MiB).part_size(10, requested=MiB + 1, minimum=MiB)
