"""Every input kept for the fuzz targets, replayed: the seeds and each crash the fuzzer found.

A crash that ``nox -s fuzz`` finds is written to ``tests/fuzz/crashers/<target>/``; once fixed
it stays there, and this test keeps it fixed without running the fuzzer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fuzz.targets import TARGETS

FUZZ = Path(__file__).parents[1] / "fuzz"
KEPT = sorted(
    (target, path)
    for target in TARGETS
    for folder in (FUZZ / "corpus" / target, FUZZ / "crashers" / target)
    if folder.is_dir()
    for path in folder.iterdir()
    if path.is_file()
)


@pytest.mark.parametrize(
    ("target", "path"), KEPT, ids=[f"{target}/{path.name}" for target, path in KEPT]
)
def test_kept_input_is_refused_clearly_or_accepted(target: str, path: Path) -> None:
    TARGETS[target](path.read_bytes())


def test_every_target_has_seeds() -> None:
    for target in TARGETS:
        assert any((FUZZ / "corpus" / target).iterdir()), target
