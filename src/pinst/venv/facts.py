"""The interpreter facts: learnt by a probe once per real interpreter, then kept between runs.

Tags, markers and the scheme's layout belong to the interpreter binary, not to the venv that
runs it: a venv changes only ``sys.prefix``. So the facts are kept per real interpreter (its
path, size and mtime) in the main cache's ``interpreters-v1``, and their paths rebased onto each
venv's prefix: a new venv of a Python pinst has seen before costs no subprocess, and a warm
install never starts a second Python.

The next run believes that file, so it is kept under the trust rule (``_core/trust.py``): the
folder and the file must be ones nobody else could have written; otherwise pinst probes again,
and says so once.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

from pinst._core.atomic import write_atomically
from pinst._core.errors import PinstError
from pinst._core.trust import UntrustedPath, read_trusted_file, trusted_directory, warn_once
from pinst.venv.interpreter import Interpreter, interpreter_from_record, plain_absolute

FACTS_FORMAT = 4


def inspect_interpreter(
    executable: Path, facts_cache: Path | None, while_probing: Callable[[], None] = lambda: None
) -> Interpreter:
    """Facts about the venv interpreter ``executable``: kept ones if there are, else probed.

    A probe starts the other Python and spends nearly all its time there: ``while_probing``
    runs meanwhile, so that work the run needs next is done in that time, not after it (see
    docs/internals/benchmark-history.md, section "Where pinst is behind uv, session by session").
    """
    prefix = str(executable.absolute().parent.parent)  # <venv>/bin/python
    cached = facts_file(facts_cache, interpreter_key(executable))
    text = read_facts(cached) if cached is not None else None
    if text is not None:
        interpreter = _read_record(text, prefix)
        if interpreter is not None:
            return interpreter
    from pinst.venv import probing  # only for an interpreter not seen before

    answer = probing.run_probe(executable, _also_import_tags(while_probing))
    record = probing.record_from_answer(answer, executable)
    interpreter = interpreter_from_record(record)
    if cached is not None:
        write_facts(cached, json.dumps(record))
    return interpreter


def check_python(executable: Path, asked: str, facts_cache: Path | None) -> None:
    """Before a venv is made from ``--python``: it is a Python that runs, and one pinst supports.

    A record in the facts cache says both for an interpreter probed before, such as the real
    interpreter a venv's ``bin/python`` leads to. A probe's answer here is not cached: a base
    installation's scheme is not a venv's (Debian puts it under /usr/local)."""
    if facts_cache is not None and (facts_cache / f"{interpreter_key(executable)}.json").is_file():
        return
    from pinst.venv import probing  # only for an interpreter not seen before

    status, stdout, stderr = probing.probe(executable, lambda: None)
    try:
        facts = json.loads(stdout) if status == 0 else None
    except ValueError:
        facts = None
    if not isinstance(facts, dict):
        raise PinstError(probing.not_a_python(asked, executable, stderr or stdout, status))
    probing.check_supported(facts, executable)


def interpreter_key(executable: Path) -> str:
    """The name of the facts of the real interpreter ``executable`` leads to, as it is now."""
    real = executable.resolve()
    stat = real.stat()
    ident = f"{FACTS_FORMAT}|{real}|{stat.st_size}|{stat.st_mtime_ns}"
    return hashlib.sha256(ident.encode()).hexdigest()[:32]


def _also_import_tags(while_probing: Callable[[], None]) -> Callable[[], None]:
    """``while_probing``, after importing what computes the tags (``packaging.tags`` takes a
    fair part of a probe's time): done while the probe runs, not after it."""

    def both() -> None:
        import pinst.venv.interpreter_tags  # noqa: F401

        while_probing()

    return both


def _read_record(text: str, prefix: str) -> Interpreter | None:
    """The kept facts as they hold for the venv at ``prefix``; None for a record that is
    damaged, of an older format, or that would send files anywhere but into the venv."""
    try:
        facts = _rebased(json.loads(text), prefix)
        return None if facts is None else interpreter_from_record(facts)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None  # probe again and overwrite it


def _rebased(facts: dict[str, object], prefix: str) -> dict[str, object] | None:
    """The facts as the same interpreter would report them from ``prefix``, if derivable."""
    old = facts["prefix"]
    scheme = facts["scheme"]
    if not isinstance(old, str) or not isinstance(scheme, dict):
        return None
    paths = [facts["executable"], *scheme.values()]
    if not plain_absolute(old) or not all(_plain_under(path, old) for path in paths):
        return None  # a layout not under the prefix: only a fresh probe can tell

    def rebase(path: object) -> str:
        return prefix + str(path)[len(old) :]

    return {
        **facts,
        "prefix": prefix,
        "executable": rebase(facts["executable"]),
        "scheme": {key: rebase(path) for key, path in scheme.items()},
    }


def _plain_under(path: object, prefix: str) -> bool:
    return plain_absolute(path) and (path == prefix or str(path).startswith(prefix + os.sep))


def facts_file(folder: Path | None, key: str) -> Path | None:
    """The file for the facts named ``key``; None if there is no folder for them, or one pinst
    may not trust: the facts are then probed each run and kept nowhere."""
    if folder is None:
        return None
    try:
        trusted_directory(folder)
    except UntrustedPath as untrusted:
        warn_once(
            f"not using the interpreter facts in {untrusted.path}: {untrusted.reason}. pinst "
            "probes the interpreter instead, and keeps its facts nowhere until that is fixed "
            f"(chmod go-w {untrusted.path}, or remove it)."
        )
        return None
    return folder / f"{key}.json"


def read_facts(path: Path) -> str | None:
    """The facts kept in ``path``; None if there are none, or none pinst may believe."""
    try:
        return read_trusted_file(path)
    except UntrustedPath as untrusted:
        warn_once(
            f"not using the interpreter facts {path}: {untrusted.reason}. pinst probes the "
            "interpreter again and replaces that file with its own."
        )
        return None


def write_facts(path: Path, text: str) -> None:
    """Replace ``path`` whole; never writable by others, whatever the umask, since the file is
    believed when read back."""
    write_atomically(path, text, 0o644)
