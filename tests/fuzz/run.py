"""Run one fuzz target under atheris, coverage-guided: ``python -m tests.fuzz.run TARGET [ARGS]``.

ARGS go to libFuzzer, for example ``-runs=20000 -seed=1`` (what ``nox -s fuzz`` runs: a fixed
number of inputs from a fixed seed, so a run in CI is repeatable) or ``-max_total_time=600`` for
a longer hunt. The target's seed inputs are read from ``corpus/TARGET/``; a crash is written to
``crashers/TARGET/`` (``-artifact_prefix``), where the regression test replays it once fixed.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

HERE = Path(__file__).parent

with atheris.instrument_imports(include=["pinst"]):
    import pinst.cache.layout
    import pinst.index.pages
    import pinst.requirements.pylock
    import pinst.requirements.reading
    import pinst.unpack.extract  # noqa: F401 - imported here so that atheris instruments them

from tests.fuzz.targets import TARGETS  # noqa: E402


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: python -m tests.fuzz.run {{{','.join(TARGETS)}}} [libFuzzer options]")
    name = sys.argv[1]
    crashers = HERE / "crashers" / name
    crashers.mkdir(parents=True, exist_ok=True)
    seeds = HERE / "corpus" / name
    # libFuzzer adds the inputs it finds to its first folder: a scratch one, so that a run
    # leaves the kept corpus as it was.
    found = tempfile.mkdtemp(prefix=f"pinst-fuzz-{name}-")
    options = [f"-artifact_prefix={crashers}/", *sys.argv[2:]]
    atheris.Setup([sys.argv[0], *options, found, str(seeds)], TARGETS[name])
    atheris.Fuzz()


if __name__ == "__main__":
    main()
