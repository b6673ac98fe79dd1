"""The README's two set-up commands are the ones CI runs, and the package ships its type marker."""

from __future__ import annotations

import re
from pathlib import Path

import cassdk_like

ROOT = Path(__file__).resolve().parents[2]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.+?)\n```", text)


def test_readme_starts_with_exactly_two_setup_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    head = text.split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.+?)\n```", head, flags=re.S)
    assert len(blocks) == 2
    assert all("\n" not in block for block in blocks), "each set-up command is one line"
    assert "examples/quickstart.py" in blocks[0]
    assert "pytest" in blocks[1]


def test_ci_runs_the_readme_test_command_as_written() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert _readme_commands()[1] in ci


def test_package_is_typed_and_versioned() -> None:
    assert (ROOT / "cassdk_like" / "py.typed").is_file()
    assert re.fullmatch(r"\d+\.\d+\.\d+", cassdk_like.__version__)
