"""Build the HTML API reference from the docstrings with pdoc; any warning fails the build.

    python docs/build_api.py [OUTPUT_DIR]        # default: build/api

pdoc has no warnings-as-errors switch, so this runs it in-process, records every warning it
raises (an annotation it cannot resolve, a docstring it cannot read, a module that fails to
import) and exits 1 if there was any. Needs the ``docs`` extra: ``pip install -e '.[docs]'``.
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from pathlib import Path
from typing import Callable, List, Optional

import pdoc
import pdoc.docstrings
import pdoc.render

ROOT = Path(__file__).resolve().parents[1]

#: the public packages: the top level and each service (their ``__all__`` decides what is shown)
MODULES = (
    "cassdk_like",
    "cassdk_like.vault",
    "cassdk_like.bucket",
    "cassdk_like.reduct",
    "cassdk_like.direct",
    "cassdk_like.par",
    "cassdk_like.transfer",
)

#: Sphinx cross-reference roles (``:meth:`reload```), which pdoc's reStructuredText reader leaves as text
_ROLE = re.compile(r":(?:py:)?(?:meth|func|class|attr|data|exc|mod|obj):`~?([^`]+)`")


def _with_roles_as_code(
    convert: Callable[[str, Optional[Path]], str],
) -> Callable[[str, Optional[Path]], str]:
    """pdoc's rst reader, after turning each role into a code span (pdoc links those it can resolve)."""

    def rst(contents: str, source_file: Optional[Path]) -> str:
        return convert(_ROLE.sub(r"`\1`", contents), source_file)

    return rst


def build(output: Path) -> List[str]:
    """Write the reference into ``output``; return the warnings pdoc raised."""
    pdoc.docstrings.rst = _with_roles_as_code(pdoc.docstrings.rst)  # type: ignore[assignment]
    pdoc.render.configure(docformat="restructuredtext", show_source=False, search=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.pdoc(*MODULES, output_directory=output)
    return [f"{w.category.__name__}: {w.message}" for w in caught]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", type=Path, default=Path("build/api"))
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))  # document this checkout, whichever copy is installed
    problems = build(args.output)
    for problem in problems:
        print(f"docs/build_api.py: {problem}", file=sys.stderr)
    if problems:
        print(f"docs/build_api.py: {len(problems)} warning(s); the reference is not clean", file=sys.stderr)
        return 1
    print(f"API reference: {args.output / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
