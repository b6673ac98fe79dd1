"""The engine benchmarks: suites that measure, results.json that keeps the figures, RESULTS.md.

``bash benchmarks/run.sh`` installs what is missing and runs ``python -m benchmarks.cassbench``;
``python -m benchmarks.cassbench render`` rewrites RESULTS.md from results.json alone.
"""
