"""Broken requirements: the warning after an install or sync, and ``pinst check``.

pinst resolves nothing, so a run that installs flask without werkzeug succeeds; it must say
so. Real wheels whose METADATA has Requires-Dist lines, served by a real index on 127.0.0.1,
installed into real venvs; another installer's distributions are installed by uv.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from packaging.markers import InvalidMarker, Marker, default_environment
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from pinst.install.dependency_check import plain_marker_verdict
from pinst.install.plain_versions import plain_verdict
from tests.support.index_server import IndexServer
from tests.support.runner import Pinst, Run, imported_at_startup, imported_modules
from tests.support.venvs import other_python, site_packages, venv_python
from tests.support.wheels import build_wheel, sha256_of

CLEAN = "No broken requirements found.\n"


def requires(server: IndexServer, name: str, version: str, *dependencies: str) -> Path:
    """A wheel on the index whose METADATA requires ``dependencies``."""
    lines = [f"Requires-Dist: {dependency}" for dependency in dependencies]
    return build_wheel(server.directory, name, version, metadata=lines)


def warnings_of(run: Run) -> list[str]:
    """Each warning, with the lines it lists (indented) joined to it."""
    found: list[str] = []
    for line in run.stderr.splitlines():
        if line.startswith("warning: "):
            found.append(line)
        elif found and line.startswith("  "):
            found[-1] += "\n" + line
    return found


def listed(warning: str) -> list[str]:
    """The problems a warning lists, one a line."""
    return [line.strip() for line in warning.splitlines() if line.startswith("  ")]


def install(pinst: Pinst, server: IndexServer, venv: Path, *args: str | Path) -> Run:
    return pinst("install", *args, "--venv", venv, "-i", server.url)


def test_an_install_that_leaves_a_dependency_out_warns_once_and_check_agrees(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    requires(server, "web-app", "3.1.3", "Werk_Zeug>=3.1", "itsdangerous")
    build_wheel(server.directory, "werk-zeug", "3.1.0")
    build_wheel(server.directory, "itsdangerous", "2.2.0")
    venv = tmp_path / "venv"

    run = install(pinst, server, venv, "web-app==3.1.3")

    assert run.returncode == 0
    (warning,) = warnings_of(run)
    assert "web-app 3.1.3 requires Werk_Zeug>=3.1, which is not installed" in warning
    assert "web-app 3.1.3 requires itsdangerous, which is not installed" in warning
    check = pinst("check", "--venv", venv, check=False)
    assert check.returncode == 1
    assert check.stdout == (
        "web-app 3.1.3 requires Werk_Zeug>=3.1, which is not installed.\n"
        "web-app 3.1.3 requires itsdangerous, which is not installed.\n"
    )

    # The name is matched normalized (PEP 503): werk-zeug is Werk_Zeug.
    fixed = install(pinst, server, venv, "werk-zeug==3.1.0", "itsdangerous==2.2.0")
    assert warnings_of(fixed) == []
    check = pinst("check", "--venv", venv)
    assert (check.returncode, check.stdout) == (0, CLEAN)


def test_a_version_outside_the_specifier_is_named_with_what_is_installed(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    requires(server, "x", "1.0", "y<2", "z>=1.0")
    build_wheel(server.directory, "y", "2.1")
    build_wheel(server.directory, "z", "1.1rc1")  # a pre-release counts, as in pip's check
    venv = tmp_path / "venv"

    run = install(pinst, server, venv, "x==1.0", "y==2.1", "z==1.1rc1")

    (warning,) = warnings_of(run)
    assert "x 1.0 requires y<2, but y 2.1 is installed" in warning
    assert listed(warning) == ["x 1.0 requires y<2, but y 2.1 is installed"]
    check = pinst("check", "--venv", venv, check=False)
    assert (check.returncode, check.stdout) == (1, "x 1.0 requires y<2, but y 2.1 is installed.\n")


def test_an_upgrade_that_breaks_a_package_already_installed_is_named(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    requires(server, "x", "1.0", "y<2")
    build_wheel(server.directory, "y", "1.5")
    build_wheel(server.directory, "y", "2.1")
    venv = tmp_path / "venv"
    assert warnings_of(install(pinst, server, venv, "x==1.0", "y==1.5")) == []

    run = install(pinst, server, venv, "y==2.1")  # x is not part of this run

    (warning,) = warnings_of(run)
    assert "x 1.0 requires y<2, but y 2.1 is installed" in warning


def test_a_sync_that_removes_a_dependency_warns(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    requires(server, "x", "1.0", "y")
    build_wheel(server.directory, "y", "1.0")
    venv = tmp_path / "venv"
    install(pinst, server, venv, "x==1.0", "y==1.0")

    run = pinst("sync", "x==1.0", "--venv", venv, "-i", server.url)

    assert "- y==1.0" in run.stderr
    (warning,) = warnings_of(run)
    assert "x 1.0 requires y, which is not installed" in warning


def test_markers_are_the_target_venvs_and_extras_do_not_count(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    requires(
        server,
        "app",
        "1.0",
        'old-only; python_version < "3"',  # never on a Python 3
        'pytest; extra == "test"',  # pip's check counts no extra's dependency
        'tomli; extra == "toml" and python_version >= "3"',
        'always; extra != "test"',  # holds when no extra is asked for
        "fast[speedups]>=1",  # the extra of a dependency: the dependency itself counts
    )
    venv = tmp_path / "venv"

    run = install(pinst, server, venv, "app==1.0")

    (warning,) = warnings_of(run)
    assert listed(warning) == [
        "app 1.0 requires always, which is not installed",
        "app 1.0 requires fast[speedups]>=1, which is not installed",
    ]
    assert pinst("check", "--venv", venv, check=False).stdout == (
        "app 1.0 requires always, which is not installed.\n"
        "app 1.0 requires fast[speedups]>=1, which is not installed.\n"
    )


@pytest.mark.skipif(
    other_python(10) is None, reason="needs a second Python version on this machine"
)
def test_a_marker_is_evaluated_for_the_venvs_python_not_pinsts(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    python = other_python(10)
    assert python is not None
    theirs = subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = f"{sys.version_info[0]}.{sys.version_info[1]}"
    requires(server, "app", "1.0", f'theirs; python_version == "{theirs}"')
    requires(server, "app", "2.0", f'ours; python_version == "{ours}"')
    venv = tmp_path / "venv"

    run = pinst("install", "app==1.0", "--venv", venv, "--python", python, "-i", server.url)
    (warning,) = warnings_of(run)
    assert "app 1.0 requires theirs, which is not installed" in warning

    run = pinst("install", "app==2.0", "--venv", venv, "-i", server.url)
    assert warnings_of(run) == []
    assert pinst("check", "--venv", venv).stdout == CLEAN


def test_the_nothing_to_do_run_does_not_check(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    requires(server, "x", "1.0", "y")
    venv = tmp_path / "venv"
    assert len(warnings_of(install(pinst, server, venv, "x==1.0"))) == 1

    for again in (
        install(pinst, server, venv, "x==1.0"),  # answered from the stamp
        install(pinst, server, venv, "x==1.0", "-v"),  # -v: planned, and nothing to do
    ):
        assert "Audited 1 package" in again.stderr
        assert warnings_of(again) == []


def test_json_reports_carry_the_broken_requirements(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    requires(server, "x", "1.0", "y<2", "missing-one")
    build_wheel(server.directory, "y", "2.1")
    venv = tmp_path / "venv"

    run = install(pinst, server, venv, "x==1.0", "y==2.1", "--json")

    broken = [
        {
            "name": "x",
            "version": "1.0",
            "requirement": "y<2",
            "dependency": "y",
            "installed_version": "2.1",
            "problem": "conflict",
        },
        {
            "name": "x",
            "version": "1.0",
            "requirement": "missing-one",
            "dependency": "missing-one",
            "installed_version": None,
            "problem": "missing",
        },
    ]
    assert json.loads(run.stdout)["broken_requirements"] == broken
    check = pinst("check", "--venv", venv, "--json", check=False)
    assert check.returncode == 1
    assert json.loads(check.stdout) == {
        "format": 1,
        "venv": str(venv),
        "broken_requirements": broken,
    }
    clean = pinst("install", "y==2.1", "--venv", tmp_path / "other", "-i", server.url, "--json")
    assert json.loads(clean.stdout)["broken_requirements"] == []


def test_a_requirement_that_is_not_pep_508_is_named_and_the_wheel_installs(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    requires(server, "odd", "1.0", "not a requirement!!")
    venv = tmp_path / "venv"

    run = install(pinst, server, venv, "odd==1.0")

    (warning,) = warnings_of(run)
    assert "odd 1.0 has a requirement that is not valid PEP 508: 'not a requirement!!'" in warning
    assert (site_packages(venv) / "odd" / "__init__.py").exists()


def test_check_of_what_is_not_a_venv_is_one_error(pinst: Pinst, tmp_path: Path) -> None:
    run = pinst("check", "--venv", tmp_path / "missing", check=False)
    assert run.returncode == 1
    assert run.stdout == ""
    assert run.stderr.startswith("error: ") and run.stderr.count("\n") == 1
    assert "no virtual environment" in run.stderr


def test_check_reads_what_another_installer_installed(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    if not Path(uv).exists():
        pytest.skip("needs uv, another installer")
    venv = tmp_path / "venv"
    pinst("venv", venv)
    by_uv = requires(server, "By.Other", "2.0", "needed>=1", 'pinned==1.0; os_name == "posix"')
    build_wheel(server.directory, "pinned", "1.1")
    subprocess.run(
        [uv, "pip", "install", "--python", str(venv_python(venv)), "--no-deps", "--offline",
         "--no-cache", str(by_uv)],
        check=True, capture_output=True,
    )  # fmt: skip

    check = pinst("check", "--venv", venv, check=False)
    assert check.returncode == 1
    assert check.stdout == (
        "by-other 2.0 requires needed>=1, which is not installed.\n"
        "by-other 2.0 requires pinned==1.0, which is not installed.\n"
    )

    # pinst installs pinned 1.1: the distribution uv installed requires 1.0, which it names.
    run = install(pinst, server, venv, "pinned==1.1")
    (warning,) = warnings_of(run)
    assert "by-other 2.0 requires pinned==1.0, but pinned 1.1 is installed" in warning
    # Not "needed": this run changed nothing it requires.
    assert listed(warning) == ["by-other 2.0 requires pinned==1.0, but pinned 1.1 is installed"]


def test_an_entry_unpacked_before_manifests_kept_dependencies_is_still_checked(
    pinst: Pinst, server: IndexServer, cache_dir: Path, tmp_path: Path
) -> None:
    wheel = requires(server, "x", "1.0", "y")
    install(pinst, server, tmp_path / "first", "x==1.0")
    (manifest,) = cache_dir.rglob(f"{sha256_of(wheel)}/manifest.json")
    data = json.loads(manifest.read_text())
    del data["dependencies"]  # as an older pinst sharing the cache writes it
    manifest.chmod(0o644)
    manifest.write_text(json.dumps(data))

    run = install(pinst, server, tmp_path / "second", "x==1.0", "--json")

    (package,) = json.loads(run.stdout)["packages"]
    assert package["source"] == "unpacked"  # the entry was used as it was, not unpacked again
    assert "dependencies" not in json.loads(manifest.read_text())
    (warning,) = warnings_of(run)
    assert "x 1.0 requires y, which is not installed" in warning


def test_a_healthy_warm_install_parses_no_marker_and_no_specifier(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    wheels = [
        requires(server, "x", "1.0", "y>=1,<2", 'z; python_version >= "3"', 'w; extra == "x"'),
        build_wheel(server.directory, "y", "1.0"),
        build_wheel(server.directory, "z", "1.0"),
    ]
    # Pinned by hash, as in test_warm_imports: the warm run then never asks the index.
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        "".join(
            f"{name}==1.0 --hash=sha256:{sha256_of(wheel)}\n"
            for name, wheel in zip("xyz", wheels, strict=True)
        )
    )
    install(pinst, server, tmp_path / "cold", "-r", requirements)

    warm = pinst(
        "install",
        "-r",
        requirements,
        "--venv",
        tmp_path / "warm",
        "-i",
        server.url,
        env={"PYTHONPROFILEIMPORTTIME": "1"},
    )

    assert "Installed 3 packages" in warm.stderr
    imported = imported_modules(warm.stderr) - imported_at_startup(pinst)
    assert "pinst.install.dependency_check" in imported  # the check ran
    assert not {"packaging.markers", "packaging.requirements", "packaging.specifiers"} & imported


PLAIN_RELEASES = st.lists(st.integers(0, 12), min_size=1, max_size=4).map(
    lambda numbers: ".".join(map(str, numbers))
)
# Pre- and post-releases of the same small releases, in PEP 440's spellings, normal or not.
SUFFIXES = st.sampled_from(
    [
        "a0",
        "a1",
        "b2",
        "rc1",
        "c1",
        "a.0",
        "-a1",
        "_b",
        ".rc2",
        "alpha1",
        "pre1",
        "preview2",
        "RC1",
        ".post0",
        ".post1",
        "post2",
        "-post1",
        "-1",
        ".rev1",
        ".dev0",
        "+local",
        ".post1.dev0",
    ]
)
ANY_VERSIONS = (
    PLAIN_RELEASES
    | st.tuples(PLAIN_RELEASES, SUFFIXES).map("".join)
    | st.sampled_from(
        ["1.0rc1", "1.0.post1", "1!1.0", "1.0+local", "1.0.dev0", "2.0a1", "1.0.0.post0"]
    )
)


def valid_specifier(text: str) -> bool:
    """What a Requires-Dist line can hold: the check's specifiers were parsed by packaging."""
    try:
        SpecifierSet(text)
    except InvalidSpecifier:
        return False
    return True


