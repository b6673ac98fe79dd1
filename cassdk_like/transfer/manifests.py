"""Manifests: which local files a transfer sends, and where each one lands (docs/transfer.md §3).

A mapping goes from a destination path to a source: a path (a file, or a folder walked
recursively), or a dict ``{src, size, flags, access, include, exclude}``.  A dict with ``size`` or
``flags`` needs no I/O at all (the file must exist only when the transfer sends it); a dict with
neither, nor globs, is an empty folder.  Every mapping is checked before the manifest exists, so a
bad one is a typed error that leaves no manifest behind; the walk itself runs later, in the
manager's background thread.
"""

from __future__ import annotations

import fnmatch
import os
import stat
import threading
import warnings
from typing import Any, Iterator, List, Mapping, Optional, Sequence, Set, Tuple

import attrs

from cassdk_like.transfer.destinations import join_key
from cassdk_like.transfer.errors import InvalidManifestError
from cassdk_like.transfer.store import FileEntry

__all__ = [
    "FILETYPE_DIRECTORY",
    "FILETYPE_FILE",
    "SYMLINKS_COPY_CONTENTS",
    "SYMLINKS_IGNORE",
    "MappingSpec",
    "expand",
    "parse_mappings",
]

#: copy what a link points to (the default)
SYMLINKS_COPY_CONTENTS = 0
#: leave links out of the manifest
SYMLINKS_IGNORE = 1
SYMLINK_OPTIONS = (SYMLINKS_COPY_CONTENTS, SYMLINKS_IGNORE)

FILETYPE_FILE = 1
FILETYPE_DIRECTORY = 2
_KEYS = {"src", "size", "flags", "access", "include", "exclude"}
_OPERATION = "createManifest"


@attrs.frozen
class MappingSpec:
    """One checked mapping: ``dest`` (a key, no leading slash), ``src`` and what is known of it.

    ``walk`` says whether the source is read from disk (a path, or a dict with globs); else the
    entry is taken as given (``size``/``flags``) without I/O.
    """

    dest: str
    src: str
    walk: bool
    size: int = 0
    flags: int = FILETYPE_FILE
    access: str = ""
    include: Tuple[str, ...] = ()
    exclude: Tuple[str, ...] = ()

    def to_json(self) -> Mapping[str, Any]:
        return attrs.asdict(self)


def _fail(message: str, dest: object = None) -> InvalidManifestError:
    resource = None if dest is None else f"mapping {dest!r}"
    return InvalidManifestError(message, operation=_OPERATION, resource=resource)


def _dest_key(dest: object) -> str:
    if not isinstance(dest, str) or not dest.strip():
        raise _fail("a destination path must be a non-blank string", dest)
    parts = [part for part in dest.split("/") if part]
    if any(part in (".", "..") for part in parts):
        raise _fail("a destination path may not hold '.' or '..'", dest)
    return join_key(dest)


def _globs(value: object, name: str, dest: str) -> Tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise _fail(f"{name} must be a list of patterns", dest)
    if not all(isinstance(item, str) and item for item in value):
        raise _fail(f"{name} must hold non-empty strings", dest)
    return tuple(value)


def _source(value: object, dest: str) -> str:
    if not isinstance(value, (str, os.PathLike)) or not os.fspath(value):
        raise _fail("a source must be a non-empty path", dest)
    path = os.fspath(value)
    return os.path.abspath(path) if isinstance(path, str) else os.path.abspath(os.fsdecode(path))


def _spec(dest: object, value: object) -> MappingSpec:
    key = _dest_key(dest)
    shown = str(dest)
    if isinstance(value, (str, os.PathLike)):
        src = _source(value, shown)
        if not os.path.exists(src):
            raise _fail(f"the source {src!r} does not exist", shown)
        return MappingSpec(key, src, walk=True)
    if not isinstance(value, Mapping):
        raise _fail(f"a source is a path or a dict, not {type(value).__name__}", shown)
    unknown = set(value) - _KEYS
    if unknown:
        raise _fail(f"unknown mapping keys {sorted(map(str, unknown))}; use {sorted(_KEYS)}", shown)
    if "src" not in value:
        raise _fail("a mapping dict needs 'src'", shown)
    src = _source(value["src"], shown)
    size, flags, access = value.get("size"), value.get("flags"), value.get("access", "")
    include = _globs(value.get("include"), "include", shown)
    exclude = _globs(value.get("exclude"), "exclude", shown)
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise _fail(f"size must be an integer >= 0, got {size!r}", shown)
    if flags is not None and flags not in (FILETYPE_FILE, FILETYPE_DIRECTORY):
        raise _fail(f"flags must be FILETYPE_FILE or FILETYPE_DIRECTORY, got {flags!r}", shown)
    if not isinstance(access, str) or access not in ("", "x"):
        raise _fail(f"access must be '' or 'x', got {access!r}", shown)
    if size is None and flags is None and (include or exclude):
        if not os.path.isdir(src):
            raise _fail(f"include/exclude need a folder to walk; {src!r} is not one", shown)
        return MappingSpec(key, src, walk=True, include=include, exclude=exclude)
    if flags == FILETYPE_DIRECTORY or (size is None and flags is None):
        return MappingSpec(key, src, walk=False, flags=FILETYPE_DIRECTORY, access=access)
    return MappingSpec(key, src, walk=False, size=size or 0, access=access)


