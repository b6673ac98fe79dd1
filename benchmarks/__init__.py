"""The engine benchmarks (not part of the installed package): see benchmarks/cassbench."""
