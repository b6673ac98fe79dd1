"""Every document the code cites is in the repository, with the section or defect it names.

Citations have one form: ``docs/<file>.md``, optionally followed by sections ``§3.3`` (several:
``§1.2 and §1.3``, ``§3.3, §6``, ``§2.3/§6``) or, for ``docs/original-sdk-defects.md`` only, defect
numbers ``#12``. A section or defect resolves when the cited file has a heading that starts with
that number (``### 3.3 Multipart rules``, ``## 12. ...``). Inside ``docs/`` a bare ``§N`` means a
section of the same file, and relative Markdown links must point at existing files.

Everything else that looks like a citation is dangling: a ``§`` outside a docs citation, "section
N", "defect N", and the names of the team's reference notes that live outside the repository.
Public GitHub threads (``boto/boto3#1433``) are public URLs, not documents of ours, and are fine
as they are.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Dict, Iterator, List, Set

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
DEFECTS_DOC = "original-sdk-defects.md"

#: files whose text is checked; tests/data holds third-party fixtures, and this file holds samples
SUFFIXES = {".py", ".md", ".template", ".cfg", ".ini", ".toml", ".txt"}
SKIP_DIRS = {"__pycache__", "build", "dist", "node_modules"}
SKIP_FILES = {Path("tests/data"), Path("tests/unit/test_docs_citations.py")}

_NUMBER = r"\d+(?:\.\d+)*"
_REF = rf"(?:§{_NUMBER}|#\d+)"
CITATION = re.compile(
    rf"(?<![\w/.-])docs/(?P<file>[A-Za-z0-9_-]+\.md)"
    rf"(?P<refs>(?:(?:\s+and\s+|,\s*|\s+|/){_REF})*)"
)
REF = re.compile(rf"(?P<sign>[§#])(?P<number>{_NUMBER})")
BARE_SECTION = re.compile(rf"§(?P<number>{_NUMBER})")
MD_LINK = re.compile(r"\]\((?P<target>[^)#\s:]+\.md)(?:#[^)\s]*)?\)")
HEADING = re.compile(rf"^#{{1,6}}\s+(?P<number>{_NUMBER})\.?(?:\s|$)", re.M)

#: what a citation that cannot resolve inside the repository looks like
DANGLING = re.compile(
    r"cas-protocol|perf-anchors|moto-as-peer|style-anchors|reduct-s3-cos|directio-par"
    r"|\banchors(?:\.md)?\s*§|\banchors\.md|shared/reference|ARCHITECTURE\.md"
    rf"|\bdefects?\s+#?\d+|\bsections?\s+{_NUMBER}\b|§",
    re.IGNORECASE,
)


def doc_sections(docs: Path = DOCS) -> Dict[str, Set[str]]:
    """File name -> the section/defect numbers its headings start with."""
    return {
        path.name: {m.group("number") for m in HEADING.finditer(path.read_text(encoding="utf-8"))}
        for path in sorted(docs.glob("*.md"))
    }


def _resolve(file: str, sign: str, number: str, sections: Dict[str, Set[str]]) -> List[str]:
    if file not in sections:
        return [f"docs/{file} does not exist"]
    if sign == "#" and file != DEFECTS_DOC:
        return [f"'#{number}' is for docs/{DEFECTS_DOC}; cite docs/{file} sections with '§'"]
    if sign == "§" and file == DEFECTS_DOC:
        return [f"cite defects as 'docs/{DEFECTS_DOC} #{number}', not with '§'"]
    if number not in sections[file]:
        return [f"docs/{file} has no heading {number}"]
    return []


def citation_problems(text: str, sections: Dict[str, Set[str]], own_doc: str = "") -> List[str]:
    """Problems with the citations in ``text``; ``own_doc`` names the docs/ file the text is, if any."""
    problems: List[str] = []
    masked = list(text)
    for match in CITATION.finditer(text):
        file = match.group("file")
        if file not in sections:
            problems.append(f"{match.group(0)!r}: docs/{file} does not exist")
        else:
            for ref in REF.finditer(match.group("refs")):
                problems += [
                    f"{match.group(0)!r}: {p}"
                    for p in _resolve(file, ref.group("sign"), ref.group("number"), sections)
                ]
        masked[match.start() : match.end()] = " " * (match.end() - match.start())
    rest = "".join(masked)
    if own_doc:
        for match in BARE_SECTION.finditer(rest):
            found = _resolve(own_doc, "§", match.group("number"), sections)
            problems += [f"{match.group(0)!r}: {p}" for p in found]
        rest = BARE_SECTION.sub(" ", rest)
        for match in MD_LINK.finditer(rest):
            if not (DOCS / match.group("target")).resolve().is_file():
                problems.append(f"link to {match.group('target')!r}: no such file")
    for match in DANGLING.finditer(rest):
        line = rest[: match.start()].count("\n") + 1
        context = text.splitlines()[line - 1].strip()[:100]
        problems.append(f"line {line}: {match.group(0)!r} does not resolve in the repository: {context!r}")
    return problems


def _candidates(root: Path) -> List[Path]:
    """The repository's files: what git tracks or would track (ignored scratch such as
    benchmarks/_work stays out), or every file when this is not a git checkout."""
    try:
        listed = subprocess.run(
            ["git", "-C", str(root), "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            capture_output=True,
            check=True,
        ).stdout.decode("utf-8", "surrogateescape")
    except (OSError, subprocess.CalledProcessError):
        return sorted(root.rglob("*"))
    return sorted(root / name for name in listed.split("\0") if name)


def checked_files(root: Path = ROOT) -> Iterator[Path]:
    for path in _candidates(root):
        rel = path.relative_to(root)
        if not path.is_file() or path.suffix not in SUFFIXES:
            continue
        if any(part.startswith(".") or part in SKIP_DIRS or part.endswith(".egg-info") for part in rel.parts):
            continue
        if any(rel == skip or skip in rel.parents for skip in SKIP_FILES):
            continue
        yield path


def test_the_docs_folder_has_its_index_and_the_cited_documents() -> None:
    sections = doc_sections()
    assert {"README.md", "vault-protocol.md", DEFECTS_DOC, "peer-notes.md"} <= set(sections)
    assert {"1.1", "1.4", "2.3", "3.3", "3.4", "4.2", "7"} <= sections["vault-protocol.md"]
    assert {str(n) for n in range(1, 17)} <= sections[DEFECTS_DOC]


def test_every_citation_in_the_repository_resolves() -> None:
    sections = doc_sections()
    problems = []
    for path in checked_files():
        rel = path.relative_to(ROOT)
        own = path.name if rel.parent == Path("docs") else ""
        text = path.read_text(encoding="utf-8")
        problems += [f"{rel}: {p}" for p in citation_problems(text, sections, own)]
    assert not problems, "\n".join(problems)


def test_the_scan_covers_code_tests_benchmarks_and_markdown() -> None:
    names = {str(p.relative_to(ROOT)) for p in checked_files()}
    assert {"cassdk_like/core/integrity.py", "RELIABILITY.md", "docs/vault-protocol.md"} <= names
    assert any(n.startswith("benchmarks/") for n in names)
    assert not any(n.startswith("tests/data/") for n in names)


SECTIONS = {"vault-protocol.md": {"3", "3.3", "3.4"}, DEFECTS_DOC: {"12"}, "README.md": set()}


@pytest.mark.parametrize(
    "text",
    [
        "parts combine (docs/vault-protocol.md §3.3).",
        "`docs/vault-protocol.md §3.3, §3.4` and docs/vault-protocol.md §3 and §3.4/§3.3",
        "one GET (docs/original-sdk-defects.md #12); see docs/README.md",
        "public threads are fine: boto/boto3#1433, boto/botocore#1396",
        "the profile section to read; a defect was found; seed 7",
    ],
)
def test_resolvable_citations_pass(text: str) -> None:
    assert citation_problems(text, SECTIONS) == []


@pytest.mark.parametrize(
    ("text", "reported"),
    [
        ("aligned pieces (cas-protocol §3.4)", "cas-protocol"),
        ("see cas-protocol.md section 2", "cas-protocol"),
        ("one describe (defect 12)", "defect 12"),
        ("Defect 6: polls forever", "Defect 6"),
        ("bounded memory (anchors §6 item 5)", "anchors §"),
        ("the method of perf-anchors.md", "perf-anchors"),
        ("moto covers little (see ../shared/reference/moto-as-peer.md)", "shared/reference"),
        ("the four shapes of section 1.4", "section 1.4"),
        ("combined as in §3.2", "§"),
        ("docs/vault-protocol.md §9.9", "no heading 9.9"),
        ("docs/vault-protocol.md §3.3 and §8", "no heading 8"),
        ("docs/no-such-file.md §1", "does not exist"),
        ("docs/original-sdk-defects.md #99", "no heading 99"),
        ("docs/original-sdk-defects.md §12", "not with '§'"),
        ("docs/vault-protocol.md #3", "is for docs/original-sdk-defects.md"),
    ],
)
def test_dangling_citations_are_reported(text: str, reported: str) -> None:
    problems = citation_problems(text, SECTIONS)
    assert len(problems) >= 1
    assert any(reported in p for p in problems), problems


def test_inside_docs_bare_sections_and_links_must_resolve() -> None:
    assert citation_problems("as in §3.3; see [the index](README.md)", SECTIONS, "vault-protocol.md") == []
    problems = citation_problems("as in §5.1; see [x](missing.md)", SECTIONS, "vault-protocol.md")
    assert any("no heading 5.1" in p for p in problems)
    assert any("missing.md" in p for p in problems)


def test_headings_give_section_and_defect_numbers(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# Title\n\n## 3. Integrity\n### 3.3 Rules\n## 12. A defect\nx § 4\n")
    assert doc_sections(tmp_path) == {"a.md": {"3", "3.3", "12"}}
