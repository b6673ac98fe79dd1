"""The reduct suite's summary: every timed run is counted under its tool, whatever the client
process reported under its own keys."""

from __future__ import annotations

from benchmarks.cassbench.suites import reduct


def _run(tool: str, op: str, number: int, ok: bool = True) -> dict:  # type: ignore[type-arg]
    # what harness.timed_run gives, plus the suite's own keys: "client" is the process's report
    report = {"done": reduct.WORKLOADS[op], "cpu_s": 0.5, "wall_s": 2.0}
    return {
        "client": report,
        "rc": 0,
        "user": 0.6,
        "sys": 0.1,
        "tool": tool,
        "op": op,
        "run": number,
        "ok": ok,
    }


def test_runs_are_summarised_per_tool_and_workload() -> None:
    runs = [_run(tool, op, n) for tool in reduct.CLIENTS_RUN for op in reduct.WORKLOADS for n in (1, 2)]
    runs.append(_run("cassdk", "single", 3, ok=False))
    summary = reduct.summarize(runs)
    rows = {(r["op"], r["client"]): r for r in summary["rows"]}
    single = rows[("single", "cassdk")]
    assert (single["ok"], single["n"]) == (2, 3)
    assert single["cpu_us"]["med"] == 0.5 / 10_000 * 1e6
    assert rows[("info", "reduct-py")]["rate"]["med"] == 1_000 / 2.0
    assert summary["failed"] == ["cassdk single run 3: wrong record count"]
    lines = reduct.render(summary, {})
    assert any(line.startswith("| single | 1.00 | 1.00 |") for line in lines)
