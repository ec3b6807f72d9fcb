"""A wheel filename is split in one place (pinst.wheel.filename), leniently or strictly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from pinst.wheel.filename import WheelFilename, checked_wheel_filename, filename_from_url


def test_split_reads_every_field() -> None:
    wheel = WheelFilename.split("Foo_Bar-1.0-2b-py2.py3-none-any.whl")
    assert wheel == WheelFilename("Foo_Bar", "1.0", "2b", "py2.py3", "none", "any")
    assert wheel.project == "foo-bar"
    assert wheel.tag_sets == ("py2.py3", "none", "any")
    assert WheelFilename.split("foo-1.0-py3-none-any.whl") == WheelFilename(
        "foo", "1.0", None, "py3", "none", "any"
    )


@pytest.mark.parametrize(
    "filename", ["foo-1.0.tar.gz", "foo-1.0-py3-none.whl", "a-b-c-d-e-f-g.whl", "foo.whl", ""]
)
def test_split_refuses_what_is_no_wheel_filename(filename: str) -> None:
    assert WheelFilename.split(filename) is None


def test_split_keeps_a_legacy_version_that_only_a_triple_equals_pin_can_select() -> None:
    wheel = WheelFilename.split("foo-1.0.dev~x-py3-none-any.whl")
    assert wheel is not None and wheel.version == "1.0.dev~x"
    with pytest.raises(InvalidWheelFilename):
        checked_wheel_filename("foo-1.0.dev~x-py3-none-any.whl")


@given(st.text(alphabet="abc-_.019whl", max_size=30))
def test_a_valid_filename_splits_as_packaging_parses_it(text: str) -> None:
    filename = f"{text}.whl"
    try:
        name, version, _, _ = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return
    wheel = WheelFilename.split(filename)
    assert wheel is not None
    assert (wheel.project, str(checked_wheel_filename(filename)[1])) == (name, str(version))


def test_filename_from_url_decodes_and_ignores_query_and_fragment() -> None:
    url = "https://files.example/p/a%2Bb/foo-1.0%2Bcpu-py3-none-any.whl?x=1#sha256=ab"
    assert filename_from_url(url) == "foo-1.0+cpu-py3-none-any.whl"
    assert filename_from_url("file:///wheels/") == ""
