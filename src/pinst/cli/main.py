"""The command line: parse it, run the command it names, and print any error as one paragraph.

Kept thin and cheap to import: the pipeline's modules are imported only once a command runs.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence

from pinst._core.errors import PinstError, advice_for, describe
from pinst.cli.handlers import HANDLERS
from pinst.cli.parser import build_parser, parse_arguments
from pinst.output.report import say_error, set_log_verbosity


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parse_arguments(parser, arguments)
    args.command_line = arguments
    set_log_verbosity(getattr(args, "verbose", 0) - getattr(args, "quiet", 0))
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        return int(HANDLERS[args.command](args))
    except PinstError as error:
        say_error(error.message)
        return error.exit_code
    except BrokenPipeError:
        # The reader went away (`pinst list | head`): stop quietly, as other tools do, and keep
        # Python from complaining when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as error:  # the system refused something no stage expected to fail
        say_error(f"{describe(error)}. {advice_for(error)}")
        return 1
    except KeyboardInterrupt as stop:
        terminated = isinstance(stop, Terminated)
        reason = "stopped by SIGTERM" if terminated else "interrupted"
        say_error(
            f"{reason}. A change to the venv that had begun was undone; run the same "
            "command again to carry it out."
        )
        return 128 + (signal.SIGTERM if terminated else signal.SIGINT)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that the same clean-up (rolling back the venv) runs."""


def _stop_on_sigterm(number: int, frame: object) -> None:
    raise Terminated()
