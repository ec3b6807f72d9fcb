"""pinst does not load httpx's command-line tool, which httpx's package imports whenever click,
rich and pygments are installed: that import cost a cold install more than its CA bundle did.

Each test runs a fresh interpreter with a planted ``click`` on its path that leaves a mark when
it is imported: httpx's tool imports click first of all.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "src"


def run_python(code: str, planted: Path) -> subprocess.CompletedProcess[str]:
    (planted / "click").mkdir(exist_ok=True)
    (planted / "click" / "__init__.py").write_text(
        "import os\nopen(os.environ['CLICK_MARK'], 'w').close()\n"
        "raise ImportError('a planted click: stop the tool loading here')\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(planted), str(SOURCE)]),
        "CLICK_MARK": str(planted / "click-was-imported"),
    }
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )


def test_a_client_is_made_without_loading_httpx_command_line_tool(tmp_path: Path) -> None:
    code = (
        "from pinst.network.client import create_client\n"
        "client = create_client()\n"
        "import httpx\n"
        "assert isinstance(client, httpx.Client)\n"
        "try:\n"
        "    httpx.main()\n"
        "except RuntimeError as error:\n"
        "    print(error)\n"
    )
    result = run_python(code, tmp_path)

    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "click-was-imported").exists()
    assert "not loaded inside pinst" in result.stdout


def test_httpx_imported_before_pinst_is_left_as_it_is(tmp_path: Path) -> None:
    code = (
        "import httpx\n"
        "from pinst.network.client import create_client\n"
        "create_client()\n"
        "import sys\n"
        "print(sys.modules.get('httpx._main'))\n"
    )
    result = run_python(code, tmp_path)

    assert result.returncode == 0, result.stderr
    # httpx tried to load its tool as it always does (the planted click refused), and pinst put
    # no stand-in in its place afterwards.
    assert (tmp_path / "click-was-imported").exists()
    assert result.stdout.strip() == "None"
