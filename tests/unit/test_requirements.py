"""Reading pinned requirements files: what pinst accepts, and what it refuses with which advice."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.markers import default_environment

from pinst._core.errors import PinstError
from pinst.requirements.model import Origin, Pin
from pinst.requirements.parsed import ParsedRequirements
from pinst.requirements.read import read_requirements
from tests.support.index_server import IndexServer
from tests.support.runner import Pinst
from tests.support.wheels import build_wheel

SHA_A = "a" * 64
SHA_B = "b" * 64
SHA_C = "c" * 64
WHEEL = "demo-1.0-py3-none-any.whl"
PIN_ADVICE = ("pip-compile", "uv pip compile")
WHEELS_ONLY = ("wheels only", "pip wheel", "uv build")


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in tmp_path so that origins read as they do for a user: ``requirements.txt:3``."""
    monkeypatch.chdir(tmp_path)


def write(path: str, text: str) -> Path:
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(text, encoding="utf-8")
    return file


def read(text: str, **options: bool) -> ParsedRequirements:
    return read_requirements([write("requirements.txt", text)], **options)


def environment(**markers: str) -> dict[str, str]:
    return {**default_environment(), **markers}


def pins(text: str, **markers: str) -> list[Pin]:
    return read(text).select(environment(**markers)).pins


def read_error(text: str, **options: bool) -> str:
    with pytest.raises(PinstError) as caught:
        read(text, **options)
    return caught.value.message


def select_error(text: str, **markers: str) -> str:
    parsed = read(text)
    with pytest.raises(PinstError) as caught:
        parsed.select(environment(**markers))
    return caught.value.message


def assert_mentions(message: str, *fragments: str) -> None:
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def touch_wheel(path: str) -> Path:
    return write(path, "not really a zip; pinst only reads the name here")


# -- Lines --------------------------------------------------------------------------------------


def test_exact_pins_with_extras_markers_and_arbitrary_equality() -> None:
    parsed = read(
        "Six==1.17.0\n"
        'Requests[Socks,security]==2.32.3 ; python_version >= "3.8"\n'
        "legacy===1.0-custom\n"
    )
    six, requests, legacy = parsed.select(environment()).pins

    assert (six.name, six.version, six.arbitrary_equality, six.url) == (
        "six",
        "1.17.0",
        False,
        None,
    )
    assert not six.is_direct
    assert six.origin == Origin(Path("requirements.txt"), 1)
    assert str(six.origin) == "requirements.txt:1"
    assert requests.extras == {"socks", "security"}
    assert str(requests.marker) == 'python_version >= "3.8"'
    assert requests.text == 'Requests[Socks,security]==2.32.3 ; python_version >= "3.8"'
    assert (legacy.version, legacy.arbitrary_equality) == ("1.0-custom", True)


def test_comments_blank_lines_and_a_byte_order_mark_are_ignored() -> None:
    Path("requirements.txt").write_bytes(
        b"\xef\xbb\xbf# generated\n\nsix==1.17.0  # the only pin\n   \n  # indented comment\n"
    )
    parsed = read_requirements([Path("requirements.txt")])

    assert [(pin.name, str(pin.origin)) for pin in parsed.select(environment()).pins] == [
        ("six", "requirements.txt:3")
    ]


def test_continuation_lines_carry_hashes_and_report_their_first_line() -> None:
    parsed = read(
        "# header\n"
        "six==1.17.0 \\\n"
        f"    --hash=sha256:{SHA_A} \\\n"
        f"    --hash sha256:{SHA_B.upper()}\n"
        "attrs==23.1.0 \\\n"
        f"    --hash=sha256:{SHA_C}\n"
    )
    six, attrs = parsed.select(environment()).pins

    assert six.hashes == {"sha256": {SHA_A, SHA_B}}
    assert str(six.origin) == "requirements.txt:2"
    assert str(attrs.origin) == "requirements.txt:5"


def test_an_error_on_a_continued_line_names_its_first_line() -> None:
    message = read_error("six==1.17.0\nattrs>=23 \\\n    --hash=sha256:" + SHA_A + "\n")

    assert message.startswith("requirements.txt:2: 'attrs>=23'")


