"""Make SIGTERM end a command the way Ctrl-C does."""

from __future__ import annotations

import signal
from typing import Any


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C raises KeyboardInterrupt."""


def exit_status(interrupt: KeyboardInterrupt) -> int:
    """Return the shell's exit status for a process the signal ended: 128 + number."""
    number = signal.SIGTERM if isinstance(interrupt, Terminated) else signal.SIGINT
    return 128 + number


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
