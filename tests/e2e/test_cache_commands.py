"""pinst cache dir, info, prune, verify and clean, through the command line on a real cache."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from pinst._core.disk_usage import format_size
from pinst.cache.layout import Cache
from pinst.cache.registry import record_install, registered_venvs
from tests.support.index_server import IndexServer
from tests.support.runner import Pinst
from tests.support.venvs import run_python
from tests.support.wheels import build_wheel, sha256_of

SHARED_CODE = "VALUE = 'shared'\n" * 200
HOUR = 3600


@dataclass
class Installed:
    """Two hard-linked venvs: ``one`` has shared and solo, ``two`` only shared."""

    one: Path
    two: Path
    shared: str  # the sha256 of each wheel, which names its entry
    solo: str


@pytest.fixture
def installed(pinst: Pinst, server: IndexServer, tmp_path: Path) -> Installed:
    shared = build_wheel(server.directory, "shared", "1.0", files={"shared.py": SHARED_CODE})
    solo = build_wheel(server.directory, "solo", "1.0", files={"solo.py": "VALUE = 'solo'\n"})
    one, two = tmp_path / "one", tmp_path / "two"
    link = ("--link-mode", "hardlink", "-i", server.url)
    pinst("install", "shared==1.0", "solo==1.0", "--venv", one, *link)
    pinst("install", "shared==1.0", "--venv", two, *link)
    return Installed(one, two, sha256_of(shared), sha256_of(solo))


def entry(cache_dir: Path, sha256: str) -> Path:
    return cache_dir / "entries-v1" / sha256


def age(path: Path, seconds: float) -> None:
    """Set the mtime of ``path`` and everything under it to ``seconds`` ago."""
    then = time.time() - seconds
    for item in [path, *path.rglob("*")]:
        os.utime(item, (then, then))


def tamper(file: Path) -> None:
    file.chmod(0o644)
    content = bytearray(file.read_bytes())
    content[0] ^= 1
    file.write_bytes(bytes(content))


def test_dir_prints_the_cache_path(pinst: Pinst, cache_dir: Path, tmp_path: Path) -> None:
    assert pinst("cache", "dir").stdout == f"{cache_dir}\n"
    other = tmp_path / "elsewhere"
    assert pinst("cache", "dir", "--cache-dir", other).stdout == f"{other}\n"
    assert not cache_dir.exists() and not other.exists()


def test_info_reports_entries_and_the_space_hard_links_save(
    pinst: Pinst, installed: Installed, cache_dir: Path
) -> None:
    data = json.loads(pinst("cache", "info", "--json").stdout)

    [main] = data["caches"]
    assert main["root"] == str(cache_dir) and main["entries"] == 2
    assert "mounted at" in main["filesystem"]
    assert main["size"] > len(SHARED_CODE)
    # shared.py alone is linked into two venvs, so it saves at least two copies of itself.
    assert main["saved_by_linking"] >= 2 * len(SHARED_CODE)
    assert data["total"]["saved_by_linking"] == main["saved_by_linking"]
    assert data["wheels"]["count"] == 2 and data["wheels"]["size"] > 0
    assert data["venvs"] == {"live": 2, "gone": 0}

    text = pinst("cache", "info").stdout
    assert f"Cache: {cache_dir}\n" in text
    assert "2 entries" in text and "saved by linking: " in text and "iB" in text
    assert "Registered venvs: 2" in text


def test_info_counts_symlinked_venvs_from_the_registry(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    build_wheel(server.directory, "shared", "1.0", files={"shared.py": SHARED_CODE})
    venv = tmp_path / "linked"
    pinst("install", "shared==1.0", "--venv", venv, "--link-mode", "symlink", "-i", server.url)
    before = json.loads(pinst("cache", "info", "--json").stdout)["total"]["saved_by_linking"]

    shutil.rmtree(venv)
    after = json.loads(pinst("cache", "info", "--json").stdout)["total"]["saved_by_linking"]

    assert before >= len(SHARED_CODE) and after == 0


def test_installs_register_their_venvs(installed: Installed, cache_dir: Path) -> None:
    records = {record.venv: record for record in registered_venvs(Cache(cache_dir))}
    assert set(records) == {installed.one, installed.two}
    assert records[installed.one].entries == {
        "shared": (cache_dir, installed.shared),
        "solo": (cache_dir, installed.solo),
    }
    assert records[installed.two].link_mode == "hardlink"


def test_prune_keeps_what_live_venvs_use_and_removes_the_rest(
    pinst: Pinst, installed: Installed, cache_dir: Path
) -> None:
    assert "Removed 0 entries" in pinst("cache", "prune").stderr
    shutil.rmtree(installed.one)

    run = pinst("cache", "prune")

    assert "Removed 1 entry no live venv uses, 1 record of deleted venvs" in run.stderr
    assert not entry(cache_dir, installed.solo).exists()
    assert entry(cache_dir, installed.shared).is_dir()
    assert run_python(installed.two, "import shared; print(shared.VALUE)") == "shared\n"
    assert [record.venv for record in registered_venvs(Cache(cache_dir))] == [installed.two]
    wheels = cache_dir / "wheels-v1"
    assert (wheels / installed.solo).is_dir()  # kept: a later install unpacks it again

    run = pinst("cache", "prune", "--wheels")

    assert "1 downloaded wheel" in run.stderr
    assert sorted(os.listdir(wheels)) == [installed.shared]


def test_prune_removes_old_temporary_leftovers_only(
    pinst: Pinst, installed: Installed, cache_dir: Path
) -> None:
    old = cache_dir / "tmp-v1" / "unpack-crashed"
    (old / "files").mkdir(parents=True)
    (old / "files" / "half.py").write_text("half")
    age(old, 2 * HOUR)
    fresh = cache_dir / "tmp-v1" / "unpack-running"
    fresh.mkdir()
    probe = cache_dir / "entries-v1" / ".pinst-probe-stale"
    probe.write_text("probe")
    age(probe, 2 * HOUR)

    run = pinst("cache", "prune")

    assert "2 temporary leftovers" in run.stderr
    assert not old.exists() and not probe.exists()
    assert fresh.is_dir()


def test_prune_ci_keeps_the_wheels_for_an_offline_install_and_drops_the_rest(
    pinst: Pinst, server: IndexServer, cache_dir: Path, tmp_path: Path
) -> None:
    """What a CI job saves after prune --ci installs hashed pins with no network request."""
    lines = [
        f"{name}==1.0 --hash=sha256:{sha256_of(build_wheel(server.directory, name, '1.0'))}\n"
        for name in ("alpha", "beta")
    ]
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("".join(lines))
    first = tmp_path / "first"
    pinst("install", "-r", requirements, "--venv", first, "-i", server.url, "--compile-bytecode")
    assert len(list((cache_dir / "entries-v1").iterdir())) == 2
    pages = sorted(os.listdir(cache_dir / "pages-v1"))

    run = pinst("cache", "prune", "--ci")

    assert "Removed 2 entries (unpacked again from the wheels when needed), " in run.stderr
    assert "1 interpreter record" in run.stderr
    assert "kept 2 downloaded wheels and 2 index pages; freed " in run.stderr
    assert list((cache_dir / "entries-v1").iterdir()) == []  # with their bytecode
    assert list((cache_dir / "interpreters-v1").iterdir()) == []
    assert len(list((cache_dir / "wheels-v1").glob("*/*.whl"))) == 2
    assert sorted(os.listdir(cache_dir / "pages-v1")) == pages
    assert run_python(first, "import alpha; print(alpha.__version__)") == "1.0\n"
    requests = server.total_requests()

    second = tmp_path / "second"
    run = pinst("install", "-r", requirements, "--venv", second, "-i", server.url)

    assert "Installed 2 packages" in run.stderr
    assert server.total_requests() == requests
    assert run_python(second, "import alpha, beta; print(beta.__version__)") == "1.0\n"
    assert len(list((cache_dir / "entries-v1").iterdir())) == 2


def test_prune_ci_removes_fresh_leftovers_of_dead_runs_only(
    pinst: Pinst, installed: Installed, cache_dir: Path
) -> None:
    """The next CI job runs on another host and would never remove them; a live run's stay."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    host = os.uname().nodename
    killed = cache_dir / "tmp-v1" / f"unpack-pid{dead.pid}@{host}.abc"
    running = cache_dir / "tmp-v1" / f"unpack-pid{os.getpid()}@{host}.abc"
    for folder in (killed, running):
        folder.mkdir(parents=True)
    assert "0 temporary leftovers" in pinst("cache", "prune").stderr

    run = pinst("cache", "prune", "--ci")

    assert "1 temporary leftover" in run.stderr
    assert not killed.exists() and running.is_dir()
    assert run_python(installed.one, "import shared, solo; print(solo.VALUE)") == "solo\n"


