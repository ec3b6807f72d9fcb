"""PEP 751 lock files: ``pinst install -r pylock.toml`` installs the wheels the lock names for
the target, from the lock's URLs and with its hashes, without asking an index.

Real subprocesses, a real index on 127.0.0.1 (serving the wheel files) and real venvs; the lock
files are written by hand, as a locker would write them.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.index_server import IndexServer
from tests.support.runner import Pinst
from tests.support.venvs import fingerprint, site_packages
from tests.support.wheels import build_wheel, dist_info, sha256_of

HEADER = 'lock-version = "1.0"\ncreated-by = "hand"\n'


def wheel_entry(server: IndexServer, wheel: Path, sha256: str | None = None) -> str:
    """One inline table of a package's ``wheels`` array: the served URL and the file's hash."""
    digest = sha256 or sha256_of(wheel)
    return f'{{ url = "{server.file_url(wheel.name)}", hashes = {{ sha256 = "{digest}" }} }}'


def package(name: str, version: str, *entries: str, marker: str | None = None) -> str:
    lines = ["[[packages]]", f'name = "{name}"', f'version = "{version}"']
    if marker is not None:
        lines.append(f"marker = {json.dumps(marker)}")
    lines.append(f"wheels = [{', '.join(entries)}]")
    return "\n".join(lines) + "\n"


def write_lock(tmp_path: Path, *packages: str, name: str = "pylock.toml") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "\n".join(packages))
    return path


def installed(venv: Path) -> set[str]:
    return {path.name for path in site_packages(venv).glob("*.dist-info")}


def test_lock_installs_its_wheels_from_their_urls_without_the_index(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    first = build_wheel(server.directory, "alpha", "1.0")
    second = build_wheel(server.directory, "beta", "2.0")
    lock = write_lock(
        tmp_path,
        package("alpha", "1.0", wheel_entry(server, first)),
        package("beta", "2.0", wheel_entry(server, second)),
    )
    venv = tmp_path / "venv"

    pinst("install", "-r", lock, "--venv", venv, "-i", server.url)

    assert installed(venv) >= {dist_info("alpha", "1.0"), dist_info("beta", "2.0")}
    assert not [path for path in server.requests if path.startswith("/simple")]
    # Like uv, a lock's packages are recorded as index installs, not as direct URLs.
    assert not (site_packages(venv) / dist_info("alpha", "1.0") / "direct_url.json").exists()
    # Run again: already satisfied by version, nothing fetched again.
    files_fetched = server.total_requests()
    again = pinst("install", "-r", lock, "--venv", venv)
    assert again.stderr.startswith("Audited 2 packages")
    assert server.total_requests() == files_fetched


def test_marker_excludes_a_package_and_tags_choose_the_wheel(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    portable = build_wheel(server.directory, "native", "1.0")
    # A platform no interpreter has: the lock lists it first, and it must not be chosen.
    alien = build_wheel(server.directory, "native", "1.0", tag="py3-none-madeup_platform")
    other = build_wheel(server.directory, "windowsonly", "1.0")
    lock = write_lock(
        tmp_path,
        package("native", "1.0", wheel_entry(server, alien), wheel_entry(server, portable)),
        package("windowsonly", "1.0", wheel_entry(server, other), marker="sys_platform == 'win32'"),
        name="pylock.dev.toml",
    )
    venv = tmp_path / "venv"

    pinst("install", "-r", lock, "--venv", venv)

    assert dist_info("native", "1.0") in installed(venv)
    assert dist_info("windowsonly", "1.0") not in installed(venv)
    wheel_file = site_packages(venv) / dist_info("native", "1.0") / "WHEEL"
    assert "Tag: py3-none-any" in wheel_file.read_text()
    assert server.requests[f"/files/{alien.name}"] == 0


def test_a_package_with_only_an_sdist_is_refused_and_the_venv_is_unchanged(
    pinst: Pinst, server: IndexServer, venv: Path, tmp_path: Path
) -> None:
    wheel = build_wheel(server.directory, "alpha", "1.0")
    lock = write_lock(
        tmp_path,
        package("alpha", "1.0", wheel_entry(server, wheel)),
        '[[packages]]\nname = "source-only"\nversion = "1.0"\n'
        f'sdist = {{ url = "{server.file_url("source_only-1.0.tar.gz")}", '
        f'hashes = {{ sha256 = "{"0" * 64}" }} }}\n',
    )
    before = fingerprint(venv)

    run = pinst("install", "-r", lock, "--venv", venv, check=False)

    assert run.returncode == 1
    assert str(lock) in run.stderr
    assert "source-only" in run.stderr and "wheels only" in run.stderr
    assert fingerprint(venv) == before


def test_an_invalid_lock_file_is_a_clear_error_naming_it(pinst: Pinst, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    bad_version = tmp_path / "pylock.toml"
    bad_version.write_text('lock-version = "2.0"\ncreated-by = "hand"\npackages = []\n')
    missing = tmp_path / "pylock.missing.toml"
    missing.write_text('lock-version = "1.0"\npackages = []\n')

    for lock, words in ((bad_version, "not supported"), (missing, "created-by")):
        run = pinst("install", "-r", lock, "--venv", venv, check=False)
        assert run.returncode == 1, run.output
        assert str(lock) in run.stderr and words in run.stderr, run.stderr
        assert "Traceback" not in run.output
    assert not venv.exists()  # refused before the venv was created


def test_a_wrong_hash_in_the_lock_is_refused(
    pinst: Pinst, server: IndexServer, venv: Path, tmp_path: Path
) -> None:
    wheel = build_wheel(server.directory, "alpha", "1.0")
    lock = write_lock(tmp_path, package("alpha", "1.0", wheel_entry(server, wheel, "ab" * 32)))
    before = fingerprint(venv)

    run = pinst("install", "-r", lock, "--venv", venv, check=False)

    assert run.returncode == 1
    assert "ab" * 32 in run.stderr
    assert fingerprint(venv) == before


def test_a_lock_cannot_be_mixed_with_other_requirements(pinst: Pinst, tmp_path: Path) -> None:
    lock = write_lock(tmp_path)
    run = pinst("install", "-r", lock, "six==1.0", "--venv", tmp_path / "venv", check=False)
    assert run.returncode == 1
    assert "lock file" in run.stderr and "alone" in run.stderr


def test_path_wheels_are_relative_to_the_lock_file(pinst: Pinst, tmp_path: Path) -> None:
    wheels = tmp_path / "locked" / "wheels"
    wheel = build_wheel(wheels, "local", "1.0")
    lock = write_lock(
        tmp_path / "locked",
        '[[packages]]\nname = "local"\nversion = "1.0"\n'
        f'wheels = [{{ path = "wheels/{wheel.name}", '
        f'hashes = {{ sha256 = "{sha256_of(wheel)}" }} }}]\n',
    )
    venv = tmp_path / "venv"

    pinst("install", "-r", lock, "--venv", venv)

    assert dist_info("local", "1.0") in installed(venv)


def test_sync_with_a_lock_removes_unlisted_packages(
    pinst: Pinst, server: IndexServer, venv: Path, tmp_path: Path
) -> None:
    wheel = build_wheel(server.directory, "alpha", "1.0")
    lock = write_lock(tmp_path, package("alpha", "1.0", wheel_entry(server, wheel)))

    pinst("sync", "-r", lock, "--venv", venv)

    assert pinst("freeze", "--venv", venv).stdout == "alpha==1.0\n"


def test_extras_and_dependency_groups_choose_more_of_the_lock(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    """As PEP 751 says: no extra by default, the lock's default-groups by default; --extra and
    --group add theirs (as uv's --extra and --group do)."""
    wheels = {name: build_wheel(server.directory, name, "1.0") for name in "abcd"}
    entries = {name: wheel_entry(server, wheel) for name, wheel in wheels.items()}
    lock = tmp_path / "pylock.toml"
    lock.write_text(
        HEADER
        + 'extras = ["docs"]\ndependency-groups = ["dev", "test"]\ndefault-groups = ["test"]\n\n'
        + package("a", "1.0", entries["a"])
        + package("b", "1.0", entries["b"], marker="'docs' in extras")
        + package("c", "1.0", entries["c"], marker="'dev' in dependency_groups")
        + package("d", "1.0", entries["d"], marker="'test' in dependency_groups")
    )
    plain, everything = tmp_path / "plain", tmp_path / "everything"

    pinst("install", "-r", lock, "--venv", plain)
    pinst("install", "-r", lock, "--venv", everything, "--extra", "docs", "--group", "dev")

    assert installed(plain) >= {dist_info("a", "1.0"), dist_info("d", "1.0")}
    assert not installed(plain) & {dist_info("b", "1.0"), dist_info("c", "1.0")}
    assert installed(everything) >= {dist_info(name, "1.0") for name in "abcd"}

    unknown = pinst("install", "-r", lock, "--venv", plain, "--group", "lint", check=False)
    assert unknown.returncode == 1
    assert f"{lock}: the lock file has no dependency group 'lint'; it has: dev, test" in (
        unknown.stderr
    )


def test_extra_without_a_lock_file_is_a_usage_error(pinst: Pinst, tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("alpha==1.0\n")
    run = pinst(
        "install", "-r", requirements, "--venv", tmp_path / "venv", "--extra", "docs",
        check=False,
    )  # fmt: skip
    assert run.returncode == 2
    assert "--extra and --group choose what to install from a PEP 751 lock file" in run.stderr
    assert not (tmp_path / "venv").exists()
