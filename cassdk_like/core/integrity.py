"""Checksums the service verifies: linear SHA-256 and the 1 MiB-leaf tree hash (docs/vault-protocol.md §3).

Everything here is computed in a single pass over the bytes, because archives are large and the
upload engine must never read a file twice just to hash it.  The tree hash is built incrementally
(a stack of complete subtrees), so ``digest()`` costs O(log n) however much was fed in.

Empty input: the tree hash of zero bytes is defined here as ``sha256(b"")`` (as botocore does);
the original CAS SDK returned an empty string and refused zero-byte archives.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from typing import IO, Any, Callable, ContextManager, List, Optional, Sequence, Tuple, Union

import attrs

from cassdk_like.core.exceptions import InvalidArgumentError, InvalidPartSizeError, LocalFileError

__all__ = [
    "MAX_PARTS",
    "ContentHashes",
    "MiB",
    "TreeHasher",
    "calc_part_size",
    "combine_tree_hashes",
    "feed_stream",
    "hash_bytes",
    "hash_file",
    "is_tree_aligned",
    "is_valid_part_size",
    "tree_hash",
    "validate_part_size",
]

MiB = 1024 * 1024
MAX_PARTS = 10_000

BytesLike = Union[bytes, bytearray, memoryview]
PathOrFile = Union[str, "os.PathLike[str]", IO[bytes]]

_EMPTY_DIGEST = hashlib.sha256(b"").digest()
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


def _as_bytes_view(data: BytesLike) -> memoryview:
    """A flat unsigned-byte view, so slicing counts bytes whatever the buffer's item format."""
    view = memoryview(data)
    if view.format != "B" or view.ndim != 1:
        view = view.cast("B")
    return view