def test_verify_finds_a_changed_file_and_repair_restores_it(
    pinst: Pinst, installed: Installed, cache_dir: Path
) -> None:
    assert "all intact" in pinst("cache", "verify").stderr
    cached = entry(cache_dir, installed.solo) / "files" / "solo.py"
    original = cached.read_bytes()
    tamper(cached)

    run = pinst("cache", "verify", check=False)

    assert run.returncode == 1
    assert f"solo 1.0: the entry {entry(cache_dir, installed.solo)} is damaged" in run.stderr
    assert "solo.py does not match its hash" in run.stderr
    assert "pinst cache verify --repair" in run.stderr
    assert "shared" not in run.stderr

    run = pinst("cache", "verify", "--repair")

    assert "Repaired solo 1.0" in run.stderr
    assert "pinst install --reinstall" in run.stderr and str(installed.one) in run.stderr
    repaired = entry(cache_dir, installed.solo) / "files" / "solo.py"
    assert repaired.read_bytes() == original
    assert stat.S_IMODE(repaired.stat().st_mode) == 0o444
    assert "all intact" in pinst("cache", "verify").stderr
    assert not os.listdir(cache_dir / "tmp-v1")


def test_repair_without_the_wheel_removes_the_entry_and_install_fetches_it_again(
    pinst: Pinst, server: IndexServer, installed: Installed, cache_dir: Path
) -> None:
    (entry(cache_dir, installed.solo) / "manifest.json").unlink()
    shutil.rmtree(cache_dir / "wheels-v1" / installed.solo)

    run = pinst("cache", "verify", check=False)
    assert run.returncode == 1 and "manifest is missing or unreadable" in run.stderr

    run = pinst("cache", "verify", "--repair")

    assert "Removed" in run.stderr and "downloads it again" in run.stderr
    assert not entry(cache_dir, installed.solo).exists()
    pinst("install", "solo==1.0", "--venv", installed.one, "--reinstall", "-i", server.url)
    assert (entry(cache_dir, installed.solo) / "manifest.json").is_file()


