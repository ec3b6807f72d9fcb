"""pinst's entry point (``pinst`` and ``python -m pinst``).

A repeated install whose stamp still holds is answered before the command line's parser and the
pipeline are even imported: at that point they would be most of the run's time.
"""

import sys


def main() -> int:
    from pinst.stamp import answer_from_stamp

    if answer_from_stamp(sys.argv[1:]):
        return 0
    from pinst.cli import main as run_command

    return run_command()


if __name__ == "__main__":
    raise SystemExit(main())
