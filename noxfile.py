"""Sessions: tests, lint, typecheck, docs, bench. `nox -s tests` is what CI runs."""

from __future__ import annotations

import os
import shutil

import nox

nox.options.default_venv_backend = "venv"
nox.options.sessions = ["lint", "typecheck", "tests", "fuzz", "docs"]
nox.options.reuse_existing_virtualenvs = True

UV_VERSION = "0.13.9"
# uv runs the docs' `uv pip compile` example (tests/docs/test_doc_examples.py).
TEST_DEPS = ["pytest", "hypothesis", f"uv=={UV_VERSION}"]
# mkfs for the loop-mounted XFS and btrfs tests; nginx serves the benchmark's local index;
# PyPy is a target tests/e2e/test_pythons.py must cover; zsh and fish run the completion scripts.
DEBIAN_TOOLS = {
    "mkfs.xfs": "xfsprogs",
    "mkfs.btrfs": "btrfs-progs",
    "nginx": "nginx",
    "pypy3": "pypy3",
    "zsh": "zsh",  # the completion script is checked in the real shells
    "fish": "fish",
}


def install_debian_tools(session: nox.Session) -> None:
    """As root on Debian, install the filesystem tools so those tests run instead of skipping."""
    missing = [package for tool, package in DEBIAN_TOOLS.items() if not shutil.which(tool)]
    if not missing or os.geteuid() != 0 or not shutil.which("apt-get"):
        return
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    session.run("apt-get", "update", "-qq", external=True, env=env)
    session.run("apt-get", "install", "-y", "-qq", *missing, external=True, env=env)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (the filesystem tests need root to mount tmpfs, XFS and btrfs)."""
    install_debian_tools(session)
    session.install(".", *TEST_DEPS)
    session.run("pytest", *session.posargs)


# Inputs per fuzz target in CI, from a fixed seed: a repeatable run, short enough for every CI
# run (docs/concepts/safety.md gives its length). `nox -s fuzz -- TARGET -max_total_time=600`
# hunts longer in one target.
FUZZ_RUNS = {
    "requirements": 20_000,
    "lock": 20_000,
    "index-page": 20_000,
    "wheel-file": 10_000,
    "wheel-members": 3_000,
}


@nox.session
def fuzz(session: nox.Session) -> None:
    """Fuzz the readers of untrusted input with atheris; a crash fails the session and is kept
    under tests/fuzz/crashers/ for tests/unit/test_fuzz_regressions.py to replay once fixed."""
    session.install(".", "atheris")
    env = {"PYTHONPATH": "."}  # tests.fuzz, from this checkout
    common = ["-seed=1", "-timeout=30", "-rss_limit_mb=2048", "-print_final_stats=1"]
    if session.posargs:
        session.run("python", "-m", "tests.fuzz.run", *session.posargs, env=env)
        return
    for target, runs in FUZZ_RUNS.items():
        session.run("python", "-m", "tests.fuzz.run", target, f"-runs={runs}", *common, env=env)


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff, and import-linter's contracts in pyproject.toml: each stage imports only downwards."""
    session.install(".", "ruff", "import-linter")  # pinst itself, for import-linter to read
    session.run("ruff", "check", "src", "tests", "benchmarks", "noxfile.py", "docs")
    session.run("ruff", "format", "--check", "src", "tests", "benchmarks", "noxfile.py", "docs")
    session.run("lint-imports")


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install(".", "mypy")
    session.run("mypy", "--strict", "src/pinst")
    session.run("mypy", "--strict", "benchmarks")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the docs strictly; pinst is installed because docs/hooks.py imports its parser."""
    session.install(".", "mkdocs")
    session.run("mkdocs", "build", "--strict", "--site-dir", "site")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmark pinst against uv and pip; writes the table into docs/benchmarks.md.

    Run as root: it installs nginx (the local index), GNU time (peak memory) and util-linux's
    hardlink (the reclaim scenario) with apt-get if missing, and cross-fs and many-venvs mount a
    tmpfs. cold-pypi runs too when PyPI answers. A run keeps every venv until it ends, so it
    needs time and disk (docs/benchmarks.md says how much). Arguments go to the harness:
    `nox -s bench -- --set data --scenarios warm,many-venvs --rounds 3 --venvs 10`.
    """
    install_debian_tools(session)
    missing = [] if os.access("/usr/bin/time", os.X_OK) else ["time"]
    missing += [] if shutil.which("hardlink") else ["util-linux"]
    if missing and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {"DEBIAN_FRONTEND": "noninteractive"}
        session.run("apt-get", "update", "-qq", external=True, env=env)
        session.run("apt-get", "install", "-y", "-qq", *missing, external=True, env=env)
    session.install(f"uv=={UV_VERSION}")  # a pinned release, so runs compare like with like
    session.install(".")  # pinst's dependencies; the harness runs pinst from src/
    session.run("python", "-m", "benchmarks.harness", *session.posargs)