def test_environment_variables_are_expanded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INDEX_TOKEN", "s3cret")
    monkeypatch.setenv("SIX_VERSION", "1.17.0")
    monkeypatch.delenv("NOT_SET", raising=False)
    parsed = read(
        "--index-url https://user:${INDEX_TOKEN}@example.org/simple\n"
        "--extra-index-url https://${NOT_SET}.example.org/simple\n"
        "six==${SIX_VERSION}\n"
    )

    assert parsed.index_url == "https://user:s3cret@example.org/simple"
    assert parsed.extra_index_urls == ["https://${NOT_SET}.example.org/simple"]
    assert parsed.select(environment()).pins[0].version == "1.17.0"


def test_a_file_that_is_not_utf8_is_refused_at_the_line_with_the_bad_byte() -> None:
    Path("requirements.txt").write_bytes(b"six==1.17.0\nattrs==23.1.0 # caf\xe9\n")

    with pytest.raises(PinstError) as caught:
        read_requirements([Path("requirements.txt")])

    assert_mentions(caught.value.message, "requirements.txt:2:", "not UTF-8", "Save it as UTF-8")


# -- Options ------------------------------------------------------------------------------------


def test_nested_files_are_found_relative_to_the_file_that_includes_them() -> None:
    write("requirements.txt", "-r deps/base.txt\nsix==1.17.0\n")
    write("deps/base.txt", "--requirement=extra/more.txt\nattrs==23.1.0\n")
    write("deps/extra/more.txt", "-r=../last.txt\nidna==3.7\n")
    write("deps/last.txt", "certifi==2024.7.4\n")

    parsed = read_requirements([Path("requirements.txt")])
    selected = parsed.select(environment()).pins

    assert [(pin.name, str(pin.origin)) for pin in selected] == [
        ("certifi", str(Path("deps/extra/../last.txt")) + ":1"),
        ("idna", str(Path("deps/extra/more.txt")) + ":2"),
        ("attrs", str(Path("deps/base.txt")) + ":2"),
        ("six", "requirements.txt:2"),
    ]


def test_index_options_are_collected() -> None:
    Path("wheels").mkdir()
    parsed = read(
        "-i https://first.example.org/simple\n"
        "--index-url=https://second.example.org/simple\n"
        "--extra-index-url https://extra.example.org/simple\n"
        "-f ./wheels\n"
        "--find-links https://example.org/links/\n"
        "--no-index\n"
        "--pre\n"
        "--prefer-binary\n"
        "--only-binary :all:\n"
        "--trusted-host example.org\n"
        "--use-feature truststore\n"
        "--no-binary :none:\n"
        "six==1.17.0\n"
    )
    selected = parsed.select(environment())

    assert selected.index_url == "https://second.example.org/simple"  # the last one wins, as pip
    assert selected.extra_index_urls == ["https://extra.example.org/simple"]
    assert selected.find_links == [str(Path("wheels").absolute()), "https://example.org/links/"]
    assert selected.no_index
    assert not selected.require_hashes
    assert [pin.name for pin in selected.pins] == ["six"]


@pytest.mark.parametrize(
    ("line", "advice"),
    [
        ("-e ./src/project", ("editable", "pip wheel", "uv build")),
        ("--editable=git+https://example.org/p.git#egg=p", ("editable", "wheels only")),
        ("--no-binary :all:", ("wheels only", "--no-binary")),
        ("--install-option=--prefix=/x", ("does not understand", "--install-option")),
        ("-Z", ("does not understand", "'-Z'")),
        ("-r https://example.org/requirements.txt", ("remote", "Download it first")),
        (f"--hash=sha256:{SHA_A}", ("--hash without a requirement",)),
        ("--index-url", ("--index-url needs a value",)),
        ("--no-index=yes", ("does not understand",)),
        ("-r a.txt b.txt", ("unexpected 'b.txt'",)),
        ("six==1.17.0 --global-option=build_ext", ("cannot follow a requirement", "only --hash")),
        ("-i 'https://example.org/simple", ("cannot split", "quotation")),
    ],
)
def test_unsupported_options_name_the_line_and_say_what_to_do(
    line: str, advice: tuple[str, ...]
) -> None:
    message = read_error(f"six==1.17.0\n{line}\n")

    assert message.startswith("requirements.txt:2: ")
    assert_mentions(message, *advice)


def test_a_missing_included_file_names_the_including_line_and_the_path_tried() -> None:
    write("deps/base.txt", "six==1.17.0\n-c pins/constraints.txt\n")
    message = read_error("-r deps/base.txt\n")

    assert_mentions(
        message,
        f"{Path('deps/base.txt')}:2:",
        str(Path("deps/pins/constraints.txt")),
        "No such file",
        "relative to the directory of the file",
    )


