"""End a command cleanly on SIGTERM, a closed output pipe or an early error."""

from __future__ import annotations

import logging
import os
import signal
import sys
from typing import Any, NoReturn


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C raises KeyboardInterrupt."""


def exit_status(interrupt: KeyboardInterrupt) -> int:
    """Return the shell's exit status for a process the signal ended: 128 + number."""
    number = signal.SIGTERM if isinstance(interrupt, Terminated) else signal.SIGINT
    return 128 + number


def exit_on_closed_pipe() -> NoReturn:
    """End the command quietly after its reader closed standard output.

    ``fakegen --help | head`` closes the pipe early. Python flushes standard
    output again at exit, so it goes to /dev/null first, as the Python
    documentation on SIGPIPE advises.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(1)


def exit_on_early_error(error: Exception, *, log_format: str) -> NoReturn:
    """End the command with one log line for an error found before Hydra starts.

    Hydra has not configured logging yet, so a plain stderr handler writes the
    line. With HYDRA_FULL_ERROR=1 the error propagates with its traceback.
    """
    if os.environ.get("HYDRA_FULL_ERROR") == "1":
        raise error
    logging.basicConfig(format=log_format)
    logging.getLogger(__name__).error("%s", error)
    sys.exit(1)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise Terminated


def stop_on_terminate() -> None:
    """Raise :class:`Terminated`, a KeyboardInterrupt, on SIGTERM.

    kill, timeout and job schedulers send SIGTERM.

    The commands already clean up on Ctrl-C: a run cut short records status
    failed, and a table cut short loses its partial file. SIGTERM's default
    action ends the process before any of that runs.
    """
    signal.signal(signal.SIGTERM, _raise_interrupt)