def parse_mappings(
    mappings: Optional[Mapping[Any, Any]],
    file_mappings: Optional[Mapping[Any, Any]] = None,
    symlink_options: Optional[int] = None,
) -> Tuple[List[MappingSpec], int]:
    """Every mapping checked (``fileMappings`` is source -> destination, deprecated); raises
    ``InvalidManifestError`` for the first bad one.  Returns the specs and the symlink option."""
    options = SYMLINKS_COPY_CONTENTS if symlink_options is None else symlink_options
    if isinstance(options, bool) or options not in SYMLINK_OPTIONS:
        raise _fail(f"symlinkOptions must be SYMLINKS_COPY_CONTENTS or SYMLINKS_IGNORE, got {options!r}")
    pairs: List[Tuple[object, object]] = []
    for name, given, reverse in (("mappings", mappings, False), ("fileMappings", file_mappings, True)):
        if given is None:
            continue
        if not isinstance(given, Mapping):
            raise _fail(f"{name} must be a dict, not {type(given).__name__}")
        if reverse:
            warnings.warn(
                "fileMappings is deprecated: pass mappings (destination -> source)",
                DeprecationWarning,
                stacklevel=3,
            )
        pairs.extend((v, k) if reverse else (k, v) for k, v in given.items())
    if not pairs:
        raise _fail("no mappings: give mappings={destination path: source}")
    specs = [_spec(dest, value) for dest, value in pairs]
    seen: Set[str] = set()
    for spec in specs:
        if spec.dest in seen:
            raise _fail("two mappings name the same destination path", spec.dest)
        seen.add(spec.dest)
    return specs, options


def _matches(name: str, patterns: Sequence[str]) -> bool:
    """A pattern without glob characters matches as a suffix (``.mp3`` is ``*.mp3``)."""
    return any(fnmatch.fnmatchcase(name, p if any(c in p for c in "*?[") else f"*{p}") for p in patterns)


def _wanted(name: str, spec: MappingSpec) -> bool:
    if spec.include and not _matches(name, spec.include):
        return False
    return not _matches(name, spec.exclude)


def _file(dest: str, path: str, info: os.stat_result) -> FileEntry:
    access = "x" if info.st_mode & stat.S_IXUSR else ""
    return FileEntry(dest, path, info.st_size, info.st_mtime_ns, FILETYPE_FILE, access)


def expand(
    specs: Sequence[MappingSpec], symlink_options: int, stop: Optional[threading.Event] = None
) -> Iterator[FileEntry]:
    """The manifest's entries in a stable order: given ones as they are, walked ones file by file
    (folders in name order), empty folders as ``FILETYPE_DIRECTORY`` entries."""
    for spec in specs:
        if not spec.walk:
            yield FileEntry(spec.dest, spec.src, spec.size, None, spec.flags, spec.access)
            continue
        yield from _walk(spec, symlink_options, stop)


def _walk(spec: MappingSpec, symlink_options: int, stop: Optional[threading.Event]) -> Iterator[FileEntry]:
    follow = symlink_options == SYMLINKS_COPY_CONTENTS
    if os.path.islink(spec.src) and not follow:
        return
    info = os.stat(spec.src)
    if not stat.S_ISDIR(info.st_mode):
        yield _file(spec.dest, spec.src, info)
        return
    visited: Set[Tuple[int, int]] = set()
    pending: List[Tuple[str, str]] = [(spec.src, spec.dest)]
    while pending:
        if stop is not None and stop.is_set():
            return
        folder, dest = pending.pop()
        ident = os.stat(folder)
        if (ident.st_dev, ident.st_ino) in visited:  # a link loop: each folder once
            continue
        visited.add((ident.st_dev, ident.st_ino))
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda e: e.name)
        subfolders: List[Tuple[str, str]] = []
        files = 0
        for entry in entries:
            if entry.is_symlink() and not follow:
                continue
            target = join_key(dest, entry.name)
            try:
                if entry.is_dir(follow_symlinks=follow):
                    subfolders.append((entry.path, target))
                elif entry.is_file(follow_symlinks=follow) and _wanted(entry.name, spec):
                    files += 1
                    yield _file(target, entry.path, os.stat(entry.path))
            except FileNotFoundError:  # a dangling link or a file removed during the walk
                continue
        if not files and not subfolders:
            yield FileEntry(dest, folder, 0, None, FILETYPE_DIRECTORY, "")
        pending.extend(reversed(subfolders))
