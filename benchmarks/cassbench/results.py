"""benchmarks/results.json: the summarized figures of every suite and the runs they came from.

Layout::

    {"format": "cassbench-results/1",
     "runs": {"<run id>": {"date", "commit", "command", "machine", "what_ran", "nginx", "notes"}},
     "suites": {"<suite name>": {"run": "<run id>", ...the suite's figures}}}

A run replaces the suites it measured and keeps the others, so ``--only ul`` refreshes the upload
section without losing the downloads; every section says which run (commit, date) it is from.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Dict, Mapping, Optional, Set

FORMAT = "cassbench-results/1"


def empty() -> Dict[str, Any]:
    return {"format": FORMAT, "runs": {}, "suites": {}}


def load(path: Path) -> Dict[str, Any]:
    """The results file, or an empty one when it does not exist yet."""
    if not path.exists():
        return empty()
    data: Dict[str, Any] = json.loads(path.read_text())
    if data.get("format") != FORMAT:
        raise SystemExit(f"{path}: not a {FORMAT} file (format {data.get('format')!r})")
    return data


def save(path: Path, results: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str) + "\n")


def merge(
    results: Dict[str, Any], run_id: str, run: Optional[Mapping[str, Any]], suites: Mapping[str, Any]
) -> Dict[str, Any]:
    """Put ``suites`` (measured in run ``run_id``) into ``results``; drop runs nothing refers to."""
    if run is not None:
        results["runs"][run_id] = dict(run)
    for name, data in suites.items():
        results["suites"][name] = {**data, "run": run_id}
    return _drop_unused_runs(results)


def _run_ids(node: Any) -> Set[str]:
    """Every ``"run"`` value at any depth: a suite's own, and those of parts it kept from earlier runs."""
    if isinstance(node, dict):
        found = {str(node["run"])} if isinstance(node.get("run"), str) else set()
        for value in node.values():
            found |= _run_ids(value)
        return found
    if isinstance(node, list):
        return set().union(*(_run_ids(item) for item in node))
    return set()


def _drop_unused_runs(results: Dict[str, Any]) -> Dict[str, Any]:
    used = _run_ids(results["suites"])
    results["runs"] = {k: v for k, v in results["runs"].items() if k in used}
    return results


#: a suite's own merge: (old figures, new figures, old run id) -> the figures to keep
SuiteMerge = Callable[[Mapping[str, Any], Dict[str, Any], str], Dict[str, Any]]


def merge_file(
    results: Dict[str, Any], other: Mapping[str, Any], suite_merges: Optional[Mapping[str, SuiteMerge]] = None
) -> Dict[str, Any]:
    """Take every suite of another results file, with its run (``--merge-json``).

    A suite with its own merge keeps what the other file did not measure (the download suite keeps
    the conditions the other run left out), as a run of its own would.
    """
    merges = suite_merges or {}
    for name, data in other.get("suites", {}).items():
        results["runs"][data["run"]] = other["runs"][data["run"]]
        old = results["suites"].get(name)
        merged = data
        if old is not None and name in merges:
            merged = {**merges[name](old, dict(data), old["run"]), "run": data["run"]}
        results["suites"][name] = merged
    return _drop_unused_runs(results)


def main_run(results: Mapping[str, Any]) -> str:
    """The run most suites come from (the latest one on a tie): its command and machine head the report."""
    counts = Counter(s["run"] for s in results["suites"].values())
    if not counts:
        return ""
    return str(max(counts, key=lambda run_id: (counts[run_id], run_id)))
