"""Settings from the command line, the environment, config files and defaults, in that order;
``pinst config`` shows them; ``--offline`` installs from the cache alone."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.index_server import IndexServer, closed_port_url
from tests.support.requirements import pinned_module
from tests.support.runner import PIPELINE, Pinst, answered_from_stamp
from tests.support.venvs import run_python
from tests.support.wheels import build_wheel


def user_file(pinst: Pinst) -> Path:
    path = Path(pinst.env["XDG_CONFIG_HOME"]) / "pinst" / "pinst.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def effective(pinst: Pinst, *args: str, env: dict[str, str] | None = None) -> dict[str, dict]:
    run = pinst("config", "--format", "json", *args, env=env)
    settings: dict[str, dict] = json.loads(run.stdout)["settings"]
    return settings


def test_environment_beats_project_file_beats_user_file_beats_default(pinst: Pinst) -> None:
    user = user_file(pinst)
    user.write_text('link-mode = "copy"\ntimeout = 5\nmax_compression_ratio = 300\n')
    (pinst.cwd / "pinst.toml").write_text("timeout = 7\ncompile-bytecode = true\n")

    settings = effective(pinst, env={"PINST_COMPILE_BYTECODE": "0"})

    assert settings["compile-bytecode"] == {
        "value": False,
        "source": "environment PINST_COMPILE_BYTECODE",
        "variable": "PINST_COMPILE_BYTECODE",
    }
    assert settings["timeout"]["value"] == 7
    assert settings["timeout"]["source"] == f"file {pinst.cwd / 'pinst.toml'}"
    assert settings["link-mode"]["value"] == "copy"
    assert settings["link-mode"]["source"] == f"user file {user}"
    assert settings["max-compression-ratio"]["value"] == 300  # underscores work as dashes
    assert settings["require-hashes"] == {
        "value": False,
        "source": "default",
        "variable": "PINST_REQUIRE_HASHES",
    }
    assert effective(pinst, "--no-config")["timeout"]["source"] == "default"
    assert effective(pinst, env={"PINST_NO_CONFIG": "1"})["link-mode"]["source"] == "default"


def test_the_command_line_beats_the_environment_beats_the_files(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    build_wheel(server.directory, "demo", "1.0")
    (pinst.cwd / "pinst.toml").write_text(f'index-url = "{closed_port_url()}"\n')
    dead = {"PINST_INDEX_URL": closed_port_url()}

    # The environment's index beats the file's; the command line's beats both.
    pinst("install", "demo==1.0", "--venv", tmp_path / "a", env={"PINST_INDEX_URL": server.url})
    pinst("install", "demo==1.0", "--venv", tmp_path / "b", "-i", server.url, env=dead)

    assert run_python(tmp_path / "b", "import demo; print('ok')") == "ok\n"
    failed = pinst("install", "demo==1.0", "--venv", tmp_path / "c", env=dead, check=False)
    assert failed.returncode == 1 and "127.0.0.1" in failed.stderr


def test_project_files_are_found_from_a_subdirectory(pinst: Pinst) -> None:
    (pinst.cwd / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.pinst]\ntimeout = 9\n')
    deep = pinst.cwd / "src" / "pkg"
    deep.mkdir(parents=True)
    # A pyproject.toml without [tool.pinst] on the way up does not stop the search.
    (pinst.cwd / "src" / "pyproject.toml").write_text('[project]\nname = "inner"\n')
    pinst.cwd = deep

    settings = effective(pinst)
    assert settings["timeout"]["value"] == 9
    assert settings["timeout"]["source"].endswith("pyproject.toml [tool.pinst]")

    # In one directory, pinst.toml wins over pyproject.toml.
    (deep.parents[1] / "pinst.toml").write_text("timeout = 11\n")
    assert effective(pinst)["timeout"]["value"] == 11


def test_relative_paths_in_a_config_file_are_relative_to_it(pinst: Pinst, tmp_path: Path) -> None:
    (pinst.cwd / "pinst.toml").write_text(
        'cache-dir = "shared/cache"\nfind-links = ["wheels", "https://example.org/links/"]\n'
        'entries-cache = "/abs/entries"\n'
    )
    below = pinst.cwd / "below"
    below.mkdir()
    pinst.cwd = below
    elsewhere = tmp_path / "conf" / "pinst.toml"
    elsewhere.parent.mkdir()
    elsewhere.write_text('link-mode = "copy"\nentries-cache = "entries"\n')

    settings = effective(pinst, env={"PINST_CONFIG_FILE": str(elsewhere)})

    root = below.parent
    # PINST_CACHE_DIR is set by the fixture: without it, the file's cache-dir applies.
    assert settings["cache-dir"]["source"] == "environment PINST_CACHE_DIR"
    pinst.env.pop("PINST_CACHE_DIR")
    settings = effective(pinst, env={"PINST_CONFIG_FILE": str(elsewhere)})
    assert settings["cache-dir"]["value"] == str(root / "shared" / "cache")
    assert settings["find-links"]["value"] == [str(root / "wheels"), "https://example.org/links/"]
    assert settings["entries-cache"]["value"] == "/abs/entries"  # the project file's
    assert settings["link-mode"]["source"] == f"file {elsewhere} (PINST_CONFIG_FILE)"


def test_a_bad_key_or_type_is_one_error_naming_file_and_key(pinst: Pinst) -> None:
    config = pinst.cwd / "pinst.toml"
    for content, named in [
        ("index_urls = 'https://example.org'\n", "unknown key 'index_urls'"),
        ("offline = 'yes'\n", "offline must be true or false, not a string 'yes'"),
        ("extra-index-url = 'https://example.org'\n", "extra-index-url must be a list"),
        ('link-mode = "teleport"\n', "link-mode 'teleport' is not a link mode"),
        ("timeout = -1\n", "timeout '-1' is not a number of seconds"),
        ("timeout = [\n", "is not valid TOML"),
    ]:
        config.write_text(content)
        for command in (["config"], ["install", "demo==1.0", "--venv", "v"]):
            run = pinst(*command, check=False)  # the fixture fails on any traceback
            assert run.returncode == 2, run.output
            assert run.stderr.startswith(f"error: {config}"), run.stderr
            assert named in run.stderr, run.stderr
    assert not (pinst.cwd / "v").exists()
    config.unlink()
    bad = pinst("config", env={"PINST_OFFLINE": "maybe"}, check=False)
    assert bad.returncode == 2 and "PINST_OFFLINE='maybe'" in bad.stderr


def test_offline_installs_from_a_warm_cache_without_any_request(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    (pinst.cwd / "requirements.txt").write_text(pinned_module(server, "alpha", "1.0"))
    build_wheel(server.directory, "beta", "2.0")
    hashed = ("-r", "requirements.txt")
    pinst("install", *hashed, "--venv", tmp_path / "online", "-i", server.url)
    pinst("install", "beta==2.0", "--venv", tmp_path / "online", "-i", server.url)
    requests = server.total_requests()

    pinst("install", *hashed, "--venv", tmp_path / "a", "-i", server.url, "--offline")
    pinst(
        "install", *hashed, "--venv", tmp_path / "b", "-i", closed_port_url(),
        env={"PINST_OFFLINE": "1"},
    )  # fmt: skip
    (pinst.cwd / "pinst.toml").write_text(f'offline = true\nindex-url = "{server.url}"\n')
    pinst("install", *hashed, "--venv", tmp_path / "c")
    # A pin without a hash is found through the cached index page, used offline as it is,
    # without asking the server whether it changed.
    pinst("install", "beta==2.0", "--venv", tmp_path / "c")

    assert server.total_requests() == requests
    for venv in ("a", "b"):
        assert run_python(tmp_path / venv, "import alpha; print(alpha.V)") == "1.0\n"
    assert run_python(tmp_path / "c", "import alpha, beta; print(alpha.V)") == "1.0\n"


def test_offline_names_the_requirement_whose_wheel_the_cache_lacks(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    requirements = pinst.cwd / "requirements.txt"
    requirements.write_text(pinned_module(server, "alpha", "1.0"))
    pinst("install", "-r", "requirements.txt", "--venv", tmp_path / "online", "-i", server.url)
    requirements.write_text(
        pinned_module(server, "alpha", "1.0") + pinned_module(server, "gamma", "3.0")
    )
    build_wheel(server.directory, "delta", "1.0")
    requests = server.total_requests()
    offline = ("--venv", tmp_path / "a", "-i", server.url, "--offline")

    hashed = pinst("install", "-r", "requirements.txt", *offline, check=False)
    unhashed = pinst("install", "delta==1.0", *offline, check=False)

    assert hashed.returncode == 1, hashed.output
    assert hashed.stderr.startswith("error: requirements.txt:2: gamma==3.0: ")
    assert "the cache lacks its wheel (no cached index page lists it)" in hashed.stderr
    assert "forbids the network. Run the install once online" in hashed.stderr
    assert unhashed.returncode == 1, unhashed.output
    assert "delta==1.0: the cache lacks its wheel" in unhashed.stderr
    assert server.total_requests() == requests
    assert not (tmp_path / "a").exists()


def test_offline_with_a_cached_page_but_no_wheel_says_so(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    build_wheel(server.directory, "demo", "1.0")
    build_wheel(server.directory, "demo", "2.0")
    pinst("install", "demo==1.0", "--venv", tmp_path / "online", "-i", server.url)
    requests = server.total_requests()

    run = pinst(
        "install", "demo==2.0", "--venv", tmp_path / "a", "-i", server.url, "--offline",
        check=False,
    )  # fmt: skip

    assert run.returncode == 1, run.output
    assert "demo==2.0: the cache lacks its wheel (demo-2.0-py3-none-any.whl was never" in run.stderr
    assert server.total_requests() == requests


def test_a_config_file_edited_or_created_after_an_install_is_not_answered_from_the_stamp(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    (pinst.cwd / "requirements.txt").write_text(pinned_module(server, "alpha", "1.0"))
    user = user_file(pinst)
    user.write_text("timeout = 20\n")
    arguments = ("install", "-r", "requirements.txt", "--venv", tmp_path / "v", "-i", server.url)
    profile = {"PYTHONPROFILEIMPORTTIME": "1"}
    pinst(*arguments)
    assert answered_from_stamp(pinst(*arguments, env=profile))

    user.write_text("timeout = 25\n")
    assert not answered_from_stamp(pinst(*arguments, env=profile))
    assert answered_from_stamp(pinst(*arguments, env=profile))

    (pinst.cwd / "pinst.toml").write_text("link-mode = 'copy'\n")  # a new, nearer file
    assert not answered_from_stamp(pinst(*arguments, env=profile))
    assert answered_from_stamp(pinst(*arguments, env=profile))

    (pinst.cwd / "pinst.toml").write_text("link-mode = 'auto'\n")
    assert not answered_from_stamp(pinst(*arguments, env=profile))


def test_a_run_without_config_files_does_not_import_the_toml_parser(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    build_wheel(server.directory, "demo", "1.0")
    (pinst.cwd / "pyproject.toml").write_text('[project]\nname = "app"\n')
    run = pinst(
        "install", "demo==1.0", "--venv", tmp_path / "v", "-i", server.url,
        env={"PYTHONPROFILEIMPORTTIME": "1"},
    )  # fmt: skip
    assert PIPELINE in run.stderr and "tomllib" not in run.stderr


def test_a_negating_flag_overrides_the_environment_and_config(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    """--no-offline and --no-compile-bytecode undo a setting made elsewhere, for one run."""
    build_wheel(server.directory, "alpha", "1.0", files={"alpha/__init__.py": "A = 1\n"})
    (pinst.cwd / "pinst.toml").write_text("compile-bytecode = true\n")
    venv = tmp_path / "venv"
    args = ("install", "alpha==1.0", "--venv", venv, "-i", server.url)
    refused = pinst(*args, check=False, env={"PINST_OFFLINE": "1"})
    assert refused.returncode == 1 and "--offline" in refused.stderr
    pinst(*args, "--no-offline", "--no-compile-bytecode", env={"PINST_OFFLINE": "1"})
    assert not list(venv.rglob("*.pyc"))


def test_config_shows_the_effective_index_url_not_unset(pinst: Pinst) -> None:
    text = pinst("config", "--no-config", env={"PINST_INDEX_URL": ""}).stdout
    [line] = [line for line in text.splitlines() if line.startswith("index-url ")]
    assert "https://pypi.org/simple" in line and "# default" in line, line
    assert "(not set)" not in text
    setting = effective(pinst, "--no-config")["index-url"]
    assert setting["value"] == "https://pypi.org/simple" and setting["source"] == "default"

    settings = effective(pinst, "--no-config", env={"PINST_INDEX_URL": "https://example.org/s"})
    assert settings["index-url"]["value"] == "https://example.org/s"
    assert settings["index-url"]["source"] == "environment PINST_INDEX_URL"