def test_a_missing_top_level_file_is_reported_for_the_command_line() -> None:
    with pytest.raises(PinstError) as caught:
        read_requirements([Path("missing.txt")])

    assert_mentions(caught.value.message, "the command line: ", "missing.txt", "No such file")


def test_an_include_loop_is_an_error() -> None:
    write("a.txt", "six==1.17.0\n-r b.txt\n")
    write("b.txt", "-r a.txt\n")

    with pytest.raises(PinstError) as caught:
        read_requirements([Path("a.txt")])

    assert_mentions(caught.value.message, "b.txt:1:", "loop", "a.txt -> b.txt -> a.txt")


def test_the_same_file_included_twice_without_a_loop_is_fine() -> None:
    write("common.txt", "six==1.17.0\n")
    write("a.txt", "-r common.txt\n")
    write("b.txt", "-r common.txt\n")

    parsed = read_requirements([Path("a.txt"), Path("b.txt")])

    assert [pin.name for pin in parsed.select(environment()).pins] == ["six"]


# -- Requirement forms --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "requirement",
    [
        "requests",
        "requests>=2",
        "requests~=2.0",
        "requests==2.*",
        "requests==2.0,!=2.1",
        "requests!=1",
    ],
)
def test_anything_but_an_exact_pin_asks_for_one(requirement: str) -> None:
    message = read_error(f"six==1.17.0\n{requirement}\n")

    assert message.startswith(f"requirements.txt:2: '{requirement}'")
    assert_mentions(message, "resolver-free", "requests==<version>", *PIN_ADVICE)


def test_a_single_equals_sign_suggests_two() -> None:
    message = read_error("six=1.17\n")

    assert message.startswith("requirements.txt:1: could not parse 'six=1.17'")
    assert_mentions(message, "Did you mean 'six==1.17'?")


def test_an_unparsable_line_is_one_paragraph() -> None:
    message = read_error("six==1.17.0 ; python_version >>> '3'\n")

    assert message.startswith("requirements.txt:1: could not parse")
    assert "\n" not in message


def test_a_named_wheel_url_is_a_direct_pin_and_its_fragment_a_hash() -> None:
    url = f"https://files.example.org/packages/{WHEEL}"
    (pin,) = pins(f'Demo[cli] @ {url}#sha256={SHA_A} ; sys_platform != "win32"\n')

    assert pin.is_direct
    assert (pin.name, pin.version, pin.url) == ("demo", None, url)
    assert pin.extras == {"cli"}
    assert pin.hashes == {"sha256": {SHA_A}}
    assert str(pin.marker) == 'sys_platform != "win32"'


def test_a_named_url_must_name_the_wheels_project() -> None:
    message = read_error(f"other @ https://files.example.org/{WHEEL}\n")

    assert message.startswith("requirements.txt:1: ")
    assert_mentions(message, "other", "demo", WHEEL)


def test_bare_wheel_urls_and_paths_are_direct_pins_named_by_their_filename(
    tmp_path: Path,
) -> None:
    touch_wheel(f"dist/{WHEEL}")
    touch_wheel("elsewhere/other-2.0-py3-none-any.whl")
    touch_wheel("deps/local/third-3.0-py3-none-any.whl")
    write("deps/requirements.txt", "./local/third-3.0-py3-none-any.whl\n")
    absolute = tmp_path / "elsewhere" / "other-2.0-py3-none-any.whl"
    write(
        "requirements.txt",
        "https://files.example.org/fourth-4.0-py3-none-any.whl\n"
        f"./dist/{WHEEL}\n"
        f"{absolute.as_uri()}\n"
        "-r deps/requirements.txt\n"
        f"{absolute}\n",  # the same wheel as a plain absolute path: a duplicate, merged
    )
    parsed = read_requirements([Path("requirements.txt")])
    selected = parsed.select(environment()).pins

    assert [(pin.name, pin.url) for pin in selected] == [
        ("fourth", "https://files.example.org/fourth-4.0-py3-none-any.whl"),
        ("demo", (tmp_path / "dist" / WHEEL).as_uri()),
        ("other", absolute.as_uri()),
        ("third", (tmp_path / "deps" / "local" / "third-3.0-py3-none-any.whl").as_uri()),
    ]


