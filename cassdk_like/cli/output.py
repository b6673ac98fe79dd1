"""What every cascmd command prints with: aligned tables and JSON documents on stdout."""

from __future__ import annotations

import argparse
import json
from typing import Any, Iterable, List, Mapping, Sequence, TextIO

__all__ = [
    "OUTPUT_FORMATS",
    "add_output_option",
    "description",
    "human_size",
    "json_document",
    "listing",
    "table",
]

#: the values of ``--output``
OUTPUT_FORMATS = ("table", "json")


def add_output_option(cmd: argparse.ArgumentParser, default: str) -> None:
    """``-o/--output table|json`` on a command that lists or describes."""
    cmd.add_argument(
        "-o", "--output", choices=OUTPUT_FORMATS, default=default, help=f"result format (default {default})"
    )


def table(out: TextIO, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Left-aligned columns sized to their widest cell; a missing value prints as ``-``."""
    lines: List[List[str]] = [list(header)] + [["-" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip(), file=out)


def json_document(out: TextIO, doc: Any) -> None:
    """A mapping or a list, indented, keys sorted (stable for diffs and ``jq``)."""
    value = dict(doc) if isinstance(doc, Mapping) else doc
    print(json.dumps(value, indent=2, sort_keys=True, default=str), file=out)


def listing(
    out: TextIO,
    output: str,
    columns: Sequence[tuple[str, str]],
    entries: Iterable[Mapping[str, Any]],
    *,
    sizes: Sequence[str] = (),
) -> None:
    """Entries as a table of ``columns`` (header, key), or all their fields as a JSON list.

    Keys named in ``sizes`` are byte counts: human-readable in the table, exact in JSON.
    """
    items = [dict(entry) for entry in entries]
    if output == "json":
        json_document(out, items)
        return
    rows = [
        [human_size(item.get(key)) if key in sizes else item.get(key) for _header, key in columns]
        for item in items
    ]
    table(out, [header for header, _key in columns], rows)


def human_size(value: Any) -> str:
    """Bytes in the largest binary unit that keeps the number at or above 1 (tables are for people)."""
    if value is None or value == "":
        return "-"
    count = int(value)
    if count < 1024:
        return f"{count} B"
    amount, unit = float(count), "B"
    for unit in ("KiB", "MiB", "GiB", "TiB", "PiB"):  # noqa: B007 - the unit reached is the answer
        amount /= 1024
        if amount < 1024:
            break
    return f"{amount:.1f} {unit}"


def description(out: TextIO, output: str, doc: Mapping[str, Any], *, sizes: Sequence[str] = ()) -> None:
    """One resource: its JSON document, or a FIELD/VALUE table (sizes human-readable)."""
    if output == "json":
        json_document(out, doc)
        return
    rows = [(key, human_size(value) if key in sizes else _cell(value)) for key, value in sorted(doc.items())]
    table(out, ("FIELD", "VALUE"), rows)


def _cell(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return value
