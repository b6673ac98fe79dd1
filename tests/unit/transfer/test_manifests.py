"""Manifests: how mappings expand into entries, and every bad mapping a typed error."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, List, Tuple

import pytest

from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.transfer.errors import InvalidManifestError
from cassdk_like.transfer.manifests import (
    FILETYPE_DIRECTORY,
    FILETYPE_FILE,
    SYMLINKS_IGNORE,
    expand,
    parse_mappings,
)


def _tree(root: Path) -> Path:
    (root / "src" / "sub" / "deep").mkdir(parents=True)
    (root / "src" / "empty").mkdir()
    (root / "src" / "a.txt").write_bytes(b"a" * 5)
    (root / "src" / "b.png").write_bytes(b"b" * 7)
    (root / "src" / "sub" / "c.mp3").write_bytes(b"c" * 9)
    (root / "src" / "sub" / "deep" / "d.PNG").write_bytes(b"d")
    return root / "src"


def _entries(mappings: Any, symlinks: Any = None) -> List[Tuple[str, int, int]]:
    specs, options = parse_mappings(mappings, symlink_options=symlinks)
    return [(e.dest, e.size, e.flags) for e in expand(specs, options)]


def test_a_folder_expands_to_its_files_and_empty_folders(tmp_path: Path) -> None:
    src = _tree(tmp_path)
    assert _entries({"/project/": str(src)}) == [
        ("project/a.txt", 5, FILETYPE_FILE),
        ("project/b.png", 7, FILETYPE_FILE),
        ("project/empty", 0, FILETYPE_DIRECTORY),
        ("project/sub/c.mp3", 9, FILETYPE_FILE),
        ("project/sub/deep/d.PNG", 1, FILETYPE_FILE),
    ]


def test_a_file_maps_to_its_new_name(tmp_path: Path) -> None:
    src = _tree(tmp_path)
    assert _entries({"/project/introduction.txt": str(src / "a.txt")}) == [
        ("project/introduction.txt", 5, FILETYPE_FILE)
    ]


def test_include_and_exclude_globs_filter_file_names(tmp_path: Path) -> None:
    src = _tree(tmp_path)
    found = _entries({"/d": {"src": str(src), "exclude": ["*.png", "*.PNG"]}})
    assert [d for d, _s, f in found if f == FILETYPE_FILE] == ["d/a.txt", "d/sub/c.mp3"]
    found = _entries({"/d": {"src": str(src), "include": [".mp3"]}})
    assert [d for d, _s, f in found if f == FILETYPE_FILE] == ["d/sub/c.mp3"]


def test_no_io_entries_are_taken_as_given(tmp_path: Path) -> None:
    missing = str(tmp_path / "not-yet")
    assert _entries({"/storage/f.txt": {"src": missing, "size": 100}}) == [
        ("storage/f.txt", 100, FILETYPE_FILE)
    ]
    assert _entries({"/data/emptyDir": {"src": missing}}) == [("data/emptyDir", 0, FILETYPE_DIRECTORY)]
    assert _entries({"/x": {"src": missing, "flags": FILETYPE_DIRECTORY, "size": 5}}) == [
        ("x", 0, FILETYPE_DIRECTORY)
    ]


def test_symlinks_are_followed_by_default_and_left_out_when_ignored(tmp_path: Path) -> None:
    src = _tree(tmp_path)
    os.symlink(src / "a.txt", src / "link.txt")
    os.symlink(src / "sub", src / "linkdir")
    os.symlink(src, src / "sub" / "loop")  # a loop is walked once
    followed = [d for d, _s, _f in _entries({"/p": str(src)})]
    assert "p/link.txt" in followed
    assert "p/linkdir/c.mp3" in followed
    ignored = [d for d, _s, _f in _entries({"/p": str(src)}, SYMLINKS_IGNORE)]
    assert not any("link" in d or "loop" in d for d in ignored)


def test_file_mappings_are_deprecated_and_reversed(tmp_path: Path) -> None:
    src = _tree(tmp_path)
    with pytest.warns(DeprecationWarning, match="fileMappings"):
        specs, _ = parse_mappings(None, {str(src / "a.txt"): "/out/a.txt"})
    assert [(s.dest, s.src) for s in specs] == [("out/a.txt", str(src / "a.txt"))]


@pytest.mark.parametrize(
    ("mappings", "words"),
    [
        (None, "no mappings"),
        ({}, "no mappings"),
        (["/a"], "must be a dict"),
        ({"": "/tmp"}, "non-blank"),
        ({"/a/../b": "/tmp"}, "'..'"),
        ({3: "/tmp"}, "non-blank string"),
        ({"/a": "MISSING"}, "does not exist"),
        ({"/a": 5}, "a path or a dict"),
        ({"/a": {"size": 3}}, "needs 'src'"),
        ({"/a": {"src": "/x", "colour": 1}}, "unknown mapping keys"),
        ({"/a": {"src": "/x", "size": -1}}, "size must be"),
        ({"/a": {"src": "/x", "size": True}}, "size must be"),
        ({"/a": {"src": "/x", "flags": 9}}, "flags must be"),
        ({"/a": {"src": "/x", "size": 1, "access": "rw"}}, "access must be"),
        ({"/a": {"src": "/x", "include": "*.png"}}, "list of patterns"),
        ({"/a": {"src": "MISSING", "include": ["*.png"]}}, "need a folder"),
        ({"/a": {"src": "/x", "size": 1}, "a/": {"src": "/y", "size": 1}}, "same destination"),
    ],
)
def test_bad_mappings_are_typed_errors(tmp_path: Path, mappings: Any, words: str) -> None:
    if isinstance(mappings, dict):
        mappings = {k: (str(tmp_path / "missing") if v == "MISSING" else v) for k, v in mappings.items()}
        for value in mappings.values():
            if isinstance(value, dict) and value.get("src") == "MISSING":
                value["src"] = str(tmp_path / "missing")
    with pytest.raises(InvalidManifestError, match=words) as caught:
        parse_mappings(mappings)
    assert isinstance(caught.value, InvalidArgumentError)
    assert caught.value.operation == "createManifest"


def test_bad_symlink_options_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidManifestError, match="symlinkOptions"):
        parse_mappings({"/a": str(tmp_path)}, symlink_options=7)
