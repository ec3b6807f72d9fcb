"""Run by the *target* interpreter: compile the (source, bytecode) pairs read from stdin.

Each line of stdin is a JSON list ``[source, destination]``. A source that does not compile
(a Python 2 file shipped as test data, say) is skipped, as pip and compileall skip it. The
bytecode is timestamp-based: it records the source's mtime and size, which hard links, reflinks
and pinst's mtime-keeping copies preserve, so it stays valid in every venv.
"""

import json
import py_compile
import sys


def main() -> None:
    for line in sys.stdin:
        source, destination = json.loads(line)
        try:
            py_compile.compile(
                source,
                cfile=destination,
                doraise=True,
                # Explicit: SOURCE_DATE_EPOCH would otherwise switch to hash-based bytecode.
                invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP,
            )
        except (py_compile.PyCompileError, SyntaxError, ValueError, OSError):
            continue


main()