CLAUSES = (
    st.tuples(st.sampled_from([">=", "<=", "==", "!=", "<", ">", "~=", "==="]), ANY_VERSIONS)
    .map("".join)
    .filter(valid_specifier)
) | ANY_VERSIONS.map(lambda version: f"=={version}.*").filter(valid_specifier)


@settings(max_examples=3000, deadline=None)
@given(st.lists(CLAUSES, min_size=1, max_size=3), ANY_VERSIONS)
@example(["<1.0"], "1")  # trailing zeros do not count
@example([">1"], "1.0.0")
@example(["==1.0.0"], "1")
@example(["<2"], "2.0rc1")  # a pre-release of the bound: left to packaging
@example([">1.0"], "1.0.post1")  # >V allows no post-release of V
@example([">1.0a1"], "1.0.post1")
@example([">1.0.post0"], "1.0.post1")
@example(["<2.0a.0", ">=1.37.4"], "1.44.5")
@example(["~=0.4.0"], "0.4.1")
@example(["~=1.4.5a4"], "1.4.9")
@example(["==1.*"], "1.0.9")
@example(["==1.0.*"], "1")
@example(["!=2.9.*"], "2.9.0.post0")
@example(["==2.9.0.post0"], "2.9.0.post0")
@example([">=2.7", "<3.0.0"], "2.9.0.post0")
def test_the_plain_release_shortcut_agrees_with_packaging(clauses: list[str], version: str) -> None:
    specifier = ",".join(clauses)
    verdict = plain_verdict(specifier, version)
    if verdict is not None:
        expected = SpecifierSet(specifier).contains(Version(version), prereleases=True)
        assert verdict == expected, (specifier, version)


