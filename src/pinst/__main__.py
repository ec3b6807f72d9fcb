"""pinst's entry point (``pinst`` and ``python -m pinst``).

A repeated install whose stamp still holds is answered before the command line's parser and the
pipeline are even imported: at that point they would be most of the run's time.

Once the command has finished, pinst leaves without Python's clean-up at exit: tearing down the
hundred-odd modules a run imports is a measurable part of a warm install (see
docs/internals/benchmark-history.md, section "What made the warm path fast"), and
nothing is left to clean up by then: every pool is shut down, every temporary directory
removed, every lock released by the command itself. Only the output streams need flushing.

The cyclic garbage collector stays off until pinst forks its workers (see _core/forking.py).
"""

import gc
import os
import sys


def main() -> int:
    gc.disable()  # until pinst forks its workers: see _core/forking.py
    from pinst.venv.stamp import answer_from_stamp

    if answer_from_stamp(sys.argv[1:]):
        return _leave(0)
    from pinst.cli.main import main as run_command

    return _leave(run_command())


def _leave(status: int) -> int:
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader went away (`pinst list | head`): leave quietly
        status = status or 1
    os._exit(status)


if __name__ == "__main__":
    raise SystemExit(main())
