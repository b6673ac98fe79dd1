"""The issue's targets, judged from the medians in results.json (benchmarks 1-4)."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping

from benchmarks.cassbench.stats import med
from benchmarks.cassbench.suites import rss
from benchmarks.cassbench.suites.download import row_of


def _verdict(ok: bool, short: str = "") -> str:
    return "met" if ok else f"**missed**{' (' + short + ')' if short else ''}"


def target_lines(suites: Mapping[str, Dict[str, Any]]) -> List[str]:
    lines = ["| target | measured (median) | verdict |", "|---|---|---|"]
    dl = suites.get("dl")
    if dl:
        lines += _download_rows(dl)
    hashing = suites.get("hash")
    tests = {t["name"]: t for t in hashing.get("tests", [])} if hashing else {}
    if "sha256_1t" in tests and "tree_hash_leaves_2t" in tests:
        ratio = med(tests["sha256_1t"]["wall"]) / med(tests["tree_hash_leaves_2t"]["wall"])
        lines.append(
            f"| tree hash on 2 threads ≥ 1.8 x sha256 1 thread | {ratio:.2f} x | "
            f"{_verdict(ratio >= 1.8, f'{ratio:.2f}x')} |"
        )
    ul = suites.get("ul")
    if ul and ul["rows"]:
        row = next((r for r in ul["rows"] if r["state"] == "cold"), ul["rows"][0])
        c = med(row.get("cpu"))
        if c == c:
            lines.append(
                f"| upload client CPU ≤ 1.0 s/GiB | {c:.2f} s/GiB | {_verdict(c <= 1.0, f'+{c - 1.0:.2f}')} |"
            )
    if suites.get("rss"):
        lines += rss.target_rows(suites["rss"])
    return lines


def _download_rows(dl: Mapping[str, Any]) -> List[str]:
    lines = []
    ideal = dl["workers"] * dl["cap_mbps"]
    cap = row_of(dl, "capped-cold", "cassdk")
    if cap.get("mbps"):
        m = med(cap["mbps"])
        lines.append(
            f"| capped ≥ 0.95 x Nxcap = {0.95 * ideal:.0f} MB/s | {m:.0f} MB/s ({m / ideal:.2f} x Nxcap) | "
            f"{_verdict(m >= 0.95 * ideal, f'short by {0.95 * ideal - m:.0f} MB/s')} |"
        )
        boto = row_of(dl, "capped-cold", "boto3-8m")
        if boto.get("mbps"):
            b = med(boto["mbps"])
            lines.append(
                f"| capped ≥ boto3 (8 MiB, same N) | {m:.0f} vs {b:.0f} MB/s | "
                f"{_verdict(m >= b, f'{m / b:.2f}x')} |"
            )
        c, r = med(cap["cpu"]), med(cap["rss"])
        lines.append(f"| capped ≤ 1.7 CPU s/GiB | {c:.2f} | {_verdict(c <= 1.7, f'+{c - 1.7:.2f} s/GiB')} |")
        lines.append(
            f"| capped ≤ 64 MiB peak RSS | {r:.0f} MiB | {_verdict(r <= 64, f'+{r - 64:.0f} MiB')} |"
        )
    for state in ("cold", "warm"):
        condition = f"uncapped-{state}"
        mine = row_of(dl, condition, "cassdk")
        if not mine.get("mbps"):
            continue
        m = med(mine["mbps"])
        peers = {t: med(row_of(dl, condition, t).get("mbps")) for t in ("aria2c", "boto3-8m", "boto3-32m")}
        peers = {t: v for t, v in peers.items() if v == v}
        if peers:
            best_tool = max(peers, key=lambda t: peers[t])
            best = peers[best_tool]
            lines.append(
                f"| uncapped {state} ≥ best parallel peer | {m:.0f} vs {best_tool} {best:.0f} MB/s | "
                f"{_verdict(m >= best, f'{m / best:.2f}x')} |"
            )
        curl = row_of(dl, condition, "curl")
        if curl.get("mbps"):
            cm = med(curl["mbps"])
            lines.append(
                f"| uncapped {state}: aim at curl single stream | {m:.0f} vs {cm:.0f} MB/s ({m / cm:.2f}x) | "
                f"{'met' if m >= cm else 'not yet'} |"
            )
    return lines