def test_a_bare_wheel_can_carry_extras_and_a_marker() -> None:
    touch_wheel(f"dist/{WHEEL}")
    (pin,) = pins(f'./dist/{WHEEL}[cli] ; python_version >= "3"\n')

    assert (pin.name, pin.extras, str(pin.marker)) == ("demo", {"cli"}, 'python_version >= "3"')


def test_a_local_wheel_must_exist() -> None:
    message = read_error(f"./dist/{WHEEL}\n")

    assert message.startswith(f"requirements.txt:1: './dist/{WHEEL}'")
    assert_mentions(message, "no wheel at", str(Path("dist").absolute() / WHEEL))


@pytest.mark.parametrize(
    "requirement",
    [
        "https://files.example.org/demo-1.0.tar.gz",
        "demo @ https://files.example.org/demo-1.0.zip",
        "https://files.example.org/demo-1.0.tar.bz2",
        "demo @ git+https://example.org/demo.git@v1.0",
        "git+https://example.org/demo.git#egg=demo",
        "./sdists/demo-1.0.tar.gz",
        "./project",
        "./project/",
    ],
)
def test_anything_but_a_wheel_is_refused_with_advice_to_build_one(requirement: str) -> None:
    Path("project").mkdir()
    message = read_error(f"{requirement}\n")

    assert message.startswith(f"requirements.txt:1: '{requirement}'")
    assert_mentions(message, *WHEELS_ONLY)


def test_a_url_scheme_pinst_cannot_fetch_is_refused() -> None:
    message = read_error(f"ftp://files.example.org/{WHEEL}\n")

    assert_mentions(message, "requirements.txt:1:", "ftp", "https://")


def test_command_line_requirements_are_relative_to_the_current_directory() -> None:
    touch_wheel(f"dist/{WHEEL}")

    parsed = read_requirements([], requirement_args=["six==1.17.0", f"dist/{WHEEL}"])
    six, demo = parsed.select(environment()).pins

    assert (six.version, str(six.origin)) == ("1.17.0", "the command line")
    assert demo.url == (Path.cwd() / "dist" / WHEEL).as_uri()


def test_command_line_errors_say_so() -> None:
    with pytest.raises(PinstError) as caught:
        read_requirements([], requirement_args=["six>=1"])

    assert caught.value.message.startswith("the command line: 'six>=1'")


# -- Hashes -------------------------------------------------------------------------------------


def test_one_hash_turns_on_hash_checking_for_every_line() -> None:
    message = select_error(
        f"six==1.17.0 --hash=sha256:{SHA_A}\nattrs==23.1.0\nidna==3.7\ncertifi==2024.7.4\n"
    )

    assert message.startswith("requirements.txt:2: 'attrs==23.1.0' has no hash")
    assert_mentions(
        message, "requirements.txt:3 'idna==3.7'", "requirements.txt:4", "--generate-hashes"
    )


@pytest.mark.parametrize("how", ["file option", "argument"])
def test_require_hashes_asks_for_a_hash_on_every_line(how: str) -> None:
    text = "six==1.17.0\n"
    if how == "file option":
        parsed = read("--require-hashes\n" + text)
    else:
        parsed = read(text, require_hashes=True)

    with pytest.raises(PinstError) as caught:
        parsed.select(environment())

    assert caught.value.message.startswith("requirements.txt:")
    assert_mentions(caught.value.message, "'six==1.17.0' has no hash", "hash-checking mode")


def test_hash_checking_passes_when_every_selected_pin_has_a_hash() -> None:
    selected = read(
        "--require-hashes\n"
        f"six==1.17.0 --hash=sha384:{'1' * 96}\n"
        f"demo @ https://files.example.org/{WHEEL}#sha512={'2' * 128}\n"
        'attrs==23.1.0 ; python_version < "3"\n'  # dropped, so its missing hash does not matter
    ).select(environment())

    assert selected.require_hashes
    assert [pin.name for pin in selected.pins] == ["six", "demo"]


def test_a_url_fragment_hash_alone_does_not_turn_on_hash_checking() -> None:
    selected = read(
        f"demo @ https://files.example.org/{WHEEL}#sha256={SHA_A}\nsix==1.17.0\n"
    ).select(environment())

    assert not selected.require_hashes