def test_clean_empties_the_cache_and_hard_linked_venvs_keep_working(
    pinst: Pinst, installed: Installed, cache_dir: Path
) -> None:
    run = pinst("cache", "clean")

    assert f"from {cache_dir}, freeing " in run.stderr
    assert "hard-linked from venvs" in run.stderr  # the venvs' links keep those bytes in use
    assert cache_dir.is_dir() and not os.listdir(cache_dir)
    assert run_python(installed.one, "import shared, solo; print(solo.VALUE)") == "solo\n"
    assert "Removed 0 files" in pinst("cache", "clean").stderr


def test_clean_refuses_a_directory_that_is_not_a_pinst_cache(pinst: Pinst, tmp_path: Path) -> None:
    precious = tmp_path / "documents"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")

    run = pinst("cache", "clean", "--cache-dir", precious, check=False)

    assert run.returncode == 1 and "does not look like a pinst cache" in run.stderr
    assert (precious / "thesis.tex").read_text() == "years of work"


def test_prune_refuses_while_a_venv_record_is_unreadable(
    pinst: Pinst, installed: Installed, cache_dir: Path
) -> None:
    shutil.rmtree(installed.one)
    broken = cache_dir / "venvs-v1" / "0123456789abcdef0123456789abcdef.json"
    broken.write_text("{not json")

    run = pinst("cache", "prune", check=False)

    assert run.returncode == 1 and str(broken) in run.stderr
    assert entry(cache_dir, installed.solo).is_dir()


