"""The benchmark harness: pinst against uv and pip on the same wheels from a local index
(``python -m benchmarks.harness --help``, or ``nox -s bench``); docs/benchmarks.md shows the
figures it measured."""
