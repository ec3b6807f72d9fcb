"""No input makes pinst crash: every parser of untrusted text either succeeds or raises PinstError.

Requirements files, wheel filenames (and the tag ranking and wheel choice built on them), index
pages in both formats, cached index pages and the wheels themselves are generated here, from
plain noise and from near-misses of the real thing. A PinstError is the one-paragraph message a
user sees; any other exception would reach them as a traceback. The last test runs a few bad
requirements files through the real command line.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import string
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from packaging.markers import default_environment
from packaging.tags import sys_tags
from packaging.utils import canonicalize_name

from pinst._core.errors import PinstError
from pinst.cache.layout import Cache
from pinst.index.choice import choose_wheel
from pinst.index.files import DistributionFile, project_of
from pinst.index.page_cache import PageCache
from pinst.index.pages import Page, parse_page
from pinst.index.tags import rank_wheel, wheel_rank
from pinst.requirements.model import Origin, Pin
from pinst.requirements.read import read_requirements
from pinst.unpack.extract import unpack
from pinst.venv.interpreter import Interpreter, Scheme
from tests.support.runner import Pinst
from tests.support.wheels import build_wheel

SETTINGS = settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SHA = "a" * 64
WHEEL = "demo-1.0-py3-none-any.whl"

# -- Requirements files -------------------------------------------------------------------------

# Nothing here may reach the network: in-process parsing never fetches, and the command-line test
# below passes --no-index, so a URL can only be one of these, refused or failing at once.
URLS = st.one_of(
    st.sampled_from(
        [
            f"http://127.0.0.1:9/{WHEEL}",
            f"https://user:secret@127.0.0.1:9/{WHEEL}#sha256={SHA}",
            f"http://127.0.0.1:9/{WHEEL}#md5=00&egg=demo",
            f"http://127.0.0.1:9/{WHEEL}#sha256=",
            "http://[::1/demo-1.0-py3-none-any.whl",
            "http://exa\u2100mple.com/demo-1.0-py3-none-any.whl",
            "http://127.0.0.1:99999/x.whl",
            f"file:///nonexistent/{WHEEL}",
            f"file://otherhost/{WHEEL}",
            f"file:{WHEEL}",
            "git+https://127.0.0.1:9/repo.git#egg=demo",
            "ftp://127.0.0.1:9/demo-1.0-py3-none-any.whl",
            "http://127.0.0.1:9/demo-1.0.tar.gz",
            "http://127.0.0.1:9/%ff%fe-1.0-py3-none-any.whl",
            "HTTP://127.0.0.1:9/DEMO-1.0-PY3-NONE-ANY.WHL",
        ]
    ),
    st.text(max_size=20).map(lambda text: f"http://127.0.0.1:9/{text}.whl"),
)
PATHS = st.sampled_from(
    f"{WHEEL} ./{WHEEL} ../{WHEEL} /nonexistent/{WHEEL} sub sub/ . .. ~ demo-1.0.tar.gz demo.whl "
    "demo-1.0-py3-none-any.WHL demo-1.0-x-y-z-w-v.whl".split()
)
OPTIONS = st.sampled_from(
    [
        *("-r", "-c", "-i", "-f", "-e", "--requirement", "--constraint", "--index-url"),
        *("--extra-index-url", "--find-links", "--no-index", "--require-hashes", "--pre"),
        *("--hash", "--hash=", "--prefer-binary", "--only-binary=:all:", "--no-binary"),
        *("--no-binary=:none:", "--trusted-host", "--use-feature", "--editable", "--foo"),
        *("-Z", "-", "--", "-r=", "-rother.txt", "--no-index=1", "--index-url=http://[x"),
        *("-r other.txt", "-r loop.txt", "-c other.txt", "-r sub", "-r missing.txt"),
        *("-f sub", "-f http://[::1", "-i http://127.0.0.1:9/simple"),
    ]
)
HASHES = st.builds(
    lambda option, algorithm, separator, digest: f"{option}{algorithm}{separator}{digest}",
    st.sampled_from(["--hash=", "--hash ", "--hash="]),
    st.sampled_from(["sha256", "SHA256", "sha384", "sha512", "md5", "sha1", "", "sha3_256"]),
    st.sampled_from([":", "=", ""]),
    st.one_of(st.just(SHA), st.text("0123456789abcdefABCDEFxyz", max_size=130)),
)
NAMES = st.one_of(
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,10}", fullmatch=True), st.text(max_size=6)
)
VERSIONS = st.one_of(
    st.sampled_from(["1.0", "1!2.0.post1.dev3+local.7", "1.*", "1.0-custom", "", "v1", "1..0"]),
    st.text(string.digits + ".*+!-abcdefrcpostdevlocal", max_size=12),
)
SPECIFIERS = st.sampled_from(["==", "===", "=", ">=", "~=", "!=", "<", " @ ", "@", "", " == "])
EXTRAS = st.sampled_from(["", "[a]", "[a,b]", "[", "]", "[a b]", "[\u00e9]", "[]"])
MARKERS = st.one_of(
    st.sampled_from(
        [
            "",
            '; python_version < "3.12"',
            '; sys_platform == "win32"',
            "; extra == 'x'",
            "; python_version > 'abc'",
            "; os_name ==",
            '; python_full_version ~= "3"',
            "; implementation_name === 'cpython'",
            "; python_version in '3.11 3.12'",
            ";python_version<'3'or os_name=='nt'",
            ";",
            " ; ",
        ]
    ),
    st.text(max_size=20).map(lambda text: "; " + text),
)
PINS = st.builds(lambda *parts: "".join(parts), NAMES, EXTRAS, SPECIFIERS, VERSIONS, MARKERS)
NAMED_URLS = st.builds(lambda name, url, marker: f"{name} @ {url}{marker}", NAMES, URLS, MARKERS)
ODDITIES = st.sampled_from(
    [
        *("\\", " \\", "\\\\", "#", " # comment", "\t", "\r", "\x00", "\ufeff", "'", '"', " "),
        *("${HOME}", "${PINST_UNSET_VARIABLE}", "${}", "$HOME", "\u2028", "\u00a0", "\U0001f40d"),
    ]
)
TOKENS = st.one_of(PINS, NAMED_URLS, URLS, PATHS, OPTIONS, HASHES, ODDITIES, st.text(max_size=15))
LINES = st.lists(TOKENS, max_size=6).map(" ".join)
REQUIREMENTS_TEXT = st.lists(LINES, max_size=6).map("\n".join)


@pytest.fixture(scope="module")
def requirements_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with what generated lines may refer to: a wheel, files to include, a folder."""
    directory = tmp_path_factory.mktemp("requirements")
    (directory / WHEEL).write_bytes(b"only the name is read while parsing")
    (directory / "other.txt").write_text("demo==1.0\n")
    (directory / "loop.txt").write_text("-r loop.txt\n")
    (directory / "sub").mkdir()
    return directory