@pytest.mark.parametrize(
    ("hash_option", "advice"),
    [
        ("--hash=md5:" + "0" * 32, "sha256, sha384 and sha512 only"),
        ("--hash=sha1:" + "0" * 40, "sha256, sha384 and sha512 only"),
        ("--hash=sha256:" + "0" * 63, "64 hex digits"),
        ("--hash=sha512:" + "0" * 64, "128 hex digits"),
        ("--hash=sha256:" + "g" * 64, "64 hex digits"),
        ("--hash=" + SHA_A, "sha256:<hex digest>"),
    ],
)
def test_malformed_hashes_are_refused(hash_option: str, advice: str) -> None:
    message = read_error(f"six==1.17.0 {hash_option}\n")

    assert message.startswith("requirements.txt:1: ")
    assert_mentions(message, "'six==1.17.0'", advice, "pip hash")


def test_a_weak_hash_in_a_url_fragment_is_refused() -> None:
    message = read_error(f"https://files.example.org/{WHEEL}#md5={'0' * 32}\n")

    assert_mentions(message, "requirements.txt:1:", "md5", "sha256")


# -- Duplicates ---------------------------------------------------------------------------------


def test_duplicates_of_one_version_merge_extras_and_share_hashes() -> None:
    (pin,) = pins(
        f"demo[a]==1.0 --hash=sha256:{SHA_A} --hash=sha256:{SHA_B}\n"
        "demo[b]==1.0.0\n"  # the same version, spelled differently
        f"Demo==1.0 --hash=sha256:{SHA_B} --hash=sha256:{SHA_C}\n"
    )

    assert (pin.version, str(pin.origin)) == ("1.0", "requirements.txt:1")
    assert pin.extras == {"a", "b"}
    assert pin.hashes == {"sha256": {SHA_B}}


def test_duplicates_whose_hashes_share_nothing_are_an_error() -> None:
    message = select_error(f"demo==1.0 --hash=sha256:{SHA_A}\ndemo==1.0 --hash=sha256:{SHA_B}\n")

    assert message.startswith("requirements.txt:2: ")
    assert_mentions(message, "requirements.txt:1", "no digest in common")


def test_a_version_pin_and_the_url_of_that_version_merge_into_the_url() -> None:
    url = f"https://files.example.org/{WHEEL}"
    (pin,) = pins(f"demo==1.0\ndemo @ {url}\n")

    assert (pin.url, pin.version) == (url, None)


def test_conflicting_pins_name_both_lines() -> None:
    message = select_error("six==1.16.0\nattrs==23.1.0\nsix==1.17.0\n")

    assert message.startswith("requirements.txt:3: conflicting pins for six")
    assert_mentions(message, "'six==1.17.0'", "'six==1.16.0' at requirements.txt:1")


def test_pins_with_markers_that_do_not_overlap_do_not_conflict() -> None:
    text = (
        'numpy==1.26.4 ; python_version < "3.12"\n'
        'numpy==2.0.0 ; python_version >= "3.12"\n'
        'pywin32==306 ; sys_platform == "win32"\n'
        "six==1.17.0\n"
    )
    parsed = read(text)
    old = parsed.select(environment(python_version="3.10", sys_platform="linux")).pins
    new = parsed.select(environment(python_version="3.12", sys_platform="win32")).pins

    assert [(pin.name, pin.version) for pin in old] == [("numpy", "1.26.4"), ("six", "1.17.0")]
    assert [(pin.name, pin.version) for pin in new] == [
        ("numpy", "2.0.0"),
        ("pywin32", "306"),
        ("six", "1.17.0"),
    ]


def test_markers_see_no_extra() -> None:
    assert pins('six==1.17.0 ; extra == "test"\nattrs==23.1.0 ; extra == ""\n')[0].name == "attrs"


def test_a_marker_that_cannot_be_evaluated_is_an_error() -> None:
    message = select_error('six==1.17.0 ; python_version ~= "not a version"\n')

    assert_mentions(message, "requirements.txt:1:", "marker", "Fix the marker")


# -- Constraints --------------------------------------------------------------------------------


def test_a_constraint_pins_an_unpinned_requirement() -> None:
    write("constraints.txt", f"requests==2.32.3 --hash=sha256:{SHA_A}\nunused==1.0\n")
    parsed = read_requirements(
        # The constraint's --hash turns on hash-checking mode (as in pip), so six needs one too.
        [write("requirements.txt", f"requests[socks]>=2\nsix==1.17.0 --hash=sha256:{SHA_B}\n")],
        constraint_files=[Path("constraints.txt")],
    )
    requests, six = parsed.select(environment()).pins

    assert (requests.version, requests.extras) == ("2.32.3", {"socks"})
    assert requests.hashes == {"sha256": {SHA_A}}
    assert str(requests.origin) == "constraints.txt:1"
    assert six.version == "1.17.0"


