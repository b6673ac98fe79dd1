"""What every cascmd command prints with: aligned tables and JSON documents on stdout."""

from __future__ import annotations

import json
from typing import Any, Iterable, List, Mapping, Sequence, TextIO

__all__ = ["json_document", "table"]


def table(out: TextIO, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Left-aligned columns sized to their widest cell; a missing value prints as ``-``."""
    lines: List[List[str]] = [list(header)] + [["-" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip(), file=out)


def json_document(out: TextIO, doc: Mapping[str, Any]) -> None:
    print(json.dumps(dict(doc), indent=2, sort_keys=True), file=out)