MARKER_VARIABLES = [
    "extra",
    "python_version",
    "python_full_version",
    "sys_platform",
    "os_name",
    "platform_system",
    "implementation_name",
    "platform_release",
]
MARKER_VALUES = [
    "3.11",
    "3.9",
    "3",
    "3.11.7",
    "3.13.0rc1",
    "3.*",
    "v3.11",
    "win32",
    "linux",
    "nt",
    "posix",
    "Windows",
    "cpython",
    "pypy",
    "test",
    "Test_Extra",
    "",
    "6.1",
]
COMPARISONS = st.builds(
    lambda variable, operator, value, quote: f"{variable} {operator} {quote}{value}{quote}",
    st.sampled_from(MARKER_VARIABLES),
    st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "~=", "in", "not in"]),
    st.sampled_from(MARKER_VALUES),
    st.sampled_from(["'", '"']),
)
MARKERS = st.recursive(
    COMPARISONS,
    lambda inner: st.builds(
        lambda left, word, right, parenthesised: (
            f"({left} {word} {right})" if parenthesised else f"{left} {word} {right}"
        ),
        inner,
        st.sampled_from(["and", "or"]),
        inner,
        st.booleans(),
    ),
    max_leaves=4,
)
ENVIRONMENTS = st.sampled_from(
    [
        {**default_environment(), "extra": ""},
        {
            **default_environment(),
            "python_version": "3.9",
            "python_full_version": "3.9.18",
            "sys_platform": "win32",
            "os_name": "nt",
            "platform_system": "Windows",
            "extra": "",
        },
        {
            **default_environment(),
            "python_full_version": "3.13.0rc1",
            "implementation_name": "pypy",
            "extra": "",
        },
    ]
)


