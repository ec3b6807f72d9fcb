"""Sessions: tests, lint, typecheck, docs, bench. `nox -s tests` is what CI runs."""

from __future__ import annotations

import os
import shutil

import nox

nox.options.default_venv_backend = "venv"
nox.options.sessions = ["lint", "typecheck", "tests", "docs"]
nox.options.reuse_existing_virtualenvs = True

TEST_DEPS = ["pytest", "hypothesis"]
# mkfs for the loop-mounted XFS and btrfs tests; nginx serves the benchmark's local index.
DEBIAN_TOOLS = {"mkfs.xfs": "xfsprogs", "mkfs.btrfs": "btrfs-progs", "nginx": "nginx"}


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


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", "src", "tests", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "noxfile.py")


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install(".", "mypy")
    session.run("mypy", "--strict", "src/pinst")


@nox.session
def docs(session: nox.Session) -> None:
    session.install("mkdocs")
    session.run("mkdocs", "build", "--strict", "--site-dir", "site")
