"""Tree hash, one-pass hashing, part-hash combination, alignment, part sizes (docs/vault-protocol.md §3)."""

from __future__ import annotations

import array
import hashlib
import io
import random
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cassdk_like.core.exceptions import InvalidArgumentError, InvalidPartSizeError, LocalFileError
from cassdk_like.core.integrity import (
    MAX_PARTS,
    ContentHashes,
    MiB,
    TreeHasher,
    calc_part_size,
    combine_tree_hashes,
    hash_bytes,
    hash_file,
    is_tree_aligned,
    is_valid_part_size,
    tree_hash,
    validate_part_size,
)

GiB = 1024 * MiB
HALF_MIB = MiB // 2

SHA_A = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
SHA_1MIB_ZERO = "30e14955ebf1352266dc2ff8067e68104607e750abb9d3b36582b8af909fcb58"
SHA_35MIB_ZERO = "4d9cbaf3aa0935a8c113f139691b3daf9c94c8d6c278aedc8eec66a4b9f6c8ae"
TREE_35MIB_ZERO = "69fa92ad252e24a084b9a1ca9483ede8f493cbb8ffbca27afa03199ef8d2da89"
TREE_35MIB_PATTERN = "094456e16bceb3fc2f45d87b61e61e1bde33b762ada2d1a9228412789152d2c9"


