"""The source tree keeps the shape docs/internals/architecture.md describes.

Each subpackage's ``__init__.py`` is a docstring and nothing else: importing one module of a
stage (``pinst.cache.manifest``, say) must not import the rest of it, or a warm install would
pay for code it never runs. The order in which the stages may import each other is checked by
import-linter (``nox -s lint``), from the contracts in pyproject.toml.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).parents[2] / "src" / "pinst"


def test_every_subpackage_init_is_a_docstring_only() -> None:
    inits = sorted(SRC.glob("*/**/__init__.py"))
    assert len(inits) >= 14
    not_bare = []
    for init in inits:
        body = ast.parse(init.read_text()).body
        is_docstring = (
            len(body) == 1
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        )
        if not is_docstring:
            not_bare.append(str(init.relative_to(SRC)))
    assert not_bare == [], f"these must hold a docstring and nothing else: {not_bare}"


def test_few_modules_stand_directly_in_the_package() -> None:
    """A new module goes into the package of its stage (issue 17: at most a dozen loose)."""
    loose = sorted(path.name for path in SRC.glob("*.py"))
    assert {"__init__.py", "__main__.py"} <= set(loose)
    assert len(loose) <= 12, f"put these into the package of their stage: {loose}"