def parse_and_select(directory: Path, text: str | bytes, argument: str) -> None:
    requirements = directory / "requirements.txt"
    if isinstance(text, str):
        requirements.write_text(text, encoding="utf-8")
    else:
        requirements.write_bytes(text)
    try:
        parsed = read_requirements([requirements], [argument] if argument else [])
        for environment in ({}, {"sys_platform": "win32", "python_version": "2.7"}):
            parsed.select({**default_environment(), **environment})
    except PinstError as error:
        assert error.message


@SETTINGS
@given(text=REQUIREMENTS_TEXT, argument=st.one_of(st.just(""), LINES))
@example(text="demo==1.0 \\\n--hash=sha256:" + SHA + " \\", argument="")
@example(text="-r loop.txt\n", argument="")
@example(text="demo==1.0\n--index-url http://[::1\n", argument="")
@example(text="", argument="x @ http://[::1/demo-1.0-py3-none-any.whl")
def test_requirements_files_parse_or_raise_pinst_error(
    requirements_dir: Path, monkeypatch: pytest.MonkeyPatch, text: str, argument: str
) -> None:
    monkeypatch.chdir(requirements_dir)  # command-line requirements are relative to it
    parse_and_select(requirements_dir, text, argument)


@SETTINGS
@given(data=st.binary(max_size=300))
def test_requirements_files_of_any_bytes_parse_or_raise_pinst_error(
    requirements_dir: Path, data: bytes
) -> None:
    parse_and_select(requirements_dir, data, "")


# -- Wheel filenames, tags and the choice of a wheel ---------------------------------------------

