"""How each tool installs the workload: pinst from this checkout, uv from PATH, and pip.

Every tool gets the same requirements file, the same local index and a cache of its own, and
runs in an environment stripped of pip's, uv's and pinst's settings.
"""

from __future__ import annotations

import os
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks.measure import CommandFailed, run_quiet

HERE = Path(__file__).resolve().parent
# The benchmark sets, by the name --set takes: "bench" is the one pinst was tuned on, "data" a
# data-science stack it was not.
SETS = {"bench": HERE / "requirements-bench.txt", "data": HERE / "requirements-data.txt"}
DEFAULT_SET = "bench"
WORKLOAD = SETS[DEFAULT_SET]
CHECKOUT = HERE.parent


# This machine sets it; a user rarely does, and it would make every run of pinst (from src/,
# where nothing else compiles it) recompile its own modules.
MACHINE_ONLY = {"PYTHONDONTWRITEBYTECODE"}


def clean_environment() -> dict[str, str]:
    """This process's environment without pip's, uv's or pinst's settings.

    pip also gets `--isolated` (no environment, no user config); PIP_CONFIG_FILE=/dev/null
    skips the site-wide file too (this machine's points at local mirrors).
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PIP_", "UV_", "PINST_")) and key not in MACHINE_ONLY
    }
    return {**env, "PIP_CONFIG_FILE": "/dev/null"}


@dataclass(frozen=True)
class Job:
    """One install of the workload."""

    venv: Path
    cache: Path
    index_url: str
    compile: bool = False
    use_cache: bool = True  # False: pip's --no-cache-dir (the others get an emptied cache)
    requirements: Path = WORKLOAD
    # uv's --link-mode; None: uv's default, what a user gets (pinst and pip have no such choice
    # to make here: pinst links, pip copies).
    uv_link_mode: str | None = "hardlink"


class Tool(ABC):
    name: str

    @abstractmethod
    def command(self, job: Job) -> list[str]: ...

    @abstractmethod
    def version(self) -> str: ...

    def environment(self) -> dict[str, str]:
        return clean_environment()

    def can_compile(self) -> str | None:
        """None if the tool can compile bytecode, else why not."""
        return None


# What the `pinst` command that pip or uv installs runs (its console-script launcher), without
# `python -m`'s runpy, which a user's `pinst` never imports (what it would add to each run:
# docs/internals/benchmark-history.md).
LAUNCHER = "import sys; from pinst.__main__ import main; sys.argv[0] = 'pinst'; sys.exit(main())"


class Pinst(Tool):
    """pinst from a checkout's src/ (this one's, unless another is named to compare a change
    with), run by the harness's own interpreter as its launcher runs it."""

    def __init__(self, name: str = "pinst", checkout: Path = CHECKOUT) -> None:
        self.name = name
        self.checkout = checkout

    def command(self, job: Job) -> list[str]:
        command = [sys.executable, "-c", LAUNCHER, "install", "-q", "-r", str(job.requirements)]
        # No config files, as uv gets --no-config: the harness runs in the checkout, whose
        # pyproject.toml mentions pinst, and each run would parse it.
        command += ["--no-config", "--venv", str(job.venv), "--cache-dir", str(job.cache)]
        command += ["--index-url", job.index_url]
        return [*command, "--compile-bytecode"] if job.compile else command

    def environment(self) -> dict[str, str]:
        return {**clean_environment(), "PYTHONPATH": str(self.checkout / "src")}

    def version(self) -> str:
        return git_commit(self.checkout)

    def reclaim_command(self, directory: Path, cache: Path, index_url: str) -> list[str]:
        """`pinst reclaim` of every venv under `directory`, into `cache`."""
        command = [sys.executable, "-c", LAUNCHER, "reclaim", "-q", str(directory)]
        return [*command, "--cache-dir", str(cache), "--index-url", index_url]

    def can_reclaim(self) -> str | None:
        """None if this checkout has `pinst reclaim`, else why not."""
        try:
            run_quiet([sys.executable, "-m", "pinst", "reclaim", "--help"], self.environment())
        except CommandFailed:
            return "this checkout has no `pinst reclaim` yet"
        return None

    def can_compile(self) -> str | None:
        help_text = run_quiet(
            [sys.executable, "-m", "pinst", "install", "--help"], self.environment()
        )
        if "--compile-bytecode" in help_text:
            return None
        return "this checkout's `pinst install` has no `--compile-bytecode` yet"