def pattern_bytes(size: int) -> bytes:
    """byte i = (7*i) % 251; the sequence has period 251, so build one period and repeat it."""
    period = bytes((7 * i) % 251 for i in range(251))
    return (period * (size // 251 + 1))[:size]


def seeded_bytes(size: int, seed: int) -> bytes:
    """Cheap non-repeating-per-leaf data: a seeded 4099-byte block repeated (4099 is coprime to MiB)."""
    block = random.Random(seed).randbytes(4099)
    return (block * (size // 4099 + 1))[:size]


def reference_tree_hash(data: bytes) -> str:
    """Straight from docs/vault-protocol.md §3.2: leaf digests, pairs level by level, odd node promoted."""
    if not data:
        return hashlib.sha256(b"").hexdigest()
    level = [hashlib.sha256(data[i : i + MiB]).digest() for i in range(0, len(data), MiB)]
    while len(level) > 1:
        nxt = [hashlib.sha256(level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0].hex()


PATTERN_35 = pattern_bytes(3 * MiB + HALF_MIB)
ZEROS_35 = bytes(3 * MiB + HALF_MIB)


# --- docs/vault-protocol.md §3.2 test vectors --------------------------------------------------


def test_vector_single_byte() -> None:
    hashes = hash_bytes(b"a")
    assert hashes == ContentHashes(size=1, sha256=SHA_A, tree_hash=SHA_A)
    assert tree_hash(b"a") == SHA_A


def test_vector_one_mib_of_zeros() -> None:
    hashes = hash_bytes(bytes(MiB))
    assert hashes.sha256 == SHA_1MIB_ZERO
    assert hashes.tree_hash == SHA_1MIB_ZERO
    assert hashes.size == MiB


def test_vector_three_and_a_half_mib_of_zeros() -> None:
    hashes = hash_bytes(ZEROS_35)
    assert hashes.sha256 == SHA_35MIB_ZERO
    assert hashes.tree_hash == TREE_35MIB_ZERO
    assert tree_hash(ZEROS_35) == TREE_35MIB_ZERO


def test_vector_patterned() -> None:
    assert PATTERN_35[:4] == bytes([0, 7, 14, 21])
    assert PATTERN_35[251] == 0
    assert PATTERN_35[36] == (7 * 36) % 251
    assert tree_hash(PATTERN_35) == TREE_35MIB_PATTERN
    assert reference_tree_hash(PATTERN_35) == TREE_35MIB_PATTERN


def test_empty_input_is_sha256_of_nothing() -> None:
    empty = hashlib.sha256(b"").hexdigest()
    hasher = TreeHasher(also_linear=True)
    assert hasher.hexdigest() == empty
    assert hasher.linear_hexdigest() == empty
    assert hasher.leaves() == []
    assert hasher.size == 0
    assert hash_bytes(b"") == ContentHashes(0, empty, empty)


# --- docs/vault-protocol.md §3.3 combining part hashes ---------------------------------------------


def test_two_mib_parts_combine_to_whole() -> None:
    part_a = tree_hash(PATTERN_35[: 2 * MiB])
    part_b = tree_hash(PATTERN_35[2 * MiB :])
    assert (part_a[:8], part_a[-4:]) == ("48283a88", "292e")
    assert (part_b[:8], part_b[-4:]) == ("2eaaa3c6", "b5db")
    assert combine_tree_hashes([part_a, part_b]) == TREE_35MIB_PATTERN
    raw = [bytes.fromhex(part_a), bytes.fromhex(part_b)]
    assert combine_tree_hashes(raw) == TREE_35MIB_PATTERN
    assert combine_tree_hashes([part_a.upper(), bytearray(raw[1])]) == TREE_35MIB_PATTERN


def test_three_mib_parts_give_a_different_hash() -> None:
    wrong = combine_tree_hashes([tree_hash(PATTERN_35[: 3 * MiB]), tree_hash(PATTERN_35[3 * MiB :])])
    assert (wrong[:8], wrong[-4:]) == ("fd79f1af", "1874")
    assert wrong != TREE_35MIB_PATTERN


def test_combine_single_part_is_identity() -> None:
    one = tree_hash(b"xyz")
    assert combine_tree_hashes([one.upper()]) == one


@pytest.mark.parametrize(
    "parts",
    [
        [],
        ["zz" * 32],
        ["ab" * 31],
        ["ab" * 32 + " "],
        [" " + "ab" * 31 + "a "],
        [b"\x00" * 31],
        [123],
        "ab" * 32,
    ],
)
def test_combine_rejects_bad_input(parts: object) -> None:
    with pytest.raises(InvalidArgumentError):
        combine_tree_hashes(parts)  # type: ignore[arg-type]


@settings(max_examples=30, deadline=None)
@given(
    size=st.integers(min_value=1, max_value=9 * MiB + 12345),
    part_size=st.sampled_from([MiB, 2 * MiB, 4 * MiB]),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_combined_power_of_two_parts_equal_whole(size: int, part_size: int, seed: int) -> None:
    data = seeded_bytes(size, seed)
    parts = [tree_hash(data[off : off + part_size]) for off in range(0, size, part_size)]
    assert combine_tree_hashes(parts) == tree_hash(data) == reference_tree_hash(data)


# --- streaming ------------------------------------------------------------------------------------


def feed(hasher: TreeHasher, data: bytes, sizes: List[int]) -> None:
    view = memoryview(data)
    pos, i = 0, 0
    while pos < len(data):
        step = sizes[i % len(sizes)]
        hasher.update(view[pos : pos + step])
        pos += step
        i += 1


STREAM_DATA = seeded_bytes(3 * MiB + 777, seed=3)
STREAM_EXPECTED = hash_bytes(STREAM_DATA)


@pytest.mark.parametrize(
    "sizes",
    [[MiB - 1], [MiB + 1], [MiB], [3 * MiB + 777], [5 * MiB], [1, MiB - 2, 7, 13]],
    ids=["mib-1", "mib+1", "mib", "all", "bigger", "mixed"],
)
def test_streaming_chunk_sizes_match_one_shot(sizes: List[int]) -> None:
    hasher = TreeHasher(also_linear=True)
    feed(hasher, STREAM_DATA, sizes)
    assert hasher.hexdigest() == STREAM_EXPECTED.tree_hash
    assert hasher.linear_hexdigest() == STREAM_EXPECTED.sha256
    assert hasher.size == len(STREAM_DATA)


@pytest.mark.parametrize("small", [1, 7])
def test_streaming_tiny_chunks_across_every_leaf_boundary(small: int) -> None:
    """Tiny updates around each boundary (1 MiB of 1-byte updates everywhere would be too slow)."""
    hasher = TreeHasher(also_linear=True)
    view = memoryview(STREAM_DATA)
    pos = 0
    for boundary in (MiB, 2 * MiB, 3 * MiB):
        hasher.update(view[pos : boundary - 50])
        pos = boundary - 50
        while pos < boundary + 50:
            hasher.update(view[pos : pos + small])
            pos += small
    hasher.update(view[pos:])
    assert hasher.hexdigest() == STREAM_EXPECTED.tree_hash
    assert hasher.linear_hexdigest() == STREAM_EXPECTED.sha256


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_streaming_random_chunks(seed: int) -> None:
    rng = random.Random(seed)
    sizes = [rng.choice([1, 2, 1000, 65536, MiB - 1, MiB, MiB + 1, 2 * MiB + 3]) for _ in range(64)]
    hasher = TreeHasher()
    feed(hasher, STREAM_DATA, sizes)
    assert hasher.hexdigest() == STREAM_EXPECTED.tree_hash


def test_digest_does_not_end_the_stream() -> None:
    hasher = TreeHasher(also_linear=True)
    hasher.update(STREAM_DATA[: MiB + 5])
    assert hasher.hexdigest() == tree_hash(STREAM_DATA[: MiB + 5])
    assert hasher.linear_hexdigest() == hashlib.sha256(STREAM_DATA[: MiB + 5]).hexdigest()
    hasher.update(STREAM_DATA[MiB + 5 :])
    assert hasher.hexdigest() == STREAM_EXPECTED.tree_hash
    assert hasher.digest() == bytes.fromhex(STREAM_EXPECTED.tree_hash)


def test_leaves_are_per_mib_sha256() -> None:
    hasher = TreeHasher()
    hasher.update(STREAM_DATA)
    expected = [hashlib.sha256(STREAM_DATA[i : i + MiB]).digest() for i in range(0, len(STREAM_DATA), MiB)]
    assert hasher.leaves() == expected
    assert len(expected) == 4


@pytest.mark.parametrize("leaves", [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 16, 17])
def test_many_leaf_counts_match_reference(leaves: int) -> None:
    """Every carry pattern of the incremental subtree stack, against docs/vault-protocol.md §3.2."""
    data = seeded_bytes(leaves * MiB - 3, seed=leaves)
    assert tree_hash(data) == reference_tree_hash(data)
    full = seeded_bytes(leaves * MiB, seed=leaves)
    assert tree_hash(full) == reference_tree_hash(full)


def test_update_accepts_bytearray_and_wide_item_arrays() -> None:
    data = seeded_bytes(MiB + 40, seed=9)
    wide = array.array("I")
    wide.frombytes(data)
    hasher = TreeHasher()
    hasher.update(bytearray(data[:10]))
    hasher.update(memoryview(wide).cast("B")[10:20])
    rest = array.array("I")
    rest.frombytes(data[20:])
    hasher.update(rest)  # type: ignore[arg-type]  # any buffer works; counted in bytes
    assert hasher.hexdigest() == tree_hash(data)
    assert hasher.size == len(data)


def test_linear_hexdigest_requires_also_linear() -> None:
    with pytest.raises(InvalidArgumentError, match="also_linear"):
        TreeHasher().linear_hexdigest()


# --- files ----------------------------------------------------------------------------------------


@pytest.fixture
def data_file(tmp_path: Path) -> Tuple[Path, bytes]:
    data = seeded_bytes(3 * MiB + 999, seed=5)
    path = tmp_path / "archive.bin"
    path.write_bytes(data)
    return path, data


@pytest.mark.parametrize(
    ("offset", "length"),
    [(0, None), (0, 1), (MiB, 2 * MiB), (123, MiB + 7), (2 * MiB + 1, None), (3 * MiB + 999, None)],
)
@pytest.mark.parametrize("chunk_size", [MiB, 65537])
def test_hash_file_slice_equals_hash_bytes(
    data_file: Tuple[Path, bytes], offset: int, length: int, chunk_size: int
) -> None:
    path, data = data_file
    end = len(data) if length is None else offset + length
    expected = hash_bytes(data[offset:end])
    assert hash_file(path, offset, length, chunk_size=chunk_size) == expected
    assert hash_file(str(path), offset=offset, length=length) == expected
    with path.open("rb") as fileobj:
        fileobj.read(17)  # position is irrelevant: the file object is seeked to offset
        assert hash_file(fileobj, offset, length, chunk_size) == expected
        assert not fileobj.closed


def test_hash_file_object_without_readinto(data_file: Tuple[Path, bytes]) -> None:
    _, data = data_file

    class ReadOnly(io.RawIOBase):
        def __init__(self, payload: bytes) -> None:
            self._inner = io.BytesIO(payload)

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            return self._inner.read(size)

        def seekable(self) -> bool:
            return False

    source = ReadOnly(data)
    source.readinto = None  # type: ignore[method-assign,assignment]
    assert hash_file(source, length=MiB + 3) == hash_bytes(data[: MiB + 3])  # type: ignore[arg-type]


def test_hash_file_ending_early_names_the_path(data_file: Tuple[Path, bytes]) -> None:
    path, data = data_file
    with pytest.raises(LocalFileError) as info:
        hash_file(path, offset=MiB, length=len(data), operation="upload_archive")
    assert str(path) in str(info.value)
    assert "upload_archive" in str(info.value)
    assert info.value.local_path == str(path)


def test_hash_file_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.bin"
    with pytest.raises(LocalFileError) as info:
        hash_file(missing)
    assert str(missing) in str(info.value)
    with pytest.raises(LocalFileError):
        hash_file(tmp_path)  # a folder


def test_hash_file_unseekable_offset_is_rejected() -> None:
    class Pipe(io.BytesIO):
        def seekable(self) -> bool:
            return False

    with pytest.raises(LocalFileError, match="not seekable"):
        hash_file(Pipe(b"abc"), offset=1)
    assert hash_file(Pipe(b"abc")) == hash_bytes(b"abc")


@pytest.mark.parametrize(
    "kwargs", [{"offset": -1}, {"length": -1}, {"chunk_size": 0}, {"offset": 1.0}, {"length": True}]
)
def test_hash_file_rejects_bad_arguments(data_file: Tuple[Path, bytes], kwargs: Dict[str, object]) -> None:
    with pytest.raises(InvalidArgumentError):
        hash_file(data_file[0], **kwargs)  # type: ignore[arg-type]


# --- alignment (docs/vault-protocol.md §3.4) ------------------------------------------------------


def _root(nodes: List[bytes]) -> bytes:
    while len(nodes) > 1:
        nxt = [hashlib.sha256(nodes[i] + nodes[i + 1]).digest() for i in range(0, len(nodes) - 1, 2)]
        if len(nodes) % 2:
            nxt.append(nodes[-1])
        nodes = nxt
    return nodes[0]


def _all_node_hashes(leaves: List[bytes]) -> Set[bytes]:
    """Every node of the explicit tree (Glacier's definition compares range roots with these)."""
    found, level = set(leaves), list(leaves)
    while len(level) > 1:
        nxt = [hashlib.sha256(level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        found.update(nxt)
        level = nxt
    return found


@pytest.mark.parametrize("tail", [0, 12345])
def test_alignment_matches_brute_force_tree(tail: int) -> None:
    """Glacier: a range is aligned iff the root built over it equals a node of the archive tree."""
    checked = aligned = 0
    for n_leaves in range(1, 41):
        leaves = [hashlib.sha256(b"leaf %d" % i).digest() for i in range(n_leaves)]
        nodes = _all_node_hashes(leaves)
        total = n_leaves * MiB - tail
        for first in range(n_leaves):
            for last in range(first, n_leaves):
                expected = _root(leaves[first : last + 1]) in nodes
                end = min((last + 1) * MiB, total) - 1
                assert is_tree_aligned(first * MiB, end, total) is expected, (n_leaves, first, last, tail)
                checked += 1
                aligned += expected
    assert checked == sum(n * (n + 1) // 2 for n in range(1, 41))
    assert 0 < aligned < checked


@pytest.mark.parametrize("n_leaves", [1, 2, 3, 7, 8, 40])
def test_unaligned_offsets_are_never_tree_aligned(n_leaves: int) -> None:
    total = n_leaves * MiB - 5
    for first in range(n_leaves):
        for delta in (1, 4096, MiB - 1):
            start = first * MiB + delta
            if start < total:
                assert not is_tree_aligned(start, total - 1, total)
        if first * MiB + MiB - 2 < total - 1:
            assert not is_tree_aligned(first * MiB, first * MiB + MiB - 2, total)  # end not MiB-aligned


def test_alignment_out_of_bounds_is_false() -> None:
    assert not is_tree_aligned(0, MiB, MiB)  # past the end
    assert not is_tree_aligned(MiB, MiB - 1, 4 * MiB)  # reversed
    assert not is_tree_aligned(-MiB, MiB - 1, 4 * MiB)
    assert not is_tree_aligned(0, 0, 0)
    assert is_tree_aligned(0, 0, 1)


def test_power_of_two_pieces_of_an_aligned_job_are_aligned() -> None:
    """The argument of docs/vault-protocol.md §3.4 for 32 MiB output pieces, on one 100 MiB archive."""
    total = 100 * MiB - 7
    job_start, job_end = 64 * MiB, total - 1
    assert is_tree_aligned(job_start, job_end, total)
    piece = 8 * MiB
    for off in range(0, job_end - job_start + 1, piece):
        end = min(job_start + off + piece, total) - 1
        assert is_tree_aligned(job_start + off, end, total)


# --- part sizes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (1 * GiB, 16 * MiB),
        (156 * GiB, 16 * MiB),
        (157 * GiB, 32 * MiB),
        (1024 * GiB, 128 * MiB),
        (40000 * GiB, 4096 * MiB),
        (0, 16 * MiB),
        (1, 16 * MiB),
    ],
)
def test_calc_part_size_seed_outputs(size: int, expected: int) -> None:
    assert calc_part_size(size, minimum=16 * MiB) == expected


def test_calc_part_size_boundaries() -> None:
    assert calc_part_size(0) == MiB
    assert calc_part_size(MAX_PARTS * MiB) == MiB
    assert calc_part_size(MAX_PARTS * MiB + 1) == 2 * MiB
    assert calc_part_size(5, minimum=3 * MiB) == 4 * MiB  # minimum rounded up to 1 MiB x 2^n
    for size in (1, 777 * MiB, 10 * GiB + 3, 3 * 1024 * GiB):
        part = calc_part_size(size)
        assert is_valid_part_size(part)
        assert -(-size // part) <= MAX_PARTS
        assert part == MiB or -(-size // (part // 2)) > MAX_PARTS  # smallest that fits


@pytest.mark.parametrize("bad", [-1, 1.5, True, "1"])
def test_calc_part_size_rejects_bad_size(bad: object) -> None:
    with pytest.raises(InvalidArgumentError):
        calc_part_size(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("good", [MiB, 2 * MiB, 4 * MiB, 16 * MiB, 4096 * MiB, 2**42])
def test_valid_part_sizes(good: int) -> None:
    assert is_valid_part_size(good)
    validate_part_size(good)


@pytest.mark.parametrize(
    "bad", [0, -MiB, 3 * MiB, MiB + MiB // 2, 48 * MiB, MiB // 2, 1, float(MiB), "1048576", None, True]
)
def test_invalid_part_sizes(bad: object) -> None:
    assert not is_valid_part_size(bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidPartSizeError) as info:
        validate_part_size(bad, operation="initiate_multipart_upload", resource="vault photos")
    message = str(info.value)
    assert "initiate_multipart_upload" in message
    assert "vault photos" in message
    assert repr(bad) in message