TAGS = tuple(str(tag) for tag in sys_tags())
INTERPRETER = Interpreter(
    executable=Path("/venv/bin/python"),
    version=(3, 11, 7),
    implementation="cpython",
    cache_tag="cpython-311",
    scheme=Scheme(*(Path("/venv") / part for part in ("lib", "lib", "bin", "", "include"))),
    markers={},
    tags=TAGS,
)
PART = st.one_of(
    st.sampled_from(
        [
            *("demo", "1.0", "1", "py3", "none", "any", "cp311", "abi3", "", "1a", "\u0661"),
            *("py2.py3", "cp311.cp312", "1!0", "x_y", ".", "..", "-", "9" * 30),
            *TAGS[0].split("-"),
            "manylinux_2_17_x86_64.manylinux2014_x86_64",
        ]
    ),
    st.text(max_size=10),
)
FILENAMES = st.one_of(
    st.text(max_size=60),
    st.text(max_size=60).map(lambda text: text + ".whl"),
    st.lists(PART, min_size=1, max_size=8).map(lambda parts: "-".join(parts) + ".whl"),
    st.lists(PART, min_size=1, max_size=4).map(lambda parts: "-".join(parts) + ".tar.gz"),
)
REQUIRES_PYTHON = st.one_of(
    st.none(), st.sampled_from([">=3.8", "<3", ">=3.12,<4", "~=3", "===3.11.7", "3.11"]), st.text()
)


def distribution_file(filename: str, requires_python: str | None) -> DistributionFile:
    return DistributionFile(
        filename=filename,
        url=f"https://files.example/{filename}",
        hashes={},
        requires_python=requires_python,
        yanked=False,
        yanked_reason=None,
        origin="https://index.example/simple",
    )


@SETTINGS
@given(filename=FILENAMES)
@example(filename="demo-1.0-" + "9" * 5000 + "-py3-none-any.whl")
def test_any_filename_ranks_without_raising(filename: str) -> None:
    for rank in (rank_wheel(filename, INTERPRETER.tag_rank), wheel_rank(filename, INTERPRETER)):
        assert rank is None or all(isinstance(key, int) for key in rank)
    name = project_of(filename)
    assert name is None or name == canonicalize_name(name)


@SETTINGS
@given(
    files=st.lists(st.tuples(FILENAMES, REQUIRES_PYTHON), max_size=6),
    version=st.one_of(VERSIONS, st.text(max_size=10)),
    arbitrary=st.booleans(),
)
def test_choosing_among_any_files_returns_one_or_raises_pinst_error(
    files: list[tuple[str, str | None]], version: str, arbitrary: bool
) -> None:
    pin = Pin(
        name=canonicalize_name("demo"),
        version=version,
        arbitrary_equality=arbitrary,
        url=None,
        extras=frozenset(),
        hashes={},
        marker=None,
        origin=Origin(Path("requirements.txt"), 1),
        text=f"demo{'===' if arbitrary else '=='}{version}",
    )
    candidates = [distribution_file(name, requires) for name, requires in files]
    try:
        chosen = choose_wheel(pin, candidates, INTERPRETER, lambda message: None)
    except PinstError as error:
        assert error.message
    else:
        assert chosen in candidates


# -- Index pages --------------------------------------------------------------------------------

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
CONTENT_TYPES = st.sampled_from([JSON_TYPE, "application/json", "text/html", "text/plain"])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
HREFS = st.one_of(
    URLS,
    st.sampled_from(["", "#", "?", "//", "/", "..", "http://", "javascript:x", "data:,x"]),
    st.sampled_from(["http://[x", "//[::1", "http://a\u2100b/", "%", "x.whl#sha256=ZZ"]),
    st.text(max_size=30),
)
FILE_ENTRIES = st.fixed_dictionaries(
    {"filename": st.one_of(FILENAMES, JSON_VALUES), "url": st.one_of(HREFS, JSON_VALUES)},
    optional={
        "hashes": st.one_of(st.dictionaries(st.text(max_size=8), JSON_VALUES), JSON_VALUES),
        "yanked": st.one_of(st.booleans(), st.text(max_size=10), JSON_VALUES),
        "requires-python": st.one_of(REQUIRES_PYTHON, JSON_VALUES),
    },
)
JSON_PAGES = st.fixed_dictionaries(
    {
        "meta": st.one_of(
            st.fixed_dictionaries(
                {"api-version": st.one_of(st.sampled_from(["1.0", "1.1", "2.0", "1"]), JSON_VALUES)}
            ),
            JSON_VALUES,
        ),
        "files": st.one_of(st.lists(FILE_ENTRIES, max_size=4), JSON_VALUES),
    }
).map(json.dumps)
ANCHORS = st.builds(
    lambda href, attributes, text: f"<a href='{href}' {attributes}>{text}</a>",
    HREFS,
    st.sampled_from(["", "data-yanked", "data-yanked=''", "data-requires-python='&gt;=3'"]),
    st.text(max_size=10),
)
HTML_PAGES = st.lists(
    st.one_of(
        ANCHORS,
        st.sampled_from(["<base href='http://[x'>", "<base href='../'>", "<!--", "<![CDATA["]),
        st.sampled_from(["</a>", "<a>", "<a href>", "&#xffffffff;", "&#0;", "<!x", "<?x"]),
        st.text(max_size=20),
    ),
    max_size=8,
).map("".join)
BODIES = st.one_of(st.text(), JSON_PAGES, HTML_PAGES)