class Uv(Tool):
    """uv from PATH, hard-linking from its cache (it copies where it cannot)."""

    name = "uv"

    def command(self, job: Job) -> list[str]:
        command = ["uv", "pip", "install", "-q", "--no-config", "-r", str(job.requirements)]
        command += ["--python", str(job.venv / "bin" / "python"), "--cache-dir", str(job.cache)]
        command += ["--index-url", job.index_url]
        if job.uv_link_mode:
            command += ["--link-mode", job.uv_link_mode]
        return [*command, "--compile-bytecode"] if job.compile else command

    def version(self) -> str:
        return run_quiet(["uv", "--version"]).split()[1]


class Pip(Tool):
    """The newest pip, from a venv of the harness, installing into the target with --python.

    pip has no link modes: it always copies. It compiles bytecode unless told --no-compile.
    It caches nothing from an http:// index unless the host is trusted, hence --trusted-host.
    """

    name = "pip"

    def __init__(self, pip: Path) -> None:
        self.pip = pip

    def command(self, job: Job) -> list[str]:
        command = [str(self.pip), "--isolated", "--python", str(job.venv / "bin" / "python")]
        command += ["install", "-q", "--disable-pip-version-check", "--no-deps"]
        command += ["-r", str(job.requirements), "--index-url", job.index_url]
        if job.index_url.startswith("http://"):
            command += ["--trusted-host", urlsplit(job.index_url).hostname or "127.0.0.1"]
        command += ["--cache-dir", str(job.cache)] if job.use_cache else ["--no-cache-dir"]
        return command if job.compile else [*command, "--no-compile"]

    def version(self) -> str:
        return run_quiet([str(self.pip), "--version"], self.environment()).split()[1]


def newest_pip(home: Path) -> Path:
    """pip in the harness's own venv under `home`, upgraded to the newest release.

    Offline, the pip already there is used, with a note.
    """
    venv = home / "pip-venv"
    pip = venv / "bin" / "pip"
    if not pip.exists():
        run_quiet([sys.executable, "-m", "venv", "--clear", str(venv)])
    upgrade = [str(venv / "bin" / "python"), "-m", "pip", "--isolated", "install", "-q"]
    try:
        run_quiet([*upgrade, "--disable-pip-version-check", "-U", "pip"], clean_environment())
    except CommandFailed as error:
        print(
            f"note: could not upgrade the harness's pip, using it as is: {error}", file=sys.stderr
        )
    return pip


def git_commit(checkout: Path = CHECKOUT) -> str:
    """The checkout's short commit, with `+dirty` when src/ has uncommitted changes."""
    commit = run_quiet(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"]).strip()
    changes = run_quiet(["git", "-C", str(checkout), "status", "--porcelain", "--", "src"])
    return f"{commit}+dirty" if changes.strip() else commit


def make_tools(names: list[str], pip: Path) -> list[Tool]:
    """The tools named, in that order (the order of each round); `pip` is pip's executable.

    `NAME=PATH` is another checkout of pinst, at PATH, measured as the tool NAME beside this
    one: an A/B of a change in one interleaved run.
    """
    known: dict[str, Tool] = {"pinst": Pinst(), "uv": Uv(), "pip": Pip(pip)}
    tools: list[Tool] = []
    for name in names:
        label, is_checkout, path = name.partition("=")
        if is_checkout:
            tools.append(other_checkout(label, Path(path)))
        elif name in known:
            tools.append(known[name])
        else:
            raise SystemExit(
                f"unknown tool: {name} (choose from pinst, uv, pip, or NAME=PATH for another "
                "checkout of pinst)"
            )
    return tools


def other_checkout(name: str, checkout: Path) -> Pinst:
    if not name.isidentifier() or name in ("pinst", "uv", "pip"):
        raise SystemExit(f"{name!r} cannot name a checkout: use a word other than pinst, uv, pip")
    if not (checkout / "src" / "pinst").is_dir():
        raise SystemExit(f"{checkout} is not a checkout of pinst: it has no src/pinst")
    return Pinst(name, checkout.resolve())
