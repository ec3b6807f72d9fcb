"""``pinst check``: does every distribution in a venv have what it requires, as ``pip check``?

The venv may come from any installer: every ``.dist-info``'s METADATA is read. The answer goes
to stdout, for scripts, in pip's words ("No broken requirements found."), or as JSON; the exit
status is 1 when something is broken, as pip's is.
"""

from __future__ import annotations

from pinst.install.dependency_check import problems_in
from pinst.venv.target import Venv

CHECK_FORMAT = 1  # bumped when a key of the JSON changes meaning or goes away


def check_venv(venv: Venv, as_json: bool) -> int:
    """Print what is broken; return the exit status."""
    problems = problems_in(venv)
    if as_json:
        import json

        report = {
            "format": CHECK_FORMAT,
            "venv": str(venv.path),
            "broken_requirements": [problem.as_dict() for problem in problems],
        }
        print(json.dumps(report, indent=2))
    elif problems:
        for problem in problems:
            print(f"{problem.describe()}.")
    else:
        print("No broken requirements found.")
    return 1 if problems else 0
