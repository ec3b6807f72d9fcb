"""The source tree keeps the shape docs/internals/architecture.md describes.

Each subpackage's ``__init__.py`` is a docstring and nothing else: importing one module of a
stage (``pinst.cache.manifest``, say) must not import the rest of it, or a warm install would
pay for code it never runs. No module passes 500 lines, and no two modules import each other,
even through others or only for types. The order in which the stages may import each other is
checked by import-linter (``nox -s lint``), from the contracts in pyproject.toml.
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


def test_no_module_is_longer_than_500_lines() -> None:
    """A module that grows past this mixes concepts: split it by concept (issue 17)."""
    long = {
        str(path.relative_to(SRC)): lines
        for path in SRC.rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > 500
    }
    assert long == {}, f"split these by concept: {long}"


def test_no_import_cycles_type_only_imports_included() -> None:
    """Every import of a pinst module, at the top, in a function or under ``TYPE_CHECKING``,
    points one way: a cycle means two modules that cannot be understood apart."""
    graph = {module: _imported_pinst_modules(path, module) for module, path in _modules().items()}
    cycles = {
        tuple(sorted((module, imported)))
        for module, imports in graph.items()
        for imported in imports
        if module in _reachable(graph, imported)
    }
    assert cycles == set(), f"these modules import each other, directly or through others: {cycles}"


def _modules() -> dict[str, Path]:
    modules = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def _imported_pinst_modules(path: Path, module: str) -> set[str]:
    known = _modules()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            # ``from pinst.x import y`` imports pinst.x.y if that is a module, else pinst.x
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name not in ("", "pinst", module):
                found.add(name)
    return found


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(graph.get(module, ()))
    return seen