@SETTINGS
@given(body=BODIES, content_type=CONTENT_TYPES)
@example(body="[" * 100_000, content_type=JSON_TYPE)
@example(body="<a href='http://[::1/x.whl'>x</a>", content_type="text/html")
def test_any_index_page_parses_or_raises_pinst_error(body: str, content_type: str) -> None:
    page = Page("https://index.example/simple/demo/", body, content_type)
    try:
        files = parse_page(page, "https://user:secret@index.example/simple", "index.example")
    except PinstError as error:
        assert error.message
    else:
        assert all(isinstance(file.filename, str) for file in files)


@pytest.fixture(scope="module")
def pages_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pages")


@SETTINGS
@given(content=st.one_of(st.binary(max_size=200), BODIES.map(str.encode)))
@example(content=b"[" * 100_000)
def test_a_damaged_cached_page_is_ignored(pages_dir: Path, content: bytes) -> None:
    pages = PageCache(pages_dir)
    url = "https://index.example/simple/demo/"
    pages.path(url).write_bytes(content)
    pages.load(url)  # a CachedPage or None, never an exception


# -- Wheels -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wheel_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    directory = tmp_path_factory.mktemp("wheel")
    wheel = build_wheel(
        directory,
        "demo",
        "1.0",
        files={"demo/__init__.py": "x = 1\n" * 50, "demo/data.bin": bytes(range(256)) * 8},
        entry_points={"console_scripts": {"demo": "demo:main"}},
        data={"scripts": {"tool": "#!python\nprint(1)\n"}},
    )
    return wheel.read_bytes()


# Byte positions to change: anywhere, or in the last 600 bytes, where the central directory
# and its end record are (the headers everything else is read through).
POSITIONS = st.one_of(
    st.integers(min_value=0, max_value=1 << 20), st.integers(min_value=-600, max_value=-1)
)
MUTATIONS = st.lists(st.tuples(POSITIONS, st.integers(0, 255)), min_size=1, max_size=6)


@settings(SETTINGS, max_examples=300)
@given(mutations=MUTATIONS, cut=st.one_of(st.none(), st.integers(min_value=1)))
def test_a_damaged_wheel_unpacks_or_raises_pinst_error(
    wheel_bytes: bytes, mutations: list[tuple[int, int]], cut: int | None
) -> None:
    data = bytearray(wheel_bytes)
    for position, value in mutations:
        data[position % len(data)] = value
    if cut is not None:
        data = data[: cut % len(data)]
    with tempfile.TemporaryDirectory() as scratch:
        wheel = Path(scratch) / WHEEL
        wheel.write_bytes(data)
        cache = Cache(Path(scratch) / "cache")
        try:
            unpack(wheel, hashlib.sha256(data).hexdigest(), cache)
        except PinstError as error:
            assert error.message
            assert list(cache.tmp.iterdir()) == []  # nothing half-unpacked is left behind


# -- The command line ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def existing_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    import subprocess
    import sys

    venv = tmp_path_factory.mktemp("cli") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    yield venv
    shutil.rmtree(venv, ignore_errors=True)


# Each example starts pinst: few of them, and the ones most likely to go wrong.
@settings(SETTINGS, max_examples=20)
@given(text=REQUIREMENTS_TEXT.filter(str.strip))
def test_bad_requirements_files_never_print_a_traceback(
    pinst: Pinst, requirements_dir: Path, existing_venv: Path, text: str
) -> None:
    requirements = requirements_dir / "cli-requirements.txt"
    requirements.write_text(text, encoding="utf-8")
    # The Pinst fixture fails on any traceback in the output.
    run = pinst("install", "-r", requirements, "--venv", existing_venv, "--no-index", check=False)
    assert run.returncode in (0, 1, 2), run.output
    if run.returncode != 0:
        assert run.stderr.splitlines()[-1].startswith("error: "), run.stderr
