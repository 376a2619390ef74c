"""Make SIGTERM end a command the way Ctrl-C does."""

from __future__ import annotations

import signal
from typing import Any


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def stop_on_terminate() -> None:
    """Raise KeyboardInterrupt on SIGTERM (kill, timeout, a job scheduler).

    The commands already clean up on Ctrl-C: a run cut short records status
    failed, and a table cut short loses its partial file. SIGTERM's default
    action ends the process before any of that runs.
    """
    signal.signal(signal.SIGTERM, _raise_interrupt)