def _pair(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(left + right).digest()


def _combine_levels(nodes: Sequence[bytes]) -> bytes:
    """Reduce level by level: pairs hashed, an odd last node promoted (docs/vault-protocol.md §3.2)."""
    level = list(nodes)
    if not level:
        return _EMPTY_DIGEST
    while len(level) > 1:
        nxt = [_pair(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


class TreeHasher:
    """Streaming tree hash; ``update()`` accepts any chunk sizes, including ones spanning leaves.

    One ``hashlib`` object per open leaf is fed slices of the caller's buffer, so nothing is copied.
    Completed leaves are kept (32 bytes each, in one bytearray) for :meth:`leaves` and merged
    eagerly into a stack of complete power-of-two subtrees for a cheap :meth:`digest`.
    """

    __slots__ = ("_fill", "_leaf", "_leaves", "_linear", "_size", "_stack")

    def __init__(self, *, also_linear: bool = False) -> None:
        self._leaf = hashlib.sha256()
        self._fill = 0
        self._size = 0
        self._leaves = bytearray()
        self._stack: List[Tuple[int, bytes]] = []  # (height, digest) of complete subtrees
        self._linear = hashlib.sha256() if also_linear else None

    @property
    def size(self) -> int:
        """Bytes fed so far."""
        return self._size

    def update(self, data: BytesLike) -> None:
        """Add ``data`` to the hash (any length; whole MiB blocks are hashed as they fill)."""
        view = _as_bytes_view(data)
        linear = self._linear
        pos, total = 0, len(view)
        while pos < total:
            take = view[pos : pos + (MiB - self._fill)]
            self._leaf.update(take)
            if linear is not None:
                linear.update(take)  # same slice while it is still in cache
            self._fill += len(take)
            pos += len(take)
            if self._fill == MiB:
                self._close_leaf()
        self._size += total

    def _close_leaf(self) -> None:
        digest = self._leaf.digest()
        self._leaves += digest
        self._leaf = hashlib.sha256()
        self._fill = 0
        height = 0
        while self._stack and self._stack[-1][0] == height:
            digest = _pair(self._stack.pop()[1], digest)
            height += 1
        self._stack.append((height, digest))

    def digest(self) -> bytes:
        """Raw 32-byte root; does not end the stream (more ``update()`` calls may follow)."""
        if self._size == 0:
            return _EMPTY_DIGEST
        # Folding the stack from the right reproduces the level-by-level tree exactly, because
        # each entry is a complete subtree starting at a multiple of its own size.
        nodes = [node for _height, node in self._stack]
        if self._fill:
            nodes.append(self._leaf.copy().digest())
        root = nodes[-1]
        for node in reversed(nodes[:-1]):
            root = _pair(node, root)
        return root

    def hexdigest(self) -> str:
        """The tree hash of everything so far, in hex."""
        return self.digest().hex()

    def linear_hexdigest(self) -> str:
        """Plain SHA-256 of everything fed; only available with ``also_linear=True``."""
        if self._linear is None:
            raise InvalidArgumentError("linear hash not requested: create TreeHasher(also_linear=True)")
        return self._linear.hexdigest()

    def leaves(self) -> List[bytes]:
        """Raw SHA-256 of each 1 MiB leaf so far, including the current partial leaf."""
        out = [bytes(self._leaves[i : i + 32]) for i in range(0, len(self._leaves), 32)]
        if self._fill:
            out.append(self._leaf.copy().digest())
        return out


def tree_hash(data: BytesLike) -> str:
    """Hex tree hash of an in-memory buffer."""
    hasher = TreeHasher()
    hasher.update(data)
    return hasher.hexdigest()


@attrs.frozen
class ContentHashes:
    """What an upload needs to send for a body: its size, linear SHA-256 and tree hash (hex)."""

    size: int
    sha256: str
    tree_hash: str


def _content_hashes(hasher: TreeHasher) -> ContentHashes:
    return ContentHashes(size=hasher.size, sha256=hasher.linear_hexdigest(), tree_hash=hasher.hexdigest())


def hash_bytes(data: BytesLike) -> ContentHashes:
    """Size, linear and tree hash of a buffer in one pass."""
    hasher = TreeHasher(also_linear=True)
    hasher.update(data)
    return _content_hashes(hasher)


def _check_non_negative_int(name: str, value: Any, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidArgumentError(f"{name} must be a non-negative integer, got {value!r}")


def hash_file(
    path_or_fileobj: PathOrFile,
    offset: int = 0,
    length: Optional[int] = None,
    chunk_size: int = MiB,
    *,
    operation: Optional[str] = None,
) -> ContentHashes:
    """Hash ``length`` bytes (default: to end of file) from ``offset``, reading each byte once.

    A path is opened and closed here; a file object is seeked to ``offset`` (a non-seekable one is
    read from where it is, and only ``offset=0`` is allowed) and left open.
    Reads go into one reusable buffer.  A file that ends before ``length`` bytes raises
    ``LocalFileError`` (it was truncated or changed while in use).
    """
    _check_non_negative_int("offset", offset)
    _check_non_negative_int("length", length, allow_none=True)
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise InvalidArgumentError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    if isinstance(path_or_fileobj, (str, os.PathLike)):
        label = os.fsdecode(path_or_fileobj)
    else:
        label = str(getattr(path_or_fileobj, "name", "<file object>"))
    try:
        opened: ContextManager[IO[bytes]] = (
            open(path_or_fileobj, "rb")  # noqa: SIM115 - closed by the with-block below
            if isinstance(path_or_fileobj, (str, os.PathLike))
            else contextlib.nullcontext(path_or_fileobj)
        )
        with opened as fileobj:
            hasher = TreeHasher(also_linear=True)
            feed_stream(
                fileobj,
                hasher.update,
                offset=offset,
                length=length,
                chunk_size=chunk_size,
                label=label,
                operation=operation,
            )
            return _content_hashes(hasher)
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise LocalFileError(f"cannot read file: {reason}", operation=operation, local_path=label) from exc


def feed_stream(
    fileobj: IO[bytes],
    update: Callable[[memoryview], None],
    *,
    offset: int = 0,
    length: Optional[int] = None,
    chunk_size: int = MiB,
    label: str = "<file object>",
    operation: Optional[str] = None,
) -> int:
    """Read ``length`` bytes (default: to the end) from ``offset`` into one reusable buffer and hand
    each chunk to ``update``; returns the bytes read.  A file that ends early raises ``LocalFileError``.

    One loop for every digest computed over a file window (tree hash here, the checksum strategies
    of ``core.checksums``), so a body is never read whole into memory.
    """
    seekable = getattr(fileobj, "seekable", None)
    if seekable is None or seekable():
        fileobj.seek(offset)
    elif offset:
        raise LocalFileError(
            f"cannot seek to offset {offset}: the file object is not seekable",
            operation=operation,
            local_path=label,
        )
    if length is not None:
        chunk_size = max(1, min(chunk_size, length))
    buf = bytearray(chunk_size)
    view = memoryview(buf)
    readinto = getattr(fileobj, "readinto", None)
    total = 0
    remaining = length
    while remaining is None or remaining > 0:
        want = chunk_size if remaining is None else min(chunk_size, remaining)
        if readinto is not None:
            got = readinto(view[:want]) or 0
            chunk = view[:got]
        else:
            data = fileobj.read(want)
            got = len(data)
            chunk = memoryview(data)
        if got == 0:
            break
        update(chunk)
        total += got
        if remaining is not None:
            remaining -= got
    if remaining:
        raise LocalFileError(
            f"file ended early: expected {length} bytes from offset {offset}, got {total}",
            operation=operation,
            local_path=label,
        )
    return total


def _digest_from(value: Union[str, bytes, bytearray, memoryview], index: int) -> bytes:
    if isinstance(value, str):
        if not _HEX64.fullmatch(value):
            raise InvalidArgumentError(f"part hash #{index} is not 64 hex characters: {value!r}")
        return bytes.fromhex(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        if len(raw) != 32:
            raise InvalidArgumentError(f"part hash #{index} must be 32 raw bytes, got {len(raw)}")
        return raw
    raise InvalidArgumentError(f"part hash #{index} must be a hex string or 32 bytes, got {value!r}")


def combine_tree_hashes(part_hashes: Sequence[Union[str, bytes, bytearray, memoryview]]) -> str:
    """Archive tree hash from the parts' tree hashes, in offset order (hex or raw 32-byte inputs).

    Correct only when every part but the last is the same 1 MiB x 2^n size (docs/vault-protocol.md §3.3).
    """
    if isinstance(part_hashes, (str, bytes)):
        raise InvalidArgumentError("part_hashes must be a sequence of hashes, not a single value")
    digests = [_digest_from(value, i) for i, value in enumerate(part_hashes)]
    if not digests:
        raise InvalidArgumentError("cannot combine an empty list of part hashes")
    return _combine_levels(digests).hex()


def is_tree_aligned(start: int, end: int, total_size: int) -> bool:
    """Whether inclusive archive-absolute ``[start, end]`` is a node of the archive's tree.

    Only then does the service return a tree-hash header for the range (docs/vault-protocol.md
    §3.4).  Ranges outside the archive are simply not aligned (False), not an error.
    """
    if start < 0 or end < start or end >= total_size or start % MiB:
        return False
    ends_archive = end == total_size - 1
    if not ends_archive and (end + 1) % MiB:
        return False
    leaf_count = -(-(end + 1 - start) // MiB)
    span = 1 << (leaf_count - 1).bit_length()  # 2^ceil(log2 m)
    if (start // MiB) % span:
        return False
    return ends_archive or leaf_count == span


def is_valid_part_size(part_size: int) -> bool:
    """1 MiB x 2^n, as the service requires (so part tree hashes are complete subtrees)."""
    if isinstance(part_size, bool) or not isinstance(part_size, int):
        return False
    if part_size < MiB or part_size % MiB:
        return False
    units = part_size // MiB
    return units & (units - 1) == 0


def validate_part_size(
    part_size: Any, *, operation: Optional[str] = None, resource: Optional[str] = None
) -> None:
    """Raise ``InvalidPartSizeError`` unless ``part_size`` is 1 MiB x 2^n bytes."""
    if not is_valid_part_size(part_size):
        raise InvalidPartSizeError(
            f"part size must be 1 MiB x 2^n bytes (1048576, 2097152, 4194304, ...), got {part_size!r}",
            operation=operation,
            resource=resource,
        )


def calc_part_size(size_total: int, minimum: int = MiB) -> int:
    """Smallest 1 MiB x 2^n >= ``minimum`` that needs at most 10,000 parts for ``size_total``.

    A ``minimum`` that is not itself a valid part size is rounded up to the next one.
    """
    _check_non_negative_int("size_total", size_total)
    if isinstance(minimum, bool) or not isinstance(minimum, int):
        raise InvalidArgumentError(f"minimum must be an integer, got {minimum!r}")
    part = MiB
    while part < minimum or -(-size_total // part) > MAX_PARTS:
        part *= 2
    return part