@settings(max_examples=1000, deadline=None)
@given(MARKERS, ENVIRONMENTS)
@example('extra == "test"', {**default_environment(), "extra": ""})
@example('python_version < "3.11" and extra == "x"', {**default_environment(), "extra": ""})
@example(
    '(os_name == "nt" and implementation_name != "pypy") and extra == \'dev\'',
    {**default_environment(), "extra": ""},
)
def test_the_plain_marker_shortcut_agrees_with_packaging(
    marker: str, environment: dict[str, str]
) -> None:
    """A warm install judges the common markers without packaging's parser: the same verdicts."""
    verdict = plain_marker_verdict(marker, environment)
    if verdict is None:
        return  # left to packaging
    try:
        expected = Marker(marker).evaluate(environment)
    except (InvalidMarker, ValueError, KeyError):
        pytest.fail(f"the shortcut judged {marker!r}, which packaging cannot")
    assert verdict == expected, marker


def test_the_markers_real_wheels_use_are_judged_without_packaging() -> None:
    environment = {**default_environment(), "extra": ""}
    for marker in [
        'extra == "dev"',
        "sys_platform == 'win32'",
        'python_version < "3.11"',
        '(os_name == "nt" and implementation_name != "pypy") and extra == \'test\'',
        'platform_system == "Windows"',
    ]:
        assert plain_marker_verdict(marker, environment) is not None, marker