def test_a_constraint_included_from_a_requirements_file_applies_too() -> None:
    write("pins/constraints.txt", "-r more.txt\n")
    write("pins/more.txt", f"demo @ https://files.example.org/{WHEEL}\n")

    (pin,) = pins("-c pins/constraints.txt\ndemo\n")

    assert pin.url == f"https://files.example.org/{WHEEL}"


def test_a_constraint_must_satisfy_the_requirement() -> None:
    write("constraints.txt", "requests==1.0\n")
    message = select_error("six==1.17.0\nrequests>=2\n-c constraints.txt\n")

    assert message.startswith("constraints.txt:1: the constraint 'requests==1.0'")
    assert_mentions(message, "'requests>=2' at requirements.txt:2")


def test_a_pinned_requirement_and_a_disagreeing_constraint_name_both() -> None:
    write("constraints.txt", "six==1.16.0\n")
    message = select_error("-c constraints.txt\nsix==1.17.0\n")

    assert message.startswith("requirements.txt:2: 'six==1.17.0' disagrees with the constraint")
    assert_mentions(message, "'six==1.16.0' at constraints.txt:1")


def test_a_pinned_requirement_takes_hashes_from_an_agreeing_constraint() -> None:
    write("constraints.txt", f"six==1.17.0 --hash=sha256:{SHA_A}\n")

    (pin,) = pins("-c constraints.txt\nsix==1.17.0\n")

    assert (pin.hashes, str(pin.origin)) == ({"sha256": {SHA_A}}, "requirements.txt:2")


def test_constraints_cannot_have_extras() -> None:
    write("constraints.txt", "six[test]==1.17.0\n")
    message = read_error("-c constraints.txt\nsix\n")

    assert message.startswith("constraints.txt:1: the constraint 'six[test]==1.17.0'")
    assert "has extras" in message


def test_a_range_constraint_checks_the_pin_of_its_project() -> None:
    write("constraints.txt", "requests<2\nunrequested>=5\n")

    (pin,) = pins("-c constraints.txt\nrequests==1.5\n")
    assert (pin.name, pin.version) == ("requests", "1.5")  # and unrequested is ignored, as pip

    message = select_error("-c constraints.txt\nrequests==2.32.3\n")
    assert message.startswith("requirements.txt:2: 'requests==2.32.3' pins version 2.32.3")
    assert_mentions(message, "'requests<2' at constraints.txt:1", "does not allow")


def test_a_range_constraint_checks_a_wheel_url_and_gives_its_hashes() -> None:
    write("constraints.txt", f"demo>=1 --hash=sha256:{SHA_A}\n")
    url = f"https://files.example.org/{WHEEL}"

    (pin,) = pins(f"-c constraints.txt\ndemo @ {url} --hash=sha256:{SHA_A}\n")
    assert (pin.url, pin.hashes) == (url, {"sha256": {SHA_A}})

    write("constraints.txt", "demo<1\n")
    assert "does not allow" in select_error(f"-c constraints.txt\ndemo @ {url}\n")


def test_a_range_constraint_does_not_pin_an_unpinned_requirement() -> None:
    write("constraints.txt", "six>=1\n")
    message = read_error("-c constraints.txt\nsix\n")

    assert_mentions(message, "requirements.txt:2: 'six' does not pin an exact version", *PIN_ADVICE)


def test_config_settings_are_accepted_with_a_note() -> None:
    parsed = read(
        "six==1.17.0 --config-settings=editable_mode=compat -C key=value\n"
        "--config-settings build-dir=/tmp/b\n"
        "attrs==25.1.0\n"
    )

    assert [pin.name for pin in parsed.select(environment()).pins] == ["six", "attrs"]
    [note] = parsed.notes  # once per file
    assert note.startswith("requirements.txt:1: --config-settings is ignored")
    assert "wheels, which need no build" in note


def test_a_missing_find_links_folder_is_ignored_with_a_warning() -> None:
    Path("wheels").mkdir()
    parsed = read("-f ./missing\n--find-links wheels\nsix==1.17.0\n")

    assert parsed.select(environment()).find_links == [str(Path("wheels").absolute())]
    [note] = parsed.notes
    assert note.startswith(
        f"requirements.txt:1: --find-links location '{Path('missing').absolute()}'"
    )
    assert "is ignored: it is neither a file nor a directory" in note