def test_record_install_merges_and_drops_removed_projects(tmp_path: Path) -> None:
    main, venv = Cache(tmp_path / "cache"), tmp_path / "venv"
    record_install(main, venv, {"A_b": (tmp_path / "x", "1" * 64)}, (), "hardlink")
    record_install(main, venv, {"c": (tmp_path / "y", "2" * 64)}, ["a-b"], "reflink")

    [record] = registered_venvs(main)
    assert record.venv == venv and record.link_mode == "reflink"
    assert record.entries == {"c": (tmp_path / "y", "2" * 64)}
    assert not record.alive  # no pyvenv.cfg there
    assert [p.name for p in (tmp_path / "cache" / "venvs-v1").iterdir()] == [record.path.name]


def test_commands_cover_the_entries_cache_on_another_filesystem(
    pinst: Pinst, server: IndexServer, tmpfs: Path, cache_dir: Path
) -> None:
    build_wheel(server.directory, "shared", "1.0", files={"shared.py": SHARED_CODE})
    pinst(
        "install",
        "shared==1.0",
        "--venv",
        tmpfs / "venv",
        "--link-mode",
        "hardlink",
        "-i",
        server.url,
    )
    other = tmpfs / f".pinst-cache-{os.geteuid()}"  # named for its user in a sticky folder

    data = json.loads(pinst("cache", "info", "--json").stdout)

    assert [cache["root"] for cache in data["caches"]] == [str(cache_dir), str(other)]
    assert data["caches"][1]["filesystem"] == f"tmpfs mounted at {tmpfs}"
    assert data["caches"][1]["entries"] == 1 and data["caches"][1]["saved_by_linking"] > 0
    [cached] = other.glob("entries-v1/*/files/shared.py")
    tamper(cached)
    assert "shared 1.0" in pinst("cache", "verify", check=False).stderr
    pinst("cache", "verify", "--repair")
    assert "all intact" in pinst("cache", "verify").stderr

    run = pinst("cache", "clean")

    assert "and 1 entries cache" in run.stderr
    assert not other.exists() and not os.listdir(cache_dir)


def test_info_shows_the_net_saving_first_and_the_gross_labelled(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    payload = os.urandom(400_000)
    build_wheel(server.directory, "heavy", "1.0", files={"heavy/blob.bin": payload})
    for number in range(5):
        venv = tmp_path / f"venv{number}"
        pinst("install", "heavy==1.0", "--venv", venv, "--link-mode", "hardlink", "-i", server.url)

    [main] = json.loads(pinst("cache", "info", "--json").stdout)["caches"]
    # Five venvs link the files; the cache keeps them once: four copies saved, not five.
    assert 5 * len(payload) <= main["saved_by_linking"] < 5 * len(payload) + 20_000
    assert 4 * len(payload) <= main["saved_by_linking_net"] < 4 * len(payload) + 20_000
    text = pinst("cache", "info").stdout
    net, gross = format_size(main["saved_by_linking_net"]), format_size(main["saved_by_linking"])
    assert f"saved by linking: {net} net ({gross} gross, less the " in text


def test_info_one_symlinked_venv_saves_nothing_net(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    build_wheel(server.directory, "shared", "1.0", files={"shared.py": SHARED_CODE})
    venv = tmp_path / "linked"
    pinst("install", "shared==1.0", "--venv", venv, "--link-mode", "symlink", "-i", server.url)
    total = json.loads(pinst("cache", "info", "--json").stdout)["total"]
    assert total["saved_by_linking"] >= len(SHARED_CODE) and total["saved_by_linking_net"] == 0
