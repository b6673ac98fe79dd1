"""Medians of N: per-run records become summaries (median, min, max) that results.json stores.

A summary ("stat") is ``{"med": m, "min": a, "max": b, "n": k}``; figures transcribed from an older
report may carry only ``med``. The renderer formats stats and never sees per-run lists, so a
results.json written by hand or by an older run renders the same way.
"""

from __future__ import annotations

import statistics
from typing import Any, Dict, List, Mapping, Optional, Sequence

MiB = 1024 * 1024
GiB = 1024 * MiB
NAN = float("nan")

Stat = Dict[str, float]


def stat(values: Sequence[float]) -> Stat:
    """Median, min, max and count of ``values``; ``{}`` when there are none."""
    if not values:
        return {}
    return {
        "med": round(statistics.median(values), 4),
        "min": round(min(values), 4),
        "max": round(max(values), 4),
        "n": len(values),
    }


def med(s: Optional[Mapping[str, float]]) -> float:
    """The median of a stat, NaN when it is empty."""
    return float(s["med"]) if s and "med" in s else NAN


def fmt(value: float, digits: int = 0) -> str:
    if value != value:  # NaN
        return "-"
    return f"{value:,.{digits}f}"


def span(s: Optional[Mapping[str, float]], digits: int = 0) -> str:
    """``median (min-max)``; just the median for one run or when only the median is known."""
    if not s or "med" not in s:
        return "-"
    if "min" not in s or s.get("n") == 1:
        return fmt(s["med"], digits)
    return f"{fmt(s['med'], digits)} ({fmt(s['min'], digits)}-{fmt(s['max'], digits)})"


def bold_span(s: Optional[Mapping[str, float]], digits: int = 0) -> str:
    """``**median** (min-max)``: the headline figure of a table row."""
    if not s or "med" not in s:
        return "-"
    head = f"**{fmt(s['med'], digits)}**"
    if "min" not in s:
        return head
    return f"{head} ({fmt(s['min'], digits)}-{fmt(s['max'], digits)})"


def summarize(all_runs: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
    """The stats of a group of runs (one tool in one condition); redone noisy attempts left out."""
    runs = [r for r in all_runs if not r.get("superseded")]
    ok = [r for r in runs if r.get("ok")]
    gib = [r["bytes"] / GiB for r in ok]
    client = [r.get("client", {}) for r in ok]
    return {
        "n": len(runs),
        "ok": len(ok),
        "mbps": stat([r["bytes"] / r["wall"] / 1e6 for r in ok]),
        "wall": stat([r["wall"] for r in ok]),
        "cpu": stat([(r.get("user", 0) + r.get("sys", 0)) / g for r, g in zip(ok, gib)]),
        "user": stat([r.get("user", 0) / g for r, g in zip(ok, gib)]),
        "sys": stat([r.get("sys", 0) / g for r, g in zip(ok, gib)]),
        "rss": stat([r.get("rss_kib", 0) / 1024 for r in ok]),
        "server": stat([r["server_cpu"] for r in ok]),
        "server_gib": stat([r["server_cpu"] / g for r, g in zip(ok, gib)]),
        "xfer": stat([r["bytes"] / c["transfer_s"] / 1e6 for r, c in zip(ok, client) if c.get("transfer_s")]),
        "foreign": stat([r.get("foreign_user", 0.0) for r in ok]),
        "ru_cpu": stat([(r["ru_user"] + r["ru_sys"]) / g for r, g in zip(ok, gib) if "ru_user" in r]),
        "redone": sum(1 for r in all_runs if r.get("superseded")),
        "noisy_kept": sum(1 for r in ok if r.get("noisy")),
    }


def noise_cell(row: Mapping[str, Any]) -> str:
    """Median user CPU other processes used during the kept runs, and how many noisy runs were redone."""
    cell = f"{fmt(med(row.get('foreign')), 2)} ({row.get('redone', 0)})"
    return cell + (f", {row['noisy_kept']} noisy kept" if row.get("noisy_kept") else "")


def ok_cell(row: Mapping[str, Any]) -> str:
    return f"{row.get('ok', 0)}/{row.get('n', 0)}"


def cpu_cell(row: Mapping[str, Any]) -> str:
    """``user+sys (user/sys)`` CPU seconds per GiB."""
    return f"{fmt(med(row.get('cpu')), 2)} ({fmt(med(row.get('user')), 2)}/{fmt(med(row.get('sys')), 2)})"


def failures(all_runs: Sequence[Mapping[str, Any]]) -> List[str]:
    """One line per failed run, for the report's "Failed runs" list."""
    return [
        f"{r.get('suite')} {r.get('direction')} {r.get('tool')} {r.get('server')}-{r.get('state')} "
        f"{r.get('label')} run {r.get('run')}: {r.get('error')}"
        for r in all_runs
        if not r.get("ok")
    ]


def raw_rates(all_runs: Sequence[Mapping[str, Any]]) -> List[List[Any]]:
    """``[group, [MB/s per run]]`` in run order (x: failed, ~: a noisy attempt that was redone)."""
    groups: Dict[str, List[str]] = {}
    for r in all_runs:
        key = f"{r['suite']} {r['direction']} {r['server']}-{r['state']} {r['label']} {r['tool']}"
        mark = "~" if r.get("superseded") else "" if r.get("ok") else "x"
        groups.setdefault(key, []).append(f"{r['bytes'] / r['wall'] / 1e6:.0f}{mark}")
    return [[key, vals] for key, vals in groups.items()]