def test_constraints_with_markers_pin_per_environment() -> None:
    write(
        "constraints.txt",
        'numpy==1.26.4 ; python_version < "3.12"\nnumpy==2.0.0 ; python_version == "3.12"\n',
    )
    parsed = read("-c constraints.txt\nnumpy\n")

    assert parsed.select(environment(python_version="3.10")).pins[0].version == "1.26.4"
    assert parsed.select(environment(python_version="3.12")).pins[0].version == "2.0.0"
    with pytest.raises(PinstError) as caught:
        parsed.select(environment(python_version="3.13"))
    assert_mentions(
        caught.value.message, "requirements.txt:2: 'numpy'", "no constraint", *PIN_ADVICE
    )


# -- Robustness ---------------------------------------------------------------------------------

FUZZ_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ_SETTINGS
@given(lines=st.lists(st.text(max_size=60), max_size=6))
def test_arbitrary_lines_parse_or_raise_pinst_error(lines: list[str]) -> None:
    try:
        parsed = read("\n".join(lines))
        parsed.select(environment())
    except PinstError as error:
        assert error.message


FUZZ_ALPHABET = string.ascii_letters + string.digits + "._-*+!=<>~[],;@:/# \\\"'$%{}"
NAMES = st.text(string.ascii_letters + string.digits + "._-", min_size=0, max_size=12)
OPERATORS = st.sampled_from(["==", "===", "=", ">=", "~=", "!=", "", " == ", "@"])
VERSIONS = st.text(string.digits + ".*+!-abcdefrcpostdevlocal", max_size=14)
TAILS = st.one_of(
    st.just(""),
    st.text(FUZZ_ALPHABET, max_size=30),
    st.sampled_from(
        [
            ' ; python_version < "3.12"',
            f" --hash=sha256:{SHA_A}",
            " --hash=sha256:",
            "[extra]",
            "-py3-none-any.whl",
        ]
    ),
)


@FUZZ_SETTINGS
@given(name=NAMES, operator=OPERATORS, version=VERSIONS, tail=TAILS)
def test_pin_shaped_lines_parse_or_raise_pinst_error(
    name: str, operator: str, version: str, tail: str
) -> None:
    line = f"{name}{operator}{version}{tail}"
    try:
        parsed = read(line + "\n")
        for pin in parsed.select(environment()).pins:
            assert pin.version is not None or pin.url is not None
    except PinstError as error:
        assert error.message.startswith("requirements.txt:1")


# -- As a user sees it ----------------------------------------------------------------------------


def test_install_warns_of_ignored_lines_and_checks_range_constraints(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    build_wheel(server.directory, "alpha", "1.0")
    requirements = write(
        "requirements.txt", "-f ./no-such-folder\nalpha==1.0 --config-settings key=value\n"
    ).absolute()
    constraints = write("constraints.txt", "alpha<1\nunrequested<1\n").absolute()
    venv = tmp_path / "venv"
    args = ("install", "-r", requirements, "--venv", venv, "-i", server.url)

    refused = pinst(*args, "-c", constraints, check=False)
    assert refused.returncode == 1
    assert "'alpha==1.0' pins version 1.0, which the constraint 'alpha<1' at" in refused.stderr
    assert "Traceback" not in refused.stderr

    write("constraints.txt", "alpha<2\nunrequested<1\n")
    run = pinst(*args, "-c", constraints)
    assert "+ alpha==1.0" in run.stderr
    warnings = [line for line in run.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 2, run.stderr
    assert "no-such-folder' is ignored: it is neither a file nor a directory" in warnings[0]
    assert "--config-settings is ignored" in warnings[1]


def test_a_missing_find_links_folder_on_the_command_line_is_ignored_with_a_warning(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    build_wheel(server.directory, "alpha", "1.0")
    missing = tmp_path / "no-such-folder"
    venv = tmp_path / "venv"

    run = pinst("install", "alpha==1.0", "--venv", venv, "-i", server.url, "-f", missing)

    assert "+ alpha==1.0" in run.stderr
    assert (
        f"warning: --find-links location '{missing}' is ignored: it is neither a file nor a "
        "directory" in run.stderr
    )
