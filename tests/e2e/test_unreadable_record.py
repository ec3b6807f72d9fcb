"""A venv's RECORD that pinst cannot read: refused in one paragraph, before anything changes.

Another tool wrote the RECORD, or anyone who could write to the venv. The wheel spec says it is
UTF-8 csv; one that is not cannot say which files are the package's, and guessing could remove
the ``.dist-info`` and leave files behind. pinst reads it as UTF-8 whatever the locale, and
refuses the rest before the venv, its stamp or its journal changes: for uninstall, for a sync's
removals and upgrades, for an install's upgrade, and for the repair after a killed run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.index_server import IndexServer
from tests.support.requirements import pinned
from tests.support.runner import Pinst, Run
from tests.support.trees import tree
from tests.support.venvs import run_python, site_packages
from tests.support.wheels import build_wheel

# What a broken RECORD may hold, and the words pinst says about it.
BROKEN = {
    "not UTF-8": (b"\xff\xfe", "is not UTF-8, as the wheel spec requires (byte 0xff at offset"),
    # A quote left open swallows every row after it: paths csv could only guess.
    "quote left open, with NUL": (b'"\x00', "is not a valid csv file (unexpected end of data)"),
    "field over csv's limit": (b"x" * 200_000 + b",,\r\n", "is not a valid csv file (field "),
}
# Locales a user may run pinst in: plain C (which Python turns to UTF-8 itself), C forced to
# ASCII (no coercion, no UTF-8 mode: the locale's encoding is ASCII), and C.UTF-8.
LOCALES = {
    "LANG=C": {"LANG": "C", "LC_ALL": "", "LC_CTYPE": ""},
    "LC_ALL=C, ASCII": {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"},
    "LC_ALL=C.UTF-8": {"LC_ALL": "C.UTF-8"},
}


def snapshot(venv: Path) -> dict[str, bytes | None]:
    """Every path in the venv but its lock, with each file's content: its stamp and journal
    count, so a refused run that removed the stamp or began a journal shows."""
    return {
        relative: None if (venv / relative).is_dir() else (venv / relative).read_bytes()
        for relative in tree(venv)
    }


def break_record(venv: Path, dist_info: str, broken: bytes) -> Path:
    """Put ``broken`` at the start of the RECORD, before every row, and return its path."""
    record = site_packages(venv) / dist_info / "RECORD"
    record.write_bytes(broken + record.read_bytes())
    return record


def assert_refused(run: Run, record: Path, name: str, words: str) -> None:
    assert run.returncode == 1, run.output
    assert "Traceback" not in run.output, run.output
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), run.stderr
    assert f"cannot remove {name} 1.0: its RECORD ({record}) {words}" in run.stderr
    assert f"Nothing was changed. Remove {name}'s files and its directory {record.parent} by " in (
        run.stderr
    )
    assert "recreate the venv" in run.stderr


@pytest.mark.parametrize("broken", BROKEN.values(), ids=BROKEN.keys())
def test_uninstall_refuses_a_record_it_cannot_read_and_removes_nothing(
    pinst: Pinst, server: IndexServer, venv: Path, broken: tuple[bytes, str]
) -> None:
    build_wheel(server.directory, "demo", "1.0")
    pinst("install", "demo==1.0", "--venv", venv, "-i", server.url)
    record = break_record(venv, "demo-1.0.dist-info", broken[0])
    before = snapshot(venv)

    run = pinst("uninstall", "present", "demo", "--venv", venv, check=False)

    assert_refused(run, record, "demo", broken[1])
    assert snapshot(venv) == before  # present too: all of them or none
    assert run_python(venv, "import demo, present; print('ok')") == "ok\n"


@pytest.mark.parametrize("environment", LOCALES.values(), ids=LOCALES.keys())
def test_uninstall_reads_record_as_utf8_in_any_locale(
    pinst: Pinst, server: IndexServer, venv: Path, environment: dict[str, str]
) -> None:
    files = {"café/__init__.py": "", "naïve.py": ""}
    build_wheel(server.directory, "accents", "1.0", files=files)
    pinst("install", "accents==1.0", "--venv", venv, "-i", server.url)
    record = break_record(venv, "present-1.0.dist-info", BROKEN["not UTF-8"][0])
    before = snapshot(venv)

    refused = pinst("uninstall", "present", "--venv", venv, check=False, env=environment)

    assert_refused(refused, record, "present", BROKEN["not UTF-8"][1])
    assert snapshot(venv) == before
    run = pinst("uninstall", "accents", "--venv", venv, env=environment)
    assert run.stderr.splitlines()[0] == "- accents==1.0"
    site = site_packages(venv)
    assert not (site / "café").exists() and not (site / "naïve.py").exists()
    assert not (site / "accents-1.0.dist-info").exists()


@pytest.mark.parametrize("broken_one", ["old", "gone"])
def test_a_sync_refuses_a_record_it_cannot_read_before_changing_the_venv(
    pinst: Pinst, server: IndexServer, tmp_path: Path, broken_one: str
) -> None:
    """Upgrading old or removing gone needs its RECORD: the whole sync stops, nothing changed."""
    venv = tmp_path / "venv"
    # On the index before the first run caches its pages.
    wanted = pinned(server, "old", "2.0") + pinned(server, "new", "1.0")
    first = pinned(server, "old", "1.0") + pinned(server, "gone", "1.0")
    pinst("install", *_lines(tmp_path / "first.txt", first), "--venv", venv, "-i", server.url)
    record = break_record(venv, f"{broken_one}-1.0.dist-info", BROKEN["not UTF-8"][0])
    before = snapshot(venv)

    run = pinst(
        "sync", *_lines(tmp_path / "wanted.txt", wanted), "--venv", venv, "-i", server.url,
        check=False,
    )  # fmt: skip

    assert_refused(_last_line(run), record, broken_one, BROKEN["not UTF-8"][1])
    assert snapshot(venv) == before
    assert pinst("freeze", "--venv", venv).stdout == "gone==1.0\nold==1.0\n"


def test_an_upgrade_refuses_a_record_it_cannot_read_before_changing_the_venv(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    for version in ("1.0", "2.0"):  # on the index before the first run caches its pages
        build_wheel(server.directory, "mine", version)
    pinst("install", "mine==1.0", "--venv", venv, "-i", server.url)
    broken, words = BROKEN["quote left open, with NUL"]
    record = break_record(venv, "mine-1.0.dist-info", broken)
    before = snapshot(venv)

    run = pinst("install", "mine==2.0", "--venv", venv, "-i", server.url, check=False)

    assert_refused(_last_line(run), record, "mine", words)
    assert snapshot(venv) == before
    assert pinst("freeze", "--venv", venv).stdout == "mine==1.0\n"


def test_the_repair_after_a_killed_run_refuses_a_record_it_cannot_read(
    pinst: Pinst, server: IndexServer, venv: Path
) -> None:
    """The journal names present and demo: neither is removed while demo's RECORD is unread."""
    build_wheel(server.directory, "demo", "1.0")
    pinst("install", "demo==1.0", "--venv", venv, "-i", server.url)
    record = break_record(venv, "demo-1.0.dist-info", BROKEN["not UTF-8"][0])
    (venv / ".pinst" / "journal").write_text("present\ndemo\n")  # as a run killed meanwhile
    before = snapshot(venv)

    run = pinst("uninstall", "present", "--venv", venv, check=False)

    assert run.stderr.startswith("warning: a previous pinst run was stopped while changing 2 ")
    assert_refused(_last_line(run), record, "demo", BROKEN["not UTF-8"][1])
    assert snapshot(venv) == before  # the journal too: the next run repairs, once fixed
    assert run_python(venv, "import demo, present; print('ok')") == "ok\n"


def _lines(path: Path, text: str) -> list[str | Path]:
    path.write_text(text)
    return ["-r", path]


def _last_line(run: Run) -> Run:
    """The run with only its last line of stderr: what came before (preparing, a warning) is
    another test's business."""
    return Run(run.returncode, run.stdout, run.stderr.strip().splitlines()[-1])
