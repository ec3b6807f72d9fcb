"""``pinst completion bash|zsh|fish``: the scripts really complete, in the real shells.

bash's completion function is called as bash calls it, with COMP_WORDS and COMP_CWORD set, and
fish is asked with ``complete -C``. zsh's completion system needs a terminal to run a completion,
so zsh checks that the script parses and loads into compinit. noxfile.py installs zsh and fish
on Debian (DEBIAN_TOOLS).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pinst.cli.parser import build_parser
from tests.support.commands import commands, option_strings
from tests.support.runner import Pinst


@pytest.fixture
def scripts(pinst: Pinst, tmp_path: Path) -> dict[str, Path]:
    written = {}
    for shell in ("bash", "zsh", "fish"):
        run = pinst("completion", shell)
        assert run.stderr == ""
        written[shell] = tmp_path / f"pinst.{shell}"
        written[shell].write_text(run.stdout)
    return written


def need(shell: str) -> str:
    found = shutil.which(shell)
    if found is None:
        if os.environ.get("CI", "").lower() in ("true", "1"):  # nox installs it there: must run
            pytest.fail(f"{shell} is not installed, and CI must run the completion scripts")
        pytest.skip(f"{shell} is not installed (nox installs it as root on Debian)")
    return found


def bash_complete(script: Path, *words: str) -> list[str]:
    """What bash offers for the last of ``words`` (an empty one: a Tab after a space)."""
    quoted = " ".join(f"'{word}'" for word in words)
    program = (
        f"source '{script}'; COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; "
        'COMP_LINE="${COMP_WORDS[*]}"; _pinst; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    result = subprocess.run(
        ["bash", "--norc", "-c", program], capture_output=True, text=True, check=True
    )
    return [line for line in result.stdout.splitlines() if line]


@pytest.mark.parametrize(
    ("words", "offered"),
    [
        (("pinst", "ins"), ["install"]),
        (("pinst", "c"), ["cache", "check", "completion", "config"]),
        (("pinst", "cache", "pr"), ["prune"]),
        (("pinst", "cache", "prune", "--w"), ["--wheels"]),
        (("pinst", "install", "--link-mode", "h"), ["hardlink"]),
        (("pinst", "sync", "--venv", "sync", "--dry"), ["--dry-run"]),
        (("pinst", "uninstall", "--allow"), ["--allow-remove-pinst"]),
        (("pinst", "completion", ""), ["bash", "fish", "zsh"]),
        (("pinst", "-"), ["--help", "--version", "-h"]),
    ],
)
def test_bash_completes_commands_options_and_choices(
    scripts: dict[str, Path], words: tuple[str, ...], offered: list[str]
) -> None:
    need("bash")
    assert sorted(bash_complete(scripts["bash"], *words)) == sorted(offered)


def test_bash_completes_file_names_for_a_requirements_file(
    scripts: dict[str, Path], tmp_path: Path
) -> None:
    need("bash")
    (tmp_path / "requirements.txt").write_text("")
    offered = bash_complete(scripts["bash"], "pinst", "install", "-r", f"{tmp_path}/req")
    assert offered == [f"{tmp_path}/requirements.txt"]


def test_bash_offers_every_option_of_every_command(scripts: dict[str, Path]) -> None:
    """Made from the parser: an option added to pinst is completed without touching the script
    writer. Options hidden from the help (pip's, that pinst refuses) are not offered."""
    need("bash")
    hidden = {"-e", "--editable", "--target", "--prefix", "--root", "--user", "--system"}
    for command, option in option_strings():
        words = command.split()
        if option in hidden:
            assert option not in bash_complete(scripts["bash"], *words, option)
        else:
            assert option in bash_complete(scripts["bash"], *words, option), (command, option)


def fish_complete(script: Path, line: str) -> list[str]:
    result = subprocess.run(
        [need("fish"), "--no-config", "-c", f"source '{script}'; complete -C '{line}'"],
        capture_output=True,
        text=True,
        check=True,
    )
    return [entry.split("\t")[0] for entry in result.stdout.splitlines()]


def test_fish_completes_commands_options_and_choices(scripts: dict[str, Path]) -> None:
    fish = scripts["fish"]
    assert fish_complete(fish, "pinst ins") == ["install"]
    assert fish_complete(fish, "pinst cache pr") == ["prune"]
    assert "--dry-run" in fish_complete(fish, "pinst sync --")
    assert "--wheels" in fish_complete(fish, "pinst cache prune --")
    assert "--wheels" not in fish_complete(fish, "pinst cache info --")
    assert sorted(fish_complete(fish, "pinst install --link-mode ")) == sorted(
        ["auto", "copy", "hardlink", "reflink", "symlink"]
    )


def test_the_zsh_script_parses_and_loads_into_compinit(
    scripts: dict[str, Path], tmp_path: Path
) -> None:
    zsh = need("zsh")
    subprocess.run([zsh, "-n", scripts["zsh"]], check=True)
    loaded = subprocess.run(
        [
            zsh,
            "-f",
            "-c",
            f"autoload -U compinit && compinit -u -d '{tmp_path}/zcompdump' && "
            f"source '{scripts['zsh']}' && print -r -- ${{_comps[pinst]}}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "_pinst"
    script = scripts["zsh"].read_text()
    for path, _ in commands(build_parser()):
        if path:
            assert f'"{"_".join(path[:-1])}/{path[-1]}")' in script, path
