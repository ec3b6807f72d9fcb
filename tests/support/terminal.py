"""Run pinst with its stderr on a real pseudo-terminal, as a user at a terminal sees it."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path


def run_on_terminal(
    args: list[str | Path], env: dict[str, str], cwd: Path, columns: int = 100
) -> tuple[int, str, str]:
    """(exit status, what reached the terminal (stderr), stdout): stdout stays a pipe."""
    controller, terminal = pty.openpty()
    _set_size(terminal, columns)
    process = subprocess.Popen(
        [sys.executable, "-m", "pinst", *map(str, args)],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=terminal,
    )
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: every writer has closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    stdout = process.stdout.read() if process.stdout else b""
    os.close(controller)
    return process.wait(timeout=120), shown.decode(), stdout.decode()


def _set_size(terminal: int, columns: int) -> None:
    import fcntl
    import struct
    import termios

    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
