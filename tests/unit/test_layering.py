"""What may import what inside the package, so the rule survives every new service.

The house (README, "Layout"): ``core`` at the bottom, the ``engine`` over it, one package per
service over both, ``cli`` on top; the ``emulator`` stands apart and sees only ``core`` (its
per-service sub-packages, ``emulator.cas`` and those to come, belong to that one layer). A service
may use another service's public facade (its package ``__init__``) where the domain needs it, never
its internals. Imports inside functions count too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "cassdk_like"

#: service packages, and the other services whose public facade each may use
SERVICES: Dict[str, Set[str]] = {
    "vault": set(),
    "bucket": set(),
    "reduct": set(),
    "direct": {"bucket"},
    "par": {"bucket"},
    "transfer": {"vault", "bucket", "reduct", "direct", "par"},
}

#: layer -> layers it may import (its own always allowed)
ALLOWED: Dict[str, Set[str]] = {
    "core": {"_version"},
    "engine": {"core", "_version"},
    "emulator": {"core", "_version"},
    "cli": {"core", "engine", "emulator", "_version", "_root", *SERVICES},
    "_root": {"core", "engine", "_version", *SERVICES},
    "_version": set(),
    **{name: {"core", "engine", "_version"} for name in SERVICES},
}


def _layer(module: str) -> str:
    """The layer of a dotted module name inside the package (``_root`` for the package itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "_root"


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> Iterator[Tuple[int, str]]:
    """Every ``cassdk_like`` module this file imports, with the line of the import."""
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rsplit(".", 1)[0]
    return _imports_in(path.read_text(encoding="utf-8"), package)


def _imports_in(text: str, package: str) -> Iterator[Tuple[int, str]]:
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "cassdk_like":
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            if name.split(".")[0] == "cassdk_like":
                yield node.lineno, name


def _modules() -> List[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def import_graph() -> Dict[str, Set[str]]:
    """Layer -> layers it imports (the figure the closing notes quote)."""
    graph: Dict[str, Set[str]] = {}
    for path in _modules():
        source = _layer(_module_name(path))
        for _line, name in _imports(path):
            target = _layer(name)
            if target != source:
                graph.setdefault(source, set()).add(target)
    return graph


def test_every_layer_is_known() -> None:
    layers = {_layer(_module_name(p)) for p in _modules()}
    assert layers <= set(ALLOWED), f"add the new layer(s) to ALLOWED: {sorted(layers - set(ALLOWED))}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_imports_follow_the_layers(path: Path) -> None:
    module = _module_name(path)
    source = _layer(module)
    wrong = []
    for line, name in _imports(path):
        target = _layer(name)
        if target == source:
            continue
        if target in SERVICES and source in SERVICES:
            allowed = target in SERVICES[source]
            facade = name == f"cassdk_like.{target}"
            if not (allowed and facade):
                wrong.append(f"line {line}: {name} (a service uses only the facades it is allowed)")
            continue
        if target not in ALLOWED.get(source, set()):
            wrong.append(f"line {line}: {name} ({source} may import {sorted(ALLOWED.get(source, set()))})")
    assert not wrong, f"{module} breaks the layering:\n" + "\n".join(wrong)


def test_the_checker_reads_relative_and_lazy_imports() -> None:
    """Else the rule could pass vacuously."""
    text = (
        "def f():\n    from cassdk_like.vault import Vault\n\n"
        "from ..engine import config\nimport cassdk_like.cli\n"
    )
    found = sorted(name for _line, name in _imports_in(text, "cassdk_like.core.http"))
    assert found == ["cassdk_like.cli", "cassdk_like.core.engine", "cassdk_like.vault"]
    assert _layer("cassdk_like.vault.highlevel.job") == "vault"
    assert "emulator" not in ALLOWED["vault"]
    assert "cli" not in ALLOWED["engine"]
