"""pinst's launchers are byte for byte those of installer's Script, which pip and uv also write."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from installer.scripts import Script

from pinst.wheel.launchers import launcher

PYTHONS = [
    "/venv/bin/python",
    "/a path/with spaces/bin/python",
    "/" + "long" * 40 + "/bin/python",  # past the kernel's 127-byte #! limit
    "/it's/quoted/bin/python",
]


@pytest.mark.parametrize("python", PYTHONS)
@pytest.mark.parametrize("section", ["console", "gui"])
@pytest.mark.parametrize("attribute", ["main", "cli.main"])
def test_launcher_matches_installer(python: str, section: str, attribute: str) -> None:
    expected = Script("tool", "package.module", attribute, section).generate(python, "posix")  # type: ignore[arg-type]
    assert launcher("package.module", attribute, python) == expected[1]


@pytest.mark.parametrize("where", ["plain", "with space", "long" * 30])
def test_launcher_runs_with_an_awkward_interpreter_path(tmp_path: Path, where: str) -> None:
    interpreter = tmp_path / where / "python"
    interpreter.parent.mkdir(parents=True)
    interpreter.symlink_to(sys.executable)
    package = tmp_path / "lib"
    package.mkdir()
    (package / "greeter.py").write_text("def main():\n    print('hello')\n    return 0\n")
    script = tmp_path / "greet"
    script.write_bytes(launcher("greeter", "main", str(interpreter)))
    script.chmod(0o755)

    result = subprocess.run(
        [str(script)], capture_output=True, text=True, env={"PYTHONPATH": str(package)}
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == "hello\n"
