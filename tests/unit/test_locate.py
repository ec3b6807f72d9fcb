"""Choosing the wheel for an exact pin, and the errors when none fits."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.specifiers import Specifier
from packaging.utils import canonicalize_name
from packaging.version import Version

from pinst._core.errors import PinstError
from pinst._core.versions import pin_matches
from pinst.index.choice import choose_wheel, direct_file
from pinst.index.files import DistributionFile
from pinst.index.finder import Finder
from pinst.index.tags import wheel_rank
from pinst.network.retry import RetryPolicy
from pinst.requirements.model import Origin, Pin
from pinst.venv.interpreter import Interpreter, Scheme
from tests.support.index_server import Clients, IndexServer
from tests.support.wheels import build_wheel

LINUX_TAGS = (
    "cp311-cp311-manylinux_2_17_x86_64",
    "cp311-abi3-manylinux_2_17_x86_64",
    "cp311-none-manylinux_2_17_x86_64",
    "py311-none-any",
    "py3-none-any",
)


def interpreter(tags: tuple[str, ...] = LINUX_TAGS) -> Interpreter:
    root = Path("/venv")
    scheme = Scheme(root / "lib", root / "lib", root / "bin", root, root / "include")
    return Interpreter(
        executable=root / "bin" / "python",
        version=(3, 11, 7),
        implementation="cpython",
        cache_tag="cpython-311",
        scheme=scheme,
        markers={},
        tags=tags,
    )


def pin(text: str = "demo==1.0", *, exact: bool = False, url: str | None = None) -> Pin:
    name, _, version = text.partition("===" if exact else "==")
    return Pin(
        name=canonicalize_name(name.partition(" @ ")[0]),
        version=version or None,
        arbitrary_equality=exact,
        url=url,
        extras=frozenset(),
        hashes={},
        marker=None,
        origin=Origin(Path("requirements.txt"), 12),
        text=text,
    )


def file(filename: str, **fields: object) -> DistributionFile:
    values: dict[str, object] = {
        "url": f"https://files.example/{filename}",
        "hashes": {},
        "requires_python": None,
        "yanked": False,
        "yanked_reason": None,
        "origin": "https://index.example/simple",
        **fields,
    }
    return DistributionFile(filename=filename, **values)  # type: ignore[arg-type]


def choose(
    files: list[DistributionFile], wanted: Pin | None = None, warnings: list[str] | None = None
) -> DistributionFile:
    """choose_wheel for the Linux CPython 3.11 target; warnings go to ``warnings``, or fail."""
    return choose_wheel(wanted or pin(), files, interpreter(), _collect_into(warnings))


def _collect_into(warnings: list[str] | None) -> Callable[[str], None]:
    def warn(message: str) -> None:
        assert warnings is not None, f"unexpected warning: {message}"
        warnings.append(message)

    return warn


def test_rank_prefers_the_best_tag_then_the_highest_build() -> None:
    target = interpreter()
    assert wheel_rank("demo-1.0-cp310-cp310-win_amd64.whl", target) is None
    assert wheel_rank("not a wheel.whl", target) is None
    best = wheel_rank("demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", target)
    pure = wheel_rank("demo-1.0-py3-none-any.whl", target)
    multi = wheel_rank("demo-1.0-py2.py3-none-any.whl", target)
    built = [
        wheel_rank(f"demo-1.0-{build}-py3-none-any.whl", target)
        for build in ("2", "10", "10b", "10ba")
    ]
    assert best is not None and pure is not None and None not in built
    assert best < pure == multi
    ordered = sorted([pure, *built])  # type: ignore[type-var]
    assert ordered == [built[3], built[2], built[1], built[0], pure]


def test_chooses_the_best_compatible_wheel() -> None:
    files = [
        file("demo-1.0-py3-none-any.whl"),
        file("demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"),
        file("demo-1.0-cp311-cp311-win_amd64.whl"),
        file("demo-1.0.tar.gz"),
        file("demo-2.0-cp311-cp311-manylinux_2_17_x86_64.whl"),
    ]
    assert choose(files).filename == "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"


def test_versions_compare_as_versions_unless_arbitrary_equality() -> None:
    files = [file("demo-1.0.0-py3-none-any.whl"), file("demo-1.0-py2-none-any.whl")]
    assert choose(files, pin("demo==1.0")).filename == "demo-1.0.0-py3-none-any.whl"
    with pytest.raises(PinstError, match=r"no file for version 1\.0\.0"):
        choose([file("demo-1.0-py2-none-any.whl")], pin("demo===1.0.0", exact=True))
    legacy = file("demo-custom_build-py3-none-any.whl")
    assert choose([legacy], pin("demo===custom_build", exact=True)) == legacy


def test_a_pin_without_a_local_label_matches_local_builds() -> None:
    # PEP 440: ``==2.0`` ignores a candidate's local label, as the PyTorch CPU index needs.
    cpu = file("demo-2.0+cpu-cp311-cp311-manylinux_2_17_x86_64.whl")
    cuda = file("demo-2.0+cu121-py3-none-any.whl")
    plain = file("demo-2.0-cp311-cp311-manylinux_2_17_x86_64.whl")
    other = file("demo-2.1+cpu-py3-none-any.whl")
    assert choose([cpu, other], pin("demo==2.0")) == cpu
    # Of several builds the highest version wins, before the best tag, as pip chooses.
    assert choose([plain, cpu, cuda], pin("demo==2.0")) == cuda
    assert choose([plain, cpu], pin("demo==2.0")) == cpu
    # A pin with a label matches that label only.
    assert choose([plain, cpu, cuda], pin("demo==2.0+cpu")) == cpu
    with pytest.raises(PinstError, match=r"no file for version 2\.0\+rocm"):
        choose([plain, cpu, cuda], pin("demo==2.0+rocm"))


# Versions from a small alphabet, so that pairs often share a release or a local label.
VERSIONS = st.builds(
    "{}{}{}{}".format,
    st.lists(st.sampled_from("012"), min_size=1, max_size=3).map(".".join),
    st.sampled_from(["", "rc1", "a0"]),
    st.sampled_from(["", ".post1"]),
    st.sampled_from(["", "+cpu", "+cu121", "+1", "+cpu.1", "+CPU"]),
)


@given(candidate=VERSIONS, pinned=VERSIONS)
def test_pin_matching_is_packagings_double_equals(candidate: str, pinned: str) -> None:
    expected = Specifier(f"=={pinned}").contains(candidate, prereleases=True)
    assert pin_matches(Version(candidate), Version(pinned)) == expected


def test_a_file_not_yanked_is_preferred() -> None:
    # PEP 592: a yanked file only when nothing else fits the pin.
    yanked = file("demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", yanked=True)
    kept = file("demo-1.0-py3-none-any.whl")
    assert choose([yanked, kept]) == kept


def test_a_file_whose_hash_the_pin_lists_is_preferred() -> None:
    best_tag = file("demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", hashes={"sha256": "bb"})
    listed = file("demo-1.0-py3-none-any.whl", hashes={"sha256": "aa"})
    locked = pin()._replace(hashes={"sha256": frozenset({"aa", "cc"})})
    assert choose([best_tag, listed], locked) == listed
    # Without a hash from the index, or with none listed, the tag decides.
    unknown = file("demo-1.0-py3-none-any.whl")
    assert (
        choose([best_tag, unknown], pin()._replace(hashes={"sha256": frozenset({"aa"})}))
        == best_tag
    )
    assert choose([best_tag, listed]) == best_tag


def test_unparseable_filenames_are_ignored() -> None:
    files = [file("demo.whl"), file("README"), file("demo-1.0-py3-none-any.whl")]
    assert choose(files).filename == "demo-1.0-py3-none-any.whl"


def test_yanked_pin_installs_with_a_warning() -> None:
    warnings: list[str] = []
    files = [file("demo-1.0-py3-none-any.whl", yanked=True, yanked_reason="CVE-1")]
    assert choose(files, warnings=warnings).yanked
    [warning] = warnings
    assert "yanked: CVE-1" in warning
    assert "requirements.txt:12" in warning


def test_missing_version_lists_the_newest() -> None:
    files = [file(f"demo-{v}-py3-none-any.whl") for v in ("0.9", "1.1", "2.0", "1.2rc1")]
    with pytest.raises(PinstError) as raised:
        choose(files, pin("demo==1.5"))
    message = raised.value.message
    assert message.startswith("requirements.txt:12: demo==1.5")
    assert "2.0, 1.2rc1, 1.1, 0.9" in message
    assert "https://index.example/simple" in message
    assert "Fix the pin" in message


def test_only_sdists() -> None:
    with pytest.raises(PinstError) as raised:
        choose([file("demo-1.0.tar.gz"), file("demo-1.0.zip")])
    message = raised.value.message
    assert "demo-1.0.tar.gz" in message
    assert "pinst installs wheels only" in message
    assert "pip wheel" in message and "--find-links" in message


def test_no_compatible_wheel_lists_wheels_and_tags() -> None:
    files = [
        file("demo-1.0-cp312-cp312-win_amd64.whl"),
        file("demo-1.0-cp38-abi3-macosx_11_0_arm64.whl"),
    ]
    with pytest.raises(PinstError) as raised:
        choose(files)
    message = raised.value.message
    assert "demo-1.0-cp312-cp312-win_amd64.whl" in message
    assert "demo-1.0-cp38-abi3-macosx_11_0_arm64.whl" in message
    assert "cp311-cp311-manylinux_2_17_x86_64" in message
    assert "Python 3.11.7" in message


def test_requires_python_excludes_the_target() -> None:
    files = [file("demo-1.0-py3-none-any.whl", requires_python=">=3.12")]
    with pytest.raises(PinstError) as raised:
        choose(files)
    assert ">=3.12" in raised.value.message
    assert "Python 3.11.7" in raised.value.message


def test_requires_python_picks_among_wheels() -> None:
    files = [
        file("demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", requires_python=">=3.12"),
        file("demo-1.0-py3-none-any.whl", requires_python=">=3.8"),
        file("demo-1.0-py311-none-any.whl", requires_python="not a specifier"),
    ]
    assert choose(files).filename == "demo-1.0-py311-none-any.whl"


def test_direct_file_from_urls() -> None:
    found = direct_file(
        pin("demo @ x", url="https://u:secret@h.example/a/demo%2Bx-1.0-py3-none-any.whl#sha256=AB")
    )
    assert found.filename == "demo+x-1.0-py3-none-any.whl"
    assert found.url == "https://u:secret@h.example/a/demo%2Bx-1.0-py3-none-any.whl"
    assert found.hashes == {"sha256": "ab"}
    assert "secret" not in found.origin

    local = direct_file(pin("demo @ x", url="file:///tmp/dist/demo-1.0-py3-none-any.whl"))
    assert local.filename == "demo-1.0-py3-none-any.whl"
    assert local.hashes == {}


def test_direct_file_must_be_a_wheel() -> None:
    with pytest.raises(PinstError, match="wheels only"):
        direct_file(pin("demo @ x", url="https://h.example/demo-1.0.tar.gz"))


def test_with_a_real_index(server: IndexServer) -> None:
    build_wheel(server.directory, "demo", "1.0")
    native = build_wheel(server.directory, "demo", "1.0", tag="cp311-cp311-manylinux_2_17_x86_64")
    yanked = build_wheel(server.directory, "demo", "2.0")
    server.yanked[yanked.name] = "oops"
    clients = Clients()
    try:
        finder = Finder(clients, [server.url], [], None, retry=RetryPolicy(base_delay=0.001))
        files = finder.files(canonicalize_name("demo"))
    finally:
        clients.close()
    warnings: list[str] = []
    assert choose(files).filename == native.name
    assert choose(files, pin("demo==2.0"), warnings).filename == yanked.name
    assert "oops" in warnings[0]
