"""Every example command in the docs runs, and does what the docs show.

The examples are the ``$ `` lines of ```console blocks in docs/**/*.md, the indented command
lines of README.md, the ``pinst`` lines of the YAML CI examples and the ``RUN`` lines of the
Dockerfiles. Each is one test case, ``page:line``, run through ``bash -c`` in a sandbox:

- one sandbox per page, shared by its examples in the order of the page, because later examples
  build on earlier ones (``pinst install`` into ``.venv``, then ``pinst list --venv .venv``). A
  case run on its own (``-k``) first runs the page's earlier examples; a case after a failed one
  is skipped with the name of the failure, which is the one to look at;
- a local index on 127.0.0.1 that serves a small wheel for every ``name==version`` the docs
  mention, as ``PINST_INDEX_URL``; no request leaves the machine;
- ``pinst`` on ``PATH`` as a shim that runs this checkout's ``src``; ``HOME``, the XDG
  directories and ``PINST_CACHE_DIR`` inside the sandbox; no ``PINST_*``, ``PIP_*`` or ``UV_*``
  variable of the machine;
- as root, the sandbox is a tmpfs of its own (which cannot reflink, as ext4 cannot) and
  ``/mnt/data`` in the docs is a second tmpfs inside it, so the examples about other
  filesystems run for real. Without root they are not run (see SKIPS).

An example must exit 0, unless the docs show it failing: a line of its output starts with
``error:`` (or ``bash:``), and then it must fail. Of the output the docs show, these lines are
checked: ``+ name==1.0``, ``- name==1.0`` and ``~ name==1.0`` lines must be in the real output,
``Prepared/Installed/Uninstalled/Audited ...`` summaries up to the time (whose form, ``415ms``
under a second and ``1.92s`` above, must be one pinst prints), and ``error:``/``warning:``
lines up to their first path. A command the sandbox cannot run must be in ``SKIPS`` with the
reason; any other fails, so that no new example goes unrun.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.index_server import IndexServer
from tests.support.mounts import mounted
from tests.support.wheels import build_wheel, sha256_of

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
PYTHON_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"
IS_ROOT = os.geteuid() == 0

# The pinned set the docs' requirements.txt holds (docs/getting-started.md shows it installed),
# with the dependencies a resolver finds, so that `uv pip compile` of requirements.in gives it.
APP_PINS = {
    "certifi": "2026.10.18",
    "charset-normalizer": "3.5.2",
    "click": "8.5.1",
    "idna": "3.20",
    "markdown-it-py": "4.3.0",
    "mdurl": "0.1.2",
    "pygments": "2.21.0",
    "requests": "2.34.2",
    "rich": "15.0.0",
    "urllib3": "2.8.0",
}
DEPENDENCIES = {
    "requests": ["certifi", "charset-normalizer", "idna", "urllib3"],
    "rich": ["markdown-it-py", "pygments"],
    "markdown-it-py": ["mdurl"],
}
REQUIREMENTS_IN = "click\nrequests\nrich\n"
# Files the examples name inside a package (six is one module, as the real one is).
PACKAGE_FILES = {
    "six": {"six.py": "# six\n"},
    "rich": {"rich/__init__.py": "", "rich/console.py": "# console\n"},
}
PIN = re.compile(r"(?<![\w.-])([A-Za-z][\w.-]*)==(\d[\w.]*\w)")


@dataclass(frozen=True)
class Skip:
    """Examples the sandbox does not run: ``pattern`` is searched in the command."""

    pattern: str
    reason: str
    applies: Callable[[], bool] = lambda: True  # skip only when this holds


def _missing(*programs: str) -> Callable[[], bool]:
    return lambda: not all(_works(program) for program in programs)


@functools.cache
def _works(program: str) -> bool:
    """Whether ``program --version`` runs: a pyenv shim of a version not selected does not."""
    try:
        found = subprocess.run([program, "--version"], capture_output=True, check=False)
    except OSError:
        return False
    return found.returncode == 0


SKIPS = (
    Skip(r"^pipx install ", "pipx is not a test dependency, and would install pinst itself"),
    Skip(r"^pip install nox && nox$", "runs the whole test suite, of which this test is part"),
    Skip(r"^pip install --no-cache-dir /tmp/pinst$", "installs pinst itself, in a Dockerfile"),
    Skip(r"^pip-compile ", "pip-tools is not a test dependency (uv's compile example runs)"),
    Skip(r"^uv ", "uv is not installed on this machine (nox installs it)", _missing("uv")),
    Skip(
        r"/mnt/data",
        "needs root to mount the other filesystem /mnt/data stands for",
        lambda: not IS_ROOT,
    ),
    Skip(
        r"--link-mode reflink",
        "shows the error of a filesystem without reflinks; only root "
        "can mount the tmpfs that makes sure of that",
        lambda: not IS_ROOT,
    ),
)
# Examples that run against the real PyPI, with the default index: the README's main command.
ON_PYPI = (r"pinst install -r examples/requirements\.txt",)
# Examples that show what an ordinary user meets; as root they run without the capabilities that
# let root write to a read-only file (setpriv is in util-linux, on every Debian).
AS_A_USER = (r"^echo .*>> .*\.py$",)
WITHOUT_ROOT_POWERS = "setpriv --bounding-set=-dac_override,-fowner -- "
# Programs the sandbox runs, besides the uv of the SKIPS entry above.
RUNNABLE = {"pinst", "echo", "stat", "rm", "uv"}

# Substitutions in commands (and Dockerfile ENV values), each with its reason. Applied in one
# pass, so that a replacement is never replaced again.
SUBSTITUTIONS = {
    "https://pypi.org/simple": ("{index}", "no request goes to PyPI: the local index stands in"),
    "/tmp/": ("{root}/tmp/", "nothing outside the sandbox is written"),
    "/opt/": ("{root}/opt/", "the Dockerfile's venv; nothing outside the sandbox is written"),
    "/root/": ("{home}/", "the Dockerfile builds as root: its home is the sandbox's HOME"),
    "/mnt/data": ("{root}/mnt/data", "the tmpfs mounted there stands for another disk"),
    "python3.11/": (
        "python{python}/",
        "the docs' venvs have Python 3.11; the sandbox's have the Python running the tests",
    ),
    "--python 3.12": ("--python {python}", "any installed version shows the option as well"),
    "3.10 3.11 3.12": ("{python}", "only the Python running the tests is sure to be installed"),
    "python3 -m venv ~/.local/pinst && ~/.local/pinst/bin/pip install . && ": (
        "",
        "the README installs pinst in a venv of its own: the sandbox's shim runs this checkout",
    ),
    "~/.local/pinst/bin/pinst ": ("pinst ", "that venv's pinst is the sandbox's shim"),
}
SUBSTITUTION = re.compile("|".join(rf"(?<![\w/.]){re.escape(text)}" for text in SUBSTITUTIONS))

# State an example needs that the page's earlier examples do not make: (page, command) -> setup
# run before it, and why.
GIVEN = {
    ("docs/cli.md", "pinst sync -r requirements.txt --venv .venv"): (
        "pinst uninstall requests urllib3 six mypkg --venv .venv -q && "
        "pinst install flask==3.1.0 pip==25.0 urllib3==2.7.0 --venv .venv -q",
        "the venv the page describes: flask, pip and urllib3 2.7.0, without requests",
    ),
}


@dataclass(frozen=True)
class Example:
    page: str  # relative to the repository, such as docs/cli.md
    line: int
    command: str
    output: tuple[str, ...] = ()  # the lines the docs show after the command
    env: tuple[tuple[str, str], ...] = ()  # a Dockerfile's ENV before the RUN

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


# ---- collecting the examples ------------------------------------------------------------------


def collect(page: Path) -> list[Example]:
    name = page.relative_to(ROOT).as_posix()
    lines = page.read_text().splitlines()
    examples: list[Example] = []
    language: str | None = None
    block: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith("```"):  # a fence, also indented in a list item
            if language is not None:
                examples += _from_block(name, language, block)
            language = None if language is not None else line.strip()[3:]
            block = []
        elif language is not None:
            block.append((number, line.strip() if language == "console" else line))
        elif page.name == "README.md" and _indented_code(lines, number):
            examples.append(Example(name, number, line.strip()))
    return examples


def _indented_code(lines: list[str], number: int) -> bool:
    """An indented code line of README.md: four spaces, after a blank line or another such."""
    line, before = lines[number - 1], lines[number - 2] if number > 1 else ""
    return line.startswith("    ") and (not before.strip() or before.startswith("    "))


def _from_block(page: str, language: str, block: list[tuple[int, str]]) -> list[Example]:
    if language == "console":
        return _console(page, block)
    if language == "yaml":
        return _yaml(page, block)
    if language == "dockerfile":
        return _dockerfile(page, block)
    return []


def _console(page: str, block: list[tuple[int, str]]) -> list[Example]:
    examples: list[Example] = []
    for number, line in block:
        if line.startswith("$ "):
            examples.append(Example(page, number, line[2:].strip()))
        elif examples:
            last = examples[-1]
            examples[-1] = Example(page, last.line, last.command, (*last.output, line))
    return examples


YAML_PINST = re.compile(r"^\s*(?:- )?(?:run: )?(pinst .*)$")


def _yaml(page: str, block: list[tuple[int, str]]) -> list[Example]:
    """The pinst commands of a CI file: ``run:`` steps and ``script:`` items."""
    found = ((number, YAML_PINST.match(line)) for number, line in block)
    return [Example(page, number, match[1].strip()) for number, match in found if match]


def _dockerfile(page: str, block: list[tuple[int, str]]) -> list[Example]:
    """Each RUN as a command, with the PINST_* variables of the ENV lines before it."""
    examples: list[Example] = []
    env: list[tuple[str, str]] = []
    for number, instruction in _instructions(block):
        keyword, _, rest = instruction.partition(" ")
        if keyword == "ENV":
            env += [
                (name, value)
                for name, _, value in (word.partition("=") for word in shlex.split(rest))
                if name.startswith("PINST_")
            ]
        elif keyword == "RUN":
            command = re.sub(r"^(--\S+\s+)*", "", rest)  # --mount=... belongs to Docker
            examples.append(Example(page, number, command, env=tuple(env)))
    return examples


def _instructions(block: list[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    """Instructions with their continuation lines joined, comments left out."""
    start, parts = 0, []
    for number, line in block:
        if not parts and (not line.strip() or line.startswith("#")):
            continue
        start = start if parts else number
        parts.append(line.strip().removesuffix("\\").strip())
        if not line.rstrip().endswith("\\"):
            yield start, " ".join(parts)
            parts = []


EXAMPLES = [example for page in PAGES for example in collect(page)]


# ---- which commands run -------------------------------------------------------------------------


def skip_for(command: str) -> Skip | None:
    """The SKIPS entry of a command, whether it applies on this machine or not."""
    return next((skip for skip in SKIPS if re.search(skip.pattern, command)), None)


def skipped_here(command: str) -> Skip | None:
    skip = skip_for(command)
    return skip if skip is not None and skip.applies() else None


def on_pypi(example: Example) -> bool:
    return any(re.search(pattern, example.command) for pattern in ON_PYPI)


def run_here(example: Example) -> bool:
    return skipped_here(example.command) is None


def programs(command: str) -> list[str]:
    """The programs a shell command line runs (enough of shell for the docs' examples), once
    SUBSTITUTIONS are made."""
    command = SUBSTITUTION.sub(lambda match: SUBSTITUTIONS[match[0]][0], command)
    found = []
    for part in re.split(r"&&|\|\||;|\|", command.split(" #")[0]):
        words = [word for word in part.split() if not re.match(r"^[A-Z_]+=", word)]
        if words and words[0] in {"do", "then"}:  # a loop's or an if's body
            words = words[1:]
        if words and words[0] not in {"for", "done", "fi"}:
            found.append(words[0])
    return found


def test_every_example_is_run_or_skipped_with_a_reason() -> None:
    unrunnable = [
        f"{example.id}: {example.command}"
        for example in EXAMPLES
        if skip_for(example.command) is None and not set(programs(example.command)) <= RUNNABLE
    ]
    assert not unrunnable, (
        "these docs examples cannot run in the sandbox and are not in SKIPS: "
        f"{unrunnable}. Make them runnable, or add them to SKIPS with the reason."
    )


def test_every_skip_and_given_is_still_used() -> None:
    commands = {example.command for example in EXAMPLES}
    unused = [
        skip.pattern for skip in SKIPS if not any(re.search(skip.pattern, c) for c in commands)
    ]
    unused += [command for (_, command) in GIVEN if command not in commands]
    assert not unused, f"SKIPS or GIVEN entries that match no docs example any more: {unused}"


def test_the_examples_are_found() -> None:
    pages = {example.page for example in EXAMPLES}
    expected = {"README.md", "docs/cli.md", "docs/guides/ci.md", "docs/guides/docker.md"}
    assert expected <= pages
    assert len(EXAMPLES) > 40


# ---- the local index and the sandboxes ----------------------------------------------------------


def docs_pins() -> dict[tuple[str, str], None]:
    """Every name==version of the docs and of APP_PINS, in order, once."""
    pins = dict.fromkeys(APP_PINS.items())
    for page in PAGES:
        pins.update(dict.fromkeys(PIN.findall(page.read_text())))
    return pins


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    with IndexServer(tmp_path_factory.mktemp("docs-index")) as server:
        for name, version in docs_pins():
            requires = [f"Requires-Dist: {dependency}" for dependency in DEPENDENCIES.get(name, [])]
            build_wheel(
                server.directory, name, version, files=PACKAGE_FILES.get(name), metadata=requires
            )
        yield server


@dataclass
class Sandbox:
    root: Path
    index: IndexServer
    ran: dict[int, str | None] = field(default_factory=dict)  # line -> None, or what failed

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def cwd(self) -> Path:
        return self.home / "project"

    def fill(self) -> None:
        """The directories, files and `pinst` shim the examples expect."""
        for directory in (
            self.cwd / "dist",
            self.root / "bin",
            self.root / "tmp",
            self.root / "opt",
        ):
            directory.mkdir(parents=True, exist_ok=True)
        (self.root / "mnt" / "data").mkdir(parents=True, exist_ok=True)
        shim = self.root / "bin" / "pinst"
        shim.write_text(
            f"#!/bin/sh\nPYTHONPATH={shlex.quote(str(SRC))}${{PYTHONPATH:+:$PYTHONPATH}} "
            f'exec {shlex.quote(sys.executable)} -m pinst "$@"\n'
        )
        shim.chmod(0o755)
        requirements = self.requirements()
        (self.cwd / "requirements.txt").write_text(requirements)
        (self.root / "tmp" / "requirements.txt").write_text(requirements)  # COPY in Dockerfiles
        (self.cwd / "requirements.in").write_text(REQUIREMENTS_IN)
        (self.cwd / "constraints.txt").write_text("requests==2.34.2\nurllib3==2.8.0\n")
        (self.cwd / "pylock.toml").write_text(self.lock(APP_PINS))
        (self.cwd / "pylock.dev.toml").write_text(self.lock({**APP_PINS, "six": "1.17.0"}))
        build_wheel(self.cwd / "dist", "mypkg", "1.0")
        shutil.copytree(ROOT / "examples", self.cwd / "examples")  # the README's real file
        # uv resolves from the index's directory, not its URL: uv asks an index with HEAD, which
        # the test index does not answer. uv has no variable for --no-index.
        (self.root / "uv.toml").write_text(
            f"no-index = true\nfind-links = [{json.dumps(str(self.index.directory))}]\n"
        )

    def wheel(self, name: str, version: str) -> Path:
        return next(self.index.directory.glob(f"{re.sub(r'[-_.]+', '_', name)}-{version}-*.whl"))

    def requirements(self) -> str:
        """APP_PINS with hashes, as `uv pip compile --generate-hashes` writes them."""
        return "".join(
            f"{name}=={version} \\\n    --hash=sha256:{sha256_of(self.wheel(name, version))}\n"
            for name, version in APP_PINS.items()
        )

    def lock(self, pins: dict[str, str]) -> str:
        packages = []
        for name, version in pins.items():
            wheel = self.wheel(name, version)
            url, digest = self.index.file_url(wheel.name), sha256_of(wheel)
            entry = f'{{ url = "{url}", hashes = {{ sha256 = "{digest}" }} }}'
            packages.append(
                f'[[packages]]\nname = "{name}"\nversion = "{version}"\nwheels = [{entry}]\n'
            )
        return 'lock-version = "1.0"\ncreated-by = "docs-test"\n\n' + "\n".join(packages)

    def env(self, example: Example) -> dict[str, str]:
        machine = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("PINST_", "PIP_", "UV_", "PYTHON", "VIRTUAL_ENV"))
        }
        return {
            **machine,
            "HOME": str(self.home),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_DATA_HOME": str(self.home / ".local" / "share"),
            # pyenv's shims (python3.12 on PATH) find pyenv through HOME unless told.
            "PYENV_ROOT": os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv")),
            "PATH": f"{self.root / 'bin'}{os.pathsep}{os.environ['PATH']}",
            "PINST_CACHE_DIR": str(self.home / ".cache" / "pinst"),
            **({} if on_pypi(example) else {"PINST_INDEX_URL": self.index.url}),
            "UV_CONFIG_FILE": str(self.root / "uv.toml"),
            "UV_CACHE_DIR": str(self.home / ".cache" / "uv"),
            "UV_PYTHON_DOWNLOADS": "never",
            **{name: self.substitute(value) for name, value in example.env},
        }

    def substitute(self, command: str) -> str:
        places = {"index": self.index.url, "root": str(self.root), "home": str(self.home)}
        places["python"] = PYTHON_VERSION

        def replace(match: re.Match[str]) -> str:
            return SUBSTITUTIONS[match[0]][0].format(**places)

        return SUBSTITUTION.sub(replace, command)

    def outside(self, command: str) -> str | None:
        """The first absolute path of the command outside the sandbox, if any: not run."""
        for path in re.findall(r"(?:^|[\s='\"])(/[^\s'\";]*)", command.split(" #")[0]):
            if not Path(path).is_relative_to(self.root) and path != "/dev/null":
                return str(path)
        return None

    def run(self, example: Example, command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", command],
            cwd=self.cwd,
            env=self.env(example),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


class Sandboxes:
    """One sandbox per page, made when its first example runs, unmounted at the end."""

    def __init__(self, base: Path, index: IndexServer, mounts: ExitStack) -> None:
        self.base, self.index, self.mounts = base, index, mounts
        self.pages: dict[str, Sandbox] = {}

    def __getitem__(self, page: str) -> Sandbox:
        if page not in self.pages:
            root = self.base / re.sub(r"\W+", "-", page)
            if IS_ROOT:  # a filesystem without reflinks, and another one as /mnt/data
                self.mounts.enter_context(mounted("tmpfs", root, root, "256m"))
                self.mounts.enter_context(mounted("tmpfs", root / "mnt" / "data", root, "256m"))
            root.mkdir(parents=True, exist_ok=True)
            self.pages[page] = sandbox = Sandbox(root, self.index)
            sandbox.fill()
        return self.pages[page]


@pytest.fixture(scope="module")
def sandboxes(tmp_path_factory: pytest.TempPathFactory, index: IndexServer) -> Iterator[Sandboxes]:
    with ExitStack() as mounts:
        yield Sandboxes(tmp_path_factory.mktemp("docs-pages"), index, mounts)


# ---- running and checking -----------------------------------------------------------------------


# The examples not run here are not test cases at all: SKIPS says why each is not, and
# test_every_example_is_run_or_skipped_with_a_reason keeps that list honest.
RUN_HERE = [example for example in EXAMPLES if run_here(example)]


def test_the_docs_show_times_as_pinst_prints_them() -> None:
    """Milliseconds under a second, seconds with two decimals above: never "0.54s"."""
    wrong = [
        f"{example.id}: {shown}"
        for example in EXAMPLES
        for shown in example.output
        if (summary := SUMMARY.match(shown)) and not DURATION.fullmatch(summary[2])
    ]
    assert not wrong, wrong


CASES = [
    pytest.param(example, id=example.id, marks=[pytest.mark.network] if on_pypi(example) else [])
    for example in RUN_HERE
]


@pytest.mark.parametrize("example", CASES)
def test_example(example: Example, sandboxes: Sandboxes) -> None:
    if skip_for(example.command) is None and not set(programs(example.command)) <= RUNNABLE:
        pytest.fail(f"{example.id}: runs {programs(example.command)}; add it to SKIPS or RUNNABLE")
    sandbox = sandboxes[example.page]
    for earlier in EXAMPLES:  # a case run on its own needs what the page did before it
        if earlier.page == example.page and earlier.line < example.line:
            if earlier.line not in sandbox.ran and not skipped_here(earlier.command):
                sandbox.ran[earlier.line] = _failure(sandbox, earlier)
            if sandbox.ran.get(earlier.line):
                pytest.skip(f"{earlier.id} failed before this example, which depends on it")
    sandbox.ran[example.line] = failure = _failure(sandbox, example)
    if failure:
        pytest.fail(failure, pytrace=False)


def _failure(sandbox: Sandbox, example: Example) -> str | None:
    """Run the example (and its GIVEN setup); what went wrong, or None."""
    given = GIVEN.get((example.page, example.command))
    if given:
        setup = sandbox.run(example, given[0])
        if setup.returncode != 0:
            return f"{example.id}: the GIVEN setup failed:\n{setup.stdout}{setup.stderr}"
    command = sandbox.substitute(example.command)
    if IS_ROOT and any(re.search(pattern, example.command) for pattern in AS_A_USER):
        command = f"{WITHOUT_ROOT_POWERS}bash -c {shlex.quote(command)}"
    outside = sandbox.outside(command)
    if outside:
        return f"{example.id}: {outside} is outside the sandbox: add it to SUBSTITUTIONS"
    result = sandbox.run(example, command)
    output = result.stdout + result.stderr
    problems = _problems(example, result.returncode, output)
    if not problems:
        return None
    return (
        f"{example.id}: $ {example.command}\n(ran: {command})\n"
        + "".join(f"- {problem}\n" for problem in problems)
        + f"exit status {result.returncode}, output:\n{output}"
    )


def _problems(example: Example, status: int, output: str) -> list[str]:
    shows_failure = any(line.startswith(("error:", "bash:")) for line in example.output)
    problems = []
    if shows_failure and status == 0:
        problems.append("the docs show it failing, but it succeeded")
    if not shows_failure and status != 0:
        problems.append("it failed, but the docs do not show it failing")
    if "Traceback" in output:
        problems.append("a Python traceback")
    lines = output.splitlines()
    for shown in example.output:
        wanted = _checked_part(shown)
        if wanted is not None and not any(line.startswith(wanted) for line in lines):
            problems.append(f"the docs show {shown!r}, but the output has no line {wanted!r}")
    return problems


PACKAGE_LINE = re.compile(r"^[+~-] [\w.-]+==\S+$")
SUMMARY = re.compile(r"^((?:Prepared|Installed|Uninstalled|Audited) .*) in ([\d.]+m?s)$")
DURATION = re.compile(r"\d+ms|[1-9]\d*\.\d\ds")  # as report.format_duration writes them
MESSAGE = re.compile(r"^(?:error|warning): ")


def _checked_part(shown: str) -> str | None:
    """What a real output line must start with, for a line the docs show; None: not checked."""
    if PACKAGE_LINE.match(shown):
        return shown
    summary = SUMMARY.match(shown)
    if summary:
        return summary[1] + " in "
    if MESSAGE.match(shown):
        return re.split(r"\s(?=/|~/)", shown)[0]  # paths differ in the sandbox
    return None
